/* sim_radio.cc — the radio access network of one RNC: a lean NetDevice and
 * Channel of our own.
 *
 * One RadioChannel (an ns3::Channel) per RAN holds the RNC's RadioDevice and
 * one RadioDevice per attached UE (indexed by the UE's slot in the RAN); each
 * device sits on its node like any ns-3 device (Node::AddDevice).
 *
 * Dedicated channels: each direction of each UE is serialised on its own:
 * a transmission starts at max(now, busy_until), lasts len * 8 / dch_rate,
 * and arrives dch_delay after it ends, as one event (with the receiving
 * node's context) carrying the ns-3 Packet (but see below for the
 * downlink). The per-UE state is the two busy_until times in the UE's
 * camping record (g_ue_camp); there are no per-UE queues or channels. On
 * arrival the receiving device hands the packet to its ns-3 receive
 * callback (the node's protocol handlers; none are installed today) and
 * the payload to receiver.on_dch.
 *
 * Downlink frames that arrive in the order they were sent (each arriving
 * no earlier than every frame of the RAN still on its way: a unicast
 * rekey's one frame per member, all of one length, is the case that
 * matters) are not ns-3 objects while on their way: each is a slot of the
 * RAN's queue (sim_down_queue.h) with its bytes and the place in ns-3's
 * order its arrival event would have had (sim_internal.h OrderKey, taken
 * when it is sent). Only the front frame's arrival is in ns-3, one event
 * per RAN scheduled again at the next frame's key as each arrives; the
 * frame's ns-3 Packet is made when it arrives. Same times, same order
 * (ties included), same bytes as one event per frame. Any other frame
 * (uplink, or arriving before the queue's last) is its own DchArrival
 * event as before. Why: 125 000 frames in flight as ns-3 events and
 * Packets were ~350 B each in four heap blocks, all cold on arrival.
 *
 * With a lossy dedicated channel (RLC
 * AM, sim_ran_set_dch_loss) a lost frame is sent again, and frames are
 * handed up in sequence: each is numbered when first sent (DchFrame), and
 * one that arrives before an earlier one is resolved waits in
 * sim_dch_seq.cc as its DchDelivery event.
 *
 * Common channels: n_cells per RAN, each serialised the same way at
 * common_rate with common_delay; ONE event per transmission delivers the
 * payload to receiver.on_common, which dispatches to the UEs of the cell.
 * UE devices see nothing of it (no per-UE events).
 *
 * Queued common transmissions are held compactly: a saturated cell may
 * have a million transmissions waiting (issue 11 item 6), and an ns-3
 * Packet plus its event and scheduler entry cost ~400 B each. The times are
 * fixed at hand-over exactly as above (busy-until, serialisation, delay);
 * what waits is a 16-byte FIFO entry per transmission (its arrival time and
 * a reference to its bytes, one reference-counted copy shared by the cells
 * of a message sent on several: see Payload) in the cell's queue. Each cell
 * has at most one transmission in ns-3 at a time: its arrival event,
 * carrying an ns-3 Packet made from the bytes when it was scheduled; when
 * it fires, the next transmission of the cell is scheduled (before the
 * payload is delivered, so that whatever the delivery schedules comes
 * after it, as before), then the payload goes to receiver.on_common. Same
 * arrival times, same events, same count. Only ties can differ: an event
 * scheduled, while a transmission waited in the queue, for exactly the
 * nanosecond of its arrival now runs before it instead of after it (the
 * scheduler breaks equal times by insertion order).
 *
 * Traces (sim_pcap_ran): the channel writes each dedicated-channel packet
 * and each common-channel transmission to its pcap file as it is handed
 * over, before it is serialised, behind the small header of sim.h.
 *
 * Memory per UE: its RadioDevice (the ns-3 Object header, a channel pointer,
 * the receive callback, node id, ifIndex, MTU), 8 bytes in the channel's
 * device vector and 32 in g_ue_camp (node id -> the RAN it is camped on,
 * its slot there, its device and its dedicated channel's two busy_until
 * times: the one cache line a downlink send reads; the device itself, one
 * of a million ns-3 objects spread over the heap, is read only when a
 * frame arrives). A UE has one radio: a
 * UE that camps on another RAN takes its device along (sim_ran_attach).
 * Measured (tests/test_sim.c, live heap after initialisation): ~644 B per UE
 * for node + device with the receive callback Node::AddDevice installs
 * (ns-3 3.37 callbacks are a std::function plus shared_ptr'd components,
 * ~270 B). A UE device drops that callback right after AddDevice: a UE node
 * registers no protocol handlers (what a UE receives goes to sim's receiver,
 * receiver.on_dch), so it would call into an empty handler list for every
 * packet. A receive callback set on the device later (SetReceiveCallback)
 * is kept and called, as is a promiscuous one. The RNC's device keeps its
 * node's callback (one per RAN). About 380 B per UE without it.
 * Addresses are not stored: a device's MAC-48 address is derived from its
 * node id (02:4d:<node id, 4 bytes big-endian>).
 */
#include "sim/sim_dch_seq.h"
#include "sim/sim_down_queue.h"
#include "sim/sim_huge_pool.h"
#include "sim/sim_internal.h"

#include <ns3/channel.h>
#include <ns3/event-impl.h>
#include <ns3/mac48-address.h>
#include <ns3/net-device.h>
#include <ns3/node-list.h>
#include <ns3/simulator.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <unordered_map>
#include <vector>

using namespace ns3;

