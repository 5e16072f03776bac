/* net.c — builds the network on the simulator (nodes, links, RANs, each
 * element kind's state through its NodeOps), provisions initial members and
 * answers net.h's calls by asking the element that knows. The top of
 * nodes/: it includes every element header, and no file includes it. */
#include "nodes/net.h"

#include "nodes/bmsc.h"
#include "nodes/data.h"
#include "nodes/loss.h"
#include "nodes/node.h"
#include "nodes/plan.h"
#include "nodes/radio.h"
#include "nodes/relay.h"
#include "nodes/rnc.h"
#include "nodes/ue.h"
#include "nodes/unwrap_share.h"

static const NodeOps *const kinds[NET_KIND_COUNT] = {
    [NET_BMSC] = &bmsc_ops, [NET_GGSN] = &ggsn_ops, [NET_SGSN] = &sgsn_ops,
    [NET_RNC] = &rnc_ops,   [NET_UE] = &ue_ops,
};

/* The losses (nodes/loss.h), once the RANs and links exist; NULL when
 * nothing is lossy and recovery is off (then no draw is ever made). */
static Loss *make_loss(Net *net) {
  const NetLoss *c = &net->cfg.loss;
  if (c->common.model == SIM_LOSS_NONE && c->dch.model == SIM_LOSS_NONE && c->core <= 0 &&
      c->iu <= 0 && !c->recovery)
    return NULL;
  Loss *loss = loss_new(&c->common, &c->dch, &c->states, c->seed, c->recovery, net->n_cells);
  for (uint32_t r = 0; r < net->n_rnc; r++)
    loss_set_dch(loss, radio_ran(net->radio, r), c->dch_max_retx);
  for (uint32_t g = 0; c->core > 0 && g < net->cfg.ggsn; g++)
    loss_set_link(loss, net->ggsn_uplink[g], c->core);
  for (uint32_t s = 0; c->core > 0 && s < net->n_sgsn; s++)
    loss_set_link(loss, net->sgsn_uplink[s], c->core);
  for (uint32_t r = 0; c->iu > 0 && r < net->n_rnc; r++)
    loss_set_link(loss, net->rnc_uplink[r], c->iu);
  return loss;
}

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
  for (int k = 0; k < NET_KIND_COUNT; k++)
    net->ops[k] = kinds[k];

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
  net->radio = radio_new(net->n_rnc, config->cells_per_rnc, config->ue_capacity);

  net->ggsn_uplink = g_new(SimLinkId, config->ggsn);
  net->sgsn_uplink = g_new(SimLinkId, net->n_sgsn);
  net->rnc_uplink = g_new(SimLinkId, net->n_rnc);
  for (uint32_t g = 0; g < config->ggsn; g++)
    net->ggsn_uplink[g] = sim_link_new(net->bmsc_node, net->ggsn_node[g], &config->core);
  for (uint32_t s = 0; s < net->n_sgsn; s++)
    net->sgsn_uplink[s] =
        sim_link_new(net->ggsn_node[net_ggsn_of_sgsn(net, s)], net->sgsn_node[s], &config->core);
  for (uint32_t r = 0; r < net->n_rnc; r++) {
    net->rnc_uplink[r] =
        sim_link_new(net->sgsn_node[net_sgsn_of_rnc(net, r)], net->rnc_node[r], &config->iu);
    radio_add_ran(net->radio, r, net->rnc_node[r], &config->dch, &config->common);
  }
  net_transport_listen(net);
  net->loss = make_loss(net);

  net->plans = plan_book_new();
  if (!config->crypto_per_ue)
    net->unwrap_share = unwrap_share_new();
  net->scratch = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  net->scratch_ues = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  if (config->data_rate > 0)
    data_new(net);
  /* The network-domain key of the BM-SC and the RNCs (embodiment 1),
   * provisioned at session start; each element keeps its own copy. */
  KtKey core_key;
  KtKeyRef core_ref = {KT_KEY_ID(KT_KEY_CORE, 0), 1};
  kt_keygen_fresh(net->keygen, &core_key, core_ref);
  for (int k = 0; k < NET_KIND_COUNT; k++)
    net->ops[k]->init(net, &core_key);
  kt_key_wipe(&core_key);
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
    ok = sim_pcap_ran(radio_ran(net->radio, r), path);
    if (!ok)
      *failed = path;
    else
      g_free(path);
  }
  g_free(core);
  g_free(iu);
  return ok;
}

