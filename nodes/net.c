/* net.c — builds the network on the simulator, moves messages, dispatches
 * what arrives to the element that receives it. Counting goes through the
 * NetObserver only (see net.h). */
#include "nodes/net.h"

#include <string.h>

#include "keytree/kt_wrap.h"
#include "nodes/net_internal.h"

#define NO_NODE UINT32_MAX

/* ---------------------------------------------------------------- topology */

guint net_sgsn_members(const Net *net, uint32_t sgsn) {
  guint n = 0;
  for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++)
    n += kt_tree_rnc_members(net->tree, sgsn * net->cfg.rnc_per_sgsn + i);
  return n;
}

guint net_ggsn_members(const Net *net, uint32_t ggsn) {
  guint n = 0;
  for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++)
    n += net_sgsn_members(net, ggsn * net->cfg.sgsn_per_ggsn + i);
  return n;
}

bool net_rnc_gets_request(const Net *net, uint32_t seq, uint32_t rnc) {
  PlanSlot *slot = g_hash_table_lookup(net->plans, GUINT_TO_POINTER(seq));
  if (slot && !slot->plan.group_changed)
    return net_has_group_work(&slot->plan, rnc);
  return kt_tree_rnc_members(net->tree, rnc) > 0;
}

bool net_sgsn_gets_request(const Net *net, uint32_t seq, uint32_t sgsn) {
  for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++)
    if (net_rnc_gets_request(net, seq, sgsn * net->cfg.rnc_per_sgsn + i))
      return true;
  return false;
}

bool net_ggsn_gets_request(const Net *net, uint32_t seq, uint32_t ggsn) {
  for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++)
    if (net_sgsn_gets_request(net, seq, ggsn * net->cfg.sgsn_per_ggsn + i))
      return true;
  return false;
}

