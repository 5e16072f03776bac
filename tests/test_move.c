/* test_move.c — kt_tree_move: what a handover does to the keys of every
 * scheme (docs/flows.md, "Handover"), hand-built cases whose every count
 * is derived from the rules in the comments, not from the program. */
#include <glib.h>

#include "keytree/kt_plan.h"
#include "keytree/kt_tree.h"
#include "keytree/kt_wrap.h"
#include "test_keyrefs.h"

static KtTree *make(KtScheme scheme, int embodiment, KtSubgroupPolicy policy, uint32_t size) {
  /* 2 RNCs of 2 cells: cells 0, 1 are RNC 0's, 2, 3 RNC 1's */
  KtConfig cfg = {.n_rnc = 2,
                  .cells_per_rnc = 2,
                  .subgroup_size = size,
                  .policy = policy,
                  .embodiment = embodiment,
                  .seed = 7,
                  .scheme = scheme,
                  .lkh_degree = 2};
  return kt_tree_new(&cfg);
}

static void join(KtTree *t, uint32_t ue, uint32_t cell) {
  KtPlan p;
  kt_plan_init(&p);
  g_assert_true(kt_tree_join(t, ue, cell, false, &p));
  kt_plan_free(&p);
}

static const KtDelivery *del(const KtPlan *p, guint i) {
  g_assert_cmpuint(i, <, p->deliveries->len);
  return &g_array_index(p->deliveries, KtDelivery, i);
}

/* A point-to-point delivery of `n` keys to `ue` from `rnc` at `stage`. */
static void assert_p2p(const KtPlan *p, guint i, uint32_t ue, uint32_t rnc, KtStage stage,
                       KtKeyRef k0, KtKeyRef k1, guint n) {
  const KtDelivery *d = del(p, i);
  g_assert_cmpint(d->target, ==, KT_TO_UE);
  g_assert_cmpuint(d->target_id, ==, ue);
  g_assert_cmpuint(d->rnc, ==, rnc);
  g_assert_cmpint(d->stage, ==, stage);
  assert_ref(d->under, PRIV(ue));
  g_assert_cmpuint(d->n_keys, ==, n);
  assert_ref(kt_delivery_key(p, d, 0), k0);
  if (n > 1)
    assert_ref(kt_delivery_key(p, d, 1), k1);
}

static guint stale(const KtTree *t, uint32_t ue, uint32_t *out) {
  return kt_tree_stale_keys(t, ue, out, 8);
}

/* Embodiment 1, per-cell, sub-groups of 3: UEs 0, 1, 2 in cell 0 (sub-group
 * 0), 3 in cell 1 (sub-group 1), 4 in cell 2 (sub-group 2, RNC 1). UE 0
 * moves to cell 1 (same RNC, another placement unit): it enters sub-group 1
 * (first with room in cell 1) and gets {SG1 v1, group v1} p2p from RNC 0:
 * 1 p2p, 2 wraps. Eager: sub-group 0 changes to v2, {SG0 v2, group v1} p2p
 * to UEs 1 and 2 from RNC 0: 2 p2p. Total 3 p2p, 0 p2m, 6 wraps; the group
 * key unchanged. */
