/* transport.c — moves messages: encodes and hands them to sim/, receives
 * what sim/ delivers, decodes it (rejecting what does not decode) and
 * dispatches it to the receiving element's NodeOps; wraps with counting;
 * timers. Counting goes through the NetObserver only (see net.h).
 *
 * A common-channel transmission is heard by the listeners of the cell's
 * MBMS bearer (nodes/radio.h). A data packet goes to each of them; a key
 * assignment to those of them whose own key ring holds the id of the key
 * it is wrapped under (a UE that holds no key with that id discards it
 * after reading the header): for a group key, every listener (each holds
 * its scope's group key id, and opens or drops the wrap itself); for a
 * sub-group or node key, the listeners among the UEs of the radio's
 * holders index (kept by the UEs from their own rings, nodes/ue.c). The
 * key server's tree is not asked. */
#include "nodes/node.h"

#include <string.h>

#include "nodes/loss.h"
#include "nodes/radio.h"
#include "nodes/unwrap_share.h"

void net_reject(Net *net, NetElement at, const char *why) {
  if (net->obs.on_reject)
    net->obs.on_reject(net->obs.ctx, at, why);
}

/* Which element a sim node is. */
static NetElement element_of_node(const Net *net, SimNodeId node) {
  if (node == net->bmsc_node)
    return (NetElement){NET_BMSC, 0};
  uint32_t ue;
  if (radio_ue_of_node(net->radio, node, &ue))
    return (NetElement){NET_UE, ue};
  /* network nodes were created in the order GGSNs, SGSNs, RNCs */
  uint32_t i = node - net->bmsc_node - 1;
  if (i < net->cfg.ggsn)
    return (NetElement){NET_GGSN, i};
  i -= net->cfg.ggsn;
  if (i < net->n_sgsn)
    return (NetElement){NET_SGSN, i};
  i -= net->n_sgsn;
  g_assert(i < net->n_rnc);
  return (NetElement){NET_RNC, i};
}

static void dispatch(Net *net, NetElement to, NetElement from, const Msg *msg, const KtData *d) {
  net->ops[to.kind]->on_message(net, to.index, from, msg, d);
}

/* ------------------------------------------------------------- receiving */

static bool decode_or_reject(Net *net, NetElement to, const uint8_t *bytes, size_t len, Msg *msg) {
  const char *why = NULL;
  if (msg_decode(msg, bytes, len, &why))
    return true;
  net_reject(net, to, why);
  return false;
}

/* Data bytes decoded into `d`, or rejected at `to` (malformed, or no data
 * plane is running). */
static bool decode_data_or_reject(Net *net, NetElement to, const uint8_t *bytes, size_t len,
                                  KtData *d) {
  const char *why = NULL;
  if (!msg_decode_data(d, bytes, len, &why))
    ;
  else if (!net->data)
    why = "data packet where none is expected";
  else
    return true;
  net_reject(net, to, why);
  return false;
}

static void deliver(Net *net, NetElement to, NetElement from, NetVia via, const uint8_t *bytes,
                    size_t len) {
  if (msg_is_data(bytes, len)) {
    KtData d;
    if (to.kind == NET_UE) /* data reaches UEs on common channels only */
      net_reject(net, to, "data packet where none is expected");
    else if (decode_data_or_reject(net, to, bytes, len, &d))
      dispatch(net, to, from, NULL, &d);
    return;
  }
  Msg msg;
  if (!decode_or_reject(net, to, bytes, len, &msg))
    return;
  if (net->obs.on_receive)
    net->obs.on_receive(net->obs.ctx, to, via, &msg, len, 1);
  dispatch(net, to, from, &msg, NULL);
}

static void on_link(void *ctx, SimLinkId link, SimNodeId to, SimNodeId from, const uint8_t *bytes,
                    size_t len) {
  (void)link;
  Net *net = ctx;
  deliver(net, element_of_node(net, to), element_of_node(net, from), NET_VIA_LINK, bytes, len);
}

