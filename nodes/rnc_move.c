/* rnc_move.c — the RNC's part of a handover (docs/flows.md, "Handover"):
 * the cell update at the RNC of the UE's new cell, the SRNS relocation
 * request at its old one and the acknowledge back, the key tree's move
 * (or, between the groups of embodiment 2, a leave there and a join here;
 * with batch rekeying, the move gathered for the batch), then the confirm
 * to the UE. The messages' path through the core is nodes/handover.c's;
 * the movers' key repair nodes/rnc_repair.c's. */
#include "nodes/rnc_move.h"

#include "nodes/handover.h"
#include "nodes/plan.h"
#include "nodes/radio.h"
#include "nodes/rnc_repair.h"
#include "nodes/rnc_send.h"

static void confirm_move(Net *net, uint32_t rnc, const Msg *req) {
  Msg msg;
  msg_init(&msg, MSG_CELL_UPDATE_CONFIRM, req->seq);
  msg.ue = req->ue;
  msg.cell = req->cell;
  msg.from_cell = req->from_cell;
  net_send_dch_down(net, rnc, req->ue, &msg);
}

static void relocate(Net *net, uint32_t rnc, const Msg *in, MsgType type, const KtKey *group) {
  Msg msg = *in;
  msg.type = type;
  msg.n_wraps = 0;
  if (group) {
    /* embodiment 1: the UE's MBMS context moves with the group key in use
     * here, under the core key (as an activation accept carries it) */
    msg.n_wraps = 1;
    net_wrap(net, rnc_me(rnc), NET_NO_SEQ /* signalling, not a rekey */, &msg.wraps[0], group,
             rnc_core_key(net));
  }
  handover_forward(net, rnc_me(rnc), &msg);
}

/* Embodiment 1: the MBMS key change request of a handover, up to the
 * BM-SC (docs/flows.md, "Handover", step 7; with batch rekeying it has
 * the BM-SC gather the move). */
static void move_to_bmsc(Net *net, uint32_t rnc, const Msg *msg) {
  Msg up = *msg;
  up.type = MSG_MOVE_KEY_REQ;
  up.n_wraps = 0;
  net_send_link(net, rnc_me(rnc), (NetElement){NET_SGSN, net_sgsn_of_rnc(net, rnc)}, &up);
}

/* Embodiment 2, another RNC: the old RNC's group loses the UE, a full leave
 * (at the old RNC, on the relocation request). */
static void move_leave_part(Net *net, uint32_t rnc, const Msg *msg) {
  if (net->obs.on_move)
    net->obs.on_move(net->obs.ctx, msg->ue, msg->from_cell, msg->cell, true);
  KtPlan *plan = plan_begin(net->plans, msg->seq);
  if (!plan || !kt_tree_leave(net->tree, msg->ue, plan)) {
    if (plan)
      plan_close(net->plans, msg->seq);
    rnc_reject(net, rnc, "relocation of a UE that is not a member here");
    return;
  }
  uint32_t listening = radio_ue_cell(net->radio, msg->ue);
  if (radio_bearer_has(net->radio, msg->ue, listening))
    radio_bearer_leave(net->radio, msg->ue, listening);
  /* (the UE drops the wraps it kept for its old group's keys itself, when
   * its move is over: ue.c, drop_foreign_pending) */
  plan_note_leavers(net->plans, plan);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, msg->seq, plan, kt_tree_scope_members(net->tree, plan->scope));
  rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_LOCAL, false);
  rnc_execute_group_part(net, rnc, msg->seq, plan);
  plan_close(net->plans, msg->seq);
}

/* Embodiment 2, another RNC: the new RNC's group gains the UE, a join (at
 * the new RNC, on the relocation acknowledge). */
