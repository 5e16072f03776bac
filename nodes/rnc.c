/* rnc.c — the RNC: the first network element a UE's request reaches, the
 * owner of its sub-group keys, and the element that encrypts and transmits
 * every MBMS key assignment (point-to-point on dedicated channels,
 * point-to-multipoint on its cells' common channels).
 *
 * On a request it asks the key tree for a plan and sends the plan's local
 * part at once (sub-group rekey). The part that needs the group key is sent
 * when the group key is there: at once in embodiment 2 (the RNC holds the
 * whole tree), on the RAB assignment request / the activation accept from
 * the core in embodiment 1 (the group key lives at the BM-SC). */
#include <sodium.h>

#include "nodes/net_internal.h"

static NetElement me(uint32_t rnc) {
  return (NetElement){NET_RNC, rnc};
}

static void reject(Net *net, uint32_t rnc, const char *why) {
  if (net->obs.on_reject)
    net->obs.on_reject(net->obs.ctx, me(rnc), why);
}

/* The value of `ref` as this RNC can use it. A group key is the RNC's own
 * copy (from the BM-SC in embodiment 1); a sub-group or private key is the
 * RNC's own (the tree's current value). Two refinements:
 *   - a plan that wraps a new key under the old version of the same key
 *     (join rekey) names that old version on purpose: the plan keeps it;
 *   - otherwise, if a newer version exists than the plan named (another
 *     event changed the key meanwhile), the newer one is what the holders
 *     have, so it is used. */
static const KtKey *resolve(const Net *net, uint32_t rnc, const KtPlan *plan, KtKeyRef ref) {
  const KtKey *own = NULL;
  if (KT_KEY_ID_KIND(ref.id) == KT_KEY_GROUP) {
    if (net->rnc[rnc].group.ref.id == ref.id)
      own = &net->rnc[rnc].group;
  } else {
    own = kt_tree_key(net->tree, ref.id);
  }
  const KtKey *planned = kt_plan_key(plan, ref);
  if (planned && kt_plan_replaced(plan, ref))
    return planned; /* deliberately the old version */
  if (own && own->ref.version >= ref.version)
    return own;
  return planned;
}

static void send_delivery(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan,
                          const KtDelivery *d) {
  if (d->target == KT_TO_UE && !kt_tree_is_member(net->tree, d->target_id))
    return; /* a joiner that left before its keys came back from the core:
             * it must not get them after its leave */
  const KtKey *under = resolve(net, rnc, plan, d->under);
  if (under && d->target != KT_TO_UE &&
      under->ref.version <= net_leaked_version(net, d->under.id) &&
      kt_tree_forward_secure(net->tree) /* broadcast: insecure by design */)
    return; /* a join rekey's new key (group, sub-group or LKH node key),
             * wrapped under its old version, that is sent (embodiment 1:
             * after the core) once a leave was planned: the leaver holds
             * the old version. Not sending it is safe: that leave changed
             * the key again and sent the newer version to every remaining
             * holder, and later join rekeys wrap under that one. */
  if (!under && (d->target == KT_TO_SUBGROUP || d->target == KT_TO_NODE) &&
      !kt_tree_key(net->tree, d->under.id))
    return; /* the sub-group (LKH node) emptied and was deleted while the
             * group key was on its way from the BM-SC: nobody is left */
  if (!under) {
    reject(net, rnc, "no usable wrapping key for a planned delivery");
    return;
  }
  Msg msg;
  msg_init(&msg, MSG_KEY_ASSIGNMENT, seq);
  msg.mode = d->target == KT_TO_UE ? MSG_P2P : MSG_P2M;
  msg.ue = d->target == KT_TO_UE ? d->target_id : MSG_NO_UE;
  for (uint8_t k = 0; k < d->n_keys; k++) {
    const KtKey *key = resolve(net, rnc, plan, kt_delivery_key(plan, d, k));
    if (!key) {
      reject(net, rnc, "no value for a planned key");
      return;
    }
    net_wrap(net, me(rnc), seq, &msg.wraps[msg.n_wraps++], key, under);
  }
  if (d->target == KT_TO_UE) {
    net_send_dch_down(net, rnc, d->target_id, &msg);
  } else {
    GArray *cells = net->scratch_cells;
    g_array_set_size(cells, 0);
    kt_tree_audience_cells(net->tree, d, cells);
    net_send_common(net, rnc, cells, &msg);
  }
}

void rnc_execute(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan, KtStage stage,
                 bool joiner_p2p) {
  for (guint i = 0; i < plan->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if (d->rnc != rnc || d->stage != stage)
      continue;
    if (stage == KT_STAGE_GROUP && net_is_joiner_delivery(plan, d) != joiner_p2p)
      continue;
    send_delivery(net, rnc, seq, plan, d);
  }
}

