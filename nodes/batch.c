/* batch.c — see batch.h. */
#include "nodes/batch.h"

#include "nodes/plan.h"
#include "nodes/radio.h"

void batch_buffer_init(BatchBuffer *b) {
  b->ops = g_array_new(FALSE, FALSE, sizeof(KtBatchOp));
  b->waited = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  b->seq = 0;
  b->armed = 0;
}

void batch_buffer_fini(BatchBuffer *b) {
  g_array_free(b->ops, TRUE);
  b->ops = NULL;
  g_array_free(b->waited, TRUE);
  b->waited = NULL;
}

bool batch_gather(BatchBuffer *b, uint32_t seq, bool join, uint32_t ue, uint32_t cell,
                  double interval, double *delay) {
  KtBatchOp op = {.join = join, .ue = ue, .cell = cell};
  g_array_append_val(b->ops, op);
  b->seq = seq;
  if (b->armed)
    return false;
  double now = sim_now();
  double boundary = ((double)(uint64_t)(now / interval) + 1.0) * interval;
  b->armed = 1;
  *delay = boundary > now ? boundary - now : 0.0;
  return true;
}

/* Embodiment 2, a move between RNCs (docs/flows.md, "Handover", batch):
 * its join reaches this RNC's buffer while the UE may still be a member of
 * the old RNC's group, whose batch (with the leave) has not been applied
 * yet. The ops here of such a UE (its first one here is that join) wait in
 * the buffer for the next batch, unless the last of them is a leave (it
 * passed through this group and left it again before anything was applied:
 * they are dropped). The ops that go now are moved to `now`.
 *
 * The leave was gathered at the old RNC before the join reached this one,
 * so the old RNC applies it at its first boundary after it: at the latest
 * at this batch's instant (its timer may fire after this one's). A UE that
 * waited at the previous batch and still finds itself a member elsewhere
 * lost its leave; once the run's duration is over its ops here are dropped
 * (the run must end), and not before the second batch (a leave applied at
 * the same instant as the first one is not lost). */
static void split_deferred(Net *net, BatchBuffer *b, NetElement holder, uint32_t scope,
                           GArray *now) {
  GArray *later = g_array_new(FALSE, FALSE, sizeof(KtBatchOp));
  GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
  GHashTable *last_join = g_hash_table_new(g_direct_hash, g_direct_equal); /* elsewhere UEs */
  for (guint i = 0; i < b->ops->len; i++) {
    const KtBatchOp *op = &g_array_index(b->ops, KtBatchOp, i);
    gpointer key = GUINT_TO_POINTER(op->ue);
    if (!g_hash_table_contains(seen, key) && op->join && kt_tree_is_member(net->tree, op->ue) &&
        kt_tree_scope_of_rnc(net->tree, net_rnc_of_cell(net, kt_tree_ue_cell(net->tree, op->ue))) !=
            scope)
      g_hash_table_insert(last_join, key, GINT_TO_POINTER(1));
    g_hash_table_add(seen, key);
    if (g_hash_table_contains(last_join, key))
      g_hash_table_insert(last_join, key, GINT_TO_POINTER(op->join ? 1 : 2));
  }
  if (sim_now() >= net->cfg.data_until)
    for (guint i = 0; i < b->waited->len; i++) {
      gpointer key = GUINT_TO_POINTER(g_array_index(b->waited, uint32_t, i));
      if (GPOINTER_TO_INT(g_hash_table_lookup(last_join, key)) == 1) {
        g_hash_table_insert(last_join, key, GINT_TO_POINTER(2));
        net_reject(net, holder, "a mover's join whose leave elsewhere was never applied");
      }
    }
  g_array_set_size(b->waited, 0);
  for (guint i = 0; i < b->ops->len; i++) {
    const KtBatchOp *op = &g_array_index(b->ops, KtBatchOp, i);
    gpointer key = GUINT_TO_POINTER(op->ue);
    int elsewhere = GPOINTER_TO_INT(g_hash_table_lookup(last_join, key));
    if (elsewhere == 0) {
      g_array_append_vals(now, op, 1);
    } else if (elsewhere == 1 || elsewhere == 3) {
      g_array_append_vals(later, op, 1);
      if (elsewhere == 1) { /* its first op left: noted once */
        g_array_append_val(b->waited, op->ue);
        g_hash_table_insert(last_join, key, GINT_TO_POINTER(3));
      }
    }
  }
  g_array_set_size(b->ops, 0);
  g_array_append_vals(b->ops, later->data, later->len);
  g_array_free(later, TRUE);
  g_hash_table_destroy(seen);
  g_hash_table_destroy(last_join);
}

bool batch_deferred(Net *net, BatchBuffer *b, NetElement holder, double interval, double *delay) {
  (void)net, (void)holder;
  if (b->ops->len == 0 || b->armed)
    return false;
  b->armed = 1;
  double now = sim_now();
  double boundary = ((double)(uint64_t)(now / interval) + 1.0) * interval;
  *delay = boundary > now ? boundary - now : 0.0;
  return true;
}

const KtPlan *batch_plan(Net *net, BatchBuffer *b, NetElement holder, uint32_t scope,
                         uint32_t *seq_out) {
  b->armed = 0;
  if (b->ops->len == 0)
    return NULL;
  GArray *ops = g_array_new(FALSE, FALSE, sizeof(KtBatchOp));
  split_deferred(net, b, holder, scope, ops);
  if (ops->len == 0) {
    g_array_free(ops, TRUE);
    return NULL;
  }
  uint32_t seq = b->seq;
  KtPlan *plan = plan_begin(net->plans, seq);
  if (!plan) {
    g_array_free(ops, TRUE);
    g_array_set_size(b->ops, 0);
    net_reject(net, holder, "batch for an event already in progress");
    return NULL;
  }
  bool ok =
      kt_tree_batch(net->tree, scope, (const KtBatchOp *)(const void *)ops->data, ops->len, plan);
  g_array_free(ops, TRUE);
  if (!ok) {
    plan_close(net->plans, seq);
    net_reject(net, holder, "a batch with a join of a member or a leave of a non-member");
    return NULL;
  }
  bool leaves = false;
  for (guint i = 0; i < plan->batch->len; i++) {
    const KtBatchOp *op = &g_array_index(plan->batch, KtBatchOp, i);
    /* A mover's bearer moved with its radio (docs/flows.md, "Handover",
     * batch): its leave releases the bearer where it listens now if that
     * is in this scope (else its move took it out of the scope already),
     * and its join finds it there. A joiner whose radio has moved on since
     * its join is admitted nowhere here: it would listen to a cell it is
     * not camped on (and a later release there would end its listening
     * where it is); its move's join admits it where its radio went. */
    if (op->join) {
      if (radio_ue_cell(net->radio, op->ue) == op->cell &&
          !radio_bearer_has(net->radio, op->ue, op->cell))
        radio_bearer_join(net->radio, op->ue, op->cell);
    } else {
      uint32_t at = radio_ue_cell(net->radio, op->ue);
      if (!radio_bearer_has(net->radio, op->ue, at) ||
          kt_tree_scope_of_rnc(net->tree, net_rnc_of_cell(net, at)) != scope)
        at = op->cell;
      if (radio_bearer_has(net->radio, op->ue, at))
        radio_bearer_leave(net->radio, op->ue, at);
      leaves = true;
    }
  }
  if (leaves)
    plan_note_leavers(net->plans, plan);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, seq, plan, kt_tree_scope_members(net->tree, scope));
  *seq_out = seq;
  return plan;
}
