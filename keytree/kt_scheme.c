/* kt_scheme.c — the entry points kt_tree_join / kt_tree_leave, which check
 * their input and hand over to the planner of the tree's scheme, and the
 * plan-building helpers every planner uses. */
#include <string.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_tree.h"
#include "keytree/kt_tree_private.h"

const char *kt_scheme_name(KtScheme scheme) {
  switch (scheme) {
  case KT_SCHEME_PATENT:
    return "patent";
  case KT_SCHEME_UNICAST:
    return "unicast";
  case KT_SCHEME_BROADCAST:
    return "broadcast";
  case KT_SCHEME_LKH:
    return "lkh";
  }
  return "?";
}

void kt_priv_plan_push_key(KtPlan *plan, const KtKey *k) {
  g_array_append_vals(plan->key_values, k, 1);
}

KtKeyRef kt_priv_rekey(KtTree *t, KtKey *key, KtPlan *plan) {
  KtKeyRef old = key->ref;
  kt_priv_plan_push_key(plan, key);
  KtKeyRef next = {old.id, old.version + 1};
  g_assert(next.version != 0);
  kt_keygen_fresh(t->gen, key, next);
  kt_priv_plan_push_key(plan, key);
  return old;
}

void kt_priv_deliver(KtPlan *plan, KtStage stage, KtTarget target, uint32_t target_id, uint32_t rnc,
                     uint32_t exclude_ue, KtKeyRef under, const KtKeyRef *keys, guint n_keys) {
  KtDelivery d;
  memset(&d, 0, sizeof d);
  d.stage = stage;
  d.target = target;
  d.target_id = target_id;
  d.rnc = rnc;
  d.exclude_ue = exclude_ue;
  d.under = under;
  kt_plan_add(plan, &d, keys, n_keys);
}

bool kt_tree_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL);
  kt_plan_clear(plan);
  if (cell >= t->n_cells || ue > KT_KEY_INDEX_MAX || kt_tree_is_member(t, ue))
    return false;
  switch (t->cfg.scheme) {
  case KT_SCHEME_PATENT:
    return kt_patent_join(t, ue, cell, join_rekey, plan);
  case KT_SCHEME_UNICAST:
  case KT_SCHEME_BROADCAST:
    return kt_star_join(t, ue, cell, join_rekey, plan);
  case KT_SCHEME_LKH:
    return kt_lkh_join(t, ue, cell, join_rekey, plan);
  }
  g_assert_not_reached();
}

bool kt_tree_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL);
  kt_plan_clear(plan);
  if (!kt_tree_is_member(t, ue))
    return false;
  switch (t->cfg.scheme) {
  case KT_SCHEME_PATENT:
    return kt_patent_leave(t, ue, plan);
  case KT_SCHEME_UNICAST:
  case KT_SCHEME_BROADCAST:
    return kt_star_leave(t, ue, plan);
  case KT_SCHEME_LKH:
    return kt_lkh_leave(t, ue, plan);
  }
  g_assert_not_reached();
}
