/* bmsc.c — the BM-SC: answers MBMS context activation and deactivation and,
 * in embodiment 1, owns the group key: on every change it sends the new key
 * down the distribution tree (MBMS group key change request to each GGSN
 * with members below), wrapped under the network-domain core key.
 *
 * Order matters: the key change goes out before the accept, and links are
 * FIFO, so the joiner's RNC has the new group key before the accept that
 * makes it send the joiner its keys. */
#include <string.h>

#include "nodes/net_internal.h"

static void send_request(Net *net, const Msg *msg) {
  NetElement self = {NET_BMSC, 0};
  for (uint32_t g = 0; g < net->cfg.ggsn; g++)
    if (net_ggsn_gets_request(net, msg->seq, g))
      net_send_link(net, self, (NetElement){NET_GGSN, g}, msg);
}

/* Whether `k`, a key of `plan`, is a new value (the plan holds no newer). */
static bool is_new_node_key(const KtPlan *plan, const KtKey *k) {
  return KT_KEY_ID_KIND(k->ref.id) == KT_KEY_SUBGROUP && !kt_plan_replaced(plan, k->ref);
}

void bmsc_send_group_key_change(Net *net, uint32_t seq, uint32_t scope) {
  NetElement self = {NET_BMSC, 0};
  Msg msg;
  msg_init(&msg, MSG_GROUP_KEY_CHANGE_REQ, seq);
  msg.scope = scope;
  msg.n_wraps = 1;
  net_wrap(net, self, seq, &msg.wraps[0], &net->bmsc_group, &net->core_key);
  /* LKH in embodiment 1: the interior (node) keys belong to the tree at the
   * BM-SC, like the group key, and the RNCs wrap with them: the new ones
   * travel in the request too, under the core key. A request holds the
   * group key and up to MSG_MAX_WRAPS - 1 node keys; a batch that changed
   * more sends further requests (each counted as core messages), and the
   * RNCs act on the first (a simplification, docs/schemes.md). */
  const PlanSlot *slot = net_plan_get(net, seq);
  if (slot && kt_tree_node_keys(net->tree)) {
    const GArray *values = slot->plan.key_values;
    for (guint i = 0; i < values->len; i++) {
      const KtKey *k = &g_array_index(values, KtKey, i);
      if (!is_new_node_key(&slot->plan, k))
        continue;
      if (msg.n_wraps == MSG_MAX_WRAPS) {
        send_request(net, &msg);
        msg.n_wraps = 1;
      }
      net_wrap(net, self, seq, &msg.wraps[msg.n_wraps++], k, &net->core_key);
    }
  }
  send_request(net, &msg);
}

/* Embodiment 1: the plan made at the RNC says whether the group key
 * changed; the BM-SC installs the new value it owns and distributes it. */
static void maybe_change_group_key(Net *net, uint32_t seq) {
  PlanSlot *slot = net_plan_get(net, seq);
  if (!slot)
    return;
  const KtPlan *plan = &slot->plan;
  if (plan->group_changed) {
    const KtKey *next = kt_plan_key(plan, plan->group_after);
    g_assert(next);
    if (next->ref.version > net->bmsc_group.ref.version) {
      kt_key_wipe(&net->bmsc_group);
      net->bmsc_group = *next;
    }
  }
  if (plan->group_retired) {
    /* the group emptied: the new key is the BM-SC's alone until the next
     * joiner's accept carries it; no request (nobody below to tell) */
    data_key_retired(net, 0, &net->bmsc_group);
    net_plan_part_done(net, seq);
    return;
  }
  /* Also without a new group key when other RNCs have work for this event
   * (LKH: a split leaf at another RNC gets its new node key): the request
   * is what tells them, and carries the current group key. */
  if (plan->group_changed || net_has_group_work(plan, UINT32_MAX))
    bmsc_send_group_key_change(net, seq, plan->scope);
  if (plan->group_changed)
    data_key_sent(net, 0, &net->bmsc_group);
  net_plan_part_done(net, seq);
}

static void answer(Net *net, const Msg *req, MsgType type) {
  Msg msg;
  msg_init(&msg, type, req->seq);
  msg.ue = req->ue;
  msg.cell = req->cell;
  NetElement self = {NET_BMSC, 0};
  /* Embodiment 1, activation: the accept carries the current group key to
   * the RNC (MBMS bearer set-up), which hands it to the joiner. */
  if (type == MSG_ACTIVATE_ACCEPT && net->cfg.embodiment == 1) {
    msg.n_wraps = 1;
    net_wrap(net, self, NET_NO_SEQ /* signalling, not a rekey */, &msg.wraps[0], &net->bmsc_group,
             &net->core_key);
  }
  uint32_t rnc = net_rnc_of_cell(net, req->cell);
  uint32_t ggsn = net_ggsn_of_sgsn(net, net_sgsn_of_rnc(net, rnc));
  net_send_link(net, self, (NetElement){NET_GGSN, ggsn}, &msg);
}

static void bmsc_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg) {
  (void)self;
  (void)from;
  bool gather = net->cfg.batch && net->cfg.embodiment == 1;
  switch (msg->type) {
  case MSG_ACTIVATE_REQ:
    if (gather)
      batch_gather(net, net->n_rnc, msg->seq, true, msg->ue, msg->cell);
    else if (net->cfg.embodiment == 1)
      maybe_change_group_key(net, msg->seq);
    answer(net, msg, MSG_ACTIVATE_ACCEPT);
    break;
  case MSG_DEACTIVATE_REQ:
    if (gather)
      batch_gather(net, net->n_rnc, msg->seq, false, msg->ue, msg->cell);
    else if (net->cfg.embodiment == 1)
      maybe_change_group_key(net, msg->seq);
    answer(net, msg, MSG_DEACTIVATE_ACCEPT);
    break;
  default:
    /* nothing else is addressed to the BM-SC; ignore, as a real node would */
    break;
  }
}

const NodeOps bmsc_ops = {.name = "bmsc", .on_message = bmsc_on_message};
