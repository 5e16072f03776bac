/* sweep_stats.c — the result tables: sweep.csv (one row per run) and
 * sweep-stats.csv (per point: mean, standard deviation and Student-t 95 %
 * confidence half-width of every figure), written atomically. */
#include "app/sweep_private.h"

#include <math.h>
#include <string.h>

#include "app/report.h"

/* t(0.975, df) for df = 1..30 (standard tables, 9 significant digits);
 * above, the Cornish-Fisher expansion in 1/df around z = 1.959963985,
 * within 2e-6 of the exact quantile for df > 30. */
double sweep_t975(guint df) {
  static const double table[30] = {12.7062047, 4.30265273, 3.18244631, 2.77644511, 2.57058184,
                                   2.44691185, 2.36462425, 2.30600414, 2.26215716, 2.22813885,
                                   2.20098516, 2.17881283, 2.16036866, 2.14478669, 2.13144955,
                                   2.11990530, 2.10981558, 2.10092204, 2.09302405, 2.08596345,
                                   2.07961384, 2.07387307, 2.06865761, 2.06389856, 2.05953855,
                                   2.05552944, 2.05183052, 2.04840714, 2.04522964, 2.04227246};
  g_assert(df >= 1);
  if (df <= 30)
    return table[df - 1];
  const double z = 1.959963984540054, n = df;
  double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n) +
         (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * n * n * n * n);
}

/* RFC 4180: quoted only when needed. */
static void csv_cell(GString *s, const char *v) {
  if (!strpbrk(v, ",\"\r\n")) {
    g_string_append(s, v);
    return;
  }
  g_string_append_c(s, '"');
  for (const char *c = v; *c; c++) {
    if (*c == '"')
      g_string_append_c(s, '"');
    g_string_append_c(s, *c);
  }
  g_string_append_c(s, '"');
}

static void append_double(GString *s, double x) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, "%.10g", x == 0 ? 0.0 : x);
  g_string_append(s, buf);
}