static void on_dch(void *ctx, SimRanId ran, SimNodeId to, SimNodeId ue, const uint8_t *bytes,
                   size_t len) {
  Net *net = ctx;
  NetElement ue_el = element_of_node(net, ue);
  if (to == ue) /* downlink: from the RNC of this RAN */
    deliver(net, ue_el, (NetElement){NET_RNC, ran}, NET_VIA_DCH, bytes, len);
  else
    deliver(net, element_of_node(net, to), ue_el, NET_VIA_DCH, bytes, len);
}

/* Whether UE `ue` lost its reception of the transmission arriving now (the
 * per-receiver draw, loss.h); its radio learns of the block either way. */
static bool reception_lost(Net *net, uint32_t ue, uint32_t block, const Msg *msg) {
  bool lost = loss_common_lost(net->loss, radio_ue_node(net->radio, ue));
  if (lost && net->obs.on_common_loss)
    net->obs.on_common_loss(net->obs.ctx, ue, msg);
  if (msg && block != 0 && net->ops[NET_UE]->on_block)
    net->ops[NET_UE]->on_block(net, ue, block, lost);
  return lost;
}

/* A key assignment heard by the UEs `to` of the cell: without a loss
 * model, every one of them hears it, in one call of the UEs' batch entry
 * (node.h's on_common); otherwise each after its own reception draw. */
static void deliver_common(Net *net, const uint32_t *to, guint n, uint32_t block, NetElement from,
                           const Msg *msg) {
  if (!net->loss && net->ops[NET_UE]->on_common) {
    net->ops[NET_UE]->on_common(net, to, n, from, msg);
    return;
  }
  for (guint i = 0; i < n; i++)
    if (!reception_lost(net, to[i], block, msg))
      dispatch(net, (NetElement){NET_UE, to[i]}, from, msg, NULL);
}

static void on_common(void *ctx, SimRanId ran, uint32_t cell, const uint8_t *bytes, size_t len) {
  Net *net = ctx;
  uint32_t global_cell = ran * net->cfg.cells_per_rnc + cell;
  uint32_t block = loss_block_arrived(net->loss, global_cell);
  NetElement from = {NET_RNC, ran};
  NetElement ues = {NET_UE, 0}; /* the UEs' row, where a bad transmission is counted once */
  guint n = 0;
  const uint32_t *listeners = radio_bearer_ues(net->radio, global_cell, &n);
  /* Every listener hears the same bytes; they are decoded once here (the
   * bytes are identical for all) and each UE then acts on them alone,
   * unless its reception was lost (one draw per receiver, in order). */
  if (msg_is_data(bytes, len)) {
    KtData d;
    if (decode_data_or_reject(net, ues, bytes, len, &d))
      for (guint i = 0; i < n; i++)
        if (!reception_lost(net, listeners[i], 0, NULL))
          dispatch(net, (NetElement){NET_UE, listeners[i]}, from, NULL, &d);
    return;
  }
  Msg msg;
  if (!decode_or_reject(net, ues, bytes, len, &msg))
    return;
  if (net->obs.on_receive)
    net->obs.on_receive(net->obs.ctx, ues, NET_VIA_COMMON, &msg, len, n);
  if (msg.type != MSG_KEY_ASSIGNMENT || msg.mode != MSG_P2M || msg.n_wraps == 0) {
    net_reject(net, ues, "not a point-to-multipoint key assignment on a common channel");
    return;
  }
  /* a message's wraps share it (but a stateless scheme's, below) */
  KtKeyId under = msg.wraps[0].under.id;
  /* under a group key every listener holds its scope's id; under a key a
   * stateless scheme's members derive (sd's subsets, one wrap per subset
   * in one message), each listener tells from its own labels which wrap,
   * if any, is for it */
  if (KT_KEY_ID_KIND(under) == KT_KEY_GROUP || kt_tree_stateless(net->tree)) {
    deliver_common(net, listeners, n, block, from, &msg);
    return;
  }
  if (KT_KEY_ID_KIND(under) != KT_KEY_SUBGROUP)
    return; /* under a private or core key: no listener holds it */
  /* the holders of the key, then the UEs that hear every such message (LKH
   * joiners waiting for their keys; never holders: they hold no node key
   * yet). The index arrays may change while the UEs install keys: copy. */
  GArray *to = net->scratch_ues;
  g_array_set_size(to, 0);
  radio_index_listeners(net->radio, global_cell, under, to);
  radio_index_listeners(net->radio, global_cell, RADIO_INDEX_ANY, to);
  deliver_common(net, (const uint32_t *)(const void *)to->data, to->len, block, from, &msg);
}

