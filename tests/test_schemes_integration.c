/* test_schemes_integration.c — every scheme end to end on the ns-3 network
 * (issue #3): exact counts on small topologies derived by hand from each
 * scheme's rules (docs/schemes.md), and, after random churn, every member
 * holds the current group key, no wrap is left waiting, nothing is rejected,
 * and (except in broadcast) no departed UE can open what was sent after it
 * left; in broadcast a departed UE can. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "app/report.h"
#include "app/run.h"
#include "app/scenario.h"

#include "test_runs.h"

/* ------------------------------------------- the worked-example network */

/* 1 GGSN, 2 SGSNs, 4 RNCs of 2 cells (8 cells), 24 initial members, UE i in
 * cell i mod 8 (3 per cell, 6 per RNC). UE 24 joins cell 0 at 1 s and leaves
 * at 2 s. */
static const char *worked_ini = "[run]\nname = worked\nseed = 7\nduration = 10\n"
                                "[topology]\nggsn = 1\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 2\n"
                                "cells-per-rnc = 2\nsubgroup-size = 4\n"
                                "[workload]\ninitial-members = 24\nevents = events.csv\n";
static const char *worked_csv = "time,action,ue,cell\n1,join,24,0\n2,leave,24,\n";

static RunResult run_worked(const char *scheme, int embodiment, bool join_rekey, int degree) {
  char *o[4];
  o[0] = g_strdup_printf("run.scheme=%s", scheme);
  o[1] = g_strdup_printf("run.embodiment=%d", embodiment);
  o[2] = g_strdup_printf("run.join-rekey=%s", join_rekey ? "true" : "false");
  o[3] = g_strdup_printf("run.lkh-degree=%d", degree);
  const char *const overrides[] = {o[0], o[1], o[2], o[3], NULL};
  RunResult r = run_text(worked_ini, worked_csv, overrides, NULL);
  for (int i = 0; i < 4; i++)
    g_free(o[i]);
  assert_clean(&r);
  g_assert_cmpuint(metrics_n_events(r.metrics), ==, 2);
  return r;
}

/* The core fan-out of embodiment 1 to every RNC: 1 GGSN + 2 SGSNs + 4 RNCs. */
#define CORE_ALL 7u

/* unicast: the new group key to each member under its private key. */
static void test_unicast(void) {
  RunResult r = run_worked("unicast", 1, false, 4);
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 1});
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2p = 24, .core = CORE_ALL});
  g_assert_cmpuint(metrics_event(r.metrics, 1)->installs_done, ==, 24);
  g_assert_cmpfloat(r.summary.keys_per_ue, ==, 2.0); /* private + group */
  run_result_clear(&r);

  r = run_worked("unicast", 1, true, 4);
  /* 24 others + the joiner */
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 25, .core = CORE_ALL});
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2p = 24, .core = CORE_ALL});
  run_result_clear(&r);

  r = run_worked("unicast", 2, false, 4); /* RNC 0's group: 6 members */
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2p = 6});
  run_result_clear(&r);
}

/* broadcast: the new group key under the old one, once per RNC with members
 * (on each of its 2 cells). */
static void test_broadcast(void) {
  RunResult r = run_worked("broadcast", 1, false, 4);
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 1});
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2m = 4, .p2m_tx = 8, .core = CORE_ALL});
  g_assert_cmpuint(metrics_event(r.metrics, 1)->installs_done, ==, 24);
  run_result_clear(&r);

  r = run_worked("broadcast", 2, true, 4);
  /* join: RNC 0's 6 others (cells 0 and 1) + the joiner; leave: 1 p2m */
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 1, .p2m = 1, .p2m_tx = 2});
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2m = 1, .p2m_tx = 2});
  run_result_clear(&r);
}

