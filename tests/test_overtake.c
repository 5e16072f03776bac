/* test_overtake.c — keys that a move races (docs/flows.md, "Handover": "Key
 * repair"; "Overlapping events"): hand-built traces whose link delays put
 * one event's keys in a move's gap, each count derived from the rules in
 * the comments, and runs that once left members without their keys.
 *
 * Default links (scenarios/README.md): DCH 10 ms, common channel 20 ms,
 * Iu 2 ms, core 5 ms; a small message's transmission time adds well under
 * 1 ms on each. */
#include <glib.h>

#include "app/run.h"
#include "app/scenario.h"
#include "keytree/kt_tree.h"
#include "nodes/net.h"

#include "test_runs.h"

/* At the end: no member waits for a key and each holds its group key. */
typedef struct {
  guint members, member_pending;
} End;

static void at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  End *e = ctx;
  e->member_pending = net_member_pending_wraps(net);
  e->members = assert_members_hold_group_key(net, tree, wl);
}

static RunResult run_case(const char *ini, const char *csv, const char *const *overrides,
                          End *end) {
  RunHooks hooks = {.at_end = at_end, .ctx = end};
  return run_text(ini, csv, overrides, &hooks);
}

/* ------------------------------------------------------------------ 2
 * LKH, embodiment 1, degree 2, one RNC of 2 cells, members 0..7 (UE i in
 * cell i mod 2). Provisioned in order by the placement rule
 * (docs/schemes.md, lkh): 0, 1 under the root; 2 splits 0 (N1 {0, 2}), 3
 * splits 1 (N2 {1, 3}), 4 splits 0 (N3 {0, 4} in N1), 5 splits 1 (N4
 * {1, 5} in N2), 6 splits 2 (N5 {2, 6} in N1), 7 splits 3 (N6 {3, 7} in
 * N2): root {N1 {N3 {0, 4}, N5 {2, 6}}, N2 {N4 {1, 5}, N6 {3, 7}}}, a full
 * tree of depth L = 3. N1's members 0, 2, 4, 6 are all in cell 0.
 *
 * t = 1.000: UE 2 leaves (its request reaches the RNC at about 1.0106).
 * t = 1.005: UE 0 moves to cell 1: it camps at once, its cell update
 * reaches the RNC at about 1.0156, after the leave's plan. The leave's
 * node keys are local (sent at the plan): N5's to UE 6 (p2p), N1's under
 * N5 and under N3 (p2m to cell 0, where the tree still has UE 0: it does
 * not hear it). The group key is sent after the core round trip (about
 * 1.035), under N1's new key and N2's, when the tree has UE 0 in cell 1:
 * UE 0 hears the wrap under N1 v2 but holds N1 v1, so it waits. The move's
 * key repair (group key versions) sees nothing: the RNC's group key was
 * still v1. Leave, by the rule (full tree, d = 2, L = 3): d - 1 = 1 p2p,
 * d (L - 1) = 4 p2m; transmissions: N1 under N5 (cell 0), N1 under N3
 * (cell 0), root under N1 (cells 0, 1), root under N2 (cell 1) = 5; core:
 * GGSN, SGSN, RNC = 3.
 * t = 2.035 or so: the wrap has waited 1 s; UE 0's own timer fires: it
 * asks once (MBMS key request naming the first leave: +1 signalling) and
 * the RNC sends every key of its place (+1 p2p), both on the first leave's
 * row; then what waited opens.
 * t = 2.5: UE 7 leaves from cell 1 (its path N6, N2, the root; N2's
 * subtree is still full): by the same rule 1 p2p, 4 p2m; transmissions:
 * N2 under N4 and under N6 (cell 1 each), the root under N1 (UE 0 in cell
 * 1, UEs 4, 6 in cell 0: 2) and under N2 (cell 1): 5; core 3. The move:
 * cell update and confirm, 2 signalling, nothing else.
 * Without the second leave (node-key-in-gap-at-end) nothing more is heard
 * on cell 1: the repair is the same (the UE's timer, not a later key
 * assignment, makes it ask; it once waited for good there). */
static const char node_key_gap_ini[] = "[run]\nseed = 3\nduration = 4\nscheme = lkh\n"
                                       "lkh-degree = 2\n"
                                       "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\n"
                                       "rnc-per-sgsn = 1\ncells-per-rnc = 2\n"
                                       "subgroup-size = 4\n"
                                       "[workload]\ninitial-members = 8\nevents = events.csv\n";

