/* test_mobility.c — handovers end to end (issue "Mobility"; docs/flows.md,
 * "Handover"; docs/security.md, "Handover").
 *
 * Hand-built: the network of 1 GGSN, 2 SGSNs of 2 RNCs of 2 cells (RNC r
 * has cells 2r and 2r + 1; SGSN 0 has RNCs 0 and 1), 16 initial members
 * (UE i in cell i mod 8), sub-groups of 4. With per-cell sub-groups cell c
 * has one sub-group {c, c + 8}; with per-rnc each RNC one full sub-group
 * {2r, 2r + 1, 2r + 8, 2r + 9}. At t = 1 UE 0 moves from cell 0 to cell
 * X, at t = 2 it leaves. Every count of both events is worked out below
 * from the rules, for both embodiments, both policies, eager and lazy.
 *
 * Churn: generated joins, leaves and moves for every scheme (batch over
 * both trees) in both embodiments: at the end every member
 * holds the current keys of where it is, camping, bearer, sub-group and
 * reach agree, and no departed or moved-away UE opened a wrap. */
#include <glib.h>
#include <string.h>

#include "app/run.h"
#include "app/scenario.h"
#include "keytree/kt_tree.h"
#include "nodes/net.h"

#include "test_runs.h"

/* Core messages of a group key change in embodiment 1 with members under
 * every RNC: BM-SC -> GGSN, GGSN -> 2 SGSNs, SGSNs -> 4 RNCs. */
#define CORE_ALL 7u

/* Signalling of a move (docs/flows.md, "Handover"): cell update + confirm,
 * plus the relocation both ways: 2 hops each under one SGSN (RNC - SGSN -
 * RNC), 4 under one GGSN (RNC - SGSN - GGSN - SGSN - RNC). */
#define SIG_INTRA 2u
#define SIG_SGSN (2u + 2u * 2u)
#define SIG_GGSN (2u + 2u * 4u)

typedef struct {
  const char *scheme;
  int embodiment;
  const char *policy;
  const char *rekey;
  bool join_rekey;
  uint32_t to; /* the cell UE 0 moves to */
  uint32_t move_sig;
  Counts move, leave;
} HandCase;

