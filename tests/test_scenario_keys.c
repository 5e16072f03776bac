/* test_scenario_keys.c — the table of scenario keys (app/scenario_keys.c)
 * against its documentation: scenarios/README.md documents exactly the keys
 * of the table, section by section, in both directions (every row
 * "| `key` |" of the key table under each "### `[section]`" heading), and
 * for each key its type, unit, range (integers, reals and choices) and
 * default (where the documentation gives a literal value) are the table's.
 * Also the table's own consistency: the summary's places, the keys a key or
 * a rule waits for. */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "app/scenario_keys.h"

/* A documented key: its section and the cells of its row, by column. */
typedef struct {
  char *section, *key, *type, *unit, *range, *def;
  guint line;
} DocKey;

static void doc_key_free(gpointer p) {
  DocKey *d = p;
  g_free(d->section);
  g_free(d->key);
  g_free(d->type);
  g_free(d->unit);
  g_free(d->range);
  g_free(d->def);
  g_free(d);
}

/* The cells of a Markdown table row "| a | b |", stripped; "\\|" is a
 * pipe inside a cell, not a separator. */
static GStrv row_cells(const char *line) {
  g_autofree char *row = g_strstrip(g_strdup(line));
  g_assert_true(g_str_has_prefix(row, "|") && g_str_has_suffix(row, "|"));
  GPtrArray *cells = g_ptr_array_new();
  GString *cell = g_string_new(NULL);
  for (const char *p = row + 1; *p; p++) {
    if (p[0] == '\\' && p[1] == '|') {
      g_string_append_c(cell, '|');
      p++;
    } else if (*p == '|') {
      g_ptr_array_add(cells, g_strstrip(g_strdup(cell->str)));
      g_string_truncate(cell, 0);
    } else {
      g_string_append_c(cell, *p);
    }
  }
  g_string_free(cell, TRUE);
  g_ptr_array_add(cells, NULL);
  return (GStrv)g_ptr_array_free(cells, FALSE);
}

static int column(GStrv header, const char *name) {
  for (guint i = 0; header[i]; i++)
    if (strcmp(header[i], name) == 0)
      return (int)i;
  return -1;
}

/* Every key row under a "### `[section]`" heading, in file order; the
 * sections seen (in order) go to `sections`. */
static GPtrArray *read_doc_keys(const char *path, GPtrArray *sections) {
  g_autofree char *text = NULL;
  GError *error = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, &error));
  g_assert_no_error(error);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  GPtrArray *out = g_ptr_array_new_with_free_func(doc_key_free);
  g_autoptr(GRegex) heading = g_regex_new("^### `\\[([a-z]+)\\]`\\s*$", 0, 0, NULL);
  g_autoptr(GRegex) keyrow = g_regex_new("^\\| `([^`]+)` \\|", 0, 0, NULL);
  char *section = NULL;
  g_auto(GStrv) header = NULL;
  for (guint i = 0; lines[i]; i++) {
    g_autoptr(GMatchInfo) m = NULL;
    if (g_str_has_prefix(lines[i], "#")) { /* any heading ends a section */
      g_clear_pointer(&section, g_free);
      g_clear_pointer(&header, g_strfreev);
      if (g_regex_match(heading, lines[i], 0, &m)) {
        section = g_match_info_fetch(m, 1);
        g_ptr_array_add(sections, g_strdup(section));
      }
      continue;
    }
    if (!section)
      continue;
    if (g_str_has_prefix(lines[i], "| key |")) {
      g_clear_pointer(&header, g_strfreev);
      header = row_cells(lines[i]);
      continue;
    }
    g_autoptr(GMatchInfo) k = NULL;
    if (!g_regex_match(keyrow, lines[i], 0, &k))
      continue;
    g_assert_nonnull(header); /* a key row belongs to a table with a header */
    g_auto(GStrv) cells = row_cells(lines[i]);
    guint n = g_strv_length(cells);
    g_assert_cmpuint(n, ==, g_strv_length(header));
    int type = column(header, "type"), unit = column(header, "unit");
    int range = column(header, "range"), def = column(header, "default");
    g_assert_cmpint(type, >=, 0);
    g_assert_cmpint(range, >=, 0);
    g_assert_cmpint(def, >=, 0);
    DocKey *d = g_new0(DocKey, 1);
    d->section = g_strdup(section);
    d->key = g_match_info_fetch(k, 1);
    d->type = g_strdup(cells[type]);
    d->unit = g_strdup(unit >= 0 ? cells[unit] : "");
    d->range = g_strdup(cells[range]);
    d->def = g_strdup(cells[def]);
    d->line = i + 1;
    g_ptr_array_add(out, d);
  }
  g_free(section);
  return out;
}