namespace simint {

class RadioChannel;
class RadioDevice;

/* One frame on a dedicated channel, as its events carry it: who sends it
 * to whom over which RAN, its bytes, how often it was sent again, and its
 * place in sequence (sim_dch_seq.h; only with a lossy dedicated channel). */
struct DchFrame {
  Ptr<RadioDevice> from, to;
  Ptr<Packet> p;
  SimRanId ran;     /* the RAN crossed (the UE may have moved since) */
  uint32_t attempt; /* 0: first transmission; k: k-th retransmission */
  DchSeqNo no;      /* its attachment and number, if numbered */
  uint16_t protocol;
  bool uplink;
  bool numbered;
  RadioDevice &Ue() const {
    return uplink ? *from : *to;
  }
};

/* The bytes of a queued common-channel transmission, shared (refs) by the
 * cells it was sent on; freed with its last reference. */
struct Payload {
  uint32_t refs;
  uint32_t len;
  uint8_t bytes[];
};

/* A common-channel transmission waiting for its turn in ns-3. */
struct QueuedCommon {
  int64_t arrival; /* absolute time step of its arrival at the cell */
  Payload *payload;
};

constexpr uint16_t kRadioProtocol = 0x88b5; /* IEEE 802 local experimental EtherType */
constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

class RadioDevice : public NetDevice {
public:
  static TypeId GetTypeId();
  RadioDevice() = default;
  /* Devices are kept in huge pages (sim_huge_pool.h): a downlink arrival
   * reads its UE's device, one of a million at 1 M members. */
  static void *operator new(size_t size);
  static void operator delete(void *p);

  void Attach(Ptr<RadioChannel> channel, bool is_rnc);
  /* A UE's device camps on another RAN: its dedicated channel starts idle. */
  void MoveTo(Ptr<RadioChannel> channel);
  bool IsRnc() const {
    return m_isRnc;
  }
  uint32_t NodeId() const {
    return m_nodeId;
  }
  /* A packet from `from` arrives at this device over RAN `ran`. */
  void Receive(Ptr<Packet> p, uint16_t protocol, const RadioDevice &from, bool uplink,
               SimRanId ran);

  // NetDevice
  void SetIfIndex(const uint32_t index) override {
    m_ifIndex = index;
  }
  uint32_t GetIfIndex() const override {
    return m_ifIndex;
  }
  Ptr<Channel> GetChannel() const override;
  void SetAddress(Address address) override;
  Address GetAddress() const override {
    return AddressOf(m_nodeId);
  }
  bool SetMtu(const uint16_t mtu) override {
    m_mtu = mtu;
    return true;
  }
  uint16_t GetMtu() const override {
    return m_mtu;
  }
  bool IsLinkUp() const override;
  /* The link is up from Attach() on and never changes: nothing to notify. */
  void AddLinkChangeCallback(Callback<void>) override {}
  bool IsBroadcast() const override {
    return true;
  }
  Address GetBroadcast() const override {
    return Mac48Address::GetBroadcast();
  }
  bool IsMulticast() const override {
    return false;
  }
  Address GetMulticast(Ipv4Address group) const override {
    return Mac48Address::GetMulticast(group);
  }
  Address GetMulticast(Ipv6Address addr) const override {
    return Mac48Address::GetMulticast(addr);
  }
  bool IsBridge() const override {
    return false;
  }
  /* A UE's dedicated channel goes to its RNC only; the RNC reaches many UEs. */
  bool IsPointToPoint() const override {
    return !m_isRnc;
  }
  bool Send(Ptr<Packet> packet, const Address &dest, uint16_t protocolNumber) override;
  bool SendFrom(Ptr<Packet>, const Address &, const Address &, uint16_t) override {
    return false;
  }
  Ptr<Node> GetNode() const override;
  void SetNode(Ptr<Node> node) override {
    m_nodeId = node->GetId();
  }
  bool NeedsArp() const override {
    return false;
  }
  void SetReceiveCallback(ReceiveCallback cb) override {
    m_rx = cb;
  }
  /* Forgets the receive callback Node::AddDevice just installed (see the
   * head of the file: a UE node has no protocol handlers, and the callback
   * costs ~270 B per UE). One set later (SetReceiveCallback) is kept. */
  void DropNodeReceive() {
    m_rx = ReceiveCallback();
  }
  void SetPromiscReceiveCallback(PromiscReceiveCallback cb) override;
  bool SupportsSendFrom() const override {
    return false;
  }

  static Mac48Address AddressOf(uint32_t node_id);
  /* The node id an address of AddressOf() names, or kNoSlot. */
  static uint32_t NodeOf(const Address &a);

protected:
  void DoDispose() override;

private:
  Ptr<RadioChannel> m_channel;
  ReceiveCallback m_rx;
  uint32_t m_nodeId = kNoSlot;
  uint32_t m_ifIndex = 0;
  uint16_t m_mtu = 65535; /* no fragmentation is modelled */
  bool m_isRnc = false;
};

class RadioChannel : public Channel {
public:
  static TypeId GetTypeId();
  RadioChannel() = default;
  ~RadioChannel() override {
    ReleaseQueues();
  }

  void Configure(SimRanId ran, uint32_t n_cells, const SimChannel &dch, const SimChannel &common);
  SimRanId Ran() const {
    return m_ran;
  }
  uint32_t NCells() const {
    return m_nCells;
  }
  Ptr<RadioDevice> Rnc() const {
    return m_rnc;
  }
  void SetRnc(Ptr<RadioDevice> rnc) {
    m_rnc = rnc;
  }
  /* Adds a UE device, returns its slot. */
  uint32_t AddUe(Ptr<RadioDevice> ue) {
    m_ues.push_back(ue);
    return static_cast<uint32_t>(m_ues.size() - 1);
  }
  /* Removes the UE device of `slot` (swap-removal: the last one takes the
   * slot, and its node's slot entry is updated). */
  void RemoveUe(uint32_t slot);
  /* The UE device of node `node_id` on this channel, or null. */
  RadioDevice *UeOfNode(uint32_t node_id) const;