static const HandCase hand[] = {
    /* E1 per-cell, within RNC 0: the mover enters cell 1's sub-group {1, 9}
     * and gets {sub-group, group} p2p (1 p2p); eager: cell 0's sub-group
     * {8} is rekeyed, 1 p2p. The leave from cell 1: its sub-group {1, 9} 2
     * p2p, the group key p2m under each of the 8 sub-groups (one cell
     * each), core to every RNC; lazy: first cell 0's sub-group, +1 p2p. */
    {"patent", 1, "per-cell", "eager", false, 1, SIG_INTRA, {2, 0, 0, 0}, {2, 8, 8, CORE_ALL}},
    {"patent", 1, "per-cell", "lazy", false, 1, SIG_INTRA, {1, 0, 0, 0}, {3, 8, 8, CORE_ALL}},
    /* the same keys to another RNC of the SGSN, and under the other SGSN */
    {"patent", 1, "per-cell", "eager", false, 2, SIG_SGSN, {2, 0, 0, 0}, {2, 8, 8, CORE_ALL}},
    {"patent", 1, "per-cell", "lazy", false, 2, SIG_SGSN, {1, 0, 0, 0}, {3, 8, 8, CORE_ALL}},
    {"patent", 1, "per-cell", "eager", false, 4, SIG_GGSN, {2, 0, 0, 0}, {2, 8, 8, CORE_ALL}},
    {"patent", 1, "per-cell", "lazy", false, 4, SIG_GGSN, {1, 0, 0, 0}, {3, 8, 8, CORE_ALL}},
    /* E1 per-rnc, within RNC 0: no key changes. The leave from cell 1: RNC
     * 0's sub-group {8, 1, 9} 3 p2p; the group key p2m under the 4 RNC
     * sub-groups, each reached in its RNC's 2 cells (8 tx). */
    {"patent", 1, "per-rnc", "eager", false, 1, SIG_INTRA, {0, 0, 0, 0}, {3, 4, 8, CORE_ALL}},
    {"patent", 1, "per-rnc", "lazy", false, 1, SIG_INTRA, {0, 0, 0, 0}, {3, 4, 8, CORE_ALL}},
    /* E1 per-rnc to RNC 1, whose sub-group is full: a new one for the mover
     * (1 p2p); eager: RNC 0's {1, 8, 9} 3 p2p. The leave empties the new
     * sub-group (no sub-group rekey); the group key under the 4 RNC
     * sub-groups (RNC 1's old one in cells 2, 3: 8 tx); lazy: RNC 0's
     * stale sub-group first, 3 p2p (sent by RNC 0 on the RAB assignment). */
    {"patent", 1, "per-rnc", "eager", false, 2, SIG_SGSN, {4, 0, 0, 0}, {0, 4, 8, CORE_ALL}},
    {"patent", 1, "per-rnc", "lazy", false, 2, SIG_SGSN, {1, 0, 0, 0}, {3, 4, 8, CORE_ALL}},
    /* E2 per-cell within RNC 0: as E1, in RNC 0's group. The leave from
     * cell 1: its sub-group 2 p2p, RNC 0's group key under its 2
     * sub-groups, no core; lazy: cell 0's stale sub-group first, +1 p2p. */
    {"patent", 2, "per-cell", "eager", false, 1, SIG_INTRA, {2, 0, 0, 0}, {2, 2, 2, 0}},
    {"patent", 2, "per-cell", "lazy", false, 1, SIG_INTRA, {1, 0, 0, 0}, {3, 2, 2, 0}},
    /* E2 per-cell to RNC 1: a leave of RNC 0's group (cell 0's sub-group
     * {8} 1 p2p, RNC 0's group key under its 2 sub-groups: 2 p2m) and a
     * join of RNC 1's (into cell 2's {2, 10}: 1 p2p), the same eager or
     * lazy. The leave from cell 2: {2, 10} 2 p2p, RNC 1's group key under
     * its 2 sub-groups. */
    {"patent", 2, "per-cell", "eager", false, 2, SIG_SGSN, {2, 2, 2, 0}, {2, 2, 2, 0}},
    {"patent", 2, "per-cell", "lazy", false, 2, SIG_SGSN, {2, 2, 2, 0}, {2, 2, 2, 0}},
    {"patent", 2, "per-cell", "lazy", false, 4, SIG_GGSN, {2, 2, 2, 0}, {2, 2, 2, 0}},
    /* with join rekey the join part also changes cell 2's sub-group key
     * (p2m under its old value, cell 2: 1 tx) and RNC 1's group key (p2m
     * under the old one to RNC 1's other members, cells 2 and 3: 2 tx). The
     * leave changes the same as without. */
    {"patent", 2, "per-cell", "eager", true, 2, SIG_SGSN, {2, 4, 5, 0}, {2, 2, 2, 0}},
    /* E2 per-rnc within RNC 0: nothing; the leave: {8, 1, 9} 3 p2p, 1 p2m
     * (RNC 0's one sub-group, cells 0 and 1). To RNC 1: the leave of RNC
     * 0's group (3 p2p, 1 p2m in 2 cells) and a join into a new sub-group
     * of RNC 1 (1 p2p); then the leave empties that sub-group: the group
     * key under RNC 1's one remaining sub-group, in cells 2 and 3: 1 p2m,
     * 2 tx. */
    {"patent", 2, "per-rnc", "eager", false, 1, SIG_INTRA, {0, 0, 0, 0}, {3, 1, 2, 0}},
    {"patent", 2, "per-rnc", "lazy", false, 2, SIG_SGSN, {4, 1, 2, 0}, {0, 1, 2, 0}},
    /* LKH (degree 4). The 16 members fill the root's 4 children with
     * nodes A {0,4,8,12}, B {1,5,9,13}, C {2,6,10,14}, D {3,7,11,15}
     * (UE i in cell i mod 8: A and B span RNCs 0 and 2, C and D RNCs 1
     * and 3, each in one cell per RNC).
     * E1, UE 0 to cell 2 (RNC 1): its leaf leaves A (now {12,4,8}) and is
     * placed under RNC 1 (docs/flows.md, "Handover", lkh): at the root the
     * children with a member at RNC 1 are C and D (4 leaves each: C, the
     * lower position); C is full, its children with RNC 1 are UEs 2 and
     * 10: UE 2, split into a new node E {2, 0}. The move: E's key to UE 2
     * (1 p2p, RNC 1), the mover's path {E, C, group} (1 p2p). A is on the
     * old path only: eager rekeys it now, its new key to 12, 4 (RNC 2,
     * through the core) and 8 (RNC 0, the old RNC): 3 p2p; core: the
     * handover's key change request RNC 1 -> SGSN 0 -> GGSN -> BM-SC (3)
     * and the BM-SC's request listing RNC 2 -> GGSN -> SGSN 1 -> RNC 2
     * (3). Lazy: A is remembered instead. The leave from cell 2 (lazy
     * first rekeys A as above, 3 p2p, sent with the group stage): E's key
     * to UE 2 (1 p2p), C's under E (1 p2m, cell 2) and to 6, 10, 14
     * (3 p2p), the root under A (RNCs 0, 2), B (0, 2), C (1, 3), D (1, 3):
     * 8 p2m, each in one cell.
     * E1, UE 0 to cell 4 (RNC 2, the other SGSN): out of A ({12,4,8}),
     * then at the root A (3 leaves, members 4 and 12 at RNC 2) beats B
     * (4 leaves) and has room: UE 0 is back under A; its path {A, group}
     * (1 p2p), nothing stale. The leave: A's key to 12, 4, 8 (3 p2p) and
     * the root under the 4 nodes, per RNC: 8 p2m.
     * E2 LKH to RNC 1: the leave of
     * RNC 0's tree (root with leaves 0, 1, 8, 9: the root key to 1, 8, 9,
     * 3 p2p) and the join into RNC 1's full root: a split of UE 2 (the new
     * node's key to UE 2, 1 p2p) and the joiner's path (1 p2p); its leave
     * then: the split node's key to UE 2 (1 p2p), the root under that
     * node (1 p2m, cell 2) and under UEs 3, 10, 11 (3 p2p). Unicast: E1
     * the leave sends the group key to the 15 others; E2 to RNC 1: leave
     * (3 p2p) and join (1 p2p), then the leave to RNC 1's other 4. */
    {"lkh", 1, "per-cell", "eager", false, 2, SIG_SGSN, {5, 0, 0, 6}, {4, 9, 9, CORE_ALL}},
    {"lkh", 1, "per-cell", "lazy", false, 2, SIG_SGSN, {2, 0, 0, 0}, {7, 9, 9, CORE_ALL}},
    {"lkh", 1, "per-cell", "eager", false, 4, SIG_GGSN, {1, 0, 0, 0}, {3, 8, 8, CORE_ALL}},
    {"lkh", 1, "per-cell", "lazy", false, 4, SIG_GGSN, {1, 0, 0, 0}, {3, 8, 8, CORE_ALL}},
    {"lkh", 2, "per-cell", "lazy", false, 2, SIG_SGSN, {5, 0, 0, 0}, {4, 1, 1, 0}},
    {"unicast", 1, "per-cell", "lazy", false, 4, SIG_GGSN, {0, 0, 0, 0}, {15, 0, 0, CORE_ALL}},
    {"unicast", 2, "per-cell", "eager", false, 2, SIG_SGSN, {4, 0, 0, 0}, {4, 0, 0, 0}},
    /* batch over the patent tree (batch-interval 1 s): the move, gathered
     * as a leave of cell 0 and a join of its new cell, is the batch at t = 2
     * (its row), the leave the batch at t = 3 (docs/schemes.md, batch).
     * E1, to cell 2: the BM-SC hears of it by the handover's key change
     * request (RNC 1 -> SGSN -> GGSN -> BM-SC, 3 core). Batch: {0, 8} loses
     * 0, key to 8 (1 p2p); {2, 10} gains it, key to 2 and 10 (2 p2p); the
     * group key under the 8 sub-groups (8 p2m, one cell each); the joiner
     * {sub-group, group} (1 p2p); the group key change request to every
     * RNC (7 core). The leave's batch: {2, 10} 2 p2p, 8 p2m, 7 core. To
     * cell 1 the same with {1, 9}. E2, to cell 2: RNC 0's batch (the leave:
     * 8's key, 1 p2p; RNC 0's group key under its 2 sub-groups, 2 p2m) and
     * RNC 1's (the join: 2 and 10, 2 p2p; RNC 1's group key under its 2
     * sub-groups, 2 p2m; the joiner 1 p2p); the leave: {2, 10} 2 p2p and
     * 2 p2m. */
    {"batch-patent",
     1,
     "per-cell",
     "eager",
     false,
     2,
     SIG_SGSN,
     {4, 8, 8, CORE_ALL + 3},
     {2, 8, 8, CORE_ALL}},
    {"batch-patent",
     1,
     "per-cell",
     "lazy",
     false,
     1,
     SIG_INTRA,
     {4, 8, 8, CORE_ALL + 3},
     {2, 8, 8, CORE_ALL}},
    {"batch-patent", 2, "per-cell", "eager", false, 2, SIG_SGSN, {4, 4, 4, 0}, {2, 2, 2, 0}},
};

