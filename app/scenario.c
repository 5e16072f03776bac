/* scenario.c — loading, overriding and validating scenario files.
 *
 * GKeyFile parses the syntax but does not keep line numbers, so the file text
 * is also scanned here to map every section and key to the line where it
 * first appears (and to reject a key given twice in one section, whose value
 * GKeyFile would silently take from the last occurrence). Every check then
 * reports through fail(), which prefixes the location: "<file>:<line>" for a
 * key from the file, "--set" for an overridden key, the section's line or
 * the bare file name for a key left at its default. */
#include "app/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nodes/msg.h"

G_DEFINE_QUARK(scn - error - quark, scn_error)

int scn_exit_status(const GError *error) {
  return error->domain == SCN_ERROR && error->code == SCN_ERROR_INVALID ? 2 : 1;
}

/* ------------------------------------------------------------ known keys */

static const char *const run_keys[] = {"name",           "seed",       "duration",   "scheme",
                                       "embodiment",     "join-rekey", "lkh-degree", "batch-tree",
                                       "batch-interval", NULL};
static const char *const topology_keys[] = {
    "ggsn", "sgsn-per-ggsn", "rnc-per-sgsn", "cells-per-rnc", "subgroup-size", "subgroup-policy",
    NULL};
static const char *const links_keys[] = {"core-rate",   "core-delay",   "iu-rate",
                                         "iu-delay",    "dch-rate",     "dch-delay",
                                         "common-rate", "common-delay", NULL};
static const char *const workload_keys[] = {"initial-members", "join-rate", "mean-membership",
                                            "events", NULL};

static const char *const security_keys[] = {"eavesdrop", "collusion", "record-before-join", NULL};
static const char *const data_keys[] = {"rate", "packet-size", "switch-delay", NULL};
static const char *const trace_keys[] = {"pcap", NULL};
/* [sweep] takes any "section.key" and "replications": its keys are checked
 * by app/sweep.c, and a single run ignores the section. */
static const char *const sweep_keys[] = {NULL};
#define SWEEP_SECTION "sweep"

static const struct {
  const char *name;
  const char *const *keys;
} sections[] = {
    {"run", run_keys},           {"topology", topology_keys}, {"links", links_keys},
    {"workload", workload_keys}, {"security", security_keys}, {"data", data_keys},
    {"trace", trace_keys},       {SWEEP_SECTION, sweep_keys},
};

#define SCN_MAX_RNC 65536u
#define SCN_MAX_NAME 128u
/* Bound on join-rate x duration, so that a typo cannot ask for billions of
 * generated joins (the same bound as initial-members). */
#define SCN_MAX_EXPECTED_JOINS 1e7

static const char *const *section_keys(const char *section) {
  for (unsigned i = 0; i < G_N_ELEMENTS(sections); i++)
    if (strcmp(sections[i].name, section) == 0)
      return sections[i].keys;
  return NULL;
}

static bool known_key(const char *const *keys, const char *key) {
  for (; *keys; keys++)
    if (strcmp(*keys, key) == 0)
      return true;
  return false;
}