/* LKH, degree 2, embodiment 2: RNC 0's tree from its members provisioned in
 * the order 0, 1, 8, 9, 16, 17 (UEs 0, 8, 16 in cell 0; 1, 9, 17 in cell 1),
 * by the placement rule:
 *   0, 1 -> root{0, 1}; 8 splits 0 -> A{0, 8}; 9 splits 1 -> B{1, 9};
 *   16: A and B tie, A; A is full, 0 is its leaf with fewest -> C{0, 16};
 *   17: B has fewer -> D{1, 17}.  root{A{C{0,16}, 8}, B{D{1,17}, 9}}.
 * Join of 24 (cell 0): A and B tie (3), A; A's fewest is leaf 8 -> split
 * E{8, 24}: 8 gets E's key (p2p), 24 gets E, A, root (1 p2p, 3 wraps).
 * Leave of 24: E, A, root change bottom-up: E under 8's private key (p2p);
 * A under C and under E (2 p2m, each on cell 0); root under A (cell 0) and
 * under B (cell 1): 2 p2m. 5 wraps = d*L - 1 with d = 2, L = 3. */
static void test_lkh_e2(void) {
  RunResult r = run_worked("lkh", 2, false, 2);
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 2});
  g_assert_false(metrics_event(r.metrics, 0)->group_changed);
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2p = 1, .p2m = 4, .p2m_tx = 4});
  g_assert_cmpuint(metrics_event(r.metrics, 1)->installs_done, ==, 6);
  run_result_clear(&r);

  /* with join rekey: E is new (no rekey); A under its old version to 0, 16,
   * 8 (cell 0); the root under its old version to RNC 0's group but the
   * joiner (cells 0 and 1); then 8's and 24's p2p */
  r = run_worked("lkh", 2, true, 2);
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 2, .p2m = 2, .p2m_tx = 3});
  g_assert_cmpuint(metrics_event(r.metrics, 0)->installs_done, ==, 7);
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2p = 1, .p2m = 4, .p2m_tx = 4});
  run_result_clear(&r);
}

/* LKH, degree 2, embodiment 1, across RNCs: 1 GGSN, 1 SGSN, 2 RNCs of 1
 * cell; UEs 0, 2 at RNC 0 and 1, 3 at RNC 1. Tree: root{A{0,2}, B{1,3}}.
 *   1 s, 3 leaves: B under 1's key (p2p, RNC 1 at once); the root under A
 *        (RNC 0) and under B (RNC 1): 2 p2m; core to both RNCs: 1 + 1 + 2.
 *   2 s, 4 joins cell 0 without rekey: B has room -> B{1, 4}; 1 p2p.
 *   3 s, 1 leaves: B under 4's key, p2p by RNC 0 (after the core); the root
 *        under A and under B, both at RNC 0; core to RNC 0 only: 1 + 1 + 1. */
static void test_lkh_e1_across_rncs(void) {
  const char *ini = "[run]\nname = x\nseed = 3\nduration = 10\nscheme = lkh\nlkh-degree = 2\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                    "cells-per-rnc = 1\n"
                    "[workload]\ninitial-members = 4\nevents = events.csv\n";
  const char *csv = "time,action,ue,cell\n1,leave,3,\n2,join,4,0\n3,leave,1,\n";
  RunResult r = run_text(ini, csv, NULL, NULL);
  assert_clean(&r);
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 1, .p2m = 2, .p2m_tx = 2, .core = 4});
  assert_counts(metrics_event(r.metrics, 1), (Counts){.p2p = 1});
  assert_counts(metrics_event(r.metrics, 2), (Counts){.p2p = 1, .p2m = 2, .p2m_tx = 2, .core = 3});
  g_assert_cmpuint(metrics_event(r.metrics, 2)->installs_done, ==, 3);
  g_assert_cmpuint(r.summary.final_members, ==, 3);
  g_assert_cmpfloat(r.summary.keys_per_ue, ==, 3.0); /* private, A or B, group */
  run_result_clear(&r);
}

/* The same network: the interior keys belong to the BM-SC's tree, so each
 * changed one travels in the MBMS group key change request beside the group
 * key, under the core key. Each leave above changes B and the root: 2
 * wraps per request; the join changes nothing and sends none. */
typedef struct {
  uint32_t wraps[3];
  guint requests[3];
} CoreWraps;

