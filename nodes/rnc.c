/* rnc.c — the RNC: the first network element a UE's request reaches, the
 * owner of its sub-group keys, and the element that encrypts and transmits
 * every MBMS key assignment (point-to-point on dedicated channels,
 * point-to-multipoint on its cells' common channels) and puts the session's
 * data on its cells.
 *
 * On a request it asks the key tree for a plan and sends the plan's local
 * part at once (sub-group rekey). The part that needs the group key is sent
 * when the group key is there: at once in embodiment 2 (the RNC holds the
 * whole tree), on the RAB assignment request / the activation accept from
 * the core in embodiment 1 (the group key lives at the BM-SC). The plan's
 * life cycle is nodes/plan.c's. With batch rekeying in embodiment 2 the RNC
 * gathers the requests and rekeys on its own timer (nodes/batch.h). The
 * RNC's state and how it carries out a plan's deliveries are
 * nodes/rnc_send.c's, its part of a handover nodes/rnc_move.c's, the
 * movers' key repair nodes/rnc_repair.c's; this file receives and
 * dispatches. */
#include "nodes/rnc.h"

#include <sodium.h>

#include "nodes/batch.h"
#include "nodes/data.h"
#include "nodes/handover.h"
#include "nodes/periodic.h"
#include "nodes/plan.h"
#include "nodes/radio.h"
#include "nodes/recovery.h"
#include "nodes/rnc_move.h"
#include "nodes/rnc_repair.h"
#include "nodes/rnc_send.h"

/* NAS retransmission (docs/reliability.md, "Lost signalling"): a request
 * the UE sent again because no accept reached it is answered with an
 * accept at once, not carried out twice; so is, except with batch
 * rekeying (whose tree changes wait for the batch), a deactivation of a UE
 * that is no member (its activation was lost). True if answered here. */
static bool nas_answered(Net *net, uint32_t rnc, const Msg *msg, bool join) {
  uint32_t *handled = &((Rncs *)net->state[NET_RNC])->handled[msg->ue];
  bool again = *handled == msg->seq + 1u;
  bool no_context = !join && !net->cfg.batch && !kt_tree_is_member(net->tree, msg->ue);
  if (!again && !no_context) {
    *handled = msg->seq + 1u;
    return false;
  }
  Msg accept;
  msg_init(&accept, join ? MSG_ACTIVATE_ACCEPT : MSG_DEACTIVATE_ACCEPT, msg->seq);
  accept.ue = msg->ue;
  accept.cell = msg->cell;
  net_send_dch_down(net, rnc, msg->ue, &accept);
  return true;
}

static void on_request(Net *net, uint32_t rnc, NetElement from, const Msg *msg) {
  if (from.kind != NET_UE || msg->ue != from.index) {
    rnc_reject(net, rnc, "context request not from the UE it names");
    return;
  }
  if (msg->cell >= net->n_cells || net_rnc_of_cell(net, msg->cell) != rnc) {
    rnc_reject(net, rnc, "context request for a cell of another RNC");
    return;
  }
  bool join = msg->type == MSG_ACTIVATE_REQ;
  if (net->cfg.loss.nas && msg->ue < net->cfg.ue_capacity && nas_answered(net, rnc, msg, join))
    return;
  NetElement sgsn = {NET_SGSN, net_sgsn_of_rnc(net, rnc)};
  if (net->cfg.batch) {
    /* batch rekeying: accepted at once, keys change at the batch boundary
     * (gathered here in embodiment 2, at the BM-SC in 1) */
    if (net->obs.on_request)
      net->obs.on_request(net->obs.ctx, msg->seq);
    if (net->obs.on_membership)
      net->obs.on_membership(net->obs.ctx, msg->ue, msg->cell, join);
    double delay;
    if (net->cfg.embodiment == 2 && batch_gather(&rnc_of(net, rnc)->batch, msg->seq, join, msg->ue,
                                                 msg->cell, net->cfg.batch_interval, &delay))
      net_set_timer(net, rnc_me(rnc), delay, RNC_TIMER_BATCH);
    net_send_link(net, rnc_me(rnc), sgsn, msg);
    return;
  }
  KtPlan *plan = plan_begin(net->plans, msg->seq);
  if (!plan) {
    rnc_reject(net, rnc, "context request for an event already in progress");
    return;
  }
  bool ok = join ? kt_tree_join(net->tree, msg->ue, msg->cell, net->cfg.join_rekey, plan)
                 : kt_tree_leave(net->tree, msg->ue, plan);
  if (!ok) {
    plan_close(net->plans, msg->seq);
    rnc_reject(net, rnc,
               join ? "activation of a UE that is a member" : "deactivation of a non-member");
    return;
  }
  /* the RNC admits the UE to (releases it from) its cell's MBMS bearer */
  if (join)
    radio_bearer_join(net->radio, msg->ue, plan->cell);
  else
    radio_bearer_leave(net->radio, msg->ue, plan->cell);
  if (net->obs.on_request)
    net->obs.on_request(net->obs.ctx, msg->seq);
  if (net->obs.on_membership)
    net->obs.on_membership(net->obs.ctx, msg->ue, msg->cell, join);
  if (!join)
    plan_note_leavers(net->plans, plan);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, msg->seq, plan, kt_tree_scope_members(net->tree, plan->scope));

  rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_LOCAL, false);
  if (net->cfg.embodiment == 2) {
    rnc_execute_group_part(net, rnc, msg->seq, plan);
    plan_close(net->plans, msg->seq);
  } else {
    plan_await(net->plans, msg->seq, net->n_rnc);
  }
  net_send_link(net, rnc_me(rnc), sgsn, msg);
}

