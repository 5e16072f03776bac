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
 * became empty, nothing is sent (kt_scheme.c retires the group key).
 *
 * Every key changed (and a created sub-group's first key) is copied into the
 * plan's key_values, old value first, then new.
 */
#include <string.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_tree.h"
#include "keytree/kt_tree_private.h"

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
    const GArray *l = t->rnc_sgs[r];
    for (guint i = 0; i < l->len; i++) {
      const KtSubgroup *s = kt_priv_sg(t, g_array_index(l, guint32, i));
      if (joiners_in &&
          GPOINTER_TO_UINT(g_hash_table_lookup(joiners_in, GUINT_TO_POINTER(s->id))) == s->n)
        continue;
      deliver1(plan, KT_STAGE_GROUP, KT_TO_SUBGROUP, s->id, r, KT_NO_UE, s->key.ref, group->ref);
    }
  }
}

void kt_patent_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  KtKeyRef priv = rec->priv.ref;
  uint32_t rnc = plan->rnc, scope = plan->scope;
  KtKey *group = &t->group[scope];
  bool scope_had_members = t->scope_count[scope] > 0;

  KtSubgroup *sg = kt_priv_find_open(t, cell);
  if (sg == NULL) {
    sg = kt_priv_subgroup_new(t, cell);
    plan->subgroup_created = true;
    kt_priv_plan_push_key(plan, &sg->key);
  }
  bool sg_had_members = sg->n > 0;
  kt_priv_attach(t, ue, cell, sg);
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

void kt_patent_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  KtSubgroup *sg = kt_priv_detach(t, ue);
  plan->subgroup = sg->id;
  if (sg->n == 0) {
    kt_priv_subgroup_delete(t, sg);
    sg = NULL;
    plan->subgroup_deleted = true;
  }
  if (t->scope_count[plan->scope] == 0) {
    g_assert(sg == NULL);
    return; /* the group is empty: nobody to tell (kt_scheme.c retires its key) */
  }
  if (sg != NULL) {
    kt_priv_rekey(t, &sg->key, plan);
    plan->subgroup_changed = true;
    subgroup_to_members(t, plan, sg, KT_STAGE_LOCAL, NULL);
  }
  group_to_subgroups(t, plan->scope, plan, NULL);
}

static gint cmp_u32(gconstpointer a, gconstpointer b) {
  guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
  return x < y ? -1 : x > y;
}

void kt_patent_batch(KtTree *t, uint32_t scope, KtPlan *plan) {
  const KtBatchOp *ops = (const KtBatchOp *)(const void *)plan->batch->data;
  guint n = plan->batch->len;
  GHashTable *marked = g_hash_table_new(g_direct_hash, g_direct_equal);
  GHashTable *created = g_hash_table_new(g_direct_hash, g_direct_equal);
  GHashTable *joiners = g_hash_table_new(g_direct_hash, g_direct_equal);
  KtKey *group = &t->group[scope];
  /* leaves first (ops are so ordered), then joins by the placement rule */
  for (guint i = 0; i < n; i++) {
    if (!ops[i].join) {
      KtSubgroup *sg = kt_priv_detach(t, ops[i].ue);
      if (sg->n == 0)
        kt_priv_subgroup_delete(t, sg);
      else
        g_hash_table_add(marked, GUINT_TO_POINTER(sg->id));
      continue;
    }
    kt_priv_ue_ensure(t, ops[i].ue);
    KtSubgroup *sg = kt_priv_find_open(t, ops[i].cell);
    if (sg == NULL) {
      sg = kt_priv_subgroup_new(t, ops[i].cell);
      g_hash_table_add(created, GUINT_TO_POINTER(sg->id));
      kt_priv_plan_push_key(plan, &sg->key);
    }
    kt_priv_attach(t, ops[i].ue, ops[i].cell, sg);
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
      if (kt_priv_sg(t, id) != NULL && !g_hash_table_contains(created, key))
        g_array_append_val(ids, id);
    }
    g_array_sort(ids, cmp_u32);
    for (guint i = 0; i < ids->len; i++) {
      KtSubgroup *sg = kt_priv_sg(t, g_array_index(ids, guint32, i));
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
      g_hash_table_insert(joiners_in, sg,
                          GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(joiners_in, sg)) + 1));
    }
    group_to_subgroups(t, scope, plan, joiners_in);
    g_hash_table_destroy(joiners_in);
    /* each joiner: its sub-group key and the group key */
    for (guint i = 0; i < n; i++) {
      if (!ops[i].join)
        continue;
      const KtUeRec *rec = kt_priv_ue(t, ops[i].ue);
      const KtSubgroup *sg = kt_priv_sg(t, rec->subgroup);
      KtKeyRef keys[] = {sg->key.ref, group->ref};
      kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ops[i].ue, sg->rnc, KT_NO_UE, rec->priv.ref,
                      keys, 2);
    }
  }
  g_hash_table_destroy(marked);
  g_hash_table_destroy(created);
  g_hash_table_destroy(joiners);
}