  /* A new frame from `from` to `to` on the UE's dedicated channel (uplink:
   * from = the UE, to = the RNC), numbered if the channel is lossy. */
  void SendDch(RadioDevice &from, RadioDevice &to, bool uplink, Ptr<Packet> p, uint16_t protocol);
  /* A new downlink frame of `len` bytes from the RNC to `ue` (sim_dch_down:
   * the same as SendDch, without an ns-3 Packet until it arrives). */
  void SendDchDown(SimNodeId ue, const uint8_t *bytes, uint32_t len, uint16_t protocol);
  /* Serialises frame `f` on its UE's dedicated channel. */
  void TransmitDch(const DchFrame &f);
  /* RLC acknowledged mode on the dedicated channels (sim_ran_set_dch_loss):
   * whether the frame that reached its receiver was lost; if so, it is
   * sent again a status report's way back later (dch_delay), up to the
   * limit, after which it is resolved as lost for good. */
  bool DchLost(const DchFrame &f);
  void SetDchLoss(SimLossId loss, uint32_t max_retx) {
    m_dchLoss = loss;
    m_hasDchLoss = true;
    m_maxRetx = max_retx;
    dch_seq_enable();
  }
  void TransmitCommon(uint32_t cell, const uint8_t *bytes, size_t len);
  /* The arrival of the cell's transmission in ns-3: schedules the cell's
   * next one, then delivers this one. */
  void ArriveCommon(uint32_t cell, const Packet &p);

  /* Traces every transmission handed to this RAN's channels (sim_pcap_ran). */
  void SetPcap(Ptr<PcapFileWrapper> file) {
    m_pcap = file;
  }
  void TracePcap(uint8_t channel, uint16_t cell, uint32_t ue_node, const Packet &p) const;
  void TracePcap(uint8_t channel, uint16_t cell, uint32_t ue_node, const uint8_t *bytes,
                 size_t len) const;

  const NetDevice::PromiscReceiveCallback *Promisc(const RadioDevice *dev) const;
  void SetPromisc(const RadioDevice *dev, NetDevice::PromiscReceiveCallback cb) {
    m_promisc[dev] = cb;
  }
  /* The arrival of the front of the downlink queue (m_down): schedules the
   * next one, hints the receiver of those after it, then resolves it. */
  void ArriveDown();

  // Channel
  std::size_t GetNDevices() const override {
    return (m_rnc ? 1 : 0) + m_ues.size();
  }
  Ptr<NetDevice> GetDevice(std::size_t i) const override;

protected:
  void DoDispose() override;

private:
  static int64_t TxSteps(uint32_t bytes, double rate) {
    double s = static_cast<double>(bytes) * 8.0 / rate;
    SIM_CHECK(s <= kSimMaxTimeS, "transmission of %u bytes at %g bit/s takes %g s", bytes, rate, s);
    return Seconds(s).GetTimeStep();
  }
  /* busy-until + transmission (+ delay): checked, never a signed overflow */
  static int64_t AddSteps(int64_t a, int64_t b) {
    int64_t r;
    SIM_CHECK(!__builtin_add_overflow(a, b, &r) && r <= kSimMaxTimeNs,
              "simulated time past %g s (ns-3 counts int64 nanoseconds)", kSimMaxTimeS);
    return r;
  }

  SimRanId m_ran = 0;
  uint32_t m_nCells = 0;
  double m_dchRate = 0, m_commonRate = 0;
  int64_t m_dchDelay = 0, m_commonDelay = 0; /* time steps */
  Ptr<RadioDevice> m_rnc;
  std::vector<Ptr<RadioDevice>> m_ues; /* by slot */
  /* Frees what still waits (the run ended or was torn down). */
  void ReleaseQueues();
  /* Serialises `len` bytes after `busy` (a UE's busy-until one way, moved
   * on): the time step at which they arrive. */
  int64_t SerialiseDch(int64_t &busy, uint32_t len) const;
  /* Whether a downlink frame arriving at step `at` goes in m_down: it must
   * come after every frame there. */
  bool DownInOrder(int64_t at) const {
    return m_down.Empty() || at >= m_down.Back().key.ts;
  }
  /* Queues a downlink frame (DownInOrder(at) holds) and schedules the
   * arrival if it is the front. */
  void QueueDown(int64_t at, SimNodeId ue, const uint8_t *bytes, uint32_t len, uint16_t protocol,
                 uint32_t attempt, DchSeqNo no, bool numbered);
  /* Schedules the front of the cell's queue (which must not be empty). */
  void ScheduleCommon(uint32_t cell);
  void DeliverCommon(uint32_t cell, const Packet &p) const;