gboolean sweep_rows_write(const char *dir, const SweepRows *t, GError **error) {
  const char *sep0 = strchr(t->figures[0], SWEEP_FIG_SEP);
  g_autofree char *fig_header = g_strndup(t->figures[0], (gsize)(sep0 - t->figures[0]));
  g_auto(GStrv) figs = g_strsplit(fig_header, ",", -1);
  guint n_fig = g_strv_length(figs);

  GString *csv = g_string_new(NULL), *stats = g_string_new(NULL);
  for (guint d = 0; d < t->n_dims; d++) {
    csv_cell(csv, t->dim_keys[d]);
    g_string_append_c(csv, ',');
    csv_cell(stats, t->dim_keys[d]);
    g_string_append_c(stats, ',');
  }
  g_string_append_printf(csv, "replication,seed,run,%s\n", fig_header);
  g_string_append(stats, "replications");
  for (guint f = 0; f < n_fig; f++)
    g_string_append_printf(stats, ",%s_mean,%s_sd,%s_ci95", figs[f], figs[f], figs[f]);
  if (t->point_n)
    g_string_append(stats, ",ci_target_reached");
  g_string_append_c(stats, '\n');
  guint pt = 0, pos = 0; /* point of run i, and i's place in it */

  gboolean ok = TRUE;
  double *x = g_new(double, (gsize)t->replications *n_fig + 1);
  guint *n = g_new0(guint, n_fig + 1);
  for (guint i = 0; i < t->n_runs && ok; i++) {
    const char *sep = strchr(t->figures[i], SWEEP_FIG_SEP);
    if (!sep || (gsize)(sep - t->figures[i]) != strlen(fig_header) ||
        strncmp(t->figures[i], fig_header, strlen(fig_header)) != 0) {
      ok = sweep_invalid(error,
                         "sweep: runs have different figure columns (mixed mbms-sim versions?)");
      break;
    }
    for (guint d = 0; d < t->n_dims; d++)
      g_string_append_printf(csv, "%s,", t->dim_values[(gsize)i * t->n_dims + d]);
    g_string_append_printf(csv, "%s,%s\n", t->run_prefix[i], sep + 1);

    /* statistics of a point once its last replication is in */
    guint r = t->point_n ? pos : i % t->replications;
    guint reps = t->point_n ? t->point_n[pt] : t->replications;
    if (t->point_n && ++pos == reps)
      pos = 0, pt++;
    g_auto(GStrv) v = g_strsplit(sep + 1, ",", -1);
    if (g_strv_length(v) != n_fig) {
      ok = sweep_invalid(error, "sweep: a run has %u figures, want %u", g_strv_length(v), n_fig);
      break;
    }
    if (r == 0)
      memset(n, 0, sizeof *n * n_fig);
    for (guint f = 0; f < n_fig; f++)
      if (*v[f])
        x[(gsize)f * t->replications + n[f]++] = g_ascii_strtod(v[f], NULL);
    if (r + 1 < reps)
      continue;
    for (guint d = 0; d < t->n_dims; d++)
      g_string_append_printf(stats, "%s,", t->dim_values[(gsize)i * t->n_dims + d]);
    g_string_append_printf(stats, "%u", reps);
    for (guint f = 0; f < n_fig; f++) {
      const double *xs = x + (gsize)f * t->replications;
      g_string_append_c(stats, ',');
      if (n[f] == 0) {
        g_string_append(stats, ",,");
        continue;
      }
      double mean = 0;
      for (guint k = 0; k < n[f]; k++)
        mean += xs[k];
      mean /= n[f];
      append_double(stats, mean);
      g_string_append_c(stats, ',');
      if (n[f] < 2) {
        g_string_append_c(stats, ',');
        continue;
      }
      double ss = 0;
      for (guint k = 0; k < n[f]; k++)
        ss += (xs[k] - mean) * (xs[k] - mean);
      double sd = sqrt(ss / (n[f] - 1));
      append_double(stats, sd);
      g_string_append_c(stats, ',');
      append_double(stats, sweep_t975(n[f] - 1) * sd / sqrt(n[f]));
    }
    if (t->point_n)
      g_string_append(stats, t->reached[pt - 1] ? ",true" : ",false");
    g_string_append_c(stats, '\n');
  }
  g_free(x);
  g_free(n);
  if (ok) {
    g_autofree char *p1 = g_build_filename(dir, "sweep.csv", NULL);
    g_autofree char *p2 = g_build_filename(dir, "sweep-stats.csv", NULL);
    ok = sweep_folder_check(dir, error) &&
         report_write_file_atomic(p1, csv->str, csv->len, error) &&
         report_write_file_atomic(p2, stats->str, stats->len, error);
  }
  g_string_free(csv, TRUE);
  g_string_free(stats, TRUE);
  return ok;
}

void sweep_rows_clear(SweepRows *t) {
  g_strfreev(t->dim_keys);
  if (t->dim_values)
    for (gsize k = 0; k < (gsize)t->n_runs * t->n_dims; k++)
      g_free(t->dim_values[k]);
  g_free(t->dim_values);
  if (t->run_prefix)
    for (guint i = 0; i < t->n_runs; i++)
      g_free(t->run_prefix[i]);
  g_free(t->run_prefix);
}

static char *cell(const char *v) {
  GString *s = g_string_new(NULL);
  csv_cell(s, v);
  return g_string_free(s, FALSE);
}

/* The plan's columns for run i: dims cells and the prefix. */
void sweep_rows_from_plan(const SweepPlan *plan, char **figures, SweepRows *t) {
  t->n_dims = plan->dims->len;
  t->replications = plan->replications;
  t->n_runs = plan->n_runs;
  t->dim_keys = g_new0(char *, t->n_dims + 1);
  for (guint d = 0; d < t->n_dims; d++)
    t->dim_keys[d] = g_strdup(((SweepDim *)g_ptr_array_index(plan->dims, d))->key);
  t->dim_values = g_new0(char *, (gsize)t->n_runs * t->n_dims + 1);
  t->run_prefix = g_new0(char *, t->n_runs + 1);
  for (guint i = 0; i < t->n_runs; i++) {
    for (guint d = 0; d < t->n_dims; d++)
      t->dim_values[(gsize)i * t->n_dims + d] =
          cell(sweep_point_value(plan, i / plan->replications, d));
    g_autofree char *rel = sweep_run_rel(plan, i);
    g_autofree char *relc = cell(rel);
    t->run_prefix[i] = g_strdup_printf("%u,%" G_GUINT64_FORMAT ",%s", i % plan->replications + 1,
                                       sweep_run_seed(plan, i), relc);
  }
  t->figures = figures;
}