/* Which element a (network) sim node is. */
static NetElement element_of_node(const Net *net, SimNodeId node) {
  if (node == net->bmsc_node)
    return (NetElement){NET_BMSC, 0};
  if (node >= net->first_ue_node) {
    uint32_t ue = g_array_index(net->node_ue, uint32_t, node - net->first_ue_node);
    return (NetElement){NET_UE, ue};
  }
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

static const NodeOps *ops_of(NetKind kind) {
  switch (kind) {
  case NET_BMSC:
    return &bmsc_ops;
  case NET_GGSN:
    return &ggsn_ops;
  case NET_SGSN:
    return &sgsn_ops;
  case NET_RNC:
    return &rnc_ops;
  case NET_UE:
    return &ue_ops;
  }
  g_assert_not_reached();
}

/* ------------------------------------------------------------- receiving */

static bool decode_or_reject(Net *net, NetElement to, const uint8_t *bytes, size_t len, Msg *msg) {
  const char *why = NULL;
  if (msg_decode(msg, bytes, len, &why))
    return true;
  if (net->obs.on_reject)
    net->obs.on_reject(net->obs.ctx, to, why);
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
  if (net->obs.on_reject)
    net->obs.on_reject(net->obs.ctx, to, why);
  return false;
}

/* A data packet arrived at a network element; false if the bytes are not
 * one (then they are a control message). */
static bool deliver_data(Net *net, NetElement to, const uint8_t *bytes, size_t len) {
  if (!msg_is_data(bytes, len))
    return false;
  KtData d;
  if (to.kind == NET_UE) {
    if (net->obs.on_reject)
      net->obs.on_reject(net->obs.ctx, to, "data packet where none is expected");
  } else if (decode_data_or_reject(net, to, bytes, len, &d)) {
    data_on_link(net, to, &d);
  }
  return true;
}

static void deliver(Net *net, NetElement to, NetElement from, NetVia via, const uint8_t *bytes,
                    size_t len) {
  if (deliver_data(net, to, bytes, len))
    return;
  Msg msg;
  if (!decode_or_reject(net, to, bytes, len, &msg))
    return;
  if (net->obs.on_receive)
    net->obs.on_receive(net->obs.ctx, to, via, &msg, len, 1);
  ops_of(to.kind)->on_message(net, to.index, from, &msg);
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

static void on_common(void *ctx, SimRanId ran, uint32_t cell, const uint8_t *bytes, size_t len) {
  Net *net = ctx;
  uint32_t global_cell = ran * net->cfg.cells_per_rnc + cell;
  /* Every UE of the cell hears the same bytes; they are decoded once here
   * (the bytes are identical for all) and each holder then unwraps with its
   * own keys. A malformed transmission is counted once, at the UEs' row. */
  if (msg_is_data(bytes, len)) {
    KtData d;
    if (decode_data_or_reject(net, (NetElement){NET_UE, 0}, bytes, len, &d))
      data_on_common(net, ran, global_cell, &d);
    return;
  }
  Msg msg;
  if (!decode_or_reject(net, (NetElement){NET_UE, 0}, bytes, len, &msg))
    return;
  ue_dispatch_common(net, ran, global_cell, &msg, len);
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
    return net->ue[e.index].node;
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
  sim_dch_up(net->ran[net->ue[ue].rnc], net->ue[ue].node, buf, len);
}

void net_send_dch_down(Net *net, uint32_t rnc, uint32_t ue, const Msg *msg) {
  if (!sim_ran_has_ue(net->ran[rnc], net->ue[ue].node)) {
    /* the UE left and is camped under another RNC now (a rejoin faster than
     * its deactivation's round trip): this RNC's radio no longer reaches it */
    if (net->obs.on_reject)
      net->obs.on_reject(net->obs.ctx, (NetElement){NET_RNC, rnc},
                         "dedicated channel to a UE camped under another RNC");
    return;
  }
  uint8_t buf[MSG_MAX_BYTES];
  size_t len = encode(msg, buf);
  report_send(net, (NetElement){NET_RNC, rnc}, NET_VIA_DCH, msg, len, 1);
  sim_dch_down(net->ran[rnc], net->ue[ue].node, buf, len);
}

void net_send_common(Net *net, uint32_t rnc, const GArray *cells, const Msg *msg) {
  if (cells->len == 0)
    return;
  uint8_t buf[MSG_MAX_BYTES];
  size_t len = encode(msg, buf);
  report_send(net, (NetElement){NET_RNC, rnc}, NET_VIA_COMMON, msg, len, cells->len);
  if (net->obs.on_common_keys)
    net->obs.on_common_keys(net->obs.ctx, rnc, (const uint32_t *)(void *)cells->data, cells->len,
                            msg);
  for (guint i = 0; i < cells->len; i++) {
    uint32_t cell = g_array_index(cells, uint32_t, i);
    g_assert(net_rnc_of_cell(net, cell) == rnc);
    sim_common_send(net->ran[rnc], cell % net->cfg.cells_per_rnc, buf, len);
  }
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
    sim_common_send(net->ran[rnc], cell % net->cfg.cells_per_rnc, buf, len);
  }
}

void net_member_cells(const Net *net, uint32_t rnc, GArray *out) {
  g_array_set_size(out, 0);
  for (uint32_t c = 0; c < net->cfg.cells_per_rnc; c++) {
    uint32_t cell = rnc * net->cfg.cells_per_rnc + c;
    guint n = 0;
    kt_tree_cell_ues(net->tree, cell, &n);
    if (n > 0)
      g_array_append_val(out, cell);
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
  bool ok = kt_unwrap(out, wrap, under) == 0;
  if (net->obs.on_unwrap)
    net->obs.on_unwrap(net->obs.ctx, by, ok);
  return ok;
}

/* ----------------------------------------------------------------- plans */

static void plan_slot_free(gpointer p) {
  PlanSlot *slot = p;
  kt_plan_free(&slot->plan);
  g_free(slot);
}

PlanSlot *net_plan_new(Net *net, uint32_t seq) {
  if (g_hash_table_contains(net->plans, GUINT_TO_POINTER(seq)))
    return NULL;
  PlanSlot *slot = g_new0(PlanSlot, 1);
  kt_plan_init(&slot->plan);
  g_hash_table_insert(net->plans, GUINT_TO_POINTER(seq), slot);
  return slot;
}

PlanSlot *net_plan_get(Net *net, uint32_t seq) {
  return g_hash_table_lookup(net->plans, GUINT_TO_POINTER(seq));
}

void net_plan_part_done(Net *net, uint32_t seq) {
  PlanSlot *slot = net_plan_get(net, seq);
  if (!slot)
    return;
  g_assert(slot->parts_left > 0);
  if (--slot->parts_left == 0)
    g_hash_table_remove(net->plans, GUINT_TO_POINTER(seq));
}

void net_note_leaked(Net *net, KtKeyRef ref) {
  if (ref.version > net_leaked_version(net, ref.id))
    g_hash_table_insert(net->leaked, GUINT_TO_POINTER(ref.id), GUINT_TO_POINTER(ref.version));
}

uint32_t net_leaked_version(const Net *net, KtKeyId id) {
  return GPOINTER_TO_UINT(g_hash_table_lookup(net->leaked, GUINT_TO_POINTER(id)));
}

/* ------------------------------------------------------------- building */

Net *net_new(const NetConfig *config, KtTree *tree, const NetObserver *observer) {
  g_assert(config->embodiment == 1 || config->embodiment == 2);
  Net *net = g_new0(Net, 1);
  net->cfg = *config;
  net->tree = tree;
  net->keygen = kt_tree_keygen(tree);
  net->obs = *observer;
  net->n_sgsn = config->ggsn * config->sgsn_per_ggsn;
  net->n_rnc = net->n_sgsn * config->rnc_per_sgsn;
  net->n_cells = net->n_rnc * config->cells_per_rnc;

  net->bmsc_node = sim_node_new();
  net->ggsn_node = g_new(SimNodeId, config->ggsn);
  net->sgsn_node = g_new(SimNodeId, net->n_sgsn);
  net->rnc_node = g_new(SimNodeId, net->n_rnc);
  for (uint32_t g = 0; g < config->ggsn; g++)
    net->ggsn_node[g] = sim_node_new();
  for (uint32_t s = 0; s < net->n_sgsn; s++)
    net->sgsn_node[s] = sim_node_new();
  for (uint32_t r = 0; r < net->n_rnc; r++)
    net->rnc_node[r] = sim_node_new();
  g_assert(net->rnc_node[0] == net->bmsc_node + 1 + config->ggsn + net->n_sgsn);
  net->first_ue_node = sim_node_count();
  net->node_ue = g_array_new(FALSE, FALSE, sizeof(uint32_t));

  net->ggsn_uplink = g_new(SimLinkId, config->ggsn);
  net->sgsn_uplink = g_new(SimLinkId, net->n_sgsn);
  net->rnc_uplink = g_new(SimLinkId, net->n_rnc);
  net->ran = g_new(SimRanId, net->n_rnc);
  for (uint32_t g = 0; g < config->ggsn; g++)
    net->ggsn_uplink[g] =
        sim_link_new(net->bmsc_node, net->ggsn_node[g], config->core_rate, config->core_delay);
  for (uint32_t s = 0; s < net->n_sgsn; s++)
    net->sgsn_uplink[s] = sim_link_new(net->ggsn_node[net_ggsn_of_sgsn(net, s)], net->sgsn_node[s],
                                       config->core_rate, config->core_delay);
  for (uint32_t r = 0; r < net->n_rnc; r++) {
    net->rnc_uplink[r] = sim_link_new(net->sgsn_node[net_sgsn_of_rnc(net, r)], net->rnc_node[r],
                                      config->iu_rate, config->iu_delay);
    net->ran[r] = sim_ran_new(net->rnc_node[r], config->cells_per_rnc, config->dch_rate,
                              config->dch_delay, config->common_rate, config->common_delay);
    g_assert(net->ran[r] == r); /* RAN ids double as RNC indices in on_dch/on_common */
  }

  SimReceiver receiver = {.on_link = on_link, .on_dch = on_dch, .on_common = on_common, .ctx = net};
  sim_set_receiver(&receiver);

  /* Keys held by the network elements at session start: the core key, and
   * each scope's group key at the BM-SC (embodiment 1) and at every RNC
   * (MBMS session start reaches every RNC of the service area). */
  KtKeyRef core_ref = {KT_KEY_ID(KT_KEY_CORE, 0), 1};
  kt_keygen_fresh(net->keygen, &net->core_key, core_ref);
  net->bmsc_group = *kt_tree_group_key(tree, 0);
  net->rnc = g_new0(RncState, net->n_rnc);
  net->leaked = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (uint32_t r = 0; r < net->n_rnc; r++)
    net->rnc[r].group = *kt_tree_group_key(tree, kt_tree_scope_of_rnc(tree, r));

  net->ue = g_new0(UeState, config->ue_capacity ? config->ue_capacity : 1);
  for (uint32_t u = 0; u < config->ue_capacity; u++)
    net->ue[u].node = NO_NODE;
  net->plans = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, plan_slot_free);
  net->pending = g_array_new(FALSE, FALSE, sizeof(PendingWrap));
  net->scratch_cells = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  net->scratch_ues = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  net->batch_ops = g_new0(GArray *, net->n_rnc + 1);
  for (uint32_t h = 0; h <= net->n_rnc; h++)
    net->batch_ops[h] = g_array_new(FALSE, FALSE, sizeof(KtBatchOp));
  net->batch_seq = g_new0(uint32_t, net->n_rnc + 1);
  net->batch_armed = g_new0(uint8_t, net->n_rnc + 1);
  if (config->data_rate > 0)
    data_start(net);
  return net;
}

bool net_trace_pcap(Net *net, const char *dir, char **failed) {
  char *core = g_build_filename(dir, "core.pcap", NULL);
  char *iu = g_build_filename(dir, "iu.pcap", NULL);
  bool ok = true;
  for (uint32_t g = 0; ok && g < net->cfg.ggsn; g++)
    ok = sim_pcap_link(net->ggsn_uplink[g], core);
  for (uint32_t s = 0; ok && s < net->n_sgsn; s++)
    ok = sim_pcap_link(net->sgsn_uplink[s], core);
  if (!ok) {
    *failed = g_strdup(core);
  }
  for (uint32_t r = 0; ok && r < net->n_rnc; r++) {
    ok = sim_pcap_link(net->rnc_uplink[r], iu);
    if (!ok)
      *failed = g_strdup(iu);
  }
  for (uint32_t r = 0; ok && r < net->n_rnc; r++) {
    char name[32];
    g_snprintf(name, sizeof name, "radio-rnc%u.pcap", r);
    char *path = g_build_filename(dir, name, NULL);
    ok = sim_pcap_ran(net->ran[r], path);
    if (!ok)
      *failed = path;
    else
      g_free(path);
  }
  g_free(core);
  g_free(iu);
  return ok;
}

static void ue_forget_nodes(UeState *st) {
  for (uint8_t i = 0; i < st->n_nodes; i++)
    kt_key_wipe(&st->nodes[i]);
  g_free(st->nodes);
  st->nodes = NULL;
  st->n_nodes = st->cap_nodes = 0;
}

void net_free(Net *net) {
  if (!net)
    return;
  data_free(net);
  for (uint32_t u = 0; u < net->cfg.ue_capacity; u++) {
    kt_key_wipe(&net->ue[u].priv);
    kt_key_wipe(&net->ue[u].subgroup);
    kt_key_wipe(&net->ue[u].group);
    ue_forget_nodes(&net->ue[u]);
    kt_key_wipe(&net->ue[u].prev_group);
  }
  for (uint32_t r = 0; r < net->n_rnc; r++)
    kt_key_wipe(&net->rnc[r].group);
  kt_key_wipe(&net->core_key);
  kt_key_wipe(&net->bmsc_group);
  g_free(net->ue);
  g_free(net->rnc);
  g_hash_table_destroy(net->leaked);
  g_hash_table_destroy(net->plans);
  g_array_free(net->pending, TRUE);
  g_array_free(net->scratch_cells, TRUE);
  g_array_free(net->scratch_ues, TRUE);
  for (uint32_t h = 0; h <= net->n_rnc; h++)
    g_array_free(net->batch_ops[h], TRUE);
  g_free(net->batch_ops);
  g_free(net->batch_seq);
  g_free(net->batch_armed);
  g_array_free(net->node_ue, TRUE);
  g_free(net->ggsn_node);
  g_free(net->sgsn_node);
  g_free(net->rnc_node);
  g_free(net->ggsn_uplink);
  g_free(net->sgsn_uplink);
  g_free(net->rnc_uplink);
  g_free(net->ran);
  g_free(net);
}

/* ------------------------------------------------------------------- UEs */

/* Creates the UE's node on first appearance and camps its radio on the RAN
 * of `cell` (a UE that comes back under another RNC takes its one radio
 * there: sim_ran_attach). */
static void ue_enter_cell(Net *net, uint32_t ue, uint32_t cell) {
  g_assert(ue < net->cfg.ue_capacity);
  g_assert(cell < net->n_cells);
  UeState *st = &net->ue[ue];
  uint32_t rnc = net_rnc_of_cell(net, cell);
  if (st->node == NO_NODE) {
    st->node = sim_node_new();
    g_assert(st->node - net->first_ue_node == net->node_ue->len);
    g_array_append_val(net->node_ue, ue);
    kt_keygen_private(net->keygen, &st->priv, ue);
  }
  sim_ran_attach(net->ran[rnc], st->node);
  st->rnc = rnc;
  st->cell = cell;
}

void net_provision(Net *net, uint32_t ue, uint32_t cell) {
  ue_enter_cell(net, ue, cell);
  KtPlan plan;
  kt_plan_init(&plan);
  bool ok = kt_tree_join(net->tree, ue, cell, false, &plan);
  g_assert(ok);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, NET_NO_SEQ, &plan, kt_tree_scope_members(net->tree, plan.scope));
  /* other members the plan gives a key to (an LKH split) get it directly too */
  for (guint i = 0; i < plan.deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan.deliveries, KtDelivery, i);
    if (d->target == KT_TO_UE && d->target_id != ue)
      net_ue_sync_from_tree(net, d->target_id);
  }
  kt_plan_free(&plan);
  net_ue_sync_from_tree(net, ue);
  net->ue[ue].member = 1;
}

