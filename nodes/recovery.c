/* recovery.c — see recovery.h. */
#include "nodes/recovery.h"

void recovery_answer(Net *net, uint32_t rnc, NetElement from, const Msg *req, const KtKey *group,
                     uint32_t group_seq) {
  NetElement me = {NET_RNC, rnc};
  if (from.kind != NET_UE || req->ue != from.index) {
    net_reject(net, me, "key request not from the UE it names");
    return;
  }
  uint32_t ue = req->ue;
  if (ue >= net->cfg.ue_capacity || !kt_tree_is_member(net->tree, ue) ||
      net_rnc_of_cell(net, kt_tree_ue_cell(net->tree, ue)) != rnc) {
    /* a departed UE (or one that is not this RNC's): recovery must open
     * nothing to a non-member */
    if (net->obs.on_refused)
      net->obs.on_refused(net->obs.ctx, rnc, ue);
    return;
  }
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
    net_wrap(net, me, group_seq, &reply.wraps[reply.n_wraps++], key, priv);
  }
  if (reply.n_wraps == 0)
    return;
  net_send_dch_down(net, rnc, ue, &reply);
}
