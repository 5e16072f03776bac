/* sim_internal.h — private glue between sim_core.cc, sim_link.cc and
 * sim_radio.cc. C++ only; never included outside sim/.
 *
 * sim_nodes.cc owns the node table and the receiver callbacks; sim_link.cc,
 * sim_radio.cc and sim_pcap.cc own their links, RANs and trace files. Each
 * drops its state in its *_reset() hook, which sim_core.cc (the life cycle,
 * the only caller of the hooks) calls after Simulator::Destroy(). Calls
 * between the files go one way: core -> link, radio, pcap -> nodes (no
 * circle).
 */
#pragma once

#include "sim/sim.h"

#include <ns3/event-impl.h>
#include <ns3/node.h>
#include <ns3/packet.h>
#include <ns3/pcap-file-wrapper.h>
#include <ns3/ptr.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

/* Programming errors: always checked (ns-3's NS_ASSERT is compiled out in
 * Debian's release build), printed with the failing condition, then abort. */
#define SIM_CHECK(cond, ...)                                                                       \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "sim: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);           \
      std::fprintf(stderr, __VA_ARGS__);                                                           \
      std::fputc('\n', stderr);                                                                    \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

/* Every time sim/ gives ns-3 (a delay, a transmission, an arrival) stays
 * at most this far from 0: ns-3's Time is int64 nanoseconds (about 9.2e9 s),
 * and half of it leaves room for the sum of any two. app/scenario.c bounds
 * the scenario so that runs stay far below; these checks are the backstop
 * that turns an overflow (undefined behaviour) into a clean abort. */
constexpr double kSimMaxTimeS = 4.0e9;
constexpr int64_t kSimMaxTimeNs = 4000000000LL * 1000000000LL;

namespace simint {

/* A C callback as an ns-3 event: one small allocation per event, no
 * std::function (sim_core.cc's events, sim_order.cc's). */
class CEvent : public ns3::EventImpl {
public:
  CEvent(SimEventFn fn, void *ctx, uint64_t arg) : m_fn(fn), m_ctx(ctx), m_arg(arg) {}

protected:
  void Notify() override {
    m_fn(m_ctx, m_arg);
  }

private:
  SimEventFn m_fn;
  void *m_ctx;
  uint64_t m_arg;
};

/* An event's place in ns-3's order: its time step, its sequence number
 * (ties at one time run in sequence order) and its context (node id).
 * sim_order.cc, over ns-3's DefaultSimulatorImpl. */
struct OrderKey {
  int64_t ts;
  uint32_t uid;
  uint32_t context;
};

/* The key ScheduleWithContext(context, at - now) would give an event made
 * now, taking its sequence number, without scheduling anything. */
OrderKey order_take(uint32_t context, int64_t at);

/* Schedules `ev` at `key` (taken by order_take, not yet due): it runs
 * exactly where it would have run had it been scheduled when its key was
 * taken. Adds the scheduler's reference to `ev` (dropped after it ran, as
 * for any ns-3 event). */
void order_insert(const OrderKey &key, ns3::EventImpl *ev);

/* The ns-3 node behind `id` (aborts on an unknown id). */
ns3::Node *node(SimNodeId id);

/* The receiver set by sim_set_receiver (all-NULL until then). */
const SimReceiver &receiver();

/* Copies the payload of `p` out and calls fn(bytes, len). The copy lives on
 * the stack for small packets, on the heap otherwise; it is valid only during
 * the call. */
template <typename Fn> void with_payload(const ns3::Packet &p, Fn &&fn) {
  uint32_t len = p.GetSize();
  uint8_t small[2048];
  uint8_t *buf = len <= sizeof small ? small : static_cast<uint8_t *>(std::malloc(len));
  SIM_CHECK(buf != nullptr, "out of memory copying a %u-byte packet", len);
  p.CopyData(buf, len);
  fn(static_cast<const uint8_t *>(buf), static_cast<size_t>(len));
  if (buf != small)
    std::free(buf);
}

/* The pcap file at `path` with link-layer type `dlt`, opened on first use
 * and shared by every caller of the same path; null if it cannot be
 * opened. */
constexpr uint32_t kPcapSnapLen = 65535;
ns3::Ptr<ns3::PcapFileWrapper> pcap_file(const char *path, uint32_t dlt);

/* Per-module state reset (after Simulator::Destroy, and at sim_init). */
void link_reset();
void radio_reset();
void loss_reset();
void pcap_reset();  /* closes every trace file */
void nodes_reset(); /* last: the other modules' objects live on nodes */

} // namespace simint