static void move_join_part(Net *net, uint32_t rnc, const Msg *msg) {
  KtPlan *plan = plan_begin(net->plans, msg->seq);
  if (!plan || !kt_tree_join(net->tree, msg->ue, msg->cell, net->cfg.join_rekey, plan)) {
    if (plan)
      plan_close(net->plans, msg->seq);
    rnc_reject(net, rnc, "relocation of a UE that is a member already");
    return;
  }
  radio_bearer_join(net->radio, msg->ue, msg->cell);
  if (net->obs.on_membership)
    net->obs.on_membership(net->obs.ctx, msg->ue, msg->cell, true);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, msg->seq, plan, kt_tree_scope_members(net->tree, plan->scope));
  rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_LOCAL, false);
  rnc_execute_group_part(net, rnc, msg->seq, plan);
  plan_close(net->plans, msg->seq);
}

/* Gathers one op of a move at this RNC's batch (embodiment 2). */
static void gather_here(Net *net, uint32_t rnc, uint32_t seq, bool join, uint32_t ue,
                        uint32_t cell) {
  double delay;
  if (batch_gather(&rnc_of(net, rnc)->batch, seq, join, ue, cell, net->cfg.batch_interval, &delay))
    net_set_timer(net, rnc_me(rnc), delay, RNC_TIMER_BATCH);
}

/* Batch rekeying (docs/flows.md, "Handover", batch): a move is gathered as
 * a leave of its old cell and a join of its new one, at the holder of the
 * tree, and changes the keys at the batch. The signalling is that of any
 * move. Embodiment 2: within an RNC both ops at this RNC now; between
 * RNCs the leave at the old RNC on the relocation request, the join here
 * on the acknowledge. Embodiment 1: both at the BM-SC, told by the MBMS
 * key change request of a handover (sent here when the move is otherwise
 * over: at once within an RNC, on the acknowledge between RNCs). */
static void move_batch(Net *net, uint32_t rnc, const Msg *msg) {
  bool here = net_rnc_of_cell(net, msg->from_cell) == rnc;
  if (!here) {
    relocate(net, rnc, msg, MSG_RELOCATION_REQ, NULL);
    return;
  }
  if (net->obs.on_move)
    net->obs.on_move(net->obs.ctx, msg->ue, msg->from_cell, msg->cell, false);
  if (net->cfg.embodiment == 2) {
    gather_here(net, rnc, msg->seq, false, msg->ue, msg->from_cell);
    gather_here(net, rnc, msg->seq, true, msg->ue, msg->cell);
  } else {
    move_to_bmsc(net, rnc, msg);
  }
  confirm_move(net, rnc, msg);
}

/* A cell update reaches the RNC of the UE's new cell. A move within the
 * UE's group is planned here at once (the key tree is one object); within
 * this RNC it is carried out and confirmed at once, otherwise the old RNC
 * does its part on the relocation request and this RNC the rest on the
 * acknowledge. Embodiment 2, another RNC: relocation first (leave there,
 * then join here). */
