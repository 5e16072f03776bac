/* kt_plan.c — rekey plan storage and derived counts. */
#include "keytree/kt_plan.h"

#include <string.h>

static void plan_reset_fields(KtPlan *plan) {
  plan->kind = KT_EVENT_JOIN;
  plan->ue = KT_NO_UE;
  plan->rnc = UINT32_MAX;
  plan->cell = UINT32_MAX;
  plan->from_cell = UINT32_MAX;
  plan->old_subgroup = KT_NO_SUBGROUP;
  plan->subgroup = KT_NO_SUBGROUP;
  plan->scope = UINT32_MAX;
  plan->subgroup_created = false;
  plan->subgroup_deleted = false;
  plan->subgroup_changed = false;
  plan->group_changed = false;
  plan->group_retired = false;
  memset(&plan->group_before, 0, sizeof plan->group_before);
  memset(&plan->group_after, 0, sizeof plan->group_after);
}

void kt_plan_init(KtPlan *plan) {
  g_assert(plan != NULL);
  plan_reset_fields(plan);
  plan->deliveries = g_array_new(FALSE, TRUE, sizeof(KtDelivery));
  plan->key_values = g_array_new(FALSE, TRUE, sizeof(KtKey));
  plan->more_keys = g_array_new(FALSE, TRUE, sizeof(KtKeyRef));
  plan->batch = g_array_new(FALSE, TRUE, sizeof(KtBatchOp));
}

static void wipe_key_values(KtPlan *plan) {
  if (plan->key_values == NULL)
    return;
  for (guint i = 0; i < plan->key_values->len; i++)
    kt_key_wipe(&g_array_index(plan->key_values, KtKey, i));
  g_array_set_size(plan->key_values, 0);
}

void kt_plan_clear(KtPlan *plan) {
  g_assert(plan != NULL);
  plan_reset_fields(plan);
  if (plan->deliveries == NULL)
    plan->deliveries = g_array_new(FALSE, TRUE, sizeof(KtDelivery));
  else
    g_array_set_size(plan->deliveries, 0);
  if (plan->key_values == NULL)
    plan->key_values = g_array_new(FALSE, TRUE, sizeof(KtKey));
  else
    wipe_key_values(plan);
  if (plan->more_keys == NULL)
    plan->more_keys = g_array_new(FALSE, TRUE, sizeof(KtKeyRef));
  else
    g_array_set_size(plan->more_keys, 0);
  if (plan->batch == NULL)
    plan->batch = g_array_new(FALSE, TRUE, sizeof(KtBatchOp));
  else
    g_array_set_size(plan->batch, 0);
}

void kt_plan_free(KtPlan *plan) {
  if (plan == NULL)
    return;
  wipe_key_values(plan);
  if (plan->key_values != NULL)
    g_array_free(plan->key_values, TRUE);
  if (plan->deliveries != NULL)
    g_array_free(plan->deliveries, TRUE);
  if (plan->more_keys != NULL)
    g_array_free(plan->more_keys, TRUE);
  plan->more_keys = NULL;
  if (plan->batch != NULL)
    g_array_free(plan->batch, TRUE);
  plan->batch = NULL;
  plan->key_values = NULL;
  plan->deliveries = NULL;
  plan_reset_fields(plan);
}

const KtKey *kt_plan_key(const KtPlan *plan, KtKeyRef ref) {
  g_assert(plan != NULL);
  if (plan->key_values == NULL)
    return NULL;
  for (guint i = 0; i < plan->key_values->len; i++) {
    const KtKey *k = &g_array_index(plan->key_values, KtKey, i);
    if (kt_ref_equal(k->ref, ref))
      return k;
  }
  return NULL;
}

bool kt_plan_replaced(const KtPlan *plan, KtKeyRef ref) {
  return kt_plan_key(plan, (KtKeyRef){ref.id, ref.version + 1}) != NULL;
}

guint kt_plan_p2p_count(const KtPlan *plan) {
  g_assert(plan != NULL);
  guint n = 0;
  if (plan->deliveries == NULL)
    return 0;
  for (guint i = 0; i < plan->deliveries->len; i++)
    if (g_array_index(plan->deliveries, KtDelivery, i).target == KT_TO_UE)
      n++;
  return n;
}

guint kt_plan_p2m_count(const KtPlan *plan) {
  g_assert(plan != NULL);
  guint n = 0;
  if (plan->deliveries == NULL)
    return 0;
  for (guint i = 0; i < plan->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if (d->target != KT_TO_UE && !d->joined)
      n++;
  }
  return n;
}

KtKeyRef kt_delivery_key(const KtPlan *plan, const KtDelivery *d, guint i) {
  g_assert(plan != NULL && d != NULL && i < d->n_keys);
  if (i < KT_DELIVERY_MAX_KEYS)
    return d->keys[i];
  g_assert(plan->more_keys != NULL && d->more + (i - KT_DELIVERY_MAX_KEYS) < plan->more_keys->len);
  return g_array_index(plan->more_keys, KtKeyRef, d->more + (i - KT_DELIVERY_MAX_KEYS));
}

void kt_plan_add(KtPlan *plan, const KtDelivery *d, const KtKeyRef *keys, guint n_keys) {
  g_assert(plan != NULL && d != NULL && n_keys >= 1 && n_keys <= KT_PLAN_MAX_KEYS);
  KtDelivery copy = *d;
  copy.n_keys = (uint8_t)n_keys;
  memset(copy.keys, 0, sizeof copy.keys);
  copy.more = 0;
  for (guint i = 0; i < n_keys && i < KT_DELIVERY_MAX_KEYS; i++)
    copy.keys[i] = keys[i];
  if (n_keys > KT_DELIVERY_MAX_KEYS) {
    copy.more = plan->more_keys->len;
    g_array_append_vals(plan->more_keys, keys + KT_DELIVERY_MAX_KEYS,
                        n_keys - KT_DELIVERY_MAX_KEYS);
  }
  g_array_append_val(plan->deliveries, copy);
}

guint kt_plan_wrap_count(const KtPlan *plan) {
  g_assert(plan != NULL);
  guint n = 0;
  if (plan->deliveries == NULL)
    return 0;
  for (guint i = 0; i < plan->deliveries->len; i++)
    n += g_array_index(plan->deliveries, KtDelivery, i).n_keys;
  return n;
}
