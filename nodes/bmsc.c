/* bmsc.c — the BM-SC: answers MBMS context activation and deactivation,
 * is the session's data source and, in embodiment 1, owns the group key: on
 * every change it sends the new key down the distribution tree (MBMS group
 * key change request to each GGSN with members below), wrapped under the
 * network-domain core key. With batch rekeying in embodiment 1 it gathers
 * the requests and rekeys on its own timer (nodes/batch.h). Like the GGSNs
 * and SGSNs it routes by its own MBMS bearer context (nodes/route.h),
 * learned from the context requests it answers; a request that does not
 * change the group key lists the RNCs it is for.
 *
 * Order matters: the key change goes out before the accept, and links are
 * FIFO, so the joiner's RNC has the new group key before the accept that
 * makes it send the joiner its keys. */
#include "nodes/bmsc.h"

#include "nodes/batch.h"
#include "nodes/data.h"
#include "nodes/handover.h"
#include "nodes/periodic.h"
#include "nodes/plan.h"
#include "nodes/route.h"

enum { BMSC_TIMER_BATCH = 0, BMSC_TIMER_PACKET = 1, BMSC_TIMER_PERIODIC = 2 /* .. 3 */ };

typedef struct {
  KtKey group;    /* the group key (embodiment 1) */
  KtKey core_key; /* network-domain key shared with the RNCs */
  BatchBuffer batch;
  RouteContext ctx; /* per GGSN: UEs with a context below it */
  GArray *rncs;     /* uint32 scratch: a request's RNC list */
} Bmsc;

static Bmsc *bmsc(Net *net) {
  return net->state[NET_BMSC];
}

static const NetElement self_el = {NET_BMSC, 0};

/* To the GGSNs: along the whole tree (no list), or for the RNCs `rncs`
 * (uint32, ascending) if it is not empty. */
static void send_request(Net *net, const Msg *msg, const GArray *rncs) {
  bool ok = route_request(net, self_el, &bmsc(net)->ctx, msg, (const uint32_t *)(void *)rncs->data,
                          rncs->len);
  g_assert(ok); /* the BM-SC's own list names only RNCs of the network */
}

/* Whether `k`, a key of `plan`, is a new value (the plan holds no newer). */
static bool is_new_node_key(const KtPlan *plan, const KtKey *k) {
  return KT_KEY_ID_KIND(k->ref.id) == KT_KEY_SUBGROUP && !kt_plan_replaced(plan, k->ref);
}

/* `targeted`: the request is for the RNCs with group-stage work in the
 * plan (the group key did not change: an LKH node key changed at other
 * RNCs); otherwise for every RNC with members. */
static void send_group_key_change(Net *net, uint32_t seq, uint32_t scope, bool targeted) {
  Bmsc *b = bmsc(net);
  const KtPlan *plan = plan_get(net->plans, seq);
  g_array_set_size(b->rncs, 0);
  if (targeted && plan)
    plan_group_work_rncs(plan, b->rncs);
  Msg msg;
  msg_init(&msg, MSG_GROUP_KEY_CHANGE_REQ, seq);
  msg.scope = scope;
  msg.n_wraps = 1;
  net_wrap(net, self_el, seq, &msg.wraps[0], &b->group, &b->core_key);
  /* Node keys in embodiment 1: the interior keys belong to the tree at the
   * BM-SC, like the group key, and the RNCs wrap with them: the new ones
   * travel in the request too, under the core key. A request holds the
   * group key and up to MSG_MAX_WRAPS - 1 node keys; a batch that changed
   * more sends further requests (each counted as core messages), and the
   * RNCs act on the first (a simplification, docs/schemes.md). */
  if (plan && kt_tree_node_keys(net->tree)) {
    const GArray *values = plan->key_values;
    for (guint i = 0; i < values->len; i++) {
      const KtKey *k = &g_array_index(values, KtKey, i);
      if (!is_new_node_key(plan, k))
        continue;
      if (msg.n_wraps == MSG_MAX_WRAPS) {
        send_request(net, &msg, b->rncs);
        msg.n_wraps = 1;
      }
      net_wrap(net, self_el, seq, &msg.wraps[msg.n_wraps++], k, &b->core_key);
    }
  }
  send_request(net, &msg, b->rncs);
}