void rnc_on_cell_update(Net *net, uint32_t rnc, NetElement from, const Msg *msg) {
  if (from.kind != NET_UE || msg->ue != from.index) {
    rnc_reject(net, rnc, "cell update not from the UE it names");
    return;
  }
  if (msg->cell >= net->n_cells || net_rnc_of_cell(net, msg->cell) != rnc ||
      msg->from_cell >= net->n_cells || msg->from_cell == msg->cell) {
    rnc_reject(net, rnc, "cell update for a cell of another RNC, or no move");
    return;
  }
  if (net->obs.on_request)
    net->obs.on_request(net->obs.ctx, msg->seq);
  if (net->cfg.batch) {
    move_batch(net, rnc, msg);
    return;
  }
  if (kt_tree_ue_cell(net->tree, msg->ue) != msg->from_cell) {
    /* not a member where it says it was: the radio moved, the keys
     * cannot; confirmed so that the UE goes on */
    rnc_reject(net, rnc, "cell update of a UE that is not a member of the cell it left");
    confirm_move(net, rnc, msg);
    return;
  }
  bool here = net_rnc_of_cell(net, msg->from_cell) == rnc;
  if (!kt_tree_move_keeps_scope(net->tree, msg->ue, msg->cell)) {
    relocate(net, rnc, msg, MSG_RELOCATION_REQ, NULL);
    return;
  }
  KtPlan *plan = plan_begin(net->plans, msg->seq);
  if (!plan) {
    rnc_reject(net, rnc, "cell update for an event already in progress");
    return;
  }
  if (net->obs.on_move)
    net->obs.on_move(net->obs.ctx, msg->ue, msg->from_cell, msg->cell, false);
  bool ok = kt_tree_move(net->tree, msg->ue, msg->cell, net->cfg.handover_rekey, plan);
  g_assert(ok); /* checked above: a member, its cell, the same scope */
  plan_note_leavers(net->plans, plan);
  if (net->obs.on_plan)
    net->obs.on_plan(net->obs.ctx, msg->seq, plan, kt_tree_scope_members(net->tree, plan->scope));
  if (!here) {
    relocate(net, rnc, msg, MSG_RELOCATION_REQ, NULL);
    return;
  }
  rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_LOCAL, false);
  rnc_repair_keys(net, rnc, msg, plan);
  plan_close(net->plans, msg->seq);
  confirm_move(net, rnc, msg);
}

/* The relocation request reaches the UE's old RNC: its part of the move
 * (embodiment 1: the old sub-group's eager rekey; 2: the leave), then the
 * acknowledge back. */
void rnc_on_relocation_req(Net *net, uint32_t rnc, const Msg *msg) {
  const KtPlan *plan = plan_get(net->plans, msg->seq);
  if (net->cfg.batch) {
    bool away = net->cfg.embodiment == 2;
    if (net->obs.on_move)
      net->obs.on_move(net->obs.ctx, msg->ue, msg->from_cell, msg->cell, away);
    if (away)
      gather_here(net, rnc, msg->seq, false, msg->ue, msg->from_cell);
  } else if (plan && plan->kind == KT_EVENT_MOVE)
    rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_LOCAL, false);
  else if (net->cfg.embodiment == 2)
    move_leave_part(net, rnc, msg);
  relocate(net, rnc, msg, MSG_RELOCATION_ACK,
           net->cfg.embodiment == 1 ? &rnc_of(net, rnc)->group : NULL);
}

/* The acknowledge reaches the new RNC: its part (embodiment 1: the mover's
 * keys; 2: the join), then the confirm to the UE. */
void rnc_on_relocation_ack(Net *net, uint32_t rnc, const Msg *msg) {
  if (net->cfg.batch) {
    if (net->cfg.embodiment == 1 && msg->n_wraps > 0 && !rnc_take_group_key(net, rnc, msg))
      return;
    if (net->cfg.embodiment == 2) {
      if (net->obs.on_membership)
        net->obs.on_membership(net->obs.ctx, msg->ue, msg->cell, true);
      gather_here(net, rnc, msg->seq, true, msg->ue, msg->cell);
    } else {
      move_to_bmsc(net, rnc, msg);
    }
  } else if (net->cfg.embodiment == 1) {
    if (msg->n_wraps > 0 && !rnc_take_group_key(net, rnc, msg))
      return;
    const KtPlan *plan = plan_get(net->plans, msg->seq);
    if (plan && plan->kind == KT_EVENT_MOVE) {
      rnc_execute(net, rnc, msg->seq, plan, KT_STAGE_LOCAL, false);
      rnc_repair_keys(net, rnc, msg, plan);
      if (plan_has_group_work(plan, UINT32_MAX)) {
        /* work at other RNCs (node keys): through the core, as a leave's
         * group stage, the BM-SC listing them */
        plan_await(net->plans, msg->seq, net->n_rnc);
        move_to_bmsc(net, rnc, msg);
      } else {
        plan_close(net->plans, msg->seq);
      }
    }
  } else {
    move_join_part(net, rnc, msg);
  }
  confirm_move(net, rnc, msg);
}
