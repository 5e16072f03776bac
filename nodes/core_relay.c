/* core_relay.c — the GGSN and the SGSN: they relay context signalling
 * between the RNCs and the BM-SC, fan the MBMS group key change request out
 * along the distribution tree (nodes/route.h) and forward the session's data
 * the same way. The SGSN turns the request into a RAB assignment request per
 * RNC. Neither can read the key: it stays wrapped under the core key. They
 * keep no state. */
#include "nodes/relay.h"

#include "nodes/handover.h"
#include "nodes/route.h"

static void ggsn_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                            const KtData *data) {
  (void)from;
  NetElement me = {NET_GGSN, self};
  if (data) {
    for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++) {
      uint32_t sgsn = self * net->cfg.sgsn_per_ggsn + i;
      if (route_sgsn_members(net, sgsn) > 0)
        net_send_data_link(net, me, (NetElement){NET_SGSN, sgsn}, data);
    }
    return;
  }
  switch (msg->type) {
  case MSG_ACTIVATE_REQ:
  case MSG_DEACTIVATE_REQ:
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
    handover_forward(net, me, msg);
    break;
  case MSG_GROUP_KEY_CHANGE_REQ:
    for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++) {
      uint32_t sgsn = self * net->cfg.sgsn_per_ggsn + i;
      if (route_sgsn_gets_request(net, msg->seq, sgsn))
        net_send_link(net, me, (NetElement){NET_SGSN, sgsn}, msg);
    }
    break;
  default:
    break;
  }
}

static void sgsn_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                            const KtData *data) {
  (void)from;
  NetElement me = {NET_SGSN, self};
  if (data) {
    for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++) {
      uint32_t rnc = self * net->cfg.rnc_per_sgsn + i;
      if (route_rnc_members(net, rnc) > 0)
        net_send_data_link(net, me, (NetElement){NET_RNC, rnc}, data);
    }
    return;
  }
  switch (msg->type) {
  case MSG_ACTIVATE_REQ:
  case MSG_DEACTIVATE_REQ:
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
    handover_forward(net, me, msg);
    break;
  case MSG_GROUP_KEY_CHANGE_REQ: {
    Msg rab = *msg;
    rab.type = MSG_RAB_ASSIGNMENT_REQ;
    for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++) {
      uint32_t rnc = self * net->cfg.rnc_per_sgsn + i;
      if (route_rnc_gets_request(net, msg->seq, rnc))
        net_send_link(net, me, (NetElement){NET_RNC, rnc}, &rab);
    }
    break;
  }
  default:
    break;
  }
}

static void relay_init(Net *net, const KtKey *core_key) {
  (void)net;
  (void)core_key; /* relays cannot read the keys they carry */
}

static void relay_fini(Net *net) {
  (void)net;
}

const NodeOps ggsn_ops = {
    .name = "ggsn", .init = relay_init, .on_message = ggsn_on_message, .fini = relay_fini};
const NodeOps sgsn_ops = {
    .name = "sgsn", .init = relay_init, .on_message = sgsn_on_message, .fini = relay_fini};
