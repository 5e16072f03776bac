/* test_common_batch.c — the UEs' batch entry for common-channel key
 * assignments (node.h's on_common: one call per transmission for all its
 * receivers, used when no loss model runs) against one call per receiver
 * (what the transport does with a loss model): the same run with a
 * Bernoulli common-channel loss of 0 (every receiver drawn, none lost,
 * each dispatched on its own) gives, on churn in every scheme and both
 * embodiments with join rekeys and the adversaries on, the lossless run's
 * rekeys.csv (its columns; the lossy run adds the loss model's) and every
 * summary.csv column the two share. */
#include <glib.h>
#include <string.h>

#include "app/report.h"
#include "app/run.h"
#include "app/scenario.h"
#include "keytree/kt_keygen.h"

#include "test_files.h"

/* 2 SGSNs x 2 RNCs x 3 cells, 240 members in sub-groups of 6, joins 4/s
 * and a mean stay of 60 s over 40 s: many holders per transmission. */
static const char *churn_ini = "[run]\nname = batch\nseed = 11\nduration = 40\njoin-rekey = true\n"
                               "[topology]\nrnc-per-sgsn = 2\ncells-per-rnc = 3\n"
                               "subgroup-size = 6\n"
                               "[workload]\ninitial-members = 240\njoin-rate = 4\n"
                               "mean-membership = 60\n";

/* Runs the scenario with `sets` (and `more`, NULL-ended, may be empty)
 * into dir/sub. */
static void run_into(const char *ini, const char *dir, const char *sub, const char *const *sets,
                     const char *const *more) {
  const char *o[12];
  guint n = 0;
  for (guint i = 0; sets[i]; i++)
    o[n++] = sets[i];
  for (guint i = 0; more[i]; i++)
    o[n++] = more[i];
  o[n] = NULL;
  GError *error = NULL;
  Scenario *scn = scn_load(ini, o, &error);
  g_assert_no_error(error);
  RunResult r;
  g_assert_true(run_scenario(scn, NULL, &r, &error));
  g_assert_no_error(error);
  char *out = g_build_filename(dir, sub, NULL);
  g_assert_true(report_write(out, scn, r.metrics, &r.summary, &error));
  g_assert_no_error(error);
  g_free(out);
  run_result_clear(&r);
  scn_free(scn);
}

/* Line `l` of `a` is the first fields of line `l` of `b` (b adds columns). */
static void assert_prefix_columns(const char *what, const char *a, const char *b) {
  char **la = g_strsplit(a, "\n", -1), **lb = g_strsplit(b, "\n", -1);
  g_assert_cmpuint(g_strv_length(la), ==, g_strv_length(lb));
  guint lines = 0;
  for (guint i = 0; la[i]; i++) {
    size_t n = strlen(la[i]);
    if (strncmp(la[i], lb[i], n) != 0 || (lb[i][n] != '\0' && lb[i][n] != ','))
      g_error("%s line %u: '%s' against '%s'", what, i + 1, la[i], lb[i]);
    lines += n > 0;
  }
  g_assert_cmpuint(lines, >, 10); /* a header and many rekeys */
  g_strfreev(la);
  g_strfreev(lb);
}

/* Every column of summary.csv (a header line, a value line) that both
 * have is equal. */
static void assert_common_columns(const char *what, const char *a, const char *b) {
  char **la = g_strsplit(a, "\n", -1), **lb = g_strsplit(b, "\n", -1);
  char **ha = g_strsplit(la[0], ",", -1), **va = g_strsplit(la[1], ",", -1);
  char **hb = g_strsplit(lb[0], ",", -1), **vb = g_strsplit(lb[1], ",", -1);
  g_assert_cmpuint(g_strv_length(ha), ==, g_strv_length(va));
  g_assert_cmpuint(g_strv_length(hb), ==, g_strv_length(vb));
  guint compared = 0;
  for (guint i = 0; ha[i]; i++)
    for (guint j = 0; hb[j]; j++)
      if (strcmp(ha[i], hb[j]) == 0) {
        if (strcmp(va[i], vb[j]) != 0)
          g_error("%s %s: %s against %s", what, ha[i], va[i], vb[j]);
        compared++;
      }
  g_assert_cmpuint(compared, ==, g_strv_length(ha)); /* the lossy run has them all */
  char **parts[] = {la, lb, ha, va, hb, vb};
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++)
    g_strfreev(parts[i]);
}

static void compare_paths(const char *const *sets) {
  TmpScenario t = tmp_scenario(churn_ini, NULL);
  static const char *const none[] = {NULL};
  static const char *const zero_loss[] = {"loss.common=bernoulli", "loss.common-loss=0", NULL};
  run_into(t.ini, t.dir, "batch", sets, none);
  run_into(t.ini, t.dir, "one-by-one", sets, zero_loss);
  char *what = g_strjoinv(" ", (char **)sets);
  char *a = read_in(t.dir, "batch", "rekeys.csv"), *b = read_in(t.dir, "one-by-one", "rekeys.csv");
  assert_prefix_columns(what, a, b);
  g_free(a);
  g_free(b);
  a = read_in(t.dir, "batch", "summary.csv");
  b = read_in(t.dir, "one-by-one", "summary.csv");
  assert_common_columns(what, a, b);
  g_free(a);
  g_free(b);
  g_free(what);
  tmp_free(&t);
}

static void test_paths_agree(void) {
  static const char *const schemes[][2] = {{"run.scheme=patent", NULL},
                                           {"run.scheme=unicast", NULL},
                                           {"run.scheme=broadcast", NULL},
                                           {"run.scheme=lkh", "run.lkh-degree=3"},
                                           {"run.scheme=batch", "run.batch-tree=patent"},
                                           {"run.scheme=batch", "run.batch-tree=lkh"}};
  for (gsize s = 0; s < G_N_ELEMENTS(schemes); s++)
    for (int e = 1; e <= 2; e++) {
      const char *emb = e == 1 ? "run.embodiment=1" : "run.embodiment=2";
      const char *sets[] = {schemes[s][0], emb, schemes[s][1], NULL};
      compare_paths(sets);
    }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  kt_crypto_init();
  g_test_add_func("/common-batch/paths-agree", test_paths_agree);
  return g_test_run();
}