void net_ue_sync_from_tree(Net *net, uint32_t ue) {
  const KtKey *keys[KT_PLAN_MAX_KEYS];
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  for (guint i = 0; i < n; i++) {
    KtKey *slot = net_ue_key_slot(net, ue, keys[i]->ref.id, true);
    *slot = *keys[i];
  }
}

void net_ue_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  ue_enter_cell(net, ue, cell);
  /* LKH: a rejoining UE starts a new path; the node keys of its old one
   * (kept while it was away) are dropped, so that its key list stays its
   * path */
  ue_forget_nodes(&net->ue[ue]);
  net->ue[ue].member = 1;
  Msg msg;
  msg_init(&msg, MSG_ACTIVATE_REQ, seq);
  msg.ue = ue;
  msg.cell = cell;
  net_send_dch_up(net, ue, &msg);
}

void net_ue_leave(Net *net, uint32_t ue, uint32_t seq) {
  UeState *st = &net->ue[ue];
  g_assert(st->node != NO_NODE);
  /* The UE stops being a member from its own point of view, but keeps every
   * key it holds: a departed UE is a potential eavesdropper. */
  st->member = 0;
  Msg msg;
  msg_init(&msg, MSG_DEACTIVATE_REQ, seq);
  msg.ue = ue;
  msg.cell = st->cell;
  net_send_dch_up(net, ue, &msg);
}

