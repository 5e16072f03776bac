/* batch.c — see batch.h. */
#include "nodes/batch.h"

#include "nodes/plan.h"
#include "nodes/radio.h"

void batch_buffer_init(BatchBuffer *b) {
  b->ops = g_array_new(FALSE, FALSE, sizeof(KtBatchOp));
  b->seq = 0;
  b->armed = 0;
}

void batch_buffer_fini(BatchBuffer *b) {
  g_array_free(b->ops, TRUE);
  b->ops = NULL;
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

const KtPlan *batch_plan(Net *net, BatchBuffer *b, NetElement holder, uint32_t scope,
                         uint32_t *seq_out) {
  b->armed = 0;
  if (b->ops->len == 0)
    return NULL;
  uint32_t seq = b->seq;
  KtPlan *plan = plan_begin(net->plans, seq);
  if (!plan) {
    g_array_set_size(b->ops, 0);
    net_reject(net, holder, "batch for an event already in progress");
    return NULL;
  }
  bool ok = kt_tree_batch(net->tree, scope, (const KtBatchOp *)(const void *)b->ops->data,
                          b->ops->len, plan);
  g_array_set_size(b->ops, 0);
  if (!ok) {
    plan_close(net->plans, seq);
    net_reject(net, holder, "a batch with a join of a member or a leave of a non-member");
    return NULL;
  }
  bool leaves = false;
  for (guint i = 0; i < plan->batch->len; i++) {
    const KtBatchOp *op = &g_array_index(plan->batch, KtBatchOp, i);
    if (op->join) {
      radio_bearer_join(net->radio, op->ue, op->cell);
    } else {
      radio_bearer_leave(net->radio, op->ue, op->cell);
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
