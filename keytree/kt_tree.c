/* kt_tree.c — the key tree's public face (kt_tree.h): creation, the entry
 * points kt_tree_join / kt_tree_leave / kt_tree_batch, which check their
 * input, hand over to the scheme's table (kt_scheme.h) and then retire the
 * keys of an emptied scope, and the queries, answered from the shared core
 * (kt_core.h) or, for interior keys, by the scheme. */
#include "keytree/kt_tree.h"

#include <string.h>

#include "keytree/kt_core.h"
#include "keytree/kt_plan_build.h"
#include "keytree/kt_scheme.h"

/* The schemes, by KtScheme: adding one is a table here (docs/architecture.md). */
static const KtSchemeOps *const schemes[] = {
    [KT_SCHEME_PATENT] = &kt_patent_ops,
    [KT_SCHEME_UNICAST] = &kt_unicast_ops,
    [KT_SCHEME_BROADCAST] = &kt_broadcast_ops,
    [KT_SCHEME_LKH] = &kt_lkh_ops,
    [KT_SCHEME_OFT] = &kt_oft_ops,
    [KT_SCHEME_SD] = &kt_sd_ops,
    [KT_SCHEME_3GPP] = &kt_3gpp_ops,
};

const char *kt_scheme_name(KtScheme scheme) {
  return (guint)scheme < G_N_ELEMENTS(schemes) ? schemes[scheme]->name : "?";
}

/* ---- creation ---------------------------------------------------------- */

KtTree *kt_tree_new(const KtConfig *config) {
  g_return_val_if_fail(config != NULL, NULL);
  g_return_val_if_fail(config->n_rnc >= 1 && config->cells_per_rnc >= 1, NULL);
  g_return_val_if_fail(config->subgroup_size >= 1, NULL);
  g_return_val_if_fail(config->embodiment == 1 || config->embodiment == 2, NULL);
  g_return_val_if_fail(config->policy == KT_POLICY_PER_CELL || config->policy == KT_POLICY_PER_RNC,
                       NULL);
  g_return_val_if_fail((uint64_t)config->n_rnc * config->cells_per_rnc <= UINT32_MAX - 1, NULL);
  g_return_val_if_fail(config->n_rnc - 1 <= KT_KEY_INDEX_MAX, NULL);
  g_return_val_if_fail((guint)config->scheme < G_N_ELEMENTS(schemes), NULL);
  g_return_val_if_fail(config->scheme != KT_SCHEME_LKH || config->lkh_degree != 1, NULL);
  g_return_val_if_fail(config->scheme != KT_SCHEME_SD || kt_sd_capacity_fits(config), NULL);

  KtTree *t = g_new0(KtTree, 1);
  t->cfg = *config;
  t->ops = schemes[config->scheme];
  kt_core_init(t);
  const char *env = g_getenv("MBMS_KT_CHECK");
  t->check_each = env != NULL && env[0] != '\0' && strcmp(env, "0") != 0;
  if (t->ops->init)
    t->ops->init(t);
  return t;
}

void kt_tree_free(KtTree *t) {
  if (t == NULL)
    return;
  if (t->ops->fini)
    t->ops->fini(t);
  kt_priv_stale_free(t);
  kt_core_fini(t);
  g_free(t);
}

const KtConfig *kt_tree_config(const KtTree *t) {
  g_assert(t != NULL);
  return &t->cfg;
}

struct KtKeyGen *kt_tree_keygen(KtTree *t) {
  g_assert(t != NULL);
  return t->gen;
}

bool kt_tree_forward_secure(const KtTree *t) {
  g_assert(t != NULL);
  return t->ops->forward_secure;
}

bool kt_tree_node_keys(const KtTree *t) {
  g_assert(t != NULL);
  return t->ops->node_keys;
}

bool kt_tree_stateless(const KtTree *t) {
  g_assert(t != NULL);
  return t->ops->stateless;
}

