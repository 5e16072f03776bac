/* ue_private.h — what the UE's files share and nothing else sees: the
 * UEs' state and the steps that cross file boundaries. The element's
 * public face is nodes/ue.h.
 *
 *   ue.c         the UE: its keys, wraps kept waiting, key repair, data,
 *                messages and timers, its own procedures (join, leave,
 *                move), inspection
 *   ue_common.c  a point-to-multipoint key assignment heard by the holders
 *                of its key, one call per transmission (the plain path)
 */
#pragma once
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
                 * a computed version overtook still opens (node_slot_set) */
  UeSlot older; /* oft: the version `prev` replaced: a wrap made under it
                 * may come after two newer versions were computed (rekeys
                 * of one RNC within milliseconds) */
  RadioLink link;
} UeNode;

/* What a UE holds. Versions 0 mean "not held". 40 bytes per UE, plus, with
 * node keys (LKH), the interior keys of its path (24 bytes each, the array
 * sized to the path). Its keys are handles to the key pool's shared
 * copies; its private key is not in the pool: see own_private. */
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
                               * before the move (end_move_path) */
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
  const UePendingWrap *again; /* the entry being processed again (retry_pending) */
  GArray *installs;           /* uint32 UEs: ue_on_common's group installs to report */
} Ues;

static inline Ues *ues(const Net *net) {
  return net->state[NET_UE];
}

static inline UeState *st_of(const Net *net, uint32_t ue) {
  g_assert(ue < net->cfg.ue_capacity);
  return &ues(net)->ue[ue];
}

/* The key in slot `h` (a zero key, version 0, if empty). Valid until the
 * next slot_set (the pool's entries may move). */
static inline const KtKey *k_of(const Net *net, UeSlot h) {
  return key_pool_key(ues(net)->keys, h);
}

/* ue.c: a key assignment to the UE, or heard on its cell: its wraps, one
 * after the other (what a UE does with a message on its own) */
void ue_on_key_assignment(Net *net, uint32_t self, const Msg *msg);
/* ue.c: ue_on_key_assignment from the message's wrap `first` on (those
 * before it were processed by ue_common.c's plain path) */
void ue_on_wraps_from(Net *net, uint32_t self, const Msg *msg, uint8_t first);

/* ue_common.c: node.h's on_common for the UEs (NodeOps.on_common) */
void ue_on_common(Net *net, const uint32_t *to, guint n, NetElement from, const Msg *msg);