static void take_group_key(Bmsc *b, const KtPlan *plan) {
  const KtKey *next = plan_new_group_key(plan);
  if (next && next->ref.version > b->group.ref.version) {
    kt_key_wipe(&b->group);
    b->group = *next;
  }
}

/* The BM-SC's part of a plan (embodiment 1): install the new group key it
 * owns and distribute it. */
static void carry_out(Net *net, uint32_t seq, const KtPlan *plan) {
  Bmsc *b = bmsc(net);
  take_group_key(b, plan);
  if (plan->group_retired) {
    /* the group emptied: the new key is the BM-SC's alone until the next
     * joiner's accept carries it; no request (nobody below to tell) */
    data_key_retired(net, 0, &b->group);
  } else {
    /* Also without a new group key when other RNCs have work for this
     * event (a split leaf at another RNC gets its new node key): the
     * request is what tells them, and carries the current group key. */
    if (plan->group_changed || plan_has_group_work(plan, UINT32_MAX))
      send_group_key_change(net, seq, plan->scope, !plan->group_changed);
    if (plan->group_changed)
      data_key_sent(net, self_el, 0, &b->group);
  }
  plan_part_done(net->plans, seq);
}

static void answer(Net *net, const Msg *req, MsgType type) {
  Msg msg;
  msg_init(&msg, type, req->seq);
  msg.ue = req->ue;
  msg.cell = req->cell;
  /* Embodiment 1, activation: the accept carries the current group key to
   * the RNC (MBMS bearer set-up), which hands it to the joiner. */
  if (type == MSG_ACTIVATE_ACCEPT && net->cfg.embodiment == 1) {
    msg.n_wraps = 1;
    net_wrap(net, self_el, NET_NO_SEQ /* signalling, not a rekey */, &msg.wraps[0],
             &bmsc(net)->group, &bmsc(net)->core_key);
  }
  uint32_t rnc = net_rnc_of_cell(net, req->cell);
  uint32_t ggsn = net_ggsn_of_sgsn(net, net_sgsn_of_rnc(net, rnc));
  net_send_link(net, self_el, (NetElement){NET_GGSN, ggsn}, &msg);
}

static void on_request(Net *net, NetElement from, const Msg *msg, bool join) {
  if (from.kind == NET_GGSN && from.index < net->cfg.ggsn)
    route_context_learn(&bmsc(net)->ctx, from.index, msg->type);
  if (net->cfg.batch && net->cfg.embodiment == 1) {
    double delay;
    if (batch_gather(&bmsc(net)->batch, msg->seq, join, msg->ue, msg->cell, net->cfg.batch_interval,
                     &delay))
      net_set_timer(net, self_el, delay, BMSC_TIMER_BATCH);
  } else if (net->cfg.embodiment == 1) {
    /* the plan made at the RNC says whether the group key changed */
    const KtPlan *plan = plan_get(net->plans, msg->seq);
    if (plan)
      carry_out(net, msg->seq, plan);
  }
  answer(net, msg, join ? MSG_ACTIVATE_ACCEPT : MSG_DEACTIVATE_ACCEPT);
}

static void bmsc_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                            const KtData *data) {
  (void)self;
  if (data) {
    net_reject(net, self_el, "data packet where none is expected");
    return;
  }
  switch (msg->type) {
  case MSG_ACTIVATE_REQ:
    on_request(net, from, msg, true);
    break;
  case MSG_DEACTIVATE_REQ:
    on_request(net, from, msg, false);
    break;
  case MSG_MOVE_KEY_REQ: {
    /* embodiment 1: a handover whose plan has work at RNCs other than the
     * UE's old and new ones (node keys, docs/flows.md "Handover"): the
     * request with the list of those RNCs tells them */
    const KtPlan *plan = plan_get(net->plans, msg->seq);
    double delay;
    if (net->cfg.batch && net->cfg.embodiment == 1) {
      /* batch rekeying: the move is gathered as a leave and a join */
      bool arm = batch_gather(&bmsc(net)->batch, msg->seq, false, msg->ue, msg->from_cell,
                              net->cfg.batch_interval, &delay);
      if (batch_gather(&bmsc(net)->batch, msg->seq, true, msg->ue, msg->cell,
                       net->cfg.batch_interval, &delay) ||
          arm)
        net_set_timer(net, self_el, delay, BMSC_TIMER_BATCH);
    } else if (net->cfg.embodiment == 1 && plan && plan->kind == KT_EVENT_MOVE)
      carry_out(net, msg->seq, plan);
    else
      net_reject(net, self_el, "key change request of a handover without its plan");
    break;
  }
  case MSG_RELOCATION_REQ:
  case MSG_RELOCATION_ACK:
    /* between RNCs under different GGSNs the relocation passes here */
    if (msg->type == MSG_RELOCATION_ACK)
      route_context_relocate(net, &bmsc(net)->ctx, self_el, msg);
    handover_forward(net, self_el, msg);
    break;
  default:
    /* nothing else is addressed to the BM-SC; ignore, as a real node would */
    break;
  }
}

