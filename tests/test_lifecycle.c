/* test_lifecycle.c — groups that empty, UEs that rejoin anywhere, small
 * groups (issue "Keys of an emptied group are retired").
 *
 * One short trace on the smallest network where a group and a sub-group
 * empty and a UE rejoins under another RNC: 1 GGSN, 1 SGSN, 2 RNCs of one
 * cell each (cell 0 is RNC 0, cell 1 is RNC 1), sub-groups of 3, events one
 * second apart (never overlapping). For every secure scheme (oft: join
 * rekey on only, as its joins always rekey), both
 * embodiments, join rekey on and off, the per-event counts below are worked
 * out by hand from docs/flows.md and docs/schemes.md (each table row says
 * why), and the run must show: no key wrap open to a departed UE, no data
 * packet open to one in embodiment 2, no backward exposure with join
 * rekey, every rekey done within a latency bound derived from the links,
 * and no member reception without the key (switch-delay covers delivery).
 *
 *   #   t  event          what happens
 *   0   1  join 0, cell 0  empty group: 1 p2p
 *   1   2  leave 0         the group empties: its key is retired, nothing sent
 *   2   3  join 1, cell 0  empty group again: 1 p2p (fresh keys)
 *   3   4  join 2, cell 0  into 1's sub-group (join rekey: of 1's keys)
 *   4   5  leave 2         1 is left in RNC 0
 *   5   6  join 3, cell 1  RNC 1's first member
 *   6   7  join 0, cell 1  UE 0 rejoins under the other RNC, into 3's sub-group
 *   7   8  leave 1         RNC 0 empties (embodiment 2: its group)
 *   8   9  leave 3
 *   9  10  leave 0         the last member: the group (emb. 2: RNC 1's) empties
 *  10  11  join 0, cell 0  UE 0 rejoins again, under its first RNC
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "app/run.h"
#include "app/scenario.h"
#include "keytree/kt_tree.h"
#include "nodes/msg.h"

#include "test_runs.h"

#define N_EVENTS 11

static const char *trace_csv = "time,action,ue,cell\n"
                               "1,join,0,0\n2,leave,0,\n3,join,1,0\n4,join,2,0\n5,leave,2,\n"
                               "6,join,3,1\n7,join,0,1\n8,leave,1,\n9,leave,3,\n10,leave,0,\n"
                               "11,join,0,0\n";

/* Link parameters (the defaults of scenarios/README.md, written out because
 * the latency bound below is derived from them). */
#define CORE_DELAY 0.005
#define CORE_RATE 1e9
#define IU_DELAY 0.002
#define IU_RATE 1.55e8
#define DCH_DELAY 0.01
#define DCH_RATE 384000.0
#define COMMON_DELAY 0.02
#define COMMON_RATE 128000.0
#define DATA_RATE 40960.0
#define PACKET_SIZE 600u /* 0.1171875 s between packets: no packet at a batch boundary */
#define DATA_OVERHEAD 66u /* bytes per data packet besides the payload (scenarios/README.md) */
#define PACKET_INTERVAL (8.0 * PACKET_SIZE / DATA_RATE)
#define BATCH_INTERVAL 0.5

static char *trace_ini(double switch_delay) {
  return g_strdup_printf("[run]\nname = lifecycle\nseed = 11\nduration = 12\nlkh-degree = 2\n"
                         "batch-tree = patent\nbatch-interval = %g\n"
                         "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                         "cells-per-rnc = 1\nsubgroup-size = 3\nsubgroup-policy = per-cell\n"
                         "[links]\ncore-rate = %g\ncore-delay = %g\niu-rate = %g\niu-delay = %g\n"
                         "dch-rate = %g\ndch-delay = %g\ncommon-rate = %g\ncommon-delay = %g\n"
                         "[workload]\ninitial-members = 0\nevents = events.csv\n"
                         "[security]\neavesdrop = all-cells\n"
                         "[data]\nrate = %g\npacket-size = %u\nswitch-delay = %g\n",
                         BATCH_INTERVAL, CORE_RATE, CORE_DELAY, IU_RATE, IU_DELAY, DCH_RATE,
                         DCH_DELAY, COMMON_RATE, COMMON_DELAY, DATA_RATE, PACKET_SIZE,
                         switch_delay);
}