bool kt_tree_member_computes(const KtTree *t) {
  g_assert(t != NULL);
  return t->ops->member_compute != NULL || t->ops->member_open != NULL;
}

guint kt_tree_member_compute(const KtTree *t, uint32_t ue, const KtKey *const *held, guint n_held,
                             KtKey *out, guint cap, guint *evals) {
  g_assert(t != NULL && evals != NULL);
  *evals = 0;
  if (t->ops->member_compute == NULL || !kt_tree_is_member(t, ue))
    return 0;
  return t->ops->member_compute(t, ue, held, n_held, out, cap, evals);
}

bool kt_tree_member_open(const KtTree *t, uint32_t ue, KtKeyRef want, KtKey *out, guint *evals) {
  g_assert(t != NULL && out != NULL && evals != NULL);
  *evals = 0;
  return t->ops->member_open != NULL && t->ops->member_open(t, ue, want, out, evals);
}

guint kt_tree_member_implicit_keys(const KtTree *t, uint32_t ue) {
  g_assert(t != NULL);
  return t->ops->member_implicit_keys ? t->ops->member_implicit_keys(t, ue) : 0;
}

void kt_priv_maybe_check(const KtTree *t) {
  if (t->check_each)
    kt_tree_check(t);
}

void kt_tree_check(const KtTree *t) {
  g_assert(t != NULL);
  kt_core_check(t);
  if (t->ops->check)
    t->ops->check(t);
}

/* ---- events -------------------------------------------------------------- */

/* The fields of a join/leave plan that come from the event itself, set
 * before the scheme's planner runs (its stage rules read plan->rnc). */
static void plan_start(const KtTree *t, KtPlan *plan, KtEventKind kind, uint32_t ue,
                       uint32_t cell) {
  plan->kind = kind;
  plan->ue = ue;
  plan->cell = cell;
  plan->rnc = kt_priv_rnc_of_cell(t, cell);
  plan->scope = kt_tree_scope_of_rnc(t, plan->rnc);
  plan->group_before = t->group[plan->scope].ref;
}

/* A key that no member holds any more is retired (docs/schemes.md,
 * "Emptied scopes"): when a leave (or a batch) empties its scope, the group
 * key changes at its owner with nothing sent, so that the next joiner's
 * group key is one no departed UE ever held. Emptied sub-groups and LKH
 * nodes need nothing here: they are deleted and their ids never reused.
 * Done here, for every scheme, rather than in each planner. */
static void retire_if_emptied(KtTree *t, KtPlan *plan) {
  if (plan->kind == KT_EVENT_JOIN || plan->kind == KT_EVENT_MOVE || t->scope_count[plan->scope] > 0)
    return;
  if (plan->kind == KT_EVENT_BATCH && plan->batch->len == 0)
    return; /* nothing happened */
  g_assert(plan->deliveries->len == 0);
  kt_priv_rekey(t, &t->group[plan->scope], plan);
  plan->group_retired = true;
}

/* After any planner: the group key after the event, whether it changed
 * (a rekey always makes a new version), and the invariants. */
static void plan_finish(KtTree *t, KtPlan *plan) {
  retire_if_emptied(t, plan);
  plan->group_after = t->group[plan->scope].ref;
  plan->group_changed = !kt_ref_equal(plan->group_before, plan->group_after);
  kt_priv_maybe_check(t);
}

bool kt_tree_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL);
  kt_plan_clear(plan);
  if (cell >= t->n_cells || ue > KT_KEY_INDEX_MAX || kt_tree_is_member(t, ue))
    return false;
  plan_start(t, plan, KT_EVENT_JOIN, ue, cell);
  t->ops->join(t, ue, cell, join_rekey, plan);
  plan_finish(t, plan);
  return true;
}

