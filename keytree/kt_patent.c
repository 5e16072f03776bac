/* kt_patent.c — the join/leave planner of the patent's method.
 *
 * Join: the UE enters the first sub-group with room of its cell or RNC (or a
 * new one) and receives the sub-group key and the group key point-to-point
 * under its private key. With the optional join rekey, the sub-group key
 * changes if the sub-group had members (sent under its old value to them,
 * point-to-multipoint) and the group key changes if the scope had members
 * (sent under its old value to the group members at each RNC).
 *
 * Leave: the sub-group key changes and goes point-to-point to each remaining
 * sibling under its private key (or the sub-group is deleted if it became
 * empty); then the group key changes and goes point-to-multipoint to every
 * sub-group of the scope under that sub-group's current key. If the scope
 * became empty, nothing is sent (kt_tree.c retires the group key).
 *
 * Every key changed (and a created sub-group's first key) is copied into the
 * plan's key_values, old value first, then new. The sub-groups themselves
 * (placement, storage) are kt_subgroup.c; this file is the scheme's table.
 */
#include <string.h>

#include "keytree/kt_plan_build.h"
#include "keytree/kt_scheme.h"
#include "keytree/kt_subgroup.h"

static KtSubgroups *groups(const KtTree *t) {
  return t->scheme;
}

/* A delivery of one key. */
static void deliver1(KtPlan *plan, KtStage stage, KtTarget target, uint32_t target_id, uint32_t rnc,
                     uint32_t exclude_ue, KtKeyRef under, KtKeyRef key) {
  kt_priv_deliver(plan, stage, target, target_id, rnc, exclude_ue, under, &key, 1);
}

/* The sub-group's (new) key to each of its members but the joiners in
 * `skip` (may be NULL), point-to-point under their private keys. */
static void subgroup_to_members(KtTree *t, KtPlan *plan, const KtSubgroup *sg, KtStage stage,
                                GHashTable *skip) {
  for (uint32_t i = 0; i < sg->n; i++) {
    uint32_t m = sg->members[i];
    if (!skip || !g_hash_table_contains(skip, GUINT_TO_POINTER(m)))
      deliver1(plan, stage, KT_TO_UE, m, sg->rnc, KT_NO_UE, kt_priv_ue(t, m)->priv.ref,
               sg->key.ref);
  }
}

/* A new group key, point-to-multipoint under every sub-group's current
 * key in the scope, but for sub-groups whose members are all batch joiners
 * (`joiners_in`: sub-group id -> joiners in it; NULL outside a batch), who
 * get the group key point-to-point with their sub-group key. */
static void group_to_subgroups(KtTree *t, uint32_t scope, KtPlan *plan, GHashTable *joiners_in) {
  KtKey *group = &t->group[scope];
  kt_priv_rekey(t, group, plan);
  uint32_t lo, hi;
  kt_priv_scope_rncs(t, scope, &lo, &hi);
  for (uint32_t r = lo; r < hi; r++) {
    const GArray *l = groups(t)->rnc_sgs[r];
    for (guint i = 0; i < l->len; i++) {
      const KtSubgroup *s = kt_subgroups_get(groups(t), g_array_index(l, guint32, i));
      if (joiners_in &&
          GPOINTER_TO_UINT(g_hash_table_lookup(joiners_in, GUINT_TO_POINTER(s->id))) == s->n)
        continue;
      deliver1(plan, KT_STAGE_GROUP, KT_TO_SUBGROUP, s->id, r, KT_NO_UE, s->key.ref, group->ref);
    }
  }
}

static void patent_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  KtKeyRef priv = rec->priv.ref;
  uint32_t rnc = plan->rnc, scope = plan->scope;
  KtKey *group = &t->group[scope];
  bool scope_had_members = t->scope_count[scope] > 0;

  KtSubgroup *sg = kt_subgroups_find_open(groups(t), t, cell);
  if (sg == NULL) {
    sg = kt_subgroups_create(groups(t), t, cell);
    plan->subgroup_created = true;
    kt_priv_plan_push_key(plan, &sg->key);
  }
  bool sg_had_members = sg->n > 0;
  kt_subgroups_attach(groups(t), t, ue, cell, sg);
  plan->subgroup = sg->id;

  if (join_rekey && sg_had_members) {
    KtKeyRef old = kt_priv_rekey(t, &sg->key, plan);
    plan->subgroup_changed = true;
    deliver1(plan, KT_STAGE_LOCAL, KT_TO_SUBGROUP, sg->id, sg->rnc, ue, old, sg->key.ref);
  }
  if (join_rekey && scope_had_members) {
    KtKeyRef old = kt_priv_rekey(t, group, plan);
    uint32_t lo, hi;
    kt_priv_scope_rncs(t, scope, &lo, &hi);
    for (uint32_t r = lo; r < hi; r++) {
      guint others = t->rnc_count[r] - (r == rnc ? 1u : 0u);
      if (others > 0)
        deliver1(plan, KT_STAGE_GROUP, KT_TO_RNC_GROUP, r, r, ue, old, group->ref);
    }
  }
  KtKeyRef keys[] = {sg->key.ref, group->ref};
  kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ue, rnc, KT_NO_UE, priv, keys, 2);
}