static char *section_list(void) {
  GString *s = g_string_new(NULL);
  for (unsigned i = 0; i < G_N_ELEMENTS(sections); i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", sections[i].name);
  return g_string_free(s, FALSE);
}

static char *key_list(const char *const *keys) {
  GString *s = g_string_new(NULL);
  for (unsigned i = 0; keys[i]; i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", keys[i]);
  return g_string_free(s, FALSE);
}

/* ------------------------------------------------------------ context */

typedef struct {
  const char *path;
  GKeyFile *kf;
  GHashTable *lines;      /* "section" or "section\037key" -> first line (GUINT) */
  GHashTable *overridden; /* "section\037key" of keys set by --set */
  GHashTable *located;    /* "section\037key" -> location of a swept value */
  GPtrArray *entries;     /* ScanEntry, in file order */
} Ctx;

/* A section header (key NULL) or a key line, as written in the file. */
typedef struct {
  char *section;
  char *key;
  guint line;
} ScanEntry;

static void scan_entry_free(gpointer p) {
  ScanEntry *e = p;
  g_free(e->section);
  g_free(e->key);
  g_free(e);
}

static void add_entry(Ctx *c, const char *section, const char *key, guint line) {
  ScanEntry *e = g_new(ScanEntry, 1);
  *e = (ScanEntry){g_strdup(section), g_strdup(key), line};
  g_ptr_array_add(c->entries, e);
}

static char *line_key(const char *section, const char *key) {
  return key ? g_strconcat(section, "\037", key, NULL) : g_strdup(section);
}

static guint line_of(const Ctx *c, const char *section, const char *key) {
  g_autofree char *k = line_key(section, key);
  return GPOINTER_TO_UINT(g_hash_table_lookup(c->lines, k));
}

static bool is_overridden(const Ctx *c, const char *section, const char *key) {
  g_autofree char *k = line_key(section, key);
  return g_hash_table_contains(c->overridden, k);
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

static char *where(const Ctx *c, const char *section, const char *key) {
  if (key && c->located) {
    g_autofree char *k = line_key(section, key);
    const char *loc = g_hash_table_lookup(c->located, k);
    if (loc)
      return g_strdup(loc);
  }
  if (key && is_overridden(c, section, key))
    return g_strdup("--set");
  guint line = key ? line_of(c, section, key) : 0;
  if (!line)
    line = line_of(c, section, NULL);
  return line ? g_strdup_printf("%s:%u", c->path, line) : g_strdup(c->path);
}

G_GNUC_PRINTF(5, 6)
static bool fail(const Ctx *c, GError **error, const char *section, const char *key,
                 const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *loc = where(c, section, key);
  if (key)
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s.%s: %s", loc, section, key, what);
  else
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s: %s", loc, section, what);
  return false;
}

/* ------------------------------------------------------------ the file */

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

/* The scenario text proper: a leading UTF-8 byte order mark is skipped (as
 * in events files: editors add one), and a NUL byte is refused (GKeyFile
 * would stop scanning there while this file's line scan would not, so the
 * unknown-key and duplicate-key checks would see a different file). */
static const char *scenario_text(const char *path, const char *text, gsize *len, GError **error) {
  const char *nul = memchr(text, '\0', *len);
  if (nul) {
    guint line = 1;
    for (const char *p = text; p < nul; p++)
      line += *p == '\n';
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s:%u: contains a NUL byte (not a text file)",
                path, line);
    return NULL;
  }
  if (*len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
    *len -= 3;
    return text + 3;
  }
  return text;
}

/* Records the first line of every section and key, the way GKeyFile reads
 * them (leading blanks skipped, '#' comments, "[name]", "key = value"), and
 * rejects a key given twice in a section. The text has already been
 * accepted by GKeyFile. */
static bool scan_lines(Ctx *c, const char *text, gsize len, GError **error) {
  g_autofree char *copy = g_strndup(text, len);
  g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
  const char *section = NULL;
  for (guint i = 0; lines[i]; i++) {
    guint lineno = i + 1;
    char *s = lines[i];
    while (g_ascii_isspace(*s))
      s++;
    if (*s == '\0' || *s == '#')
      continue;
    if (*s == '[') {
      char *end = strrchr(s, ']');
      if (!end)
        continue;
      *end = '\0';
      section = s + 1;
      add_entry(c, section, NULL, lineno);
      if (!g_hash_table_contains(c->lines, section))
        g_hash_table_insert(c->lines, g_strdup(section), GUINT_TO_POINTER(lineno));
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq || !section)
      continue;
    *eq = '\0';
    g_strchomp(s);
    char *k = line_key(section, s);
    guint first = GPOINTER_TO_UINT(g_hash_table_lookup(c->lines, k));
    if (first) {
      g_free(k);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                  "%s:%u: %s.%s: duplicate key (first given at line %u)", c->path, lineno, section,
                  s, first);
      return false;
    }
    g_hash_table_insert(c->lines, k, GUINT_TO_POINTER(lineno));
    add_entry(c, section, s, lineno);
  }
  return true;
}

/* Unknown sections and keys, in file order. The scanned lines are used
 * rather than GKeyFile's lists, which hide localised keys ("name[fr]"). */
static bool check_known(Ctx *c, GError **error) {
  for (guint i = 0; i < c->entries->len; i++) {
    const ScanEntry *e = g_ptr_array_index(c->entries, i);
    const char *const *keys = section_keys(e->section);
    /* located by the name as written, shown quoted (cut, escaped) */
    g_autofree char *loc = where(c, e->section, e->key);
    g_autofree char *qs = scn_quote(e->section);
    if (!keys) {
      g_autofree char *known = section_list();
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s: unknown section (known: %s)", loc,
                  qs, known);
      return false;
    }
    if (e->key && keys != sweep_keys && !known_key(keys, e->key)) {
      g_autofree char *known = key_list(keys);
      g_autofree char *qk = scn_quote(e->key);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s.%s: unknown key (known in [%s]: %s)",
                  loc, e->section, qk, e->section, known);
      return false;
    }
  }
  return true;
}

static bool malformed_override(const char *o, GError **error) {
  g_autofree char *q = scn_quote(o);
  g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "--set: '%s': expected section.key=value", q);
  return false;
}

/* `locs` (may be NULL): for swept values, where each was given; such keys are
 * reported there rather than at "--set". */
