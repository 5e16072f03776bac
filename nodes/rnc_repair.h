/* rnc_repair.h — movers' key repair at the RNC (nodes/rnc_repair.c,
 * docs/flows.md "Key repair"). Used by the RNC's files only. */
#pragma once
#include "nodes/node.h"

/* At the end of a move that keeps the UE's group: the keys of its place if its group key is older
 * than this RNC's (or a note that the RNC owes it a key still in the core). */
void rnc_repair_keys(Net *net, uint32_t rnc, const Msg *req, const KtPlan *plan);
/* The group key this RNC has now settles what it owes. */
void rnc_pay_owed(Net *net, uint32_t rnc, const KtPlan *plan);
/* A moved member's key repair request. */
void rnc_on_repair_request(Net *net, uint32_t rnc, NetElement from, const Msg *req);
