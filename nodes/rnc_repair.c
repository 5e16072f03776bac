/* rnc_repair.c — key repair of movers at the RNC (docs/flows.md, "Key
 * repair"): a member whose move kept its group may have missed a group key
 * that went to its old cell while it changed cell, or one still in the
 * core when its move ended; the RNC of its new cell gives it every key of
 * its place point-to-point, now or when that key arrives (what it owes),
 * and answers a moved member's own key repair request the same way. */
#include "nodes/rnc_repair.h"

#include "nodes/plan.h"
#include "nodes/rnc_send.h"

/* Every key of `ue`'s place (the tree's, the group key as this RNC has
 * it) point-to-point under its private key, counted on event `seq`. */
static void send_place_keys(Net *net, uint32_t rnc, uint32_t ue, uint32_t seq) {
  const KtKey *own = &rnc_of(net, rnc)->group;
  const KtKey *priv = kt_tree_key(net->tree, KT_KEY_ID(KT_KEY_PRIVATE, ue));
  const KtKey *keys[MSG_MAX_WRAPS];
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  if (priv == NULL || n == 0)
    return;
  Msg msg;
  msg_init(&msg, MSG_KEY_ASSIGNMENT, seq);
  msg.mode = MSG_P2P;
  msg.ue = ue;
  for (guint i = 0; i < n; i++) {
    const KtKey *k = KT_KEY_ID_KIND(keys[i]->ref.id) == KT_KEY_GROUP ? own : keys[i];
    if (KT_KEY_ID_KIND(k->ref.id) != KT_KEY_PRIVATE)
      net_wrap(net, rnc_me(rnc), seq, &msg.wraps[msg.n_wraps++], k, priv);
  }
  net_send_dch_down(net, rnc, ue, &msg);
}

/* Key repair at the end of a move that keeps the UE's group
 * (docs/flows.md, "Key repair"): if the group key this RNC has is newer
 * than the one the UE said it holds (a new one went to its old cell while
 * it was changing cell), and the plan gives the mover nothing, it gets
 * every key of its place now; if a newer one is still in the core, the
 * RNC notes that it owes it (rnc_pay_owed). */
void rnc_repair_keys(Net *net, uint32_t rnc, const Msg *req, const KtPlan *plan) {
  const KtKey *own = &rnc_of(net, rnc)->group;
  if (own->ref.version == 0)
    return;
  /* Embodiment 1: a group key planned before the move, still in the core,
   * newer than the UE's: its deliveries were planned where the UE was then
   * (a point-to-point one at the old RNC, which no longer reaches it; a
   * point-to-multipoint one under the sub-group it left). This RNC owes
   * the UE that key: settled when the key arrives here (rnc_pay_owed). */
  const KtKey *planned = kt_tree_group_key(net->tree, kt_tree_scope_of_rnc(net->tree, rnc));
  if (net->cfg.embodiment == 1 && planned->ref.id == own->ref.id &&
      planned->ref.version > own->ref.version && planned->ref.version > req->group_version) {
    Rnc *r = rnc_of(net, rnc);
    if (!r->owed)
      r->owed = g_array_new(FALSE, FALSE, sizeof(OwedKeys));
    OwedKeys o = {req->ue, planned->ref.version, req->seq};
    g_array_append_val(r->owed, o);
  }
  for (guint i = 0; i < plan->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if (d->target == KT_TO_UE && d->target_id == req->ue)
      return;
  }
  if (req->group_version < own->ref.version)
    send_place_keys(net, rnc, req->ue, req->seq);
}

static bool has_ref(const KtKeyRef *refs, guint n, KtKeyRef ref) {
  for (guint i = 0; i < n; i++)
    if (kt_ref_equal(refs[i], ref))
      return true;
  return false;
}

/* Whether `plan` sends key `ref` to `ue` point-to-point through an RNC
 * other than `rnc`. */