/* Embodiment 1, batch: the batch's one plan; the RNCs with work carry out
 * their parts on the RAB assignment request. */
static void on_batch_timer(Net *net) {
  uint32_t seq;
  const KtPlan *plan = batch_plan(net, &bmsc(net)->batch, self_el, 0, &seq);
  if (!plan)
    return;
  plan_await(net->plans, seq, net->n_rnc);
  carry_out(net, seq, plan);
}

/* Embodiment 1, a periodic rekey (3gpp's MSK or MTK period): carried out
 * as a batch's plan. */
static void on_periodic_timer(Net *net, uint32_t timer) {
  uint32_t seq;
  const KtPlan *plan = periodic_plan(net, self_el, 0, timer, BMSC_TIMER_PERIODIC, &seq);
  if (!plan)
    return;
  plan_await(net->plans, seq, net->n_rnc);
  carry_out(net, seq, plan);
}

/* The session's next packet: sealed under the group key in use (embodiment
 * 1) or under the core key for the RNCs to re-seal (2), sent to every GGSN
 * with UEs in its bearer context. */
static void on_packet_timer(Net *net) {
  uint32_t packet = data_next_packet(net);
  double interval = data_interval(net);
  if (sim_now() + interval < net->cfg.data_until)
    net_set_timer(net, self_el, interval, BMSC_TIMER_PACKET);
  Bmsc *b = bmsc(net);
  if (b->ctx.total == 0)
    return; /* nobody to send to */
  KtData d;
  if (net->cfg.embodiment == 1)
    data_seal(net, &d, packet, data_key_in_use(net, 0, &b->group), true);
  else
    data_seal(net, &d, packet, &b->core_key, false);
  route_data(net, self_el, &b->ctx, &d);
}

static void bmsc_on_timer(Net *net, uint32_t self, uint32_t timer) {
  (void)self;
  if (timer == BMSC_TIMER_BATCH)
    on_batch_timer(net);
  else if (timer == BMSC_TIMER_PACKET)
    on_packet_timer(net);
  else if (timer == DATA_TIMER_KEY_SWITCH)
    data_switch_key(net, 0);
  else if (periodic_is_timer(timer, BMSC_TIMER_PERIODIC))
    on_periodic_timer(net, timer);
  else
    g_assert_not_reached();
}

static void bmsc_init(Net *net, const KtKey *core) {
  Bmsc *b = g_new0(Bmsc, 1);
  b->core_key = *core;
  b->group = *kt_tree_group_key(net->tree, 0);
  batch_buffer_init(&b->batch);
  route_context_init(&b->ctx, net->cfg.ggsn);
  b->rncs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  net->state[NET_BMSC] = b;
  if (net->data && data_interval(net) < net->cfg.data_until)
    net_set_timer(net, self_el, data_interval(net), BMSC_TIMER_PACKET);
  if (net->cfg.embodiment == 1)
    periodic_arm(net, self_el, BMSC_TIMER_PERIODIC);
}

static void bmsc_fini(Net *net) {
  Bmsc *b = bmsc(net);
  kt_key_wipe(&b->group);
  kt_key_wipe(&b->core_key);
  batch_buffer_fini(&b->batch);
  route_context_fini(&b->ctx);
  g_array_free(b->rncs, TRUE);
  g_free(b);
  net->state[NET_BMSC] = NULL;
}

void bmsc_provision(Net *net, uint32_t rnc) {
  route_context_provision(net, &bmsc(net)->ctx, NET_BMSC, rnc);
}

const NodeOps bmsc_ops = {.name = "bmsc",
                          .init = bmsc_init,
                          .on_message = bmsc_on_message,
                          .on_timer = bmsc_on_timer,
                          .fini = bmsc_fini};