static char *readme_path(void) {
  const char *src = g_getenv("MBMS_SRCDIR");
  const char *candidates[] = {src ? src : ".", ".", "..", "../..", "../../.."};
  for (guint i = 0; i < G_N_ELEMENTS(candidates); i++) {
    char *p = g_build_filename(candidates[i], "scenarios", "README.md", NULL);
    if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
      return p;
    g_free(p);
  }
  g_error("cannot find scenarios/README.md (set MBMS_SRCDIR to the source root)");
}

static GPtrArray *doc_keys, *doc_sections;

static const DocKey *doc_find(const char *section, const char *key) {
  for (guint i = 0; i < doc_keys->len; i++) {
    const DocKey *d = g_ptr_array_index(doc_keys, i);
    if (strcmp(d->section, section) == 0 && strcmp(d->key, key) == 0)
      return d;
  }
  return NULL;
}

/* ------------------------------------------------------------ both ways */

/* Each documented section but [sweep] (whose keys are "section.key" and
 * replications, checked by the sweep planner) is a section of the table,
 * in the table's order, and the other way round. */
static void test_sections(void) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  g_autoptr(GPtrArray) table = g_ptr_array_new();
  for (size_t i = 0; i < n; i++)
    if (i == 0 || strcmp(k[i].section, k[i - 1].section) != 0)
      g_ptr_array_add(table, (gpointer)k[i].section);
  g_autoptr(GPtrArray) doc = g_ptr_array_new();
  for (guint i = 0; i < doc_sections->len; i++)
    if (strcmp(g_ptr_array_index(doc_sections, i), "sweep") != 0)
      g_ptr_array_add(doc, g_ptr_array_index(doc_sections, i));
  g_assert_cmpuint(doc->len, ==, table->len);
  for (guint i = 0; i < table->len; i++)
    g_assert_cmpstr(g_ptr_array_index(doc, i), ==, g_ptr_array_index(table, i));
  g_assert_true(g_ptr_array_find_with_equal_func(doc_sections, "sweep", g_str_equal, NULL));
}

static void test_every_key_documented(void) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  g_assert_cmpuint(n, >, 0);
  for (size_t i = 0; i < n; i++) {
    if (!doc_find(k[i].section, k[i].key))
      g_error("%s.%s is in the table but not in scenarios/README.md", k[i].section, k[i].key);
  }
}

static void test_every_documented_key_known(void) {
  guint checked = 0;
  for (guint i = 0; i < doc_keys->len; i++) {
    const DocKey *d = g_ptr_array_index(doc_keys, i);
    if (strcmp(d->section, "sweep") == 0)
      continue;
    if (!scn_key_find(d->section, d->key))
      g_error("scenarios/README.md:%u: %s.%s is documented but not in the table", d->line,
              d->section, d->key);
    /* documented once */
    for (guint j = 0; j < i; j++) {
      const DocKey *e = g_ptr_array_index(doc_keys, j);
      g_assert_false(strcmp(e->section, d->section) == 0 && strcmp(e->key, d->key) == 0);
    }
    checked++;
  }
  size_t n;
  scn_keys(&n);
  g_assert_cmpuint(checked, ==, n);
}

/* ------------------------------------------------------------ each key */

/* The text between backticks if the cell is one code span, else NULL. */
static char *code_span(const char *cell) {
  size_t len = strlen(cell);
  if (len >= 2 && cell[0] == '`' && cell[len - 1] == '`' && !memchr(cell + 1, '`', len - 2))
    return g_strndup(cell + 1, len - 2);
  return NULL;
}

static bool number(const char *text, double *x) {
  char *end = NULL;
  *x = g_ascii_strtod(text, &end);
  return *text && end && *end == '\0';
}

/* A documented default is a literal when it is one code span (`patent`,
 * `false`) or a number (100, 1.55e8); anything else ("the file name
 * without `.ini`", "none") describes a default the table leaves to the
 * key's check. */