/* Lazy handover rekey (docs/flows.md, "Handover"): the interior keys the
 * leaver moved away from and still holds change first, in the order it
 * left them, each as a leave of its holders only; the leave's own plan
 * then wraps under their new values. Keys deleted since (emptied) need
 * nothing. */
static void rekey_stale(KtTree *t, uint32_t ue, KtPlan *plan) {
  GArray *l = kt_priv_stale_take(t, ue);
  if (l == NULL)
    return;
  for (guint i = 0; i < l->len; i++) {
    uint32_t index = g_array_index(l, guint32, i);
    if (t->ops->rekey_stale && t->ops->interior_key && t->ops->interior_key(t, index))
      t->ops->rekey_stale(t, index, plan);
  }
  g_array_unref(l);
}

bool kt_tree_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL);
  kt_plan_clear(plan);
  if (!kt_tree_is_member(t, ue))
    return false;
  plan_start(t, plan, KT_EVENT_LEAVE, ue, kt_priv_ue(t, ue)->cell);
  rekey_stale(t, ue, plan);
  t->ops->leave(t, ue, plan);
  plan_finish(t, plan);
  return true;
}

bool kt_tree_move_keeps_scope(const KtTree *t, uint32_t ue, uint32_t cell) {
  g_assert(t != NULL);
  const KtUeRec *rec = kt_priv_member(t, ue);
  return rec != NULL && cell < t->n_cells &&
         kt_priv_scope_of_rnc(t, kt_priv_rnc_of_cell(t, cell)) ==
             kt_priv_scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell));
}

bool kt_tree_move(KtTree *t, uint32_t ue, uint32_t cell, KtMoveRekey rekey, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL);
  kt_plan_clear(plan);
  if (!kt_tree_move_keeps_scope(t, ue, cell) || kt_priv_ue(t, ue)->cell == cell)
    return false;
  uint32_t from = kt_priv_ue(t, ue)->cell;
  plan_start(t, plan, KT_EVENT_MOVE, ue, cell);
  plan->from_cell = from;
  plan->subgroup = kt_priv_ue(t, ue)->subgroup;
  if (t->ops->move)
    t->ops->move(t, ue, cell, rekey, plan);
  else
    kt_priv_move_cell(t, ue, cell);
  plan_finish(t, plan);
  g_assert(!plan->group_changed); /* a move within a scope keeps the group key */
  return true;
}

typedef struct {
  bool start, now, left;
  uint32_t cell, start_cell;
} BatchUe;

bool kt_tree_batch(KtTree *t, uint32_t scope, const KtBatchOp *ops, guint n, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL && (ops != NULL || n == 0));
  kt_plan_clear(plan);
  if (t->ops->batch == NULL || scope >= t->n_scopes)
    return false;
  /* replay the ops on membership alone, checking each */
  GHashTable *seen = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  GArray *order = g_array_new(FALSE, FALSE, sizeof(guint32));
  bool ok = true;
  for (guint i = 0; i < n && ok; i++) {
    const KtBatchOp *op = &ops[i];
    if (op->ue > KT_KEY_INDEX_MAX) {
      ok = false;
      break;
    }
    BatchUe *b = g_hash_table_lookup(seen, GUINT_TO_POINTER(op->ue));
    if (b == NULL) {
      b = g_new0(BatchUe, 1);
      b->start = b->now = kt_tree_is_member(t, op->ue);
      if (b->start)
        b->cell = b->start_cell = kt_priv_ue(t, op->ue)->cell;
      g_hash_table_insert(seen, GUINT_TO_POINTER(op->ue), b);
      g_array_append_val(order, op->ue);
    }
    uint32_t cell = op->join ? op->cell : b->cell;
    ok = op->join != b->now && cell < t->n_cells &&
         kt_tree_scope_of_rnc(t, kt_priv_rnc_of_cell(t, cell)) == scope;
    b->now = op->join;
    b->cell = cell;
    b->left |= !op->join;
  }
  if (ok) {
    /* the net ops: leaves first, then joins, each in first-appearance order */
    for (int pass = 0; pass < 2; pass++) {
      for (guint i = 0; i < order->len; i++) {
        uint32_t ue = g_array_index(order, guint32, i);
        const BatchUe *b = g_hash_table_lookup(seen, GUINT_TO_POINTER(ue));
        bool leave = b->start && (!b->now || b->left);
        bool join = b->now && (!b->start || b->left);
        if (pass == 0 && leave) {
          KtBatchOp op = {.join = false, .ue = ue, .cell = b->start_cell};
          g_array_append_val(plan->batch, op);
        }
        if (pass == 1 && join) {
          KtBatchOp op = {.join = true, .ue = ue, .cell = b->cell};
          g_array_append_val(plan->batch, op);
        }
      }
    }
  }
  g_array_free(order, TRUE);
  g_hash_table_destroy(seen);
  if (!ok)
    return false;

  plan->kind = KT_EVENT_BATCH;
  plan->scope = scope;
  plan->group_before = t->group[scope].ref;
  if (plan->batch->len > 0)
    t->ops->batch(t, scope, plan);
  plan_finish(t, plan);
  return true;
}

