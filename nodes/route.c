/* route.c — see route.h. */
#include "nodes/route.h"

#include <string.h>

void route_context_init(RouteContext *c, uint32_t n_children) {
  c->ues = g_new0(uint32_t, n_children ? n_children : 1);
  c->n = n_children;
  c->total = 0;
}

void route_context_fini(RouteContext *c) {
  g_free(c->ues);
  c->ues = NULL;
  c->n = 0;
}

void route_context_learn(RouteContext *c, uint32_t child, MsgType type) {
  g_assert(child < c->n);
  if (type == MSG_ACTIVATE_REQ) {
    c->ues[child]++;
    c->total++;
  } else if (type == MSG_DEACTIVATE_REQ && c->ues[child] > 0) {
    c->ues[child]--;
    c->total--;
  }
}

void route_context_relocate(const Net *net, RouteContext *c, NetElement here, const Msg *msg) {
  g_assert(msg->type == MSG_RELOCATION_ACK);
  if (msg->cell >= net->n_cells || msg->from_cell >= net->n_cells)
    return;
  uint32_t first, n;
  route_children(net, here, &first, &n);
  uint32_t from = route_child_of_rnc(net, here.kind, net_rnc_of_cell(net, msg->from_cell));
  uint32_t to = route_child_of_rnc(net, here.kind, net_rnc_of_cell(net, msg->cell));
  if (from == to)
    return;
  if (from >= first && from < first + n)
    route_context_learn(c, from, MSG_DEACTIVATE_REQ);
  if (to >= first && to < first + n)
    route_context_learn(c, to, MSG_ACTIVATE_REQ);
}

uint32_t route_child_of_rnc(const Net *net, NetKind kind, uint32_t rnc) {
  switch (kind) {
  case NET_BMSC:
    return net_ggsn_of_sgsn(net, net_sgsn_of_rnc(net, rnc));
  case NET_GGSN:
    return net_sgsn_of_rnc(net, rnc);
  case NET_SGSN:
    return rnc;
  default:
    g_assert_not_reached();
  }
}

void route_context_provision(const Net *net, RouteContext *c, NetKind kind, uint32_t rnc) {
  route_context_learn(c, route_child_of_rnc(net, kind, rnc), MSG_ACTIVATE_REQ);
}

void route_children(const Net *net, NetElement el, uint32_t *first, uint32_t *n) {
  switch (el.kind) {
  case NET_BMSC:
    *first = 0;
    *n = net->cfg.ggsn;
    return;
  case NET_GGSN:
    *first = el.index * net->cfg.sgsn_per_ggsn;
    *n = net->cfg.sgsn_per_ggsn;
    return;
  case NET_SGSN:
    *first = el.index * net->cfg.rnc_per_sgsn;
    *n = net->cfg.rnc_per_sgsn;
    return;
  default:
    g_assert_not_reached();
  }
}

static NetKind child_kind(NetKind kind) {
  return (NetKind)(kind + 1); /* BM-SC -> GGSN -> SGSN -> RNC */
}

/* Sends `msg` to `child` listing rncs[0 .. n-1] (all below it), in
 * messages of at most MSG_MAX_RNCS, cut only between two SGSNs' RNCs. */
static void send_listing(Net *net, NetElement from, uint32_t child, Msg *msg, const uint32_t *rncs,
                         uint32_t n) {
  NetElement to = {child_kind(from.kind), child};
  uint32_t start = 0;
  while (start < n) {
    uint32_t end = start;
    /* whole SGSNs while they fit (one SGSN's RNCs always fit) */
    while (end < n) {
      uint32_t sgsn = net_sgsn_of_rnc(net, rncs[end]), run = end;
      while (run < n && net_sgsn_of_rnc(net, rncs[run]) == sgsn)
        run++;
      if (run - start > MSG_MAX_RNCS)
        break;
      end = run;
    }
    g_assert(end > start);
    msg->n_rncs = (uint16_t)(end - start);
    memcpy(msg->rncs, rncs + start, (size_t)(end - start) * sizeof *rncs);
    net_send_link(net, from, to, msg);
    start = end;
  }
}

bool route_request(Net *net, NetElement from, const RouteContext *ctx, const Msg *msg,
                   const uint32_t *rncs, uint32_t n_rncs) {
  uint32_t first, n;
  route_children(net, from, &first, &n);
  for (uint32_t i = 0; i < n_rncs; i++) {
    uint32_t child = route_child_of_rnc(net, from.kind, rncs[i]);
    if (rncs[i] >= net->n_rnc || child < first || child >= first + n)
      return false;
  }
  Msg out = *msg;
  if (n_rncs == 0) {
    out.n_rncs = 0;
    for (uint32_t c = first; c < first + n; c++)
      if (route_context_has(ctx, c))
        net_send_link(net, from, (NetElement){child_kind(from.kind), c}, &out);
    return true;
  }
  /* the list is ascending and each child's RNCs are contiguous numbers:
   * one run of the list per child */
  for (uint32_t i = 0; i < n_rncs;) {
    uint32_t child = route_child_of_rnc(net, from.kind, rncs[i]), j = i;
    while (j < n_rncs && route_child_of_rnc(net, from.kind, rncs[j]) == child)
      j++;
    send_listing(net, from, child, &out, rncs + i, j - i);
    i = j;
  }
  return true;
}

void route_data(Net *net, NetElement from, const RouteContext *ctx, const KtData *d) {
  uint32_t first, n;
  route_children(net, from, &first, &n);
  for (uint32_t c = first; c < first + n; c++)
    if (route_context_has(ctx, c))
      net_send_data_link(net, from, (NetElement){child_kind(from.kind), c}, d);
}