static void core_wraps_on_send(void *ctx, double now, NetElement from, NetVia via, const Msg *msg,
                               uint32_t n_tx) {
  (void)now;
  (void)via;
  (void)n_tx;
  CoreWraps *c = ctx;
  if (msg->type == MSG_GROUP_KEY_CHANGE_REQ && from.kind == NET_BMSC && msg->seq < 3) {
    c->wraps[msg->seq] = msg->n_wraps;
    c->requests[msg->seq]++;
    for (uint8_t i = 1; i < msg->n_wraps; i++)
      g_assert_cmpuint(KT_KEY_ID_KIND(msg->wraps[i].key.id), ==, KT_KEY_SUBGROUP);
  }
}

static void test_lkh_e1_node_keys_in_core(void) {
  const char *ini = "[run]\nname = x\nseed = 3\nduration = 10\nscheme = lkh\nlkh-degree = 2\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                    "cells-per-rnc = 1\n"
                    "[workload]\ninitial-members = 4\nevents = events.csv\n";
  const char *csv = "time,action,ue,cell\n1,leave,3,\n2,join,4,0\n3,leave,1,\n";
  CoreWraps c = {{0}, {0}};
  RunHooks hooks = {.on_send = core_wraps_on_send, .ctx = &c};
  RunResult r = run_text(ini, csv, NULL, &hooks);
  assert_clean(&r);
  g_assert_cmpuint(c.requests[0], ==, 1);
  g_assert_cmpuint(c.wraps[0], ==, 2);
  g_assert_cmpuint(c.requests[1], ==, 0);
  g_assert_cmpuint(c.requests[2], ==, 1);
  g_assert_cmpuint(c.wraps[2], ==, 2);
  run_result_clear(&r);
}

/* batch, LKH of degree 2, embodiment 2, one RNC of one cell; UEs 0..3:
 * root{A{0,2}, B{1,3}}. At 0.2 s 2 leaves, 0.4 s 4 joins, 0.6 s 3 leaves:
 * one batch at 1 s. 4 takes 2's place in A; 3 leaves B. A changes (p2p to
 * 0; not to the joiner), B changes (p2p to 1), the root changes under A and
 * B (2 p2m), and 4 gets A and the root (1 p2p): 3 p2p, 2 p2m, all on the
 * row of the batch's last event (3's leave); the other rows carry none. */
static void test_batch_lkh_e2(void) {
  const char *ini = "[run]\nname = x\nseed = 3\nduration = 10\nscheme = batch\n"
                    "batch-tree = lkh\nlkh-degree = 2\nembodiment = 2\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\n"
                    "cells-per-rnc = 1\n"
                    "[workload]\ninitial-members = 4\nevents = events.csv\n";
  const char *csv = "time,action,ue,cell\n0.2,leave,2,\n0.4,join,4,0\n0.6,leave,3,\n";
  RunResult r = run_text(ini, csv, NULL, NULL);
  assert_clean(&r);
  assert_counts(metrics_event(r.metrics, 0), (Counts){0});
  assert_counts(metrics_event(r.metrics, 1), (Counts){0});
  assert_counts(metrics_event(r.metrics, 2), (Counts){.p2p = 3, .p2m = 2, .p2m_tx = 2});
  g_assert_true(metrics_event(r.metrics, 2)->group_changed);
  g_assert_cmpuint(metrics_event(r.metrics, 2)->installs_done, ==, 3);
  /* waited for the boundary at 1 s */
  g_assert_cmpfloat(metrics_event_latency(metrics_event(r.metrics, 2)), >, 0.35);
  g_assert_cmpuint(r.summary.final_members, ==, 3);
  run_result_clear(&r);
}