static void patent_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  KtSubgroup *sg = kt_subgroups_detach(groups(t), t, ue);
  plan->subgroup = sg->id;
  if (sg->n == 0) {
    kt_subgroups_delete(groups(t), sg);
    sg = NULL;
    plan->subgroup_deleted = true;
  }
  if (t->scope_count[plan->scope] == 0) {
    g_assert(sg == NULL);
    return; /* the group is empty: nobody to tell (kt_tree.c retires its key) */
  }
  if (sg != NULL) {
    kt_priv_rekey(t, &sg->key, plan);
    plan->subgroup_changed = true;
    subgroup_to_members(t, plan, sg, KT_STAGE_LOCAL, NULL);
  }
  group_to_subgroups(t, plan->scope, plan, NULL);
}

/* Move (docs/flows.md, "Handover"). Within its placement unit (per-rnc,
 * same RNC) the UE keeps its sub-group and nothing changes but its cell.
 * Otherwise it leaves its sub-group (deleted if emptied) and enters one of
 * the new cell's unit by the placement rule, whose key it gets point-to-
 * point with the (unchanged) group key, under its private key, from the new
 * RNC: 1 p2p. No join rekey: the UE held the group key already, so there is
 * nothing earlier for it to learn. The old sub-group's key, which the UE
 * still holds, is rekeyed at once (eager: new key and the group key to
 * each remaining member point-to-point from the old RNC, |sub-group| - 1
 * p2p) or remembered
 * (lazy, rekeyed at the UE's leave, patent_rekey_stale). */
static void patent_move(KtTree *t, uint32_t ue, uint32_t cell, KtMoveRekey rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  KtSubgroup *old = kt_subgroups_get(groups(t), rec->subgroup);
  if (t->cfg.policy == KT_POLICY_PER_RNC && old->rnc == plan->rnc) {
    kt_priv_move_cell(t, ue, cell);
    return;
  }
  kt_subgroups_detach(groups(t), t, ue);
  plan->old_subgroup = old->id;
  if (old->n == 0) {
    kt_subgroups_delete(groups(t), old);
    old = NULL;
    plan->subgroup_deleted = true;
  }
  KtSubgroup *sg = kt_subgroups_find_open(groups(t), t, cell);
  if (sg == NULL) {
    sg = kt_subgroups_create(groups(t), t, cell);
    plan->subgroup_created = true;
    kt_priv_plan_push_key(plan, &sg->key);
  }
  kt_subgroups_attach(groups(t), t, ue, cell, sg);
  plan->subgroup = sg->id;
  kt_priv_stale_remove(t, ue, sg->id); /* a holder again, as a member */
  KtKeyRef keys[] = {sg->key.ref, t->group[plan->scope].ref};
  kt_priv_deliver(plan, KT_STAGE_LOCAL, KT_TO_UE, ue, sg->rnc, KT_NO_UE, rec->priv.ref, keys, 2);
  if (old == NULL)
    return;
  if (rekey == KT_MOVE_LAZY) {
    kt_priv_stale_add(t, ue, old->id);
    return;
  }
  /* each remaining member gets the new key with the group key (as its RNC
   * has it): a group key its RNC sent just before under the old sub-group
   * key may arrive after the new sub-group key, and would then be stale */
  kt_priv_rekey(t, &old->key, plan);
  plan->subgroup_changed = true;
  for (uint32_t i = 0; i < old->n; i++) {
    uint32_t m = old->members[i];
    KtKeyRef both[] = {old->key.ref, t->group[plan->scope].ref};
    kt_priv_deliver(plan, KT_STAGE_LOCAL, KT_TO_UE, m, old->rnc, KT_NO_UE,
                    kt_priv_ue(t, m)->priv.ref, both, 2);
  }
}

