/* sweep_figures.c — one run folder (summary.csv, rekeys.csv, elements.csv)
 * read back into its figures string, "header\x1fvalues": the totals of
 * summary.csv, per-event means and per-kind load. */
#include "app/sweep_private.h"

#include <string.h>

#include "app/report.h"
#include "app/scenario.h"

/* Figure columns of sweep.csv after the summary.csv totals. */
static const char *const kinds[] = {"bmsc", "ggsn", "sgsn", "rnc", "ue"};
static const char *const per_event[] = {"p2p_msgs", "p2m_msgs", "p2m_tx", "core_msgs", "bytes"};
#define FIRST_TOTAL "joins"

static char *read_text(const char *dir, const char *name, GError **error) {
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  GError *e = NULL;
  if (!g_file_get_contents(path, &text, NULL, &e)) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s", e->message);
    g_error_free(e);
  }
  return text;
}

static gboolean bad_file(GError **error, const char *dir, const char *name, const char *what) {
  g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s/%s: %s", dir, name, what);
  return FALSE;
}

static void append_mean(GString *s, double sum, guint n) {
  g_string_append_c(s, ',');
  if (n == 0)
    return;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, "%.6f", sum / n);
  g_string_append(s, buf);
}

/* The header of the figure columns (summary.csv's totals from "joins" on,
 * then per-event means and per-kind load). `totals_header` is summary.csv's
 * header from "joins" on. */
static char *figures_header(const char *totals_header) {
  GString *s = g_string_new(totals_header);
  const char *ev[] = {"join", "leave"};
  for (guint k = 0; k < 2; k++)
    for (guint j = 0; j < G_N_ELEMENTS(per_event); j++)
      g_string_append_printf(s, ",%s_per_%s", per_event[j], ev[k]);
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
    g_string_append_printf(s, ",%s_msgs,%s_bytes,%s_wraps", kinds[k], kinds[k], kinds[k]);
  return g_string_free(s, FALSE);
}

/* Index of column `name` in a CSV header row, or -1. */
static int column(char **header, const char *name) {
  for (int i = 0; header[i]; i++)
    if (strcmp(header[i], name) == 0)
      return i;
  return -1;
}

/* Columns are found by name, and a row of the wrong width is an error
 * (never skipped): a change of report.c's columns cannot silently turn
 * into zeros here. */
static gboolean per_event_means(const char *dir, const char *rekeys, GString *vs, GError **error) {
  g_auto(GStrv) rl = g_strsplit(rekeys, "\n", -1);
  if (!rl[0])
    return bad_file(error, dir, "rekeys.csv", "no header");
  g_auto(GStrv) h = g_strsplit(rl[0], ",", -1);
  guint width = g_strv_length(h);
  int ev_col = column(h, "event"), cols[G_N_ELEMENTS(per_event)];
  if (ev_col < 0)
    return bad_file(error, dir, "rekeys.csv", "no column event");
  for (guint j = 0; j < G_N_ELEMENTS(per_event); j++)
    if ((cols[j] = column(h, per_event[j])) < 0)
      return bad_file(error, dir, "rekeys.csv", "a figure column is missing");
  double sum[2][G_N_ELEMENTS(per_event)] = {{0}};
  guint count[2] = {0, 0};
  for (guint k = 1; rl[k]; k++) {
    if (!*rl[k])
      continue;
    g_auto(GStrv) f = g_strsplit(rl[k], ",", -1);
    if (g_strv_length(f) != width)
      return bad_file(error, dir, "rekeys.csv", "a row has the wrong number of fields");
    guint ev;
    if (strcmp(f[ev_col], "join") == 0)
      ev = 0;
    else if (strcmp(f[ev_col], "leave") == 0)
      ev = 1;
    else if (strcmp(f[ev_col], "move") == 0)
      continue; /* moves have their own figures (summary.csv, with mobility) */
    else
      return bad_file(error, dir, "rekeys.csv", "an event is neither join, leave nor move");
    count[ev]++;
    for (guint j = 0; j < G_N_ELEMENTS(per_event); j++)
      sum[ev][j] += g_ascii_strtod(f[cols[j]], NULL);
  }
  for (guint ev = 0; ev < 2; ev++)
    for (guint j = 0; j < G_N_ELEMENTS(per_event); j++)
      append_mean(vs, sum[ev][j], count[ev]);
  return TRUE;
}

/* Messages (sent + received), bytes (sent + received) and wraps per
 * element kind. */
