/* rnc.h — the RNC element (nodes/rnc.c). Its state (each RNC's copy of its
 * scope's group key, the core key, its batch) is private to rnc.c and its
 * companions (nodes/rnc_send.h, rnc_move.h, rnc_repair.h).
 * Includes only nodes/node.h. */
#pragma once
#include "nodes/node.h"

extern const NodeOps rnc_ops;
