/* sim_order.cc — sim_order.h over ns-3's default simulator implementation.
 *
 * DefaultSimulatorImpl::Schedule gives each event the key (time, uid,
 * context), uid from a counter, and inserts it into the scheduler, which
 * runs keys in (time, uid) order. Reserving n uids advances the counter by
 * n; scheduling the k-th inserts the key (time, first + k, context) that
 * the k-th Schedule call would have made. ns-3 has no public way to do
 * either, so the three private members are reached by the standard
 * explicit-instantiation rule (access checks do not apply to the names in
 * an explicit template instantiation): m_events, m_uid and
 * m_unscheduledEvents, nothing else. Any scheduler type works (the
 * insertion goes through Scheduler::Insert); another simulator
 * implementation is refused with a check. */
#include "sim/sim_order.h"

#include "sim/sim_internal.h"

#include <ns3/default-simulator-impl.h>
#include <ns3/event-impl.h>
#include <ns3/nstime.h>
#include <ns3/scheduler.h>
#include <ns3/simulator.h>

#include <typeinfo>

using namespace ns3;

namespace {

template <typename Tag, typename Tag::type Member> struct Reach {
  friend typename Tag::type reach(Tag) {
    return Member;
  }
};
struct EventsTag {
  typedef Ptr<Scheduler> DefaultSimulatorImpl::*type;
  friend type reach(EventsTag);
};
struct UidTag {
  typedef uint32_t DefaultSimulatorImpl::*type;
  friend type reach(UidTag);
};
struct UnscheduledTag {
  typedef int DefaultSimulatorImpl::*type;
  friend type reach(UnscheduledTag);
};
template struct Reach<EventsTag, &DefaultSimulatorImpl::m_events>;
template struct Reach<UidTag, &DefaultSimulatorImpl::m_uid>;
template struct Reach<UnscheduledTag, &DefaultSimulatorImpl::m_unscheduledEvents>;

/* The exact type is checked (typeid, a pointer compare, not a
 * dynamic_cast): this runs once per downlink frame. */
DefaultSimulatorImpl *default_impl() {
  SimulatorImpl *impl = PeekPointer(Simulator::GetImplementation());
  SIM_CHECK(impl != nullptr && typeid(*impl) == typeid(DefaultSimulatorImpl),
            "sim_order needs ns3::DefaultSimulatorImpl");
  return static_cast<DefaultSimulatorImpl *>(impl);
}

} // namespace

namespace simint {

OrderKey order_take(uint32_t context, int64_t at) {
  DefaultSimulatorImpl *impl = default_impl();
  SIM_CHECK(at >= Simulator::Now().GetTimeStep(), "event at step %lld taken at step %lld",
            static_cast<long long>(at), static_cast<long long>(Simulator::Now().GetTimeStep()));
  uint32_t &uid = impl->*reach(UidTag());
  SIM_CHECK(uid < UINT32_MAX, "ns-3's event numbers overflow");
  return OrderKey{at, uid++, context};
}

void order_insert(const OrderKey &key, EventImpl *ev) {
  SIM_CHECK(key.ts >= Simulator::Now().GetTimeStep(), "event due at step %lld inserted at %lld",
            static_cast<long long>(key.ts), static_cast<long long>(Simulator::Now().GetTimeStep()));
  DefaultSimulatorImpl *impl = default_impl();
  ev->Ref();
  Scheduler::Event e;
  e.impl = ev;
  e.key.m_ts = static_cast<uint64_t>(key.ts);
  e.key.m_uid = key.uid;
  e.key.m_context = key.context;
  (impl->*reach(UnscheduledTag()))++;
  (impl->*reach(EventsTag()))->Insert(e);
}

} // namespace simint

extern "C" {

SimOrder sim_order_reserve(uint64_t n) {
  DefaultSimulatorImpl *impl = default_impl();
  uint32_t &uid = impl->*reach(UidTag());
  SIM_CHECK(n <= UINT32_MAX - uid, "%llu events overflow ns-3's event numbers",
            static_cast<unsigned long long>(n));
  SimOrder r = {uid, Simulator::GetContext(), n};
  uid += static_cast<uint32_t>(n);
  return r;
}

void sim_order_schedule(const SimOrder *r, uint64_t k, double at_s, SimEventFn fn, void *ctx,
                        uint64_t arg) {
  SIM_CHECK(k < r->n, "event %llu of a reservation of %llu", static_cast<unsigned long long>(k),
            static_cast<unsigned long long>(r->n));
  SIM_CHECK(at_s >= 0.0 && at_s <= kSimMaxTimeS, "bad time %g s", at_s);
  SIM_CHECK(fn != nullptr, "null event function");
  Time at = Seconds(at_s);
  SIM_CHECK(at >= Simulator::Now(), "event at %g s scheduled at %g s", at_s,
            Simulator::Now().GetSeconds());
  /* ours until order_insert adds the scheduler's reference */
  Ptr<EventImpl> ev(new simint::CEvent(fn, ctx, arg), false);
  simint::order_insert(
      simint::OrderKey{at.GetTimeStep(), r->first + static_cast<uint32_t>(k), r->context},
      PeekPointer(ev));
}

} // extern "C"