static bool sent_elsewhere(const KtPlan *plan, uint32_t rnc, uint32_t ue, KtKeyRef ref) {
  for (guint i = 0; i < plan->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if (d->target != KT_TO_UE || d->target_id != ue || d->rnc == rnc)
      continue;
    for (guint k = 0; k < d->n_keys; k++)
      if (kt_ref_equal(kt_delivery_key(plan, d, k), ref))
        return true;
  }
  return false;
}

/* Whether the deliveries of `plan` that this RNC sends bring `ue` the
 * plan's group key where the tree has it now: point-to-point to it, or
 * under a key of its place that it holds. A version of that key which the
 * plan sent the UE point-to-point through another RNC (its old one, which
 * no longer reaches it) is held only if one of these deliveries brings it
 * too (3gpp: the leave's new MSK point-to-point there, the MTK under it
 * here; docs/flows.md, "Key repair"). */
static bool plan_reaches(const Net *net, uint32_t rnc, const KtPlan *plan, uint32_t ue) {
  if (!plan)
    return false;
  const KtKey *keys[MSG_MAX_WRAPS];
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  KtKeyRef got[MSG_MAX_WRAPS]; /* the keys these deliveries bring it so far */
  guint n_got = 0;
  for (bool more = true; more;) { /* until no delivery brings it more */
    more = false;
    for (guint i = 0; i < plan->deliveries->len; i++) {
      const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
      if (d->rnc != rnc || d->stage != KT_STAGE_GROUP)
        continue;
      bool reaches = d->target == KT_TO_UE && d->target_id == ue;
      for (guint k = 0; !reaches && d->target != KT_TO_UE && k < n; k++)
        reaches = keys[k]->ref.id == d->under.id;
      if (reaches && d->target != KT_TO_UE && sent_elsewhere(plan, rnc, ue, d->under))
        reaches = has_ref(got, n_got, d->under);
      for (guint k = 0; reaches && k < d->n_keys; k++) {
        KtKeyRef key = kt_delivery_key(plan, d, k);
        if (KT_KEY_ID_KIND(key.id) == KT_KEY_GROUP)
          return true;
        if (!has_ref(got, n_got, key) && n_got < G_N_ELEMENTS(got)) {
          got[n_got++] = key;
          more = true;
        }
      }
    }
  }
  return false;
}

/* The group key this RNC has now (from the RAB assignment of `plan`, or
 * NULL) settles what it owes (rnc_repair_keys): a UE still a member here that
 * the plan's deliveries here do not reach gets the keys of its place. */
void rnc_pay_owed(Net *net, uint32_t rnc, const KtPlan *plan) {
  Rnc *r = rnc_of(net, rnc);
  for (guint i = 0; r->owed && i < r->owed->len;) {
    OwedKeys o = g_array_index(r->owed, OwedKeys, i);
    if (o.version > r->group.ref.version) {
      i++;
      continue;
    }
    g_array_remove_index(r->owed, i);
    if (kt_tree_is_member(net->tree, o.ue) &&
        net_rnc_of_cell(net, kt_tree_ue_cell(net->tree, o.ue)) == rnc &&
        !plan_reaches(net, rnc, plan, o.ue))
      send_place_keys(net, rnc, o.ue, o.seq);
  }
}

/* A moved member's key repair request (it names the event whose wrap
 * waits, docs/flows.md "Key repair"): every key of its place, if it is a
 * member here. */
void rnc_on_repair_request(Net *net, uint32_t rnc, NetElement from, const Msg *req) {
  if (from.kind != NET_UE || req->ue != from.index || req->ue >= net->cfg.ue_capacity ||
      !kt_tree_is_member(net->tree, req->ue) ||
      net_rnc_of_cell(net, kt_tree_ue_cell(net->tree, req->ue)) != rnc) {
    rnc_reject(net, rnc, "key repair request of a UE that is no member here");
    return;
  }
  send_place_keys(net, rnc, req->ue, req->seq);
}
