/* batch.c — batch rekeying (Li, Yang, Gouda, Lam 2001) in the network.
 *
 * Joins and leaves are accepted at once (the context signalling is the same
 * as for the other schemes); the holder of the tree gathers them: the RNC
 * in embodiment 2 (its own group), the BM-SC in embodiment 1. At the first
 * multiple of batch_interval after the first op of a batch, the holder asks
 * the key tree for one plan (kt_tree_batch) and carries it out: in
 * embodiment 2 the RNC sends everything at once; in embodiment 1 the BM-SC
 * sends the group key change request and each RNC with work sends its part
 * on the RAB assignment request, joiners' keys included.
 *
 * Every message of a batch carries the seq of the batch's last event, so
 * rekeys.csv shows the batch's whole cost on that event's row (and the
 * other events of the batch have no rekey messages). */
#include "nodes/net_internal.h"

static void fire(void *ctx, uint64_t arg) {
  Net *net = ctx;
  uint32_t holder = (uint32_t)arg;
  GArray *ops = net->batch_ops[holder];
  net->batch_armed[holder] = 0;
  if (ops->len == 0)
    return;
  uint32_t seq = net->batch_seq[holder];
  uint32_t scope = holder == net->n_rnc ? 0 : kt_tree_scope_of_rnc(net->tree, holder);
  NetElement who = holder == net->n_rnc ? (NetElement){NET_BMSC, 0} : (NetElement){NET_RNC, holder};
  PlanSlot *slot = net_plan_new(net, seq);
  if (!slot) {
    g_array_set_size(ops, 0);
    if (net->obs.on_reject)
      net->obs.on_reject(net->obs.ctx, who, "batch for an event already in progress");
    return;
  }
  bool ok = kt_tree_batch(net->tree, scope, (const KtBatchOp *)(const void *)ops->data, ops->len,
                          &slot->plan);
  g_array_set_size(ops, 0);
  if (!ok) {
    slot->parts_left = 1;
    net_plan_part_done(net, seq);
    if (net->obs.on_reject)
      net->obs.on_reject(net->obs.ctx, who,
                         "a batch with a join of a member or a leave of a non-member");
    return;
  }
  const KtPlan *plan = &slot->plan;
  bool node_keys = kt_tree_node_keys(net->tree);
  bool leaves = false;
  for (guint i = 0; i < plan->batch->len; i++) {
    const KtBatchOp *op = &g_array_index(plan->batch, KtBatchOp, i);
    if (!op->join) {
      leaves = true;
      if (node_keys)
        net_drop_pending(net, op->ue);
    }
  }
  if (leaves)
    rnc_note_leavers(net, plan);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, seq, plan, kt_tree_scope_members(net->tree, scope));

  const KtKey *next = plan->group_changed ? kt_plan_key(plan, plan->group_after) : NULL;
  g_assert(!plan->group_changed || next);
  if (net->cfg.embodiment == 2) {
    if (next)
      net->rnc[holder].group = *next;
    rnc_execute(net, holder, seq, plan, KT_STAGE_LOCAL, false);
    rnc_execute(net, holder, seq, plan, KT_STAGE_GROUP, false);
    rnc_execute(net, holder, seq, plan, KT_STAGE_GROUP, true);
    if (plan->group_retired)
      data_key_retired(net, plan->scope, &net->rnc[holder].group);
    else if (next)
      data_key_sent(net, plan->scope, &net->rnc[holder].group);
    slot->parts_left = 1;
  } else {
    if (next && next->ref.version > net->bmsc_group.ref.version) {
      kt_key_wipe(&net->bmsc_group);
      net->bmsc_group = *next;
    }
    slot->parts_left = rnc_parts_of(net, plan);
    if (plan->group_retired) {
      data_key_retired(net, 0, &net->bmsc_group); /* nobody below to tell */
    } else {
      if (plan->group_changed || net_has_group_work(plan, UINT32_MAX))
        bmsc_send_group_key_change(net, seq, scope);
      if (next)
        data_key_sent(net, 0, &net->bmsc_group);
    }
  }
  net_plan_part_done(net, seq);
}

void batch_gather(Net *net, uint32_t holder, uint32_t seq, bool join, uint32_t ue, uint32_t cell) {
  g_assert(holder <= net->n_rnc);
  KtBatchOp op = {.join = join, .ue = ue, .cell = cell};
  g_array_append_val(net->batch_ops[holder], op);
  net->batch_seq[holder] = seq;
  if (net->batch_armed[holder])
    return;
  double now = sim_now(), step = net->cfg.batch_interval;
  double boundary = ((double)(uint64_t)(now / step) + 1.0) * step;
  net->batch_armed[holder] = 1;
  sim_schedule(boundary > now ? boundary - now : 0.0, fire, net, holder);
}