/* sd, embodiment 1, join rekey, sd-capacity 256, one RNC of one cell:
 * members 0..127 hold leaves 0..127 (in order of first join); leaves
 * 128..255 are given to nobody, so the right half (node 3) is one revoked
 * subtree. UEs 0, 4, 8, ..., 124 leave, one every 0.5 s: then each block
 * of 4 leaves (a node of height 2, b) has its first leaf revoked, and NNL's
 * cover (docs/schemes.md, sd) is S(b, its first leaf) per block: at every
 * node above, both children's chains end at themselves (a branching node,
 * or the revoked node 3 under the root), which adds nothing. So the 32nd
 * leave's cover has c = 32 subsets, all under the one RNC: 1 p2m message
 * of 32 wraps (ceil(32 / 32)), 1 transmission. UE 128 then joins (leaf
 * 128, counted as revoked: the cover is the same): the same 1 p2m, and the
 * joiner's group key point-to-point, 1 p2p. The 32 new subset keys travel
 * in the core requests (docs/schemes.md, lkh: at most 31 node keys in
 * one): 2 requests, each BM-SC -> GGSN -> SGSN -> RNC, 6 core messages.
 * The RNC carries out its part on the first only: acting on both sent the
 * p2m twice and, counting its part done twice, ended the join's plan
 * before the activation accept, so the joiner never got its key. */
static void test_sd_e1_two_requests(void) {
  const char *ini = "[run]\nseed = 3\nduration = 20\nscheme = sd\nsd-capacity = 256\n"
                    "join-rekey = true\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\n"
                    "cells-per-rnc = 1\n"
                    "[workload]\ninitial-members = 128\nevents = events.csv\n";
  GString *csv = g_string_new("time,action,ue,cell\n");
  for (guint i = 0; i < 32; i++)
    g_string_append_printf(csv, "%g,leave,%u,\n", 1.0 + 0.5 * i, 4 * i);
  g_string_append(csv, "18,join,128,0\n");
  RunResult r = run_text(ini, csv->str, NULL, NULL);
  g_string_free(csv, TRUE);
  assert_clean(&r);
  assert_counts(metrics_event(r.metrics, 31), (Counts){.p2m = 1, .p2m_tx = 1, .core = 6});
  assert_counts(metrics_event(r.metrics, 32), (Counts){.p2p = 1, .p2m = 1, .p2m_tx = 1, .core = 6});
  g_assert_cmpuint(r.summary.final_members, ==, 97);
  run_result_clear(&r);
}

/* batch, patent tree, embodiment 1 on the worked-example network; the join
 * (1 s) and the leave (2 s, reaching the BM-SC after the boundary at 2 s)
 * fall in different batches. Join batch: sub-group 111's key changes (3
 * p2p to its old members), the group key once (8 p2m, one per sub-group),
 * the joiner 1 p2p; leave batch: 3 p2p + 8 p2m; core 7 each. */
static void test_batch_patent_e1(void) {
  const char *const o[] = {"run.scheme=batch", "run.batch-tree=patent", NULL};
  RunResult r = run_text(worked_ini, worked_csv, o, NULL);
  assert_clean(&r);
  assert_counts(metrics_event(r.metrics, 0),
                (Counts){.p2p = 4, .p2m = 8, .p2m_tx = 8, .core = CORE_ALL});
  assert_counts(metrics_event(r.metrics, 1),
                (Counts){.p2p = 3, .p2m = 8, .p2m_tx = 8, .core = CORE_ALL});
  g_assert_cmpuint(metrics_event(r.metrics, 0)->installs_done, ==, 25);
  g_assert_cmpuint(metrics_event(r.metrics, 1)->installs_done, ==, 24);
  run_result_clear(&r);
}

/* ---------------------------------------------------------------- churn */

typedef struct {
  double time;
  KtWrap wrap;
} SentWrap;

typedef struct {
  double batch_interval; /* batch: a leaver is out at the boundary after its leave */
  GArray *wraps;
  GHashTable *left_at;
  guint members_checked, members_replayed, ring_holders, departed_checked, wraps_checked,
      opened_by_departed;
  uint32_t pending;
} ChurnCheck;

static void churn_on_send(void *ctx, double now, NetElement from, NetVia via, const Msg *msg,
                          uint32_t n_tx) {
  (void)via;
  (void)n_tx;
  ChurnCheck *c = ctx;
  if (msg->type == MSG_KEY_ASSIGNMENT)
    for (uint8_t i = 0; i < msg->n_wraps; i++) {
      SentWrap s = {.time = now, .wrap = msg->wraps[i]};
      g_array_append_val(c->wraps, s);
    }
  if (msg->type == MSG_DEACTIVATE_REQ && from.kind == NET_RNC) {
    double *t = g_new(double, 1);
    *t = now;
    g_hash_table_insert(c->left_at, GUINT_TO_POINTER(msg->ue), t);
  }
  if (msg->type == MSG_ACTIVATE_REQ && from.kind == NET_RNC)
    g_hash_table_remove(c->left_at, GUINT_TO_POINTER(msg->ue));
}

