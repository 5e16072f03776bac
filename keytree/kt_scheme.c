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

bool kt_tree_forward_secure(const KtTree *t) {
  g_assert(t != NULL);
  return t->cfg.scheme != KT_SCHEME_BROADCAST;
}

bool kt_tree_node_keys(const KtTree *t) {
  g_assert(t != NULL);
  return t->cfg.scheme == KT_SCHEME_LKH;
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

void kt_priv_scope_rncs(const KtTree *t, uint32_t scope, uint32_t *lo, uint32_t *hi) {
  *lo = t->cfg.embodiment == 1 ? 0 : scope;
  *hi = t->cfg.embodiment == 1 ? t->cfg.n_rnc : scope + 1;
}

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
  if (plan->kind == KT_EVENT_JOIN || t->scope_count[plan->scope] > 0)
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
  switch (t->cfg.scheme) {
  case KT_SCHEME_PATENT:
    kt_patent_join(t, ue, cell, join_rekey, plan);
    break;
  case KT_SCHEME_UNICAST:
  case KT_SCHEME_BROADCAST:
    kt_star_join(t, ue, cell, join_rekey, plan);
    break;
  case KT_SCHEME_LKH:
    kt_lkh_join(t, ue, cell, join_rekey, plan);
    break;
  }
  plan_finish(t, plan);
  return true;
}

bool kt_tree_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL);
  kt_plan_clear(plan);
  if (!kt_tree_is_member(t, ue))
    return false;
  plan_start(t, plan, KT_EVENT_LEAVE, ue, kt_priv_ue(t, ue)->cell);
  switch (t->cfg.scheme) {
  case KT_SCHEME_PATENT:
    kt_patent_leave(t, ue, plan);
    break;
  case KT_SCHEME_UNICAST:
  case KT_SCHEME_BROADCAST:
    kt_star_leave(t, ue, plan);
    break;
  case KT_SCHEME_LKH:
    kt_lkh_leave(t, ue, plan);
    break;
  }
  plan_finish(t, plan);
  return true;
}

typedef struct {
  bool start, now, left;
  uint32_t cell, start_cell;
} BatchUe;

bool kt_tree_batch(KtTree *t, uint32_t scope, const KtBatchOp *ops, guint n, KtPlan *plan) {
  g_assert(t != NULL && plan != NULL && (ops != NULL || n == 0));
  kt_plan_clear(plan);
  if ((t->cfg.scheme != KT_SCHEME_PATENT && t->cfg.scheme != KT_SCHEME_LKH) || scope >= t->n_scopes)
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
  if (plan->batch->len > 0) {
    if (t->cfg.scheme == KT_SCHEME_PATENT)
      kt_patent_batch(t, scope, plan);
    else
      kt_lkh_batch(t, scope, plan);
  }
  plan_finish(t, plan);
  return true;
}