static bool apply_overrides(Ctx *c, const char *const *overrides, const char *const *locs,
                            GError **error) {
  for (guint i = 0; overrides && overrides[i]; i++) {
    const char *o = overrides[i];
    const char *eq = strchr(o, '=');
    const char *dot = eq ? memchr(o, '.', (size_t)(eq - o)) : NULL;
    if (!eq || !dot)
      return malformed_override(o, error);
    g_autofree char *section = g_strndup(o, (gsize)(dot - o));
    g_autofree char *key = g_strndup(dot + 1, (gsize)(eq - dot - 1));
    g_strstrip(section); /* --set 'run.seed = 3' */
    g_strstrip(key);
    if (!*section || !*key)
      return malformed_override(o, error);
    const char *const *keys = section_keys(section);
    if (!keys) {
      g_autofree char *known = section_list();
      g_autofree char *qs = scn_quote(section), *qk = scn_quote(key);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                  "--set: %s.%s: unknown section '%s' (known: %s)", qs, qk, qs, known);
      return false;
    }
    if (keys == sweep_keys || !known_key(keys, key)) {
      g_autofree char *known = key_list(keys);
      g_autofree char *qk = scn_quote(key);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                  "--set: %s.%s: unknown key (known in [%s]: %s)", section, qk, section, known);
      return false;
    }
    /* --set arrives as raw bytes (main.c does not convert them from the
     * locale); a scenario is UTF-8, so is an override */
    if (!g_utf8_validate(eq + 1, -1, NULL)) {
      g_autofree char *qv = scn_quote(eq + 1);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s.%s: '%s' is not valid UTF-8",
                  locs ? locs[i] : "--set", section, key, qv);
      return false;
    }
    g_key_file_set_value(c->kf, section, key, eq + 1);
    if (locs)
      g_hash_table_insert(c->located, line_key(section, key), g_strdup(locs[i]));
    else
      g_hash_table_add(c->overridden, line_key(section, key));
  }
  return true;
}

/* ------------------------------------------------------------ value parsers */

/* The raw value, whitespace-stripped, or NULL if the key is absent. */
static char *raw_value(const Ctx *c, const char *section, const char *key) {
  if (!g_key_file_has_key(c->kf, section, key, NULL))
    return NULL;
  char *v = g_key_file_get_value(c->kf, section, key, NULL);
  return v ? g_strstrip(v) : NULL;
}

static bool get_uint(const Ctx *c, GError **error, const char *section, const char *key,
                     guint64 min, guint64 max, guint64 def, guint64 *out) {
  g_autofree char *v = raw_value(c, section, key);
  if (!v) {
    *out = def;
    return true;
  }
  g_autofree char *q = scn_quote(v);
  bool digits = *v != '\0';
  for (const char *p = v; *p; p++)
    if (!g_ascii_isdigit(*p))
      digits = false;
  if (!digits)
    return fail(c, error, section, key, "'%s' is not an unsigned integer", q);
  guint64 x;
  if (!g_ascii_string_to_unsigned(v, 10, min, max, &x, NULL))
    return fail(c, error, section, key,
                "'%s' is out of range (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ")", q, min, max);
  *out = x;
  return true;
}

static bool get_u32(const Ctx *c, GError **error, const char *section, const char *key,
                    uint32_t min, uint32_t max, uint32_t def, uint32_t *out) {
  guint64 x;
  if (!get_uint(c, error, section, key, min, max, def, &x))
    return false;
  *out = (uint32_t)x;
  return true;
}

typedef enum { POSITIVE, NON_NEGATIVE } Sign;

/* The range of a real key beyond its sign: a value other than 0 must lie in
 * [min, max] (in `unit`); `whole`: a whole number. The bounds keep ns-3's
 * arithmetic exact (see "Bounds" in scenarios/README.md): ns-3's Time is an
 * int64 count of nanoseconds (about 9.2e9 s), and every time handed to it
 * (an event at most `duration`, plus delays, plus transmission times and the
 * queues behind them) must stay far inside that. */
typedef struct {
  double min, max;
  const char *unit;
  bool whole;
} Bound;

/* Times: 1 ns (ns-3's resolution) to 10^9 s (31.7 years), a ninth of ns-3's
 * range; the rest is room for delays and queues. */
static const Bound time_bound = {1e-9, 1e9, "s", false};
/* Delays (and switch-delay): at most 10^6 s each; a message crosses at most
 * a dozen of them, so delays add at most about 10^7 s to any event. */