/* Node keys in embodiment 1: the new ones that came with the group key (see
 * bmsc.c). The RNC opens each under the core key; the plan it carries out
 * holds the same values (the tree is modelled as one object), which is
 * checked here, so a wrong key in transit would be caught. */
static bool take_node_keys(Net *net, uint32_t rnc, const Msg *msg, const KtPlan *plan) {
  for (uint8_t i = 1; i < msg->n_wraps; i++) {
    KtKey key;
    if (KT_KEY_ID_KIND(msg->wraps[i].key.id) != KT_KEY_SUBGROUP ||
        !net_unwrap(net, rnc_me(rnc), &key, &msg->wraps[i], rnc_core_key(net))) {
      rnc_reject(net, rnc, "node key from the core does not open under the core key");
      return false;
    }
    const KtKey *planned = plan ? kt_plan_key(plan, key.ref) : NULL;
    bool same = !plan || (planned && sodium_memcmp(planned->bytes, key.bytes, KT_KEYBYTES) == 0);
    kt_key_wipe(&key);
    if (!same) {
      rnc_reject(net, rnc, "node key from the core differs from the plan");
      return false;
    }
  }
  return true;
}

static void on_rab_assignment(Net *net, uint32_t rnc, const Msg *msg) {
  if (!rnc_take_group_key(net, rnc, msg))
    return;
  const KtPlan *plan = plan_get(net->plans, msg->seq);
  if (!take_node_keys(net, rnc, msg, plan))
    return;
  /* (a further request of the same event, with more node keys, is not
   * carried out again: plan_rnc_first) */
  bool work = plan && plan_has_group_work(plan, rnc) && plan_rnc_first(net->plans, msg->seq, rnc);
  if (work)
    rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_GROUP, false);
  rnc_pay_owed(net, rnc, plan);
  if (work)
    plan_part_done(net->plans, msg->seq);
}

static void forward_to_ue(Net *net, uint32_t rnc, const Msg *msg) {
  if (!radio_ue_seen(net->radio, msg->ue)) {
    rnc_reject(net, rnc, "accept for an unknown UE");
    return;
  }
  Msg to_ue = *msg;
  to_ue.n_wraps = 0; /* the core key never leaves the network */
  net_send_dch_down(net, rnc, msg->ue, &to_ue);
}

static void on_activate_accept(Net *net, uint32_t rnc, const Msg *msg) {
  if (net->cfg.embodiment == 1) {
    if (!rnc_take_group_key(net, rnc, msg))
      return;
    /* (batch: the joiner's keys come with the batch, not the accept) */
    const KtPlan *plan = net->cfg.batch ? NULL : plan_get(net->plans, msg->seq);
    if (plan) {
      rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_GROUP, true);
      plan_part_done(net->plans, msg->seq);
    }
  }
  forward_to_ue(net, rnc, msg);
}

/* A session packet from the SGSN: onto the common channel of each of the
 * RNC's cells with listeners (embodiment 2: after re-sealing it under the
 * RNC's own group key). */
static void on_data(Net *net, uint32_t rnc, const KtData *in) {
  KtData resealed;
  const KtData *out = in;
  if (net->cfg.embodiment == 2) {
    unsigned char payload[KT_DATA_MAX_PAYLOAD];
    if (kt_data_open(payload, in, rnc_core_key(net)) != 0) {
      rnc_reject(net, rnc, "data packet does not open under the core key");
      return;
    }
    if (radio_rnc_listeners(net->radio, rnc) == 0)
      return;
    data_seal(net, &resealed, in->packet, data_key_in_use(net, rnc, &rnc_of(net, rnc)->group),
              true);
    out = &resealed;
  }
  radio_bearer_cells(net->radio, rnc, net->scratch);
  net_send_data_common(net, rnc, net->scratch, out);
}

static void rnc_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                           const KtData *data) {
  if (data) {
    on_data(net, self, data);
    return;
  }
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
  case MSG_KEY_REQUEST:
    if (msg->seq != NET_NO_SEQ)
      rnc_on_repair_request(net, self, from, msg);
    else if (recovery_answer(net, ((Rncs *)net->state[NET_RNC])->rounds, self, from, msg,
                             &rnc_of(net, self)->group, rnc_of(net, self)->group_seq))
      net_set_timer(net, rnc_me(self), net->cfg.loss.round_length, RNC_TIMER_ROUND);
    break;
  case MSG_CELL_UPDATE:
    rnc_on_cell_update(net, self, from, msg);
    break;
  case MSG_RELOCATION_REQ:
  case MSG_RELOCATION_ACK:
    if (handover_dest_rnc(net, msg) != self)
      rnc_reject(net, self, "relocation message for another RNC");
    else if (msg->type == MSG_RELOCATION_REQ)
      rnc_on_relocation_req(net, self, msg);
    else
      rnc_on_relocation_ack(net, self, msg);
    break;
  default:
    rnc_reject(net, self, "message type not handled by an RNC");
    break;
  }
}

