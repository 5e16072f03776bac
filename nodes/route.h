/* route.h — how the core routes: a core element's MBMS bearer context and
 * the fan-out of the group key change request and of the data stream.
 *
 * The BM-SC, each GGSN and each SGSN decide from what they received, never
 * from the radio network or a plan (3GPP TS 23.246: each keeps MBMS UE
 * contexts and the list of downstream nodes of the bearer):
 *   - the bearer context counts, per child (a GGSN of the BM-SC, an SGSN of
 *     a GGSN, an RNC of an SGSN), the UEs with a context below it, learned
 *     from the context requests the element relays towards the BM-SC
 *     (activation +1, deactivation -1) and, for initial members, from
 *     provisioning (as if their activations had passed);
 *   - data goes to each child whose count is not 0;
 *   - a group key change request without an RNC list goes to each child
 *     whose count is not 0; one with a list goes to each child with listed
 *     RNCs below it, listing only those (nodes/msg.h).
 *
 * Includes only nodes/node.h.
 */
#pragma once
#include "nodes/node.h"

/* One element kind's bearer contexts: `ues[c]` for each child c (global
 * numbering of the child kind: GGSN, SGSN or RNC), the children of one
 * element being a contiguous range. */
typedef struct {
  uint32_t *ues;
  uint32_t n;     /* children */
  uint64_t total; /* sum of ues[] */
} RouteContext;

void route_context_init(RouteContext *c, uint32_t n_children);
void route_context_fini(RouteContext *c);
/* A context request (MSG_ACTIVATE_REQ or MSG_DEACTIVATE_REQ) relayed from
 * child `child`: the count below it moves (a deactivation never below 0). */
void route_context_learn(RouteContext *c, uint32_t child, MsgType type);
/* A relocation acknowledge (MSG_RELOCATION_ACK: the SRNS relocation of a
 * UE from the RNC of `msg->from_cell` to that of `msg->cell` is done)
 * relayed by `here` (the BM-SC, a GGSN or an SGSN): the UE's context moves
 * between here's children below which the two RNCs lie (nothing if the
 * same child, or if one of them is not below `here`). */
void route_context_relocate(const Net *net, RouteContext *c, NetElement here, const Msg *msg);
/* One more UE with a context below the given RNC (provisioning of an
 * initial member), for the context of element kind `kind` (the child is
 * derived from the RNC). */
void route_context_provision(const Net *net, RouteContext *c, NetKind kind, uint32_t rnc);
static inline bool route_context_has(const RouteContext *c, uint32_t child) {
  return c->ues[child] > 0;
}

/* The group key change request `msg` (its wraps set, its own RNC list
 * ignored) from `from` (the BM-SC or a GGSN) to its children, for the RNCs
 * `rncs` (ascending; n_rncs 0: the whole tree, by the context). A child
 * gets the RNCs below it, in messages of at most MSG_MAX_RNCS that never
 * split one SGSN's RNCs. false (and nothing sent) if a listed RNC is not
 * below `from`. */
bool route_request(Net *net, NetElement from, const RouteContext *ctx, const Msg *msg,
                   const uint32_t *rncs, uint32_t n_rncs);
/* The data packet from `from` (the BM-SC, a GGSN or an SGSN) to each of
 * its children whose context is not empty. */
void route_data(Net *net, NetElement from, const RouteContext *ctx, const KtData *d);
/* The children of `el` (a BM-SC, GGSN or SGSN): the first and their number. */
void route_children(const Net *net, NetElement el, uint32_t *first, uint32_t *n);
/* The child of `el`'s kind below which RNC `rnc` lies. */
uint32_t route_child_of_rnc(const Net *net, NetKind kind, uint32_t rnc);