static void test_defaults(void) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++) {
    const DocKey *d = doc_find(k[i].section, k[i].key);
    g_autofree char *span = code_span(d->def);
    double doc_x = 0;
    bool doc_number = !span && number(d->def, &doc_x);
    const char *literal = span ? span : doc_number ? d->def : NULL;
    if (!k[i].def) {
      if (literal)
        g_error("%s.%s: documented default '%s', but the table has none", k[i].section, k[i].key,
                d->def);
      continue;
    }
    if (!literal)
      g_error("%s.%s: documented default '%s' is not a literal, the table's is '%s'", k[i].section,
              k[i].key, d->def, k[i].def);
    if (k[i].type == SCN_UINT || k[i].type == SCN_REAL) {
      double table_x;
      g_assert_true(doc_number);
      g_assert_true(number(k[i].def, &table_x));
      if (doc_x != table_x)
        g_error("%s.%s: documented default %s, the table's %s", k[i].section, k[i].key, d->def,
                k[i].def);
    } else {
      g_assert_nonnull(span); /* strings and booleans are written as code */
      if (strcmp(span, k[i].def) != 0)
        g_error("%s.%s: documented default '%s', the table's '%s'", k[i].section, k[i].key, span,
                k[i].def);
    }
  }
}

static void test_types_and_units(void) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++) {
    const DocKey *d = doc_find(k[i].section, k[i].key);
    bool ok = false;
    switch (k[i].type) {
    case SCN_UINT:
      ok = strcmp(d->type, "uint") == 0;
      break;
    case SCN_REAL:
      ok = strcmp(d->type, "real") == 0;
      break;
    case SCN_BOOL:
      ok = strcmp(d->type, "bool") == 0;
      break;
    case SCN_TEXT: /* a path is a string too */
      ok = strcmp(d->type, "string") == 0 || strcmp(d->type, "path") == 0;
      break;
    case SCN_CHOICE:
      ok = strcmp(d->type, "string") == 0;
      break;
    }
    if (!ok)
      g_error("%s.%s: documented type '%s' does not match the table's", k[i].section, k[i].key,
              d->type);
    if (strcmp(d->unit, k[i].unit ? k[i].unit : "") != 0)
      g_error("%s.%s: documented unit '%s', the table's '%s'", k[i].section, k[i].key, d->unit,
              k[i].unit ? k[i].unit : "");
  }
}

/* "1 .. 64", "1 .. 1 000 000", "0 .. 2^64−1" or "1 or 2". */
static bool uint_range(const char *cell, guint64 *min, guint64 *max) {
  g_autofree char *t = g_strdup(cell);
  GString *s = g_string_new(NULL);
  for (const char *p = t; *p; p++)
    if (*p != ' ')
      g_string_append_c(s, *p);
  g_autofree char *c = g_string_free(s, FALSE);
  g_auto(GStrv) parts = NULL;
  bool pair = false;
  if (strstr(c, "..")) {
    parts = g_strsplit(c, "..", -1);
  } else {
    parts = g_strsplit(c, "or", -1);
    pair = true;
  }
  if (g_strv_length(parts) != 2)
    return false;
  if (!g_ascii_string_to_unsigned(parts[0], 10, 0, G_MAXUINT64, min, NULL))
    return false;
  if (strcmp(parts[1], "2^64\u22121") == 0)
    *max = G_MAXUINT64;
  else if (!g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXUINT64, max, NULL))
    return false;
  return !pair || *max == *min + 1;
}

