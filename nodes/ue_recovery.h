/* ue_recovery.h — the UE's side of key recovery (nodes/ue_recovery.c), a
 * part of the UE element used only by nodes/ue.c: when a UE decides it
 * misses a key and asks its RNC for its current keys (docs/reliability.md).
 *
 * Detection (each arms the UE's recovery timer, `timeout` seconds):
 *   - its radio lost a key-assignment block on its cell (a later repetition
 *     of the same block makes it good), or an RLC reset discarded a frame
 *     of its dedicated channel;
 *   - a wrap under a newer version of a key it holds waits for that key;
 *   - a data packet or wrap names a newer version of its group key.
 * When the timer fires, a member that still misses something (a lost block
 * not made good, a waiting wrap, a newer group key seen, or an unanswered
 * request) sends an MBMS key request and waits `retry` seconds for the
 * answer before asking again; after RECOVERY_MAX_TRIES unanswered requests
 * in a row it gives up (counted by the caller).
 *
 * Memory: 12 bytes per UE id, allocated only with recovery on.
 * Includes only nodes/node.h.
 */
#pragma once
#include "nodes/node.h"

#define RECOVERY_MAX_TRIES 8u

typedef struct UeRecovery UeRecovery;

UeRecovery *ue_recovery_new(uint32_t ue_capacity);
void ue_recovery_free(UeRecovery *rec);

/* Detection. `block`: the number of a key-assignment block (loss.h), 0 for
 * a discarded dedicated-channel frame. */
void ue_recovery_block(Net *net, UeRecovery *rec, uint32_t ue, uint32_t block, bool lost);
void ue_recovery_waiting(Net *net, UeRecovery *rec, uint32_t ue);
/* `group`: a newer version of the UE's own group key (same id). */
void ue_recovery_seen(Net *net, UeRecovery *rec, uint32_t ue, KtKeyRef group);
/* A new membership (a join): what it missed before no longer applies (its
 * group key may have another id now). */
void ue_recovery_reset(UeRecovery *rec, uint32_t ue);
/* The answer came and was processed. `still_waiting`: wraps still wait
 * at the UE for a key; the answer (the current keys of its place) did not
 * give it, so it is a try like an unanswered request, and a UE gives up
 * after RECOVERY_MAX_TRIES of either instead of asking once per `retry`
 * for ever. Otherwise the count starts again (a later loss is a new one). */
void ue_recovery_answered(UeRecovery *rec, uint32_t ue, bool still_waiting);
/* A stateless scheme's member (kt_tree_stateless: sd) installed a newer
 * group key from a key assignment: every rekey of such a scheme carries
 * the whole group key to every member, so the key-assignment blocks it
 * lost before need no request (a newer key one of them held would show
 * in a data packet or wrap: detection 3). A dedicated frame lost for good
 * still does. */
void ue_recovery_superseded(UeRecovery *rec, uint32_t ue);

/* The timer fired: true if the UE must send a key request now (the timer
 * is then armed again for `retry`). `member`: the UE's own view; `held`:
 * its group key's ref; `waiting`: wraps wait for a key at it. */
bool ue_recovery_due(Net *net, UeRecovery *rec, uint32_t ue, bool member, KtKeyRef held,
                     bool waiting);
/* Requests given up (RECOVERY_MAX_TRIES in a row unanswered or in vain). */
uint64_t ue_recovery_abandoned(const UeRecovery *rec);
/* The UE's timer number for net_set_timer (ue.c dispatches it here). */
#define UE_TIMER_RECOVERY 1u