/* At the end: every member holds the current keys of its place (the key
 * tree's: sub-group or node keys and group key, same value), its radio is
 * camped on the tree's cell and listens to that cell's bearer only. */
typedef struct {
  guint members, checked;
} EndState;

static bool ring_has(const GArray *ring, const KtKey *k) {
  for (guint i = 0; i < ring->len; i++) {
    const KtKey *h = &g_array_index(ring, KtKey, i);
    if (kt_ref_equal(h->ref, k->ref) && memcmp(h->bytes, k->bytes, KT_KEYBYTES) == 0)
      return true;
  }
  return false;
}

static void check_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  EndState *st = ctx;
  uint32_t cpr = kt_tree_config(tree)->cells_per_rnc;
  GArray *ring = g_array_new(FALSE, FALSE, sizeof(KtKey));
  GArray *cells = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (uint32_t ue = 0; ue < wl->ue_id_end; ue++) {
    if (!kt_tree_is_member(tree, ue))
      continue;
    st->members++;
    uint32_t cell = kt_tree_ue_cell(tree, ue);
    g_assert_cmpuint(net_ue_camped_cell(net, ue), ==, cell);
    g_assert_true(net_ue_listens(net, ue, cell));
    /* no other cell's bearer counts it, under any RNC */
    for (uint32_t c = 0; c < kt_tree_config(tree)->n_rnc * cpr; c++)
      g_assert_true(c == cell || !net_ue_listens(net, ue, c));
    g_array_set_size(ring, 0);
    net_ue_copy_keys(net, ue, ring);
    const KtKey *keys[KT_PLAN_MAX_KEYS];
    guint n = kt_tree_ue_keys(tree, ue, keys, G_N_ELEMENTS(keys));
    for (guint i = 0; i < n; i++)
      if (!ring_has(ring, keys[i]))
        g_error("member %u lacks key %#x v%u of its place", ue, keys[i]->ref.id,
                keys[i]->ref.version);
    /* a delivery to its sub-group (patent) reaches its cell */
    uint32_t sg = kt_tree_ue_subgroup(tree, ue);
    if (kt_tree_subgroup_alive(tree, sg)) {
      KtDelivery d = {.target = KT_TO_SUBGROUP, .target_id = sg, .exclude_ue = KT_NO_UE};
      g_array_set_size(cells, 0);
      kt_tree_audience_cells(tree, &d, cells);
      bool reached = false;
      for (guint i = 0; i < cells->len; i++)
        reached |= g_array_index(cells, guint32, i) == cell;
      g_assert_true(reached);
    }
    for (guint i = 0; i < ring->len; i++)
      kt_key_wipe(&g_array_index(ring, KtKey, i));
    st->checked++;
  }
  g_array_free(ring, TRUE);
  g_array_free(cells, TRUE);
  g_assert_cmpuint(net_pending_wraps(net), ==, 0);
  g_assert_cmpuint(net_ue_actions_waiting(net), ==, 0);
}