bool net_is_joiner_delivery(const KtPlan *plan, const KtDelivery *d) {
  return plan->kind == KT_EVENT_JOIN && d->stage == KT_STAGE_GROUP && d->target == KT_TO_UE &&
         d->target_id == plan->ue;
}

bool net_has_group_work(const KtPlan *plan, uint32_t rnc) {
  for (guint i = 0; i < plan->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if ((rnc == UINT32_MAX || d->rnc == rnc) && d->stage == KT_STAGE_GROUP &&
        !net_is_joiner_delivery(plan, d))
      return true;
  }
  return false;
}

/* Parts of an embodiment-1 plan still to be carried out: the BM-SC's, one
 * per RNC with group-stage work (other than the joiner's keys), and the
 * joiner's keys. */
uint32_t rnc_parts_of(const Net *net, const KtPlan *plan) {
  uint32_t parts = 1;
  for (uint32_t r = 0; r < net->n_rnc; r++)
    parts += net_has_group_work(plan, r);
  if (plan->kind == KT_EVENT_JOIN)
    parts += 1;
  return parts;
}

/* A leave's plan replaced every shared key the leaver held (the group key
 * and, below it, sub-group or LKH node keys): the old versions it lists
 * were the leaver's. */
void rnc_note_leavers(Net *net, const KtPlan *plan) {
  if (plan->group_before.version != 0)
    net_note_leaked(net, plan->group_before);
  for (guint i = 0; i < plan->key_values->len; i++) {
    const KtKey *k = &g_array_index(plan->key_values, KtKey, i);
    if (KT_KEY_ID_KIND(k->ref.id) == KT_KEY_SUBGROUP && kt_plan_replaced(plan, k->ref))
      net_note_leaked(net, k->ref);
  }
}

static void on_request(Net *net, uint32_t rnc, NetElement from, const Msg *msg) {
  if (from.kind != NET_UE || msg->ue != from.index) {
    reject(net, rnc, "context request not from the UE it names");
    return;
  }
  if (msg->cell >= net->n_cells || net_rnc_of_cell(net, msg->cell) != rnc) {
    reject(net, rnc, "context request for a cell of another RNC");
    return;
  }
  bool join = msg->type == MSG_ACTIVATE_REQ;
  if (net->cfg.batch) {
    /* batch rekeying: accepted at once, keys change at the batch boundary
     * (gathered here in embodiment 2, at the BM-SC in 1) */
    if (net->obs.on_request)
      net->obs.on_request(net->obs.ctx, msg->seq);
    if (net->obs.on_membership)
      net->obs.on_membership(net->obs.ctx, msg->ue, msg->cell, join);
    if (net->cfg.embodiment == 2)
      batch_gather(net, rnc, msg->seq, join, msg->ue, msg->cell);
    net_send_link(net, me(rnc), (NetElement){NET_SGSN, net_sgsn_of_rnc(net, rnc)}, msg);
    return;
  }
  PlanSlot *slot = net_plan_new(net, msg->seq);
  if (!slot) {
    reject(net, rnc, "context request for an event already in progress");
    return;
  }
  bool ok = join ? kt_tree_join(net->tree, msg->ue, msg->cell, net->cfg.join_rekey, &slot->plan)
                 : kt_tree_leave(net->tree, msg->ue, &slot->plan);
  if (!ok) {
    slot->parts_left = 1;
    net_plan_part_done(net, msg->seq);
    reject(net, rnc, join ? "activation of a UE that is a member" : "deactivation of a non-member");
    return;
  }
  if (!join && kt_tree_node_keys(net->tree))
    net_drop_pending(net, msg->ue);
  if (net->obs.on_request)
    net->obs.on_request(net->obs.ctx, msg->seq);
  if (net->obs.on_membership)
    net->obs.on_membership(net->obs.ctx, msg->ue, msg->cell, join);
  const KtPlan *plan = &slot->plan;
  if (!join)
    rnc_note_leavers(net, plan);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, msg->seq, plan, kt_tree_scope_members(net->tree, plan->scope));

  rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_LOCAL, false);
  if (net->cfg.embodiment == 2) {
    /* the RNC holds the whole tree of its group: the new group key is its own */
    if (plan->group_changed) {
      const KtKey *next = kt_plan_key(plan, plan->group_after);
      g_assert(next);
      net->rnc[rnc].group = *next;
    }
    rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_GROUP, false);
    rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_GROUP, true);
    if (plan->group_retired)
      data_key_retired(net, plan->scope, &net->rnc[rnc].group);
    else if (plan->group_changed)
      data_key_sent(net, plan->scope, &net->rnc[rnc].group);
    slot->parts_left = 1;
    net_plan_part_done(net, msg->seq);
  } else {
    slot->parts_left = rnc_parts_of(net, plan);
  }
  net_send_link(net, me(rnc), (NetElement){NET_SGSN, net_sgsn_of_rnc(net, rnc)}, msg);
}

