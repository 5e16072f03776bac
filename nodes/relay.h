/* relay.h — the GGSN and SGSN elements (nodes/core_relay.c). Their state
 * (each one's MBMS bearer context, nodes/route.h) is private to
 * core_relay.c. Includes only nodes/node.h. */
#pragma once
#include "nodes/node.h"

extern const NodeOps ggsn_ops, sgsn_ops;
/* Provisioning (an initial member below `rnc`, no message): its SGSN and
 * GGSN hold its context as if its activation had passed. */
void relay_provision(Net *net, uint32_t rnc);