static void test_node_key_in_gap(void) {
  End end = {0};
  RunResult r =
      run_case(node_key_gap_ini, "time,action,ue,cell\n1,leave,2,\n1.005,move,0,1\n2.5,leave,7,\n",
               NULL, &end);
  assert_clean(&r);
  g_assert_cmpuint(end.member_pending, ==, 0);
  g_assert_cmpuint(end.members, ==, 6);
  const EventRecord *lv = metrics_event(r.metrics, 0), *mv = metrics_event(r.metrics, 1),
                    *lv2 = metrics_event(r.metrics, 2);
  assert_counts(lv2, (Counts){.p2p = 1, .p2m = 4, .p2m_tx = 5, .core = 3});
  g_assert_cmpuint(lv2->signalling_msgs, ==, 8);
  g_assert_cmpint(lv->kind, ==, EV_LEAVE);
  g_assert_cmpint(mv->kind, ==, EV_MOVE);
  assert_counts(lv, (Counts){.p2p = 1 + 1, .p2m = 4, .p2m_tx = 5, .core = 3});
  g_assert_cmpuint(lv->signalling_msgs, ==, 8 + 1);
  assert_counts(mv, (Counts){0, 0, 0, 0});
  g_assert_cmpuint(mv->signalling_msgs, ==, 2);
  g_assert_cmpuint(r.summary.loss.key_requests, ==, 1);
  run_result_clear(&r);
}

static void test_node_key_in_gap_at_end(void) {
  End end = {0};
  RunResult r =
      run_case(node_key_gap_ini, "time,action,ue,cell\n1,leave,2,\n1.005,move,0,1\n", NULL, &end);
  assert_clean(&r);
  g_assert_cmpuint(end.member_pending, ==, 0);
  g_assert_cmpuint(end.members, ==, 7);
  const EventRecord *lv = metrics_event(r.metrics, 0), *mv = metrics_event(r.metrics, 1);
  assert_counts(lv, (Counts){.p2p = 1 + 1, .p2m = 4, .p2m_tx = 5, .core = 3});
  g_assert_cmpuint(lv->signalling_msgs, ==, 8 + 1);
  assert_counts(mv, (Counts){0, 0, 0, 0});
  g_assert_cmpuint(mv->signalling_msgs, ==, 2);
  g_assert_cmpuint(r.summary.loss.key_requests, ==, 1);
  run_result_clear(&r);
}

/* The network and trace of the two cases below (UE 1 leaves at 1, UE 2
 * moves from cell 2 to cell 0 at 1.1) under `scheme`, with what both
 * expect of the move: RNC 1's point-to-point key to UE 2 refused (camped
 * under another RNC), RNC 0's 1 p2p of the keys of its place, relocation
 * signalling 2 + 4, every member on its keys. The leave's counts are the
 * caller's (metrics_event(r.metrics, 0)). */
static RunResult run_key_follows_mover(const char *scheme) {
  g_autofree char *ini =
      g_strdup_printf("[run]\nseed = 3\nduration = 3\nscheme = %s\n"
                      "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                      "cells-per-rnc = 2\nsubgroup-size = 4\n"
                      "[links]\ncore-delay = 0.1\n"
                      "[workload]\ninitial-members = 4\nevents = events.csv\n",
                      scheme);
  End end = {0};
  RunResult r = run_case(ini, "time,action,ue,cell\n1,leave,1,\n1.1,move,2,0\n", NULL, &end);
  g_assert_cmpuint(r.summary.rejected_msgs, ==, 1);
  g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
  g_assert_cmpuint(end.member_pending, ==, 0);
  g_assert_cmpuint(end.members, ==, 3);
  const EventRecord *mv = metrics_event(r.metrics, 1);
  assert_counts(mv, (Counts){.p2p = 1});
  g_assert_cmpuint(mv->signalling_msgs, ==, 2 + 2 * 2);
  return r;
}