static const Bound delay_bound = {1e-9, 1e6, "s", false};
/* Radio rates: from 1 kbit/s, the largest message (MSG_MAX_BYTES = 2838,
 * or a 1466-byte data packet) takes at most 23 s, and the queue behind one
 * channel stays below 10^9 s for any run the other bounds allow (at most
 * 10^7 generated joins, 10^8 data packets and a 256 MiB events file give
 * well under 10^12 bytes on one channel: 8e12 bit / 1e3 bit/s = 8e9 s is the
 * far side, never reached in practice, and sim/ checks it all the same). Up
 * to 1 Tbit/s; a transmission under 1 ns rounds to 0. */
static const Bound radio_rate_bound = {1e3, 1e12, "bit/s", false};
/* Link rates: the same range, whole bit/s (ns-3's DataRate is an integer;
 * 1.5 would silently become 2). */
static const Bound link_rate_bound = {1e3, 1e12, "bit/s", true};
/* Other rates and times only enter double arithmetic, never ns-3. */
static const Bound join_rate_bound = {1e-9, 1e9, "1/s", false};
static const Bound membership_bound = {1e-9, 1e12, "s", false};
/* data.rate: from 1 bit/s a packet interval is at most 1400 * 8 s. */
static const Bound data_rate_bound = {1, 1e12, "bit/s", false};

static bool get_double(const Ctx *c, GError **error, const char *section, const char *key,
                       Sign sign, const Bound *b, double def, double *out) {
  g_autofree char *v = raw_value(c, section, key);
  if (!v) {
    *out = def;
    return true;
  }
  g_autofree char *q = scn_quote(v);
  /* Plain decimal notation only: no hex, inf or nan. */
  bool plain = *v != '\0';
  for (const char *p = v; *p; p++)
    if (!g_ascii_isdigit(*p) && !strchr("+-.eE", *p))
      plain = false;
  char *end = NULL;
  double x = plain ? g_ascii_strtod(v, &end) : 0.0;
  if (!plain || end == v || *end != '\0')
    return fail(c, error, section, key, "'%s' is not a number", q);
  if (!isfinite(x))
    return fail(c, error, section, key, "'%s' is not a finite number", q);
  if (sign == POSITIVE && !(x > 0))
    return fail(c, error, section, key, "'%s' must be > 0", q);
  if (sign == NON_NEGATIVE && !(x >= 0))
    return fail(c, error, section, key, "'%s' must be >= 0", q);
  if (x != 0 && (x < b->min || x > b->max))
    return fail(c, error, section, key, "'%s' is out of range (%s%g .. %g %s)", q,
                sign == NON_NEGATIVE ? "0 or " : "", b->min, b->max, b->unit);
  if (b->whole && x != floor(x))
    return fail(c, error, section, key, "'%s' is not a whole number of %s", q, b->unit);
  *out = x == 0 ? 0.0 : x; /* no -0 */
  return true;
}

static bool get_bool(const Ctx *c, GError **error, const char *section, const char *key, bool def,
                     bool *out) {
  g_autofree char *v = raw_value(c, section, key);
  if (!v) {
    *out = def;
    return true;
  }
  if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
    *out = v[0] == 't';
    return true;
  }
  g_autofree char *q = scn_quote(v);
  return fail(c, error, section, key, "'%s' is not a boolean (true|false)", q);
}

/* A string value with GKeyFile escapes applied, stripped; NULL if absent.
 * false on a malformed escape. */
static bool get_string(const Ctx *c, GError **error, const char *section, const char *key,
                       char **out) {
  *out = NULL;
  if (!g_key_file_has_key(c->kf, section, key, NULL))
    return true;
  GError *e = NULL;
  char *v = g_key_file_get_string(c->kf, section, key, &e);
  if (!v) {
    bool r = fail(c, error, section, key, "%s", e->message);
    g_error_free(e);
    return r;
  }
  *out = g_strstrip(v);
  return true;
}