static void test_intra_rnc_per_cell(gconstpointer data) {
  KtMoveRekey rekey = GPOINTER_TO_INT(data);
  for (int emb = 1; emb <= 2; emb++) {
    KtTree *t = make(KT_SCHEME_PATENT, emb, KT_POLICY_PER_CELL, 3);
    join(t, 0, 0), join(t, 1, 0), join(t, 2, 0), join(t, 3, 1), join(t, 4, 2);
    KtPlan p;
    kt_plan_init(&p);
    g_assert_true(kt_tree_move_keeps_scope(t, 0, 1));
    g_assert_true(kt_tree_move(t, 0, 1, rekey, &p));
    kt_tree_check(t);
    g_assert_cmpint(p.kind, ==, KT_EVENT_MOVE);
    g_assert_cmpuint(p.from_cell, ==, 0);
    g_assert_cmpuint(p.cell, ==, 1);
    g_assert_cmpuint(p.old_subgroup, ==, 0);
    g_assert_cmpuint(p.subgroup, ==, 1);
    g_assert_false(p.group_changed);
    g_assert_cmpuint(kt_tree_ue_cell(t, 0), ==, 1);
    g_assert_cmpuint(kt_tree_ue_subgroup(t, 0), ==, 1);
    g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 0);
    assert_p2p(&p, 0, 0, 0, KT_STAGE_LOCAL, SG(1, 1), GRP(0, 1), 2);
    uint32_t st[8];
    if (rekey == KT_MOVE_EAGER) {
      g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 3);
      g_assert_cmpuint(kt_plan_wrap_count(&p), ==, 6);
      g_assert_true(p.subgroup_changed);
      /* sub-group 0 is {2, 1} after swap-removal of UE 0; each gets the new
       * key with the (unchanged) group key */
      assert_p2p(&p, 1, 2, 0, KT_STAGE_LOCAL, SG(0, 2), GRP(0, 1), 2);
      assert_p2p(&p, 2, 1, 0, KT_STAGE_LOCAL, SG(0, 2), GRP(0, 1), 2);
      g_assert_cmpuint(stale(t, 0, st), ==, 0);
    } else {
      g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 1);
      g_assert_cmpuint(kt_plan_wrap_count(&p), ==, 2);
      g_assert_false(p.subgroup_changed);
      g_assert_cmpuint(stale(t, 0, st), ==, 1);
      g_assert_cmpuint(st[0], ==, 0);
      assert_ref(kt_tree_key(t, SG(0, 1).id)->ref, SG(0, 1));
      /* UE 0 leaves: first sub-group 0 (stale) to v2, p2p to 2 and 1 from
       * RNC 0 (the leaver's RNC: local); then the leave: sub-group 1 {3}
       * to v2, p2p to 3; the group key to v2, p2m under each sub-group's
       * current key, in RNC then creation order. Embodiment 1: sub-groups
       * 0 (v2), 1 (v2), 2 (v1) = 3 p2m; embodiment 2 (scope RNC 0): 0, 1
       * = 2 p2m. */
      g_assert_true(kt_tree_leave(t, 0, &p));
      kt_tree_check(t);
      g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 3);
      g_assert_cmpuint(kt_plan_p2m_count(&p), ==, emb == 1 ? 3 : 2);
      assert_p2p(&p, 0, 2, 0, KT_STAGE_LOCAL, SG(0, 2), SG(0, 2), 1);
      assert_p2p(&p, 1, 1, 0, KT_STAGE_LOCAL, SG(0, 2), SG(0, 2), 1);
      assert_p2p(&p, 2, 3, 0, KT_STAGE_LOCAL, SG(1, 2), SG(1, 2), 1);
      assert_ref(del(&p, 3)->under, SG(0, 2));
      assert_ref(del(&p, 4)->under, SG(1, 2));
      if (emb == 1)
        assert_ref(del(&p, 5)->under, SG(2, 1));
      g_assert_cmpuint(stale(t, 0, st), ==, 0);
    }
    kt_plan_free(&p);
    kt_tree_free(t);
  }
}

/* Per-rnc, a move within the RNC: the placement unit is the RNC, the UE
 * keeps its sub-group, nothing is sent and nothing is stale (either
 * policy, either embodiment). */
static void test_intra_rnc_per_rnc(gconstpointer data) {
  KtMoveRekey rekey = GPOINTER_TO_INT(data);
  for (int emb = 1; emb <= 2; emb++) {
    KtTree *t = make(KT_SCHEME_PATENT, emb, KT_POLICY_PER_RNC, 3);
    join(t, 0, 0), join(t, 1, 0);
    KtPlan p;
    kt_plan_init(&p);
    g_assert_true(kt_tree_move(t, 0, 1, rekey, &p));
    kt_tree_check(t);
    g_assert_cmpuint(p.deliveries->len, ==, 0);
    g_assert_cmpuint(p.subgroup, ==, 0);
    g_assert_cmpuint(p.old_subgroup, ==, KT_NO_SUBGROUP);
    g_assert_false(p.subgroup_changed || p.group_changed || p.subgroup_created);
    guint n;
    kt_tree_cell_ues(t, 1, &n);
    g_assert_cmpuint(n, ==, 1);
    kt_tree_cell_ues(t, 0, &n);
    g_assert_cmpuint(n, ==, 1);
    uint32_t st[8];
    g_assert_cmpuint(stale(t, 0, st), ==, 0);
    /* the RNC's sub-group is reached in both cells now */
    KtDelivery d = {.target = KT_TO_SUBGROUP, .target_id = 0, .exclude_ue = KT_NO_UE};
    GArray *cells = g_array_new(FALSE, FALSE, sizeof(guint32));
    kt_tree_audience_cells(t, &d, cells);
    g_assert_cmpuint(cells->len, ==, 2);
    g_array_free(cells, TRUE);
    kt_plan_free(&p);
    kt_tree_free(t);
  }
}

