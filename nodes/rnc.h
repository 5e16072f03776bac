/* rnc.h — the RNC element (nodes/rnc.c). Its state (each RNC's copy of its
 * scope's group key, the core key, its batch) is private to rnc.c and its
 * companions rnc_move.c and rnc_repair.c (nodes/rnc_private.h).
 * Includes only nodes/node.h. */
#pragma once
#include "nodes/node.h"

extern const NodeOps rnc_ops;
