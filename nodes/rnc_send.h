/* rnc_send.h — each RNC's state (its copy of its scope's group key, the
 * core key, its batch, what it owes movers) and how an RNC carries out a
 * plan: the keys resolved as the RNC can use them, wrapped and sent in key
 * assignments (point-to-point on a UE's dedicated channel,
 * point-to-multipoint on its cells' common channels), and the group key
 * taken from the core. Used by the RNC's files only (rnc.c, rnc_move.c,
 * rnc_repair.c); the element's public face is nodes/rnc.h. */
#pragma once
#include "nodes/batch.h"
#include "nodes/node.h"
#include "nodes/recovery.h"

enum { RNC_TIMER_BATCH = 0, RNC_TIMER_PERIODIC = 1 /* .. 2 */, RNC_TIMER_ROUND = 0x10 };

typedef struct {
  KtKey group;        /* this RNC's copy of its scope's group key (version 0 = none) */
  uint32_t group_seq; /* the event that made `group` (NET_NO_SEQ: none) */
  BatchBuffer batch;
  GArray *owed; /* OwedKeys: movers owed the group key on its way (rnc_repair_keys) */
} Rnc;

/* A mover whose move ended here while a newer group key than its own was
 * on its way through the core: when this RNC's copy reaches `version`,
 * the UE gets the keys of its place (move `seq`) unless that key's
 * deliveries here reach it (rnc_pay_owed). */
typedef struct {
  uint32_t ue, version, seq;
} OwedKeys;

typedef struct {
  KtKey core_key; /* network-domain key shared with the BM-SC (embodiment 1) */
  Rnc *rnc;       /* per RNC */
  /* NAS retransmission on (cfg.loss.nas): per UE id, 1 + the seq of its
   * last context request taken up by an RNC (0: none) */
  uint32_t *handled;
  RecoveryRounds *rounds; /* multicast rounds of recovery; NULL: none */
} Rncs;

static inline Rnc *rnc_of(Net *net, uint32_t rnc) {
  g_assert(rnc < net->n_rnc);
  return &((Rncs *)net->state[NET_RNC])->rnc[rnc];
}

static inline const KtKey *rnc_core_key(const Net *net) {
  return &((const Rncs *)net->state[NET_RNC])->core_key;
}

static inline NetElement rnc_me(uint32_t rnc) {
  return (NetElement){NET_RNC, rnc};
}

static inline void rnc_reject(Net *net, uint32_t rnc, const char *why) {
  net_reject(net, rnc_me(rnc), why);
}

/* plan `plan`'s deliveries of `stage` made by this RNC (in the
 * group stage, the joiner's point-to-point ones or the others) */
void rnc_execute(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan, KtStage stage,
                 bool joiner_p2p);
/* Embodiment 2: the group part of `plan` at once, the new group key
 * being the RNC's own */
void rnc_execute_group_part(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan);
/* a group key from the core, under the core key, taken if newer than
 * the RNC's copy; false (rejected) if the message has none that opens */
bool rnc_take_group_key(Net *net, uint32_t rnc, const Msg *msg);
