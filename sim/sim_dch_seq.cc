/* sim_dch_seq.cc — in-sequence delivery on the dedicated channels (see
 * sim_dch_seq.h for the rule).
 *
 * The current attachment's counters of each UE sit in a vector by node id
 * (allocated only once numbering is on); a past attachment with frames
 * still unresolved keeps its counters in g_past until its last frame is
 * resolved; held frames wait in g_held, ordered by (UE, attachment,
 * direction, number), each as the ns-3 event that hands it up. The usual
 * path (a frame resolved in sequence with nothing held) touches neither
 * map.
 */
#include "sim/sim_dch_seq.h"

#include "sim/sim_internal.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

using namespace ns3;

namespace simint {

namespace {

/* The counters of one UE's current attachment; index 0 downlink, 1 uplink. */
struct Current {
  uint32_t attach;
  uint32_t next_tx[2]; /* the number of the next frame sent */
  uint32_t next_rx[2]; /* the number of the next frame to hand up */
};

/* A past attachment's direction with frames unresolved. */
struct Past {
  uint32_t next_rx;
  uint32_t end_tx; /* one past its last frame */
};

using SpaceKey = std::tuple<SimNodeId, uint32_t, uint8_t>;           /* ue, attach, dir */
using FrameKey = std::tuple<SimNodeId, uint32_t, uint8_t, uint32_t>; /* ... and number */

bool g_on = false;
std::vector<Current> g_cur;
std::map<SpaceKey, Past> g_past;
std::map<FrameKey, Ptr<EventImpl>> g_held;

Current &current(SimNodeId ue) {
  if (ue >= g_cur.size())
    g_cur.resize(std::max<size_t>(size_t(ue) + 1, sim_node_count()), Current{});
  return g_cur[ue];
}

/* The window of a space: its next number to hand up and its end; false
 * if the space has no frame unresolved (a past one that was closed). */
bool window(SimNodeId ue, uint8_t dir, uint32_t attach, uint32_t **next_rx, uint32_t *end_tx) {
  Current &c = current(ue);
  if (attach == c.attach) {
    *next_rx = &c.next_rx[dir];
    *end_tx = c.next_tx[dir];
    return true;
  }
  auto it = g_past.find(SpaceKey{ue, attach, dir});
  if (it == g_past.end())
    return false;
  *next_rx = &it->second.next_rx;
  *end_tx = it->second.end_tx;
  return true;
}

/* A past space whose last frame was resolved is forgotten. */
void close_if_done(SimNodeId ue, uint8_t dir, uint32_t attach) {
  if (attach == current(ue).attach)
    return;
  auto it = g_past.find(SpaceKey{ue, attach, dir});
  if (it != g_past.end() && it->second.next_rx == it->second.end_tx)
    g_past.erase(it);
}

} // namespace

bool dch_seq_on() {
  return g_on;
}

void dch_seq_enable() {
  g_on = true;
}

DchSeqNo dch_seq_number(SimNodeId ue, bool uplink) {
  Current &c = current(ue);
  return DchSeqNo{c.attach, c.next_tx[uplink]++};
}

void dch_seq_reattach(SimNodeId ue) {
  if (!g_on)
    return;
  Current &c = current(ue);
  for (uint8_t dir = 0; dir < 2; dir++)
    if (c.next_rx[dir] != c.next_tx[dir])
      g_past[SpaceKey{ue, c.attach, dir}] = Past{c.next_rx[dir], c.next_tx[dir]};
  c = Current{c.attach + 1, {0, 0}, {0, 0}};
}

bool dch_seq_take(SimNodeId ue, bool uplink, DchSeqNo no) {
  uint32_t *next_rx, end_tx;
  SIM_CHECK(window(ue, uplink, no.attach, &next_rx, &end_tx),
            "frame %u of UE %u (attachment %u) resolved twice", no.seq, ue, no.attach);
  SIM_CHECK(no.seq >= *next_rx && no.seq < end_tx,
            "frame %u of UE %u resolved outside its window [%u, %u)", no.seq, ue, *next_rx, end_tx);
  if (no.seq != *next_rx)
    return false;
  ++*next_rx;
  close_if_done(ue, uplink, no.attach);
  return true;
}

void dch_seq_hold(SimNodeId ue, bool uplink, DchSeqNo no, Ptr<EventImpl> deliver) {
  bool fresh = g_held.emplace(FrameKey{ue, no.attach, uplink, no.seq}, deliver).second;
  SIM_CHECK(fresh, "frame %u of UE %u held twice", no.seq, ue);
}

void dch_seq_flush(SimNodeId ue, bool uplink, uint32_t attach) {
  /* the window is looked up again after each delivery: what a delivery
   * does (send, camp elsewhere) may move or grow the tables */
  while (!g_held.empty()) {
    uint32_t *next_rx, end_tx;
    if (!window(ue, uplink, attach, &next_rx, &end_tx))
      return;
    auto it = g_held.find(FrameKey{ue, attach, uplink, *next_rx});
    if (it == g_held.end())
      return;
    Ptr<EventImpl> deliver = it->second;
    g_held.erase(it);
    ++*next_rx;
    close_if_done(ue, uplink, attach);
    if (deliver)
      deliver->Invoke();
  }
}

size_t dch_seq_held() {
  return g_held.size();
}

void dch_seq_reset() {
  g_on = false;
  g_held.clear();
  g_past.clear();
  g_cur.clear();
  g_cur.shrink_to_fit();
}

} // namespace simint