/* RLC acknowledged mode (sim/): a frame of a dedicated channel was lost
 * and is sent again, or lost for good; the UE's radio knows of an RLC
 * reset (the discarded frame is a loss only a key request makes good). */
static void on_dch_loss(void *ctx, SimRanId ran, SimNodeId ue_node, const uint8_t *bytes,
                        size_t len, bool lost_for_good) {
  (void)ran;
  Net *net = ctx;
  uint32_t ue;
  Msg msg;
  if (!radio_ue_of_node(net->radio, ue_node, &ue) || msg_is_data(bytes, len) ||
      !msg_decode(&msg, bytes, len, NULL))
    return;
  if (net->obs.on_dch_loss)
    net->obs.on_dch_loss(net->obs.ctx, ue, &msg, lost_for_good);
  /* a context message lost for good carried no key: the NAS sends it
   * again (ue_nas.h) */
  bool context = msg.type >= MSG_ACTIVATE_REQ && msg.type <= MSG_DEACTIVATE_ACCEPT;
  if (lost_for_good && !(net->cfg.loss.nas && context) && net->ops[NET_UE]->on_block)
    net->ops[NET_UE]->on_block(net, ue, 0, true);
}

/* sim's hint (SimReceiver.on_dch_soon): a downlink frame to UE node
 * `node` arrives soon; step 1 fetches the node's UE id, step 0 (once that
 * has come) what on_dch's delivery reads of the UE. */
static void on_dch_soon(void *ctx, SimNodeId node, unsigned step) {
  const Net *net = ctx;
  if (step > 0) {
    radio_prefetch_node(net->radio, node);
    return;
  }
  uint32_t ue;
  if (!radio_ue_of_node(net->radio, node, &ue))
    return;
  radio_prefetch_ue(net->radio, ue);
  kt_tree_prefetch_ue(net->tree, ue);
  if (net->ops[NET_UE]->prefetch)
    net->ops[NET_UE]->prefetch(net, ue);
  if (net->obs.on_common_reach)
    net->obs.on_common_reach(net->obs.ctx, &ue, 1);
}

void net_transport_listen(Net *net) {
  SimReceiver receiver = {.on_link = on_link,
                          .on_dch = on_dch,
                          .on_common = on_common,
                          .on_dch_loss = on_dch_loss,
                          .on_dch_soon = on_dch_soon,
                          .ctx = net};
  sim_set_receiver(&receiver);
}

/* --------------------------------------------------------------- sending */

static size_t encode(const Msg *msg, uint8_t *buf) {
  size_t len = msg_encode(msg, buf, MSG_MAX_BYTES);
  g_assert(len > 0);
  return len;
}

static void report_send(Net *net, NetElement from, NetVia via, const Msg *msg, size_t len,
                        uint32_t n_tx) {
  if (net->obs.on_send)
    net->obs.on_send(net->obs.ctx, from, via, msg, len, n_tx);
}

static SimLinkId link_between(const Net *net, NetElement a, NetElement b) {
  /* links go between a parent and its child; find the child */
  NetElement child = a.kind > b.kind ? a : b;
  switch (child.kind) {
  case NET_GGSN:
    return net->ggsn_uplink[child.index];
  case NET_SGSN:
    return net->sgsn_uplink[child.index];
  case NET_RNC:
    return net->rnc_uplink[child.index];
  default:
    g_assert_not_reached();
  }
}

static SimNodeId node_of(const Net *net, NetElement e) {
  switch (e.kind) {
  case NET_BMSC:
    return net->bmsc_node;
  case NET_GGSN:
    return net->ggsn_node[e.index];
  case NET_SGSN:
    return net->sgsn_node[e.index];
  case NET_RNC:
    return net->rnc_node[e.index];
  case NET_UE:
    return radio_ue_node(net->radio, e.index);
  }
  g_assert_not_reached();
}

