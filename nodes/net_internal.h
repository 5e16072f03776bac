/* net_internal.h — state shared by the element files of nodes/ (not for app/).
 *
 * Each element kind is one const NodeOps table (ROSS style): net.c decodes
 * what arrives and dispatches it to the receiving element's on_message.
 * Element state lives in the Net: small arrays for the network elements and
 * one compact UeState per UE id.
 */
#pragma once
#include <glib.h>

#include "keytree/kt_keygen.h"
#include "nodes/net.h"
#include "sim/sim.h"

typedef struct {
  const char *name;
  /* `msg` arrived at element `self` from element `from` over `via` */
  void (*on_message)(Net *net, uint32_t self, NetElement from, const Msg *msg);
} NodeOps;

extern const NodeOps bmsc_ops, ggsn_ops, sgsn_ops, rnc_ops, ue_ops;

/* What a UE holds. Versions 0 mean "not held". ~136 bytes per UE, plus,
 * for LKH only, the interior keys of its path (40 bytes each). */
typedef struct {
  KtKey priv, subgroup, group;
  KtKey *nodes;               /* LKH: interior (non-root) keys held, any order */
  uint8_t n_nodes, cap_nodes; /* LKH: used / allocated entries of `nodes` */
  KtKey prev_group;           /* the group key before `group`: data sealed under it
                               * may still arrive (switch-delay) */
  SimNodeId node;             /* UINT32_MAX until the UE first appears */
  uint32_t rnc;               /* RNC of its current (or last) cell: where its radio is camped */
  uint32_t cell;              /* current (or last) cell, global */
  uint8_t member;             /* joined and not left (as the UE sees it) */
} UeState;

/* A network element's copy of the group key of its scope. */
typedef struct {
  KtKey group; /* version 0 = not held */
} RncState;

/* A plan in flight, waiting for the parts that the BM-SC and the RNCs still
 * have to carry out (embodiment 1). */
typedef struct {
  KtPlan plan;
  uint32_t parts_left;
} PlanSlot;

/* A wrap a UE received under a newer version of a key it holds: kept until
 * the UE installs that version (the new sub-group key may still be on the
 * dedicated channel when the group key arrives on the common channel). */
typedef struct {
  uint32_t ue, seq;
  KtWrap wrap;
} PendingWrap;

struct Net {
  NetConfig cfg;
  KtTree *tree;
  KtKeyGen *keygen; /* the tree's */
  NetObserver obs;
  uint32_t n_sgsn, n_rnc, n_cells;

  SimNodeId bmsc_node;
  SimNodeId *ggsn_node, *sgsn_node, *rnc_node;
  SimLinkId *ggsn_uplink;  /* BM-SC–GGSN g */
  SimLinkId *sgsn_uplink;  /* GGSN–SGSN s */
  SimLinkId *rnc_uplink;   /* SGSN–RNC r (Iu) */
  SimRanId *ran;           /* per RNC */
  SimNodeId first_ue_node; /* network nodes are below this */
  GArray *node_ue;         /* uint32: UE id of node first_ue_node + i */

  KtKey core_key;   /* network-domain key of BM-SC and RNCs (embodiment 1) */
  KtKey bmsc_group; /* the BM-SC's group key (embodiment 1) */
  RncState *rnc;
  /* shared key id -> the newest version of it a departed member held (group,
   * sub-group and LKH node keys). A point-to-multipoint wrap under a version
   * up to this one would be open to that leaver, so it is not sent (rnc.c). */
  GHashTable *leaked;
  UeState *ue;

  struct DataPlane *data; /* nodes/data.c; NULL without a data plane */
  uint64_t data_verify_mismatches;

  GHashTable *plans; /* seq -> PlanSlot* */
  GArray *pending;   /* PendingWrap */
  GArray *scratch_cells;
  GArray *scratch_ues;

  /* batch: per holder (RNC r, or the BM-SC at index n_rnc) the ops gathered
   * (KtBatchOp), the seq of the last one, whether its timer is set */
  GArray **batch_ops;
  uint32_t *batch_seq;
  uint8_t *batch_armed;
};

/* Topology. */
static inline uint32_t net_rnc_of_cell(const Net *net, uint32_t cell) {
  return cell / net->cfg.cells_per_rnc;
}
static inline uint32_t net_sgsn_of_rnc(const Net *net, uint32_t rnc) {
  return rnc / net->cfg.rnc_per_sgsn;
}
static inline uint32_t net_ggsn_of_sgsn(const Net *net, uint32_t sgsn) {
  return sgsn / net->cfg.sgsn_per_ggsn;
}
guint net_sgsn_members(const Net *net, uint32_t sgsn);
guint net_ggsn_members(const Net *net, uint32_t ggsn);
/* Whether the MBMS group key change request of event `seq` goes to this
 * element (embodiment 1). A new group key goes along the distribution tree
 * (every element with members below). A request for an unchanged group key
 * (an LKH node key changed at other RNCs) goes only towards the RNCs with
 * work in the plan: a real request would list them; here the relays look
 * them up in the plan (the list is not encoded in the bytes). */
