/* ue.h — the UE (nodes/ue.c, ue_ring.c, ue_actions.c, ue_common.c): its key
 * ring, what it opens, what it starts.
 *
 * A UE opens MBMS key assignments with the keys it really holds (libsodium
 * decryption, no bookkeeping shortcut) and keeps only what it opened; it
 * keeps its keys after it leaves (that is what an eavesdropper would do).
 * Its state is private to those files (nodes/ue_ring.h); other files of
 * nodes/ use only this API.
 *
 * Includes only nodes/node.h.
 */
#pragma once
#include "nodes/node.h"

extern const NodeOps ue_ops;

/* The UE appears on `cell` (its radio camps there; on its first appearance
 * it gets its private key). */
void ue_appear(Net *net, uint32_t ue, uint32_t cell);
/* Starts a join / leave: the Activate / Deactivate MBMS context request on
 * the dedicated channel. */
void ue_start_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);
void ue_start_leave(Net *net, uint32_t ue, uint32_t seq);
/* Starts a handover to `cell` (radio first, then the cell update); joins,
 * leaves and moves wait behind a handover as net.h says. */
void ue_start_move(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);
/* Actions still waiting behind a handover. */
uint32_t ue_actions_waiting(const Net *net);
/* Provisioning (initial members, no message): gives the UE every key the
 * tree says it holds; ue_set_member marks it a member from its own view. */
void ue_sync_from_tree(Net *net, uint32_t ue);
void ue_set_member(Net *net, uint32_t ue);

/* Recovery (docs/reliability.md, nodes/ue_recovery.h; the radio's blocks
 * come through ue_ops.on_block). The UE sends an MBMS key request now, member or not (tests: a
 * departed UE asking anyway). */
void ue_request_keys(Net *net, uint32_t ue);
uint64_t ue_recovery_gave_up(const Net *net);
/* NAS (nodes/ue_nas.h): context requests sent again, procedures aborted. */
uint64_t ue_nas_resent(const Net *net);
uint64_t ue_nas_gave_up(const Net *net);

/* Inspection (net.h's, for reports and tests). */
bool ue_holds_group_key(const Net *net, uint32_t ue, const KtKey *key);
uint32_t ue_keys_held(const Net *net, uint32_t ue);
bool ue_can_open(const Net *net, uint32_t ue, const KtWrap *wrap);
void ue_copy_keys(const Net *net, uint32_t ue, GArray *out);
uint64_t ue_data_verify_mismatches(const Net *net);
uint32_t ue_pending_wraps(const Net *net);
uint32_t ue_member_pending_wraps(const Net *net);
