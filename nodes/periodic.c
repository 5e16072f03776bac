/* periodic.c — see periodic.h. */
#include "nodes/periodic.h"

#include <math.h>

#include "nodes/plan.h"

static void arm(Net *net, NetElement holder, uint32_t which, uint32_t timer_base) {
  double period = kt_tree_period(net->tree, which);
  if (period > 0 && sim_now() + period < net->cfg.data_until)
    net_set_timer(net, holder, period, timer_base + which);
}

void periodic_arm(Net *net, NetElement holder, uint32_t timer_base) {
  for (uint32_t which = 0; which < KT_PERIODIC_KINDS; which++)
    arm(net, holder, which, timer_base);
}

bool periodic_is_timer(uint32_t timer, uint32_t timer_base) {
  return timer >= timer_base && timer < timer_base + KT_PERIODIC_KINDS;
}

const KtPlan *periodic_plan(Net *net, NetElement holder, uint32_t scope, uint32_t timer,
                            uint32_t timer_base, uint32_t *seq_out) {
  uint32_t which = timer - timer_base;
  arm(net, holder, which, timer_base);
  /* a seq of its own: the k-th firing of this period at this holder */
  double period = kt_tree_period(net->tree, which);
  uint64_t k = (uint64_t)floor(sim_now() / period + 0.5);
  uint64_t n_holders = (uint64_t)net->n_rnc + 1u;
  uint64_t slot = ((k * KT_PERIODIC_KINDS + which) * n_holders + holder.index) %
                  (uint64_t)(NET_NO_SEQ - PERIODIC_SEQ_BASE);
  uint32_t seq = PERIODIC_SEQ_BASE + (uint32_t)slot;
  KtPlan *plan = plan_begin(net->plans, seq);
  if (!plan) {
    net_reject(net, holder, "periodic rekey while the previous one is in progress");
    return NULL;
  }
  if (!kt_tree_periodic(net->tree, scope, which, plan)) {
    plan_close(net->plans, seq);
    return NULL;
  }
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, seq, plan, kt_tree_scope_members(net->tree, scope));
  *seq_out = seq;
  return plan;
}
