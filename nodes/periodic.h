/* periodic.h — periodic rekeys at the key holder (kt_tree_period: 3gpp's
 * MSK and MTK periods): the BM-SC in embodiment 1, each RNC in 2 (the
 * holders of the group key, as for batch rekeying, nodes/batch.h).
 *
 * The holder arms one timer per period at start (periodic_arm, timers
 * `timer_base` + which); at each, periodic_plan re-arms it and asks the key
 * tree for the plan of the holder's scope, which the holder carries out as
 * it does a batch's. No timer fires at or after data_until (the run's
 * duration). A periodic plan belongs to no workload event: its seq is
 * PERIODIC_SEQ_BASE or above (no row of rekeys.csv; its messages count in
 * the totals and per element).
 *
 * Includes only nodes/node.h; calls nodes/plan.h.
 */
#pragma once
#include "nodes/node.h"

#define PERIODIC_SEQ_BASE 0x80000000u

void periodic_arm(Net *net, NetElement holder, uint32_t timer_base);
/* Whether `timer` is one of periodic_arm's (which = timer - timer_base). */
bool periodic_is_timer(uint32_t timer, uint32_t timer_base);
/* At the holder's timer: re-arms it, then the plan of `scope` (owned by
 * net->plans under *seq), or NULL if the scope has no member. */
const KtPlan *periodic_plan(Net *net, NetElement holder, uint32_t scope, uint32_t timer,
                            uint32_t timer_base, uint32_t *seq);