static const char *hand_ini = "[run]\nseed = 5\nduration = 3\n"
                              "[topology]\nggsn = 1\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 2\n"
                              "cells-per-rnc = 2\nsubgroup-size = 4\n"
                              "[workload]\ninitial-members = 16\nevents = events.csv\n"
                              "[security]\neavesdrop = all-cells\n";

static void run_hand(gconstpointer data) {
  const HandCase *c = data;
  g_autofree char *csv = g_strdup_printf("time,action,ue,cell\n1,move,0,%u\n2,leave,0,\n", c->to);
  TmpScenario t = tmp_scenario(hand_ini, csv);
  bool batch = g_str_has_prefix(c->scheme, "batch-"); /* batch over that tree */
  char *o[6] = {g_strdup_printf("run.embodiment=%d", c->embodiment),
                g_strdup_printf("topology.subgroup-policy=%s", c->policy),
                g_strdup_printf("mobility.handover-rekey=%s", c->rekey),
                g_strdup_printf("run.join-rekey=%s", c->join_rekey ? "true" : "false"),
                batch ? g_strdup("run.scheme=batch") : g_strdup_printf("run.scheme=%s", c->scheme),
                g_strdup_printf("run.batch-tree=%s", batch ? c->scheme + 6 : "patent")};
  const char *const overrides[] = {o[0], o[1], o[2], o[3], o[4], o[5], NULL};
  GError *error = NULL;
  Scenario *scn = scn_load(t.ini, overrides, &error);
  g_assert_no_error(error);
  EndState end = {0};
  RunHooks hooks = {.at_end = check_end, .ctx = &end};
  RunResult r;
  g_assert_true(run_scenario(scn, &hooks, &r, &error));
  g_assert_no_error(error);
  assert_clean(&r);
  g_assert_cmpuint(metrics_n_events(r.metrics), ==, 2);
  const EventRecord *mv = metrics_event(r.metrics, 0), *lv = metrics_event(r.metrics, 1);
  g_assert_cmpint(mv->kind, ==, EV_MOVE);
  g_assert_cmpuint(mv->from_cell, ==, 0);
  g_assert_cmpuint(mv->cell, ==, c->to);
  g_assert_cmpuint(mv->signalling_msgs, ==, c->move_sig);
  assert_counts(mv, c->move);
  assert_counts(lv, c->leave);
  /* the deactivation's 8 messages (docs/flows.md) */
  g_assert_cmpuint(lv->signalling_msgs, ==, 8);
  g_assert_cmpuint(r.summary.moves, ==, 1);
  g_assert_cmpuint(r.summary.inter_rnc_moves, ==, c->to / 2 != 0);
  /* a move keeps the group key, but for embodiment 2 to another RNC and
   * with batch rekeying (a leave and a join) */
  g_assert_cmpuint(mv->group_changed, ==, (c->embodiment == 2 && c->to / 2 != 0) || batch);
  /* nothing sent after UE 0 left (or moved away) opens for it */
  g_assert_cmpuint(r.summary.fwd_violations, ==, 0);
  g_assert_cmpuint(end.members, ==, 15);
  g_assert_cmpuint(end.checked, ==, 15);
  run_result_clear(&r);
  scn_free(scn);
  for (guint i = 0; i < G_N_ELEMENTS(o); i++)
    g_free(o[i]);
  tmp_free(&t);
}

/* ------------------------------------------------------------ churn */

typedef struct {
  const char *scheme;
  int embodiment;
  const char *rekey;
  const char *policy;
  bool two_rncs;   /* the network of churn_two_ini */
  bool join_rekey; /* then nothing sent before a join opens to the joiner */
} ChurnCase;

