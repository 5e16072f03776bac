/* recovery.h — the key holder's side of key recovery (nodes/recovery.c),
 * called by the RNC element for an MBMS key request (docs/reliability.md).
 *
 * The RNC answers in both embodiments: it owns the sub-group (node) keys,
 * holds its scope's group key (its own in embodiment 2; its copy from the
 * BM-SC in 1, the one it sends point-to-multipoint) and learned every
 * membership change from the context activations it handled; the BM-SC of
 * embodiment 1 does not hold the sub-group keys, and asking it would add a
 * core round trip.
 *
 * Multicast rounds ([reliability] multicast-rounds = m > 0, Zhang et al.'s
 * reactive rounds): the requests a RNC takes up during a round (round-length
 * seconds from the first) are answered together at its end by re-sending
 * the group key point-to-multipoint on the cells that asked, each asker
 * being served so at most m times per group key of its RNC; then by
 * unicast as without rounds. State (RecoveryRounds) only with m > 0.
 *
 * Includes only nodes/node.h.
 */
#pragma once
#include "nodes/node.h"

typedef struct RecoveryRounds RecoveryRounds;

/* NULL unless net->cfg.loss.multicast_rounds > 0. */
RecoveryRounds *recovery_rounds_new(const Net *net);
void recovery_rounds_free(RecoveryRounds *rounds);

/* UE `req->ue`'s request reached `rnc` (from `from`). A member of the key
 * tree camped under this RNC gets an MBMS key recovery on its dedicated
 * channel: each key it should hold now (sub-group or node keys per the
 * tree, the group key per the RNC's `group`), wrapped under its private key,
 * counted against event `group_seq` (the event that made `group`); with
 * rounds, it may join the RNC's round instead (then true is returned once
 * the round must be timed: the caller sets RNC timer `round_timer` after
 * round-length seconds). Anyone else is refused (observer on_refused) and
 * gets nothing. */
bool recovery_answer(Net *net, RecoveryRounds *rounds, uint32_t rnc, NetElement from,
                     const Msg *req, const KtKey *group, uint32_t group_seq);
/* The round of `rnc` ends: the group key `group` is sent
 * point-to-multipoint, one key assignment per distinct key it is wrapped
 * under (the askers' lowest sub-group or node key per the tree), on the
 * cells whose askers hold that key (observer on_round). */
void recovery_round_end(Net *net, RecoveryRounds *rounds, uint32_t rnc, const KtKey *group);