void net_send_link(Net *net, NetElement from, NetElement to, const Msg *msg) {
  uint8_t buf[MSG_MAX_BYTES];
  size_t len = encode(msg, buf);
  report_send(net, from, NET_VIA_LINK, msg, len, 1);
  sim_link_send(link_between(net, from, to), node_of(net, from), buf, len);
}

void net_send_dch_up(Net *net, uint32_t ue, const Msg *msg) {
  uint8_t buf[MSG_MAX_BYTES];
  size_t len = encode(msg, buf);
  report_send(net, (NetElement){NET_UE, ue}, NET_VIA_DCH, msg, len, 1);
  sim_dch_up(radio_ran(net->radio, radio_ue_rnc(net->radio, ue)), radio_ue_node(net->radio, ue),
             buf, len);
}

void net_dch_down_ahead(const Net *net, uint32_t ue, unsigned step) {
  if (step >= 1) {
    radio_prefetch_ue(net->radio, ue);
    kt_tree_prefetch_ue(net->tree, ue);
  } else if (radio_ue_seen(net->radio, ue)) {
    sim_dch_prefetch(radio_ue_node(net->radio, ue));
  }
}

void net_send_dch_down(Net *net, uint32_t rnc, uint32_t ue, const Msg *msg) {
  if (!radio_reaches(net->radio, rnc, ue)) {
    /* the UE left and is camped under another RNC now (a rejoin faster than
     * its deactivation's round trip): this RNC's radio no longer reaches it */
    net_reject(net, (NetElement){NET_RNC, rnc},
               "dedicated channel to a UE camped under another RNC");
    return;
  }
  uint8_t buf[MSG_MAX_BYTES];
  size_t len = encode(msg, buf);
  report_send(net, (NetElement){NET_RNC, rnc}, NET_VIA_DCH, msg, len, 1);
  sim_dch_down(radio_ran(net->radio, rnc), radio_ue_node(net->radio, ue), buf, len);
}

/* A repetition of a point-to-multipoint key assignment ([reliability]
 * repeat): the same bytes on the same cells, each cell's copy with its
 * original's block number. */
typedef struct {
  Net *net;
  uint32_t rnc, n_cells;
  size_t len;
  uint32_t *cells, *blocks;
  uint8_t bytes[];
} Repeat;

static void send_repeat(void *ctx, uint64_t last) {
  Repeat *r = ctx;
  Net *net = r->net;
  for (uint32_t i = 0; i < r->n_cells; i++) {
    loss_block_sent(net->loss, r->cells[i], r->blocks[i] != 0, r->blocks[i]);
    sim_common_send(radio_ran(net->radio, r->rnc), r->cells[i] % net->cfg.cells_per_rnc, r->bytes,
                    r->len);
  }
  Msg msg;
  if (net->obs.on_repeat && msg_decode(&msg, r->bytes, r->len, NULL))
    net->obs.on_repeat(net->obs.ctx, r->rnc, &msg, r->len, r->n_cells);
  if (last) {
    g_free(r->cells);
    g_free(r->blocks);
    g_free(r);
  }
}

/* `numbered`: the transmissions are key-assignment blocks a UE's radio
 * learns of when it loses one (loss.h); else, like data, they are not. */
static void send_common(Net *net, uint32_t rnc, const GArray *cells, const Msg *msg,
                        bool numbered) {
  if (cells->len == 0)
    return;
  uint8_t buf[MSG_MAX_BYTES];
  size_t len = encode(msg, buf);
  report_send(net, (NetElement){NET_RNC, rnc}, NET_VIA_COMMON, msg, len, cells->len);
  if (net->obs.on_common_keys)
    net->obs.on_common_keys(net->obs.ctx, rnc, (const uint32_t *)(void *)cells->data, cells->len,
                            msg);
  uint32_t repeat = net->cfg.loss.repeat;
  Repeat *r = NULL;
  if (repeat > 1) {
    r = g_malloc(sizeof *r + len);
    *r = (Repeat){.net = net, .rnc = rnc, .n_cells = cells->len, .len = len};
    r->cells = g_memdup2(cells->data, cells->len * sizeof(uint32_t));
    r->blocks = g_new(uint32_t, cells->len);
    memcpy(r->bytes, buf, len);
  }
  for (guint i = 0; i < cells->len; i++) {
    uint32_t cell = g_array_index(cells, uint32_t, i);
    g_assert(net_rnc_of_cell(net, cell) == rnc);
    uint32_t block = loss_block_sent(net->loss, cell, numbered, 0);
    if (r)
      r->blocks[i] = block;
    sim_common_send(radio_ran(net->radio, rnc), cell % net->cfg.cells_per_rnc, buf, len);
  }
  for (uint32_t k = 1; r && k < repeat; k++)
    sim_schedule(k * net->cfg.loss.repeat_interval, send_repeat, r, k + 1 == repeat);
}