static const ChurnCase churn[] = {
    {"patent", 1, "eager", "per-cell", false, false},
    {"patent", 1, "lazy", "per-cell", false, false},
    {"patent", 2, "eager", "per-cell", false, false},
    {"patent", 2, "lazy", "per-cell", false, false},
    {"patent", 1, "lazy", "per-rnc", false, false},
    {"patent", 2, "eager", "per-rnc", false, false},
    {"lkh", 1, "eager", "per-cell", false, false},
    {"lkh", 2, "eager", "per-cell", false, false},
    {"unicast", 1, "eager", "per-cell", false, false},
    {"unicast", 2, "eager", "per-cell", false, false},
    {"broadcast", 1, "eager", "per-cell", false, false},
    {"broadcast", 2, "eager", "per-cell", false, false},
    /* every scheme, both embodiments, on two RNCs where movers come back
     * to the group they left (embodiment 2: a UE's old group's keys, kept
     * in its ring, must not make it wait for their later versions) */
    {"patent", 1, "lazy", "per-cell", true, false},
    {"patent", 2, "eager", "per-cell", true, false},
    {"lkh", 1, "eager", "per-cell", true, false},
    {"lkh", 1, "lazy", "per-cell", true, false},
    {"lkh", 2, "eager", "per-cell", true, false},
    {"unicast", 1, "eager", "per-cell", true, false},
    {"unicast", 2, "eager", "per-cell", true, false},
    {"broadcast", 1, "eager", "per-cell", true, false},
    {"broadcast", 2, "eager", "per-cell", true, false},
    {"oft", 1, "eager", "per-cell", true, false},
    {"oft", 2, "eager", "per-cell", true, false},
    {"sd", 1, "eager", "per-cell", true, false},
    {"sd", 2, "eager", "per-cell", true, false},
    {"3gpp", 1, "eager", "per-cell", true, false},
    {"3gpp", 2, "eager", "per-cell", true, false},
    /* batch: a move is gathered as a leave and a join */
    {"batch-patent", 1, "eager", "per-cell", false, false},
    {"batch-patent", 2, "eager", "per-cell", false, false},
    {"batch-lkh", 1, "eager", "per-cell", false, false},
    {"batch-lkh", 2, "eager", "per-cell", false, false},
    {"batch-patent", 1, "eager", "per-cell", true, false},
    {"batch-patent", 2, "eager", "per-cell", true, false},
    {"batch-lkh", 1, "eager", "per-cell", true, false},
    {"batch-lkh", 2, "eager", "per-cell", true, false},
    /* join rekey, embodiment 2, movers coming back to a group they left:
     * the old keys of that group in their ring were theirs before the
     * join (as a departed UE's), so what they open is no backward
     * exposure (it once counted as one) */
    {"patent", 2, "eager", "per-cell", true, true},
    {"patent", 2, "lazy", "per-rnc", true, true},
    {"lkh", 2, "eager", "per-cell", true, true},
    {"unicast", 2, "eager", "per-cell", true, true},
    {"broadcast", 2, "eager", "per-cell", true, true},
    {"oft", 2, "eager", "per-cell", true, true},
    {"sd", 2, "eager", "per-cell", true, true},
    {"3gpp", 2, "eager", "per-cell", true, true},
    {"batch-patent", 2, "eager", "per-cell", true, true},
    {"batch-lkh", 2, "eager", "per-cell", true, true},
    {"patent", 1, "lazy", "per-cell", true, true},
    {"lkh", 1, "eager", "per-cell", true, true},
};

/* Churn and moves stop 5 s before the end (the trace of the CSV is only a
 * last leave at t = 35 of initial member 0, so that the run ends with a
 * rekey no move overlaps): every key then reaches every member. */
static const char *churn_ini = "[run]\nseed = 21\nduration = 40\nlkh-degree = 3\n"
                               "[topology]\nggsn = 2\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 2\n"
                               "cells-per-rnc = 3\nsubgroup-size = 3\n"
                               "[workload]\ninitial-members = 60\njoin-rate = 1\n"
                               "mean-membership = 25\nevents = events.csv\n"
                               "[security]\neavesdrop = all-cells\n"
                               "[mobility]\nhandover-rate = 0.08\nintra-rnc = 0.4\n"
                               "intra-sgsn = 0.5\n";

/* Two RNCs of two cells, most moves between the RNCs: each mover comes
 * back to the RNC it left, several times per membership. */
static const char *churn_two_ini = "[run]\nseed = 22\nduration = 40\nlkh-degree = 3\n"
                                   "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                                   "cells-per-rnc = 2\nsubgroup-size = 3\n"
                                   "[workload]\ninitial-members = 40\njoin-rate = 1\n"
                                   "mean-membership = 25\nevents = events.csv\n"
                                   "[security]\neavesdrop = all-cells\n"
                                   "[mobility]\nhandover-rate = 0.15\nintra-rnc = 0.2\n";

