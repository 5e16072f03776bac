/* handover.h — the path of a handover's SRNS relocation through the core
 * (docs/flows.md, "Handover"). The relocation request goes from the RNC of
 * the UE's new cell to the RNC of its old cell, the acknowledge back; each
 * hop follows the wired tree (RNC - SGSN - GGSN - BM-SC) up to the lowest
 * element above both RNCs and down again, routing on the cell the message
 * names, as the relays route accepts. The RNCs' part of a handover (the
 * keys) is nodes/rnc.c's; this file only moves the messages.
 *
 * Includes only nodes/node.h. */
#pragma once
#include "nodes/node.h"

/* The RNC a relocation message is for: that of `from_cell` for a request,
 * of `cell` for an acknowledge; UINT32_MAX if the cell is not one of ours. */
uint32_t handover_dest_rnc(const Net *net, const Msg *msg);
/* Sends a relocation message from `here` (an RNC, SGSN, GGSN or the BM-SC)
 * one hop towards its RNC; a message naming no cell of ours is rejected. */
void handover_forward(Net *net, NetElement here, const Msg *msg);
/* Messages a relocation takes one way between RNCs a and b (a != b):
 * 2 under one SGSN, 4 under one GGSN, 6 otherwise. */
uint32_t handover_hops(const Net *net, uint32_t a, uint32_t b);