/* ------------------------------------------------------------------ 3
 * A group key still in the core when a move ends (docs/flows.md, "Key
 * repair"). unicast, embodiment 1: 1 GGSN, 1 SGSN, 2 RNCs of 2 cells, members 0..3
 * (UE i in cell i: 0, 1 at RNC 0; 2, 3 at RNC 1), a slow core (100 ms a
 * link) so that the group key is in the core for about 0.4 s.
 * t = 1.0: UE 1 leaves (planned at RNC 0 at about 1.0106): the new group
 * key to each remaining member point-to-point from its RNC, after the core
 * (docs/schemes.md, unicast): UE 0 from RNC 0, UEs 2 and 3 from RNC 1, on
 * the RAB assignment requests (about 1.415).
 * t = 1.1: UE 2 moves from cell 2 (RNC 1) to cell 0 (RNC 0): relocation
 * RNC 0 -> SGSN -> RNC 1 and back (2 + 4 signalling), over by about 1.12,
 * before the key reaches either RNC. RNC 1's point-to-point key to UE 2
 * cannot reach it any more (rejected: camped under another RNC). RNC 0
 * owes it the key (docs/flows.md, "Key repair"): when the key reaches RNC
 * 0 it sends UE 2 the keys of its place, 1 p2p on the move's row. Leave:
 * 2 p2p (UEs 0 and 3), core GGSN + SGSN + 2 RNCs = 4. */
static void test_unicast_key_follows(void) {
  RunResult r = run_key_follows_mover("unicast");
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 2, .core = 4});
  run_result_clear(&r);
}

/* 3gpp (docs/schemes.md), embodiment 1, the network and trace above: the
 * key that follows the mover is the MSK's. UE 1's leave (msk-on-leave):
 * the new MSK point-to-point under each remaining member's MUK from its
 * RNC (planned: UE 0 at RNC 0, UEs 2 and 3 at RNC 1), then the new MTK
 * under the new MSK point-to-multipoint once per RNC with members (RNC 0:
 * cell 0, UE 0; RNC 1: cells 2 and 3 as planned, cell 3 once UE 2 has
 * gone), all on the RAB assignment requests (about 1.415). UE 2's
 * relocation is over by about 1.12: RNC 1's MSK to it is refused (camped
 * under RNC 0), and RNC 0 owes it the new MTK. RNC 0's deliveries of that
 * event do not bring it: the MTK goes under the new MSK, which the plan
 * sent UE 2 through RNC 1 only (before, the MTK's delivery under "a key of
 * its place" counted as reaching it, and UE 2 waited for the MSK for
 * good). So RNC 0 sends UE 2 every key of its place, 1 p2p on the move's
 * row. Leave: 2 p2p (UEs 0 and 3), 2 p2m (one per RNC), 2 transmissions
 * (cell 0; cell 3), core GGSN + SGSN + 2 RNCs = 4. */
static void test_3gpp_msk_through_old_rnc(void) {
  RunResult r = run_key_follows_mover("3gpp");
  assert_counts(metrics_event(r.metrics, 0), (Counts){.p2p = 2, .p2m = 2, .p2m_tx = 2, .core = 4});
  run_result_clear(&r);
}

/* patent, embodiment 1, per-cell, eager, sub-groups of 2: the network
 * above, members 0..7 (SGc = {c, c + 4}, full), a slow core.
 * t = 1.0: UE 6 leaves from cell 2 (planned at RNC 1 at about 1.0106):
 * SG2 {2}: 1 p2p at once; the group key p2m under SG0, SG1 (RNC 0), SG2,
 * SG3 (RNC 1), one cell each, on the RAB assignment requests (about
 * 1.415); core 4.
 * t = 1.1: UE 0 moves to cell 1 (RNC 0), whose sub-group is full: a new
 * one, SG4 {0}; it gets {SG4, the group key as RNC 0 has it: v1}, 1 p2p;
 * eager: SG0 {4} rekeyed, 1 p2p. The key tree's group key (v2, in the
 * core) is newer than UE 0's and RNC 0's: RNC 0 owes UE 0 its keys. When
 * v2 arrives, none of its deliveries at RNC 0 (under SG0, SG1) reaches
 * UE 0: every key of its place, 1 p2p more on the move's row. */
static void test_patent_new_subgroup_key_in_core(void) {
  const char *ini = "[run]\nseed = 3\nduration = 3\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                    "cells-per-rnc = 2\nsubgroup-size = 2\nsubgroup-policy = per-cell\n"
                    "[links]\ncore-delay = 0.1\n"
                    "[workload]\ninitial-members = 8\nevents = events.csv\n";
  End end = {0};
  RunResult r = run_case(ini, "time,action,ue,cell\n1,leave,6,\n1.1,move,0,1\n", NULL, &end);
  assert_clean(&r);
  g_assert_cmpuint(end.member_pending, ==, 0);
  g_assert_cmpuint(end.members, ==, 7);
  const EventRecord *lv = metrics_event(r.metrics, 0), *mv = metrics_event(r.metrics, 1);
  assert_counts(lv, (Counts){.p2p = 1, .p2m = 4, .p2m_tx = 4, .core = 4});
  assert_counts(mv, (Counts){.p2p = 2 + 1});
  g_assert_cmpuint(mv->signalling_msgs, ==, 2);
  run_result_clear(&r);
}