/* ------------------------------------------------------------ inspection */

uint32_t net_n_ues_seen(const Net *net) {
  return net->node_ue->len;
}

bool net_ue_holds_group_key(const Net *net, uint32_t ue, const KtKey *key) {
  const KtKey *held = &net->ue[ue].group;
  return kt_ref_equal(held->ref, key->ref) && memcmp(held->bytes, key->bytes, KT_KEYBYTES) == 0;
}

/* Every key UE `ue` holds (version != 0) into `out`; the previous group
 * key (kept only to read late data) with `with_previous`. Returns the count. */
#define UE_MAX_KEYS (4u + 128u) /* priv, subgroup, group, previous, LKH nodes */
static guint ue_keys(const UeState *st, bool with_previous, const KtKey *out[UE_MAX_KEYS]) {
  guint n = 0;
  const KtKey *fixed[] = {&st->priv, &st->subgroup, &st->group, &st->prev_group};
  for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
    if (fixed[i]->ref.version != 0 && (with_previous || fixed[i] != &st->prev_group))
      out[n++] = fixed[i];
  for (uint8_t i = 0; i < st->n_nodes; i++) /* LKH node keys */
    if (st->nodes[i].ref.version != 0)
      out[n++] = &st->nodes[i];
  return n;
}

uint32_t net_ue_keys_held(const Net *net, uint32_t ue) {
  const KtKey *held[UE_MAX_KEYS];
  return ue_keys(&net->ue[ue], false, held);
}