  std::vector<int64_t> m_cellBusy; /* busy-until per cell, time steps */
  /* per cell: transmissions after the one in ns-3, in order */
  std::vector<std::deque<QueuedCommon>> m_cellQueue;
  std::vector<uint8_t> m_cellInFlight; /* per cell: one transmission is in ns-3 */
  Ptr<PcapFileWrapper> m_pcap;         /* null: not traced */
  SimLossId m_dchLoss = 0;
  bool m_hasDchLoss = false;
  uint32_t m_maxRetx = 0;
  /* Downlink frames in flight whose arrivals come in the order sent (see
   * the head of the file): only the front one's arrival is in ns-3, as
   * m_downEvent, which stays alive while this channel does. */
  DownQueue m_down;
  Ptr<EventImpl> m_downEvent;
  /* promiscuous callbacks, rare: kept here rather than in every device */
  std::unordered_map<const RadioDevice *, NetDevice::PromiscReceiveCallback> m_promisc;
};

namespace {

std::vector<Ptr<RadioChannel>> g_rans;
/* Where a UE node is camped: its RAN (kNoSlot: none yet), its slot in that
 * RAN's device vector, the device itself (owned by that vector), and when
 * its dedicated channel is free again each way (time steps; a move to
 * another RAN frees both). */
struct alignas(32) UeCamp {
  uint32_t ran = kNoSlot;
  uint32_t slot = kNoSlot;
  RadioDevice *dev = nullptr;
  int64_t busy_up = 0;
  int64_t busy_down = 0;
};
std::vector<UeCamp> g_ue_camp; /* by node id */

/* The front of a RAN's downlink queue reaching its UE (one such event per
 * RAN, scheduled again for each frame of the queue). */
class DownArrival : public EventImpl {
public:
  explicit DownArrival(SimRanId ran) : m_ran(ran) {}

protected:
  void Notify() override;

private:
  SimRanId m_ran;
};

/* A dedicated-channel frame reaching the far end. */
class DchArrival : public EventImpl {
public:
  explicit DchArrival(const DchFrame &f) : m_f(f) {}

protected:
  void Notify() override;

private:
  DchFrame m_f;
};

/* An RLC AM retransmission falling due (the status report reached the
 * sender): sent again on the same RAN if the UE is still camped there. */
class DchRetransmit : public EventImpl {
public:
  explicit DchRetransmit(const DchFrame &f) : m_f(f) {}

protected:
  void Notify() override;

private:
  DchFrame m_f;
};

/* A frame that arrived while an earlier one of its sequence was still on
 * its way (sim_dch_seq.h): handed up when that one is resolved. */
class DchDelivery : public EventImpl {
public:
  explicit DchDelivery(const DchFrame &f) : m_f(f) {}

protected:
  void Notify() override;

private:
  DchFrame m_f;
};

/* A common-channel transmission reaching its cell. */
class CommonArrival : public EventImpl {
public:
  CommonArrival(Ptr<RadioChannel> ch, uint32_t cell, Ptr<Packet> p)
      : m_ch(ch), m_p(p), m_cell(cell) {}

protected:
  void Notify() override {
    m_ch->ArriveCommon(m_cell, *m_p);
  }

private:
  Ptr<RadioChannel> m_ch;
  Ptr<Packet> m_p;
  uint32_t m_cell;
};

Ptr<Packet> make_packet(const uint8_t *bytes, size_t len) {
  SIM_CHECK(len <= UINT32_MAX, "packet of %zu bytes", len);
  SIM_CHECK(bytes != nullptr || len == 0, "null bytes");
  return len > 0 ? Create<Packet>(bytes, static_cast<uint32_t>(len)) : Create<Packet>();
}

/* The last payload made, kept (one reference) so that the next cell of the
 * same message shares it: sim_common_send is called once per cell with the
 * same bytes. */
Payload *g_last_payload = nullptr;

void payload_unref(Payload *pl) {
  if (pl != nullptr && --pl->refs == 0)
    std::free(pl);
}

Payload *payload_of(const uint8_t *bytes, size_t len) {
  SIM_CHECK(len <= UINT32_MAX, "packet of %zu bytes", len);
  SIM_CHECK(bytes != nullptr || len == 0, "null bytes");
  Payload *last = g_last_payload;
  if (last != nullptr && last->len == len &&
      (len == 0 || std::memcmp(last->bytes, bytes, len) == 0)) {
    last->refs++;
    return last;
  }
  Payload *pl = static_cast<Payload *>(std::malloc(sizeof(Payload) + len));
  SIM_CHECK(pl != nullptr, "out of memory queueing a %zu-byte transmission", len);
  pl->refs = 2; /* the caller's and g_last_payload's */
  pl->len = static_cast<uint32_t>(len);
  if (len > 0)
    std::memcpy(pl->bytes, bytes, len);
  payload_unref(last);
  g_last_payload = pl;
  return pl;
}

RadioChannel &ran_of(SimRanId ran) {
  SIM_CHECK(ran < g_rans.size(), "unknown RAN %u (have %zu)", ran, g_rans.size());
  return *g_rans[ran];
}

RadioDevice &ue_device(SimRanId ran, SimNodeId ue) {
  RadioDevice *dev = ran_of(ran).UeOfNode(ue);
  SIM_CHECK(dev != nullptr, "node %u is not a UE of RAN %u", ue, ran);
  return *dev;
}

} // namespace

/* Reports a retransmission (lost_for_good false) or a frame lost beyond the
 * limit (true) to receiver.on_dch_loss. */
static void report_dch_loss(SimRanId ran, SimNodeId ue, const Packet &p, bool lost_for_good) {
  const SimReceiver &r = receiver();
  if (r.on_dch_loss != nullptr)
    with_payload(p, [&](const uint8_t *bytes, size_t len) {
      r.on_dch_loss(r.ctx, ran, ue, bytes, len, lost_for_good);
    });
}

/* Frame `f` is resolved: it arrived intact (`arrived`) or is lost for
 * good. Unnumbered, it is handed up at once; numbered, in sequence
 * (sim_dch_seq.h): now if every earlier frame of its sequence is resolved,
 * followed by the held ones it was holding up, else when they are. */
static void resolve_dch(const DchFrame &f, bool arrived) {
  if (!f.numbered) {
    if (arrived)
      f.to->Receive(f.p, f.protocol, *f.from, f.uplink, f.ran);
    return;
  }
  SimNodeId ue = f.Ue().NodeId();
  if (!dch_seq_take(ue, f.uplink, f.no)) {
    dch_seq_hold(ue, f.uplink, f.no, arrived ? Ptr<EventImpl>(new DchDelivery(f), false) : nullptr);
    return;
  }
  if (arrived)
    f.to->Receive(f.p, f.protocol, *f.from, f.uplink, f.ran);
  dch_seq_flush(ue, f.uplink, f.no.attach);
}

void DchArrival::Notify() {
  if (!ran_of(m_f.ran).DchLost(m_f))
    resolve_dch(m_f, true);
}

void DownArrival::Notify() {
  ran_of(m_ran).ArriveDown();
}

void DchRetransmit::Notify() {
  RadioChannel &ch = ran_of(m_f.ran);
  RadioDevice &ue = m_f.Ue();
  if (ch.UeOfNode(ue.NodeId()) != &ue) {
    /* the UE camped elsewhere meanwhile: this RAN reaches it no more */
    report_dch_loss(m_f.ran, ue.NodeId(), *m_f.p, true);
    resolve_dch(m_f, false);
    return;
  }
  ch.TransmitDch(m_f);
}

void DchDelivery::Notify() {
  m_f.to->Receive(m_f.p, m_f.protocol, *m_f.from, m_f.uplink, m_f.ran);
}

/* ---- RadioDevice ---- */

NS_OBJECT_ENSURE_REGISTERED(RadioDevice);

static HugePool &device_pool() {
  static HugePool pool(sizeof(RadioDevice));
  return pool;
}

void *RadioDevice::operator new(size_t size) {
  SIM_CHECK(size == sizeof(RadioDevice), "radio device of %zu bytes", size);
  return device_pool().Take();
}

void RadioDevice::operator delete(void *p) {
  device_pool().Give(p);
}

TypeId RadioDevice::GetTypeId() {
  static TypeId tid = TypeId("mbms::RadioDevice")
                          .SetParent<NetDevice>()
                          .SetGroupName("Mbms")
                          .AddConstructor<RadioDevice>();
  return tid;
}

void RadioDevice::Attach(Ptr<RadioChannel> channel, bool is_rnc) {
  SIM_CHECK(!m_channel, "radio device attached twice");
  m_channel = channel;
  m_isRnc = is_rnc;
}

void RadioDevice::MoveTo(Ptr<RadioChannel> channel) {
  SIM_CHECK(m_channel && !m_isRnc, "only an attached UE device moves");
  m_channel = channel;
  dch_seq_reattach(m_nodeId); /* RLC is re-established: numbers start afresh */
}

Ptr<Channel> RadioDevice::GetChannel() const {
  return m_channel;
}

void RadioDevice::SetAddress(Address address) {
  SIM_CHECK(address == GetAddress(), "a radio device's address is derived from its node id");
}

bool RadioDevice::IsLinkUp() const {
  return m_channel != nullptr;
}

Ptr<Node> RadioDevice::GetNode() const {
  return m_nodeId == kNoSlot ? nullptr : NodeList::GetNode(m_nodeId);
}

void RadioDevice::SetPromiscReceiveCallback(PromiscReceiveCallback cb) {
  SIM_CHECK(m_channel, "promiscuous callback on a detached radio device");
  m_channel->SetPromisc(this, cb);
}

Mac48Address RadioDevice::AddressOf(uint32_t node_id) {
  uint8_t b[6] = {0x02,
                  0x4d,
                  uint8_t(node_id >> 24),
                  uint8_t(node_id >> 16),
                  uint8_t(node_id >> 8),
                  uint8_t(node_id)};
  Mac48Address a;
  a.CopyFrom(b);
  return a;
}

uint32_t RadioDevice::NodeOf(const Address &a) {
  if (!Mac48Address::IsMatchingType(a))
    return kNoSlot;
  uint8_t b[6];
  Mac48Address::ConvertFrom(a).CopyTo(b);
  if (b[0] != 0x02 || b[1] != 0x4d)
    return kNoSlot;
  return uint32_t(b[2]) << 24 | uint32_t(b[3]) << 16 | uint32_t(b[4]) << 8 | b[5];
}

/* A UE sends to its RNC whatever `dest` says (its only peer); the RNC sends
 * to the UE that `dest` names, on that UE's dedicated channel. Broadcast goes
 * through sim_common_send, which names the cell. */
bool RadioDevice::Send(Ptr<Packet> packet, const Address &dest, uint16_t protocolNumber) {
  if (!m_channel)
    return false;
  if (!m_isRnc) {
    m_channel->SendDch(*this, *m_channel->Rnc(), true, packet, protocolNumber);
    return true;
  }
  RadioDevice *ue = m_channel->UeOfNode(NodeOf(dest));
  if (ue == nullptr)
    return false;
  m_channel->SendDch(*this, *ue, false, packet, protocolNumber);
  return true;
}

void RadioDevice::Receive(Ptr<Packet> p, uint16_t protocol, const RadioDevice &from, bool uplink,
                          SimRanId ran) {
  if (const PromiscReceiveCallback *promisc = ran_of(ran).Promisc(this))
    (*promisc)(this, p, protocol, from.GetAddress(), GetAddress(), NetDevice::PACKET_HOST);
  if (!m_rx.IsNull())
    m_rx(this, p, protocol, from.GetAddress());
  const SimReceiver &r = receiver();
  if (r.on_dch != nullptr) {
    SimNodeId ue = uplink ? from.m_nodeId : m_nodeId;
    with_payload(*p, [&](const uint8_t *bytes, size_t len) {
      r.on_dch(r.ctx, ran, m_nodeId, ue, bytes, len);
    });
  }
}

void RadioDevice::DoDispose() {
  m_channel = nullptr;
  m_rx = ReceiveCallback();
  NetDevice::DoDispose();
}

/* ---- RadioChannel ---- */

NS_OBJECT_ENSURE_REGISTERED(RadioChannel);

TypeId RadioChannel::GetTypeId() {
  static TypeId tid = TypeId("mbms::RadioChannel")
                          .SetParent<Channel>()
                          .SetGroupName("Mbms")
                          .AddConstructor<RadioChannel>();
  return tid;
}

void RadioChannel::Configure(SimRanId ran, uint32_t n_cells, const SimChannel &dch,
                             const SimChannel &common) {
  m_ran = ran;
  m_nCells = n_cells;
  m_dchRate = dch.rate;
  m_commonRate = common.rate;
  m_dchDelay = Seconds(dch.delay).GetTimeStep();
  m_commonDelay = Seconds(common.delay).GetTimeStep();
  m_cellBusy.assign(n_cells, 0);
  m_cellQueue.assign(n_cells, std::deque<QueuedCommon>());
  m_cellInFlight.assign(n_cells, 0);
}

RadioDevice *RadioChannel::UeOfNode(uint32_t node_id) const {
  if (node_id >= g_ue_camp.size() || g_ue_camp[node_id].ran != m_ran)
    return nullptr;
  return g_ue_camp[node_id].dev;
}

void RadioChannel::RemoveUe(uint32_t slot) {
  SIM_CHECK(slot < m_ues.size(), "no UE slot %u in RAN %u", slot, m_ran);
  if (slot + 1 != m_ues.size()) {
    m_ues[slot] = m_ues.back();
    g_ue_camp[m_ues[slot]->NodeId()].slot = slot;
  }
  m_ues.pop_back();
}

void RadioChannel::SendDch(RadioDevice &from, RadioDevice &to, bool uplink, Ptr<Packet> p,
                           uint16_t protocol) {
  DchFrame f{&from, &to, p, m_ran, 0, DchSeqNo{0, 0}, protocol, uplink, m_hasDchLoss};
  if (f.numbered)
    f.no = dch_seq_number(f.Ue().NodeId(), uplink);
  TransmitDch(f);
}

int64_t RadioChannel::SerialiseDch(int64_t &busy, uint32_t len) const {
  int64_t now = Simulator::Now().GetTimeStep();
  busy = AddSteps(std::max(now, busy), TxSteps(len, m_dchRate));
  return AddSteps(busy, m_dchDelay);
}

void RadioChannel::QueueDown(int64_t at, SimNodeId ue, const uint8_t *bytes, uint32_t len,
                             uint16_t protocol, uint32_t attempt, DchSeqNo no, bool numbered) {
  DownFrame &q = m_down.Push(order_take(ue, at), bytes, len);
  q.attempt = attempt;
  q.no = no;
  q.protocol = protocol;
  q.numbered = numbered;
  if (m_down.Size() == 1) {
    if (!m_downEvent)
      m_downEvent = Create<DownArrival>(m_ran);
    order_insert(q.key, PeekPointer(m_downEvent));
  }
}

void RadioChannel::SendDchDown(SimNodeId ue, const uint8_t *bytes, uint32_t len,
                               uint16_t protocol) {
  SIM_CHECK(ue < g_ue_camp.size() && g_ue_camp[ue].ran == m_ran, "node %u is not a UE of RAN %u",
            ue, m_ran);
  UeCamp &camp = g_ue_camp[ue];
  DchSeqNo no{0, 0};
  if (m_hasDchLoss)
    no = dch_seq_number(ue, false);
  if (m_pcap)
    TracePcap(SIM_PCAP_DCH_DOWN, 0xffff, ue, bytes, len);
  int64_t now = Simulator::Now().GetTimeStep();
  int64_t at = SerialiseDch(camp.busy_down, len);
  if (DownInOrder(at)) {
    QueueDown(at, ue, bytes, len, protocol, 0, no, m_hasDchLoss);
    return;
  }
  DchFrame f{m_rnc, camp.dev, make_packet(bytes, len), m_ran, 0, no, protocol, false, m_hasDchLoss};
  Simulator::ScheduleWithContext(ue, TimeStep(at - now), new DchArrival(f));
}

void RadioChannel::TransmitDch(const DchFrame &f) {
  RadioDevice &ue = f.Ue();
  if (m_pcap)
    TracePcap(f.uplink ? SIM_PCAP_DCH_UP : SIM_PCAP_DCH_DOWN, 0xffff, ue.NodeId(), *f.p);
  int64_t now = Simulator::Now().GetTimeStep();
  UeCamp &camp = g_ue_camp[ue.NodeId()];
  int64_t at = SerialiseDch(f.uplink ? camp.busy_up : camp.busy_down, f.p->GetSize());
  if (!f.uplink && DownInOrder(at)) {
    with_payload(*f.p, [&](const uint8_t *bytes, size_t len) {
      QueueDown(at, ue.NodeId(), bytes, static_cast<uint32_t>(len), f.protocol, f.attempt, f.no,
                f.numbered);
    });
    return;
  }
  Simulator::ScheduleWithContext(f.to->NodeId(), TimeStep(at - now), new DchArrival(f));
}

/* How many arrivals ahead receiver.on_dch_soon's step 0 runs (step 1 runs
 * twice as far): a unicast leave's frames, one per member, arrive one
 * event after the other, each reading its UE's records at random. */
constexpr size_t kDownSoon = 4;

void RadioChannel::ArriveDown() {
  SIM_CHECK(!m_down.Empty(), "downlink arrival on RAN %u with no frame in flight", m_ran);
  const DownFrame &q = m_down.Front();
  SimNodeId ue_node = q.key.context;
  SIM_CHECK(ue_node < g_ue_camp.size() && g_ue_camp[ue_node].dev != nullptr,
            "downlink frame to node %u, which has no radio", ue_node);
  /* the UE's one radio, wherever it is camped now */
  DchFrame f{m_rnc,
             g_ue_camp[ue_node].dev,
             make_packet(q.Bytes(), q.len),
             m_ran,
             q.attempt,
             q.no,
             q.protocol,
             false,
             q.numbered};
  m_down.Pop();
  /* the next one is scheduled before this one is handed up; whatever that
   * schedules keeps its own place anyway (the keys were taken when sent) */
  if (!m_down.Empty())
    order_insert(m_down.Front().key, PeekPointer(m_downEvent));
  const SimReceiver &r = receiver();
  for (unsigned step = 0; step <= 1; step++) {
    size_t at = (step + 1) * kDownSoon - 1;
    if (at >= m_down.Size())
      break;
    SimNodeId ue = m_down.At(at).key.context; /* the receiving UE's node */
    if (step > 0)
      __builtin_prefetch(&g_ue_camp[ue]);
    else if (const RadioDevice *dev = g_ue_camp[ue].dev)
      __builtin_prefetch(dev);
    if (r.on_dch_soon != nullptr)
      r.on_dch_soon(r.ctx, ue, step);
  }
  if (!DchLost(f))
    resolve_dch(f, true);
}

bool RadioChannel::DchLost(const DchFrame &f) {
  SimNodeId ue = f.Ue().NodeId();
  if (!m_hasDchLoss || !sim_loss_lost(m_dchLoss, ue))
    return false;
  if (f.attempt >= m_maxRetx) {
    report_dch_loss(m_ran, ue, *f.p, true);
    resolve_dch(f, false);
    return true;
  }
  report_dch_loss(m_ran, ue, *f.p, false);
  DchFrame again = f;
  again.attempt++;
  Simulator::ScheduleWithContext(f.from->NodeId(), TimeStep(m_dchDelay), new DchRetransmit(again));
  return true;
}

void RadioChannel::TransmitCommon(uint32_t cell, const uint8_t *bytes, size_t len) {
  SIM_CHECK(len <= UINT32_MAX, "packet of %zu bytes", len);
  if (m_pcap)
    TracePcap(SIM_PCAP_COMMON, static_cast<uint16_t>(cell), 0xffffffffu, bytes, len);
  int64_t now = Simulator::Now().GetTimeStep();
  int64_t &busy = m_cellBusy[cell];
  int64_t end = AddSteps(std::max(now, busy), TxSteps(static_cast<uint32_t>(len), m_commonRate));
  busy = end;
  m_cellQueue[cell].push_back(QueuedCommon{AddSteps(end, m_commonDelay), payload_of(bytes, len)});
  if (!m_cellInFlight[cell])
    ScheduleCommon(cell);
}

void RadioChannel::ScheduleCommon(uint32_t cell) {
  std::deque<QueuedCommon> &q = m_cellQueue[cell];
  QueuedCommon next = q.front();
  q.pop_front();
  Ptr<Packet> p = make_packet(next.payload->bytes, next.payload->len);
  payload_unref(next.payload);
  m_cellInFlight[cell] = 1;
  Simulator::Schedule(TimeStep(next.arrival - Simulator::Now().GetTimeStep()),
                      Ptr<EventImpl>(new CommonArrival(this, cell, p), false));
}

void RadioChannel::ArriveCommon(uint32_t cell, const Packet &p) {
  m_cellInFlight[cell] = 0;
  if (!m_cellQueue[cell].empty())
    ScheduleCommon(cell);
  DeliverCommon(cell, p);
}

void RadioChannel::DeliverCommon(uint32_t cell, const Packet &p) const {
  const SimReceiver &r = receiver();
  if (r.on_common != nullptr) {
    with_payload(
        p, [&](const uint8_t *bytes, size_t len) { r.on_common(r.ctx, m_ran, cell, bytes, len); });
  }
}

/* The record is the header of sim.h's sim_pcap_ran, then the payload. */
void RadioChannel::TracePcap(uint8_t channel, uint16_t cell, uint32_t ue_node,
                             const Packet &p) const {
  with_payload(
      p, [&](const uint8_t *bytes, size_t len) { TracePcap(channel, cell, ue_node, bytes, len); });
}

void RadioChannel::TracePcap(uint8_t channel, uint16_t cell, uint32_t ue_node, const uint8_t *bytes,
                             size_t len) const {
  size_t n = SIM_PCAP_RADIO_HEADER_BYTES + len;
  uint8_t small[SIM_PCAP_RADIO_HEADER_BYTES + 4096];
  uint8_t *rec = n <= sizeof small ? small : static_cast<uint8_t *>(std::malloc(n));
  SIM_CHECK(rec != nullptr, "out of memory tracing a %zu-byte packet", len);
  rec[0] = channel;
  rec[1] = 0;
  rec[2] = uint8_t(cell);
  rec[3] = uint8_t(cell >> 8);
  for (int i = 0; i < 4; i++)
    rec[4 + i] = uint8_t(ue_node >> (8 * i));
  if (len > 0)
    std::memcpy(rec + SIM_PCAP_RADIO_HEADER_BYTES, bytes, len);
  m_pcap->Write(Simulator::Now(), rec, static_cast<uint32_t>(n));
  if (rec != small)
    std::free(rec);
}

const NetDevice::PromiscReceiveCallback *RadioChannel::Promisc(const RadioDevice *dev) const {
  if (m_promisc.empty())
    return nullptr;
  auto it = m_promisc.find(dev);
  return it == m_promisc.end() || it->second.IsNull() ? nullptr : &it->second;
}

Ptr<NetDevice> RadioChannel::GetDevice(std::size_t i) const {
  if (m_rnc) {
    if (i == 0)
      return m_rnc;
    i--;
  }
  return i < m_ues.size() ? m_ues[i] : nullptr;
}

void RadioChannel::ReleaseQueues() {
  for (std::deque<QueuedCommon> &q : m_cellQueue)
    for (QueuedCommon &e : q)
      payload_unref(e.payload);
  m_cellQueue.clear();
  m_cellInFlight.clear();
  m_down.Clear();
}

void RadioChannel::DoDispose() {
  ReleaseQueues();
  m_rnc = nullptr;
  m_ues.clear();
  m_promisc.clear();
  m_pcap = nullptr;
  Channel::DoDispose();
}

void radio_reset() {
  payload_unref(g_last_payload);
  g_last_payload = nullptr;
  g_rans.clear();
  g_rans.shrink_to_fit();
  g_ue_camp.clear();
  g_ue_camp.shrink_to_fit();
}

} // namespace simint

