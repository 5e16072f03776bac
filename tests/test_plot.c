/* test_plot.c — scripts/plot on sweeps: every figure is written (PDF with
 * embedded TrueType fonts, PNG, caption, data), and the numbers it plots
 * are those of sweep-stats.csv. Skipped when Debian's python3-matplotlib is
 * missing. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test_files.h"

static const char *const stems[] = {"msgs_per_leave_vs_group",
                                    "msgs_per_join_vs_group",
                                    "msgs_vs_subgroup",
                                    "latency_cdf",
                                    "element_load",
                                    "embodiments",
                                    "security"};

static int run_in(const char *cwd, const char *const *argv, char **out, char **err) {
  int status = -1;
  GError *error = NULL;
  char *o = NULL, *e = NULL;
  g_assert_true(
      g_spawn_sync(cwd, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status, &error));
  g_assert_no_error(error);
  if (out)
    *out = o;
  else
    g_free(o);
  if (err)
    *err = e;
  else
    g_free(e);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static gboolean have_matplotlib(void) {
  const char *argv[] = {"/usr/bin/python3", "-c", "import matplotlib", NULL};
  if (!g_file_test(argv[0], G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  return run_in(NULL, argv, NULL, NULL) == 0;
}

/* CSV lines split on commas (the files checked here have no quoted cells). */
static GPtrArray *csv_rows(const char *path) {
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    g_error("cannot read %s", path);
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
  char **lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      g_ptr_array_add(rows, g_strsplit(lines[i], ",", -1));
  g_strfreev(lines);
  g_free(text);
  return rows;
}

static int column(char **header, const char *name) {
  for (int i = 0; header[i]; i++)
    if (strcmp(header[i], name) == 0)
      return i;
  return -1;
}

/* Runs a sweep of `ini` and plots it; checks the files and the numbers. */
static void check_sweep_plots(const char *ini, guint want_points, const char *extra_stem) {
  const char *sim = g_getenv("MBMS_SIM"), *src = g_getenv("MBMS_SRCDIR");
  if (!sim || !src) {
    g_test_skip("MBMS_SIM / MBMS_SRCDIR not set (run through meson test)");
    return;
  }
  if (!have_matplotlib()) {
    g_test_skip("/usr/bin/python3 has no matplotlib (apt-get install python3-matplotlib)");
    return;
  }
  GError *error = NULL;
  char *dir = g_dir_make_tmp("mbms-plot-XXXXXX", &error);
  g_assert_no_error(error);
  char *ini_path = g_build_filename(dir, "s.ini", NULL);
  g_assert_true(g_file_set_contents(ini_path, ini, -1, NULL));
  const char *run[] = {sim, "-q", "-o", "sw", "s.ini", NULL};
  g_assert_cmpint(run_in(dir, run, NULL, NULL), ==, 0);

  char *plot = g_build_filename(src, "scripts", "plot", NULL);
  const char *argv[] = {plot, "sw", NULL};
  char *out = NULL, *err = NULL;
  int st = run_in(dir, argv, &out, &err);
  if (st != 0)
    g_error("scripts/plot: exit %d: %s", st, err);

  char *sw = g_build_filename(dir, "sw", NULL);
  char *stats_path = g_build_filename(sw, "sweep-stats.csv", NULL);
  GPtrArray *stats = csv_rows(stats_path);
  g_assert_cmpuint(stats->len, ==, want_points + 1);
  char **sh = g_ptr_array_index(stats, 0);
  const char *all[G_N_ELEMENTS(stems) + 1];
  guint n_stems = 0;
  for (guint i = 0; i < G_N_ELEMENTS(stems); i++)
    all[n_stems++] = stems[i];
  if (extra_stem)
    all[n_stems++] = extra_stem;
  for (guint i = 0; i < n_stems; i++) {
    static const char *const ext[] = {".pdf", ".png", ".txt", ".csv"};
    for (guint e = 0; e < G_N_ELEMENTS(ext); e++) {
      char *name = g_strconcat("sw/plots/", all[i], ext[e], NULL);
      g_assert_nonnull(strstr(out, name)); /* its path is printed */
      char *path = g_build_filename(dir, name, NULL), *text = NULL;
      gsize len = 0;
      g_assert_true(g_file_get_contents(path, &text, &len, NULL));
      g_assert_cmpuint(len, >, 0);
      if (e == 0) {
        g_assert_true(g_str_has_prefix(text, "%PDF-"));
        /* fonts embedded as TrueType (pdf.fonttype 42), never Type 3 */
        g_assert_nonnull(memmem(text, len, "/FontFile2", 10));
        g_assert_null(memmem(text, len, "/Type3", 6));
      } else if (e == 1) {
        g_assert_true(memcmp(text, "\x89PNG", 4) == 0);
      } else if (e == 2) {
        g_assert_nonnull(strstr(text, "Seeds:"));
        g_assert_nonnull(strstr(text, "Sweep sweeptest"));
        if (strcmp(all[i], "msgs_vs_handover") == 0)
          g_assert_nonnull(strstr(text, "Crossover (linear interpolation"));
      }
      g_free(text);
      g_free(path);
      g_free(name);
    }
    if (strcmp(all[i], "latency_cdf") == 0)
      continue;
    /* the plotted numbers: each is a cell of sweep-stats.csv */
    char *data_path = g_strconcat(sw, "/plots/", all[i], ".csv", NULL);
    GPtrArray *data = csv_rows(data_path);
    char **dh = g_ptr_array_index(data, 0);
    int c_point = column(dh, "point"), c_fig = column(dh, "figure"), c_mean = column(dh, "mean"),
        c_ci = column(dh, "ci95");
    g_assert_cmpint(c_point, >=, 0);
    g_assert_cmpint(c_ci, >=, 0);
    g_assert_cmpuint(data->len, >, 1);
    for (guint r = 1; r < data->len; r++) {
      char **row = g_ptr_array_index(data, r);
      guint point = (guint)atoi(row[c_point]);
      g_assert_cmpuint(point, >=, 1);
      g_assert_cmpuint(point, <=, want_points);
      char **srow = g_ptr_array_index(stats, point);
      char *plus = strchr(row[c_fig], '+');
      if (plus) { /* a sum of two means */
        char *a = g_strndup(row[c_fig], (gsize)(plus - row[c_fig]));
        char *ma = g_strconcat(a, "_mean", NULL), *mb = g_strconcat(plus + 1, "_mean", NULL);
        double want =
            g_ascii_strtod(srow[column(sh, ma)], NULL) + g_ascii_strtod(srow[column(sh, mb)], NULL);
        g_assert_cmpfloat_with_epsilon(g_ascii_strtod(row[c_mean], NULL), want,
                                       1e-9 * fabs(want) + 1e-12);
        g_free(a);
        g_free(ma);
        g_free(mb);
        continue;
      }
      char *m = g_strconcat(row[c_fig], "_mean", NULL), *c = g_strconcat(row[c_fig], "_ci95", NULL);
      int cm = column(sh, m), cc = column(sh, c);
      if (cm < 0)
        g_error("%s: figure %s is not in sweep-stats.csv", data_path, row[c_fig]);
      g_assert_cmpstr(row[c_mean], ==, srow[cm]);
      g_assert_cmpstr(row[c_ci], ==, srow[cc]);
      g_free(m);
      g_free(c);
    }
    g_ptr_array_unref(data);
    g_free(data_path);
  }
  g_ptr_array_unref(stats);
  g_free(stats_path);
  g_free(sw);
  g_free(out);
  g_free(err);
  g_free(plot);
  g_free(ini_path);
  rm_rf(dir);
  g_free(dir);
}