/* ------------------------------------------------------------------ 4
 * patent, embodiment 1, per-cell, lazy: 1 GGSN, 1 SGSN, 2 RNCs of 2 cells,
 * sub-groups of 4, members 0..11 (UE i in cell i mod 4): each cell one
 * sub-group of 3, SGc = {c, c + 4, c + 8}. A slow core (100 ms a link).
 * t = 0.5: UE 0 moves from cell 0 to cell 2 (RNC 1): it enters SG2 (room
 * for one), 1 p2p; lazy: it is SG0's stale holder.
 * t = 1.0: UE 0 leaves from cell 2 (planned at RNC 1 at about 1.0106):
 * first SG0, still alive, is rekeyed: its new key to each member p2p from
 * RNC 0, with the leave's group stage (the RAB assignment, about 1.415):
 * UEs 4 and 8 as planned; then SG2 {2, 6, 10}: 3 p2p at once; the group
 * key p2m under each of the 4 sub-groups (one cell each).
 * t = 1.1: UE 4 moves from cell 0 to cell 1 (RNC 0): it enters SG1 (room
 * for one), 1 p2p; lazy: SG0's stale holder now. When RNC 0 carries out
 * the leave's group stage, UE 4 is no longer in SG0: its planned key is
 * not sent (docs/flows.md, "Overlapping events"), so the leave's row has
 * 1 + 3 = 4 p2p, 4 p2m, 4 tx, core GGSN + SGSN + 2 RNCs = 4; sent, it
 * would have replaced UE 4's SG1 key and the group key under SG1 would
 * not open for it. */
static void test_patent_lazy_left_subgroup(void) {
  const char *ini = "[run]\nseed = 3\nduration = 3\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                    "cells-per-rnc = 2\nsubgroup-size = 4\nsubgroup-policy = per-cell\n"
                    "[links]\ncore-delay = 0.1\n"
                    "[workload]\ninitial-members = 12\nevents = events.csv\n"
                    "[mobility]\nhandover-rekey = lazy\n";
  End end = {0};
  RunResult r =
      run_case(ini, "time,action,ue,cell\n0.5,move,0,2\n1,leave,0,\n1.1,move,4,1\n", NULL, &end);
  assert_clean(&r);
  g_assert_cmpuint(end.member_pending, ==, 0);
  g_assert_cmpuint(end.members, ==, 11);
  const EventRecord *m0 = metrics_event(r.metrics, 0), *lv = metrics_event(r.metrics, 1),
                    *m4 = metrics_event(r.metrics, 2);
  assert_counts(m0, (Counts){.p2p = 1});
  assert_counts(lv, (Counts){.p2p = 4, .p2m = 4, .p2m_tx = 4, .core = 4});
  assert_counts(m4, (Counts){.p2p = 1});
  run_result_clear(&r);
}

/* ------------------------------------------------------------------ 1, 5
 * Runs that once left members without keys or counted what they may read:
 * without loss every wrap finds its key and every rekey completes
 * (docs/flows.md, "Latency"), and with join rekey no joiner, a mover
 * that comes back to an RNC's group included, opens anything sent before
 * its join (docs/security.md: backward 0 with join rekey). */

/* oft, embodiment 2: blinded keys whose wrap a newer version of the node
 * key overtook (11 wraps never opened, 6 rekeys incomplete, before a UE
 * kept the version a node key replaced). */
static void test_oft_overtaken(void) {
  const char *ini = "[run]\nseed = 1\nduration = 100\nscheme = oft\nembodiment = 2\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                    "cells-per-rnc = 3\nsubgroup-size = 2\n"
                    "[workload]\ninitial-members = 100\njoin-rate = 1\nmean-membership = 50\n"
                    "[mobility]\nhandover-rate = 0.1\nintra-rnc = 0.5\n";
  End end = {0};
  RunResult r = run_case(ini, NULL, NULL, &end);
  g_assert_cmpuint(r.summary.moves, >, 500);
  /* (a point-to-point message of the old RNC to a mover camped elsewhere
   * is refused, docs/flows.md "Key repair": rejected_msgs may count it) */
  g_assert_cmpuint(r.summary.unwrap_failures, ==, 0);
  g_assert_cmpuint(r.summary.link_drops, ==, 0);
  g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
  g_assert_cmpuint(end.member_pending, ==, 0);
  g_assert_cmpuint(end.members, >, 50);
  run_result_clear(&r);
}

