/* kt_plan_build.h — how the schemes' planners fill a KtPlan (private to
 * keytree/): every key they change goes through kt_priv_rekey, every
 * delivery through kt_priv_deliver, so that plans of every scheme hold
 * the same things in the same form (kt_plan.h). */
#pragma once
#include <glib.h>

#include "keytree/kt_core.h"
#include "keytree/kt_plan.h"

/* Copies `k` into the plan's key values (a created key's first value). */
void kt_priv_plan_push_key(KtPlan *plan, const KtKey *k);
/* Replaces *key by a fresh value of the next version; old and new values go
 * into the plan. Returns the old ref. */
KtKeyRef kt_priv_rekey(KtTree *t, KtKey *key, KtPlan *plan);
void kt_priv_deliver(KtPlan *plan, KtStage stage, KtTarget target, uint32_t target_id, uint32_t rnc,
                     uint32_t exclude_ue, KtKeyRef under, const KtKeyRef *keys, guint n_keys);
/* The last delivery travels in the message of the one before it
 * (KtDelivery.joined; the caller keeps the message within
 * KT_PLAN_MAX_KEYS wraps, at the same RNC and stage). */
void kt_priv_join_previous(KtPlan *plan);
