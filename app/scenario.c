/* scenario.c — loading, overriding and validating scenario files: the
 * loader that walks the table of keys (app/scenario_keys.h), which says what
 * each key is; this file says where each value came from.
 *
 * GKeyFile parses the syntax but does not keep line numbers, so the file text
 * is also scanned here to map every section and key to the line where it
 * first appears (and to reject a key given twice in one section, whose value
 * GKeyFile would silently take from the last occurrence). Every check then
 * reports through fail(), which prefixes the location: "<file>:<line>" for a
 * key from the file, "--set" for an overridden key, the section's line or
 * the bare file name for a key left at its default. */
#include "app/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app/scenario_keys.h"

/* ------------------------------------------------------------ known keys */

/* [sweep] takes any "section.key" and "replications": its keys are checked
 * by app/sweep_plan.c, and a single run ignores the section. */
#define SWEEP_SECTION "sweep"

/* A section of the table (or [sweep]). */
static bool known_section(const char *section) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(k[i].section, section) == 0)
      return true;
  return strcmp(section, SWEEP_SECTION) == 0;
}

/* "run, topology, ..., sweep": the table's sections in order. */
static char *section_list(void) {
  GString *s = g_string_new(NULL);
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++)
    if (i == 0 || strcmp(k[i].section, k[i - 1].section) != 0)
      g_string_append_printf(s, "%s%s", i ? ", " : "", k[i].section);
  g_string_append(s, ", " SWEEP_SECTION);
  return g_string_free(s, FALSE);
}

/* "name, seed, ...": the keys of `section` in order. */
static char *key_list(const char *section) {
  GString *s = g_string_new(NULL);
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(k[i].section, section) == 0)
      g_string_append_printf(s, "%s%s", s->len ? ", " : "", k[i].key);
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
  /* names come from the user's file or --set: quoted into one printable line */
  g_autofree char *qsection = scn_quote(section), *qkey = key ? scn_quote(key) : NULL;
  if (key)
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s.%s: %s", loc, qsection, qkey, what);
  else
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s: %s", loc, qsection, what);
  return false;
}

/* ------------------------------------------------------------ the file */

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
      g_autofree char *qsection = scn_quote(section), *qkey = scn_quote(s);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                  "%s:%u: %s.%s: duplicate key (first given at line %u)", c->path, lineno, qsection,
                  qkey, first);
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
    /* located by the name as written, shown quoted (cut, escaped) */
    g_autofree char *loc = where(c, e->section, e->key);
    g_autofree char *qs = scn_quote(e->section);
    if (!known_section(e->section)) {
      g_autofree char *known = section_list();
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s: unknown section (known: %s)", loc,
                  qs, known);
      return false;
    }
    if (e->key && strcmp(e->section, SWEEP_SECTION) != 0 && !scn_key_find(e->section, e->key)) {
      g_autofree char *known = key_list(e->section);
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
    if (!known_section(section)) {
      g_autofree char *known = section_list();
      g_autofree char *qs = scn_quote(section), *qk = scn_quote(key);
      g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                  "--set: %s.%s: unknown section '%s' (known: %s)", qs, qk, qs, known);
      return false;
    }
    if (!scn_key_find(section, key)) {
      g_autofree char *known = key_list(section);
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

/* ------------------------------------------------------------ the walk */

/* The key's text: given (stripped; for a string with GKeyFile escapes
 * applied), else its default (may be NULL). false on a malformed escape. */
static bool key_text(const Ctx *c, GError **error, const ScnKey *k, bool *given, char **out) {
  *out = NULL;
  *given = g_key_file_has_key(c->kf, k->section, k->key, NULL);
  if (!*given) {
    *out = g_strdup(k->def);
    return true;
  }
  if (k->type != SCN_TEXT && k->type != SCN_CHOICE) {
    char *v = g_key_file_get_value(c->kf, k->section, k->key, NULL);
    *out = v ? g_strstrip(v) : NULL;
    return true;
  }
  GError *e = NULL;
  char *v = g_key_file_get_string(c->kf, k->section, k->key, &e);
  if (!v) {
    g_autofree char *why = scn_printable(e->message);
    bool r = fail(c, error, k->section, k->key, "%s", why);
    g_error_free(e);
    return r;
  }
  *out = g_strstrip(v);
  return true;
}

/* Parses one key into `s`, runs its check, then the rules that wait for it. */
static bool load_key(const Ctx *c, const ScnKey *k, Scenario *s, GError **error) {
  bool given;
  g_autofree char *text = NULL;
  if (!key_text(c, error, k, &given, &text))
    return false;
  if (text) {
    g_autofree char *problem = scn_key_parse(k, text, s);
    if (problem) {
      if (!given) /* the table's defaults are valid values */
        g_error("%s.%s: default '%s': %s", k->section, k->key, k->def, problem);
      return fail(c, error, k->section, k->key, "%s", problem);
    }
  }
  ScnCheckIn in = {.path = c->path, .given = given};
  if (k->check) {
    g_autofree char *problem = k->check(s, &in);
    if (problem)
      return fail(c, error, k->section, k->key, "%s", problem);
  }
  size_t n;
  const ScnRule *r = scn_rules(&n);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(r[i].section, k->section) != 0 || strcmp(r[i].after, k->key) != 0)
      continue;
    g_autofree char *problem = r[i].check(s, &in);
    if (problem)
      return fail(c, error, r[i].section, r[i].key, "%s", problem);
  }
  return true;
}

