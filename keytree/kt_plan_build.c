/* kt_plan_build.c — see kt_plan_build.h. */
#include "keytree/kt_plan_build.h"

#include <string.h>

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

void kt_priv_join_previous(KtPlan *plan) {
  guint n = plan->deliveries->len;
  g_assert(n >= 2);
  KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, n - 1);
  const KtDelivery *prev = d - 1;
  g_assert(d->target != KT_TO_UE && prev->target != KT_TO_UE && d->rnc == prev->rnc &&
           d->stage == prev->stage);
  d->joined = true;
}