void net_send_common(Net *net, uint32_t rnc, const GArray *cells, const Msg *msg) {
  send_common(net, rnc, cells, msg, true);
}

void net_send_common_answer(Net *net, uint32_t rnc, const GArray *cells, const Msg *msg) {
  send_common(net, rnc, cells, msg, false);
}

void net_send_data_link(Net *net, NetElement from, NetElement to, const KtData *d) {
  uint8_t buf[MSG_DATA_MAX_BYTES];
  size_t len = msg_encode_data(d, buf, sizeof buf);
  g_assert(len > 0);
  sim_link_send(link_between(net, from, to), node_of(net, from), buf, len);
}

void net_send_data_common(Net *net, uint32_t rnc, const GArray *cells, const KtData *d) {
  if (cells->len == 0)
    return;
  uint8_t buf[MSG_DATA_MAX_BYTES];
  size_t len = msg_encode_data(d, buf, sizeof buf);
  g_assert(len > 0);
  if (net->obs.on_common_data)
    net->obs.on_common_data(net->obs.ctx, rnc, (const uint32_t *)(void *)cells->data, cells->len,
                            d);
  for (guint i = 0; i < cells->len; i++) {
    uint32_t cell = g_array_index(cells, uint32_t, i);
    loss_block_sent(net->loss, cell, false, 0);
    sim_common_send(radio_ran(net->radio, rnc), cell % net->cfg.cells_per_rnc, buf, len);
  }
}

/* -------------------------------------------------------------- wrapping */

void net_wrap(Net *net, NetElement by, uint32_t seq, KtWrap *out, const KtKey *key,
              const KtKey *under) {
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_nonce(net->keygen, nonce);
  if (kt_wrap(out, key, under, nonce) != 0)
    g_error("libsodium refused to wrap a key");
  if (net->obs.on_wrap)
    net->obs.on_wrap(net->obs.ctx, by, seq, 1);
}

bool net_unwrap(Net *net, NetElement by, KtKey *out, const KtWrap *wrap, const KtKey *under) {
  /* each holder's open is its own (counted, checked, installed by it); only
   * the decryption of equal bytes under equal key bytes is shared */
  bool ok = (net->unwrap_share ? unwrap_share_open(net->unwrap_share, out, wrap, under)
                               : kt_unwrap(out, wrap, under)) == 0;
  if (net->obs.on_unwrap)
    net->obs.on_unwrap(net->obs.ctx, by, ok);
  return ok;
}

int net_open(Net *net, KtKey *out, const KtWrap *wrap, const KtKey *under) {
  g_assert(net->unwrap_share);
  return unwrap_share_open(net->unwrap_share, out, wrap, under);
}

void net_open_repeats(Net *net, uint64_t n) {
  g_assert(net->unwrap_share);
  unwrap_share_note_repeats(net->unwrap_share, n);
}

/* ---------------------------------------------------------------- timers */

/* arg: kind (8 bits) | timer (24 bits) | element index (32 bits) */
static void timer_fired(void *ctx, uint64_t arg) {
  Net *net = ctx;
  NetKind kind = (NetKind)(arg >> 56);
  uint32_t timer = (uint32_t)(arg >> 32) & 0xffffffu;
  g_assert(kind < NET_KIND_COUNT && net->ops[kind]->on_timer);
  net->ops[kind]->on_timer(net, (uint32_t)arg, timer);
}

void net_set_timer(Net *net, NetElement el, double delay_s, uint32_t timer) {
  g_assert(timer <= 0xffffffu);
  uint64_t arg = (uint64_t)el.kind << 56 | (uint64_t)timer << 32 | el.index;
  sim_schedule(delay_s, timer_fired, net, arg);
}
