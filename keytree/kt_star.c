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
#include "keytree/kt_plan_build.h"
#include "keytree/kt_scheme.h"

/* How a star sends the (new) group key to every member of the scope but
 * `skip`: unicast, each under its private key; broadcast, under `old` per
 * RNC. */
typedef void (*Distribute)(KtTree *t, uint32_t scope, KtKeyRef old, uint32_t skip, KtPlan *plan);

static void to_each_member(KtTree *t, uint32_t scope, KtKeyRef old, uint32_t skip, KtPlan *plan) {
  (void)old;
  KtKeyRef group = t->group[scope].ref;
  uint32_t lo, hi;
  kt_priv_scope_rncs(t, scope, &lo, &hi);
  for (uint32_t r = lo; r < hi; r++) {
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

static void under_old_key(KtTree *t, uint32_t scope, KtKeyRef old, uint32_t skip, KtPlan *plan) {
  KtKeyRef group = t->group[scope].ref;
  uint32_t lo, hi;
  kt_priv_scope_rncs(t, scope, &lo, &hi);
  const KtUeRec *s = skip != KT_NO_UE ? kt_priv_ue(t, skip) : NULL;
  for (uint32_t r = lo; r < hi; r++) {
    guint others = t->rnc_count[r];
    if (s != NULL && kt_priv_rnc_of_cell(t, s->cell) == r)
      others--;
    if (others > 0)
      kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_RNC_GROUP, r, r, skip, old, &group, 1);
  }
}

static void star_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan,
                      Distribute distribute) {
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  KtKey *group = &t->group[plan->scope];
  bool had_members = t->scope_count[plan->scope] > 0;
  kt_priv_attach_cell(t, ue, cell);
  if (join_rekey && had_members) {
    KtKeyRef old = kt_priv_rekey(t, group, plan);
    distribute(t, plan->scope, old, ue, plan);
  }
  kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ue, plan->rnc, KT_NO_UE, rec->priv.ref,
                  &group->ref, 1);
}

static void star_leave(KtTree *t, uint32_t ue, KtPlan *plan, Distribute distribute) {
  KtKey *group = &t->group[plan->scope];
  kt_priv_detach_cell(t, ue);
  if (t->scope_count[plan->scope] > 0) {
    KtKeyRef old = kt_priv_rekey(t, group, plan);
    distribute(t, plan->scope, old, KT_NO_UE, plan);
  }
}

static void unicast_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  star_join(t, ue, cell, join_rekey, plan, to_each_member);
}
static void unicast_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  star_leave(t, ue, plan, to_each_member);
}
static void broadcast_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  star_join(t, ue, cell, join_rekey, plan, under_old_key);
}
static void broadcast_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  star_leave(t, ue, plan, under_old_key);
}

/* No interior key: no state, no interior queries (the table leaves them
 * NULL and kt_tree.c answers "none"), no batch. */
#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check: " __VA_ARGS__);                                                      \
  } while (0)

static void star_check(const KtTree *t) {
  for (guint u = 0; u < t->ues->len; u++) {
    const KtUeRec *rec = kt_priv_member(t, u);
    CHECK(rec == NULL || rec->subgroup == KT_NO_SUBGROUP, "UE %u: star member in sub-group %u", u,
          rec->subgroup);
  }
}

const KtSchemeOps kt_unicast_ops = {
    .name = "unicast",
    .forward_secure = true,
    .join = unicast_join,
    .leave = unicast_leave,
    .check = star_check,
};

const KtSchemeOps kt_broadcast_ops = {
    .name = "broadcast",
    .forward_secure = false, /* a leaver holds the old group key the new one is sent under */
    .join = broadcast_join,
    .leave = broadcast_leave,
    .check = star_check,
};