/* Lazy handover rekey at the leave of a UE that moved away from sub-group
 * `index`: its key changes and goes to each member point-to-point, sent
 * by its RNC (at once if that is the leaver's RNC; in embodiment 1 at
 * another RNC with the leave's group stage, on the RAB assignment request,
 * before the group key that is wrapped under it). */
static void patent_rekey_stale(KtTree *t, uint32_t index, KtPlan *plan) {
  KtSubgroup *sg = kt_subgroups_get(groups(t), index);
  kt_priv_rekey(t, &sg->key, plan);
  subgroup_to_members(t, plan, sg, sg->rnc == plan->rnc ? KT_STAGE_LOCAL : KT_STAGE_GROUP, NULL);
}

static gint cmp_u32(gconstpointer a, gconstpointer b) {
  guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
  return x < y ? -1 : x > y;
}

static void patent_batch(KtTree *t, uint32_t scope, KtPlan *plan) {
  const KtBatchOp *ops = (const KtBatchOp *)(const void *)plan->batch->data;
  guint n = plan->batch->len;
  GHashTable *marked = g_hash_table_new(g_direct_hash, g_direct_equal);
  GHashTable *created = g_hash_table_new(g_direct_hash, g_direct_equal);
  GHashTable *joiners = g_hash_table_new(g_direct_hash, g_direct_equal);
  KtKey *group = &t->group[scope];
  /* leaves first (ops are so ordered), then joins by the placement rule */
  for (guint i = 0; i < n; i++) {
    if (!ops[i].join) {
      KtSubgroup *sg = kt_subgroups_detach(groups(t), t, ops[i].ue);
      if (sg->n == 0)
        kt_subgroups_delete(groups(t), sg);
      else
        g_hash_table_add(marked, GUINT_TO_POINTER(sg->id));
      continue;
    }
    kt_priv_ue_ensure(t, ops[i].ue);
    KtSubgroup *sg = kt_subgroups_find_open(groups(t), t, ops[i].cell);
    if (sg == NULL) {
      sg = kt_subgroups_create(groups(t), t, ops[i].cell);
      g_hash_table_add(created, GUINT_TO_POINTER(sg->id));
      kt_priv_plan_push_key(plan, &sg->key);
    }
    kt_subgroups_attach(groups(t), t, ops[i].ue, ops[i].cell, sg);
    g_hash_table_add(marked, GUINT_TO_POINTER(sg->id));
    g_hash_table_add(joiners, GUINT_TO_POINTER(ops[i].ue));
  }
  if (t->scope_count[scope] > 0) {
    KtStage local = t->cfg.embodiment == 1 ? KT_STAGE_GROUP : KT_STAGE_LOCAL;
    /* each changed sub-group key once, to its members but the joiners */
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint32));
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, marked);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
      guint32 id = GPOINTER_TO_UINT(key);
      if (kt_subgroups_get(groups(t), id) != NULL && !g_hash_table_contains(created, key))
        g_array_append_val(ids, id);
    }
    g_array_sort(ids, cmp_u32);
    for (guint i = 0; i < ids->len; i++) {
      KtSubgroup *sg = kt_subgroups_get(groups(t), g_array_index(ids, guint32, i));
      kt_priv_rekey(t, &sg->key, plan);
      subgroup_to_members(t, plan, sg, local, joiners);
    }
    g_array_free(ids, TRUE);
    /* the group key once, under every sub-group's current key */
    GHashTable *joiners_in = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < n; i++) {
      if (!ops[i].join)
        continue;
      gpointer sg = GUINT_TO_POINTER(kt_priv_ue(t, ops[i].ue)->subgroup);
      g_hash_table_insert(
          joiners_in, sg,
          GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(joiners_in, sg)) + 1));
    }
    group_to_subgroups(t, scope, plan, joiners_in);
    g_hash_table_destroy(joiners_in);
    /* each joiner: its sub-group key and the group key */
    for (guint i = 0; i < n; i++) {
      if (!ops[i].join)
        continue;
      const KtUeRec *rec = kt_priv_ue(t, ops[i].ue);
      const KtSubgroup *sg = kt_subgroups_get(groups(t), rec->subgroup);
      KtKeyRef keys[] = {sg->key.ref, group->ref};
      kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ops[i].ue, sg->rnc, KT_NO_UE, rec->priv.ref,
                      keys, 2);
    }
  }
  g_hash_table_destroy(marked);
  g_hash_table_destroy(created);
  g_hash_table_destroy(joiners);
}

/* ---- queries -------------------------------------------------------------- */

