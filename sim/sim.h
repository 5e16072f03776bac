/* sim.h — the simulator facade: ns-3 behind a plain C API.
 *
 * One simulation per process at a time (ns-3's Simulator is a singleton):
 * sim_init() ... sim_run() ... sim_destroy(). No other folder includes an
 * ns-3 header; the C++ lives in the .cc files of sim/, behind extern "C".
 *
 * Nodes: every network element and every UE is an ns-3 Node, named here by
 * its index (SimNodeId, dense from 0 in creation order).
 *
 * Events: equal-time events fire in insertion order (ns-3's scheduler breaks
 * ties by a sequence number), so runs are deterministic.
 *
 * Bytes: every message crosses a channel as an ns-3 Packet whose payload is
 * exactly the bytes given to the send call; the receiver gets a copy of
 * them. Receivers must treat them as untrusted.
 */
#pragma once
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t SimNodeId;
typedef uint32_t SimLinkId;
typedef uint32_t SimRanId;

typedef void (*SimEventFn)(void *ctx, uint64_t arg);

/* The parameters of one channel class: every core link, every Iu link,
 * every dedicated channel, every cell's common channel of a class shares
 * them. The one place a new channel parameter (loss, say) is added: the
 * scenario fills it (app/), nodes/ passes it along whole, sim/ applies it. */
typedef struct {
  double rate;  /* bit/s, > 0 */
  double delay; /* s, one-way propagation delay, >= 0 */
} SimChannel;

void sim_init(void);
/* Destroys every node, link and pending event (Simulator::Destroy). */
void sim_destroy(void);

/* Times are held in ns-3's default resolution: delays and transmission
 * times are rounded to the nearest nanosecond. */
double sim_now(void); /* seconds */
/* Runs fn(ctx, arg) after delay_s (>= 0) seconds of simulated time. */
void sim_schedule(double delay_s, SimEventFn fn, void *ctx, uint64_t arg);
/* Runs until no event is left, or until `until_s` if > 0. */
void sim_run(double until_s);
/* Before the run (at time 0): runs now the events ns-3 has pending at time
 * 0 (the initialisation of the nodes and devices made so far: ns-3
 * schedules one per node and per device), instead of keeping them in
 * memory until the run (~150 B per UE node). They run in the order and at
 * the time they would run at the start of sim_run: while the network is
 * built and provisioned nothing is sent, and events the simulation
 * scheduled for later times stay pending. Does nothing once the
 * simulation has scheduled an event of its own for time 0 (it must not
 * run before the rest of the set-up). */
void sim_settle(void);
/* Events executed by ns-3 so far in this simulation (sim_settle's own
 * stops not counted). */
uint64_t sim_events_executed(void);

SimNodeId sim_node_new(void);
uint32_t sim_node_count(void);

/* ---- receive side: one set of callbacks for the whole simulation ---- */
typedef struct {
  /* a packet arrived over a point-to-point link at node `to` from node `from` */
  void (*on_link)(void *ctx, SimLinkId link, SimNodeId to, SimNodeId from, const uint8_t *bytes,
                  size_t len);
  /* a dedicated-channel packet arrived: uplink at the RNC (to = RNC node,
   * ue = sender) or downlink at the UE (to = UE node); with a lossy
   * dedicated channel, in sequence (sim_dch_frames_held) */
  void (*on_dch)(void *ctx, SimRanId ran, SimNodeId to, SimNodeId ue, const uint8_t *bytes,
                 size_t len);
  /* a common-channel transmission arrived at every UE of cell `cell`
   * (0-based within the RAN): one event per transmission, the receivers are
   * the UEs camped on the cell, dispatched by the caller */
  void (*on_common)(void *ctx, SimRanId ran, uint32_t cell, const uint8_t *bytes, size_t len);
  /* RLC acknowledged mode (sim_ran_set_dch_loss): a frame on UE `ue`'s
   * dedicated channel was lost and is sent again (lost_for_good false), or
   * was lost beyond the retransmission limit, or could not be sent again
   * because the UE camped under another RAN (true). May be NULL. */
  void (*on_dch_loss)(void *ctx, SimRanId ran, SimNodeId ue, const uint8_t *bytes, size_t len,
                      bool lost_for_good);
  /* A hint, may be NULL, no effect on the run: a downlink dedicated-channel
   * frame to UE node `ue` is among the next of its RAN to arrive (the RAN's
   * frames in flight, in the order they were sent), so what on_dch will
   * read for it can be fetched into the cache: at `step` 1 (8 arrivals
   * ahead) what leads to it, at step 0 (4 ahead) the rest. */
  void (*on_dch_soon)(void *ctx, SimNodeId ue, unsigned step);
  void *ctx;
} SimReceiver;