bool net_ue_can_open(const Net *net, uint32_t ue, const KtWrap *wrap) {
  const KtKey *held[UE_MAX_KEYS];
  guint n_held = ue_keys(&net->ue[ue], true, held);
  for (guint i = 0; i < n_held; i++) {
    /* real decryption with whatever the UE holds, refs forced to match, so
     * that only the key bytes decide */
    KtKey probe = *held[i];
    probe.ref = wrap->under;
    KtKey out;
    bool ok = kt_unwrap(&out, wrap, &probe) == 0;
    kt_key_wipe(&probe);
    if (ok) {
      kt_key_wipe(&out);
      return true;
    }
  }
  return false;
}

void net_drop_pending(Net *net, uint32_t ue) {
  for (guint i = 0; i < net->pending->len;) {
    if (g_array_index(net->pending, PendingWrap, i).ue == ue)
      g_array_remove_index(net->pending, i);
    else
      i++;
  }
}

void net_ue_copy_keys(const Net *net, uint32_t ue, GArray *out) {
  const KtKey *held[UE_MAX_KEYS];
  guint n = ue_keys(&net->ue[ue], true, held);
  for (guint i = 0; i < n; i++)
    g_array_append_vals(out, held[i], 1);
}

uint64_t net_data_verify_mismatches(const Net *net) {
  return net->data_verify_mismatches;
}

uint32_t net_pending_wraps(const Net *net) {
  return net->pending->len;
}
