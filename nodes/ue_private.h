/* ue_private.h — what ue.c lends ue_common.c: the processing of a key
 * assignment's wraps, which the plain path falls back on for a holder it
 * cannot serve plainly. Nothing else includes it. */
#pragma once
#include "nodes/ue_ring.h"

/* A key assignment to the UE, or heard on its cell: its wraps, one
 * after the other (what a UE does with a message on its own) */
void ue_on_key_assignment(Net *net, uint32_t self, const Msg *msg);
/* ue_on_key_assignment from the message's wrap `first` on (those
 * before it were processed by ue_common.c's plain path) */
void ue_on_wraps_from(Net *net, uint32_t self, const Msg *msg, uint8_t first);
