/* test_ci_target.c — [sweep] ci-target = FIGURE_mean:REL with replications
 * = MIN..MAX (issue 14). The decision is checked against the documented
 * rule, computed here on its own: a point gets the first n >= MIN whose
 * first n replications give a 95 % Student-t half-width t(0.975, n-1) s/√n
 * below REL x |mean| (or 0), else MAX; rows are replications 1..n with the
 * seeds of the seed rule; the files do not depend on --jobs; and without
 * ci-target nothing changes. */
#include <glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "test_files.h"

static const char *base_ini = "[run]\n"
                              "name = ci\n"
                              "duration = 20\n"
                              "seed = 5\n"
                              "[workload]\n"
                              "initial-members = 40\n"
                              "join-rate = 1\n"
                              "mean-membership = 30\n"
                              "[sweep]\n"
                              "run.embodiment = 1, 2\n";

/* t(0.975, df), df = 1..30, from the standard tables. */
static double t975(guint df) {
  static const double t[30] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
                               2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
                               2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
                               2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  g_assert(df >= 1 && df <= 30);
  return t[df - 1];
}

/* SplitMix64's finaliser, as README states the seed rule. */
static guint64 seed_of(guint64 seed, guint rep) {
  if (rep == 1)
    return seed;
  guint64 z = seed + (guint64)(rep - 1) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static int col(char **h, const char *name) {
  for (int i = 0; h[i]; i++)
    if (strcmp(h[i], name) == 0)
      return i;
  g_error("no column %s", name);
}

/* Checks sweep.csv and sweep-stats.csv of `sub` against the rule. */
static void check_rule(const char *dir, const char *sub, const char *fig, double rel, guint min,
                       guint max, guint *reached_out) {
  g_autofree char *csv = read_in(dir, sub, "sweep.csv");
  g_autofree char *stats = read_in(dir, sub, "sweep-stats.csv");
  g_auto(GStrv) rows = g_strsplit(csv, "\n", -1);
  g_auto(GStrv) h = g_strsplit(rows[0], ",", -1);
  int c_emb = col(h, "run.embodiment"), c_rep = col(h, "replication"), c_seed = col(h, "seed"),
      c_fig = col(h, fig);
  g_auto(GStrv) srows = g_strsplit(stats, "\n", -1);
  g_auto(GStrv) sh = g_strsplit(srows[0], ",", -1);
  g_assert_cmpstr(sh[g_strv_length(sh) - 1], ==, "ci_target_reached");
  int s_reps = col(sh, "replications"), s_reached = col(sh, "ci_target_reached");
  guint row = 1, reached = 0;
  for (guint p = 0; p < 2; p++) {
    /* this point's values, replication by replication, as long as rows say so */
    double x[64];
    guint n = 0;
    while (rows[row] && *rows[row]) {
      g_auto(GStrv) c = g_strsplit(rows[row], ",", -1);
      if (g_ascii_strtoull(c[c_emb], NULL, 10) != p + 1)
        break;
      g_assert_cmpuint(g_ascii_strtoull(c[c_rep], NULL, 10), ==, n + 1);
      g_assert_cmpuint(g_ascii_strtoull(c[c_seed], NULL, 10), ==, seed_of(5, n + 1));
      g_assert_cmpstr(c[c_fig], !=, "");
      x[n++] = g_ascii_strtod(c[c_fig], NULL);
      row++;
    }
    /* the rule, on the first k values */
    guint want = max;
    gboolean ok = FALSE;
    for (guint k = min; k <= max; k++) {
      if (k < 2)
        continue;
      double mean = 0, ss = 0;
      for (guint j = 0; j < k && j < n; j++)
        mean += x[j];
      mean /= k;
      for (guint j = 0; j < k && j < n; j++)
        ss += (x[j] - mean) * (x[j] - mean);
      double half = t975(k - 1) * sqrt(ss / (k - 1)) / sqrt(k);
      if (k <= n && (half == 0 || half < rel * fabs(mean))) {
        want = k;
        ok = TRUE;
        break;
      }
    }
    g_assert_cmpuint(n, ==, want);
    g_auto(GStrv) s = g_strsplit(srows[p + 1], ",", -1);
    g_assert_cmpuint(g_ascii_strtoull(s[s_reps], NULL, 10), ==, n);
    g_assert_cmpstr(s[s_reached], ==, ok ? "true" : "false");
    reached += ok;
  }
  g_assert_true(!rows[row] || !*rows[row]); /* no row left over */
  *reached_out = reached;
}

static void test_rule_and_jobs(void) {
  TmpScenario t = tmp_scenario(base_ini, NULL);
  /* a target some points reach after a few replications */
  const char *a[] = {"-q",
                     "--jobs",
                     "2",
                     "--set",
                     "sweep.replications=2..12",
                     "--set",
                     "sweep.ci-target=p2m_tx_per_leave_mean:0.1",
                     "-o",
                     "j2",
                     "s.ini",
                     NULL};
  g_assert_cmpint(run_sim_in(t.dir, a, NULL), ==, 0);
  guint reached;
  check_rule(t.dir, "j2", "p2m_tx_per_leave", 0.1, 2, 12, &reached);
  const char *b[] = {"-q",
                     "--jobs",
                     "1",
                     "--set",
                     "sweep.replications=2..12",
                     "--set",
                     "sweep.ci-target=p2m_tx_per_leave_mean:0.1",
                     "-o",
                     "j1",
                     "s.ini",
                     NULL};
  g_assert_cmpint(run_sim_in(t.dir, b, NULL), ==, 0);
  const char *files[] = {"sweep.csv", "sweep-stats.csv"};
  for (guint i = 0; i < 2; i++) {
    g_autofree char *x = read_in(t.dir, "j2", files[i]), *y = read_in(t.dir, "j1", files[i]);
    g_assert_cmpstr(x, ==, y);
  }

  /* a target no point can reach: MAX everywhere, reached false */
  const char *c[] = {"--set", "sweep.replications=3..5",
                     "--set", "sweep.ci-target=bytes_per_leave_mean:1e-9",
                     "-o",    "never",
                     "s.ini", NULL};
  char *out = NULL;
  g_assert_cmpint(run_sim_in(t.dir, c, &out), ==, 0);
  g_assert_nonnull(strstr(out, "ci-target: 0 of 2 points reached bytes_per_leave_mean"));
  g_free(out);
  check_rule(t.dir, "never", "bytes_per_leave", 1e-9, 3, 5, &reached);
  g_assert_cmpuint(reached, ==, 0);

  /* a figure equal in every replication (final members have no spread
   * when nobody leaves: 40 members, no churn): reached at MIN */
  const char *d[] = {"-q",
                     "--set",
                     "workload.join-rate=0",
                     "--set",
                     "workload.mean-membership=0",
                     "--set",
                     "sweep.replications=3..5",
                     "--set",
                     "sweep.ci-target=final_members_mean:0.01",
                     "-o",
                     "flat",
                     "s.ini",
                     NULL};
  g_assert_cmpint(run_sim_in(t.dir, d, NULL), ==, 0);
  check_rule(t.dir, "flat", "final_members", 0.01, 3, 5, &reached);
  g_assert_cmpuint(reached, ==, 2);
  g_autofree char *flat = read_in(t.dir, "flat", "sweep-stats.csv");
  g_assert_nonnull(strstr(flat, "\n1,3,"));
  tmp_free(&t);
}

/* replications = N without ci-target keeps its meaning and files; MIN = MAX
 * = N with ci-target gives the same sweep.csv. */
static void test_fixed_unchanged(void) {
  TmpScenario t = tmp_scenario(base_ini, NULL);
  const char *a[] = {"-q", "--set", "sweep.replications=3", "-o", "fixed", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, a, NULL), ==, 0);
  const char *b[] = {"-q",
                     "--set",
                     "sweep.replications=3..3",
                     "--set",
                     "sweep.ci-target=joins_mean:1e-9",
                     "-o",
                     "range",
                     "s.ini",
                     NULL};
  g_assert_cmpint(run_sim_in(t.dir, b, NULL), ==, 0);
  g_autofree char *x = read_in(t.dir, "fixed", "sweep.csv"), *y = read_in(t.dir, "range", "sweep.csv");
  g_assert_cmpstr(x, ==, y);
  g_autofree char *s = read_in(t.dir, "fixed", "sweep-stats.csv");
  g_assert_null(strstr(s, "ci_target_reached"));
  g_auto(GStrv) lines = g_strsplit(s, "\n", 2);
  g_assert_true(g_str_has_suffix(lines[0], "_ci95"));

  /* errors: one line, exit 2, nothing written */
  const char *bad[][2] = {
      {"sweep.replications=2..5", "sweep.replications: a range MIN..MAX needs sweep.ci-target"},
      {"sweep.ci-target=nope_mean:0.1", "'nope_mean' is not a figure of sweep-stats.csv"},
      {"sweep.ci-target=joins:0.1", "want FIGURE_mean:REL"},
      {"sweep.ci-target=joins_mean:-1", "'-1' is not a real number > 0"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    const char *argv[] = {
        g_getenv("MBMS_SIM"), "-q", "--set", bad[i][0], "-o", "bad", "s.ini", NULL};
    char *o = NULL, *e = NULL;
    int status = -1;
    g_assert_true(g_spawn_sync(t.dir, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e,
                               &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 2);
    g_assert_nonnull(strstr(e, bad[i][1]));
    g_assert_cmpuint(strchr(e, '\n') - e + 1, ==, strlen(e)); /* one line */
    g_autofree char *bad_dir = g_build_filename(t.dir, "bad", NULL);
    g_assert_false(g_file_test(bad_dir, G_FILE_TEST_EXISTS));
    g_free(o);
    g_free(e);
  }
  /* --shard cannot split a sweep whose runs depend on earlier runs */
  const char *sh[] = {"-q",
                      "--shard",
                      "1/2",
                      "--set",
                      "sweep.replications=2..3",
                      "--set",
                      "sweep.ci-target=joins_mean:0.1",
                      "-o",
                      "bad",
                      "s.ini",
                      NULL};
  g_assert_cmpint(run_sim_in(t.dir, sh, NULL), ==, 2);
  tmp_free(&t);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ci-target/rule-and-jobs", test_rule_and_jobs);
  g_test_add_func("/ci-target/fixed-unchanged", test_fixed_unchanged);
  return g_test_run();
}
