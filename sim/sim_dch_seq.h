/* sim_dch_seq.h — in-sequence delivery on the dedicated channels (RLC
 * acknowledged mode, 3GPP TS 25.322: the receiving RLC entity hands SDUs up
 * in sequence). C++ only, internal to sim/: sim_radio.cc is its one user,
 * sim_core.cc calls its reset.
 *
 * A sequence space is one UE, one direction (downlink: received at the UE;
 * uplink: received at the RNC) and one attachment of the UE's radio to a
 * RAN: a camping on another RAN (sim_ran_attach) starts a new one, as the
 * SRNS relocation re-establishes RLC, so frames still on their way in the
 * old RAN never hold up the new one's. Each frame is numbered when it is
 * first handed to the channel (retransmissions keep the number). A frame
 * is *resolved* when it arrives intact (delivered) or is lost for good
 * (retransmissions exhausted, or its retransmission fell due while the UE
 * was camped on another RAN). A frame resolved while an earlier one of its
 * space is unresolved is held here; when the earliest unresolved frame is
 * resolved, it and every held frame now in sequence are handed up, in
 * order, at that instant (lost ones hand up nothing).
 *
 * Only RANs with a lossy dedicated channel number frames (without loss a
 * channel is FIFO and every frame arrives in sequence: nothing changes).
 * Every unresolved frame has one pending ns-3 event (its arrival or its
 * retransmission) that resolves it, so a run that ends with no event left
 * holds nothing; what a run stopped early still holds is freed by
 * dch_seq_reset (sim_destroy).
 *
 * Memory: with numbering on, 20 bytes per node id (the current
 * attachment's counters: attachment number, next number to send and next
 * to hand up, each way); per held frame its delivery event; per past
 * attachment with frames still unresolved, one map entry.
 */
#pragma once

#include "sim/sim.h"

#include <ns3/event-impl.h>
#include <ns3/ptr.h>

#include <cstddef>
#include <cstdint>

namespace simint {

/* A frame's place: its attachment and its number within it. */
struct DchSeqNo {
  uint32_t attach;
  uint32_t seq;
};

/* Whether frames are numbered (a RAN has a lossy dedicated channel). */
bool dch_seq_on();
/* Turns numbering on (sim_ran_set_dch_loss); frames sent before are not
 * numbered and are handed up as they arrive. */
void dch_seq_enable();
/* The number of a new frame of `ue` in direction `uplink`. */
DchSeqNo dch_seq_number(SimNodeId ue, bool uplink);
/* `ue`'s radio camped on another RAN: a new sequence space each way; the
 * old one lives on while frames of it are unresolved. */
void dch_seq_reattach(SimNodeId ue);
/* Frame `no` was resolved. If it is the next one to hand up, its window
 * advances and true is returned: the caller hands it up now (if it
 * arrived), then calls dch_seq_flush. Otherwise false: the caller holds it
 * with dch_seq_hold. */
bool dch_seq_take(SimNodeId ue, bool uplink, DchSeqNo no);
/* Keeps resolved frame `no` until the frames before it are resolved:
 * `deliver` hands it up (null: it was lost for good, nothing to hand up). */
void dch_seq_hold(SimNodeId ue, bool uplink, DchSeqNo no, ns3::Ptr<ns3::EventImpl> deliver);
/* Hands up, in order, the held frames of (ue, uplink, attach) that are now
 * in sequence. Safe against deliveries that send, move the UE or resolve
 * other frames. */
void dch_seq_flush(SimNodeId ue, bool uplink, uint32_t attach);
/* Frames held now (resolved, waiting for an earlier one). */
size_t dch_seq_held();
/* Drops every window and held frame. */
void dch_seq_reset();

} // namespace simint