static void run_churn(gconstpointer data) {
  const ChurnCase *c = data;
  TmpScenario t =
      tmp_scenario(c->two_rncs ? churn_two_ini : churn_ini, "time,action,ue,cell\n39.5,leave,0,\n");
  /* "batch-T": scheme batch over tree T */
  bool batch = g_str_has_prefix(c->scheme, "batch-");
  char *o[6] = {batch ? g_strdup("run.scheme=batch") : g_strdup_printf("run.scheme=%s", c->scheme),
                g_strdup_printf("run.embodiment=%d", c->embodiment),
                g_strdup_printf("mobility.handover-rekey=%s", c->rekey),
                g_strdup_printf("topology.subgroup-policy=%s", c->policy),
                g_strdup_printf("run.batch-tree=%s", batch ? c->scheme + 6 : "patent"),
                g_strdup_printf("run.join-rekey=%s", c->join_rekey ? "true" : "false")};
  const char *const overrides[] = {o[0], o[1], o[2], o[3], o[4], o[5], NULL};
  GError *error = NULL;
  Scenario *scn = scn_load(t.ini, overrides, &error);
  g_assert_no_error(error);
  EndState end = {0};
  RunHooks hooks = {.at_end = check_end, .ctx = &end, .verify_data = true};
  RunResult r;
  g_assert_true(run_scenario(scn, &hooks, &r, &error));
  g_assert_no_error(error);
  g_test_message("%s e%d %s %s: %u moves (%u between RNCs), %u members, fwd %" G_GUINT64_FORMAT
                 ", rejected %" G_GUINT64_FORMAT ", incomplete %u",
                 c->scheme, c->embodiment, c->rekey, c->policy, r.summary.moves,
                 r.summary.inter_rnc_moves, end.members, r.summary.fwd_violations,
                 r.summary.rejected_msgs, r.summary.incomplete_rekeys);
  g_assert_cmpuint(r.summary.moves, >, 50);
  g_assert_cmpuint(r.summary.inter_rnc_moves, >, 10);
  g_assert_cmpuint(r.summary.unwrap_failures, ==, 0);
  g_assert_cmpuint(r.summary.link_drops, ==, 0);
  g_assert_cmpuint(end.checked, ==, end.members);
  g_assert_cmpuint(end.members, >, 10);
  /* no departed UE, nor a UE that moved away from a group (embodiment 2) or
   * from a sub-group (its stale keys, lazy or eager), opens a wrap sent
   * after it left; broadcast sends exactly that, by design, and batch
   * rekeying lets a leaver (a mover out of its place) listen with its old
   * keys until the batch (docs/schemes.md, batch) */
  if (strcmp(c->scheme, "broadcast") != 0 && !batch)
    g_assert_cmpuint(r.summary.fwd_violations - r.summary.data_leaked, ==, 0);
  if (c->join_rekey)
    g_assert_cmpuint(r.summary.bwd_exposures, ==, 0);
  run_result_clear(&r);
  scn_free(scn);
  for (guint i = 0; i < G_N_ELEMENTS(o); i++)
    g_free(o[i]);
  tmp_free(&t);
}

/* ------------------------------------------- batch: a join its radio left
 *
 * Embodiment 2, batch over the patent tree (interval 1 s), 2 RNCs of one
 * cell under one SGSN (RNC r has cell r), sub-groups of 2, per-cell; 4
 * initial members: S0 = {0, 2} in cell 0, S1 = {1, 3} in cell 1. A move's
 * leave reaches the old RNC 14.6 ms after the radio moves, its join the
 * new RNC 18.6 ms after (the relocation's hops), so:
 * - t = 1.983, UE 0 to cell 1: RNC 0 gathers the leave before 2 s, RNC 1
 *   the join after. RNC 0's batch at 2: S0 = {2}, its key to 2 (1 p2p),
 *   RNC 0's group key under S0 (1 p2m, cell 0).
 * - t = 2.99, UE 0 back to cell 0: its radio (and its bearer) is in cell 0
 *   before RNC 1's batch at 3, whose leave comes after it. RNC 1's batch
 *   at 3 is the first move's join: S1 is full, UE 0 gets a new sub-group
 *   S1' (nobody else: no group key under it), RNC 1's group key under S1
 *   (1 p2m, cell 1); UE 0's keys point-to-point cannot reach it (camped
 *   under RNC 0: 1 rejected message, no p2p). The bearer of cell 1 does
 *   not admit it: its radio is not there (docs/flows.md, "Handover",
 *   batch). Both batches carry the first move's seq: its row is 1 p2p, 2
 *   p2m, 2 tx.
 * - At 4, RNC 1's timer (set at its leave, 3.0046) first: S1' empties, RNC
 *   1's group key under S1 (1 p2m); then RNC 0's (the join, 3.0086; UE 0
 *   no member now): S0 = {2, 0}, its key to 2 (1 p2p), UE 0 its keys (1
 *   p2p), RNC 0's group key under S0 (1 p2m). Second move's row: 2 p2p, 2
 *   p2m, 2 tx.
 * - t = 5.5, UE 4 joins cell 0; RNC 0's batch at 6: S0 full, a new
 *   sub-group {4} (no group key under it), RNC 0's group key under S0 (1
 *   p2m, which UE 0 hears only if it listens in cell 0: before the fix the
 *   release of its stray cell-1 admission at 4 ended its listening there)
 *   and the joiner's keys (1 p2p).
 * At the end every member (0 to 4) holds its current keys. */
