/* ue_nas.h — the UE's higher-layer (NAS) retransmission of its context
 * requests (nodes/ue_nas.c), a part of the UE element used only by
 * nodes/ue.c (docs/reliability.md, "Lost signalling").
 *
 * Modelled on 3GPP TS 24.008's session-management timers of the MS: an
 * Activate MBMS context request starts T3380, a deactivation request
 * T3390; at each expiry with no accept the request is sent again, at most
 * `nas_retx` times; at the next expiry the procedure is aborted (counted:
 * a join aborted leaves the UE outside the group as it sees it, a leave
 * aborted is a local deactivation). Key requests need none of this: the
 * recovery's own retry re-sends them (ue_recovery.h).
 *
 * Active only when the dedicated channels are lossy (the only case where
 * a context message can be lost for good on the radio). One procedure per
 * UE at a time: a leave started while the join's accept is still awaited
 * replaces the join. State: a hash entry per UE with a procedure in
 * flight (none per UE otherwise).
 * Includes only nodes/node.h.
 */
#pragma once
#include "nodes/node.h"

typedef enum { UE_NAS_JOIN = 1, UE_NAS_LEAVE = 2 } UeNasProc;

typedef enum {
  UE_NAS_NOTHING, /* a stale timer (answered, or a newer procedure) */
  UE_NAS_RESEND,  /* send the request again (timer armed again) */
  UE_NAS_ABORT,   /* the limit is reached: the procedure is given up */
} UeNasDue;

typedef struct UeNas UeNas;

UeNas *ue_nas_new(void);
void ue_nas_free(UeNas *nas);

/* The UE sent the request of procedure `proc` for event `seq`: T3380 (a
 * join) or T3390 (a leave) starts. */
void ue_nas_start(Net *net, UeNas *nas, uint32_t ue, UeNasProc proc, uint32_t seq);
/* The accept of `proc` arrived: the procedure ends (no-op if none). */
void ue_nas_done(UeNas *nas, uint32_t ue, UeNasProc proc);
/* The UE's NAS timer `timer` fired: what to do. On UE_NAS_RESEND and
 * UE_NAS_ABORT, *proc and *seq name the procedure. */
UeNasDue ue_nas_due(Net *net, UeNas *nas, uint32_t ue, uint32_t timer, UeNasProc *proc,
                    uint32_t *seq);
/* Requests sent again, procedures aborted. */
uint64_t ue_nas_retransmissions(const UeNas *nas);
uint64_t ue_nas_aborted(const UeNas *nas);

/* The UE's timer numbers for net_set_timer: UE_TIMER_NAS in the low byte,
 * a 16-bit generation above it (a timer of an ended procedure is stale). */
#define UE_TIMER_NAS 2u
#define UE_TIMER_KIND(timer) ((timer)&0xffu)
