/* bmsc.h — the BM-SC element (nodes/bmsc.c). Its state (the group key of
 * embodiment 1, the core key, its batch, the session's source) is private
 * to bmsc.c. Includes only nodes/node.h. */
#pragma once
#include "nodes/node.h"

extern const NodeOps bmsc_ops;
/* Provisioning (an initial member below `rnc`, no message): the BM-SC
 * holds its context as if its activation had passed. */
void bmsc_provision(Net *net, uint32_t rnc);
