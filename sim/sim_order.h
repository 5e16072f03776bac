/* sim_order.h — events scheduled late that keep the place they would have
 * had if scheduled now.
 *
 * ns-3 runs equal-time events in the order they were scheduled (a sequence
 * number). A long list of future events (a run's workload) scheduled all at
 * once costs one ns-3 event each for the whole run; scheduled one at a
 * time, each when the one before it fires, an event would go behind every
 * event scheduled meanwhile for the same instant. sim_order_reserve(n)
 * takes n sequence numbers now (as n sim_schedule calls would) and
 * schedules nothing; sim_order_schedule(r, k, ...) later schedules the
 * k-th of them: it runs exactly where the k-th of n sim_schedule calls
 * made at the reservation would have run (same instant, same rank among
 * equal-time events). Each k at most once, before the simulated clock
 * passes its time. */
#pragma once
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t first;   /* sequence number of k = 0 */
  uint32_t context; /* ns-3's context at the reservation */
  uint64_t n;
} SimOrder;

SimOrder sim_order_reserve(uint64_t n);
/* at_s: absolute time in seconds (>= now), as sim_schedule(at_s) at time 0. */
void sim_order_schedule(const SimOrder *r, uint64_t k, double at_s, SimEventFn fn, void *ctx,
                        uint64_t arg);

#ifdef __cplusplus
}
#endif