double kt_tree_period(const KtTree *t, uint32_t which) {
  g_assert(t != NULL && which < KT_PERIODIC_KINDS);
  return t->ops->period ? t->ops->period(t, which) : 0.0;
}

bool kt_tree_periodic(KtTree *t, uint32_t scope, uint32_t which, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL && which < KT_PERIODIC_KINDS);
  kt_plan_clear(plan);
  if (t->ops->periodic == NULL || scope >= t->n_scopes || t->scope_count[scope] == 0)
    return false;
  plan->kind = KT_EVENT_BATCH; /* a holder's own plan, with no op */
  plan->scope = scope;
  plan->ue = KT_NO_UE;
  plan->rnc = plan->cell = plan->subgroup = UINT32_MAX;
  plan->group_before = t->group[scope].ref;
  t->ops->periodic(t, scope, which, plan);
  plan_finish(t, plan);
  return true;
}

/* ---- queries ----------------------------------------------------------- */

bool kt_tree_is_member(const KtTree *t, uint32_t ue) {
  g_assert(t != NULL);
  return kt_priv_member(t, ue) != NULL;
}

void kt_tree_prefetch_ue(const KtTree *t, uint32_t ue) {
  const KtUeRec *rec = kt_priv_ue(t, ue);
  if (rec != NULL) { /* (a record may straddle two cache lines) */
    __builtin_prefetch(rec);
    __builtin_prefetch((const char *)(rec + 1) - 1);
  }
}

uint32_t kt_tree_ue_cell(const KtTree *t, uint32_t ue) {
  g_assert(t != NULL);
  const KtUeRec *rec = kt_priv_member(t, ue);
  return rec != NULL ? rec->cell : UINT32_MAX;
}

uint32_t kt_tree_ue_subgroup(const KtTree *t, uint32_t ue) {
  g_assert(t != NULL);
  const KtUeRec *rec = kt_priv_member(t, ue);
  return rec != NULL ? rec->subgroup : KT_NO_SUBGROUP;
}

uint32_t kt_tree_scope_of_rnc(const KtTree *t, uint32_t rnc) {
  g_assert(t != NULL && rnc < t->cfg.n_rnc);
  return kt_priv_scope_of_rnc(t, rnc);
}

uint32_t kt_tree_n_scopes(const KtTree *t) {
  g_assert(t != NULL);
  return t->n_scopes;
}

guint kt_tree_scope_members(const KtTree *t, uint32_t scope) {
  g_assert(t != NULL);
  return scope < t->n_scopes ? t->scope_count[scope] : 0;
}

guint kt_tree_members(const KtTree *t) {
  g_assert(t != NULL);
  return t->total;
}

