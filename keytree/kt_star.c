/* kt_star.c — the star schemes: the group key at the root, every member's
 * private key a leaf, no interior key.
 *
 * unicast:   every change of the group key goes point-to-point to each
 *            member that must have it, under its private key (per-UE
 *            delivery of a new service key, 3GPP TS 33.246).
 * broadcast: the new group key goes point-to-multipoint under the old group
 *            key, once per RNC with members (insecure prior art: a leaver
 *            still holds the old key and can open it).
 * Join: the joiner gets the group key point-to-point; with join rekey, the
 * group key changes first if the scope had members. Leave: the group key
 * changes if the scope still has members. All deliveries carry the group
 * key, so all are KT_STAGE_GROUP. */
#include "keytree/kt_tree.h"
#include "keytree/kt_tree_private.h"

/* The RNCs of a scope: [*lo, *hi). */
static void scope_rncs(const KtTree *t, uint32_t scope, uint32_t *lo, uint32_t *hi) {
  *lo = t->cfg.embodiment == 1 ? 0 : scope;
  *hi = t->cfg.embodiment == 1 ? t->cfg.n_rnc : scope + 1;
}

/* Sends the (new) group key to every member of the scope but `skip`:
 * unicast, each under its private key; broadcast, under `old` per RNC. */
static void distribute(KtTree *t, uint32_t scope, KtKeyRef old, uint32_t skip, KtPlan *plan) {
  KtKeyRef group = t->group[scope].ref;
  uint32_t lo, hi;
  scope_rncs(t, scope, &lo, &hi);
  for (uint32_t r = lo; r < hi; r++) {
    if (t->cfg.scheme == KT_SCHEME_BROADCAST) {
      guint others = t->rnc_count[r];
      const KtUeRec *s = skip != KT_NO_UE ? kt_priv_ue(t, skip) : NULL;
      if (s != NULL && kt_priv_rnc_of_cell(t, s->cell) == r)
        others--;
      if (others > 0)
        kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_RNC_GROUP, r, r, skip, old, &group, 1);
      continue;
    }
    for (uint32_t c = r * t->cfg.cells_per_rnc; c < (r + 1) * t->cfg.cells_per_rnc; c++) {
      const GArray *cu = t->cell_ues[c];
      for (guint i = 0; i < cu->len; i++) {
        uint32_t m = g_array_index(cu, guint32, i);
        if (m != skip)
          kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, m, r, KT_NO_UE,
                          kt_priv_ue(t, m)->priv.ref, &group, 1);
      }
    }
  }
}

static void start_plan(KtTree *t, KtPlan *plan, KtEventKind kind, uint32_t ue, uint32_t cell) {
  uint32_t rnc = kt_priv_rnc_of_cell(t, cell);
  plan->kind = kind;
  plan->ue = ue;
  plan->rnc = rnc;
  plan->cell = cell;
  plan->scope = kt_tree_scope_of_rnc(t, rnc);
  plan->group_before = t->group[plan->scope].ref;
}

bool kt_star_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  start_plan(t, plan, KT_EVENT_JOIN, ue, cell);
  KtKey *group = &t->group[plan->scope];
  bool had_members = t->scope_count[plan->scope] > 0;
  kt_priv_attach_cell(t, ue, cell);
  if (join_rekey && had_members) {
    KtKeyRef old = kt_priv_rekey(t, group, plan);
    plan->group_changed = true;
    distribute(t, plan->scope, old, ue, plan);
  }
  kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ue, plan->rnc, KT_NO_UE, rec->priv.ref,
                  &group->ref, 1);
  plan->group_after = group->ref;
  kt_priv_maybe_check(t);
  return true;
}

bool kt_star_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  start_plan(t, plan, KT_EVENT_LEAVE, ue, kt_priv_ue(t, ue)->cell);
  KtKey *group = &t->group[plan->scope];
  kt_priv_detach_cell(t, ue);
  if (t->scope_count[plan->scope] > 0) {
    KtKeyRef old = kt_priv_rekey(t, group, plan);
    plan->group_changed = true;
    distribute(t, plan->scope, old, KT_NO_UE, plan);
  }
  plan->group_after = group->ref;
  kt_priv_maybe_check(t);
  return true;
}
