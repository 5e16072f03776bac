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
 * became empty, nothing changes and nothing is sent.
 *
 * Every key changed (and a created sub-group's first key) is copied into the
 * plan's key_values, old value first, then new.
 */
#include <string.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_tree.h"
#include "keytree/kt_tree_private.h"

#define push_key kt_priv_plan_push_key
#define rekey kt_priv_rekey

static void add_delivery(KtPlan *plan, KtStage stage, KtTarget target, uint32_t target_id,
                         uint32_t rnc, uint32_t exclude_ue, KtKeyRef under, uint8_t n_keys,
                         KtKeyRef k0, KtKeyRef k1) {
  KtKeyRef keys[2] = {k0, k1};
  kt_priv_deliver(plan, stage, target, target_id, rnc, exclude_ue, under, keys, n_keys);
}

/* The RNCs of a scope: [*lo, *hi). */
static void scope_rncs(const KtTree *t, uint32_t scope, uint32_t *lo, uint32_t *hi) {
  if (t->cfg.embodiment == 1) {
    *lo = 0;
    *hi = t->cfg.n_rnc;
  } else {
    *lo = scope;
    *hi = scope + 1;
  }
}

bool kt_patent_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  KtKeyRef priv = rec->priv.ref;
  uint32_t rnc = kt_priv_rnc_of_cell(t, cell);
  uint32_t scope = kt_tree_scope_of_rnc(t, rnc);
  KtKey *group = &t->group[scope];
  bool scope_had_members = t->scope_count[scope] > 0;

  plan->kind = KT_EVENT_JOIN;
  plan->ue = ue;
  plan->rnc = rnc;
  plan->cell = cell;
  plan->scope = scope;
  plan->group_before = group->ref;

  KtSubgroup *sg = kt_priv_find_open(t, cell);
  if (sg == NULL) {
    sg = kt_priv_subgroup_new(t, cell);
    plan->subgroup_created = true;
    push_key(plan, &sg->key);
  }
  bool sg_had_members = sg->n > 0;
  kt_priv_attach(t, ue, cell, sg);
  plan->subgroup = sg->id;

  if (join_rekey && sg_had_members) {
    KtKeyRef old = rekey(t, &sg->key, plan);
    plan->subgroup_changed = true;
    add_delivery(plan, KT_STAGE_LOCAL, KT_TO_SUBGROUP, sg->id, sg->rnc, ue, old, 1, sg->key.ref,
                 (KtKeyRef){0, 0});
  }
  if (join_rekey && scope_had_members) {
    KtKeyRef old = rekey(t, group, plan);
    plan->group_changed = true;
    uint32_t lo, hi;
    scope_rncs(t, scope, &lo, &hi);
    for (uint32_t r = lo; r < hi; r++) {
      guint others = t->rnc_count[r] - (r == rnc ? 1u : 0u);
      if (others > 0)
        add_delivery(plan, KT_STAGE_GROUP, KT_TO_RNC_GROUP, r, r, ue, old, 1, group->ref,
                     (KtKeyRef){0, 0});
    }
  }
  add_delivery(plan, KT_STAGE_GROUP, KT_TO_UE, ue, rnc, KT_NO_UE, priv, 2, sg->key.ref, group->ref);
  plan->group_after = group->ref;
  kt_priv_maybe_check(t);
  return true;
}

bool kt_patent_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  const KtUeRec *rec = kt_priv_ue(t, ue);
  uint32_t cell = rec->cell;
  uint32_t rnc = kt_priv_rnc_of_cell(t, cell);
  uint32_t scope = kt_tree_scope_of_rnc(t, rnc);
  KtKey *group = &t->group[scope];

  plan->kind = KT_EVENT_LEAVE;
  plan->ue = ue;
  plan->rnc = rnc;
  plan->cell = cell;
  plan->scope = scope;
  plan->group_before = group->ref;

  KtSubgroup *sg = kt_priv_detach(t, ue);
  plan->subgroup = sg->id;

  if (sg->n == 0) {
    kt_priv_subgroup_delete(t, sg);
    sg = NULL;
    plan->subgroup_deleted = true;
  }
  if (t->scope_count[scope] == 0) {
    g_assert(sg == NULL);
    plan->group_after = group->ref;
    kt_priv_maybe_check(t);
    return true;
  }

  if (sg != NULL) {
    rekey(t, &sg->key, plan);
    plan->subgroup_changed = true;
    for (uint32_t i = 0; i < sg->n; i++) {
      uint32_t m = sg->members[i];
      add_delivery(plan, KT_STAGE_LOCAL, KT_TO_UE, m, sg->rnc, KT_NO_UE, kt_priv_ue(t, m)->priv.ref,
                   1, sg->key.ref, (KtKeyRef){0, 0});
    }
  }

  rekey(t, group, plan);
  plan->group_changed = true;
  uint32_t lo, hi;
  scope_rncs(t, scope, &lo, &hi);
  for (uint32_t r = lo; r < hi; r++) {
    const GArray *l = t->rnc_sgs[r];
    for (guint i = 0; i < l->len; i++) {
      const KtSubgroup *s = kt_priv_sg(t, g_array_index(l, guint32, i));
      add_delivery(plan, KT_STAGE_GROUP, KT_TO_SUBGROUP, s->id, r, KT_NO_UE, s->key.ref, 1,
                   group->ref, (KtKeyRef){0, 0});
    }
  }
  plan->group_after = group->ref;
  kt_priv_maybe_check(t);
  return true;
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
      push_key(plan, &sg->key);
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
      rekey(t, &sg->key, plan);
      for (uint32_t m = 0; m < sg->n; m++)
        if (!g_hash_table_contains(joiners, GUINT_TO_POINTER(sg->members[m])))
          add_delivery(plan, local, KT_TO_UE, sg->members[m], sg->rnc, KT_NO_UE,
                       kt_priv_ue(t, sg->members[m])->priv.ref, 1, sg->key.ref, (KtKeyRef){0, 0});
    }
    g_array_free(ids, TRUE);
    /* the group key once, under every sub-group's current key */
    rekey(t, group, plan);
    plan->group_changed = true;
    uint32_t lo, hi;
    scope_rncs(t, scope, &lo, &hi);
    for (uint32_t r = lo; r < hi; r++) {
      const GArray *l = t->rnc_sgs[r];
      for (guint i = 0; i < l->len; i++) {
        const KtSubgroup *s = kt_priv_sg(t, g_array_index(l, guint32, i));
        add_delivery(plan, KT_STAGE_GROUP, KT_TO_SUBGROUP, s->id, r, KT_NO_UE, s->key.ref, 1,
                     group->ref, (KtKeyRef){0, 0});
      }
    }
    /* each joiner: its sub-group key and the group key */
    for (guint i = 0; i < n; i++) {
      if (!ops[i].join)
        continue;
      const KtUeRec *rec = kt_priv_ue(t, ops[i].ue);
      const KtSubgroup *sg = kt_priv_sg(t, rec->subgroup);
      add_delivery(plan, KT_STAGE_GROUP, KT_TO_UE, ops[i].ue, sg->rnc, KT_NO_UE, rec->priv.ref, 2,
                   sg->key.ref, group->ref);
    }
  }
  g_hash_table_destroy(marked);
  g_hash_table_destroy(created);
  g_hash_table_destroy(joiners);
}
