/* rnc_move.h — the RNC's part of a handover (nodes/rnc_move.c): the
 * messages of a handover that reach an RNC. Used by rnc.c only. */
#pragma once
#include "nodes/node.h"

void rnc_on_cell_update(Net *net, uint32_t rnc, NetElement from, const Msg *msg);
void rnc_on_relocation_req(Net *net, uint32_t rnc, const Msg *msg);
void rnc_on_relocation_ack(Net *net, uint32_t rnc, const Msg *msg);