/* Every key in table order, a key's `after` keys right after it. */
static bool load_keys(const Ctx *c, Scenario *s, GError **error) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++) {
    if (k[i].after)
      continue;
    if (!load_key(c, &k[i], s, error))
      return false;
    for (size_t j = 0; j < n; j++)
      if (k[j].after && strcmp(k[j].section, k[i].section) == 0 &&
          strcmp(k[j].after, k[i].key) == 0 && !load_key(c, &k[j], s, error))
        return false;
  }
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
    g_autofree char *why = scn_printable(e->message); /* it quotes the file's bytes */
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path, why);
    g_error_free(e);
    ok = false;
  }
  ok = ok && scan_lines(&c, text, len, error) && check_known(&c, error) &&
       apply_overrides(&c, overrides, NULL, error) &&
       apply_overrides(&c, point, point_where, error) && load_keys(&c, s, error);

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
    g_autofree char *why = scn_printable(e->message); /* it quotes the file's bytes */
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s: %s", path, why);
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
  return scn_key_find(section, key) != NULL;
}

void scn_free(Scenario *scn) {
  if (!scn)
    return;
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++)
    scn_key_clear(&k[i], scn);
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
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++) {
    /* [loss] and [reliability] only when the scenario uses them (see
     * Scenario.reliability_report) */
    if (!scn->reliability_report &&
        (strcmp(k[i].section, "loss") == 0 || strcmp(k[i].section, "reliability") == 0))
      continue;
    /* the NAS timers, and [loss] dch itself, only when one of them was
     * given (nas_report): written, `dch` would read back as given and turn
     * the NAS keys on (the effective configuration must read back as
     * itself); not given, dch is the default, none */
    if (!scn->nas_report && ((strcmp(k[i].section, "reliability") == 0 &&
                              (strcmp(k[i].key, "t3380") == 0 || strcmp(k[i].key, "t3390") == 0 ||
                               strcmp(k[i].key, "nas-retx") == 0)) ||
                             (strcmp(k[i].section, "loss") == 0 && strcmp(k[i].key, "dch") == 0)))
      continue;
    if (!scn->rounds_report && strcmp(k[i].section, "reliability") == 0 &&
        (strcmp(k[i].key, "multicast-rounds") == 0 || strcmp(k[i].key, "round-length") == 0))
      continue;
    if (!scn->mobility && strcmp(k[i].section, "mobility") == 0)
      continue; /* as before mobility existed (scenario.h) */
    switch (k[i].type) {
    case SCN_UINT:
      set_u64(kf, k[i].section, k[i].key, scn_key_uint(&k[i], scn));
      break;
    case SCN_REAL:
      set_double(kf, k[i].section, k[i].key, scn_key_real(&k[i], scn));
      break;
    case SCN_BOOL:
      g_key_file_set_value(kf, k[i].section, k[i].key, scn_key_bool(&k[i], scn) ? "true" : "false");
      break;
    case SCN_TEXT:
    case SCN_CHOICE:
      g_key_file_set_string(kf, k[i].section, k[i].key, scn_key_text(&k[i], scn));
      break;
    }
  }

  g_key_file_set_comment(
      kf, NULL, NULL, " mbms-keysim effective configuration (every key, defaults included)", NULL);
  char *text = g_key_file_to_data(kf, NULL, NULL);
  g_key_file_free(kf);
  return text;
}