static void test_batch_join_radio_left(void) {
  EndState end = {0};
  RunHooks hooks = {.at_end = check_end, .ctx = &end, .verify_data = true};
  RunResult r =
      run_text("[run]\nseed = 5\nduration = 8\nscheme = batch\nembodiment = 2\n"
               "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
               "cells-per-rnc = 1\nsubgroup-size = 2\nsubgroup-policy = per-cell\n"
               "[workload]\ninitial-members = 4\nevents = events.csv\n",
               "time,action,ue,cell\n1.983,move,0,1\n2.99,move,0,0\n5.5,join,4,0\n", NULL, &hooks);
  g_assert_cmpuint(metrics_n_events(r.metrics), ==, 3);
  const EventRecord *m1 = metrics_event(r.metrics, 0), *m2 = metrics_event(r.metrics, 1),
                    *j = metrics_event(r.metrics, 2);
  g_assert_cmpint(m1->kind, ==, EV_MOVE);
  g_assert_cmpint(m2->kind, ==, EV_MOVE);
  g_assert_cmpint(j->kind, ==, EV_JOIN);
  g_assert_cmpuint(m1->signalling_msgs, ==, SIG_SGSN);
  g_assert_cmpuint(m2->signalling_msgs, ==, SIG_SGSN);
  assert_counts(m1, (Counts){1, 2, 2, 0});
  assert_counts(m2, (Counts){2, 2, 2, 0});
  assert_counts(j, (Counts){1, 1, 1, 0});
  g_assert_cmpuint(r.summary.moves, ==, 2);
  g_assert_cmpuint(r.summary.inter_rnc_moves, ==, 2);
  g_assert_cmpuint(r.summary.rejected_msgs, ==, 1); /* UE 0's keys from RNC 1 at 3 */
  g_assert_cmpuint(r.summary.unwrap_failures, ==, 0);
  g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
  g_assert_cmpuint(end.members, ==, 5);
  g_assert_cmpuint(end.checked, ==, 5);
  run_result_clear(&r);
}

/* Batch, a join deferred at the run's end (docs/flows.md, "Handover",
 * batch): the network and members of batch-join-radio-left, duration 3.
 * - t = 2.3, UE 4 joins cell 1: RNC 1's timer is set (for 3) before RNC
 *   0's, so at 3 RNC 1's batch comes first.
 * - t = 2.9, UE 0 to cell 1: RNC 0 gathers the leave (2.9146), RNC 1 the
 *   join (2.9186). At 3 RNC 1 finds UE 0 still a member of RNC 0's group:
 *   its join waits; UE 4 joins (S1 full: a new sub-group {4}, no group key
 *   under it), RNC 1's group key under S1 (1 p2m), UE 4's keys (1 p2p).
 *   RNC 0 then applies the leave: S0 = {2}, its key to 2 (1 p2p), the
 *   group key under S0 (1 p2m). Both batches on the move's row (the last
 *   op each gathered): 2 p2p, 2 p2m, 2 tx; the join's row nothing.
 * - t = 2.99, UE 0 back to cell 0: RNC 1 gathers its leave (3.0046), RNC 0
 *   its join (3.0086); t = 2.998, UE 3 leaves (RNC 1, after 3).
 * - At 4 RNC 1 first (its timer set again at 3): UE 0 is no member now,
 *   its join and leave there cancel; UE 3's leave: S1 = {1}, its key to 1
 *   (1 p2p), the group key under S1 and under {4} (2 p2m, cell 1 each):
 *   the leave's row. RNC 0: UE 0 joins S0 = {2, 0}: its key to 2 and UE
 *   0's keys (2 p2p), the group key under S0 (1 p2m): the second move's
 *   row.
 * Nothing rejected; members 0, 1, 2, 4. (Dropping the deferred join at 3,
 * the first batch at the duration, made RNC 1's batch at 4 a leave of a
 * non-member, rejected whole: UE 3 stayed a member.) */
static void test_batch_deferred_at_end(void) {
  EndState end = {0};
  RunHooks hooks = {.at_end = check_end, .ctx = &end, .verify_data = true};
  RunResult r = run_text("[run]\nseed = 5\nduration = 3\nscheme = batch\nembodiment = 2\n"
                         "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                         "cells-per-rnc = 1\nsubgroup-size = 2\nsubgroup-policy = per-cell\n"
                         "[workload]\ninitial-members = 4\nevents = events.csv\n",
                         "time,action,ue,cell\n2.3,join,4,1\n2.9,move,0,1\n2.99,move,0,0\n"
                         "2.998,leave,3,\n",
                         NULL, &hooks);
  assert_clean(&r);
  g_assert_cmpuint(metrics_n_events(r.metrics), ==, 4);
  const Counts want[] = {{0, 0, 0, 0}, {2, 2, 2, 0}, {2, 1, 1, 0}, {1, 2, 2, 0}};
  const EvKind kinds[] = {EV_JOIN, EV_MOVE, EV_MOVE, EV_LEAVE};
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    const EventRecord *e = metrics_event(r.metrics, i);
    g_assert_cmpint(e->kind, ==, kinds[i]);
    assert_counts(e, want[i]);
  }
  g_assert_cmpuint(end.members, ==, 4);
  g_assert_cmpuint(end.checked, ==, 4);
  run_result_clear(&r);
}