static void patent_init(KtTree *t) {
  t->scheme = kt_subgroups_new(t);
}

static void patent_fini(KtTree *t) {
  kt_subgroups_free(groups(t), t);
  t->scheme = NULL;
}

static guint patent_member_keys(const KtTree *t, const KtUeRec *rec, const KtKey **out, guint cap) {
  if (cap == 0)
    return 0;
  out[0] = &kt_subgroups_get(groups(t), rec->subgroup)->key;
  return 1;
}

static const KtKey *patent_interior_key(const KtTree *t, uint32_t index) {
  const KtSubgroup *sg = kt_subgroups_get(groups(t), index);
  return sg != NULL ? &sg->key : NULL;
}

static void patent_audience_cells(const KtTree *t, const KtDelivery *d, GArray *out) {
  const KtSubgroup *sg =
      d->target == KT_TO_SUBGROUP ? kt_subgroups_get(groups(t), d->target_id) : NULL;
  if (sg == NULL)
    return;
  if (t->cfg.policy == KT_POLICY_PER_CELL) {
    /* every member is in the sub-group's one cell, its unit
     * (kt_subgroups_check): with a member not excluded, that cell (read
     * from the sub-group, not from a member's record: at a million
     * members, one transmission per sub-group, each a cache miss) */
    if (sg->n > 1 || (sg->n == 1 && sg->members[0] != d->exclude_ue))
      g_array_append_val(out, sg->unit);
    return;
  }
  KtCellMarks marks;
  kt_priv_marks_init(&marks, t, sg->rnc);
  for (uint32_t i = 0; i < sg->n; i++)
    if (sg->members[i] != d->exclude_ue)
      kt_priv_marks_set(&marks, kt_priv_ue(t, sg->members[i])->cell);
  kt_priv_marks_emit(&marks, out);
}

static bool patent_in_audience(const KtTree *t, const KtDelivery *d, const KtUeRec *rec) {
  (void)t;
  return d->target == KT_TO_SUBGROUP && rec->subgroup == d->target_id;
}

static void patent_check(const KtTree *t) {
  kt_subgroups_check(groups(t), t);
}

const KtSchemeOps kt_patent_ops = {
    .name = "patent",
    .forward_secure = true,
    .node_keys = false,
    .init = patent_init,
    .fini = patent_fini,
    .join = patent_join,
    .leave = patent_leave,
    .batch = patent_batch,
    .move = patent_move,
    .rekey_stale = patent_rekey_stale,
    .member_keys = patent_member_keys,
    .interior_key = patent_interior_key,
    .audience_cells = patent_audience_cells,
    .in_audience = patent_in_audience,
    .check = patent_check,
};

/* ---- sub-group inspection (kt_tree.h): empty answers for other schemes -- */

static const KtSubgroups *groups_if_patent(const KtTree *t) {
  g_assert(t != NULL);
  return t->ops == &kt_patent_ops ? groups(t) : NULL;
}

const uint32_t *kt_tree_subgroup_ues(const KtTree *t, uint32_t subgroup, guint *n) {
  g_assert(n != NULL);
  const KtSubgroups *s = groups_if_patent(t);
  const KtSubgroup *sg = s ? kt_subgroups_get(s, subgroup) : NULL;
  *n = sg ? sg->n : 0;
  return sg ? sg->members : NULL;
}

bool kt_tree_subgroup_alive(const KtTree *t, uint32_t subgroup) {
  const KtSubgroups *s = groups_if_patent(t);
  return s != NULL && kt_subgroups_get(s, subgroup) != NULL;
}

uint32_t kt_tree_subgroup_rnc(const KtTree *t, uint32_t subgroup) {
  const KtSubgroups *s = groups_if_patent(t);
  if (s == NULL || subgroup >= s->sg_rnc->len)
    return UINT32_MAX;
  return g_array_index(s->sg_rnc, guint32, subgroup);
}

void kt_tree_rnc_subgroups(const KtTree *t, uint32_t rnc, GArray *out) {
  g_assert(out != NULL && g_array_get_element_size(out) == sizeof(guint32));
  const KtSubgroups *s = groups_if_patent(t);
  if (s == NULL || rnc >= t->cfg.n_rnc)
    return;
  const GArray *l = s->rnc_sgs[rnc];
  g_array_append_vals(out, l->data, l->len);
}

guint kt_tree_n_subgroups(const KtTree *t) {
  const KtSubgroups *s = groups_if_patent(t);
  return s ? s->n_live : 0;
}
