/* kt_tree_private.h — the KtTree's storage, shared by kt_tree.c (storage and
 * queries) and the planner kt_patent.c. Not for use outside keytree/ (tests
 * may include it to corrupt a tree on purpose).
 *
 * Layout (all arrays indexed by id, no per-UE hash table or string):
 *   ues        KtUeRec per UE id ever seen (grown on demand);
 *   cell_ues   per cell, its members (swap-removal; UeRec.cell_pos);
 *   sgs        per sub-group id ever created, a KtSubgroup* or NULL once
 *              deleted; sg_rnc keeps the RNC of every id ever created;
 *   rnc_sgs    per RNC, its live sub-group ids in creation order (= ascending
 *              id, since ids are allocated in increasing order);
 *   open       per placement unit (cell for KT_POLICY_PER_CELL, RNC for
 *              KT_POLICY_PER_RNC), a binary min-heap of the ids of its live
 *              sub-groups that are not full: its top is the first sub-group
 *              in creation order with room (KtSubgroup.heap_pos).
 *   nodes      (LKH) per node id ever created, a KtNode* or NULL once
 *              deleted; ids 0..n_scopes-1 are the roots. A member's
 *              KtUeRec.subgroup is its parent node, sg_pos its position in
 *              the parent's children.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_tree.h"

#define KT_NOT_IN_HEAP UINT32_MAX

enum {
  KT_UE_SEEN = 1u << 0,   /* private key set */
  KT_UE_MEMBER = 1u << 1, /* joined and not left */
};

typedef struct {
  uint32_t cell;     /* current cell if member, else the last one */
  uint32_t subgroup; /* current sub-group if member, else KT_NO_SUBGROUP */
  uint32_t cell_pos; /* index in cell_ues[cell] */
  uint32_t sg_pos;   /* index in the sub-group's members */
  uint32_t flags;    /* KT_UE_* */
  KtKey priv;        /* the network's copy of the UE's private key */
} KtUeRec;

typedef struct {
  KtKey key;
  uint32_t id;
  uint32_t rnc;
  uint32_t unit;     /* placement unit: cell (per-cell) or RNC (per-RNC) */
  uint32_t heap_pos; /* index in open[unit], or KT_NOT_IN_HEAP when full */
  uint32_t n, cap;   /* members, allocated slots (cap <= subgroup_size) */
  uint32_t *members; /* UE ids, swap-removal; KtUeRec.sg_pos */
} KtSubgroup;

#define KT_LKH_NONE UINT32_MAX
#define KT_LKH_UE_BIT 0x80000000u /* a child entry naming a UE leaf */

typedef struct {
  uint32_t rnc, count;
} KtRncCount;

/* An LKH interior node. A root's key is the scope's group key. */
typedef struct {
  KtKey key; /* unused for a root */
  uint32_t id;
  uint32_t parent; /* node id, KT_LKH_NONE for a root */
  uint32_t pos;    /* index in the parent's children */
  uint32_t scope;
  uint32_t depth; /* 1 for a root */
  uint32_t n_children;
  uint32_t leaves;    /* UE leaves below */
  uint32_t *children; /* [degree]: node id, or KT_LKH_UE_BIT | UE id */
  GArray *rncs;       /* KtRncCount, ascending rnc: leaves below per RNC */
} KtNode;

struct KtTree {
  KtConfig cfg;
  KtKeyGen *gen;
  uint32_t n_cells, n_scopes, n_units;
  bool check_each; /* MBMS_KT_CHECK set: kt_tree_check after every change */

  GArray *ues;        /* KtUeRec */
  GArray **cell_ues;  /* [n_cells] of guint32 */
  guint *rnc_count;   /* [n_rnc] members per RNC */
  guint *scope_count; /* [n_scopes] */
  guint total;
  KtKey *group; /* [n_scopes] current group keys */

  GPtrArray *sgs;   /* KtSubgroup* or NULL, by sub-group id */
  GArray *sg_rnc;   /* guint32 by sub-group id */
  GArray **rnc_sgs; /* [n_rnc] of guint32, ascending */
  GArray **open;    /* [n_units] of guint32, min-heap */
  guint n_live;

  uint32_t degree;  /* LKH degree */
  GPtrArray *nodes; /* LKH: KtNode* or NULL, by node id */
  guint n_live_nodes;
};