bool net_rnc_gets_request(const Net *net, uint32_t seq, uint32_t rnc);
bool net_sgsn_gets_request(const Net *net, uint32_t seq, uint32_t sgsn);
bool net_ggsn_gets_request(const Net *net, uint32_t seq, uint32_t ggsn);

/* Sending: encode, hand to sim/, report to the observer. */
void net_send_link(Net *net, NetElement from, NetElement to, const Msg *msg);
void net_send_dch_up(Net *net, uint32_t ue, const Msg *msg);
void net_send_dch_down(Net *net, uint32_t rnc, uint32_t ue, const Msg *msg);
/* One point-to-multipoint message on the given global cells of `rnc`. */
void net_send_common(Net *net, uint32_t rnc, const GArray *cells, const Msg *msg);

/* Wrapping with counting. */
void net_wrap(Net *net, NetElement by, uint32_t seq, KtWrap *out, const KtKey *key,
              const KtKey *under);
bool net_unwrap(Net *net, NetElement by, KtKey *out, const KtWrap *wrap, const KtKey *under);

/* Versions leavers held (see Net.leaked); 0 if none. */
void net_note_leaked(Net *net, KtKeyRef ref);
uint32_t net_leaked_version(const Net *net, KtKeyId id);

/* Plans in flight. */
/* NULL if a plan for `seq` is already in flight. */
PlanSlot *net_plan_new(Net *net, uint32_t seq);
PlanSlot *net_plan_get(Net *net, uint32_t seq);
/* One part done; frees the slot when none is left. */
void net_plan_part_done(Net *net, uint32_t seq);

/* Whether delivery `d` of `plan` is the joiner's own keys (sent after the
 * accept in embodiment 1). */
bool net_is_joiner_delivery(const KtPlan *plan, const KtDelivery *d);
/* Whether the plan has group-stage work other than the joiner's keys at
 * `rnc` (any RNC if rnc == UINT32_MAX): in embodiment 1 it waits for the
 * core's RAB assignment request. */
bool net_has_group_work(const KtPlan *plan, uint32_t rnc);
/* The UE's copy of key `id` (its slot), or NULL; with `create`, an LKH node
 * key not held yet gets a new, empty (version 0) slot. */
KtKey *net_ue_key_slot(Net *net, uint32_t ue, KtKeyId id, bool create);
/* Drops the wraps a UE still waits a key for (LKH: it left before the node
 * key it was waiting for came). */
void net_drop_pending(Net *net, uint32_t ue);
/* Gives a UE every key the tree says it holds (provisioning). */
void net_ue_sync_from_tree(Net *net, uint32_t ue);

/* Batch (nodes/batch.c): gathers one join or leave at `holder` (an RNC, or
 * n_rnc for the BM-SC) and sets the holder's timer if needed. */
void batch_gather(Net *net, uint32_t holder, uint32_t seq, bool join, uint32_t ue, uint32_t cell);
/* Parts of an embodiment-1 plan (rnc.c). */
uint32_t rnc_parts_of(const Net *net, const KtPlan *plan);
/* Records the key versions a plan's leavers held (rnc.c). */
void rnc_note_leavers(Net *net, const KtPlan *plan);
void bmsc_send_group_key_change(Net *net, uint32_t seq, uint32_t scope);

/* Data packets. */
void net_send_data_link(Net *net, NetElement from, NetElement to, const KtData *d);
void net_send_data_common(Net *net, uint32_t rnc, const GArray *cells, const KtData *d);
/* Global cells of `rnc` with at least one member, into `out` (uint32). */
void net_member_cells(const Net *net, uint32_t rnc, GArray *out);

/* The data plane (data.c). */
void data_start(Net *net);
void data_free(Net *net);
/* The group key of `scope` (0 in embodiment 1, the RNC in 2) has just been
 * sent to the members: it becomes the key in use after switch-delay. */
void data_key_sent(Net *net, uint32_t scope, const KtKey *key);
/* The group key of `scope` was retired (its group emptied): nobody needs the
 * old one, so `key` is in use at once. */
void data_key_retired(Net *net, uint32_t scope, const KtKey *key);
void data_on_link(Net *net, NetElement to, const KtData *d);
void data_on_common(Net *net, uint32_t rnc, uint32_t cell, const KtData *d);

/* Elements' entry points used across files. */
void rnc_execute(Net *net, uint32_t rnc, uint32_t seq, const KtPlan *plan, KtStage stage,
                 bool joiner_p2p);
void ue_receive_key_assignment(Net *net, uint32_t ue, const Msg *msg);
void ue_dispatch_common(Net *net, uint32_t rnc, uint32_t cell, const Msg *msg, size_t len);