static void test_sweep_plots(void) {
  check_sweep_plots("[run]\nname = sweeptest\nduration = 10\n"
                    "[workload]\ninitial-members = 20\njoin-rate = 1\nmean-membership = 15\n"
                    "[sweep]\nrun.embodiment = 1, 2\nworkload.initial-members = 20, 40\n"
                    "topology.subgroup-size = 2, 4\nreplications = 2\n",
                    8, NULL);
}

/* nothing swept but the replications, one scheme: still every figure */
static void test_replications_only(void) {
  check_sweep_plots("[run]\nname = sweeptest\nduration = 10\n"
                    "[workload]\ninitial-members = 20\njoin-rate = 1\nmean-membership = 15\n"
                    "[sweep]\nreplications = 3\n",
                    1, NULL);
}

/* a mobility sweep: the figures above and msgs_vs_handover */
static void test_mobility_plots(void) {
  check_sweep_plots("[run]\nname = sweeptest\nduration = 10\n"
                    "[workload]\ninitial-members = 20\njoin-rate = 1\nmean-membership = 15\n"
                    "[mobility]\nhandover-rate = 0\n"
                    "[sweep]\nrun.embodiment = 1, 2\nmobility.handover-rate = 0, 0.1, 0.3\n"
                    "replications = 2\n",
                    6, "msgs_vs_handover");
}

/* t(0.975, df) for the few df used here (standard tables). */
static double t975(guint df) {
  static const double t[] = {0, 12.7062047, 4.30265273, 3.18244631, 2.77644511};
  g_assert_cmpuint(df, <, G_N_ELEMENTS(t));
  return t[df];
}

/* A sweep over the common-channel loss (docs/reliability.md): loss_msgs and
 * loss_undecryptable are written; loss_undecryptable's numbers are cells of
 * sweep-stats.csv, loss_msgs's are recomputed here from sweep.csv (per run
 * (p2p + p2m tx + repeats + requests + answers) / leaves; mean and 95 %
 * Student-t half-width over the replications). */