void sim_set_receiver(const SimReceiver *receiver);

/* ---- core and Iu links: ns-3 point-to-point links ---- */
/* A full-duplex point-to-point link (ns-3 PointToPointNetDevice/Channel) with
 * the channel's rate and one-way propagation delay. Queues never drop
 * (their limit is raised); sim_link_drops() reports any drop all the same. */
SimLinkId sim_link_new(SimNodeId a, SimNodeId b, const SimChannel *channel);
/* Bytes the link adds to every packet on the wire (the PPP header of ns-3's
 * point-to-point device): a packet of len bytes sent on an idle link arrives
 * (len + SIM_LINK_OVERHEAD_BYTES) * 8 / rate + delay later; packets
 * queue FIFO behind the one being transmitted. */
#define SIM_LINK_OVERHEAD_BYTES 2
/* Sends from `from` (one end of the link) to the other end. */
void sim_link_send(SimLinkId link, SimNodeId from, const uint8_t *bytes, size_t len);
uint64_t sim_link_drops(void);

/* ---- radio access network of one RNC ---- */
/* Dedicated channels (one per UE, each way serialised at dch->rate with
 * dch->delay) and n_cells common channels (serialised at common->rate with
 * common->delay, broadcast to the cell). Built from a lean NetDevice/Channel
 * of our own: one device on the RNC node and one per UE node. */
SimRanId sim_ran_new(SimNodeId rnc, uint32_t n_cells, const SimChannel *dch,
                     const SimChannel *common);
/* Camps `ue`'s radio on this RAN: the first call gives the UE node its one
 * radio device; a later call with another RAN moves that device there (the
 * UE's dedicated channel is then to this RAN's RNC, whose messages alone
 * reach it). A UE keeps its radio after it leaves, as a real handset does.
 * Packets already in flight on the old RAN's dedicated channel still arrive
 * and are reported with the RAN they crossed. */
void sim_ran_attach(SimRanId ran, SimNodeId ue);
/* Whether `ue`'s radio is camped on this RAN now. */
bool sim_ran_has_ue(SimRanId ran, SimNodeId ue);
/* A hint, no effect on the run: a frame to or from UE node `ue` on its
 * dedicated channel is sent soon. Fetches the one record a downlink send
 * reads (where the UE is camped, its channel's busy times) into the cache. */
void sim_dch_prefetch(SimNodeId ue);
/* Uplink (UE -> RNC) or downlink (RNC -> UE) on the UE's dedicated channel. */
void sim_dch_up(SimRanId ran, SimNodeId ue, const uint8_t *bytes, size_t len);
void sim_dch_down(SimRanId ran, SimNodeId ue, const uint8_t *bytes, size_t len);
/* One transmission on the common channel of cell `cell` of this RAN. Its
 * arrival time is fixed now; while earlier ones of the cell are still on
 * the air it waits in a compact queue of the cell (its bytes, shared with
 * the other cells the same bytes are sent on next, and its arrival time)
 * and becomes an ns-3 Packet and event when the one before it arrives
 * (sim_radio.cc). */
void sim_common_send(SimRanId ran, uint32_t cell, const uint8_t *bytes, size_t len);

/* ---- loss ---- */
/* Loss models (sim_loss.cc). Every draw comes from ns-3's generator:
 * sim_loss_seed sets its run number to the scenario's seed (call after
 * sim_init, before creating models), and each model draws from its own
 * RandomVariableStream, numbered `stream` (a fixed number per use, so that
 * one model's draws never shift another's). */
typedef uint32_t SimLossId;
typedef enum { SIM_LOSS_NONE, SIM_LOSS_BERNOULLI, SIM_LOSS_GILBERT_ELLIOTT } SimLossModel;
typedef struct {
  SimLossModel model;
  double rate;                /* bernoulli: loss probability per reception */
  double loss_good, loss_bad; /* gilbert-elliott: loss probability per state */
} SimLossParams;
/* The receivers' two-state radio condition (gilbert-elliott): rates of the
 * continuous-time chain (1/s) and the probability of the bad state at a
 * receiver's first reception. One per run, shared by the models. */
