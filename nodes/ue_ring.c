/* ue_ring.c — the UE's key ring (see ue_ring.h). */
#include "nodes/ue_ring.h"

#include <string.h>

/* Slot `slot` holds `key` from now on (NULL: nothing); what it held is
 * released (wiped with its last holder). */
void ue_slot_set(Net *net, UeSlot *slot, const KtKey *key) {
  UeSlot h = key ? key_pool_hold(ues(net)->keys, key) : KEY_POOL_NONE;
  key_pool_release(ues(net)->keys, *slot);
  *slot = h;
}

/* A node key slot (one of `st->nodes`; not the sub-group or group slot)
 * takes `key`. Members that compute their path keys (oft): a newer
 * version of the id it holds keeps the one it replaces as `prev` (and
 * that one's predecessor as `older`), since
 * the member may compute a node key's new version before a wrap the key
 * server made under the old one reaches it (a blinded key it has no
 * other way to get). Elsewhere a node key's new version comes only in a
 * wrap, and a wrap under an older version is stale. */
void ue_node_slot_set(Net *net, UeState *st, UeSlot *slot, const KtKey *key) {
  const KtKey *cur = k_of(net, *slot);
  if (kt_tree_member_computes(net->tree) && slot != &st->subgroup && slot != &st->group &&
      cur->ref.version != 0 && cur->ref.id == key->ref.id && cur->ref.version < key->ref.version) {
    UeNode *node = (UeNode *)(void *)slot;
    key_pool_release(ues(net)->keys, node->older);
    node->older = node->prev;
    node->prev = node->key;
    node->key = KEY_POOL_NONE;
  }
  ue_slot_set(net, slot, key);
}

/* ---------------------------------------------------- the holders index
 *
 * The UE keeps the radio network's index of "UEs camped on cell c whose own
 * ring holds sub-group (node) key id k" (nodes/radio.h) true for itself:
 * a key id enters when the UE installs a key of a new id during its
 * current membership (or is provisioned with it), leaves when the UE
 * starts a new membership (a rejoin: its old keys stay in its ring, as an
 * eavesdropper's would, but it no longer listens for them), and moves with
 * the UE when it camps on another cell. Group keys need no index: every
 * listener of the cell holds its scope's group key id.
 *
 * Node keys (LKH) on their way: a joiner's path can be rekeyed (or a
 * concurrent event's key wrapped under a node of its path) before its own
 * keys arrive, so it cannot know yet which node ids will be its. From its
 * join request until the first point-to-point key assignment to it (its
 * keys), it is indexed under RADIO_INDEX_ANY: it hears every key
 * assignment under a sub-group or node key on its cell and keeps the wraps
 * it cannot open; once its keys are installed it opens those it now can and
 * drops the rest (they were for other members). */

bool ue_indexed_kind(KtKeyId id) {
  return KT_KEY_ID_KIND(id) == KT_KEY_SUBGROUP;
}

/* Calls fn for each key id of `ue` in the index. */
void ue_each_indexed(Net *net, uint32_t ue, void (*fn)(Radio *, uint32_t, uint32_t, RadioLink *)) {
  UeState *st = st_of(net, ue);
  if (st->subgroup_indexed)
    fn(net->radio, ue, k_of(net, st->subgroup)->ref.id, &st->link);
  if (st->waiting)
    fn(net->radio, ue, RADIO_INDEX_ANY, &st->link);
  for (uint8_t i = 0; i < st->n_nodes; i++)
    if (st->nodes[i].key != KEY_POOL_NONE)
      fn(net->radio, ue, st->nodes[i].id, &st->nodes[i].link);
}

/* The index's way to the link of `ue`'s entry for `key_id` (radio.h). */
RadioLink *ue_index_link(void *ctx, uint32_t ue, uint32_t key_id) {
  UeState *st = st_of(ctx, ue);
  if (key_id == RADIO_INDEX_ANY ||
      (st->subgroup_indexed && k_of(ctx, st->subgroup)->ref.id == key_id))
    return &st->link;
  for (uint8_t i = 0; i < st->n_nodes; i++)
    if (st->nodes[i].id == key_id && st->nodes[i].key != KEY_POOL_NONE)
      return &st->nodes[i].link;
  g_assert_not_reached(); /* the index names only holders */
}

/* The link of key slot `slot` of `st` (a sub-group slot, or a node key's). */
static RadioLink *slot_link(UeState *st, UeSlot *slot) {
  return slot == &st->subgroup ? &st->link : &((UeNode *)(void *)slot)->link;
}

/* `slot` (a sub-group or node key slot of `ue`) is about to hold key id
 * `id`: the index follows. */
void ue_index_slot(Net *net, uint32_t ue, UeSlot *slot, KtKeyId id) {
  UeState *st = st_of(net, ue);
  if (slot == &st->subgroup) {
    g_assert(!st->waiting); /* st->link is the sub-group key's */
    KtKeyId was = k_of(net, *slot)->ref.id;
    if (st->subgroup_indexed && was == id)
      return;
    if (st->subgroup_indexed)
      radio_index_remove(net->radio, ue, was, &st->link);
    radio_index_add(net->radio, ue, id, &st->link);
    st->subgroup_indexed = 1;
  } else if (*slot == KEY_POOL_NONE) {
    radio_index_add(net->radio, ue, id, slot_link(st, slot)); /* a node key not held before */
  }
}

