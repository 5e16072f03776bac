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
/* Calls kt_tree_check if MBMS_KT_CHECK was set when the tree was made. */
void kt_priv_maybe_check(const KtTree *t);