static bool safe_name(const char *s) {
  if (!*s || strlen(s) > SCN_MAX_NAME || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return false;
  for (; *s; s++)
    if (!g_ascii_isalnum(*s) && !strchr("._-", *s))
      return false;
  return true;
}

/* ------------------------------------------------------------ validation */

/* run.scheme and its parameters (docs/schemes.md). */
static bool load_scheme(Ctx *c, Scenario *s, GError **error) {
  static const KtScheme kinds[] = {KT_SCHEME_PATENT, KT_SCHEME_UNICAST, KT_SCHEME_BROADCAST,
                                   KT_SCHEME_LKH};
  bool known = false;
  for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
    if (strcmp(s->scheme, kt_scheme_name(kinds[i])) == 0) {
      s->scheme_kind = kinds[i];
      known = true;
    }
  }
  s->batch = strcmp(s->scheme, "batch") == 0;
  if (!known && !s->batch) {
    g_autofree char *q = scn_quote(s->scheme);
    return fail(c, error, "run", "scheme",
                "unknown scheme '%s' (known: patent, unicast, broadcast, lkh, batch)", q);
  }
  if (!get_u32(c, error, "run", "lkh-degree", 2, 1024, 4, &s->lkh_degree))
    return false;
  char *tree;
  if (!get_string(c, error, "run", "batch-tree", &tree))
    return false;
  s->batch_tree = tree ? tree : g_strdup("patent");
  if (strcmp(s->batch_tree, "patent") != 0 && strcmp(s->batch_tree, "lkh") != 0) {
    g_autofree char *q = scn_quote(s->batch_tree);
    return fail(c, error, "run", "batch-tree", "'%s' is not patent or lkh", q);
  }
  if (s->batch)
    s->scheme_kind = strcmp(s->batch_tree, "lkh") == 0 ? KT_SCHEME_LKH : KT_SCHEME_PATENT;
  return get_double(c, error, "run", "batch-interval", POSITIVE, &time_bound, 1.0,
                    &s->batch_interval);
}

static bool load_run(Ctx *c, Scenario *s, GError **error) {
  char *name;
  if (!get_string(c, error, "run", "name", &name))
    return false;
  if (name) {
    s->name = name;
    if (!safe_name(name)) {
      g_autofree char *q = scn_quote(name);
      return fail(c, error, "run", "name",
                  "'%s' is not a safe folder name ([A-Za-z0-9._-]+, at most %u characters, not "
                  "'.' or '..')",
                  q, SCN_MAX_NAME);
    }
  } else {
    char *base = g_path_get_basename(c->path);
    if (g_str_has_suffix(base, ".ini"))
      base[strlen(base) - 4] = '\0';
    s->name = base;
    if (!safe_name(base)) {
      g_autofree char *q = scn_quote(base);
      return fail(c, error, "run", "name",
                  "the default name '%s' (the file name) is not a safe folder name "
                  "([A-Za-z0-9._-]+); set run.name",
                  q);
    }
  }

  guint64 seed;
  if (!get_uint(c, error, "run", "seed", 0, G_MAXUINT64, 1, &seed))
    return false;
  s->seed = seed;
  if (!get_double(c, error, "run", "duration", POSITIVE, &time_bound, 100.0, &s->duration))
    return false;

  char *scheme;
  if (!get_string(c, error, "run", "scheme", &scheme))
    return false;
  s->scheme = scheme ? scheme : g_strdup("patent");
  if (!load_scheme(c, s, error))
    return false;

  uint32_t emb;
  if (!get_u32(c, error, "run", "embodiment", 1, 2, 1, &emb))
    return false;
  s->embodiment = (int)emb;
  return get_bool(c, error, "run", "join-rekey", false, &s->join_rekey);
}

static bool load_topology(Ctx *c, Scenario *s, GError **error) {
  if (!get_u32(c, error, "topology", "ggsn", 1, 64, 1, &s->ggsn) ||
      !get_u32(c, error, "topology", "sgsn-per-ggsn", 1, 64, 2, &s->sgsn_per_ggsn) ||
      !get_u32(c, error, "topology", "rnc-per-sgsn", 1, 256, 2, &s->rnc_per_sgsn) ||
      !get_u32(c, error, "topology", "cells-per-rnc", 1, 1024, 4, &s->cells_per_rnc) ||
      !get_u32(c, error, "topology", "subgroup-size", 1, 1000000, 8, &s->subgroup_size))
    return false;

  char *policy;
  if (!get_string(c, error, "topology", "subgroup-policy", &policy))
    return false;
  if (!policy || strcmp(policy, "per-cell") == 0) {
    s->subgroup_policy = KT_POLICY_PER_CELL;
  } else if (strcmp(policy, "per-rnc") == 0) {
    s->subgroup_policy = KT_POLICY_PER_RNC;
  } else {
    g_autofree char *q = scn_quote(policy);
    g_free(policy);
    return fail(c, error, "topology", "subgroup-policy", "'%s' is not per-cell or per-rnc", q);
  }
  g_free(policy);

  guint64 rncs = (guint64)s->ggsn * s->sgsn_per_ggsn * s->rnc_per_sgsn;
  if (rncs > SCN_MAX_RNC) {
    /* 64 x 64 x 16 = 65536: only rnc-per-sgsn can tip it over. */
    return fail(c, error, "topology", "rnc-per-sgsn",
                "%" G_GUINT64_FORMAT " RNCs in all (ggsn x sgsn-per-ggsn x rnc-per-sgsn) exceed %u",
                rncs, SCN_MAX_RNC);
  }
  /* With at most 65536 RNCs of at most 1024 cells, the cells fit in 2^26. */
  g_assert(rncs * s->cells_per_rnc <= G_MAXUINT32);
  return true;
}

