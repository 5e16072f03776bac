/* sim_link.cc — core and Iu links: real ns-3 PointToPointNetDevice pairs on a
 * PointToPointChannel.
 *
 * Each link is built by PointToPointHelper with the link's DataRate and
 * channel Delay, a DropTail queue raised to kQueueLimit packets (nothing
 * drops in practice) and no flow control (there is no traffic-control layer).
 * A frame on the wire is the payload plus the 2-byte PPP header the device
 * adds (SIM_LINK_OVERHEAD_BYTES), so a lone packet arrives
 * (len + 2) * 8 / rate + delay after the send; packets queue FIFO behind a
 * transmission in progress.
 *
 * Receive: each device's receive callback (which replaces the node's own: no
 * ns-3 protocol stack sits on these nodes) copies the payload out (the device
 * has already stripped the PPP header) and hands it to receiver.on_link.
 * Drops: the devices' MacTxDrop (queue overflow, link down), PhyTxDrop and
 * PhyRxDrop traces feed one counter, sim_link_drops().
 */
#include "sim/sim_internal.h"

#include <ns3/data-rate.h>
#include <ns3/error-model.h>
#include <ns3/net-device-container.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/point-to-point-net-device.h>
#include <ns3/string.h>
#include <ns3/trace-helper.h>
#include <ns3/uinteger.h>

#include <cmath>
#include <vector>

using namespace ns3;

namespace {

constexpr const char *kQueueLimit = "1000000p";
constexpr uint16_t kProtocol = 0x0800; /* PPP maps only IPv4/IPv6 numbers */

struct LinkRec {
  Ptr<PointToPointNetDevice> dev[2];
  SimNodeId node[2];
};

std::vector<LinkRec> g_links;
uint64_t g_drops;

void on_drop(Ptr<const Packet>) {
  g_drops++;
}

bool on_receive(SimLinkId link, Ptr<NetDevice> dev, Ptr<const Packet> p, uint16_t,
                const Address &) {
  const LinkRec &l = g_links[link];
  int side = PeekPointer(l.dev[0]) == PeekPointer(dev) ? 0 : 1;
  const SimReceiver &r = simint::receiver();
  if (r.on_link != nullptr) {
    simint::with_payload(*p, [&](const uint8_t *bytes, size_t len) {
      r.on_link(r.ctx, link, l.node[side], l.node[1 - side], bytes, len);
    });
  }
  return true;
}

} // namespace

namespace simint {

void link_reset() {
  g_links.clear();
  g_links.shrink_to_fit();
  g_drops = 0;
}

} // namespace simint

extern "C" {

SimLinkId sim_link_new(SimNodeId a, SimNodeId b, const SimChannel *channel) {
  double rate_bps = channel->rate, delay_s = channel->delay;
  SIM_CHECK(a != b, "link from node %u to itself", a);
  /* DataRate holds whole bit/s (uint64): 1 .. 1e15 keeps llround exact */
  SIM_CHECK(rate_bps >= 1.0 && rate_bps <= 1e15, "bad link rate %g bit/s", rate_bps);
  SIM_CHECK(delay_s >= 0.0 && delay_s <= kSimMaxTimeS, "bad link delay %g s", delay_s);
  Ptr<Node> na = simint::node(a), nb = simint::node(b);

  PointToPointHelper helper;
  helper.SetDeviceAttribute("DataRate", DataRateValue(DataRate(std::llround(rate_bps))));
  helper.SetDeviceAttribute("Mtu", UintegerValue(65535));
  helper.SetChannelAttribute("Delay", TimeValue(Seconds(delay_s)));
  helper.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", StringValue(kQueueLimit));
  helper.DisableFlowControl();
  NetDeviceContainer devs = helper.Install(na, nb);

  SimLinkId id = static_cast<SimLinkId>(g_links.size());
  LinkRec rec;
  for (int i = 0; i < 2; i++) {
    rec.dev[i] = DynamicCast<PointToPointNetDevice>(devs.Get(i));
    SIM_CHECK(rec.dev[i] != nullptr, "helper gave no point-to-point device");
    rec.dev[i]->SetReceiveCallback(MakeBoundCallback(&on_receive, id));
    rec.dev[i]->TraceConnectWithoutContext("MacTxDrop", MakeCallback(&on_drop));
    rec.dev[i]->TraceConnectWithoutContext("PhyTxDrop", MakeCallback(&on_drop));
    rec.dev[i]->TraceConnectWithoutContext("PhyRxDrop", MakeCallback(&on_drop));
  }
  rec.node[0] = a;
  rec.node[1] = b;
  g_links.push_back(rec);
  return id;
}

void sim_link_send(SimLinkId link, SimNodeId from, const uint8_t *bytes, size_t len) {
  SIM_CHECK(link < g_links.size(), "unknown link %u", link);
  SIM_CHECK(len <= UINT32_MAX, "packet of %zu bytes", len);
  SIM_CHECK(bytes != nullptr || len == 0, "null bytes");
  const LinkRec &l = g_links[link];
  SIM_CHECK(from == l.node[0] || from == l.node[1], "node %u is not on link %u (%u-%u)", from, link,
            l.node[0], l.node[1]);
  int side = from == l.node[0] ? 0 : 1;
  Ptr<Packet> p = len > 0 ? Create<Packet>(bytes, static_cast<uint32_t>(len)) : Create<Packet>();
  /* a refused packet has hit MacTxDrop, hence the drop counter */
  l.dev[side]->Send(p, l.dev[1 - side]->GetAddress(), kProtocol);
}

void sim_link_set_loss(SimLinkId link, double rate, int64_t stream) {
  SIM_CHECK(link < g_links.size(), "unknown link %u", link);
  SIM_CHECK(std::isfinite(rate) && rate >= 0 && rate <= 1, "bad loss rate %g", rate);
  for (int i = 0; i < 2; i++) {
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
    em->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
    em->SetRate(rate);
    em->AssignStreams(stream + i);
    g_links[link].dev[i]->SetReceiveErrorModel(em);
  }
}

bool sim_pcap_link(SimLinkId link, const char *path) {
  SIM_CHECK(link < g_links.size(), "unknown link %u", link);
  Ptr<PcapFileWrapper> file = simint::pcap_file(path, PcapHelper::DLT_PPP);
  if (!file)
    return false;
  /* PhyTxBegin fires once per frame (PPP header added), at its sender;
   * the sniffer traces fire at both ends and would record it twice */
  PcapHelper pcap;
  for (int i = 0; i < 2; i++)
    pcap.HookDefaultSink<PointToPointNetDevice>(g_links[link].dev[i], "PhyTxBegin", file);
  return true;
}

uint64_t sim_link_drops(void) {
  return g_drops;
}

} // extern "C"
