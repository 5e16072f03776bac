/* sim_core.cc — the life cycle, clock and scheduling of sim.h over ns-3.
 *
 * One simulation per process at a time: the ns-3 Simulator singleton with
 * its default implementation and ns3::PriorityQueueScheduler (a binary heap
 * in one vector) in place of the default ns3::MapScheduler (a red-black
 * tree, a node allocated per event). Every ns-3 scheduler removes the
 * event of the least (time, uid) key first, and uids are unique and given
 * in order of scheduling, so the order of events is the same with either
 * (equal-time events fire in insertion order); the heap costs 32 bytes per
 * pending event against the tree's ~80 and fewer cache misses (the
 * recovery timers and requests of a lossy run keep ~0.1 pending events per
 * member: docs/reliability.md "Cost"). sim_destroy() runs Simulator::Destroy(), which disposes
 * every node, device, channel and pending event, then has each module of
 * sim/ drop its own references (the *_reset hooks), so sim_init() can start
 * afresh in the same process. The top of sim/: it calls the other modules'
 * resets, and none of them calls it (nodes and receivers: sim_nodes.cc).
 */
#include "sim/sim_dch_seq.h"
#include "sim/sim_internal.h"

#include <ns3/event-impl.h>
#include <ns3/global-value.h>
#include <ns3/node-list.h>
#include <ns3/nstime.h>
#include <ns3/object-factory.h>
#include <ns3/simulator-impl.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/version-defines.h>

#include <chrono>
#include <vector>

using namespace ns3;

namespace {

constexpr const char *kSchedulerType = "ns3::PriorityQueueScheduler";

uint64_t g_at_zero = 0;      /* sim_schedule calls for time 0 in this simulation */
uint64_t g_settle_stops = 0; /* the stop events of sim_settle, not counted as executed */

void reset_state() {
  g_at_zero = 0;
  g_settle_stops = 0;
  simint::pcap_reset();
  simint::link_reset();
  simint::dch_seq_reset(); /* its held frames refer to radio devices */
  simint::radio_reset();
  simint::loss_reset();
  simint::nodes_reset();
}

} // namespace

extern "C" {

const char *sim_ns3_version(void) {
#define SIM_STR2(x) #x
#define SIM_STR(x) SIM_STR2(x)
  return NS3_VERSION_PATCH == 0 ? SIM_STR(NS3_VERSION_MAJOR) "." SIM_STR(NS3_VERSION_MINOR)
                                : SIM_STR(NS3_VERSION_MAJOR) "." SIM_STR(
                                      NS3_VERSION_MINOR) "." SIM_STR(NS3_VERSION_PATCH);
}

void sim_init(void) {
  Simulator::Destroy(); /* a no-op unless a previous simulation is still there */
  reset_state();
  /* before the simulator exists (the header says why this scheduler); the
   * bare scheduling benchmark below reads the same global value */
  GlobalValue::Bind("SchedulerType", StringValue(kSchedulerType));
  (void)Simulator::Now(); /* instantiate the default implementation and the scheduler */
}

void sim_destroy(void) {
  Simulator::Destroy();
  reset_state();
}

double sim_now(void) {
  /* Asked once per receiving UE (the completion of each install): the
   * conversion of ns-3's time to seconds (a 128-bit multiply) is done once
   * per simulated instant; the time step itself is cheap to read. */
  static int64_t last_step = -1;
  static double last_s = 0.0;
  int64_t step = Simulator::Now().GetTimeStep();
  if (step != last_step) {
    last_s = Simulator::Now().GetSeconds();
    last_step = step;
  }
  return last_s;
}

void sim_schedule(double delay_s, SimEventFn fn, void *ctx, uint64_t arg) {
  SIM_CHECK(delay_s >= 0.0 && delay_s <= kSimMaxTimeS, "bad delay %g s", delay_s);
  SIM_CHECK(Simulator::Now().GetTimeStep() <= kSimMaxTimeNs, "simulated time past %g s",
            kSimMaxTimeS);
  SIM_CHECK(fn != nullptr, "null event function");
  if (delay_s == 0.0 && Simulator::Now().IsZero())
    g_at_zero++;
  Simulator::Schedule(Seconds(delay_s), Ptr<EventImpl>(new simint::CEvent(fn, ctx, arg), false));
}

void sim_run(double until_s) {
  if (until_s > 0.0) {
    SIM_CHECK(until_s <= kSimMaxTimeS, "run until %g s", until_s);
    Time until = Seconds(until_s);
    SIM_CHECK(until >= Simulator::Now(), "run until %g s, but now is %g s", until_s,
              Simulator::Now().GetSeconds());
    Simulator::Stop(until - Simulator::Now());
  }
  Simulator::Run();
}

void sim_settle(void) {
  SIM_CHECK(Simulator::Now().IsZero(), "sim_settle at %g s, not before the run",
            Simulator::Now().GetSeconds());
  if (g_at_zero > 0)
    return; /* the simulation's own event at time 0 must not run early */
  /* the stop goes after every event pending at time 0 (same time, inserted
   * last); later events (a timer set while provisioning) stay pending */
  Simulator::Stop(Seconds(0));
  Simulator::Run();
  g_settle_stops++;
}

uint64_t sim_events_executed(void) {
  return Simulator::GetEventCount() - g_settle_stops;
}

} // extern "C"