static bool load_links(Ctx *c, Scenario *s, GError **error) {
  return get_double(c, error, "links", "core-rate", POSITIVE, &link_rate_bound, 1e9,
                    &s->core_rate) &&
         get_double(c, error, "links", "core-delay", NON_NEGATIVE, &delay_bound, 0.005,
                    &s->core_delay) &&
         get_double(c, error, "links", "iu-rate", POSITIVE, &link_rate_bound, 1.55e8,
                    &s->iu_rate) &&
         get_double(c, error, "links", "iu-delay", NON_NEGATIVE, &delay_bound, 0.002,
                    &s->iu_delay) &&
         get_double(c, error, "links", "dch-rate", POSITIVE, &radio_rate_bound, 384000,
                    &s->dch_rate) &&
         get_double(c, error, "links", "dch-delay", NON_NEGATIVE, &delay_bound, 0.01,
                    &s->dch_delay) &&
         get_double(c, error, "links", "common-rate", POSITIVE, &radio_rate_bound, 128000,
                    &s->common_rate) &&
         get_double(c, error, "links", "common-delay", NON_NEGATIVE, &delay_bound, 0.02,
                    &s->common_delay);
}

static bool load_workload(Ctx *c, Scenario *s, GError **error) {
  if (!get_u32(c, error, "workload", "initial-members", 0, 10000000, 0, &s->initial_members) ||
      !get_double(c, error, "workload", "join-rate", NON_NEGATIVE, &join_rate_bound, 0,
                  &s->join_rate) ||
      !get_double(c, error, "workload", "mean-membership", NON_NEGATIVE, &membership_bound, 0,
                  &s->mean_membership))
    return false;
  if (s->join_rate * s->duration > SCN_MAX_EXPECTED_JOINS)
    return fail(c, error, "workload", "join-rate",
                "join-rate x duration = %g expected joins exceed %g", s->join_rate * s->duration,
                SCN_MAX_EXPECTED_JOINS);

  char *events;
  if (!get_string(c, error, "workload", "events", &events))
    return false;
  if (!events || !*events) { /* absent or empty: no events file */
    g_free(events);
    return true;
  }
  g_autofree char *dir = g_path_get_dirname(c->path);
  if (g_path_is_absolute(events) || strcmp(dir, ".") == 0)
    s->events_path = g_strdup(events);
  else
    s->events_path = g_build_filename(dir, events, NULL);
  g_autofree char *q = scn_quote(events);
  g_autofree char *qp = scn_quote(s->events_path);
  g_free(events);
  if (!g_file_test(s->events_path, G_FILE_TEST_EXISTS))
    return fail(c, error, "workload", "events", "'%s' does not exist (looked for %s)", q, qp);
  if (!g_file_test(s->events_path, G_FILE_TEST_IS_REGULAR))
    return fail(c, error, "workload", "events", "'%s' is not a regular file (%s)", q, qp);
  if (g_access(s->events_path, R_OK) != 0) {
    int e = errno;
    return fail(c, error, "workload", "events", "'%s' cannot be read (%s: %s)", q, qp,
                g_strerror(e));
  }
  return true;
}

static bool load_security(Ctx *c, Scenario *s, GError **error) {
  char *eavesdrop;
  if (!get_string(c, error, "security", "eavesdrop", &eavesdrop))
    return false;
  if (eavesdrop && strcmp(eavesdrop, "all-cells") == 0) {
    s->eavesdrop_all_cells = true;
  } else if (eavesdrop && strcmp(eavesdrop, "own-cell") != 0) {
    g_autofree char *q = scn_quote(eavesdrop);
    g_free(eavesdrop);
    return fail(c, error, "security", "eavesdrop", "'%s' is not own-cell or all-cells", q);
  }
  g_free(eavesdrop);
  return get_bool(c, error, "security", "collusion", false, &s->collusion) &&
         get_double(c, error, "security", "record-before-join", NON_NEGATIVE, &time_bound, 60.0,
                    &s->record_before_join);
}

/* Bound on data packets per run (rate x duration / packet bits), so that a
 * typo cannot ask for billions of packets. */
#define SCN_MAX_DATA_PACKETS 1e8