static gboolean kind_load(const char *dir, const char *elements, GString *vs, GError **error) {
  g_auto(GStrv) el = g_strsplit(elements, "\n", -1);
  if (!el[0])
    return bad_file(error, dir, "elements.csv", "no header");
  g_auto(GStrv) h = g_strsplit(el[0], ",", -1);
  guint width = g_strv_length(h);
  static const char *const names[] = {"kind",       "msgs_sent",  "msgs_recv",
                                      "bytes_sent", "bytes_recv", "wraps"};
  int c[G_N_ELEMENTS(names)];
  for (guint j = 0; j < G_N_ELEMENTS(names); j++)
    if ((c[j] = column(h, names[j])) < 0)
      return bad_file(error, dir, "elements.csv", "a column is missing");
  guint64 load[G_N_ELEMENTS(kinds)][3] = {{0}};
  for (guint k = 1; el[k]; k++) {
    if (!*el[k])
      continue;
    g_auto(GStrv) f = g_strsplit(el[k], ",", -1);
    if (g_strv_length(f) != width)
      return bad_file(error, dir, "elements.csv", "a row has the wrong number of fields");
    for (guint j = 0; j < G_N_ELEMENTS(kinds); j++) {
      if (strcmp(f[c[0]], kinds[j]) != 0)
        continue;
      load[j][0] += g_ascii_strtoull(f[c[1]], NULL, 10) + g_ascii_strtoull(f[c[2]], NULL, 10);
      load[j][1] += g_ascii_strtoull(f[c[3]], NULL, 10) + g_ascii_strtoull(f[c[4]], NULL, 10);
      load[j][2] += g_ascii_strtoull(f[c[5]], NULL, 10);
    }
  }
  for (guint j = 0; j < G_N_ELEMENTS(kinds); j++)
    g_string_append_printf(vs, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT,
                           load[j][0], load[j][1], load[j][2]);
  return TRUE;
}

/* The figures of one run folder: "header\nvalues" parts returned apart. */
static gboolean run_figures(const char *dir, char **header, char **values, GError **error) {
  g_autofree char *summary = read_text(dir, "summary.csv", error);
  if (!summary)
    return FALSE;
  g_auto(GStrv) lines = g_strsplit(summary, "\n", 3);
  if (!lines[0] || !lines[1])
    return bad_file(error, dir, "summary.csv", "want a header and a row");
  g_auto(GStrv) h = g_strsplit(lines[0], ",", -1);
  guint first = 0, n_h = g_strv_length(h);
  while (first < n_h && strcmp(h[first], FIRST_TOTAL) != 0)
    first++;
  if (first == n_h)
    return bad_file(error, dir, "summary.csv", "no column " FIRST_TOTAL);
  /* fields before the totals may be quoted strings: count from the end */
  g_auto(GStrv) v = g_strsplit(lines[1], ",", -1);
  guint n_v = g_strv_length(v);
  if (n_v < n_h)
    return bad_file(error, dir, "summary.csv", "short row");
  GString *hs = g_string_new(NULL), *vs = g_string_new(NULL);
  for (guint k = first; k < n_h; k++) {
    g_string_append_printf(hs, "%s%s", k > first ? "," : "", h[k]);
    g_string_append_printf(vs, "%s%s", k > first ? "," : "", v[n_v - n_h + k]);
  }

  g_autofree char *rekeys = read_text(dir, "rekeys.csv", error);
  g_autofree char *elements = rekeys ? read_text(dir, "elements.csv", error) : NULL;
  if (!elements) {
    g_string_free(hs, TRUE);
    g_string_free(vs, TRUE);
    return FALSE;
  }
  gboolean ok = per_event_means(dir, rekeys, vs, error) && kind_load(dir, elements, vs, error);
  if (!ok) {
    g_string_free(hs, TRUE);
    g_string_free(vs, TRUE);
    return FALSE;
  }
  *header = figures_header(hs->str);
  g_string_free(hs, TRUE);
  *values = g_string_free(vs, FALSE);
  return TRUE;
}

char *sweep_figures_header(void) {
  g_autofree char *summary = report_summary_header();
  const char *totals = strstr(summary, "," FIRST_TOTAL ",");
  g_assert(totals);
  return figures_header(totals + 1);
}

char *sweep_run_collect(const char *run_dir, GError **error) {
  char *h, *v;
  if (!run_figures(run_dir, &h, &v, error))
    return NULL;
  char *out = g_strdup_printf("%s%c%s", h, SWEEP_FIG_SEP, v);
  g_free(h);
  g_free(v);
  return out;
}
