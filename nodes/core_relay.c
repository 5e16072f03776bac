/* core_relay.c — the GGSN and the SGSN: they relay context signalling
 * between the RNCs and the BM-SC and fan the MBMS group key change request
 * out along the distribution tree, i.e. only to children with at least one
 * member below them. The SGSN turns it into a RAB assignment request per
 * RNC. Neither can read the key: it stays wrapped under the core key. */
#include "nodes/net_internal.h"

static void ggsn_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg) {
  (void)from;
  NetElement me = {NET_GGSN, self};
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
  case MSG_GROUP_KEY_CHANGE_REQ:
    for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++) {
      uint32_t sgsn = self * net->cfg.sgsn_per_ggsn + i;
      if (net_sgsn_gets_request(net, msg->seq, sgsn))
        net_send_link(net, me, (NetElement){NET_SGSN, sgsn}, msg);
    }
    break;
  default:
    break;
  }
}

static void sgsn_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg) {
  (void)from;
  NetElement me = {NET_SGSN, self};
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
  case MSG_GROUP_KEY_CHANGE_REQ: {
    Msg rab = *msg;
    rab.type = MSG_RAB_ASSIGNMENT_REQ;
    for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++) {
      uint32_t rnc = self * net->cfg.rnc_per_sgsn + i;
      if (net_rnc_gets_request(net, msg->seq, rnc))
        net_send_link(net, me, (NetElement){NET_RNC, rnc}, &rab);
    }
    break;
  }
  default:
    break;
  }
}

const NodeOps ggsn_ops = {.name = "ggsn", .on_message = ggsn_on_message};
const NodeOps sgsn_ops = {.name = "sgsn", .on_message = sgsn_on_message};
