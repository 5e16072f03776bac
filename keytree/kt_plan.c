/* kt_plan.c — rekey plan storage and derived counts. */
#include "keytree/kt_plan.h"

#include <string.h>

static void plan_reset_fields(KtPlan *plan) {
  plan->kind = KT_EVENT_JOIN;
  plan->ue = KT_NO_UE;
  plan->rnc = UINT32_MAX;
  plan->cell = UINT32_MAX;
  plan->subgroup = KT_NO_SUBGROUP;
  plan->scope = UINT32_MAX;
  plan->subgroup_created = false;
  plan->subgroup_deleted = false;
  plan->subgroup_changed = false;
  plan->group_changed = false;
  memset(&plan->group_before, 0, sizeof plan->group_before);
  memset(&plan->group_after, 0, sizeof plan->group_after);
}

void kt_plan_init(KtPlan *plan) {
  g_assert(plan != NULL);
  plan_reset_fields(plan);
  plan->deliveries = g_array_new(FALSE, TRUE, sizeof(KtDelivery));
  plan->key_values = g_array_new(FALSE, TRUE, sizeof(KtKey));
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
}

void kt_plan_free(KtPlan *plan) {
  if (plan == NULL)
    return;
  wipe_key_values(plan);
  if (plan->key_values != NULL)
    g_array_free(plan->key_values, TRUE);
  if (plan->deliveries != NULL)
    g_array_free(plan->deliveries, TRUE);
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
  if (plan->deliveries == NULL)
    return 0;
  return plan->deliveries->len - kt_plan_p2p_count(plan);
}
