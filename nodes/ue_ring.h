/* ue_ring.h — the UEs' state and each UE's key ring, shared by the UE's
 * files and nothing else (the element's public face is nodes/ue.h):
 *
 *   ue_ring.c     the key ring: slots (handles into the key pool), node
 *                 keys, the UE's entries in the radio's holders index
 *   ue_actions.c  the UE's own procedures: join, leave, move, and the
 *                 actions waiting behind a handover
 *   ue.c          what it receives: key assignments, wraps kept waiting,
 *                 key repair, data, accepts and confirms, timers
 *   ue_common.c   a point-to-multipoint key assignment heard by the holders
 *                 of its key, one call per transmission (the plain path)
 */
#pragma once
#include "nodes/block_slab.h"
#include "nodes/key_pool.h"
#include "nodes/node.h"
#include "nodes/radio.h"
#include "nodes/ue_nas.h"
#include "nodes/ue_pending.h"
#include "nodes/ue_recovery.h"

/* A key slot: a handle into the UEs' key pool (key_pool.h: one shared copy
 * per key version and bytes), KEY_POOL_NONE when empty. */
typedef uint32_t UeSlot;

/* A node key the UE holds, with its entry's link in the radio's holders
 * index (radio.h: the index's lists run through the UEs' slots). */
typedef struct {
  UeSlot key;   /* first: a slot's UeSlot * is its UeNode * */
  KtKeyId id;   /* the node's key id, from the slot's creation (the ring is
                 * searched by id: no trip to the pool per entry) */
  UeSlot prev;  /* members that compute keys (oft): the version `key`
                 * replaced (KEY_POOL_NONE: none), under which a wrap that
                 * a computed version overtook still opens (ue_node_slot_set) */
  UeSlot older; /* oft: the version `prev` replaced: a wrap made under it
                 * may come after two newer versions were computed (rekeys
                 * of one RNC within milliseconds) */
  RadioLink link;
} UeNode;

/* What a UE holds. Versions 0 mean "not held". 40 bytes per UE, plus, with
 * node keys (LKH), the interior keys of its path (24 bytes each, the array
 * sized to the path). Its keys are handles to the key pool's shared
 * copies; its private key is not in the pool: see ue_own_private. */
typedef struct {
  UeSlot subgroup, group;
  UeSlot prev_group;          /* the group key before `group`: data sealed under it
                               * may still arrive (switch-delay) */
  RadioLink link;             /* the index entry of `subgroup`, or (node keys) of
                               * RADIO_INDEX_ANY while `waiting` */
  UeNode *nodes;              /* node keys: interior (non-root) keys held, any order */
  uint8_t n_nodes, cap_nodes; /* used / allocated entries of `nodes` */
  uint8_t member;             /* joined and not left (as the UE sees it) */
  uint8_t subgroup_indexed;   /* `subgroup` is in the radio's holders index */
  uint8_t waiting;            /* node keys: joined, its own keys not yet come */
  uint8_t busy;               /* UE_IDLE, or the procedure in progress (handover) */
  uint8_t regroup : 1;        /* moving to another RNC's group (embodiment 2): a new
                               * membership once its new keys come */
  uint8_t moved : 1;          /* has moved in this membership (key repair, below) */
  uint8_t repair_armed : 1;   /* its key repair timer is set (arm_repair) */
  uint8_t computed : 1;       /* oft: computed keys in the key assignment being
                               * processed (drop_gone_nodes after it) */
  uint8_t pends : 1;          /* it keeps wraps in the pending store (what
                               * ue_pending_has says, read here on the hot
                               * paths without a hash lookup) */
  uint8_t move_nodes;         /* its first `move_nodes` node keys were held
                               * before the move (ue.c, end_move_path) */
} UeState;

/* UeState.busy: the procedure in progress (ue.c, "Handover serialisation") */
enum { UE_IDLE = 0, UE_JOINING, UE_MOVING };

typedef struct {
  UeState *ue;         /* per UE id */
  UePending *pending;  /* wraps kept under a key version not held yet (ue_pending.h) */
  GHashTable *waiting; /* ue -> GArray of UeAction, in order; only UEs that wait */
  uint64_t verify_mismatches;
  UeRecovery *recovery;       /* with [reliability] recovery; NULL otherwise */
  UeNas *nas;                 /* with lossy dedicated channels; NULL otherwise */
  KeyPool *keys;              /* what the slots hold */
  BlockSlab *node_arrays;     /* where the UEs' `nodes` arrays live (block_slab.h) */
  const UePendingWrap *again; /* the entry being processed again (retry_pending) */
  GArray *installs;           /* uint32 UEs: ue_on_common's group installs to report */
  uint8_t node_hint[16];      /* ue_node_hint's */
} Ues;

