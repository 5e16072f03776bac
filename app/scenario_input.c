/* scenario_input.c — see scenario_input.h. */
#include "app/scenario_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(scn - error - quark, scn_error)

int scn_exit_status(const GError *error) {
  return error->domain == SCN_ERROR && error->code == SCN_ERROR_INVALID ? 2 : 1;
}

char *scn_quote(const char *value) {
  bool plain = g_utf8_validate(value, -1, NULL);
  for (const char *p = value; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      plain = false;
  /* Escaped, the text is ASCII; plain, it is valid UTF-8: cut by characters. */
  char *q = plain ? g_strdup(value) : g_strescape(value, NULL);
  if (g_utf8_strlen(q, -1) > 60) {
    g_autofree char *head = g_utf8_substring(q, 0, 57);
    g_free(q);
    q = g_strconcat(head, "...", NULL);
  }
  return q;
}

/* Input files are read whole, so a FIFO, a device or a runaway file must not
 * be: the file is opened without blocking (a FIFO with no writer would
 * otherwise block in open), must be a regular file, and may hold at most
 * SCN_MAX_INPUT_BYTES (checked on fstat and again while reading, in case it
 * grows). */
char *scn_read_file(const char *path, gsize *len, GError **error) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path, g_strerror(e));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path, g_strerror(e));
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path,
                S_ISDIR(st.st_mode) ? g_strerror(EISDIR)
                                    : "not a regular file (a FIFO, device or socket)");
    return NULL;
  }
  if ((guint64)st.st_size > SCN_MAX_INPUT_BYTES) {
    close(fd);
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                "%s: %" G_GUINT64_FORMAT " bytes; an input file may hold at most %u", path,
                (guint64)st.st_size, SCN_MAX_INPUT_BYTES);
    return NULL;
  }
  GString *s = g_string_sized_new((gsize)st.st_size + 1);
  char buf[65536];
  int e = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      e = errno;
      break;
    }
    if (n == 0)
      break;
    if (s->len + (gsize)n > SCN_MAX_INPUT_BYTES) {
      close(fd);
      g_string_free(s, TRUE);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                  "%s: grew past %u bytes while being read; an input file may hold at most %u",
                  path, SCN_MAX_INPUT_BYTES, SCN_MAX_INPUT_BYTES);
      return NULL;
    }
    g_string_append_len(s, buf, n);
  }
  close(fd);
  if (e) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path, g_strerror(e));
    g_string_free(s, TRUE);
    return NULL;
  }
  *len = s->len;
  return g_string_free(s, FALSE);
}

char *scn_printable(const char *text) {
  GString *out = g_string_new(NULL);
  const char *p = text;
  while (*p) {
    gunichar c = g_utf8_get_char_validated(p, -1);
    if (c == (gunichar)-1 || c == (gunichar)-2) { /* not UTF-8: one byte */
      g_string_append_printf(out, "\\x%02x", (unsigned char)*p);
      p++;
      continue;
    }
    const char *next = g_utf8_next_char(p);
    if (c < 0x20 || c == 0x7f)
      g_string_append_printf(out, "\\%03o", (unsigned)c);
    else
      g_string_append_len(out, p, next - p);
    p = next;
  }
  return g_string_free(out, FALSE);
}