static void churn_at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  ChurnCheck *c = ctx;
  c->members_checked += assert_members_hold_group_key(net, tree, wl);
  /* the same members counted without the tree: replayed from the workload,
   * and from the UEs' own key rings */
  c->members_replayed = members_replayed(wl);
  c->ring_holders = ring_holders_of_current_keys(net, tree, wl);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, c->left_at);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    uint32_t ue = GPOINTER_TO_UINT(key);
    double left = *(double *)value;
    if (c->batch_interval > 0) /* the request reaches the BM-SC within 50 ms */
      left = ((double)(uint64_t)((left + 0.05) / c->batch_interval) + 1.0) * c->batch_interval;
    c->departed_checked++;
    for (guint i = 0; i < c->wraps->len; i++) {
      const SentWrap *s = &g_array_index(c->wraps, SentWrap, i);
      if (s->time < left)
        continue;
      c->opened_by_departed += net_ue_can_open(net, ue, &s->wrap);
      /* sd: nor can it derive the key the wrap is under from its labels
       * (they are not in its key ring: the tree derives them on demand) */
      KtKey derived;
      guint evals;
      if (kt_tree_member_open(tree, ue, s->wrap.under, &derived, &evals)) {
        c->opened_by_departed++;
        kt_key_wipe(&derived);
      }
      c->wraps_checked++;
    }
  }
  c->pending = net_pending_wraps(net);
}

static void run_churn(const char *scheme, int embodiment, bool join_rekey) {
  const char *tree = strchr(scheme, ':'); /* "batch:lkh" */
  g_autofree char *name = tree ? g_strndup(scheme, (gsize)(tree - scheme)) : g_strdup(scheme);
  char *ini = g_strdup_printf("[run]\nname = churn\nseed = %d\nduration = 60\nscheme = %s\n"
                              "batch-tree = %s\nbatch-interval = 0.5\n"
                              "embodiment = %d\njoin-rekey = %s\nlkh-degree = 3\n"
                              "[topology]\nggsn = 2\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 2\n"
                              "cells-per-rnc = 3\nsubgroup-size = 3\nsubgroup-policy = per-rnc\n"
                              "[workload]\ninitial-members = 60\njoin-rate = 2\n"
                              "mean-membership = 30\n",
                              21 + embodiment + 2 * join_rekey, name, tree ? tree + 1 : "patent",
                              embodiment, join_rekey ? "true" : "false");
  ChurnCheck c = {.batch_interval = tree ? 0.5 : 0,
                  .wraps = g_array_new(FALSE, FALSE, sizeof(SentWrap)),
                  .left_at = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free)};
  RunHooks hooks = {.on_send = churn_on_send, .at_end = churn_at_end, .ctx = &c};
  RunResult r = run_text(ini, NULL, NULL, &hooks);
  assert_clean(&r);
  g_assert_cmpuint(c.pending, ==, 0);
  g_assert_cmpuint(r.summary.leaves, >, 20);
  g_assert_cmpuint(r.summary.joins, >, 60);
  g_assert_cmpuint(c.members_checked, ==, c.members_replayed);
  g_assert_cmpuint(c.ring_holders, ==, c.members_replayed);
  g_assert_cmpuint(r.summary.final_members, ==, c.members_replayed);
  g_assert_cmpuint(c.members_checked, >, 0);
  g_assert_cmpuint(c.departed_checked, >, 10);
  g_assert_cmpuint(c.wraps_checked, >, 100);
  if (strcmp(scheme, "broadcast") == 0)
    g_assert_cmpuint(c.opened_by_departed, >, 0); /* the insecure prior art */
  else
    g_assert_cmpuint(c.opened_by_departed, ==, 0);
  g_test_message("churn %s e%d rekey=%d: %u members hold the group key; %u departed UEs, "
                 "%u wraps, %u opened",
                 scheme, embodiment, join_rekey, c.members_checked, c.departed_checked,
                 c.wraps_checked, c.opened_by_departed);
  run_result_clear(&r);
  g_array_free(c.wraps, TRUE);
  g_hash_table_destroy(c.left_at);
  g_free(ini);
}

