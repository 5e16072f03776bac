/* route.h — where the core sends the group key change request and the data
 * stream: along the distribution tree, i.e. to children with members below.
 *
 * "Members below" are the listeners of the MBMS bearers of the cells below
 * (nodes/radio.h), not the key server's tree. Not yet what issue 8 asks
 * for: the answers come from that live state and, for a request that does
 * not change the group key, from the plan in flight (which RNCs have
 * work), not from the bytes the relay received; a request that listed its
 * RNCs would let the relays decide alone (docs/architecture.md, "Open").
 * Kept in one file so that the change is local when it comes.
 *
 * Includes only nodes/node.h; route.c also nodes/plan.h, nodes/radio.h.
 */
#pragma once
#include "nodes/node.h"

guint route_rnc_members(const Net *net, uint32_t rnc);
guint route_sgsn_members(const Net *net, uint32_t sgsn);
guint route_ggsn_members(const Net *net, uint32_t ggsn);
/* Whether the MBMS group key change request of event `seq` goes to this
 * element (embodiment 1). A new group key goes along the distribution tree.
 * A request for an unchanged group key (an LKH node key changed at other
 * RNCs) goes only towards the RNCs with work in the plan. */
bool route_rnc_gets_request(const Net *net, uint32_t seq, uint32_t rnc);
bool route_sgsn_gets_request(const Net *net, uint32_t seq, uint32_t sgsn);
bool route_ggsn_gets_request(const Net *net, uint32_t seq, uint32_t ggsn);