/* The value of figure column `col` in a figures string; FALSE if empty. */
static gboolean figure_value(const char *figures, guint col, double *out) {
  const char *v = strchr(figures, SWEEP_FIG_SEP);
  g_assert(v);
  v++;
  for (guint c = 0; c < col; c++) {
    v = strchr(v, ',');
    g_assert(v);
    v++;
  }
  if (*v == ',' || *v == '\0')
    return FALSE;
  *out = g_ascii_strtod(v, NULL);
  return TRUE;
}

static guint figure_column(const char *figures, const char *name) {
  const char *sep = strchr(figures, SWEEP_FIG_SEP);
  g_autofree char *header = g_strndup(figures, (gsize)(sep - figures));
  g_auto(GStrv) h = g_strsplit(header, ",", -1);
  for (guint c = 0; h[c]; c++)
    if (strcmp(h[c], name) == 0)
      return c;
  g_assert_not_reached(); /* the plan checked the name against the same header */
}

gboolean sweep_ci_reached(const SweepPlan *plan, char **figures, guint p, guint n) {
  guint base = p * plan->replications, k = 0;
  g_assert(n <= plan->replications && figures[base]);
  guint col = figure_column(figures[base], plan->ci_figure);
  double *x = g_new(double, n);
  for (guint r = 0; r < n; r++) {
    g_assert(figures[base + r]);
    if (figure_value(figures[base + r], col, &x[k]))
      k++;
  }
  gboolean ok = FALSE;
  if (k >= 2) {
    double mean = 0, ss = 0;
    for (guint j = 0; j < k; j++)
      mean += x[j];
    mean /= k;
    for (guint j = 0; j < k; j++)
      ss += (x[j] - mean) * (x[j] - mean);
    double half = sweep_t975(k - 1) * sqrt(ss / (k - 1)) / sqrt(k);
    ok = half == 0 || half < plan->ci_rel * fabs(mean);
  }
  g_free(x);
  return ok;
}

/* ci-target: only the runs that ran, point by point, in run order. */
static gboolean write_ci_results(const SweepPlan *plan, char **figures, GError **error) {
  SweepRows all = {0};
  sweep_rows_from_plan(plan, figures, &all);
  guint n = 0;
  for (guint p = 0; p < plan->n_points; p++)
    n += plan->point_n[p];
  SweepRows t = {.n_dims = all.n_dims,
                 .replications = plan->replications,
                 .n_runs = n,
                 .dim_keys = all.dim_keys,
                 .n_points = plan->n_points,
                 .point_n = plan->point_n,
                 .reached = plan->reached};
  t.dim_values = g_new0(char *, (gsize)n *t.n_dims + 1);
  t.run_prefix = g_new0(char *, n + 1);
  t.figures = g_new0(char *, n + 1);
  guint k = 0;
  for (guint p = 0; p < plan->n_points; p++) {
    for (guint r = 0; r < plan->point_n[p]; r++, k++) {
      guint i = p * plan->replications + r;
      for (guint d = 0; d < t.n_dims; d++)
        t.dim_values[(gsize)k * t.n_dims + d] = all.dim_values[(gsize)i * t.n_dims + d];
      t.run_prefix[k] = all.run_prefix[i];
      t.figures[k] = figures[i];
    }
  }
  gboolean ok = sweep_rows_write(plan->dir, &t, error);
  g_free(t.dim_values); /* borrowed from `all` */
  g_free(t.run_prefix);
  g_free(t.figures);
  sweep_rows_clear(&all);
  return ok;
}

gboolean sweep_write_results(const SweepPlan *plan, char **figures, GError **error) {
  if (plan->ci_figure)
    return write_ci_results(plan, figures, error);
  SweepRows t = {0};
  sweep_rows_from_plan(plan, figures, &t);
  gboolean ok = sweep_rows_write(plan->dir, &t, error);
  sweep_rows_clear(&t);
  return ok;
}
