/* rnc_send.c — see rnc_send.h. */
#include "nodes/rnc_send.h"

#include "nodes/data.h"
#include "nodes/plan.h"

/* The value of `ref` as this RNC can use it. A group key is the RNC's own
 * copy (from the BM-SC in embodiment 1); a sub-group or private key is the
 * RNC's own (the tree's current value). Two refinements:
 *   - a plan that wraps a new key under the old version of the same key
 *     (join rekey) names that old version on purpose: the plan keeps it;
 *   - otherwise, if a newer version exists than the plan named (another
 *     event changed the key meanwhile), the newer one is what the holders
 *     have, so it is used. */
static const KtKey *resolve(Net *net, uint32_t rnc, const KtPlan *plan, KtKeyRef ref) {
  const KtKey *own = NULL;
  if (KT_KEY_ID_KIND(ref.id) == KT_KEY_GROUP) {
    if (rnc_of(net, rnc)->group.ref.id == ref.id)
      own = &rnc_of(net, rnc)->group;
    /* a move does not change the group key: the mover gets the one this
     * RNC has (a newer one still in the core reaches it with its new
     * sub-group, where the key tree has it already) */
    if (own && plan->kind == KT_EVENT_MOVE)
      return own;
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

/* A sub-group key (sub-group keys of their own, not node keys) planned
 * for a UE that is no longer in that sub-group: it moved out since the
 * plan (docs/flows.md, "Overlapping events"). Sent, it would give a
 * stale holder the key that was changed because of it, and replace the
 * key of the sub-group it is in. */
static bool left_subgroup(const Net *net, uint32_t ue, KtKeyRef ref) {
  if (KT_KEY_ID_KIND(ref.id) != KT_KEY_SUBGROUP || kt_tree_node_keys(net->tree))
    return false;
  const KtKey *keys[MSG_MAX_WRAPS];
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  for (guint i = 0; i < n; i++)
    if (keys[i]->ref.id == ref.id)
      return false;
  return true;
}

/* Wraps delivery d's keys under its `under` into msg and appends its
 * audience's cells (point-to-multipoint) to `cells`; false if it is not
 * sent (the reasons below). */
static bool add_delivery(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan,
                         const KtDelivery *d, Msg *msg, GArray *cells) {
  if (d->target == KT_TO_UE && !kt_tree_is_member(net->tree, d->target_id))
    return false; /* a joiner that left before its keys came back from the core:
                   * it must not get them after its leave */
  const KtKey *under = resolve(net, rnc, plan, d->under);
  if (under && d->target != KT_TO_UE &&
      under->ref.version <= plan_leaked_version(net->plans, d->under.id) &&
      kt_tree_forward_secure(net->tree) /* else insecure by design */)
    return false; /* a join rekey's new key (group, sub-group or node key),
                   * wrapped under its old version, that is sent (embodiment 1:
                   * after the core) once a leave was planned: the leaver holds
                   * the old version. Not sending it is safe: that leave changed
                   * the key again and sent the newer version to every remaining
                   * holder, and later join rekeys wrap under that one. */
  if (d->target != KT_TO_UE && kt_tree_forward_secure(net->tree) && kt_tree_stateless(net->tree)) {
    /* sd: the subset keys never change, so the rule above never applies;
     * a group key that a leave planned since has replaced (its version at
     * most the one the leaver held) is withheld instead: the leave sent
     * the newer one to every remaining member, and its cover excludes the
     * leaver, who could derive this older wrap's subset key. */
    KtKeyRef inside = kt_delivery_key(plan, d, 0);
    if (KT_KEY_ID_KIND(inside.id) == KT_KEY_GROUP &&
        inside.version <= plan_leaked_version(net->plans, inside.id))
      return false;
  }
  if (!under && (d->target == KT_TO_SUBGROUP || d->target == KT_TO_NODE) &&
      !kt_tree_key(net->tree, d->under.id))
    return false; /* the sub-group (node) emptied and was deleted while the
                   * group key was on its way from the BM-SC: nobody is left */
  if (!under) {
    rnc_reject(net, rnc, "no usable wrapping key for a planned delivery");
    return false;
  }
  uint8_t first = msg->n_wraps;
  for (uint8_t k = 0; k < d->n_keys; k++) {
    if (d->target == KT_TO_UE && left_subgroup(net, d->target_id, kt_delivery_key(plan, d, k)))
      continue;
    const KtKey *key = resolve(net, rnc, plan, kt_delivery_key(plan, d, k));
    if (!key) {
      rnc_reject(net, rnc, "no value for a planned key");
      msg->n_wraps = first;
      return false;
    }
    if (d->target == KT_TO_UE && KT_KEY_ID_KIND(key->ref.id) == KT_KEY_GROUP &&
        key->ref.version < plan_joining_floor(net->plans, d->target_id))
      continue; /* a joiner whose join rekey's group key is still in the core
                 * (embodiment 1): the group key this RNC has is one from
                 * before its join (a move's eager rekey of its new sub-group
                 * would hand it over); its join brings the new one */
    net_wrap(net, rnc_me(rnc), seq, &msg->wraps[msg->n_wraps++], key, under);
  }
  if (d->target != KT_TO_UE)
    kt_tree_audience_cells(net->tree, d, cells);
  return true;
}

static gint cmp_cell(gconstpointer a, gconstpointer b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Delivery d and the n - 1 joined to it (kt_plan.h): one key assignment,
 * on the cells of any of their audiences. */
static void send_message(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan,
                         const KtDelivery *d, guint n) {
  Msg msg;
  msg_init(&msg, MSG_KEY_ASSIGNMENT, seq);
  msg.mode = d->target == KT_TO_UE ? MSG_P2P : MSG_P2M;
  msg.ue = d->target == KT_TO_UE ? d->target_id : MSG_NO_UE;
  GArray *cells = net->scratch;
  g_array_set_size(cells, 0);
  for (guint i = 0; i < n; i++)
    add_delivery(net, rnc, seq, plan, &d[i], &msg, cells);
  if (msg.n_wraps == 0)
    return;
  /* the size of the standard message the delivery stands for (its
   * envelope around our wraps, kt_plan.h): the rest of the bytes a pad */
  if (d->envelope && !msg_pad_to(&msg, d->envelope + (size_t)msg.n_wraps * KT_WRAP_WIREBYTES))
    g_error("rnc: a planned envelope of %u bytes does not fit a key assignment", d->envelope);
  if (d->target == KT_TO_UE) {
    net_send_dch_down(net, rnc, d->target_id, &msg);
    return;
  }
  if (n > 1 && cells->len > 1) { /* the union of the audiences' cells */
    g_array_sort(cells, cmp_cell);
    guint kept = 1;
    for (guint i = 1; i < cells->len; i++)
      if (g_array_index(cells, uint32_t, i) != g_array_index(cells, uint32_t, kept - 1))
        g_array_index(cells, uint32_t, kept++) = g_array_index(cells, uint32_t, i);
    g_array_set_size(cells, kept);
  }
  net_send_common(net, rnc, cells, &msg);
}

/* How many deliveries apart the steps of net_dch_down_ahead run: a plan
 * that sends one point-to-point message per member (unicast's leave) reads
 * each member's records at random in arrays of tens of MB. */
#define DCH_AHEAD 6u

/* The point-to-point deliveries 1 and 2 times DCH_AHEAD after `i` are
 * about to be sent (by this RNC, if they are its): their steps. */
static void fetch_p2p_ahead(const Net *net, uint32_t rnc, const KtPlan *plan, guint i) {
  for (unsigned step = 0; step <= 1; step++) {
    guint j = i + (step + 1) * DCH_AHEAD;
    if (j >= plan->deliveries->len)
      return;
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, j);
    if (d->target == KT_TO_UE && d->rnc == rnc)
      net_dch_down_ahead(net, d->target_id, step);
  }
}

void rnc_execute(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan, KtStage stage,
                 bool joiner_p2p) {
  guint len = plan->deliveries->len;
  for (guint i = 0; i < len; i++) {
    fetch_p2p_ahead(net, rnc, plan, i);
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if (d->joined || d->rnc != rnc || d->stage != stage)
      continue; /* (a joined delivery goes with the one it follows) */
    if (stage == KT_STAGE_GROUP && plan_is_joiner_delivery(plan, d) != joiner_p2p)
      continue;
    guint n = 1;
    while (i + n < len && g_array_index(plan->deliveries, KtDelivery, i + n).joined)
      n++;
    send_message(net, rnc, seq, plan, d, n);
  }
}

/* Embodiment 2: the RNC holds the whole tree of its group, so it carries
 * out the group part at once, the new group key being its own. */
void rnc_execute_group_part(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan) {
  Rnc *r = rnc_of(net, rnc);
  const KtKey *next = plan_new_group_key(plan);
  if (next) {
    r->group = *next;
    r->group_seq = seq;
  }
  rnc_execute(net, rnc, seq, plan, KT_STAGE_GROUP, false);
  rnc_execute(net, rnc, seq, plan, KT_STAGE_GROUP, true);
  if (plan->group_retired)
    data_key_retired(net, plan->scope, &r->group);
  else if (next)
    data_key_sent(net, rnc_me(rnc), plan->scope, &r->group);
}

/* A group key from the core, wrapped under the core key: install it if it is
 * newer than the RNC's copy. */
bool rnc_take_group_key(Net *net, uint32_t rnc, const Msg *msg) {
  if (msg->n_wraps < 1 || KT_KEY_ID_KIND(msg->wraps[0].key.id) != KT_KEY_GROUP) {
    rnc_reject(net, rnc, "core message without a group key");
    return false;
  }
  KtKey key;
  if (!net_unwrap(net, rnc_me(rnc), &key, &msg->wraps[0], rnc_core_key(net))) {
    rnc_reject(net, rnc, "group key from the core does not open under the core key");
    return false;
  }
  KtKey *own = &rnc_of(net, rnc)->group;
  if (key.ref.id == own->ref.id && key.ref.version > own->ref.version) {
    *own = key;
    rnc_of(net, rnc)->group_seq = msg->seq;
  }
  kt_key_wipe(&key);
  return true;
}