static void test_loss_plots(void) {
  const char *sim = g_getenv("MBMS_SIM"), *src = g_getenv("MBMS_SRCDIR");
  if (!sim || !src) {
    g_test_skip("MBMS_SIM / MBMS_SRCDIR not set (run through meson test)");
    return;
  }
  if (!have_matplotlib()) {
    g_test_skip("/usr/bin/python3 has no matplotlib (apt-get install python3-matplotlib)");
    return;
  }
  char *dir = g_dir_make_tmp("mbms-plot-XXXXXX", NULL);
  char *ini_path = g_build_filename(dir, "s.ini", NULL);
  g_assert_true(g_file_set_contents(
      ini_path,
      "[run]\nname = sweeptest\nduration = 20\n"
      "[workload]\ninitial-members = 40\nmean-membership = 40\n[data]\nrate = 8000\n"
      "[loss]\ncommon = bernoulli\n[reliability]\nrecovery = true\n"
      "[sweep]\nrun.scheme = patent, lkh\nloss.common-loss = 0, 0.2\nreplications = 3\n",
      -1, NULL));
  const char *run[] = {sim, "-q", "-o", "sw", "s.ini", NULL};
  g_assert_cmpint(run_in(dir, run, NULL, NULL), ==, 0);
  char *plot = g_build_filename(src, "scripts", "plot", NULL);
  const char *argv[] = {plot, "sw", NULL};
  char *out = NULL, *err = NULL;
  int st = run_in(dir, argv, &out, &err);
  if (st != 0)
    g_error("scripts/plot: exit %d: %s", st, err);
  g_assert_nonnull(strstr(out, "sw/plots/loss_msgs.pdf"));
  g_assert_nonnull(strstr(out, "sw/plots/loss_undecryptable.pdf"));

  char *sw = g_build_filename(dir, "sw", NULL);
  char *stats_path = g_build_filename(sw, "sweep-stats.csv", NULL);
  char *runs_path = g_build_filename(sw, "sweep.csv", NULL);
  GPtrArray *stats = csv_rows(stats_path), *runs = csv_rows(runs_path);
  char **sh = g_ptr_array_index(stats, 0), **rh = g_ptr_array_index(runs, 0);
  char *und_path = g_build_filename(sw, "plots", "loss_undecryptable.csv", NULL);
  GPtrArray *und = csv_rows(und_path);
  g_assert_cmpuint(und->len, ==, 1 + 4);
  for (guint r = 1; r < und->len; r++) {
    char **row = g_ptr_array_index(und, r);
    char **srow = g_ptr_array_index(stats, atoi(row[2]));
    g_assert_cmpstr(row[4], ==, srow[column(sh, "data_undecryptable_by_members_mean")]);
  }
  char *msgs_path = g_build_filename(sw, "plots", "loss_msgs.csv", NULL);
  GPtrArray *msgs = csv_rows(msgs_path);
  g_assert_cmpuint(msgs->len, ==, 1 + 4);
  const char *parts[] = {"p2p_msgs", "p2m_tx", "p2m_repeats", "key_requests", "recovery_replies"};
  for (guint r = 1; r < msgs->len; r++) {
    char **row = g_ptr_array_index(msgs, r);
    char **srow = g_ptr_array_index(stats, atoi(row[2]));
    /* this point's runs: the same scheme and loss in sweep.csv */
    double v[8], sum = 0;
    guint n = 0;
    for (guint k = 1; k < runs->len; k++) {
      char **run_row = g_ptr_array_index(runs, k);
      if (strcmp(run_row[column(rh, "run.scheme")], srow[column(sh, "run.scheme")]) != 0 ||
          strcmp(run_row[column(rh, "loss.common-loss")], srow[column(sh, "loss.common-loss")]))
        continue;
      double msgs_sum = 0;
      for (guint j = 0; j < G_N_ELEMENTS(parts); j++)
        msgs_sum += g_ascii_strtod(run_row[column(rh, parts[j])], NULL);
      g_assert_cmpuint(n, <, G_N_ELEMENTS(v));
      v[n] = msgs_sum / g_ascii_strtod(run_row[column(rh, "leaves")], NULL);
      sum += v[n++];
    }
    g_assert_cmpuint(n, ==, 3);
    double mean = sum / n, ss = 0;
    for (guint k = 0; k < n; k++)
      ss += (v[k] - mean) * (v[k] - mean);
    double ci = t975(n - 1) * sqrt(ss / (n - 1) / n);
    g_assert_cmpfloat_with_epsilon(g_ascii_strtod(row[4], NULL), mean, 1e-9 * mean);
    g_assert_cmpfloat_with_epsilon(g_ascii_strtod(row[5], NULL), ci, 1e-9 * mean + 1e-12);
  }
  g_ptr_array_unref(msgs);
  g_ptr_array_unref(und);
  g_ptr_array_unref(stats);
  g_ptr_array_unref(runs);
  g_free(msgs_path);
  g_free(und_path);
  g_free(stats_path);
  g_free(runs_path);
  g_free(sw);
  g_free(out);
  g_free(err);
  g_free(plot);
  g_free(ini_path);
  rm_rf(dir);
  g_free(dir);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/plot/loss", test_loss_plots);
  g_test_add_func("/plot/sweep", test_sweep_plots);
  g_test_add_func("/plot/replications-only", test_replications_only);
  g_test_add_func("/plot/mobility", test_mobility_plots);
  return g_test_run();
}
