/* test_crypto_share.c — [run] crypto = shared (holders with equal key
 * bytes share one libsodium open of a wrap, nodes/unwrap_share.h) against
 * the reference crypto = per-ue (every holder decrypts for itself): on
 * churn in every scheme and both embodiments, with join rekeys and the
 * adversaries on, every result file (rekeys.csv, elements.csv, summary.csv,
 * and scenario.ini but for its crypto line) is byte-identical; and sharing
 * really happened in shared mode (opens answered from memory > 0), never in
 * per-ue mode. Also the share itself: equal bytes give kt_unwrap's answer
 * without a second open, other key bytes or another wrap decrypt anew. */
#include <glib.h>
#include <string.h>

#include "app/report.h"
#include "app/run.h"
#include "app/scenario.h"
#include "keytree/kt_keygen.h"
#include "nodes/unwrap_share.h"

#include "test_files.h"

/* ------------------------------------------------------ the share itself */

static void test_share_unit(void) {
  KtKeyGen *gen = kt_keygen_new(3);
  KtKey key, under, other, out, ref;
  kt_keygen_fresh(gen, &key, (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, 0), 2});
  kt_keygen_fresh(gen, &under, (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, 5), 1});
  other = under;
  other.bytes[0] ^= 1; /* same ref, different bytes: a wrong copy */
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_nonce(gen, nonce);
  KtWrap w;
  g_assert_cmpint(kt_wrap(&w, &key, &under, nonce), ==, 0);
  g_assert_cmpint(kt_unwrap(&ref, &w, &under), ==, 0);

  UnwrapShare *s = unwrap_share_new();
  /* first holder: a real open; the next two with equal bytes: shared */
  for (int i = 0; i < 3; i++) {
    memset(&out, 0, sizeof out);
    g_assert_cmpint(unwrap_share_open(s, &out, &w, &under), ==, 0);
    g_assert_cmpmem(&out, sizeof out, &ref, sizeof ref);
    g_assert_cmpuint(unwrap_share_hits(s), ==, (guint64)i);
  }
  /* different key bytes: decrypts for itself and fails, out untouched;
   * asked again, the remembered failure */
  memset(&out, 0x5a, sizeof out);
  KtKey untouched = out;
  g_assert_cmpint(unwrap_share_open(s, &out, &w, &other), ==, -1);
  g_assert_cmpmem(&out, sizeof out, &untouched, sizeof untouched);
  g_assert_cmpint(unwrap_share_open(s, &out, &w, &other), ==, -1);
  g_assert_cmpmem(&out, sizeof out, &untouched, sizeof untouched);
  /* a tampered wrap (one ciphertext bit) under the right key: not the
   * remembered open, fails */
  KtWrap bad = w;
  bad.ct[3] ^= 0x10;
  g_assert_cmpint(unwrap_share_open(s, &out, &bad, &under), ==, -1);
  /* and the original still opens */
  g_assert_cmpint(unwrap_share_open(s, &out, &w, &under), ==, 0);
  g_assert_cmpmem(&out, sizeof out, &ref, sizeof ref);
  unwrap_share_free(s);
  kt_keygen_free(gen);
}

/* --------------------------------------------------- whole runs, two modes */

/* 2 SGSNs x 2 RNCs x 3 cells, 240 members in sub-groups of 6 per cell,
 * joins 4/s and a mean stay of 60 s over 40 s (about 160 joins, 150
 * leaves): most cells have several holders of each sub-group and group
 * key, so most opens are shared. */
static const char *churn_ini = "[run]\nname = share\nseed = 9\nduration = 40\njoin-rekey = true\n"
                               "[topology]\nrnc-per-sgsn = 2\ncells-per-rnc = 3\n"
                               "subgroup-size = 6\n"
                               "[workload]\ninitial-members = 240\njoin-rate = 4\n"
                               "mean-membership = 60\n";

typedef struct {
  uint64_t shared;
} AtEnd;

static void at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  (void)tree;
  (void)wl;
  ((AtEnd *)ctx)->shared = net_unwraps_shared(net);
}

/* Runs the scenario with `sets` and `crypto`, writes its results into
 * dir/out; returns the opens that were shared. */