typedef struct {
  double good_to_bad, bad_to_good, bad_fraction;
} SimLossStates;
void sim_loss_seed(uint64_t seed);
/* Before any gilbert-elliott model; `stream` numbers the state draws. */
void sim_loss_set_states(const SimLossStates *states, int64_t stream);
SimLossId sim_loss_new(const SimLossParams *params, int64_t stream);
/* One reception at node `receiver` now: true if it is lost. One draw per
 * call (gilbert-elliott: and one for the receiver's state). */
bool sim_loss_lost(SimLossId loss, SimNodeId receiver);
bool sim_loss_is_none(SimLossId loss);
/* RLC acknowledged mode on every dedicated channel of `ran`: each frame's
 * arrival is a reception at the UE's node (downlink; uplink: the UE's node
 * too, its radio condition) drawn from `loss`; a lost frame is sent again
 * dch_delay after the time it would have arrived (the status report's way
 * back), serialised again, up to `max_retx` retransmissions; reported
 * through receiver.on_dch_loss. */
void sim_ran_set_dch_loss(SimRanId ran, SimLossId loss, uint32_t max_retx);
/* With a lossy dedicated channel, frames are handed up in sequence, as RLC
 * AM does (sim_dch_seq.h): per UE, direction (downlink at the UE, uplink at
 * the RNC) and attachment to a RAN, a frame that arrives while an earlier
 * one is still on its way (lost, to be sent again) is held until every
 * earlier one has arrived (then it is handed up right after them, at the
 * same instant) or was lost for good (then at that instant). The frames
 * held now: 0 once sim_run(0) has returned (every unheld frame has a
 * pending event that resolves it); sim_destroy frees what a run stopped
 * early holds. */
size_t sim_dch_frames_held(void);
/* Bernoulli loss of every frame arriving over `link` (both ways): ns-3's
 * RateErrorModel as the receive error model of both devices (stream
 * numbers `stream` and `stream + 1`); a lost frame is a PhyRxDrop, counted
 * by sim_link_drops(). */
void sim_link_set_loss(SimLinkId link, double rate, int64_t stream);

/* ---- pcap traces ---- */
/* Every frame of `link`, both directions, is written to the pcap file at
 * `path` as it starts on the wire (the PhyTxBegin trace of ns-3's
 * PointToPointNetDevice, written by ns-3's PcapFileWrapper): link-layer
 * type DLT_PPP (9), the 2-byte PPP header of the device, then the payload
 * given to sim_link_send. Links traced into the same path share its file.
 * false if the file cannot be created. */
bool sim_pcap_link(SimLinkId link, const char *path);
/* Every dedicated-channel packet (both ways) and every common-channel
 * transmission of RAN `ran` is written to the pcap file at `path` when it is
 * handed to the channel (sim_dch_up, sim_dch_down, sim_common_send):
 * link-layer type SIM_PCAP_DLT_RADIO, a SIM_PCAP_RADIO_HEADER_BYTES header,
 * then the payload exactly as given:
 *   channel u8: SIM_PCAP_DCH_UP, SIM_PCAP_DCH_DOWN or SIM_PCAP_COMMON
 *   reserved u8 (0)
 *   cell u16 little-endian: the cell within the RAN (common), 0xffff (dedicated)
 *   ue node u32 little-endian: the UE's SimNodeId (dedicated), 0xffffffff (common)
 * false if the file cannot be created. */
#define SIM_PCAP_DLT_RADIO 147 /* DLT_USER0: the user range 147..162 */
#define SIM_PCAP_RADIO_HEADER_BYTES 8
enum { SIM_PCAP_DCH_UP = 0, SIM_PCAP_DCH_DOWN = 1, SIM_PCAP_COMMON = 2 };
bool sim_pcap_ran(SimRanId ran, const char *path);
/* Closes every trace file; false if writing any of them failed. Also done
 * (without the answer) by sim_destroy. */
bool sim_pcap_close(void);

/* The ns-3 release compiled against, e.g. "3.37" (static). */
const char *sim_ns3_version(void);

/* ---- benchmark support ---- */
/* Schedules and runs `n` empty events through the same ns-3 scheduler
 * (bare scheduling rate); returns wall seconds. Call between sim_init and
 * the real run, or in a separate sim_init/sim_destroy. */
double sim_bench_bare_events(uint64_t n);

#ifdef __cplusplus
}
#endif