/* A group key from the core, wrapped under the core key: install it if it is
 * newer than the RNC's copy. */
static bool take_group_key(Net *net, uint32_t rnc, const Msg *msg) {
  if (msg->n_wraps < 1 || KT_KEY_ID_KIND(msg->wraps[0].key.id) != KT_KEY_GROUP) {
    reject(net, rnc, "core message without a group key");
    return false;
  }
  KtKey key;
  if (!net_unwrap(net, me(rnc), &key, &msg->wraps[0], &net->core_key)) {
    reject(net, rnc, "group key from the core does not open under the core key");
    return false;
  }
  KtKey *own = &net->rnc[rnc].group;
  if (key.ref.id == own->ref.id && key.ref.version > own->ref.version)
    *own = key;
  kt_key_wipe(&key);
  return true;
}

/* LKH in embodiment 1: the new node keys that came with the group key (see
 * bmsc.c). The RNC opens each under the core key; the plan it carries out
 * holds the same values (the tree is modelled as one object), which is
 * checked here, so a wrong key in transit would be caught. */
static bool take_node_keys(Net *net, uint32_t rnc, const Msg *msg, const PlanSlot *slot) {
  for (uint8_t i = 1; i < msg->n_wraps; i++) {
    KtKey key;
    if (KT_KEY_ID_KIND(msg->wraps[i].key.id) != KT_KEY_SUBGROUP ||
        !net_unwrap(net, me(rnc), &key, &msg->wraps[i], &net->core_key)) {
      reject(net, rnc, "node key from the core does not open under the core key");
      return false;
    }
    const KtKey *planned = slot ? kt_plan_key(&slot->plan, key.ref) : NULL;
    bool same = !slot || (planned && sodium_memcmp(planned->bytes, key.bytes, KT_KEYBYTES) == 0);
    kt_key_wipe(&key);
    if (!same) {
      reject(net, rnc, "node key from the core differs from the plan");
      return false;
    }
  }
  return true;
}

static void on_rab_assignment(Net *net, uint32_t rnc, const Msg *msg) {
  if (!take_group_key(net, rnc, msg))
    return;
  PlanSlot *slot = net_plan_get(net, msg->seq);
  if (!take_node_keys(net, rnc, msg, slot))
    return;
  if (slot && net_has_group_work(&slot->plan, rnc)) {
    rnc_execute(net, rnc, msg->seq, &slot->plan, KT_STAGE_GROUP, false);
    net_plan_part_done(net, msg->seq);
  }
}

static void forward_to_ue(Net *net, uint32_t rnc, const Msg *msg) {
  if (msg->ue == MSG_NO_UE || msg->ue >= net->cfg.ue_capacity ||
      net->ue[msg->ue].node == UINT32_MAX) {
    reject(net, rnc, "accept for an unknown UE");
    return;
  }
  Msg to_ue = *msg;
  to_ue.n_wraps = 0; /* the core key never leaves the network */
  net_send_dch_down(net, rnc, msg->ue, &to_ue);
}

static void on_activate_accept(Net *net, uint32_t rnc, const Msg *msg) {
  if (net->cfg.embodiment == 1) {
    if (!take_group_key(net, rnc, msg))
      return;
    /* (batch: the joiner's keys come with the batch, not the accept) */
    PlanSlot *slot = net->cfg.batch ? NULL : net_plan_get(net, msg->seq);
    if (slot) {
      rnc_execute(net, rnc, msg->seq, &slot->plan, KT_STAGE_GROUP, true);
      net_plan_part_done(net, msg->seq);
    }
  }
  forward_to_ue(net, rnc, msg);
}

static void rnc_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg) {
  switch (msg->type) {
  case MSG_ACTIVATE_REQ:
  case MSG_DEACTIVATE_REQ:
    on_request(net, self, from, msg);
    break;
  case MSG_RAB_ASSIGNMENT_REQ:
    if (net->cfg.embodiment == 1)
      on_rab_assignment(net, self, msg);
    break;
  case MSG_ACTIVATE_ACCEPT:
    on_activate_accept(net, self, msg);
    break;
  case MSG_DEACTIVATE_ACCEPT:
    forward_to_ue(net, self, msg);
    break;
  default:
    reject(net, self, "message type not handled by an RNC");
    break;
  }
}

const NodeOps rnc_ops = {.name = "rnc", .on_message = rnc_on_message};