void ue_wipe_nodes(Net *net, UeState *st) {
  for (uint8_t i = 0; i < st->n_nodes; i++) {
    ue_slot_set(net, &st->nodes[i].key, NULL);
    ue_slot_set(net, &st->nodes[i].prev, NULL);
    ue_slot_set(net, &st->nodes[i].older, NULL);
  }
  block_slab_release(ues(net)->node_arrays, st->nodes, st->cap_nodes * sizeof(UeNode));
  st->nodes = NULL;
  st->n_nodes = st->cap_nodes = 0;
}

/* A new membership: the index forgets the UE's keys (they stay in its
 * ring) and its node keys are dropped (its key list is its new path). */
void ue_forget_for_rejoin(Net *net, uint32_t ue) {
  UeState *st = st_of(net, ue);
  ue_each_indexed(net, ue, radio_index_remove);
  st->subgroup_indexed = 0;
  st->waiting = 0;
  st->move_nodes = 0;
  ue_wipe_nodes(net, st);
}

/* The UE's private key. It is provisioned once and never changes, and its
 * bytes are the network's copy's (both come from kt_keygen_private, a pure
 * function of the UE id), so the UE holds it by reference to that one copy
 * (the key tree's) instead of a second one per UE; before the network has
 * seen the UE it is derived into `scratch`. NULL before the UE appears. */
const KtKey *ue_own_private(const Net *net, uint32_t ue, KtKey *scratch) {
  const KtKey *k = kt_tree_key(net->tree, KT_KEY_ID(KT_KEY_PRIVATE, ue));
  if (k != NULL || !radio_ue_seen(net->radio, ue))
    return k;
  kt_keygen_private(net->keygen, scratch, ue);
  return scratch;
}

/* Room for `more` node keys beyond those held (the array is sized to the
 * path, not doubled: it is most of a UE's memory with node keys; in the
 * UEs' slab, block_slab.h, for the holders' reads at random). */
void ue_reserve_nodes(const Net *net, UeState *st, guint more) {
  guint cap = st->n_nodes + more;
  if (cap <= st->cap_nodes)
    return;
  g_assert(cap <= UINT8_MAX);
  BlockSlab *slab = ues(net)->node_arrays;
  UeNode *grown = block_slab_alloc(slab, cap * sizeof(UeNode));
  if (st->n_nodes)
    memcpy(grown, st->nodes, st->n_nodes * sizeof(UeNode));
  block_slab_release(slab, st->nodes, st->cap_nodes * sizeof(UeNode));
  st->nodes = grown;
  st->cap_nodes = (uint8_t)cap;
}

/* The UE's slot for key `id`, or NULL (none; a private key is not in a
 * slot: ue_held_key); with `create`, a node key not held yet gets a new, empty
 * slot. */
UeSlot *ue_key_slot(const Net *net, uint32_t ue, KtKeyId id, bool create) {
  UeState *st = st_of(net, ue);
  switch (KT_KEY_ID_KIND(id)) {
  case KT_KEY_SUBGROUP:
    if (!kt_tree_node_keys(net->tree))
      return &st->subgroup;
    {
      const UeNode *likely = ue_node_likely(net, st, id);
      if (likely && likely->id == id)
        return &st->nodes[likely - st->nodes].key;
    }
    for (uint8_t i = 0; i < st->n_nodes; i++)
      if (st->nodes[i].id == id) {
        *ue_node_hint(net, id) = (uint8_t)(st->n_nodes - 1 - i);
        return &st->nodes[i].key;
      }
    if (!create)
      return NULL;
    if (st->n_nodes == st->cap_nodes)
      ue_reserve_nodes(net, st, 2); /* a path grows by a level or two at a time */
    UeNode *slot = &st->nodes[st->n_nodes++];
    memset(slot, 0, sizeof *slot);
    slot->id = id; /* filled at once by the caller */
    return &slot->key;
  case KT_KEY_GROUP:
    return &st->group;
  default:
    return NULL;
  }
}

/* The UE's key of id `id` as it holds it (a zero key, version 0, for an
 * empty slot; another UE's private key id gives the zero key too), or NULL
 * if it has no slot for it. Valid until the next ue_slot_set. */
const KtKey *ue_held_key(const Net *net, uint32_t ue, KtKeyId id) {
  static const KtKey none;
  if (KT_KEY_ID_KIND(id) == KT_KEY_PRIVATE) {
    const KtKey *own = id == KT_KEY_ID(KT_KEY_PRIVATE, ue) ? kt_tree_key(net->tree, id) : NULL;
    return own ? own : &none;
  }
  const UeSlot *slot = ue_key_slot(net, ue, id, false);
  return slot ? k_of(net, *slot) : NULL;
}