void net_free(Net *net) {
  if (!net)
    return;
  for (int k = NET_KIND_COUNT - 1; k >= 0; k--)
    net->ops[k]->fini(net);
  data_free(net);
  loss_free(net->loss);
  plan_book_free(net->plans);
  unwrap_share_free(net->unwrap_share);
  radio_free(net->radio);
  g_array_free(net->scratch, TRUE);
  g_array_free(net->scratch_ues, TRUE);
  g_free(net->ggsn_node);
  g_free(net->sgsn_node);
  g_free(net->rnc_node);
  g_free(net->ggsn_uplink);
  g_free(net->sgsn_uplink);
  g_free(net->rnc_uplink);
  g_free(net);
}

/* Provisioning creates a node and a device per UE, each with an ns-3
 * initialisation event at time 0: they are run every so many UEs (sim_settle)
 * rather than all kept until the run. */
#define NET_SETTLE_EVERY 4096u

void net_provision(Net *net, uint32_t ue, uint32_t cell) {
  ue_appear(net, ue, cell);
  if (radio_n_ues_seen(net->radio) % NET_SETTLE_EVERY == 0)
    sim_settle();
  KtPlan plan;
  kt_plan_init(&plan);
  bool ok = kt_tree_join(net->tree, ue, cell, false, &plan);
  g_assert(ok);
  radio_bearer_join(net->radio, ue, cell);
  relay_provision(net, net_rnc_of_cell(net, cell));
  bmsc_provision(net, net_rnc_of_cell(net, cell));
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, NET_NO_SEQ, &plan, kt_tree_scope_members(net->tree, plan.scope));
  /* other members the plan gives a key to (an LKH split) get it directly too */
  for (guint i = 0; i < plan.deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan.deliveries, KtDelivery, i);
    if (d->target == KT_TO_UE && d->target_id != ue)
      ue_sync_from_tree(net, d->target_id);
  }
  kt_plan_free(&plan);
  ue_sync_from_tree(net, ue);
  ue_set_member(net, ue);
}

void net_provision_done(Net *net) {
  for (uint32_t ue = 0; ue < net->cfg.ue_capacity; ue++)
    if (kt_tree_is_member(net->tree, ue))
      ue_sync_from_tree(net, ue);
  sim_settle();
}

void net_ue_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  ue_start_join(net, ue, cell, seq);
}

void net_ue_leave(Net *net, uint32_t ue, uint32_t seq) {
  ue_start_leave(net, ue, seq);
}

void net_ue_move(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  g_assert(cell < net->n_cells);
  ue_start_move(net, ue, cell, seq);
}

uint32_t net_ue_actions_waiting(const Net *net) {
  return ue_actions_waiting(net);
}

/* ------------------------------------------------------------ inspection */

uint32_t net_n_ues_seen(const Net *net) {
  return radio_n_ues_seen(net->radio);
}

bool net_ue_holds_group_key(const Net *net, uint32_t ue, const KtKey *key) {
  return ue_holds_group_key(net, ue, key);
}

uint32_t net_ue_keys_held(const Net *net, uint32_t ue) {
  return ue_keys_held(net, ue);
}

bool net_ue_can_open(const Net *net, uint32_t ue, const KtWrap *wrap) {
  return ue_can_open(net, ue, wrap);
}

void net_ue_copy_keys(const Net *net, uint32_t ue, GArray *out) {
  ue_copy_keys(net, ue, out);
}

uint64_t net_data_verify_mismatches(const Net *net) {
  return ue_data_verify_mismatches(net);
}

void net_ue_request_keys(Net *net, uint32_t ue) {
  ue_request_keys(net, ue);
}

uint64_t net_recovery_abandoned(const Net *net) {
  return ue_recovery_gave_up(net);
}

uint64_t net_nas_retransmissions(const Net *net) {
  return ue_nas_resent(net);
}

uint64_t net_nas_aborted(const Net *net) {
  return ue_nas_gave_up(net);
}

uint32_t net_ue_camped_cell(const Net *net, uint32_t ue) {
  return radio_ue_cell(net->radio, ue);
}

bool net_ue_listens(const Net *net, uint32_t ue, uint32_t cell) {
  return radio_bearer_has(net->radio, ue, cell);
}

uint32_t net_pending_wraps(const Net *net) {
  return ue_pending_wraps(net);
}

uint64_t net_unwraps_shared(const Net *net) {
  return unwrap_share_hits(net->unwrap_share);
}

uint32_t net_member_pending_wraps(const Net *net) {
  return ue_member_pending_wraps(net);
}