guint kt_tree_rnc_members(const KtTree *t, uint32_t rnc) {
  g_assert(t != NULL);
  return rnc < t->cfg.n_rnc ? t->rnc_count[rnc] : 0;
}

const uint32_t *kt_tree_cell_ues(const KtTree *t, uint32_t cell, guint *n) {
  g_assert(t != NULL && n != NULL);
  if (cell >= t->n_cells) {
    *n = 0;
    return NULL;
  }
  *n = t->cell_ues[cell]->len;
  return (const uint32_t *)(const void *)t->cell_ues[cell]->data;
}

const KtKey *kt_tree_group_key(const KtTree *t, uint32_t scope) {
  g_assert(t != NULL);
  return scope < t->n_scopes ? &t->group[scope] : NULL;
}

const KtKey *kt_tree_key(const KtTree *t, KtKeyId id) {
  g_assert(t != NULL);
  uint32_t index = KT_KEY_ID_INDEX(id);
  switch (KT_KEY_ID_KIND(id)) {
  case KT_KEY_GROUP:
    return kt_tree_group_key(t, index);
  case KT_KEY_SUBGROUP:
    return t->ops->interior_key ? t->ops->interior_key(t, index) : NULL;
  case KT_KEY_PRIVATE: {
    const KtUeRec *rec = kt_priv_ue(t, index);
    return rec != NULL && (rec->flags & KT_UE_SEEN) ? &rec->priv : NULL;
  }
  case KT_KEY_CORE:
  default:
    return NULL;
  }
}

guint kt_tree_ue_keys(const KtTree *t, uint32_t ue, const KtKey **out, guint cap) {
  g_assert(t != NULL && out != NULL);
  const KtUeRec *rec = kt_priv_member(t, ue);
  if (rec == NULL)
    return 0;
  guint n = t->ops->member_keys ? t->ops->member_keys(t, rec, out, cap) : 0;
  if (n < cap)
    out[n++] = &t->group[kt_priv_scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell))];
  return n;
}

void kt_tree_audience_cells(const KtTree *t, const KtDelivery *d, GArray *out) {
  g_assert(t != NULL && d != NULL && out != NULL);
  g_assert(g_array_get_element_size(out) == sizeof(guint32));
  switch (d->target) {
  case KT_TO_UE: {
    const KtUeRec *rec = kt_priv_member(t, d->target_id);
    if (rec != NULL)
      g_array_append_val(out, rec->cell);
    return;
  }
  case KT_TO_SUBGROUP:
  case KT_TO_NODE:
    if (t->ops->audience_cells)
      t->ops->audience_cells(t, d, out);
    return;
  case KT_TO_RNC_GROUP: {
    if (d->target_id >= t->cfg.n_rnc)
      return;
    const KtUeRec *ex = kt_priv_member(t, d->exclude_ue);
    uint32_t first = d->target_id * t->cfg.cells_per_rnc;
    for (uint32_t c = first; c < first + t->cfg.cells_per_rnc; c++) {
      guint n = t->cell_ues[c]->len;
      if (ex != NULL && ex->cell == c)
        n--;
      if (n > 0)
        g_array_append_val(out, c);
    }
    return;
  }
  }
  g_assert_not_reached();
}

bool kt_tree_in_audience(const KtTree *t, const KtDelivery *d, uint32_t ue) {
  g_assert(t != NULL && d != NULL);
  const KtUeRec *rec = kt_priv_member(t, ue);
  if (rec == NULL)
    return false;
  switch (d->target) {
  case KT_TO_UE:
    return ue == d->target_id;
  case KT_TO_RNC_GROUP:
    return ue != d->exclude_ue && kt_priv_rnc_of_cell(t, rec->cell) == d->target_id;
  case KT_TO_SUBGROUP:
  case KT_TO_NODE:
    return ue != d->exclude_ue && t->ops->in_audience && t->ops->in_audience(t, d, rec);
  }
  return false;
}
