/* recovery.c — see recovery.h. */
#include "nodes/recovery.h"

#include "nodes/plan.h"

/* One asker of an open round. */
typedef struct {
  uint32_t ue, cell;
} Asker;

struct RecoveryRounds {
  GArray **askers; /* per RNC: Asker, in order of arrival; NULL: no round open */
  uint8_t *served; /* per UE id: its requests that joined rounds since its last
                    * unicast answer */
  uint32_t n_rnc, ue_capacity;
};

RecoveryRounds *recovery_rounds_new(const Net *net) {
  if (net->cfg.loss.multicast_rounds == 0)
    return NULL;
  RecoveryRounds *r = g_new0(RecoveryRounds, 1);
  r->n_rnc = net->n_rnc;
  r->ue_capacity = net->cfg.ue_capacity;
  r->askers = g_new0(GArray *, r->n_rnc ? r->n_rnc : 1);
  r->served = g_new0(uint8_t, r->ue_capacity ? r->ue_capacity : 1);
  return r;
}

void recovery_rounds_free(RecoveryRounds *r) {
  if (!r)
    return;
  for (uint32_t i = 0; i < r->n_rnc; i++)
    if (r->askers[i])
      g_array_free(r->askers[i], TRUE);
  g_free(r->askers);
  g_free(r->served);
  g_free(r);
}

/* The key a round wraps `ue`'s group key under: its lowest sub-group or
 * node key per the tree (kt_tree_ue_keys lists them bottom-up), or NULL
 * (a scheme without one, or a stateless one). */
static const KtKey *round_key(const Net *net, uint32_t ue) {
  /* sd: nothing to wrap under; oft: a member computes its group key from
   * its path's blinded keys, and a round's group key alone leaves it
   * without the path (it would not compute the next group key, and
   * nothing would tell it: oft's rekeys name no group key in the clear) */
  if (kt_tree_stateless(net->tree) || kt_tree_member_computes(net->tree))
    return NULL;
  const KtKey *keys[KT_PLAN_MAX_KEYS];
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  return n >= 2 && KT_KEY_ID_KIND(keys[0]->ref.id) == KT_KEY_SUBGROUP ? keys[0] : NULL;
}

/* Whether `ue`'s request joins the round of `rnc` (and counts it). */
static bool joins_round(const Net *net, RecoveryRounds *r, uint32_t ue) {
  if (!r || !round_key(net, ue))
    return false;
  /* Counted across group key versions: a round helps only a UE holding
   * its lowest key's current version, and one that missed that key (an
   * LKH node key) must reach the unicast answer however often the group
   * key changes meanwhile. */
  if (r->served[ue] >= net->cfg.loss.multicast_rounds)
    return false;
  r->served[ue]++;
  return true;
}

bool recovery_answer(Net *net, RecoveryRounds *rounds, uint32_t rnc, NetElement from,
                     const Msg *req, const KtKey *group, uint32_t group_seq) {
  NetElement me = {NET_RNC, rnc};
  if (from.kind != NET_UE || req->ue != from.index) {
    net_reject(net, me, "key request not from the UE it names");
    return false;
  }
  uint32_t ue = req->ue;
  if (ue >= net->cfg.ue_capacity || !kt_tree_is_member(net->tree, ue) ||
      net_rnc_of_cell(net, kt_tree_ue_cell(net->tree, ue)) != rnc) {
    /* a departed UE (or one that is not this RNC's): recovery must open
     * nothing to a non-member */
    if (net->obs.on_refused)
      net->obs.on_refused(net->obs.ctx, rnc, ue);
    return false;
  }
  if (joins_round(net, rounds, ue)) {
    bool opens = rounds->askers[rnc] == NULL;
    if (opens)
      rounds->askers[rnc] = g_array_new(FALSE, FALSE, sizeof(Asker));
    Asker a = {ue, kt_tree_ue_cell(net->tree, ue)};
    g_array_append_val(rounds->askers[rnc], a);
    return opens;
  }
  if (rounds)
    rounds->served[ue] = 0; /* served by unicast: its rounds start again */
  const KtKey *keys[KT_PLAN_MAX_KEYS];
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  const KtKey *priv = kt_tree_key(net->tree, KT_KEY_ID(KT_KEY_PRIVATE, ue));
  g_assert(priv);
  Msg reply;
  msg_init(&reply, MSG_KEY_RECOVERY, group_seq);
  reply.mode = MSG_P2P;
  reply.ue = ue;
  for (guint i = 0; i < n && reply.n_wraps < MSG_MAX_WRAPS; i++) {
    const KtKey *key = keys[i];
    if (KT_KEY_ID_KIND(key->ref.id) == KT_KEY_GROUP && group->ref.id == key->ref.id &&
        group->ref.version != 0)
      key = group; /* embodiment 1: the BM-SC's newer one may still be on its way */
    if (KT_KEY_ID_KIND(key->ref.id) == KT_KEY_GROUP &&
        key->ref.version < plan_joining_floor(net->plans, ue))
      continue; /* a key from before the asker's join (docs/flows.md,
                 * "Overlapping events" 4): its join brings the new one */
    net_wrap(net, me, group_seq, &reply.wraps[reply.n_wraps++], key, priv);
  }
  if (reply.n_wraps == 0)
    return false;
  net_send_dch_down(net, rnc, ue, &reply);
  return false;
}