static void test_churn(gconstpointer scheme) {
  for (int e = 1; e <= 2; e++)
    for (int jr = 0; jr <= 1; jr++)
      run_churn(scheme, e, jr);
}

/* 3gpp's leak window, derived from the periods. Embodiment 2, one RNC of
 * one cell, UEs 0 and 1 members from the start; data: a 500-byte packet
 * every 0.125 s (32 000 bit/s; packet k leaves the BM-SC at 0.125 k and is
 * re-sealed at the RNC δ later, δ = 5 ms core + 2 ms Iu + transmission, under
 * 8 ms); switch-delay 0.3 s; msk-period 5 s, mtk-period 1.1 s (the RNC's
 * timers fire at 5, 10, ... and 1.1, 2.2, 3.3, 4.4, 5.5, ...: never
 * together, so that no two MTKs come within one switch-delay, see
 * docs/schemes.md). UE 1 leaves at 3.06 s; its request reaches the RNC 10
 * ms later (the dedicated channel's delay plus under 1 ms of
 * transmission): it is a departed listener from about 3.0704 s.
 *   msk-on-leave = false: nothing changes at the leave; the MTKs of 3.3 s
 *   and 4.4 s go under the MSK the leaver holds (2 key wraps it opens), the
 *   data switching to each 0.3 s later; the MSK of 5 s goes to UE 0 alone,
 *   with an MTK under it, the data switching at 5.3 s. The leaver reads
 *   every packet re-sealed in (3.0704, 5.3): k = 25 (3.132 s) ... 42
 *   (5.257 s): 18, and 20 forward violations (those 18 and the 2 MTKs).
 *   msk-on-leave = true: a new MSK to UE 0 and a new MTK under it at the
 *   leave, the data switching 0.3 s later (about 3.3704 s): packets 25
 *   (3.132) and 26 (3.257): 2 leaked, and no key wrap opened (the later
 *   MTKs are under the new MSK). */
static void test_3gpp_leak_window(void) {
  const char *csv = "time,action,ue,cell\n3.06,leave,1,\n";
  for (int on = 0; on <= 1; on++) {
    char *ini = g_strdup_printf(
        "[run]\nname = leak\nseed = 5\nduration = 8\nscheme = 3gpp\nembodiment = 2\n"
        "msk-on-leave = %s\nmsk-period = 5\nmtk-period = 1.1\n"
        "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\ncells-per-rnc = 1\n"
        "[workload]\ninitial-members = 2\nevents = events.csv\n"
        "[data]\nrate = 32000\npacket-size = 500\nswitch-delay = 0.3\n",
        on ? "true" : "false");
    RunResult r = run_text(ini, csv, NULL, NULL);
    assert_clean(&r);
    g_assert_cmpuint(r.summary.leaves, ==, 1);
    g_test_message("3gpp msk-on-leave=%d: %" G_GUINT64_FORMAT " data leaked, %" G_GUINT64_FORMAT
                   " forward violations",
                   on, (guint64)r.summary.data_leaked, (guint64)r.summary.fwd_violations);
    g_assert_cmpuint(r.summary.data_leaked, ==, on ? 2 : 18);
    g_assert_cmpuint(r.summary.fwd_violations, ==, on ? 2 : 20);
    g_assert_cmpuint(r.summary.data_undecryptable_by_members, ==, 0);
    run_result_clear(&r);
    g_free(ini);
  }
}

