/* rnc_private.h — what the RNC's files share and nothing else sees: the
 * RNCs' state and the steps that cross file boundaries. The element's
 * public face is nodes/rnc.h (its NodeOps).
 *
 *   rnc.c         requests, the core's RAB assignments and accepts, data,
 *                 timers (batch, periodic, recovery rounds), dispatch
 *   rnc_move.c    the RNC's part of a handover (cell update, SRNS
 *                 relocation; docs/flows.md, "Handover")
 *   rnc_repair.c  key repair of movers (docs/flows.md, "Key repair")
 */
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

/* rnc.c: plan `plan`'s deliveries of `stage` made by this RNC (in the
 * group stage, the joiner's point-to-point ones or the others) */
void rnc_execute(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan, KtStage stage,
                 bool joiner_p2p);
/* rnc.c, embodiment 2: the group part of `plan` at once, the new group key
 * being the RNC's own */
void rnc_execute_group_part(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan);
/* rnc.c: a group key from the core, under the core key, taken if newer than
 * the RNC's copy; false (rejected) if the message has none that opens */
bool rnc_take_group_key(Net *net, uint32_t rnc, const Msg *msg);

/* rnc_move.c: the messages of a handover that reach an RNC */
void rnc_on_cell_update(Net *net, uint32_t rnc, NetElement from, const Msg *msg);
void rnc_on_relocation_req(Net *net, uint32_t rnc, const Msg *msg);
void rnc_on_relocation_ack(Net *net, uint32_t rnc, const Msg *msg);

/* rnc_repair.c: at the end of a move that keeps the UE's group, the keys
 * of its place if its group key is older than this RNC's (or a note that
 * the RNC owes it a key still in the core) */
void rnc_repair_keys(Net *net, uint32_t rnc, const Msg *req, const KtPlan *plan);
/* rnc_repair.c: the group key this RNC has now settles what it owes */
void rnc_pay_owed(Net *net, uint32_t rnc, const KtPlan *plan);
/* rnc_repair.c: a moved member's key repair request */
void rnc_on_repair_request(Net *net, uint32_t rnc, NetElement from, const Msg *req);