/* Embodiment 2, batch: the batch's one plan, carried out at once. */
static void on_batch_timer(Net *net, uint32_t rnc) {
  uint32_t seq;
  const KtPlan *plan = batch_plan(net, &rnc_of(net, rnc)->batch, rnc_me(rnc),
                                  kt_tree_scope_of_rnc(net->tree, rnc), &seq);
  if (!plan)
    return;
  /* (a batch's new group key is the RNC's before any delivery is made) */
  const KtKey *next = plan_new_group_key(plan);
  if (next) {
    rnc_of(net, rnc)->group = *next;
    rnc_of(net, rnc)->group_seq = seq;
  }
  rnc_execute(net, rnc, seq, plan, KT_STAGE_LOCAL, false);
  rnc_execute_group_part(net, rnc, seq, plan);
  plan_close(net->plans, seq);
}

/* The batch timer: the batch, then the timer again if a mover's join was
 * left for the next one (batch.h). */
static void on_batch(Net *net, uint32_t rnc) {
  on_batch_timer(net, rnc);
  double delay;
  if (batch_deferred(net, &rnc_of(net, rnc)->batch, rnc_me(rnc), net->cfg.batch_interval, &delay))
    net_set_timer(net, rnc_me(rnc), delay, RNC_TIMER_BATCH);
}

/* Embodiment 2, a periodic rekey (3gpp's MSK or MTK period) of the RNC's
 * own group: carried out at once, as a batch's plan. */
static void on_periodic_timer(Net *net, uint32_t rnc, uint32_t timer) {
  uint32_t seq;
  const KtPlan *plan = periodic_plan(net, rnc_me(rnc), kt_tree_scope_of_rnc(net->tree, rnc), timer,
                                     RNC_TIMER_PERIODIC, &seq);
  if (!plan)
    return;
  rnc_execute(net, rnc, seq, plan, KT_STAGE_LOCAL, false);
  rnc_execute_group_part(net, rnc, seq, plan);
  plan_close(net->plans, seq);
}

static void rnc_on_timer(Net *net, uint32_t self, uint32_t timer) {
  if (timer == RNC_TIMER_BATCH)
    on_batch(net, self);
  else if (timer == RNC_TIMER_ROUND)
    recovery_round_end(net, ((Rncs *)net->state[NET_RNC])->rounds, self, &rnc_of(net, self)->group);
  else if (periodic_is_timer(timer, RNC_TIMER_PERIODIC))
    on_periodic_timer(net, self, timer);
  else if (timer == DATA_TIMER_KEY_SWITCH)
    data_switch_key(net, kt_tree_scope_of_rnc(net->tree, self));
  else
    g_assert_not_reached();
}

static void rnc_init(Net *net, const KtKey *core) {
  Rncs *s = g_new0(Rncs, 1);
  s->core_key = *core;
  s->rnc = g_new0(Rnc, net->n_rnc ? net->n_rnc : 1);
  /* MBMS session start reaches every RNC of the service area: each holds
   * its scope's group key from the start */
  for (uint32_t r = 0; r < net->n_rnc; r++) {
    s->rnc[r].group = *kt_tree_group_key(net->tree, kt_tree_scope_of_rnc(net->tree, r));
    s->rnc[r].group_seq = NET_NO_SEQ;
    batch_buffer_init(&s->rnc[r].batch);
  }
  if (net->cfg.loss.nas)
    s->handled = g_new0(uint32_t, net->cfg.ue_capacity ? net->cfg.ue_capacity : 1);
  s->rounds = recovery_rounds_new(net);
  net->state[NET_RNC] = s;
  for (uint32_t r = 0; net->cfg.embodiment == 2 && r < net->n_rnc; r++)
    periodic_arm(net, rnc_me(r), RNC_TIMER_PERIODIC);
}

static void rnc_fini(Net *net) {
  Rncs *s = net->state[NET_RNC];
  for (uint32_t r = 0; r < net->n_rnc; r++) {
    kt_key_wipe(&s->rnc[r].group);
    batch_buffer_fini(&s->rnc[r].batch);
    if (s->rnc[r].owed)
      g_array_free(s->rnc[r].owed, TRUE);
  }
  kt_key_wipe(&s->core_key);
  g_free(s->handled);
  recovery_rounds_free(s->rounds);
  g_free(s->rnc);
  g_free(s);
  net->state[NET_RNC] = NULL;
}

const NodeOps rnc_ops = {.name = "rnc",
                         .init = rnc_init,
                         .on_message = rnc_on_message,
                         .on_timer = rnc_on_timer,
                         .fini = rnc_fini};