/* oft, embodiment 2, three joins within 20 ms at one RNC (docs/schemes.md,
 * oft: what a member computes). One RNC of one cell; the 8 initial members
 * join in order, so by the placement rule (fewer members, ties left) the
 * tree is full of depth 3: root -> A = {{0,4},{2,6}}, B = {{1,5},{3,7}}.
 * Each join splits a leaf u at depth 3 (the tree under the chosen child of
 * the root is full there) and renews u's leaf (l = u), so by the rule each
 * costs 3 p2p (u: its leaf key and g(k_x); the leaf sibling of the new
 * node N: g(k_N); the joiner: its path) and 2 p2m (g of N's parent to the
 * sibling subtree of 2 members, g of the root's child to the other half),
 * on the one cell: 2 transmissions, no core message:
 *   1.000 s UE 8: ties left, left, left: u = 0 (N's sibling: leaf 4);
 *   1.010 s UE 9: A has 5, B 4: B, then ties: u = 1 (sibling leaf 5);
 *   1.020 s UE 10: 5 and 5: A; {0,8,4} has 3, {2,6} 2: u = 2 (sibling 6).
 * The root's key (the group key) changes with each; the wraps of one join
 * are still on their way when the next is planned. Once, members computed
 * a path key only at the key server's current version, so one whose
 * inputs of an earlier join came after the next join was planned skipped
 * that version, and the blinded key the next join sent under it was lost:
 * 7 of 44 members (in a random campaign's run) ended on an older group
 * key. Here all 11 must end on the current one, every rekey complete. */
static void at_end_holders(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  *(guint *)ctx = assert_members_hold_group_key(net, tree, wl);
}

static void test_oft_joins_within_20ms(void) {
  const char *ini = "[run]\nname = oft3\nseed = 12\nduration = 5\nscheme = oft\nembodiment = 2\n"
                    "join-rekey = true\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\ncells-per-rnc = 1\n"
                    "[workload]\ninitial-members = 8\nevents = events.csv\n";
  const char *csv = "time,action,ue,cell\n1,join,8,0\n1.01,join,9,0\n1.02,join,10,0\n";
  guint holders = 0;
  RunHooks hooks = {.at_end = at_end_holders, .ctx = &holders};
  RunResult r = run_text(ini, csv, NULL, &hooks);
  assert_clean(&r);
  g_assert_cmpuint(metrics_n_events(r.metrics), ==, 3);
  for (guint i = 0; i < 3; i++) {
    const EventRecord *e = metrics_event(r.metrics, i);
    assert_counts(e, (Counts){.p2p = 3, .p2m = 2, .p2m_tx = 2});
    g_assert_true(metrics_event_complete(e));
  }
  g_assert_cmpuint(r.summary.final_members, ==, 11);
  g_assert_cmpuint(holders, ==, 11);
  run_result_clear(&r);
}

/* Each scheme through --set; the report and summary name it; a bad value
 * is one clear line, exit 2. */