/* An upper bound on any rekey's latency here (from the request reaching
 * the RNC to the last member installing the new group key): the core round
 * trip (RNC -> SGSN -> GGSN -> BM-SC and back: 2 x (Iu + 2 core) delays and
 * transmissions), then the key on the common channel behind at most one
 * data packet and the event's other point-to-multipoint messages (at most
 * 3 here, each at most MSG_MAX_BYTES), or on the dedicated channel behind
 * the event's point-to-point messages to that UE (at most 2); for batch,
 * the wait for the boundary. Every message is bounded by MSG_MAX_BYTES. */
static double latency_bound(bool batch) {
  double bits = 8.0 * MSG_MAX_BYTES;
  double core = 2.0 * (IU_DELAY + 2.0 * CORE_DELAY) + 2.0 * (bits / IU_RATE + 2.0 * bits / CORE_RATE);
  double common = COMMON_DELAY + 8.0 * (PACKET_SIZE + DATA_OVERHEAD) / COMMON_RATE + 4.0 * bits / COMMON_RATE;
  double dch = DCH_DELAY + 3.0 * bits / DCH_RATE;
  return core + MAX(common, dch) + (batch ? BATCH_INTERVAL : 0.0);
}

typedef struct {
  uint32_t p2p, p2m, core; /* p2m_tx = p2m: every RNC has one cell */
} Row;

typedef struct {
  const char *scheme;
  int embodiment;
  bool join_rekey;
  Row rows[N_EVENTS];
} Case;

/* Core messages of embodiment 1: BM-SC -> GGSN, GGSN -> SGSN, then SGSN ->
 * each RNC the request goes to: 3 with one RNC, 4 with both. */
#define C1 3u
#define C2 4u

