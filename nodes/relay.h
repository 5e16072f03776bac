/* relay.h — the GGSN and SGSN elements (nodes/core_relay.c); they keep no
 * state. Includes only nodes/node.h. */
#pragma once
#include "nodes/node.h"

extern const NodeOps ggsn_ops, sgsn_ops;
