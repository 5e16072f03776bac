/* core_relay.c — the GGSN and the SGSN: they relay context signalling
 * between the RNCs and the BM-SC, fan the MBMS group key change request out
 * (the SGSN turning it into a RAB assignment request per RNC) and forward
 * the session's data. Each decides from the bytes it received and from its
 * own MBMS bearer context, learned from the context requests it relayed
 * (nodes/route.h); neither reads the radio network, the key tree or a plan,
 * and neither can read a key: it stays wrapped under the core key. */
#include "nodes/relay.h"

#include "nodes/handover.h"
#include "nodes/route.h"

/* Each kind's bearer contexts: the GGSNs' over the SGSNs, the SGSNs' over
 * the RNCs (one counter per child; each element uses its own children's). */
static RouteContext *ctx_of(Net *net, NetKind kind) {
  return net->state[kind];
}

/* Whether every RNC of a request's list is below `self`. */
static bool list_below(const Net *net, NetElement self, const Msg *msg) {
  uint32_t first, n;
  route_children(net, self, &first, &n);
  for (uint16_t i = 0; i < msg->n_rncs; i++) {
    if (msg->rncs[i] >= net->n_rnc)
      return false;
    uint32_t child = route_child_of_rnc(net, self.kind, msg->rncs[i]);
    if (child < first || child >= first + n)
      return false;
  }
  return true;
}

static void ggsn_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                            const KtData *data) {
  NetElement me = {NET_GGSN, self};
  RouteContext *ctx = ctx_of(net, NET_GGSN);
  if (data) {
    route_data(net, me, ctx, data);
    return;
  }
  switch (msg->type) {
  case MSG_ACTIVATE_REQ:
  case MSG_DEACTIVATE_REQ:
    if (from.kind == NET_SGSN && net_ggsn_of_sgsn(net, from.index) == self)
      route_context_learn(ctx, from.index, msg->type);
    net_send_link(net, me, (NetElement){NET_BMSC, 0}, msg);
    break;
  case MSG_MOVE_KEY_REQ: /* up to the BM-SC; no context changes */
    net_send_link(net, me, (NetElement){NET_BMSC, 0}, msg);
    break;
  case MSG_ACTIVATE_ACCEPT:
  case MSG_DEACTIVATE_ACCEPT: {
    if (msg->cell >= net->n_cells)
      break; /* a well-formed message naming a cell we do not have: drop */
    uint32_t sgsn = net_sgsn_of_rnc(net, net_rnc_of_cell(net, msg->cell));
    net_send_link(net, me, (NetElement){NET_SGSN, sgsn}, msg);
    break;
  }
  case MSG_RELOCATION_REQ:
  case MSG_RELOCATION_ACK:
    if (msg->type == MSG_RELOCATION_ACK)
      route_context_relocate(net, ctx, me, msg);
    handover_forward(net, me, msg);
    break;
  case MSG_GROUP_KEY_CHANGE_REQ:
    if (!route_request(net, me, ctx, msg, msg->rncs, msg->n_rncs))
      net_reject(net, me, "group key change request lists an RNC not below this GGSN");
    break;
  default:
    break;
  }
}

static void sgsn_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                            const KtData *data) {
  NetElement me = {NET_SGSN, self};
  RouteContext *ctx = ctx_of(net, NET_SGSN);
  if (data) {
    route_data(net, me, ctx, data);
    return;
  }
  switch (msg->type) {
  case MSG_ACTIVATE_REQ:
  case MSG_DEACTIVATE_REQ:
    if (from.kind == NET_RNC && net_sgsn_of_rnc(net, from.index) == self)
      route_context_learn(ctx, from.index, msg->type);
    net_send_link(net, me, (NetElement){NET_GGSN, net_ggsn_of_sgsn(net, self)}, msg);
    break;
  case MSG_MOVE_KEY_REQ:
    net_send_link(net, me, (NetElement){NET_GGSN, net_ggsn_of_sgsn(net, self)}, msg);
    break;
  case MSG_ACTIVATE_ACCEPT:
  case MSG_DEACTIVATE_ACCEPT:
    if (msg->cell >= net->n_cells)
      break;
    net_send_link(net, me, (NetElement){NET_RNC, net_rnc_of_cell(net, msg->cell)}, msg);
    break;
  case MSG_RELOCATION_REQ:
  case MSG_RELOCATION_ACK:
    if (msg->type == MSG_RELOCATION_ACK)
      route_context_relocate(net, ctx, me, msg);
    handover_forward(net, me, msg);
    break;
  case MSG_GROUP_KEY_CHANGE_REQ: {
    if (!list_below(net, me, msg)) {
      net_reject(net, me, "group key change request lists an RNC not below this SGSN");
      break;
    }
    /* one RAB assignment request per RNC: to each listed one, or (no list)
     * to each with UEs in the bearer context; it needs no list */
    Msg rab = *msg;
    rab.type = MSG_RAB_ASSIGNMENT_REQ;
    rab.n_rncs = 0;
    if (msg->n_rncs) {
      for (uint16_t i = 0; i < msg->n_rncs; i++)
        net_send_link(net, me, (NetElement){NET_RNC, msg->rncs[i]}, &rab);
    } else {
      uint32_t first, n;
      route_children(net, me, &first, &n);
      for (uint32_t r = first; r < first + n; r++)
        if (route_context_has(ctx, r))
          net_send_link(net, me, (NetElement){NET_RNC, r}, &rab);
    }
    break;
  }
  default:
    break;
  }
}

static void ggsn_init(Net *net, const KtKey *core_key) {
  (void)core_key; /* relays cannot read the keys they carry */
  RouteContext *c = g_new0(RouteContext, 1);
  route_context_init(c, net->n_sgsn);
  net->state[NET_GGSN] = c;
}

static void sgsn_init(Net *net, const KtKey *core_key) {
  (void)core_key;
  RouteContext *c = g_new0(RouteContext, 1);
  route_context_init(c, net->n_rnc);
  net->state[NET_SGSN] = c;
}

static void ggsn_fini(Net *net) {
  route_context_fini(net->state[NET_GGSN]);
  g_free(net->state[NET_GGSN]);
  net->state[NET_GGSN] = NULL;
}

static void sgsn_fini(Net *net) {
  route_context_fini(net->state[NET_SGSN]);
  g_free(net->state[NET_SGSN]);
  net->state[NET_SGSN] = NULL;
}

void relay_provision(Net *net, uint32_t rnc) {
  route_context_provision(net, ctx_of(net, NET_GGSN), NET_GGSN, rnc);
  route_context_provision(net, ctx_of(net, NET_SGSN), NET_SGSN, rnc);
}

const NodeOps ggsn_ops = {
    .name = "ggsn", .init = ggsn_init, .on_message = ggsn_on_message, .fini = ggsn_fini};
const NodeOps sgsn_ops = {
    .name = "sgsn", .init = sgsn_init, .on_message = sgsn_on_message, .fini = sgsn_fini};
