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
 * Includes only nodes/node.h.
 */
#pragma once
#include "nodes/node.h"

/* UE `req->ue`'s request reached `rnc` (from `from`). A member of the key
 * tree camped under this RNC gets an MBMS key recovery on its dedicated
 * channel: each key it should hold now (sub-group or node keys per the
 * tree, the group key per the RNC's `group`), wrapped under its private key,
 * counted against event `group_seq` (the event that made `group`). Anyone
 * else is refused (observer on_refused) and gets nothing. */
void recovery_answer(Net *net, uint32_t rnc, NetElement from, const Msg *req, const KtKey *group,
                     uint32_t group_seq);