static void test_cli(void) {
  const char *sim = g_getenv("MBMS_SIM");
  if (!sim) {
    g_test_skip("MBMS_SIM not set (run through meson test)");
    return;
  }
  TmpScenario t = tmp_scenario("[run]\nname = cli\nduration = 3\n[workload]\n"
                               "initial-members = 12\njoin-rate = 2\nmean-membership = 5\n",
                               NULL);
  static const char *const schemes[] = {"patent", "unicast", "broadcast", "lkh", "batch"};
  for (guint i = 0; i < G_N_ELEMENTS(schemes); i++) {
    g_autofree char *outdir = g_build_filename(t.dir, schemes[i], NULL);
    g_autofree char *set = g_strdup_printf("run.scheme=%s", schemes[i]);
    const char *argv[] = {sim, "-o", outdir, "--set", set, t.ini, NULL};
    char *out = NULL, *err = NULL;
    g_assert_cmpint(run_cli(argv, &out, &err), ==, 0);
    g_autofree char *line = g_strdup_printf("scheme           %s\n", schemes[i]);
    g_assert_nonnull(strstr(out, line));
    g_autofree char *summary = g_build_filename(outdir, "summary.csv", NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(summary, &text, NULL, NULL));
    g_autofree char *field = g_strdup_printf(",%s,", schemes[i]);
    g_assert_nonnull(strstr(text, field));
    g_free(text);
    g_free(out);
    g_free(err);
  }
  /* several schemes at once: one folder each and a comparison table on
   * stdout whose numbers are those of sweep-stats.csv */
  g_autofree char *cmp_dir = g_build_filename(t.dir, "cmp", NULL);
  const char *cmp[] = {sim,   "-j", "2", "-o", cmp_dir, "--set", "run.scheme=patent,unicast",
                       t.ini, NULL};
  char *cmp_out = NULL, *cmp_err = NULL;
  g_assert_cmpint(run_cli(cmp, &cmp_out, &cmp_err), ==, 0);
  g_assert_true(g_str_has_prefix(cmp_out, "run.scheme "));
  g_autofree char *stats_path = g_build_filename(cmp_dir, "sweep-stats.csv", NULL);
  char *stats = NULL;
  g_assert_true(g_file_get_contents(stats_path, &stats, NULL, NULL));
  g_auto(GStrv) rows = g_strsplit(stats, "\n", -1);
  g_auto(GStrv) head = g_strsplit(rows[0], ",", -1);
  int col = -1;
  for (int i = 0; head[i]; i++)
    if (strcmp(head[i], "p2p_msgs_per_leave_mean") == 0)
      col = i;
  g_assert_cmpint(col, >=, 0);
  for (int k = 1; k <= 2; k++) {
    g_auto(GStrv) v = g_strsplit(rows[k], ",", -1);
    char want[64];
    g_snprintf(want, sizeof want, "\n%-14s %10.4g ", v[0], g_ascii_strtod(v[col], NULL));
    g_assert_nonnull(strstr(cmp_out, want));
    g_autofree char *run_dir = g_strdup_printf("%s/scheme-%s/rep-1/summary.csv", cmp_dir, v[0]);
    g_assert_true(g_file_test(run_dir, G_FILE_TEST_IS_REGULAR));
  }
  g_free(stats);
  g_free(cmp_out);
  g_free(cmp_err);

  g_autofree char *bad_dir = g_build_filename(t.dir, "bad", NULL);
  const char *bad[] = {sim,   "-o", bad_dir, "--set", "run.scheme=lkh", "--set", "run.lkh-degree=1",
                       t.ini, NULL};
  char *out = NULL, *err = NULL;
  g_assert_cmpint(run_cli(bad, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "--set: run.lkh-degree: '1' is out of range (2..1024)"));
  g_assert_false(g_file_test(bad_dir, G_FILE_TEST_EXISTS));
  g_free(out);
  g_free(err);
  tmp_free(&t);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/schemes-it/unicast", test_unicast);
  g_test_add_func("/schemes-it/broadcast", test_broadcast);
  g_test_add_func("/schemes-it/lkh-e2", test_lkh_e2);
  g_test_add_func("/schemes-it/lkh-e1-across-rncs", test_lkh_e1_across_rncs);
  g_test_add_func("/schemes-it/lkh-e1-node-keys-in-core", test_lkh_e1_node_keys_in_core);
  g_test_add_data_func("/schemes-it/churn/patent", "patent", test_churn);
  g_test_add_data_func("/schemes-it/churn/unicast", "unicast", test_churn);
  g_test_add_data_func("/schemes-it/churn/broadcast", "broadcast", test_churn);
  g_test_add_data_func("/schemes-it/churn/lkh", "lkh", test_churn);
  g_test_add_data_func("/schemes-it/churn/batch-patent", "batch:patent", test_churn);
  g_test_add_data_func("/schemes-it/churn/batch-lkh", "batch:lkh", test_churn);
  g_test_add_data_func("/schemes-it/churn/oft", "oft", test_churn);
  g_test_add_data_func("/schemes-it/churn/sd", "sd", test_churn);
  g_test_add_data_func("/schemes-it/churn/3gpp", "3gpp", test_churn);
  g_test_add_func("/schemes-it/3gpp-leak-window", test_3gpp_leak_window);
  g_test_add_func("/schemes-it/oft-joins-within-20ms", test_oft_joins_within_20ms);
  g_test_add_func("/schemes-it/batch-lkh-e2", test_batch_lkh_e2);
  g_test_add_func("/schemes-it/sd-e1-two-requests", test_sd_e1_two_requests);
  g_test_add_func("/schemes-it/batch-patent-e1", test_batch_patent_e1);
  g_test_add_func("/schemes-it/cli", test_cli);
  return g_test_run();
}
