/* radio.h — the radio network: one RAN per RNC (sim/'s dedicated and common
 * channels), where each UE's radio is camped now, and who listens to the
 * MBMS bearer of each cell.
 *
 * Camping is the radio network's, not the key server's: a UE's radio stays
 * on its last cell after it leaves (a departed UE keeps listening, as an
 * eavesdropper would) and moves when it rejoins elsewhere. The bearer of a
 * cell is the set of UEs the network has admitted to the session there:
 * added when the context is accepted (or, with batch rekeying, when the
 * batch applies it), removed on deactivation; a common-channel transmission
 * reaches these listeners, and each UE then opens what its own key ring
 * allows (nodes/ue.c).
 *
 * The holders index: for each cell and sub-group (or LKH node) key id, the
 * UEs camped on the cell whose OWN key ring holds that id. The UEs keep it
 * (nodes/ue.c: as they install keys, when they start a new membership and
 * when they camp elsewhere); a common-channel key assignment under such a
 * key goes to those of them that listen to the cell's bearer
 * (nodes/transport.c), at a cost proportional to the holders.
 *
 * Memory: per UE id its sim node and cell (8 bytes, the listening flag in
 * the cell's top bit), per listener one uint32 in its cell's array
 * (swap-removal, no per-UE position), per indexed (UE, key id) one
 * RadioLink (8 bytes) in the UE's own key slot, and one hash entry per
 * (cell, key id) with holders (its first and last holder); per list read
 * and unchanged since, a copy of it (4 bytes per holder: reading a list
 * from its links is a cache miss per holder).
 * Includes only sim/ and GLib.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

typedef struct Radio Radio;

/* UE ids are < ue_capacity; UE nodes are created from now on (every sim
 * node created after this call by radio_camp is a UE's). */
Radio *radio_new(uint32_t n_rnc, uint32_t cells_per_rnc, uint32_t ue_capacity);
void radio_free(Radio *radio);
/* The RAN of the next RNC (call once per RNC, in RNC order). */
void radio_add_ran(Radio *radio, uint32_t rnc, SimNodeId rnc_node, const SimChannel *dch,
                   const SimChannel *common);
SimRanId radio_ran(const Radio *radio, uint32_t rnc);

/* Camps `ue`'s radio on global cell `cell` (creating its node on first
 * appearance: then true). */
bool radio_camp(Radio *radio, uint32_t ue, uint32_t cell);
/* A handover: `ue` (seen) camps on `cell` (radio_camp: under another RNC
 * its radio attaches to that RNC's RAN) and, if it listens to the MBMS
 * bearer of its old cell, it listens to the new cell's instead: from now
 * on it hears the new cell's common channel and no longer the old one
 * (docs/flows.md, "Handover"). */
void radio_move(Radio *radio, uint32_t ue, uint32_t cell);
/* Whether `ue` listens to the bearer of `cell`. */
bool radio_bearer_has(const Radio *radio, uint32_t ue, uint32_t cell);
bool radio_ue_seen(const Radio *radio, uint32_t ue);
SimNodeId radio_ue_node(const Radio *radio, uint32_t ue);
uint32_t radio_ue_cell(const Radio *radio, uint32_t ue); /* current (or last) */
uint32_t radio_ue_rnc(const Radio *radio, uint32_t ue);
/* Whether RNC `rnc`'s dedicated channels reach `ue` (camped under it now). */
bool radio_reaches(const Radio *radio, uint32_t rnc, uint32_t ue);
/* A hint, no effect: `ue`'s camping record into the cache. */
void radio_prefetch_ue(const Radio *radio, uint32_t ue);
/* A hint, no effect: the record of which UE sim node `node` is, into the
 * cache (radio_ue_of_node reads it). */
void radio_prefetch_node(const Radio *radio, SimNodeId node);
/* The UE of sim node `node`, if it is a UE's. */
bool radio_ue_of_node(const Radio *radio, SimNodeId node, uint32_t *ue);
uint32_t radio_n_ues_seen(const Radio *radio);

/* The MBMS bearer of a cell. */
void radio_bearer_join(Radio *radio, uint32_t ue, uint32_t cell);
void radio_bearer_leave(Radio *radio, uint32_t ue, uint32_t cell);
/* Listeners of `cell`; the array is the radio's, valid until the next change. */
const uint32_t *radio_bearer_ues(const Radio *radio, uint32_t cell, guint *n);
/* Listeners of the cells of `rnc`, of every cell. */
guint radio_rnc_listeners(const Radio *radio, uint32_t rnc);
guint radio_listeners(const Radio *radio);
/* Global cells of `rnc` with at least one listener, into `out` (uint32, ascending). */
void radio_bearer_cells(const Radio *radio, uint32_t rnc, GArray *out);
/* Whether `ue` listens to the bearer of the cell it is camped on. */
bool radio_listening(const Radio *radio, uint32_t ue);

/* The holders index (see above). Its lists are threaded through the
 * holders' own key slots: each indexed (UE, key id) has one RadioLink in the
 * UE owner's slot for that key (nodes/ue.c), and the index keeps per (cell,
 * key id) only its first and last holder, so it allocates nothing per
 * holder. The order of a list is that of an array with appends and
 * swap-removal (the last holder takes the removed one's place), the order
 * in which the holders hear a transmission. */
typedef struct {
  uint32_t next, prev; /* UE ids in the (cell, key id) list, RADIO_NO_UE at its ends */
} RadioLink;
#define RADIO_NO_UE 0xffffffffu
/* Where the index finds the link of `ue`'s entry for `key_id` (an indexed
 * entry): the slots belong to the UEs' owner, which sets this once. */
typedef RadioLink *(*RadioLinkOf)(void *ctx, uint32_t ue, uint32_t key_id);
void radio_index_set_links(Radio *radio, RadioLinkOf link_of, void *ctx);
/* `ue`, camped on its current cell, holds (or no longer holds) key id
 * `key_id` in its own ring; `link` is that entry's link (the caller's
 * storage, which may not yet name the key: the index never asks link_of for
 * `ue` itself). A UE that camps elsewhere is removed before and added after
 * (nodes/ue.c). */
void radio_index_add(Radio *radio, uint32_t ue, uint32_t key_id, RadioLink *link);
/* The id under which a UE indexes itself to hear every key assignment under
 * a sub-group or node key on its cell (an LKH joiner waiting for its keys,
 * nodes/ue.c); no key has it (it is a core key id, and core keys never
 * wrap for UEs). */
#define RADIO_INDEX_ANY 0xffffffffu
void radio_index_remove(Radio *radio, uint32_t ue, uint32_t key_id, RadioLink *link);
/* Appends the UEs indexed for (cell, key id) that listen (radio_listening)
 * to `out` (uint32), in the list's order; returns how many. Not const: it
 * keeps what it read for the next call (radio.c's snapshots). */
guint radio_index_listeners(Radio *radio, uint32_t cell, uint32_t key_id, GArray *out);
