/* ue_common.h — the UEs' on_common (nodes/ue_common.c): a
 * point-to-multipoint key assignment heard by the UEs `to` of one cell,
 * the holders served a transmission at a time. Used by ue.c's NodeOps. */
#pragma once
#include "nodes/node.h"

void ue_on_common(Net *net, const uint32_t *to, guint n, NetElement from, const Msg *msg);
