/* ue.c — the UE: it opens MBMS key assignments with the keys it really
 * holds (libsodium decryption, no bookkeeping shortcut) and keeps only what
 * it opened. A wrap under a newer version of a key it holds waits in the
 * pending list until that version arrives (the new sub-group key may still
 * be on the dedicated channel when the group key arrives on the common
 * channel). A UE keeps its keys after it leaves: that is what an
 * eavesdropper would do. */
#include "nodes/net_internal.h"

static KtKey *slot_for(UeState *st, KtKeyId id) {
  switch (KT_KEY_ID_KIND(id)) {
  case KT_KEY_PRIVATE:
    return &st->priv;
  case KT_KEY_SUBGROUP:
    return &st->subgroup;
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
  KtKey *slot = slot_for(st, key->ref.id);
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
  UeState *st = &net->ue[ue];
  KtKey *held = slot_for(st, wrap->under.id);
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
  const uint32_t *cell_ues = kt_tree_cell_ues(net->tree, cell, &n_cell);
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
  KtKeyId under = msg->wraps[0].under.id;
  if (KT_KEY_ID_KIND(under) == KT_KEY_SUBGROUP) {
    guint n = 0;
    const uint32_t *ues = kt_tree_subgroup_ues(net->tree, KT_KEY_ID_INDEX(under), &n);
    for (guint i = 0; i < n; i++)
      if (net->ue[ues[i]].cell == cell)
        ue_receive_key_assignment(net, ues[i], msg);
  } else if (KT_KEY_ID_KIND(under) == KT_KEY_GROUP) {
    for (guint i = 0; i < n_cell; i++)
      ue_receive_key_assignment(net, cell_ues[i], msg);
  }
}

const NodeOps ue_ops = {.name = "ue", .on_message = ue_on_message};