static inline Ues *ues(const Net *net) {
  return net->state[NET_UE];
}

static inline UeState *st_of(const Net *net, uint32_t ue) {
  g_assert(ue < net->cfg.ue_capacity);
  return &ues(net)->ue[ue];
}

/* UE `ue`'s state into the cache (a hint, no effect; a state may straddle
 * two cache lines). */
static inline void ue_fetch_state(const Net *net, uint32_t ue) {
  if (ue >= net->cfg.ue_capacity)
    return;
  const UeState *st = &ues(net)->ue[ue];
  __builtin_prefetch(st);
  __builtin_prefetch((const char *)(st + 1) - 1);
}

/* The key in slot `h` (a zero key, version 0, if empty). Valid until the
 * next ue_slot_set (the pool's entries may move). */
static inline const KtKey *k_of(const Net *net, UeSlot h) {
  return key_pool_key(ues(net)->keys, h);
}

/* Where the node keys (LKH) of id `id` were last found, counted from the
 * end of the UE's array: the holders of one transmission all look up the
 * key id it was sent under, and each UE's path keys sit in its array in the
 * same order, so one position serves them all (one per id, hashed: a holder
 * looks up other ids in between, as its own rekeyed path's). */
static inline uint8_t *ue_node_hint(const Net *net, KtKeyId id) {
  return &ues(net)->node_hint[(uint32_t)(id * 0x9e3779b1u) >> 28];
}

/* The entry of `st`'s node keys where its key of id `id` likely is (see
 * ue_node_hint), or NULL (none held). ue_key_slot tries it first, and
 * ue_on_common fetches it ahead: the one cache line of a path's 4-5 that
 * a holder reads (at 300 000 members, 87 % of the lookups find it there). */
static inline const UeNode *ue_node_likely(const Net *net, const UeState *st, KtKeyId id) {
  if (st->n_nodes == 0)
    return NULL;
  uint8_t from_end = *ue_node_hint(net, id);
  return &st->nodes[from_end < st->n_nodes ? st->n_nodes - 1 - from_end : 0];
}

/* ------------------------------------------------------ the key ring
 * (ue_ring.c): the UE's key slots, its node keys, its entries in the radio's
 * holders index. */

/* Slot `slot` holds `key` from now on (NULL: nothing); what it held is
 * released (wiped with its last holder). */
void ue_slot_set(Net *net, UeSlot *slot, const KtKey *key);
/* A node key slot takes `key`, keeping the versions a member that computes
 * keys (oft) may still need (UeNode.prev, older). */
void ue_node_slot_set(Net *net, UeState *st, UeSlot *slot, const KtKey *key);
/* Whether keys of `id`'s kind are in the holders index (sub-group and node
 * keys; a group key is every listener's). */
bool ue_indexed_kind(KtKeyId id);
/* Calls fn for each key id of `ue` in the index. */
void ue_each_indexed(Net *net, uint32_t ue, void (*fn)(Radio *, uint32_t, uint32_t, RadioLink *));
/* The index's way to the link of `ue`'s entry for `key_id` (radio.h's
 * RadioLinkOf; `ctx` is the Net). */
RadioLink *ue_index_link(void *ctx, uint32_t ue, uint32_t key_id);
/* `slot` (a sub-group or node key slot of `ue`) is about to hold key id
 * `id`: the index follows. */
void ue_index_slot(Net *net, uint32_t ue, UeSlot *slot, KtKeyId id);
/* The UE's node keys released and its node-key array freed. */
void ue_wipe_nodes(Net *net, UeState *st);
/* Room for `more` node keys beyond those held (the array is sized to the
 * path, not doubled). */
void ue_reserve_nodes(const Net *net, UeState *st, guint more);
/* A new membership: the index forgets the UE's keys (they stay in its
 * ring) and its node keys are dropped. */
void ue_forget_for_rejoin(Net *net, uint32_t ue);
/* The UE's private key (the key tree's one copy; derived into `scratch`
 * before the network has seen the UE); NULL before the UE appears. */
const KtKey *ue_own_private(const Net *net, uint32_t ue, KtKey *scratch);
/* The UE's slot for key `id`, or NULL; with `create`, a node key not held
 * yet gets a new, empty slot. */
UeSlot *ue_key_slot(const Net *net, uint32_t ue, KtKeyId id, bool create);
/* The UE's key of id `id` as it holds it (a zero key for an empty slot),
 * or NULL if it has no slot for it. Valid until the next ue_slot_set. */
const KtKey *ue_held_key(const Net *net, uint32_t ue, KtKeyId id);