static bool load_data(Ctx *c, Scenario *s, GError **error) {
  if (!get_double(c, error, "data", "rate", NON_NEGATIVE, &data_rate_bound, 0.0, &s->data_rate) ||
      !get_u32(c, error, "data", "packet-size", 16, KT_DATA_MAX_PAYLOAD, 512, &s->packet_size) ||
      !get_double(c, error, "data", "switch-delay", NON_NEGATIVE, &delay_bound, 0.0,
                  &s->switch_delay))
    return false;
  /* on the air a packet also carries its header, key ref, nonce and tag
   * (MSG_DATA_OVERHEAD_BYTES); more than the common channel can carry would
   * only grow its queue until the end of the run */
  double on_air =
      s->data_rate * (s->packet_size + (double)MSG_DATA_OVERHEAD_BYTES) / s->packet_size;
  if (on_air >= s->common_rate)
    return fail(c, error, "data", "rate",
                "%g bit/s is %g bit/s on the air, not below links.common-rate (%g bit/s)",
                s->data_rate, on_air, s->common_rate);
  double packets = s->data_rate * s->duration / (8.0 * s->packet_size);
  if (packets > SCN_MAX_DATA_PACKETS)
    return fail(c, error, "data", "rate", "rate x duration = %g packets exceed %g", packets,
                SCN_MAX_DATA_PACKETS);
  return true;
}

/* ------------------------------------------------------------ public API */

Scenario *scn_load(const char *path, const char *const *overrides, GError **error) {
  return scn_load_point(path, overrides, NULL, NULL, error);
}

Scenario *scn_load_point(const char *path, const char *const *overrides, const char *const *point,
                         const char *const *point_where, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  g_return_val_if_fail(!point || point_where, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  gsize len = 0;
  g_autofree char *file = scn_read_file(path, &len, error);
  if (!file)
    return NULL;
  const char *text = scenario_text(path, file, &len, error);
  if (!text)
    return NULL;

  Ctx c = {.path = path,
           .kf = g_key_file_new(),
           .lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
           .overridden = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
           .located = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
           .entries = g_ptr_array_new_with_free_func(scan_entry_free)};
  Scenario *s = g_new0(Scenario, 1);
  s->source_path = g_strdup(path);
  GError *e = NULL;
  bool ok = true;
  if (!g_key_file_load_from_data(c.kf, text, len, G_KEY_FILE_NONE, &e)) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path, e->message);
    g_error_free(e);
    ok = false;
  }
  ok = ok && scan_lines(&c, text, len, error) && check_known(&c, error) &&
       apply_overrides(&c, overrides, NULL, error) &&
       apply_overrides(&c, point, point_where, error) && load_run(&c, s, error) &&
       load_topology(&c, s, error) && load_links(&c, s, error) && load_workload(&c, s, error) &&
       load_security(&c, s, error) && load_data(&c, s, error) &&
       get_bool(&c, error, "trace", "pcap", false, &s->trace_pcap);

  g_key_file_free(c.kf);
  g_hash_table_destroy(c.lines);
  g_hash_table_destroy(c.overridden);
  g_hash_table_destroy(c.located);
  g_ptr_array_free(c.entries, TRUE);
  if (!ok) {
    scn_free(s);
    return NULL;
  }
  return s;
}

static void sweep_entry_free(gpointer p) {
  ScnSweepEntry *e = p;
  g_free(e->key);
  g_free(e->value);
  g_free(e);
}

GPtrArray *scn_sweep_entries(const char *path, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  gsize len = 0;
  g_autofree char *file = scn_read_file(path, &len, error);
  if (!file)
    return NULL;
  const char *text = scenario_text(path, file, &len, error);
  if (!text)
    return NULL;
  Ctx c = {.path = path,
           .kf = g_key_file_new(),
           .lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
           .overridden = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
           .entries = g_ptr_array_new_with_free_func(scan_entry_free)};
  GPtrArray *out = g_ptr_array_new_with_free_func(sweep_entry_free);
  GError *e = NULL;
  bool ok = true;
  if (!g_key_file_load_from_data(c.kf, text, len, G_KEY_FILE_NONE, &e)) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path, e->message);
    g_error_free(e);
    ok = false;
  }
  ok = ok && scan_lines(&c, text, len, error);
  for (guint i = 0; ok && i < c.entries->len; i++) {
    const ScanEntry *se = g_ptr_array_index(c.entries, i);
    if (!se->key || strcmp(se->section, SWEEP_SECTION) != 0)
      continue;
    ScnSweepEntry *x = g_new0(ScnSweepEntry, 1);
    x->key = g_strdup(se->key);
    char *v = g_key_file_get_value(c.kf, SWEEP_SECTION, se->key, NULL);
    x->value = v ? g_strstrip(v) : g_strdup("");
    x->line = se->line;
    g_ptr_array_add(out, x);
  }
  g_key_file_free(c.kf);
  g_hash_table_destroy(c.lines);
  g_hash_table_destroy(c.overridden);
  g_ptr_array_free(c.entries, TRUE);
  if (!ok)
    g_clear_pointer(&out, g_ptr_array_unref);
  return out;
}