/* Batch, embodiment 2, fast movers between two RNCs of one cell (a move
 * per member per second, batches every second, churn to the end): the
 * seeds where, before the two fixes above, members ended without their
 * group's current key. Every member holds the current keys of where it is
 * at the end, and every rekey completed. */
static void test_batch_fast_movers(gconstpointer data) {
  const char *tree = data;
  static const char *const seeds[] = {"28241", "2", "8", "26"};
  const char *ini = "[run]\nscheme = batch\nembodiment = 2\njoin-rekey = true\nduration = 20\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 1\ncells-per-rnc = 1\n"
                    "subgroup-size = 2\nsubgroup-policy = per-cell\n"
                    "[workload]\ninitial-members = 20\njoin-rate = 3\nmean-membership = 20\n"
                    "[mobility]\nhandover-rate = 1\nhandover-rekey = lazy\n"
                    "[loss]\ncommon = bernoulli\ncommon-loss = 0\n";
  for (guint i = 0; i < G_N_ELEMENTS(seeds); i++) {
    g_autofree char *seed = g_strdup_printf("run.seed=%s", seeds[i]);
    g_autofree char *batch_tree = g_strdup_printf("run.batch-tree=%s", tree);
    const char *const overrides[] = {seed, batch_tree, NULL};
    EndState end = {0};
    RunHooks hooks = {.at_end = check_end, .ctx = &end};
    RunResult r = run_text(ini, NULL, overrides, &hooks);
    g_assert_cmpuint(r.summary.inter_rnc_moves, >, 100);
    g_assert_cmpuint(r.summary.loss.members_without_current_key, ==, 0);
    g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
    g_assert_cmpuint(end.checked, ==, end.members);
    run_result_clear(&r);
  }
}

/* handover-rate 0 with a [mobility] section: the same run as without one
 * (only the mobility columns are added). */
static void test_static_same(void) {
  TmpScenario a = tmp_scenario("[run]\nseed = 4\nduration = 20\n[workload]\ninitial-members = 30\n"
                               "join-rate = 1\nmean-membership = 10\n",
                               NULL);
  TmpScenario b =
      tmp_scenario("[run]\nseed = 4\nduration = 20\n[workload]\ninitial-members = 30\n"
                   "join-rate = 1\nmean-membership = 10\n[mobility]\nhandover-rate = 0\n",
                   NULL);
  GError *error = NULL;
  Scenario *sa = scn_load(a.ini, NULL, &error), *sb = scn_load(b.ini, NULL, &error);
  g_assert_no_error(error);
  g_assert_false(sa->mobility);
  g_assert_true(sb->mobility);
  RunResult ra, rb;
  g_assert_true(run_scenario(sa, NULL, &ra, &error));
  g_assert_true(run_scenario(sb, NULL, &rb, &error));
  g_assert_cmpuint(rb.summary.moves, ==, 0);
  Summary x = ra.summary, y = rb.summary;
  g_assert_cmpuint(x.joins, ==, y.joins);
  g_assert_cmpuint(x.leaves, ==, y.leaves);
  g_assert_cmpuint(x.p2p_msgs, ==, y.p2p_msgs);
  g_assert_cmpuint(x.p2m_msgs, ==, y.p2m_msgs);
  g_assert_cmpuint(x.core_msgs, ==, y.core_msgs);
  g_assert_cmpuint(x.signalling_msgs, ==, y.signalling_msgs);
  g_assert_cmpuint(x.bytes, ==, y.bytes);
  g_assert_cmpuint(x.wraps, ==, y.wraps);
  g_assert_cmpfloat(x.latency_mean, ==, y.latency_mean);
  g_assert_cmpuint(x.sim_events, ==, y.sim_events);
  run_result_clear(&ra);
  run_result_clear(&rb);
  scn_free(sa);
  scn_free(sb);
  tmp_free(&a);
  tmp_free(&b);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS(hand); i++) {
    const HandCase *c = &hand[i];
    g_autofree char *name =
        g_strdup_printf("/mobility/hand/%s/e%d/%s/%s%s/to-%u", c->scheme, c->embodiment, c->policy,
                        c->rekey, c->join_rekey ? "-join-rekey" : "", c->to);
    g_test_add_data_func(name, c, run_hand);
  }
  for (guint i = 0; i < G_N_ELEMENTS(churn); i++) {
    const ChurnCase *c = &churn[i];
    g_autofree char *name = g_strdup_printf(
        "/mobility/churn%s%s/%s/e%d/%s/%s", c->two_rncs ? "-two-rncs" : "",
        c->join_rekey ? "-join-rekey" : "", c->scheme, c->embodiment, c->rekey, c->policy);
    g_test_add_data_func(name, c, run_churn);
  }
  g_test_add_func("/mobility/static-same", test_static_same);
  g_test_add_func("/mobility/batch-join-radio-left", test_batch_join_radio_left);
  g_test_add_func("/mobility/batch-deferred-at-end", test_batch_deferred_at_end);
  g_test_add_data_func("/mobility/batch-fast-movers/patent", "patent", test_batch_fast_movers);
  g_test_add_data_func("/mobility/batch-fast-movers/lkh", "lkh", test_batch_fast_movers);
  return g_test_run();
}
