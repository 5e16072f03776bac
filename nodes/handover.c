/* handover.c — see handover.h. */
#include "nodes/handover.h"

uint32_t handover_dest_rnc(const Net *net, const Msg *msg) {
  uint32_t cell = msg->type == MSG_RELOCATION_REQ ? msg->from_cell : msg->cell;
  return cell < net->n_cells ? net_rnc_of_cell(net, cell) : UINT32_MAX;
}

void handover_forward(Net *net, NetElement here, const Msg *msg) {
  uint32_t rnc = handover_dest_rnc(net, msg);
  if (rnc == UINT32_MAX) {
    net_reject(net, here, "relocation message for a cell we do not have");
    return;
  }
  uint32_t sgsn = net_sgsn_of_rnc(net, rnc), ggsn = net_ggsn_of_sgsn(net, sgsn);
  NetElement to;
  switch (here.kind) {
  case NET_RNC:
    to = (NetElement){NET_SGSN, net_sgsn_of_rnc(net, here.index)};
    break;
  case NET_SGSN:
    to = here.index == sgsn ? (NetElement){NET_RNC, rnc}
                            : (NetElement){NET_GGSN, net_ggsn_of_sgsn(net, here.index)};
    break;
  case NET_GGSN:
    to = here.index == ggsn ? (NetElement){NET_SGSN, sgsn} : (NetElement){NET_BMSC, 0};
    break;
  case NET_BMSC:
    to = (NetElement){NET_GGSN, ggsn};
    break;
  default:
    g_assert_not_reached();
  }
  net_send_link(net, here, to, msg);
}

uint32_t handover_hops(const Net *net, uint32_t a, uint32_t b) {
  uint32_t sa = net_sgsn_of_rnc(net, a), sb = net_sgsn_of_rnc(net, b);
  if (sa == sb)
    return 2;
  return net_ggsn_of_sgsn(net, sa) == net_ggsn_of_sgsn(net, sb) ? 4 : 6;
}