bool scn_known_key(const char *section, const char *key) {
  const char *const *keys = section_keys(section);
  return keys && keys != sweep_keys && known_key(keys, key);
}

void scn_free(Scenario *scn) {
  if (!scn)
    return;
  g_free(scn->name);
  g_free(scn->scheme);
  g_free(scn->batch_tree);
  g_free(scn->events_path);
  g_free(scn->source_path);
  g_free(scn);
}

uint32_t scn_n_sgsn(const Scenario *scn) {
  return scn->ggsn * scn->sgsn_per_ggsn;
}

uint32_t scn_n_rnc(const Scenario *scn) {
  return scn_n_sgsn(scn) * scn->rnc_per_sgsn;
}

uint32_t scn_n_cells(const Scenario *scn) {
  return scn_n_rnc(scn) * scn->cells_per_rnc;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double:
 * exact, deterministic, and 0.005 rather than 0.0050000000000000001. */
static void set_double(GKeyFile *kf, const char *section, const char *key, double x) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
  for (unsigned i = 0; i < G_N_ELEMENTS(formats); i++) {
    g_ascii_formatd(buf, sizeof buf, formats[i], x);
    if (g_ascii_strtod(buf, NULL) == x)
      break;
  }
  g_key_file_set_value(kf, section, key, buf);
}

static void set_u64(GKeyFile *kf, const char *section, const char *key, guint64 x) {
  char buf[32];
  g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, x);
  g_key_file_set_value(kf, section, key, buf);
}

char *scn_to_ini(const Scenario *scn) {
  GKeyFile *kf = g_key_file_new();
  g_key_file_set_string(kf, "run", "name", scn->name);
  set_u64(kf, "run", "seed", scn->seed);
  set_double(kf, "run", "duration", scn->duration);
  g_key_file_set_string(kf, "run", "scheme", scn->scheme);
  set_u64(kf, "run", "embodiment", (guint64)scn->embodiment);
  g_key_file_set_value(kf, "run", "join-rekey", scn->join_rekey ? "true" : "false");
  set_u64(kf, "run", "lkh-degree", scn->lkh_degree);
  g_key_file_set_string(kf, "run", "batch-tree", scn->batch_tree ? scn->batch_tree : "patent");
  set_double(kf, "run", "batch-interval", scn->batch_interval);

  set_u64(kf, "topology", "ggsn", scn->ggsn);
  set_u64(kf, "topology", "sgsn-per-ggsn", scn->sgsn_per_ggsn);
  set_u64(kf, "topology", "rnc-per-sgsn", scn->rnc_per_sgsn);
  set_u64(kf, "topology", "cells-per-rnc", scn->cells_per_rnc);
  set_u64(kf, "topology", "subgroup-size", scn->subgroup_size);
  g_key_file_set_value(kf, "topology", "subgroup-policy",
                       scn->subgroup_policy == KT_POLICY_PER_RNC ? "per-rnc" : "per-cell");

  set_double(kf, "links", "core-rate", scn->core_rate);
  set_double(kf, "links", "core-delay", scn->core_delay);
  set_double(kf, "links", "iu-rate", scn->iu_rate);
  set_double(kf, "links", "iu-delay", scn->iu_delay);
  set_double(kf, "links", "dch-rate", scn->dch_rate);
  set_double(kf, "links", "dch-delay", scn->dch_delay);
  set_double(kf, "links", "common-rate", scn->common_rate);
  set_double(kf, "links", "common-delay", scn->common_delay);

  set_u64(kf, "workload", "initial-members", scn->initial_members);
  set_double(kf, "workload", "join-rate", scn->join_rate);
  set_double(kf, "workload", "mean-membership", scn->mean_membership);
  g_key_file_set_string(kf, "workload", "events", scn->events_path ? scn->events_path : "");

  g_key_file_set_value(kf, "security", "eavesdrop",
                       scn->eavesdrop_all_cells ? "all-cells" : "own-cell");
  g_key_file_set_value(kf, "security", "collusion", scn->collusion ? "true" : "false");
  set_double(kf, "security", "record-before-join", scn->record_before_join);

  set_double(kf, "data", "rate", scn->data_rate);
  set_u64(kf, "data", "packet-size", scn->packet_size);
  set_double(kf, "data", "switch-delay", scn->switch_delay);

  g_key_file_set_value(kf, "trace", "pcap", scn->trace_pcap ? "true" : "false");

  g_key_file_set_comment(
      kf, NULL, NULL, " mbms-keysim effective configuration (every key, defaults included)", NULL);
  char *text = g_key_file_to_data(kf, NULL, NULL);
  g_key_file_free(kf);
  return text;
}