static uint64_t run_mode(const char *ini, const char *dir, const char *const *sets,
                         const char *crypto, uint64_t *unwraps) {
  const char *o[8];
  guint n = 0;
  for (; sets[n]; n++)
    o[n] = sets[n];
  char *c = g_strdup_printf("run.crypto=%s", crypto);
  o[n++] = c;
  o[n] = NULL;
  GError *error = NULL;
  Scenario *scn = scn_load(ini, o, &error);
  g_assert_no_error(error);
  AtEnd e = {0};
  RunHooks hooks = {.at_end = at_end, .ctx = &e};
  RunResult r;
  g_assert_true(run_scenario(scn, &hooks, &r, &error));
  g_assert_no_error(error);
  char *out = g_build_filename(dir, crypto, NULL);
  g_assert_true(report_write(out, scn, r.metrics, &r.summary, &error));
  g_assert_no_error(error);
  *unwraps = r.summary.unwraps;
  g_free(out);
  g_free(c);
  run_result_clear(&r);
  scn_free(scn);
  return e.shared;
}

/* scenario.ini without its [run] crypto line */
static char *without_crypto(char *text) {
  GString *s = g_string_new(NULL);
  char **lines = g_strsplit(text, "\n", -1);
  guint dropped = 0;
  for (char **l = lines; *l; l++) {
    if (g_str_has_prefix(*l, "crypto=")) {
      dropped++;
      continue;
    }
    g_string_append_printf(s, "%s\n", *l);
  }
  g_assert_cmpuint(dropped, ==, 1);
  g_strfreev(lines);
  g_free(text);
  return g_string_free(s, FALSE);
}

/* expect_sharing: whether some key has two holders that open one wrap.
 * Not so in unicast, embodiment 2: every wrap a UE gets is under its own
 * private key, and there is no core key (in embodiment 1 the RNCs all open
 * the group key under the core key). */
static void compare_modes(const char *const *sets, bool expect_sharing) {
  TmpScenario t = tmp_scenario(churn_ini, NULL);
  uint64_t u_shared, u_per_ue;
  uint64_t hits = run_mode(t.ini, t.dir, sets, "shared", &u_shared);
  uint64_t none = run_mode(t.ini, t.dir, sets, "per-ue", &u_per_ue);
  g_test_message("%s %s %s: %" G_GUINT64_FORMAT " unwraps, %" G_GUINT64_FORMAT " shared", sets[0],
                 sets[1], sets[2] ? sets[2] : "", u_shared, hits);
  g_assert_cmpuint(none, ==, 0);
  if (expect_sharing)
    g_assert_cmpuint(hits, >, 0);
  else
    g_assert_cmpuint(hits, ==, 0);
  g_assert_cmpuint(hits, <, u_shared);
  g_assert_cmpuint(u_shared, ==, u_per_ue);
  static const char *const files[] = {"rekeys.csv", "elements.csv", "summary.csv", "scenario.ini"};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    char *a = read_in(t.dir, "shared", files[i]), *b = read_in(t.dir, "per-ue", files[i]);
    if (strcmp(files[i], "scenario.ini") == 0) {
      a = without_crypto(a);
      b = without_crypto(b);
    }
    if (strcmp(a, b) != 0)
      g_error("%s %s: %s differs between crypto = shared and per-ue", sets[0], sets[1], files[i]);
    g_free(a);
    g_free(b);
  }
  tmp_free(&t);
}

static void test_modes_agree(void) {
  static const char *const schemes[][2] = {{"run.scheme=patent", NULL},
                                           {"run.scheme=unicast", NULL},
                                           {"run.scheme=broadcast", NULL},
                                           {"run.scheme=lkh", "run.lkh-degree=3"},
                                           {"run.scheme=batch", "run.batch-tree=patent"},
                                           {"run.scheme=batch", "run.batch-tree=lkh"},
                                           /* moves: holders that keep a wrap (a mover's
                                            * new sub-group key still on its way) among
                                            * those that open one (ue.c's plain path) */
                                           {"run.scheme=patent", "mobility.handover-rate=0.05"}};
  for (gsize s = 0; s < G_N_ELEMENTS(schemes); s++)
    for (int e = 1; e <= 2; e++) {
      const char *emb = e == 1 ? "run.embodiment=1" : "run.embodiment=2";
      const char *sets[] = {schemes[s][0], emb, schemes[s][1], NULL};
      compare_modes(sets, !(s == 1 && e == 2));
    }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  kt_crypto_init();
  g_test_add_func("/crypto-share/unit", test_share_unit);
  g_test_add_func("/crypto-share/modes-agree", test_modes_agree);
  return g_test_run();
}