typedef struct {
  const Net *net;
  KtKeyRef under;
} HeldUnder;

/* Whether `ue` holds the key of `ctx` (a HeldUnder) per the tree. */
static bool holds_under(const void *ctx, uint32_t ue) {
  const HeldUnder *h = ctx;
  if (!kt_tree_is_member(h->net->tree, ue))
    return false;
  const KtKey *keys[KT_PLAN_MAX_KEYS];
  guint n = kt_tree_ue_keys(h->net->tree, ue, keys, G_N_ELEMENTS(keys));
  for (guint i = 0; i < n; i++)
    if (keys[i]->ref.id == h->under.id && keys[i]->ref.version == h->under.version)
      return true;
  return false;
}

void recovery_round_end(Net *net, RecoveryRounds *rounds, uint32_t rnc, const KtKey *group) {
  GArray *askers = rounds->askers[rnc];
  rounds->askers[rnc] = NULL;
  if (!askers)
    return;
  NetElement me = {NET_RNC, rnc};
  /* distinct keys in order of their first asker, each with its cells in
   * order of first asker; askers no longer members camped under this RNC,
   * or in another cell now, are left out */
  GArray *under = g_array_new(FALSE, FALSE, sizeof(const KtKey *));
  GPtrArray *cells = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
  for (guint i = 0; i < askers->len; i++) {
    const Asker *a = &g_array_index(askers, Asker, i);
    if (!kt_tree_is_member(net->tree, a->ue) || kt_tree_ue_cell(net->tree, a->ue) != a->cell ||
        net_rnc_of_cell(net, a->cell) != rnc)
      continue;
    const KtKey *key = round_key(net, a->ue);
    if (!key)
      continue;
    guint k = 0;
    while (k < under->len && g_array_index(under, const KtKey *, k)->ref.id != key->ref.id)
      k++;
    if (k == under->len) {
      g_array_append_val(under, key);
      g_ptr_array_add(cells, g_array_new(FALSE, FALSE, sizeof(uint32_t)));
    }
    GArray *c = g_ptr_array_index(cells, k);
    guint j = 0;
    while (j < c->len && g_array_index(c, uint32_t, j) != a->cell)
      j++;
    if (j == c->len)
      g_array_append_val(c, a->cell);
  }
  for (guint k = 0; k < under->len; k++) {
    /* a joiner whose join's group key is still in the core may hold the
     * key (a split made it a holder of the node): the RNC's group key is
     * one from before its join (docs/flows.md, "Overlapping events" 4);
     * no round for that key, its askers ask again at their retry */
    HeldUnder h = {net, g_array_index(under, const KtKey *, k)->ref};
    if (plan_joiner_above(net->plans, group->ref.version, holds_under, &h))
      continue;
    Msg msg;
    msg_init(&msg, MSG_KEY_ASSIGNMENT, NET_NO_SEQ); /* a round belongs to no event */
    msg.mode = MSG_P2M;
    msg.n_wraps = 1;
    net_wrap(net, me, NET_NO_SEQ, &msg.wraps[0], group, g_array_index(under, const KtKey *, k));
    GArray *c = g_ptr_array_index(cells, k);
    net_send_common_answer(net, rnc, c, &msg);
    if (net->obs.on_round)
      net->obs.on_round(net->obs.ctx, rnc, &msg, msg_encoded_size(&msg), c->len);
  }
  g_ptr_array_free(cells, TRUE);
  g_array_free(under, TRUE);
  g_array_free(askers, TRUE);
}
