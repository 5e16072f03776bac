/* kt_plan.h — a rekey plan: what one join or leave changes and who gets what.
 *
 * The planner (kt_tree_join / kt_tree_leave) returns a KtPlan. It does no I/O
 * and schedules nothing: the nodes layer turns each KtDelivery into one MBMS
 * key assignment message (deliveries `joined` to the one before share it). The delivery rule is uniform:
 *   - target KT_TO_UE: point-to-point on that UE's dedicated channel, every
 *     key in it wrapped under `under` (the UE's private key);
 *   - target KT_TO_SUBGROUP / KT_TO_RNC_GROUP / KT_TO_NODE: point-to-multipoint
 *     to the holders of `under` at RNC `rnc` (a sub-group's members, the
 *     group members at one RNC, or the members below an LKH node at one
 *     RNC), minus `exclude_ue`, on the cells where they are.
 * A key whose holders span several RNCs (embodiment 1) gets one delivery
 * per RNC with holders: each RNC wraps and transmits it once.
 * Stage: KT_STAGE_LOCAL deliveries can be sent by the RNC at once;
 * KT_STAGE_GROUP deliveries carry or need the group key, which in
 * embodiment 1 reaches the RNC from the BM-SC through the core first.
 * Deliveries are listed in the order the method sends them (sub-group
 * point-to-point before the group key point-to-multipoint).
 *
 * The plan owns copies of the old and new values of every key it changed
 * (kt_plan_key), because old values are needed to wrap new ones and the
 * tree only keeps current values. kt_plan_clear() wipes them.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_key.h"

#define KT_NO_UE UINT32_MAX
#define KT_NO_SUBGROUP UINT32_MAX
#define KT_DELIVERY_MAX_KEYS 2 /* keys stored inline in a KtDelivery */
#define KT_PLAN_MAX_KEYS 32    /* keys in one delivery (an LKH joiner's path) */

/* KT_EVENT_MOVE: a member changes cell within its group scope
 * (kt_tree_move; docs/flows.md, "Handover"). */
typedef enum { KT_EVENT_JOIN, KT_EVENT_LEAVE, KT_EVENT_BATCH, KT_EVENT_MOVE } KtEventKind;

/* One join or leave of a batch (kt_tree_batch). */
typedef struct {
  bool join;
  uint32_t ue, cell; /* leaves: the cell it left (in plan->batch) */
} KtBatchOp;
typedef enum { KT_TO_UE, KT_TO_SUBGROUP, KT_TO_RNC_GROUP, KT_TO_NODE } KtTarget;
typedef enum { KT_STAGE_LOCAL, KT_STAGE_GROUP } KtStage;

typedef struct {
  KtStage stage;
  KtTarget target;
  uint32_t target_id;  /* UE id, sub-group id, RNC index or LKH node id, per `target` */
  uint32_t rnc;        /* the RNC that transmits this delivery */
  uint32_t exclude_ue; /* not a holder of `under` (the joiner), or KT_NO_UE */
  uint8_t n_keys;
  /* Travels in the same point-to-multipoint message as the previous
   * delivery (same rnc and stage; its wraps are under its own `under`):
   * one key assignment carrying wraps under several keys, as sd's one
   * broadcast per rekey (docs/schemes.md, "sd"). The planner keeps a
   * message's wraps at most KT_PLAN_MAX_KEYS (MSG_MAX_WRAPS). */
  bool joined;
  /* The bytes, beyond its wraps, of the standard message this delivery
   * stands for (3gpp: MIKEY's MSK and MTK messages, docs/schemes.md); the
   * RNC pads the key assignment to envelope + wraps bytes. 0: this
   * simulator's own key assignment. */
  uint16_t envelope;
  KtKeyRef keys[KT_DELIVERY_MAX_KEYS]; /* first keys inside, each wrapped under `under` */
  uint32_t more;                       /* keys 2.. are plan->more_keys[more..] */
  KtKeyRef under;
} KtDelivery;

typedef struct {
  KtEventKind kind;
  uint32_t ue, rnc, cell; /* a move: the new cell and its RNC */
  uint32_t from_cell;     /* a move: the cell it left (else UINT32_MAX) */
  uint32_t subgroup;      /* the UE's sub-group (joined, left, or moved into) */
  uint32_t old_subgroup;  /* a move: the sub-group it left (KT_NO_SUBGROUP if the same) */
  uint32_t scope;         /* group scope: 0 in embodiment 1, the RNC in 2 */
  bool subgroup_created;  /* join: a new sub-group was made for the UE */
  bool subgroup_deleted;  /* leave: the sub-group became empty and was deleted */
  bool subgroup_changed;  /* the sub-group key changed */
  bool group_changed;     /* the group key changed */
  /* The event emptied its scope: every key no member holds any more was
   * retired (the group key got a new version at its owner, emptied
   * sub-groups and LKH nodes were deleted) and nothing is sent, because
   * nobody is left to tell. Implies group_changed; the plan has no
   * deliveries. The next joiner gets the fresh keys point-to-point. */
  bool group_retired;
  KtKeyRef group_before; /* group key ref before the event */
  KtKeyRef group_after;  /* group key ref after the event (== before if unchanged) */
  GArray *deliveries;    /* KtDelivery, in sending order */
  GArray *key_values;    /* KtKey: old and new values of the keys changed */
  GArray *more_keys;     /* KtKeyRef: keys beyond the inline ones of long deliveries */
  /* KT_EVENT_BATCH: the net joins and leaves applied (KtBatchOp; a UE that
   * joined and left within the batch is in neither); ue/rnc/cell/subgroup
   * are then KT_NO_UE / UINT32_MAX. */
  GArray *batch;
} KtPlan;

void kt_plan_init(KtPlan *plan);
/* Empties the plan for reuse, wiping key values. */
void kt_plan_clear(KtPlan *plan);
/* Frees the arrays (after wiping). */
void kt_plan_free(KtPlan *plan);
/* The value of `ref` if the plan changed that key (old or new), else NULL. */
const KtKey *kt_plan_key(const KtPlan *plan, KtKeyRef ref);
/* Whether the plan replaced version `ref` of a key (it holds the next
 * version): `ref` is an old value, which its holders held before. */
bool kt_plan_replaced(const KtPlan *plan, KtKeyRef ref);
/* Key `i` (< d->n_keys) of a delivery of `plan`. */
KtKeyRef kt_delivery_key(const KtPlan *plan, const KtDelivery *d, guint i);
/* Appends a delivery of `n_keys` (<= KT_PLAN_MAX_KEYS) keys to the plan. */
void kt_plan_add(KtPlan *plan, const KtDelivery *d, const KtKeyRef *keys, guint n_keys);
/* Counts by delivery class, derived from the deliveries: p2p deliveries,
 * and p2m messages (a delivery `joined` to the previous one is no new
 * message). */
guint kt_plan_p2p_count(const KtPlan *plan);
guint kt_plan_p2m_count(const KtPlan *plan);
/* Key wraps the plan makes: the sum of n_keys over its deliveries. */
guint kt_plan_wrap_count(const KtPlan *plan);