/* Embodiment 1, per-rnc: UEs 0, 1 in cell 0 (sub-group 0, RNC 0), 2 in
 * cell 2 (sub-group 1, RNC 1). UE 0 moves to cell 3 (RNC 1): it enters
 * sub-group 1 and gets {SG1 v1, group v1} p2p from RNC 1. Eager: sub-group
 * 0 to v2, {SG0 v2, group v1} p2p to UE 1 from RNC 0 (local: RNC 0 carries out its part when
 * the relocation reaches it). Lazy: at UE 0's leave (from RNC 1), sub-group
 * 0 to v2 p2p to UE 1 from RNC 0 at the group stage (another RNC), then
 * sub-group 1 {2} to v2 p2p (local), then the group key p2m under SG0 v2
 * (RNC 0) and SG1 v2 (RNC 1). */
static void test_inter_rnc_e1(gconstpointer data) {
  KtMoveRekey rekey = GPOINTER_TO_INT(data);
  KtTree *t = make(KT_SCHEME_PATENT, 1, KT_POLICY_PER_RNC, 3);
  join(t, 0, 0), join(t, 1, 0), join(t, 2, 2);
  KtPlan p;
  kt_plan_init(&p);
  g_assert_true(kt_tree_move_keeps_scope(t, 0, 3));
  g_assert_true(kt_tree_move(t, 0, 3, rekey, &p));
  kt_tree_check(t);
  g_assert_cmpuint(p.rnc, ==, 1);
  g_assert_cmpuint(p.old_subgroup, ==, 0);
  g_assert_cmpuint(p.subgroup, ==, 1);
  assert_p2p(&p, 0, 0, 1, KT_STAGE_LOCAL, SG(1, 1), GRP(0, 1), 2);
  g_assert_cmpuint(kt_tree_rnc_members(t, 0), ==, 1);
  g_assert_cmpuint(kt_tree_rnc_members(t, 1), ==, 2);
  uint32_t st[8];
  if (rekey == KT_MOVE_EAGER) {
    g_assert_cmpuint(p.deliveries->len, ==, 2);
    assert_p2p(&p, 1, 1, 0, KT_STAGE_LOCAL, SG(0, 2), GRP(0, 1), 2);
    g_assert_cmpuint(stale(t, 0, st), ==, 0);
  } else {
    g_assert_cmpuint(p.deliveries->len, ==, 1);
    g_assert_cmpuint(stale(t, 0, st), ==, 1);
    g_assert_true(kt_tree_leave(t, 0, &p));
    kt_tree_check(t);
    g_assert_cmpuint(p.deliveries->len, ==, 4);
    assert_p2p(&p, 0, 1, 0, KT_STAGE_GROUP, SG(0, 2), SG(0, 2), 1);
    assert_p2p(&p, 1, 2, 1, KT_STAGE_LOCAL, SG(1, 2), SG(1, 2), 1);
    g_assert_cmpint(del(&p, 2)->target, ==, KT_TO_SUBGROUP);
    assert_ref(del(&p, 2)->under, SG(0, 2));
    g_assert_cmpuint(del(&p, 2)->rnc, ==, 0);
    assert_ref(del(&p, 3)->under, SG(1, 2));
    assert_ref(kt_delivery_key(&p, del(&p, 3), 0), GRP(0, 2));
  }
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* Embodiment 2: another RNC is another scope; kt_tree_move refuses it (the
 * network makes it a leave and a join), and refuses bad input. */
static void test_refused(void) {
  KtTree *t = make(KT_SCHEME_PATENT, 2, KT_POLICY_PER_CELL, 3);
  join(t, 0, 0);
  KtPlan p;
  kt_plan_init(&p);
  g_assert_false(kt_tree_move_keeps_scope(t, 0, 2));
  g_assert_false(kt_tree_move(t, 0, 2, KT_MOVE_EAGER, &p)); /* another scope */
  g_assert_false(kt_tree_move(t, 0, 0, KT_MOVE_EAGER, &p)); /* its cell */
  g_assert_false(kt_tree_move(t, 0, 4, KT_MOVE_EAGER, &p)); /* no such cell */
  g_assert_false(kt_tree_move(t, 1, 1, KT_MOVE_EAGER, &p)); /* not a member */
  kt_tree_check(t);
  g_assert_cmpuint(kt_tree_ue_cell(t, 0), ==, 0);
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* Edges: a lone member moves (its sub-group empties and is deleted, a new
 * one is created in the new cell: 1 p2p, nothing stale); moving back to a
 * sub-group it moved away from makes it a member holder again (no longer
 * stale), and the sub-group it leaves becomes stale instead. */
static void test_edges(void) {
  KtTree *t = make(KT_SCHEME_PATENT, 1, KT_POLICY_PER_CELL, 3);
  join(t, 0, 0);
  KtPlan p;
  kt_plan_init(&p);
  g_assert_true(kt_tree_move(t, 0, 3, KT_MOVE_LAZY, &p));
  kt_tree_check(t);
  g_assert_true(p.subgroup_deleted && p.subgroup_created);
  g_assert_cmpuint(p.deliveries->len, ==, 1);
  assert_p2p(&p, 0, 0, 1, KT_STAGE_LOCAL, SG(1, 1), GRP(0, 1), 2);
  uint32_t st[8];
  g_assert_cmpuint(stale(t, 0, st), ==, 0);
  g_assert_cmpuint(kt_tree_n_subgroups(t), ==, 1);

  join(t, 1, 0), join(t, 2, 3); /* sub-group 2 in cell 0 {1}; sub-group 1 {0, 2} */
  g_assert_true(kt_tree_move(t, 0, 0, KT_MOVE_LAZY, &p)); /* into sub-group 2 */
  g_assert_cmpuint(p.subgroup, ==, 2);
  g_assert_cmpuint(stale(t, 0, st), ==, 1);
  g_assert_cmpuint(st[0], ==, 1);
  g_assert_true(kt_tree_move(t, 0, 3, KT_MOVE_LAZY, &p)); /* back into 1 */
  g_assert_cmpuint(p.subgroup, ==, 1);
  g_assert_cmpuint(stale(t, 0, st), ==, 1);
  g_assert_cmpuint(st[0], ==, 2);
  kt_tree_check(t);
  /* the last member leaves, the stale sub-group emptied before: nothing */
  g_assert_true(kt_tree_leave(t, 1, &p));
  g_assert_true(kt_tree_leave(t, 2, &p));
  g_assert_true(kt_tree_leave(t, 0, &p));
  g_assert_true(p.group_retired);
  g_assert_cmpuint(p.deliveries->len, ==, 0);
  g_assert_cmpuint(stale(t, 0, st), ==, 0);
  kt_tree_check(t);
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* Lazy, two sub-groups left behind (embodiment 1, per-cell): UE 0 in cell
 * 0 with UE 1 (sub-group 0), UE 2 in cell 1 (1), UE 3 in cell 2 (2, RNC 1).
 * UE 0 moves to cell 1 (stale: 0), then to cell 2 (stale: 0, 1, in that
 * order). Its leave from cell 2 (RNC 1): sub-group 0 to v2, p2p to UE 1,
 * and sub-group 1 to v2, p2p to UE 2, both sent by RNC 0 at the group
 * stage; then sub-group 2 {3} to v2 (1 p2p, local); the group key under
 * sub-groups 0, 1, 2, each at its new version: 3 p2p, 3 p2m. */
static void test_two_stale(void) {
  KtTree *t = make(KT_SCHEME_PATENT, 1, KT_POLICY_PER_CELL, 3);
  join(t, 0, 0), join(t, 1, 0), join(t, 2, 1), join(t, 3, 2);
  KtPlan p;
  kt_plan_init(&p);
  g_assert_true(kt_tree_move(t, 0, 1, KT_MOVE_LAZY, &p));
  g_assert_true(kt_tree_move(t, 0, 2, KT_MOVE_LAZY, &p));
  kt_tree_check(t);
  uint32_t st[8];
  g_assert_cmpuint(stale(t, 0, st), ==, 2);
  g_assert_cmpuint(st[0], ==, 0);
  g_assert_cmpuint(st[1], ==, 1);
  g_assert_true(kt_tree_leave(t, 0, &p));
  kt_tree_check(t);
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 3);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 3);
  assert_p2p(&p, 0, 1, 0, KT_STAGE_GROUP, SG(0, 2), SG(0, 2), 1);
  assert_p2p(&p, 1, 2, 0, KT_STAGE_GROUP, SG(1, 2), SG(1, 2), 1);
  assert_p2p(&p, 2, 3, 1, KT_STAGE_LOCAL, SG(2, 2), SG(2, 2), 1);
  assert_ref(del(&p, 3)->under, SG(0, 2));
  assert_ref(del(&p, 4)->under, SG(1, 2));
  assert_ref(del(&p, 5)->under, SG(2, 2));
  g_assert_cmpuint(stale(t, 0, st), ==, 0);
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* Unicast, broadcast, and LKH within an RNC or in embodiment 2: no key
 * depends on the cell (the leaf keeps its path): a move sends nothing and
 * changes only the cell (and LKH's per-RNC counts, which kt_tree_check
 * verifies); the audience of the UE's node follows it. */
static void test_other_schemes(void) {
  KtScheme schemes[] = {KT_SCHEME_UNICAST, KT_SCHEME_BROADCAST, KT_SCHEME_LKH};
  for (guint s = 0; s < G_N_ELEMENTS(schemes); s++) {
    for (int emb = 1; emb <= 2; emb++) {
      KtTree *t = make(schemes[s], emb, KT_POLICY_PER_CELL, 3);
      join(t, 0, 0), join(t, 1, 0), join(t, 2, 1);
      KtPlan p;
      kt_plan_init(&p);
      uint32_t to = emb == 1 && schemes[s] != KT_SCHEME_LKH ? 3 : 1;
      uint32_t parent = kt_tree_ue_subgroup(t, 0);
      g_assert_true(kt_tree_move(t, 0, to, KT_MOVE_EAGER, &p));
      kt_tree_check(t);
      g_assert_cmpuint(p.deliveries->len, ==, 0);
      g_assert_cmpuint(kt_tree_ue_cell(t, 0), ==, to);
      g_assert_cmpuint(kt_tree_ue_subgroup(t, 0), ==, parent);
      if (schemes[s] == KT_SCHEME_LKH) {
        KtDelivery d = {.target = KT_TO_NODE,
                        .target_id = parent,
                        .rnc = to / 2,
                        .exclude_ue = KT_NO_UE,
                        .under = SG(parent, 1)};
        g_assert_true(kt_tree_in_audience(t, &d, 0));
        GArray *cells = g_array_new(FALSE, FALSE, sizeof(guint32));
        kt_tree_audience_cells(t, &d, cells);
        gboolean has = FALSE;
        for (guint i = 0; i < cells->len; i++)
          has |= g_array_index(cells, guint32, i) == to;
        g_assert_true(has);
        g_array_free(cells, TRUE);
      }
      g_assert_true(kt_tree_leave(t, 0, &p));
      kt_tree_check(t);
      kt_plan_free(&p);
      kt_tree_free(t);
    }
  }
}

/* LKH, embodiment 1, another RNC (docs/flows.md, "Handover", lkh), degree
 * 2. Joins: UE 0 and 1 in cell 0 fill the root (node 0); UE 2 (cell 2,
 * RNC 1) splits UE 0 (node 1 = {0, 2}); UE 3 (cell 1) splits UE 1 (node 2
 * = {1, 3}). UE 1 moves to cell 3 (RNC 1): out of node 2 (left {3}); at
 * the root only node 1 has a member at RNC 1; it is full, its children
 * with one are UE 2 alone: split, node 3 = {2, 1}. Deliveries: node 3's
 * key to UE 2 (p2p from RNC 1), the mover's path {node 3, node 1, group}
 * (1 p2p from RNC 1, 3 keys), every one local. Node 2 is on its old path
 * only: eager, v2 to UE 3 p2p from RNC 0 (the old RNC: local); lazy, it is
 * remembered. The lazy UE 1 then leaves: node 2 first (v2 to UE 3, RNC 0:
 * group stage), then its path: node 3 to UE 2 (p2p), node 1 to UE 0
 * (p2p) and under node 3 (p2m, RNC 1), the group key under node 1 (RNCs
 * 0 and 1) and node 2 (RNC 0): 3 p2p, 4 p2m. */
static void test_lkh_inter_rnc(gconstpointer data) {
  KtMoveRekey rekey = GPOINTER_TO_INT(data);
  KtTree *t = make(KT_SCHEME_LKH, 1, KT_POLICY_PER_CELL, 3);
  join(t, 0, 0), join(t, 1, 0), join(t, 2, 2), join(t, 3, 1);
  g_assert_cmpuint(kt_tree_ue_subgroup(t, 0), ==, 1);
  g_assert_cmpuint(kt_tree_ue_subgroup(t, 1), ==, 2);
  KtPlan p;
  kt_plan_init(&p);
  g_assert_true(kt_tree_move(t, 1, 3, rekey, &p));
  kt_tree_check(t);
  bool eager = rekey == KT_MOVE_EAGER;
  g_assert_cmpuint(p.deliveries->len, ==, eager ? 3 : 2);
  g_assert_false(p.group_changed);
  g_assert_cmpuint(p.subgroup, ==, 3);
  g_assert_cmpuint(p.old_subgroup, ==, 2);
  g_assert_true(p.subgroup_created);
  g_assert_cmpuint(kt_tree_ue_subgroup(t, 1), ==, 3);
  g_assert_cmpuint(kt_tree_ue_subgroup(t, 2), ==, 3);
  assert_p2p(&p, 0, 2, 1, KT_STAGE_LOCAL, SG(3, 1), SG(0, 0), 1);
  const KtDelivery *d = del(&p, 1);
  g_assert_cmpint(d->target, ==, KT_TO_UE);
  g_assert_cmpuint(d->target_id, ==, 1);
  g_assert_cmpuint(d->rnc, ==, 1);
  g_assert_cmpint(d->stage, ==, KT_STAGE_LOCAL);
  g_assert_cmpuint(d->n_keys, ==, 3);
  assert_ref(kt_delivery_key(&p, d, 0), SG(3, 1));
  assert_ref(kt_delivery_key(&p, d, 1), SG(1, 1));
  assert_ref(kt_delivery_key(&p, d, 2), GRP(0, 1));
  uint32_t st[8];
  if (eager) {
    assert_p2p(&p, 2, 3, 0, KT_STAGE_LOCAL, SG(2, 2), SG(0, 0), 1);
    g_assert_true(p.subgroup_changed);
    g_assert_cmpuint(stale(t, 1, st), ==, 0);
  } else {
    g_assert_cmpuint(stale(t, 1, st), ==, 1);
    g_assert_cmpuint(st[0], ==, 2);
  }
  g_assert_true(kt_tree_leave(t, 1, &p));
  kt_tree_check(t);
  guint p2p = 0, p2m = 0, group_stage = 0;
  for (guint i = 0; i < p.deliveries->len; i++) {
    d = del(&p, i);
    if (d->target == KT_TO_UE)
      p2p++;
    else
      p2m++;
    group_stage += d->stage == KT_STAGE_GROUP;
  }
  /* eager: no stale key; the same path rekey */
  g_assert_cmpuint(p2p, ==, eager ? 2 : 3);
  g_assert_cmpuint(p2m, ==, 4);
  if (!eager) {
    assert_p2p(&p, 0, 3, 0, KT_STAGE_GROUP, SG(2, 2), SG(0, 0), 1);
    g_assert_cmpuint(group_stage, ==, 5); /* node 2, node 1 to UE 0, 3 group-key p2m */
  }
  kt_plan_free(&p);
  kt_tree_free(t);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  kt_crypto_init();
  g_test_add_data_func("/move/intra-rnc/per-cell/eager", GINT_TO_POINTER(KT_MOVE_EAGER),
                       test_intra_rnc_per_cell);
  g_test_add_data_func("/move/intra-rnc/per-cell/lazy", GINT_TO_POINTER(KT_MOVE_LAZY),
                       test_intra_rnc_per_cell);
  g_test_add_data_func("/move/intra-rnc/per-rnc/eager", GINT_TO_POINTER(KT_MOVE_EAGER),
                       test_intra_rnc_per_rnc);
  g_test_add_data_func("/move/intra-rnc/per-rnc/lazy", GINT_TO_POINTER(KT_MOVE_LAZY),
                       test_intra_rnc_per_rnc);
  g_test_add_data_func("/move/inter-rnc/e1/eager", GINT_TO_POINTER(KT_MOVE_EAGER),
                       test_inter_rnc_e1);
  g_test_add_data_func("/move/inter-rnc/e1/lazy", GINT_TO_POINTER(KT_MOVE_LAZY), test_inter_rnc_e1);
  g_test_add_func("/move/refused", test_refused);
  g_test_add_func("/move/edges", test_edges);
  g_test_add_func("/move/two-stale", test_two_stale);
  g_test_add_func("/move/other-schemes", test_other_schemes);
  g_test_add_data_func("/move/lkh/inter-rnc/e1/eager", GINT_TO_POINTER(KT_MOVE_EAGER),
                       test_lkh_inter_rnc);
  g_test_add_data_func("/move/lkh/inter-rnc/e1/lazy", GINT_TO_POINTER(KT_MOVE_LAZY),
                       test_lkh_inter_rnc);
  return g_test_run();
}