using simint::g_rans;
using simint::g_ue_camp;

extern "C" {

SimRanId sim_ran_new(SimNodeId rnc, uint32_t n_cells, const SimChannel *dch,
                     const SimChannel *common) {
  double dch_rate_bps = dch->rate, dch_delay_s = dch->delay;
  double common_rate_bps = common->rate, common_delay_s = common->delay;
  SIM_CHECK(dch_rate_bps > 0 && std::isfinite(dch_rate_bps), "bad DCH rate %g", dch_rate_bps);
  SIM_CHECK(common_rate_bps > 0 && std::isfinite(common_rate_bps), "bad common rate %g",
            common_rate_bps);
  SIM_CHECK(dch_delay_s >= 0 && dch_delay_s <= kSimMaxTimeS, "bad DCH delay %g", dch_delay_s);
  SIM_CHECK(common_delay_s >= 0 && common_delay_s <= kSimMaxTimeS, "bad common delay %g",
            common_delay_s);
  Ptr<Node> node = simint::node(rnc);
  SimRanId id = static_cast<SimRanId>(g_rans.size());
  Ptr<simint::RadioChannel> ch = CreateObject<simint::RadioChannel>();
  ch->Configure(id, n_cells, *dch, *common);
  Ptr<simint::RadioDevice> dev = CreateObject<simint::RadioDevice>();
  dev->Attach(ch, true);
  ch->SetRnc(dev);
  node->AddDevice(dev);
  g_rans.push_back(ch);
  return id;
}

void sim_ran_attach(SimRanId ran, SimNodeId ue) {
  simint::RadioChannel &ch = simint::ran_of(ran);
  Ptr<Node> node = simint::node(ue);
  SIM_CHECK(ue != ch.Rnc()->NodeId(), "RNC node %u attached as a UE of its own RAN %u", ue, ran);
  if (g_ue_camp.size() <= ue)
    g_ue_camp.resize(std::max<size_t>(ue + 1, sim_node_count()));
  uint32_t old = g_ue_camp[ue].ran;
  if (old == ran)
    return; /* camped here already */
  Ptr<simint::RadioDevice> dev;
  if (old == simint::kNoSlot) {
    dev = CreateObject<simint::RadioDevice>();
    dev->Attach(&ch, false);
    node->AddDevice(dev);
    dev->DropNodeReceive();
  } else {
    /* one radio per UE: it leaves the old RAN's channel for this one */
    simint::RadioChannel &from = simint::ran_of(old);
    dev = from.UeOfNode(ue);
    SIM_CHECK(dev, "UE node %u lost its radio on RAN %u", ue, old);
    from.RemoveUe(g_ue_camp[ue].slot);
    dev->MoveTo(&ch);
    /* a new radio link: nothing of the old RAN's is on its way on it */
    g_ue_camp[ue].busy_up = g_ue_camp[ue].busy_down = 0;
  }
  g_ue_camp[ue].ran = ran;
  g_ue_camp[ue].slot = ch.AddUe(dev);
  g_ue_camp[ue].dev = PeekPointer(dev);
}

bool sim_pcap_ran(SimRanId ran, const char *path) {
  simint::RadioChannel &ch = simint::ran_of(ran);
  Ptr<PcapFileWrapper> file = simint::pcap_file(path, SIM_PCAP_DLT_RADIO);
  if (!file)
    return false;
  ch.SetPcap(file);
  return true;
}

void sim_ran_set_dch_loss(SimRanId ran, SimLossId loss, uint32_t max_retx) {
  simint::ran_of(ran).SetDchLoss(loss, max_retx);
}

size_t sim_dch_frames_held(void) {
  return simint::dch_seq_held();
}

void sim_dch_prefetch(SimNodeId ue) {
  if (ue < g_ue_camp.size())
    __builtin_prefetch(&g_ue_camp[ue]);
}

bool sim_ran_has_ue(SimRanId ran, SimNodeId ue) {
  return simint::ran_of(ran).UeOfNode(ue) != nullptr;
}

void sim_dch_up(SimRanId ran, SimNodeId ue, const uint8_t *bytes, size_t len) {
  simint::RadioDevice &dev = simint::ue_device(ran, ue);
  dev.Send(simint::make_packet(bytes, len), simint::ran_of(ran).Rnc()->GetAddress(),
           simint::kRadioProtocol);
}

void sim_dch_down(SimRanId ran, SimNodeId ue, const uint8_t *bytes, size_t len) {
  SIM_CHECK(len <= UINT32_MAX, "packet of %zu bytes", len);
  simint::ran_of(ran).SendDchDown(ue, bytes, static_cast<uint32_t>(len), simint::kRadioProtocol);
}

void sim_common_send(SimRanId ran, uint32_t cell, const uint8_t *bytes, size_t len) {
  simint::RadioChannel &ch = simint::ran_of(ran);
  SIM_CHECK(cell < ch.NCells(), "cell %u of RAN %u (has %u)", cell, ran, ch.NCells());
  ch.TransmitCommon(cell, bytes, len);
}

} // extern "C"