/* ---- bare scheduling benchmark ----
 *
 * The classic "hold" model: a private SimulatorImpl of the configured type
 * (the same class and scheduler as the global simulator, by default
 * ns3::DefaultSimulatorImpl with the scheduler sim_init() binds) holds kBenchPending
 * pending events; each executed event is an empty static function that
 * schedules one new event at a pseudo-random delay (1 ns .. ~1 ms, fixed-seed
 * xorshift) until `n` events in all have been scheduled, so the queue keeps a
 * simulation-like population and every event costs one insert and one
 * remove-min. The private instance leaves the global simulation (its clock,
 * pending events and event count) untouched, so the benchmark may run at any
 * time outside an event. The wall time covers scheduling the initial
 * population plus running all `n` events.
 */
namespace {

constexpr uint64_t kBenchPending = 4096;

SimulatorImpl *g_bench_impl;
uint64_t g_bench_left; /* events still to schedule */
uint64_t g_bench_rng;

int64_t bench_delay_ns() {
  g_bench_rng ^= g_bench_rng << 13;
  g_bench_rng ^= g_bench_rng >> 7;
  g_bench_rng ^= g_bench_rng << 17;
  return static_cast<int64_t>(1 + (g_bench_rng & 0xfffff));
}

void bench_tick();

void bench_schedule_one() {
  g_bench_left--;
  g_bench_impl->Schedule(NanoSeconds(bench_delay_ns()), MakeEvent(&bench_tick));
}

void bench_tick() {
  if (g_bench_left > 0)
    bench_schedule_one();
}

} // namespace

extern "C" double sim_bench_bare_events(uint64_t n) {
  StringValue impl_type, sched_type;
  GlobalValue::GetValueByName("SimulatorImplementationType", impl_type);
  GlobalValue::GetValueByName("SchedulerType", sched_type);
  ObjectFactory impl_factory;
  impl_factory.SetTypeId(impl_type.Get());
  Ptr<SimulatorImpl> impl = impl_factory.Create<SimulatorImpl>();
  ObjectFactory sched_factory;
  sched_factory.SetTypeId(sched_type.Get());
  impl->SetScheduler(sched_factory);

  g_bench_impl = PeekPointer(impl);
  g_bench_left = n;
  g_bench_rng = 0x9e3779b97f4a7c15ull;

  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < kBenchPending && g_bench_left > 0; i++)
    bench_schedule_one();
  impl->Run();
  auto t1 = std::chrono::steady_clock::now();

  SIM_CHECK(impl->GetEventCount() == n, "bench ran %llu events, expected %llu",
            static_cast<unsigned long long>(impl->GetEventCount()),
            static_cast<unsigned long long>(n));
  impl->Destroy();
  g_bench_impl = nullptr;
  return std::chrono::duration<double>(t1 - t0).count();
}
