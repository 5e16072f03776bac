/* ue.c — the UE: it opens MBMS key assignments with the keys it really
 * holds (libsodium decryption, no bookkeeping shortcut) and keeps only what
 * it opened. A wrap under a newer version of a key it holds waits in the
 * pending list until that version arrives (the new sub-group key may still
 * be on the dedicated channel when the group key arrives on the common
 * channel). A UE keeps its keys after it leaves: that is what an
 * eavesdropper would do. */
#include <string.h>

#include "nodes/net_internal.h"

static bool holds_node_keys(const Net *net) {
  return kt_tree_node_keys(net->tree);
}

KtKey *net_ue_key_slot(Net *net, uint32_t ue, KtKeyId id, bool create) {
  UeState *st = &net->ue[ue];
  switch (KT_KEY_ID_KIND(id)) {
  case KT_KEY_PRIVATE:
    return &st->priv;
  case KT_KEY_SUBGROUP:
    if (!holds_node_keys(net))
      return &st->subgroup;
    for (uint8_t i = 0; i < st->n_nodes; i++)
      if (st->nodes[i].ref.id == id)
        return &st->nodes[i];
    if (!create)
      return NULL;
    if (st->n_nodes == st->cap_nodes) {
      g_assert(st->cap_nodes < 128);
      uint8_t cap = st->cap_nodes ? (uint8_t)(st->cap_nodes * 2) : 4;
      st->nodes = g_renew(KtKey, st->nodes, cap);
      st->cap_nodes = cap;
    }
    KtKey *slot = &st->nodes[st->n_nodes++];
    memset(slot, 0, sizeof *slot);
    return slot;
  case KT_KEY_GROUP:
    return &st->group;
  default:
    return NULL;
  }
}

static void process_wrap(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap);

static void retry_pending(Net *net, uint32_t ue) {
  /* the list is short (only wraps racing their key); take this UE's out,
   * then process them again */
  GArray *mine = NULL;
  for (guint i = 0; i < net->pending->len;) {
    PendingWrap *p = &g_array_index(net->pending, PendingWrap, i);
    if (p->ue != ue) {
      i++;
      continue;
    }
    if (!mine)
      mine = g_array_new(FALSE, FALSE, sizeof(PendingWrap));
    g_array_append_val(mine, *p);
    g_array_remove_index_fast(net->pending, i);
  }
  if (!mine)
    return;
  for (guint i = 0; i < mine->len; i++) {
    PendingWrap *p = &g_array_index(mine, PendingWrap, i);
    process_wrap(net, p->ue, p->seq, &p->wrap);
  }
  g_array_free(mine, TRUE);
}

static void install(Net *net, uint32_t ue, uint32_t seq, const KtKey *key) {
  UeState *st = &net->ue[ue];
  KtKey *slot = net_ue_key_slot(net, ue, key->ref.id, true);
  if (!slot || KT_KEY_ID_KIND(key->ref.id) == KT_KEY_PRIVATE)
    return; /* a private key is never delivered */
  /* a different id is a new sub-group (or group, after moving RNC in
   * embodiment 2); the same id only moves forward */
  if (slot->ref.id == key->ref.id && slot->ref.version >= key->ref.version)
    return;
  if (slot == &st->group && slot->ref.id == key->ref.id) {
    kt_key_wipe(&st->prev_group); /* kept for data still sealed under it */
    st->prev_group = *slot;
  }
  kt_key_wipe(slot);
  *slot = *key;
  if (KT_KEY_ID_KIND(key->ref.id) == KT_KEY_GROUP && net->obs.on_group_install)
    net->obs.on_group_install(net->obs.ctx, ue, seq, key->ref);
  retry_pending(net, ue);
}

static void process_wrap(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap) {
  KtKey *held = net_ue_key_slot(net, ue, wrap->under.id, false);
  if (!held && holds_node_keys(net) && KT_KEY_ID_KIND(wrap->under.id) == KT_KEY_SUBGROUP) {
    /* LKH: the tree made this UE a holder of a node key (a split above it,
     * or its own join) that is still on its way: keep the wrap */
    PendingWrap p = {.ue = ue, .seq = seq, .wrap = *wrap};
    g_array_append_val(net->pending, p);
    return;
  }
  if (!held || held->ref.version == 0 || held->ref.id != wrap->under.id)
    return; /* not under a key this UE has: not for it */
  if (held->ref.version < wrap->under.version) {
    PendingWrap p = {.ue = ue, .seq = seq, .wrap = *wrap};
    g_array_append_val(net->pending, p);
    return;
  }
  if (held->ref.version > wrap->under.version)
    return; /* stale: made for a key this UE has already replaced */
  KtKey key;
  if (!net_unwrap(net, (NetElement){NET_UE, ue}, &key, wrap, held))
    return;
  install(net, ue, seq, &key);
  kt_key_wipe(&key);
}

void ue_receive_key_assignment(Net *net, uint32_t ue, const Msg *msg) {
  for (uint8_t i = 0; i < msg->n_wraps; i++)
    process_wrap(net, ue, msg->seq, &msg->wraps[i]);
}

static void ue_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg) {
  (void)from;
  if (msg->type == MSG_KEY_ASSIGNMENT && msg->mode == MSG_P2P && msg->ue == self)
    ue_receive_key_assignment(net, self, msg);
  /* accepts are signalling only: the keys came in the key assignment */
}

void ue_dispatch_common(Net *net, uint32_t rnc, uint32_t cell, const Msg *msg, size_t len) {
  (void)rnc;
  guint n_cell = 0;
  kt_tree_cell_ues(net->tree, cell, &n_cell); /* every UE of the cell hears it */
  if (net->obs.on_receive)
    net->obs.on_receive(net->obs.ctx, (NetElement){NET_UE, 0}, NET_VIA_COMMON, msg, len, n_cell);
  if (msg->type != MSG_KEY_ASSIGNMENT || msg->mode != MSG_P2M || msg->n_wraps == 0) {
    if (net->obs.on_reject)
      net->obs.on_reject(net->obs.ctx, (NetElement){NET_UE, 0},
                         "not a point-to-multipoint key assignment on a common channel");
    return;
  }
  /* Every UE of the cell hears the transmission; a UE that holds no key
   * with the wrap's key id discards it after reading the header, so only
   * the holders of that id are visited here. */
  GArray *holders = net->scratch_ues;
  g_array_set_size(holders, 0);
  kt_tree_holders_in_cell(net->tree, msg->wraps[0].under.id, cell, holders);
  for (guint i = 0; i < holders->len; i++) /* (holders of the cell only) */
    ue_receive_key_assignment(net, g_array_index(holders, guint32, i), msg);
}

const NodeOps ue_ops = {.name = "ue", .on_message = ue_on_message};
