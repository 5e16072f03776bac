/* sweep_folder.c — whether a sweep (or merge) may write into its folder.
 * A single run refuses to replace a results folder holding files it did
 * not write (app/report.c); a sweep folder gets the same rule for what a
 * sweep writes at its top: every regular file there must be a sweep's own
 * (sweep.csv and sweep-stats.csv with the header mbms-sim writes, shard
 * files, leftovers of their atomic writes). Folders are allowed: they are
 * the points' run folders, which report_write guards itself, and plots/. */
#include "app/sweep_private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first line of a regular file (at most 64 KiB), NULL if none. */
static char *first_line(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    gsize cap = 65536, got = 0;
    buf = g_malloc(cap + 1);
    ssize_t r;
    while (got < cap && ((r = read(fd, buf + got, cap - got)) > 0 || (r < 0 && errno == EINTR)))
      if (r > 0)
        got += (gsize)r;
    buf[got] = '\0';
    char *nl = memchr(buf, '\n', got);
    if (nl && !memchr(buf, '\0', got))
      *nl = '\0';
    else
      g_clear_pointer(&buf, g_free);
  }
  close(fd);
  return buf;
}

/* sweep.csv: [key cells,]replication,seed,run,<figures>. */
static gboolean our_table(const char *line) {
  const char *p = strstr(line, "replication,seed,run,");
  return p && (p == line || p[-1] == ',');
}

/* sweep-stats.csv: [key cells,]replications,<figure>_mean,... ending _ci95
 * (or, with ci-target, _ci95,ci_target_reached). */
static gboolean our_stats(const char *line) {
  const char *p = strstr(line, "replications,");
  return p && (p == line || p[-1] == ',') &&
         (g_str_has_suffix(line, "_ci95") || g_str_has_suffix(line, "_ci95,ci_target_reached"));
}

static gboolean ours(const char *dir, const char *name) {
  if (g_str_has_prefix(name, "sweep") &&
      (strstr(name, ".csv.tmp-") || g_str_has_prefix(name, "sweep.json.tmp-")))
    return TRUE; /* a temporary file of an interrupted atomic write */
  g_autofree char *path = g_build_filename(dir, name, NULL);
  if (strcmp(name, "sweep.json") == 0) {
    g_autofree char *text = NULL;
    return g_file_get_contents(path, &text, NULL, NULL) && sweep_json_is_ours(text);
  }
  gboolean table = strcmp(name, "sweep.csv") == 0, stats = strcmp(name, "sweep-stats.csv") == 0;
  gboolean shard = g_str_has_prefix(name, "sweep-shard-") && g_str_has_suffix(name, ".csv");
  if (!table && !stats && !shard)
    return FALSE;
  g_autofree char *line = first_line(path);
  if (!line)
    return FALSE;
  return table   ? our_table(line)
         : stats ? our_stats(line)
                 : g_str_has_prefix(line, "#mbms-sim-shard ");
}

gboolean sweep_folder_check(const char *dir, GError **error) {
  struct stat st;
  if (lstat(dir, &st) != 0) {
    if (errno == ENOENT)
      return TRUE;
    int e = errno;
    return sweep_invalid(error, "sweep folder %s: %s", dir, g_strerror(e));
  }
  if (!S_ISDIR(st.st_mode))
    return sweep_invalid(error, "sweep folder %s exists and is not a folder; not writing into it",
                         dir);
  GError *e = NULL;
  GDir *d = g_dir_open(dir, 0, &e);
  if (!d) {
    sweep_invalid(error, "sweep folder %s: %s", dir, e->message);
    g_error_free(e);
    return FALSE;
  }
  const char *name;
  char *bad = NULL;
  while (!bad && (name = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (lstat(path, &st) != 0)
      continue; /* gone meanwhile */
    if (S_ISDIR(st.st_mode))
      continue;
    if (!S_ISREG(st.st_mode) || !ours(dir, name))
      bad = g_strdup(path);
  }
  g_dir_close(d);
  if (!bad)
    return TRUE;
  sweep_invalid(error,
                "sweep folder %s holds %s, not written by a sweep of mbms-sim; not writing into "
                "it (give another --output)",
                dir, bad);
  g_free(bad);
  return FALSE;
}