static void test_ranges(void) {
  /* a real range: "[0 or ]min .. max[, a whole number][, or ; a rule]" */
  g_autoptr(GRegex) real = g_regex_new("^(0 or )?([^ ]+) \\.\\. ([^,;]+)(.*)$", 0, 0, NULL);
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++) {
    const DocKey *d = doc_find(k[i].section, k[i].key);
    if (k[i].type == SCN_UINT) {
      guint64 min, max;
      if (!uint_range(d->range, &min, &max) || min != k[i].min || max != k[i].max)
        g_error("%s.%s: documented range '%s', the table's %" G_GUINT64_FORMAT
                " .. %" G_GUINT64_FORMAT,
                k[i].section, k[i].key, d->range, k[i].min, k[i].max);
    } else if (k[i].type == SCN_REAL) {
      g_autoptr(GMatchInfo) m = NULL;
      if (!g_regex_match(real, d->range, 0, &m))
        g_error("%s.%s: documented range '%s' is not 'min .. max'", k[i].section, k[i].key,
                d->range);
      g_autofree char *zero = g_match_info_fetch(m, 1);
      g_autofree char *lo = g_match_info_fetch(m, 2);
      g_autofree char *hi = g_strstrip(g_match_info_fetch(m, 3));
      g_autofree char *rest = g_match_info_fetch(m, 4);
      double min, max;
      g_assert_true(number(lo, &min));
      g_assert_true(number(hi, &max));
      bool whole = g_str_has_prefix(rest, ", a whole number");
      if ((*zero != '\0') != (k[i].sign == SCN_NON_NEGATIVE) || min != k[i].bound->min ||
          max != k[i].bound->max || whole != k[i].bound->whole)
        g_error("%s.%s: documented range '%s' is not the table's (%s%g .. %g%s)", k[i].section,
                k[i].key, d->range, k[i].sign == SCN_NON_NEGATIVE ? "0 or " : "", k[i].bound->min,
                k[i].bound->max, k[i].bound->whole ? ", whole" : "");
    } else if (k[i].type == SCN_CHOICE) {
      GString *s = g_string_new(NULL);
      for (guint j = 0; k[i].choices[j]; j++)
        g_string_append_printf(s, "%s`%s`", j ? ", " : "", k[i].choices[j]);
      g_autofree char *choices = g_string_free(s, FALSE);
      g_assert_cmpstr(d->range, ==, choices);
    } else if (k[i].type == SCN_BOOL) {
      g_assert_cmpstr(d->range, ==, "");
    }
  }
}

/* ------------------------------------------------------------ the table */

/* The summary's places are 1 .. n, once each, with distinct names; a real
 * key there has a format. */
static void test_summary_places(void) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  guint reported = 0;
  for (size_t i = 0; i < n; i++) {
    g_assert_true((k[i].summary == NULL) == (k[i].summary_pos == 0));
    if (k[i].summary) {
      reported++;
      g_assert_true((k[i].type == SCN_REAL) == (k[i].summary_format != NULL));
    }
  }
  g_assert_cmpuint(reported, >, 0);
  for (unsigned pos = 1; pos <= reported; pos++) {
    const ScnKey *a = scn_summary_key(pos);
    g_assert_nonnull(a);
    g_assert_cmpuint(a->summary_pos, ==, pos);
    for (unsigned q = 1; q < pos; q++)
      g_assert_cmpstr(scn_summary_key(q)->summary, !=, a->summary);
  }
  g_assert_null(scn_summary_key(reported + 1));
  g_assert_null(scn_summary_key(0));
}

/* Sections are contiguous; a key's `after` is an earlier key of its
 * section without an `after` of its own; a rule's keys exist. */
static void test_order(void) {
  size_t n;
  const ScnKey *k = scn_keys(&n);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j + 1 < i; j++)
      if (strcmp(k[j].section, k[i].section) == 0)
        g_assert_cmpstr(k[j + 1].section, ==, k[i].section);
    g_assert_true(scn_key_find(k[i].section, k[i].key) == &k[i]); /* no key twice */
    if (k[i].after) {
      const ScnKey *a = scn_key_find(k[i].section, k[i].after);
      g_assert_nonnull(a);
      g_assert_true(a < &k[i]);
      g_assert_null(a->after);
    }
  }
  size_t nr;
  const ScnRule *r = scn_rules(&nr);
  for (size_t i = 0; i < nr; i++) {
    g_assert_nonnull(scn_key_find(r[i].section, r[i].key));
    g_assert_nonnull(scn_key_find(r[i].section, r[i].after));
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_autofree char *path = readme_path();
  doc_sections = g_ptr_array_new_with_free_func(g_free);
  doc_keys = read_doc_keys(path, doc_sections);
  g_test_add_func("/scenario_keys/readme/sections", test_sections);
  g_test_add_func("/scenario_keys/readme/every-key-documented", test_every_key_documented);
  g_test_add_func("/scenario_keys/readme/every-documented-key-known",
                  test_every_documented_key_known);
  g_test_add_func("/scenario_keys/readme/defaults", test_defaults);
  g_test_add_func("/scenario_keys/readme/types-and-units", test_types_and_units);
  g_test_add_func("/scenario_keys/readme/ranges", test_ranges);
  g_test_add_func("/scenario_keys/table/summary-places", test_summary_places);
  g_test_add_func("/scenario_keys/table/order", test_order);
  int rc = g_test_run();
  g_ptr_array_unref(doc_keys);
  g_ptr_array_unref(doc_sections);
  return rc;
}