static inline KtUeRec *kt_priv_ue(const KtTree *t, uint32_t ue) {
  if (ue >= t->ues->len)
    return NULL;
  return &g_array_index(t->ues, KtUeRec, ue);
}

static inline KtSubgroup *kt_priv_sg(const KtTree *t, uint32_t sg) {
  if (sg >= t->sgs->len)
    return NULL;
  return g_ptr_array_index(t->sgs, sg);
}

static inline uint32_t kt_priv_rnc_of_cell(const KtTree *t, uint32_t cell) {
  return cell / t->cfg.cells_per_rnc;
}

/* The UE's record, created (with its private key) the first time. */
KtUeRec *kt_priv_ue_ensure(KtTree *t, uint32_t ue);
/* The sub-group a UE joining `cell` enters: the first with room in creation
 * order, or NULL if a new one is needed. */
KtSubgroup *kt_priv_find_open(const KtTree *t, uint32_t cell);
/* A new, empty sub-group of `cell`'s unit with a fresh key (version 1). */
KtSubgroup *kt_priv_subgroup_new(KtTree *t, uint32_t cell);
/* Deletes an empty sub-group (frees it, removes it from every list). */
void kt_priv_subgroup_delete(KtTree *t, KtSubgroup *sg);
/* Adds a (non-member) UE to `cell` and `sg`; updates all counts and lists. */
void kt_priv_attach(KtTree *t, uint32_t ue, uint32_t cell, KtSubgroup *sg);
/* Removes a member from its cell and sub-group (which may become empty but is
 * not deleted here); returns the sub-group. */
KtSubgroup *kt_priv_detach(KtTree *t, uint32_t ue);
/* Star and LKH schemes: adds a (non-member) UE to `cell` / removes a member
 * from its cell, updating counts; sub-group fields are the caller's. */
void kt_priv_attach_cell(KtTree *t, uint32_t ue, uint32_t cell);
void kt_priv_detach_cell(KtTree *t, uint32_t ue);

static inline KtNode *kt_priv_node(const KtTree *t, uint32_t id) {
  if (t->nodes == NULL || id >= t->nodes->len)
    return NULL;
  return g_ptr_array_index(t->nodes, id);
}
/* Whether an LKH node's per-RNC counts (sorted) list `rnc`. */
bool kt_priv_rncs_has(const GArray *rncs, uint32_t rnc);
/* The key of an LKH node (the group key for a root). */
KtKey *kt_priv_node_key(KtTree *t, KtNode *n);
void kt_priv_lkh_init(KtTree *t);
void kt_priv_lkh_free(KtTree *t);
void kt_priv_lkh_check(const KtTree *t);

/* Plan building, shared by the planners. */
void kt_priv_plan_push_key(KtPlan *plan, const KtKey *k);
/* Replaces *key by a fresh value of the next version; old and new values go
 * into the plan. Returns the old ref. */
KtKeyRef kt_priv_rekey(KtTree *t, KtKey *key, KtPlan *plan);
void kt_priv_deliver(KtPlan *plan, KtStage stage, KtTarget target, uint32_t target_id, uint32_t rnc,
                     uint32_t exclude_ue, KtKeyRef under, const KtKeyRef *keys, guint n_keys);
/* The RNCs of a group scope: [*lo, *hi) (all of them in embodiment 1). */
void kt_priv_scope_rncs(const KtTree *t, uint32_t scope, uint32_t *lo, uint32_t *hi);
/* Planners, per scheme. kt_tree_join / kt_tree_leave have validated the
 * event and set the plan's kind, ue, cell, rnc, scope and group_before;
 * after the planner they set group_after and group_changed. */
void kt_patent_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan);
void kt_patent_leave(KtTree *t, uint32_t ue, KtPlan *plan);
void kt_star_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan);
void kt_star_leave(KtTree *t, uint32_t ue, KtPlan *plan);
void kt_lkh_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan);
void kt_lkh_leave(KtTree *t, uint32_t ue, KtPlan *plan);
/* Batch planners: plan->batch holds the net ops (validated), leaves
 * first, then joins. */
void kt_patent_batch(KtTree *t, uint32_t scope, KtPlan *plan);
void kt_lkh_batch(KtTree *t, uint32_t scope, KtPlan *plan);

/* Calls kt_tree_check if MBMS_KT_CHECK was set when the tree was made. */
void kt_priv_maybe_check(const KtTree *t);