/* lkh, embodiment 2, join rekey, moves between 2 RNCs every second or so
 * (16 backward exposures counted before: a mover's keys from its earlier
 * membership of the group it came back to were taken as its join's). */
static void test_join_rekey_movers_backward(void) {
  const char *ini = "[run]\nseed = 287740\nduration = 40\nscheme = lkh\nembodiment = 2\n"
                    "lkh-degree = 3\njoin-rekey = true\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                    "cells-per-rnc = 3\nsubgroup-size = 2\nsubgroup-policy = per-cell\n"
                    "[workload]\ninitial-members = 20\njoin-rate = 3\nmean-membership = 50\n"
                    "[mobility]\nhandover-rate = 1\nintra-rnc = 0.5\nhandover-rekey = eager\n";
  End end = {0};
  RunResult r = run_case(ini, NULL, NULL, &end);
  g_assert_cmpuint(r.summary.inter_rnc_moves, >, 500);
  g_assert_cmpuint(r.summary.bwd_exposures, ==, 0);
  g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
  g_assert_cmpuint(end.member_pending, ==, 0);
  run_result_clear(&r);
}

/* ------------------------------------------------------------------
 * patent, embodiment 1, join rekey, one RNC of 2 cells, per-cell
 * sub-groups of up to 4: members 0, 2 in cell 0 (sub-group A), 1 in cell 1
 * (sub-group B); a 64 kbit/s stream sealed under the group key.
 * t = 1.000: UE 3 joins in cell 0 (its request reaches the RNC at about
 * 1.0106): it enters A, whose key changes at once; the new group key (join
 * rekey) comes back from the BM-SC after the core round trip (about
 * 1.035).
 * t = 1.005: UE 2 moves to cell 1 (its cell update reaches the RNC at about
 * 1.0156, inside that round trip): it enters B (1 p2p: B's key and the
 * group key), and, eager, A is rekeyed as a leave of A only: its new key
 * with the group key as the RNC has it, point-to-point to each remaining
 * member, UEs 0 and 3 (2 p2p). The group key the RNC has then is the one
 * from before UE 3's join: given to UE 3, it opens every packet sealed
 * under it before the join (the joiner records 60 s): backward exposures
 * with join rekey on. So UE 3's copy carries A's key only; its join brings
 * the new group key. Move: 3 p2p, no p2m; no backward exposure. */
static void test_joiner_not_given_old_group_key(void) {
  const char *ini = "[run]\nseed = 4\nduration = 3\njoin-rekey = true\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\n"
                    "cells-per-rnc = 2\nsubgroup-size = 4\nsubgroup-policy = per-cell\n"
                    "[workload]\ninitial-members = 3\nevents = events.csv\n"
                    "[data]\nrate = 64000\n"
                    "[mobility]\nhandover-rekey = eager\n";
  End end = {0};
  RunResult r = run_case(ini, "time,action,ue,cell\n1,join,3,0\n1.005,move,2,1\n", NULL, &end);
  g_assert_cmpuint(end.member_pending, ==, 0);
  g_assert_cmpuint(end.members, ==, 4);
  const EventRecord *mv = metrics_event(r.metrics, 1);
  assert_counts(mv, (Counts){.p2p = 3, .p2m = 0, .p2m_tx = 0, .core = 0});
  g_assert_cmpuint(r.summary.data_sent, >, 0);
  g_assert_cmpuint(r.summary.bwd_exposures, ==, 0);
  run_result_clear(&r);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/overtake/lkh/node-key-in-gap", test_node_key_in_gap);
  g_test_add_func("/overtake/lkh/node-key-in-gap-at-end", test_node_key_in_gap_at_end);
  g_test_add_func("/overtake/unicast/key-follows-mover", test_unicast_key_follows);
  g_test_add_func("/overtake/3gpp/msk-through-old-rnc", test_3gpp_msk_through_old_rnc);
  g_test_add_func("/overtake/patent/lazy-left-subgroup", test_patent_lazy_left_subgroup);
  g_test_add_func("/overtake/patent/new-subgroup-key-in-core",
                  test_patent_new_subgroup_key_in_core);
  g_test_add_func("/overtake/oft/e2-overtaken-blinded-keys", test_oft_overtaken);
  g_test_add_func("/overtake/patent/joiner-not-given-old-group-key",
                  test_joiner_not_given_old_group_key);
  g_test_add_func("/overtake/lkh/e2-join-rekey-movers-backward", test_join_rekey_movers_backward);
  return g_test_run();
}
