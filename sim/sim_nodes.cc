/* sim_nodes.cc — the nodes and the receiver callbacks of sim.h.
 *
 * Nodes are ns3::Node objects; our SimNodeId is both the index in g_nodes
 * and the ns-3 node id (only sim/ creates nodes). The bottom of sim/: the
 * links and the RANs (sim_link.cc, sim_radio.cc) look nodes and the
 * receiver up here, and sim_core.cc calls nodes_reset(); this file calls
 * no other module of sim/.
 */
#include "sim/sim_internal.h"

#include <ns3/node.h>

#include <vector>

using namespace ns3;

namespace {

std::vector<Ptr<Node>> g_nodes;
SimReceiver g_receiver;

} // namespace

namespace simint {

ns3::Node *node(SimNodeId id) {
  SIM_CHECK(id < g_nodes.size(), "unknown node %u (have %zu)", id, g_nodes.size());
  return PeekPointer(g_nodes[id]);
}

const SimReceiver &receiver() {
  return g_receiver;
}

void nodes_reset() {
  g_nodes.clear();
  g_nodes.shrink_to_fit();
  g_receiver = SimReceiver{};
}

} // namespace simint

extern "C" {

SimNodeId sim_node_new(void) {
  Ptr<Node> n = CreateObject<Node>();
  SIM_CHECK(n->GetId() == g_nodes.size(), "ns-3 node id %u, expected %zu (a node not made by sim?)",
            n->GetId(), g_nodes.size());
  g_nodes.push_back(n);
  return n->GetId();
}

uint32_t sim_node_count(void) {
  return static_cast<uint32_t>(g_nodes.size());
}

void sim_set_receiver(const SimReceiver *receiver) {
  SIM_CHECK(receiver != nullptr, "null receiver");
  g_receiver = *receiver;
}

} // extern "C"