static const Case cases[] = {
    /* patent, embodiment 1. Leaves: (s - 1) p2p + 1 p2m per sub-group, core
     * along the tree after the leave (#4: RNC 0; #7, #8: RNC 1). */
    {"patent", 1, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 1, C1}, {1, 0, 0},
      {1, 0, 0}, {0, 1, C1}, {1, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    /* join rekey: #3 sub-group key p2m to 1 + group key p2m at RNC 0;
     * #5 a new sub-group (no sub-group rekey), group key p2m at RNC 0 only
     * (RNC 1 has no other member), core to both RNCs; #6 sub-group p2m to
     * 3, group p2m at RNC 0 and RNC 1. Joins into an empty group: 1 p2p. */
    {"patent", 1, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 2, C1}, {1, 1, C1}, {1, 1, C2},
      {1, 3, C2}, {0, 1, C1}, {1, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    /* embodiment 2: each RNC its own group, no core; #7 empties RNC 0 */
    {"patent", 2, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 0, 0},
      {1, 0, 0}, {0, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
    {"patent", 2, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 2, 0}, {1, 1, 0}, {1, 0, 0},
      {1, 2, 0}, {0, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
    /* unicast: the new group key p2p to each remaining member; #7 leaves 3
     * and 0 */
    {"unicast", 1, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, C1}, {1, 0, 0},
      {1, 0, 0}, {2, 0, C1}, {1, 0, C1}, {0, 0, 0}, {1, 0, 0}}},
    /* join rekey: the others plus the joiner */
    {"unicast", 1, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {2, 0, C1}, {1, 0, C1}, {2, 0, C2},
      {3, 0, C2}, {2, 0, C1}, {1, 0, C1}, {0, 0, 0}, {1, 0, 0}}},
    {"unicast", 2, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0},
      {1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {0, 0, 0}, {1, 0, 0}}},
    {"unicast", 2, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {2, 0, 0}, {1, 0, 0}, {1, 0, 0},
      {2, 0, 0}, {0, 0, 0}, {1, 0, 0}, {0, 0, 0}, {1, 0, 0}}},
    /* 3gpp (msk-on-leave, no period): unicast's MSK messages plus, when
     * the keys change, the MTK p2m under the new MSK at each RNC where
     * members other than the joiner are (#4: RNC 0; #7, #8: RNC 1; join
     * rekey #3: RNC 0, #5: RNC 0 (RNC 1 has only the joiner), #6: both) */
    {"3gpp", 1, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 1, C1}, {1, 0, 0},
      {1, 0, 0}, {2, 1, C1}, {1, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    {"3gpp", 1, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {2, 1, C1}, {1, 1, C1}, {2, 1, C2},
      {3, 2, C2}, {2, 1, C1}, {1, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    /* embodiment 2: #7 empties RNC 0; #5 joins an empty RNC 1 */
    {"3gpp", 2, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 0, 0},
      {1, 0, 0}, {0, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
    {"3gpp", 2, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {2, 1, 0}, {1, 1, 0}, {1, 0, 0},
      {2, 1, 0}, {0, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
    /* sd (sd-capacity 2^20): a UE's leaf is its order of first join in
     * the scope's tree (e1: UE 0, 1, 2, 3 -> 0, 1, 2, 3; e2: RNC 0: 0, 1,
     * 2 -> 0, 1, 2; RNC 1: 3, 0 -> 0, 1); a leave sends the group key p2m
     * under each cover subset, per RNC with members in it; p01 and p23 are
     * the parents of leaves 0, 1 and 2, 3, every other leaf revoked; the
     * subsets with members at one RNC travel in one message there. #4
     * members {1}: S(p01, 0) at RNC 0. #7 members {0, 3} at RNC 1:
     * S(p01, 1) and S(p23, 2), one message. #8 {0}: S(p01, 1). Join rekey, the joiner
     * counted revoked: #3 {1}: S(p01, 0); #5 {1} at RNC 0: S(p01, 0);
     * #6 {1, 3}: S(p01, 0) at RNC 0, S(p23, 2) at RNC 1. */
    {"sd", 1, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {0, 1, C1}, {1, 0, 0},
      {1, 0, 0}, {0, 1, C1}, {0, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    {"sd", 1, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 1, C1}, {0, 1, C1}, {1, 1, C2},
      {1, 2, C2}, {0, 1, C1}, {0, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    /* embodiment 2: #4 RNC 0 {1}: S(p01, 0); #8 RNC 1 {UE 0: leaf 1}:
     * S(p01, 0); join rekey #3 {1}: S(p01, 0); #6 RNC 1 {UE 3: leaf 0}:
     * S(p01, 1) */
    {"sd", 2, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 0, 0},
      {1, 0, 0}, {0, 0, 0}, {0, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
    {"sd", 2, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {1, 0, 0},
      {1, 1, 0}, {0, 0, 0}, {0, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
    /* oft (joins always rekeyed; docs/schemes.md, "oft"). A join into an
     * empty tree: 1 p2p, and the group key changes (the root's key is made
     * from the joiner's fresh leaf key), so in embodiment 1 a core request
     * takes them to the joiner's RNC (#0, #2, #10: C1); into a tree of one member u (the root has room):
     * the joiner x becomes the root's other child, u (its sibling, a leaf)
     * gets a fresh leaf key with g(k_x) p2p, x its keys p2p: 2 p2p. A leave
     * leaving one member l: l's fresh leaf key p2p (its sibling is gone).
     * Embodiment 1, one tree: #5 root [1, 3]: 2 p2p, core to both RNCs.
     * #6 the root is full: down the left (ties) to UE 1, split into N =
     * [1, 0]; s = l = UE 1: its fresh leaf key and g(k_0) p2p; g(k_N) to
     * N's sibling UE 3, a leaf: p2p; the joiner p2p: 3 p2p (the full-tree
     * count for h = 1: 3 p2p, h - 1 = 0 p2m), core to both. #7 UE 0 takes
     * N's place, root [0, 3]: UE 0's fresh leaf key and g(k_3) (s was
     * promoted) in one p2p, g(k_0) to UE 3 p2p: 2 p2p, core to RNC 1. #8
     * root [0]: 1 p2p. */
    {"oft", 1, true,
     {{1, 0, C1}, {0, 0, 0}, {1, 0, C1}, {2, 0, C1}, {1, 0, C1}, {2, 0, C2},
      {3, 0, C2}, {2, 0, C1}, {1, 0, C1}, {0, 0, 0}, {1, 0, C1}}},
    /* embodiment 2: a tree per RNC, never more than 2 members: #3, #6 join
     * a one-member tree (2 p2p), #4, #8 leave one member (1 p2p) */
    {"oft", 2, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {2, 0, 0}, {1, 0, 0}, {1, 0, 0},
      {2, 0, 0}, {0, 0, 0}, {1, 0, 0}, {0, 0, 0}, {1, 0, 0}}},
    /* lkh, d = 2, embodiment 1 (one tree). #3 root [1, 2]; #4 root [1]: its
     * key p2p to 1; #5 root [1, 3]; #6 the root is full: UE 1 (lowest
     * position) is split into node N = [1, 0]: 1 gets N's key p2p, the
     * joiner its path; core to RNC 0 only (the split member's RNC has work,
     * the group key did not change). #7 N = [0]: N's key p2p to 0, the
     * root's key p2m under N (at RNC 1) and p2p to 3. #8 root [N]: p2m
     * under N. */
    {"lkh", 1, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, C1}, {1, 0, 0},
      {2, 0, C1}, {2, 1, C1}, {0, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    /* join rekey: #3 root key under its old version at RNC 0; #5 at RNC 0
     * (RNC 1 has only the joiner); #6 N is new (not rekeyed), the root key
     * at RNC 0 (UE 1) and RNC 1 (UE 3): 2 p2m; core along the tree */
    {"lkh", 1, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 1, C1}, {1, 0, C1}, {1, 1, C2},
      {2, 2, C2}, {2, 1, C1}, {0, 1, C1}, {0, 0, 0}, {1, 0, 0}}},
    /* embodiment 2: one tree per RNC, each at most 2 members: no split */
    {"lkh", 2, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0},
      {1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {0, 0, 0}, {1, 0, 0}}},
    {"lkh", 2, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 0, 0}, {1, 0, 0},
      {1, 1, 0}, {0, 0, 0}, {1, 0, 0}, {0, 0, 0}, {1, 0, 0}}},
    /* batch (patent tree, one event per batch): joins are always rekeyed;
     * a changed sub-group key goes p2p to its old members, the group key
     * p2m to every sub-group but those of batch joiners only (#0, #2, #5,
     * #10: the joiner's new sub-group gets nothing: it has the group key
     * p2p); core along the tree after the batch (E1). Join rekey does not
     * matter. */
    {"batch", 1, false,
     {{1, 0, C1}, {0, 0, 0}, {1, 0, C1}, {2, 1, C1}, {1, 1, C1}, {1, 1, C2},
      {2, 2, C2}, {0, 1, C1}, {1, 1, C1}, {0, 0, 0}, {1, 0, C1}}},
    {"batch", 1, true,
     {{1, 0, C1}, {0, 0, 0}, {1, 0, C1}, {2, 1, C1}, {1, 1, C1}, {1, 1, C2},
      {2, 2, C2}, {0, 1, C1}, {1, 1, C1}, {0, 0, 0}, {1, 0, C1}}},
    {"batch", 2, false,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {2, 1, 0}, {1, 1, 0}, {1, 0, 0},
      {2, 1, 0}, {0, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
    {"batch", 2, true,
     {{1, 0, 0}, {0, 0, 0}, {1, 0, 0}, {2, 1, 0}, {1, 1, 0}, {1, 0, 0},
      {2, 1, 0}, {0, 0, 0}, {1, 1, 0}, {0, 0, 0}, {1, 0, 0}}},
};

/* Events whose group key changes: every leave (a retirement when the group
 * empties), joins with join rekey into a non-empty group, and every batch
 * with a member left. */
static bool group_changes(const Case *c, guint i) {
  static const bool is_leave[N_EVENTS] = {0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0};
  /* joins into a non-empty group: #3 always; #5, #6 in embodiment 1 (RNC 0
   * still has UE 1); #6 also in embodiment 2 (UE 3 is there) */
  bool nonempty_join = i == 3 || i == 6 || (i == 5 && c->embodiment == 1);
  if (is_leave[i])
    return true;
  if (strcmp(c->scheme, "batch") == 0 || strcmp(c->scheme, "oft") == 0)
    return true; /* (oft: a join into an empty tree too, see its rows) */
  return c->join_rekey && nonempty_join;
}

/* Embodiment 2: the RNC seals a packet as it arrives from the BM-SC, which
 * sends one every PACKET_INTERVAL from t = PACKET_INTERVAL on; it arrives
 * DATA_DOWN later (two core hops and the Iu: their delays, transmission
 * under 0.1 ms). Counts the packets sealed at the RNC in (lo, hi), where
 * each bound is known only to within a band [x, x + band] (the leave's
 * arrival at the RNC depends on the request's transmission), and checks
 * that no packet falls inside a band (nor within 0.1 ms of one), so the
 * count is exact. */
#define DATA_DOWN (2.0 * CORE_DELAY + IU_DELAY)
static guint packets_sealed_between(double lo, double lo_band, double hi, double hi_band) {
  guint n = 0;
  for (guint k = 1; k * PACKET_INTERVAL < hi + 1.0; k++) {
    double sealed = k * PACKET_INTERVAL + DATA_DOWN;
    g_assert_false(sealed >= lo - 1e-4 && sealed <= lo + lo_band + 1e-4);
    g_assert_false(sealed >= hi - 1e-4 && sealed <= hi + hi_band + 1e-4);
    if (sealed > lo + lo_band && sealed < hi)
      n++;
  }
  return n;
}

/* A joiner counts as a member of its cell from the moment its RNC plans
 * the join, but holds no key until its keys arrive: embodiment 1 after the
 * accept's round trip through the core and the dedicated channel (2 x (Iu
 * + 2 core) + DCH delays, plus the request's transmission, under 50 bytes,
 * and the key assignment's, under 200: 194 in the bytes column);
 * embodiment 2 after the dedicated channel alone. That wait is shorter
 * than PACKET_INTERVAL, so each joiner can miss at most one packet: the
 * trace's 6 joins bound the members' missed receptions. */
static guint joiner_misses_bound(void) {
  double wait = 8.0 * 50 / DCH_RATE + 2.0 * (IU_DELAY + 2.0 * CORE_DELAY) + DCH_DELAY +
                8.0 * 200 / DCH_RATE;
  g_assert_cmpfloat(wait, <, PACKET_INTERVAL);
  return 6;
}

/* The trace's leaves, and how late a leave reaches its RNC: the dedicated
 * channel's delay plus at most 10 ms of transmission. */
static const double leave_times[] = {2, 5, 8, 9, 10};
#define LEAVE_ARRIVAL_MIN DCH_DELAY
#define LEAVE_ARRIVAL_BAND 0.01

/* Whether the leaver of each leave is the last member under its RNC (#1,
 * #7, #9 of the trace; #4 and #8 leave UE 1 and UE 0 behind). */
static const bool leaver_alone[] = {true, false, true, false, true};

/* Batch: a leaver is a member until the boundary after its leave reached
 * its RNC, so the packets its RNC seals in between are open to it, as
 * long as they still reach the RNC. The core routes data by its bearer
 * context (docs/flows.md, "How the core routes"): the SGSN drops the
 * leaver's context when the deactivation request passes it, Iu delay (plus
 * under 0.1 ms of transmission) after the RNC; from then on a leaver that
 * was the last member under its RNC gets nothing (the SGSN sends its RNC no
 * data). For such a leave the window is the packets sealed at the RNC
 * between the leave's arrival and the SGSN's learning of it: none, as
 * packets_sealed_between checks (no packet within either band). */
static guint batch_window_packets(void) {
  guint n = 0;
  G_STATIC_ASSERT(G_N_ELEMENTS(leaver_alone) == G_N_ELEMENTS(leave_times));
  for (guint i = 0; i < G_N_ELEMENTS(leave_times); i++) {
    double arrive = leave_times[i] + LEAVE_ARRIVAL_MIN;
    double boundary = (floor(arrive / BATCH_INTERVAL) + 1.0) * BATCH_INTERVAL;
    g_assert_cmpfloat(boundary, >, arrive + LEAVE_ARRIVAL_BAND);
    if (leaver_alone[i])
      g_assert_cmpuint(packets_sealed_between(arrive, LEAVE_ARRIVAL_BAND, arrive + IU_DELAY,
                                              LEAVE_ARRIVAL_BAND + 1e-4),
                       ==, 0);
    else
      n += packets_sealed_between(arrive, LEAVE_ARRIVAL_BAND, boundary, 0.0);
  }
  return n;
}

/* At the end: the members replayed from the trace and the UEs whose own
 * key rings hold a current group key (test_runs.h). */
typedef struct {
  guint replayed, holders;
} EndCheck;

static void at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  EndCheck *e = ctx;
  e->replayed = members_replayed(wl);
  e->holders = ring_holders_of_current_keys(net, tree, wl);
}

static void run_case(gconstpointer data) {
  const Case *c = data;
  char *ini = trace_ini(0.0);
  TmpScenario t = tmp_scenario(ini, trace_csv);
  g_free(ini);
  char *o[3];
  o[0] = g_strdup_printf("run.scheme=%s", c->scheme);
  o[1] = g_strdup_printf("run.embodiment=%d", c->embodiment);
  o[2] = g_strdup_printf("run.join-rekey=%s", c->join_rekey ? "true" : "false");
  const char *const overrides[] = {o[0], o[1], o[2], NULL};
  GError *error = NULL;
  Scenario *scn = scn_load(t.ini, overrides, &error);
  g_assert_no_error(error);
  EndCheck end = {0};
  RunHooks hooks = {.at_end = at_end, .ctx = &end, .verify_data = true};
  RunResult r;
  g_assert_true(run_scenario(scn, &hooks, &r, &error));
  g_assert_no_error(error);

  assert_clean(&r);
  g_assert_cmpuint(metrics_n_events(r.metrics), ==, N_EVENTS);
  bool batch = strcmp(c->scheme, "batch") == 0;
  double bound = latency_bound(batch);
  for (guint i = 0; i < N_EVENTS; i++) {
    const EventRecord *e = metrics_event(r.metrics, i);
    const Row *w = &c->rows[i];
    g_test_message("%s e%d rekey=%d event %u: %u p2p %u p2m %u core, latency %.4f (bound %.4f)",
                   c->scheme, c->embodiment, c->join_rekey, i, e->p2p_msgs, e->p2m_msgs,
                   e->core_msgs, metrics_event_latency(e), bound);
    assert_counts(e, (Counts){.p2p = w->p2p, .p2m = w->p2m, .p2m_tx = w->p2m, .core = w->core});
    g_assert_cmpuint(e->group_changed, ==, group_changes(c, i));
    g_assert_cmpfloat(metrics_event_latency(e), <=, bound);
  }
  /* LKH, embodiment 1, no join rekey, #6: the one request for some RNCs
   * (the group key did not change; RNC 0 has the split member's work). Its
   * bytes from docs/flows.md: N's key p2p to UE 1 (12 + 6 + 88), the
   * joiner's path p2p (N and the root: 12 + 6 + 2 x 88), the request with
   * the group key and N's new key, listing RNC 0, on two core hops
   * (12 + 5 + 2 x 88 + 2 + 4 each), the RAB assignment request to RNC 0
   * (12 + 5 + 2 x 88, no list). */
  if (strcmp(c->scheme, "lkh") == 0 && c->embodiment == 1 && !c->join_rekey) {
    uint64_t want =
        (12 + 6 + 88) + (12 + 6 + 2 * 88) + 2 * (12 + 5 + 2 * 88 + 2 + 4) + (12 + 5 + 2 * 88);
    g_assert_cmpuint(metrics_event(r.metrics, 6)->bytes, ==, want);
  }
  /* 3gpp, embodiment 2 (no core bytes): each message has the size of
   * its MIKEY message (docs/schemes.md, "3gpp", field by field) with each
   * 16-byte key value replaced by our 88-byte wrap. MSK message: HDR 10,
   * T 6, RAND 18, IDi 4 + 43, IDr 4 + 62, EXT 4 + 3 + 4, KEMAC 4 + 1 + 20
   * with a key data sub-payload of 4 + 16 per key; MTK message: HDR, T,
   * EXT 4 + 3 + 6, KEMAC with one key. #0 (a join into the empty group):
   * the joiner's MSK message with the MSK and the MTK; #4 (a leave, UE 1
   * stays): an MSK message and an MTK message. */
  if (strcmp(c->scheme, "3gpp") == 0 && c->embodiment == 2 && !c->join_rekey) {
    const uint64_t kemac = 4 + 1 + 20, key = 4 + 16;
    const uint64_t msk_1 = 10 + 6 + 18 + (4 + 43) + (4 + 62) + (4 + 3 + 4) + kemac + key;
    const uint64_t mtk_1 = 10 + 6 + (4 + 3 + 6) + kemac + key;
    g_assert_cmpuint(msk_1, ==, 203); /* the MIKEY sizes docs/schemes.md gives */
    g_assert_cmpuint(mtk_1, ==, 74);
    const uint64_t wrap = 88, value = 16;
    g_assert_cmpuint(metrics_event(r.metrics, 0)->bytes, ==, msk_1 + key + 2 * (wrap - value));
    g_assert_cmpuint(metrics_event(r.metrics, 4)->bytes, ==,
                     msk_1 + (wrap - value) + mtk_1 + (wrap - value));
  }
  /* no key wrap sent after a leave opens for the leaver, in any case */
  g_assert_cmpuint(r.summary.fwd_violations - r.summary.data_leaked, ==, 0);
  /* embodiment 2: the RNC switches the data to the new key as it sends it;
   * batch keeps the old key until the boundary (its documented window) */
  if (c->embodiment == 2 && !batch)
    g_assert_cmpuint(r.summary.data_leaked, ==, 0);
  /* embodiment 1 (docs/security.md): a packet the BM-SC sealed before the
   * leave reached it, but that the RNC transmits after the leave reached
   * the RNC, is open to the leaver. That window is the leave's way up
   * (Iu and two core hops) plus the packet's way down (the same): 24 ms,
   * shorter than PACKET_INTERVAL, so at most one packet per leave. */
  if (c->embodiment == 1 && !batch) {
    g_assert_cmpfloat(2.0 * DATA_DOWN, <, PACKET_INTERVAL);
    g_assert_cmpuint(r.summary.data_leaked, <=, G_N_ELEMENTS(leave_times));
  }
  if (batch) {
    guint window = batch_window_packets();
    if (c->embodiment == 2)
      g_assert_cmpuint(r.summary.data_leaked, ==, window);
    else /* plus at most the one packet per leave already in the core */
      g_assert_cmpuint(r.summary.data_leaked, >=, window);
    g_assert_cmpuint(r.summary.data_leaked, <=, window + 5);
  }
  /* join rekey (always in batch): nothing recorded before a join opens */
  if (c->join_rekey || batch)
    g_assert_cmpuint(r.summary.bwd_exposures, ==, 0);
  /* the key in use switches as the new key is sent, and the data follows
   * the key on the same links and common channel (FIFO), so without join
   * rekey a member misses only what reaches a joiner before its keys (with
   * join rekey, a joiner cannot read what was sealed before its key: that
   * is the point) */
  g_assert_cmpuint(r.summary.data_sent, >, 0);
  g_assert_cmpuint(r.data_verify_mismatches, ==, 0);
  if (!c->join_rekey && !batch)
    g_assert_cmpuint(r.summary.data_undecryptable_by_members, <=, joiner_misses_bound());
  /* UE 0 is the one member at the end, and the only UE whose own keys
   * include a current group key */
  g_assert_cmpuint(end.replayed, ==, 1);
  g_assert_cmpuint(r.summary.final_members, ==, 1);
  g_assert_cmpuint(end.holders, ==, 1);

  run_result_clear(&r);
  scn_free(scn);
  tmp_free(&t);
  for (int i = 0; i < 3; i++)
    g_free(o[i]);
}

/* With switch-delay, embodiment 2 keeps sealing under the old key for that
 * long after a leave's new key is sent (as the leave reaches the RNC): the
 * leaver reads those packets (the window the key is kept for), and the
 * members, who keep the previous key, read them too. Only the leaves that
 * leave members at their RNC (#4 and #8) have such a window; #1, #7 and #9
 * empty their RNC and retire its key at once. */
static void test_switch_window(void) {
  const double window = 0.45;
  char *ini = trace_ini(window);
  TmpScenario t = tmp_scenario(ini, trace_csv);
  g_free(ini);
  const char *const overrides[] = {"run.scheme=patent", "run.embodiment=2", NULL};
  GError *error = NULL;
  Scenario *scn = scn_load(t.ini, overrides, &error);
  g_assert_no_error(error);
  RunHooks hooks = {.verify_data = true};
  RunResult r;
  g_assert_true(run_scenario(scn, &hooks, &r, &error));
  g_assert_no_error(error);
  assert_clean(&r);
  guint expected = 0;
  static const double windowed[] = {5, 9};
  for (guint i = 0; i < G_N_ELEMENTS(windowed); i++) {
    double sent = windowed[i] + LEAVE_ARRIVAL_MIN;
    expected +=
        packets_sealed_between(sent, LEAVE_ARRIVAL_BAND, sent + window, LEAVE_ARRIVAL_BAND);
  }
  g_assert_cmpuint(expected, >=, 8); /* about window / PACKET_INTERVAL each */
  g_assert_cmpuint(r.summary.data_leaked, ==, expected);
  g_assert_cmpuint(r.summary.fwd_violations, ==, r.summary.data_leaked);
  /* After #4 and #8 one member stays at the RNC and installs the new key
   * at once, then hears the window's packets under the old one: at least 8
   * receptions that only the previous group key it keeps can open. Those
   * it must read; it may miss only what reaches a joiner before its keys. */
  g_assert_cmpuint(expected, >, joiner_misses_bound());
  g_assert_cmpuint(r.summary.data_undecryptable_by_members, <=, joiner_misses_bound());
  g_assert_cmpuint(r.data_verify_mismatches, ==, 0);
  run_result_clear(&r);
  scn_free(scn);
  tmp_free(&t);
}

/* ---- rejoin anywhere ------------------------------------------------------ */

/* 2 GGSNs, each 1 SGSN with 2 RNCs of 1 cell (cells 0..3; cells 2 and 3 are
 * under the other GGSN). UE 0 rejoins under every RNC in turn, twice around,
 * once 30 ms after its leave (before the deactivation's accept is back,
 * with UE 0 already camped elsewhere); UE 1 stays in cell 3 throughout. */
static const char *rejoin_csv = "time,action,ue,cell\n"
                                "0.5,join,1,3\n"
                                "1,join,0,0\n2,leave,0,\n3,join,0,1\n4,leave,0,\n5,join,0,2\n"
                                "6,leave,0,\n7,join,0,3\n8,leave,0,\n9,join,0,0\n10,leave,0,\n"
                                "10.03,join,0,2\n11,leave,0,\n12,join,0,1\n";

static void run_rejoin(gconstpointer data) {
  const char *scheme = data;
  for (int emb = 1; emb <= 2; emb++) {
    for (int rekey = 0; rekey <= 1; rekey++) {
      char *ini = g_strdup_printf(
          "[run]\nname = rejoin\nseed = 3\nduration = 14\nscheme = %s\nembodiment = %d\n"
          "join-rekey = %s\nlkh-degree = 2\nbatch-interval = 0.25\n"
          "[topology]\nggsn = 2\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\ncells-per-rnc = 1\n"
          "subgroup-size = 2\n"
          "[workload]\ninitial-members = 0\nevents = events.csv\n"
          "[security]\neavesdrop = all-cells\n",
          scheme, emb, rekey ? "true" : "false");
      TmpScenario t = tmp_scenario(ini, rejoin_csv);
      g_free(ini);
      GError *error = NULL;
      Scenario *scn = scn_load(t.ini, NULL, &error);
      g_assert_no_error(error);
      EndCheck end = {0};
      RunHooks hooks = {.at_end = at_end, .ctx = &end};
      RunResult r;
      g_assert_true(run_scenario(scn, &hooks, &r, &error));
      g_assert_no_error(error);
      g_assert_cmpuint(r.summary.joins, ==, 8);
      g_assert_cmpuint(r.summary.leaves, ==, 6);
      g_assert_cmpuint(r.summary.final_members, ==, 2);
      g_assert_cmpuint(end.replayed, ==, 2);
      g_assert_cmpuint(end.holders, ==, 2); /* UE 0 (cell 1) and UE 1 (cell 3) */
      g_assert_cmpuint(r.summary.unwrap_failures, ==, 0);
      g_assert_cmpuint(r.summary.link_drops, ==, 0);
      g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
      /* the one message that cannot arrive: the deactivation accept of the
       * leave at 10 s reaches RNC 0 after UE 0 camped under RNC 2 */
      g_assert_cmpuint(r.summary.rejected_msgs, ==, 1);
      if (strcmp(scheme, "broadcast") != 0)
        g_assert_cmpuint(r.summary.fwd_violations, ==, 0);
      run_result_clear(&r);
      scn_free(scn);
      tmp_free(&t);
    }
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *path = g_strdup_printf("/lifecycle/trace/%s/e%d/%s", cases[i].scheme,
                                 cases[i].embodiment, cases[i].join_rekey ? "rekey" : "no-rekey");
    g_test_add_data_func(path, &cases[i], run_case);
    g_free(path);
  }
  g_test_add_func("/lifecycle/switch-window", test_switch_window);
  static const char *schemes[] = {"patent", "unicast", "broadcast", "lkh",
                                  "batch",  "oft",     "sd",        "3gpp"};
  for (guint i = 0; i < G_N_ELEMENTS(schemes); i++) {
    char *path = g_strdup_printf("/lifecycle/rejoin/%s", schemes[i]);
    g_test_add_data_func(path, schemes[i], run_rejoin);
    g_free(path);
  }
  return g_test_run();
}
