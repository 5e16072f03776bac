/* kt_subgroup.h — the patent scheme's sub-groups (private to kt_patent.c;
 * tests may include it to corrupt a tree on purpose).
 *
 * Placement: a joining UE enters the first sub-group, in creation order, of
 * its placement unit (its cell with KT_POLICY_PER_CELL, its RNC with
 * KT_POLICY_PER_RNC) that has fewer than `subgroup_size` members; if none,
 * a new sub-group is created with a fresh key. An empty sub-group is
 * deleted. Ids are never reused, so a key id never names two sub-groups.
 *
 * Layout (arrays indexed by id):
 *   sgs      per sub-group id ever created, a KtSubgroup* or NULL once
 *            deleted; sg_rnc keeps the RNC of every id ever created;
 *   rnc_sgs  per RNC, its live sub-group ids in creation order (= ascending
 *            id, since ids are allocated in increasing order);
 *   open     per placement unit, a binary min-heap of the ids of its live
 *            sub-groups that are not full: its top is the first sub-group in
 *            creation order with room (KtSubgroup.heap_pos).
 * A member's KtUeRec.subgroup is its sub-group, sg_pos its position in it.
 */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "keytree/kt_core.h"

#define KT_NOT_IN_HEAP UINT32_MAX

typedef struct {
  KtKey key;
  uint32_t id;
  uint32_t rnc;
  uint32_t unit;     /* placement unit: cell (per-cell) or RNC (per-RNC) */
  uint32_t heap_pos; /* index in open[unit], or KT_NOT_IN_HEAP when full */
  uint32_t n, cap;   /* members, allocated slots (cap <= subgroup_size) */
  uint32_t *members; /* UE ids, swap-removal; KtUeRec.sg_pos */
} KtSubgroup;

typedef struct {
  uint32_t n_units;
  GPtrArray *sgs;   /* KtSubgroup* or NULL, by sub-group id */
  GArray *sg_rnc;   /* guint32 by sub-group id */
  GArray **rnc_sgs; /* [n_rnc] of guint32, ascending */
  GArray **open;    /* [n_units] of guint32, min-heap */
  guint n_live;
} KtSubgroups;

KtSubgroups *kt_subgroups_new(const KtTree *t);
void kt_subgroups_free(KtSubgroups *s, const KtTree *t);

static inline KtSubgroup *kt_subgroups_get(const KtSubgroups *s, uint32_t id) {
  return id < s->sgs->len ? g_ptr_array_index(s->sgs, id) : NULL;
}
/* The sub-group a UE joining `cell` enters: the first with room in creation
 * order, or NULL if a new one is needed. */
KtSubgroup *kt_subgroups_find_open(const KtSubgroups *s, const KtTree *t, uint32_t cell);
/* A new, empty sub-group of `cell`'s unit with a fresh key (version 1). */
KtSubgroup *kt_subgroups_create(KtSubgroups *s, KtTree *t, uint32_t cell);
/* Deletes an empty sub-group (frees it, removes it from every list). */
void kt_subgroups_delete(KtSubgroups *s, KtSubgroup *sg);
/* Adds a (non-member) UE to `cell` and `sg`; updates all counts and lists. */
void kt_subgroups_attach(KtSubgroups *s, KtTree *t, uint32_t ue, uint32_t cell, KtSubgroup *sg);
/* Removes a member from its cell and sub-group (which may become empty but is
 * not deleted here); returns the sub-group. */
KtSubgroup *kt_subgroups_detach(KtSubgroups *s, KtTree *t, uint32_t ue);
/* The sub-groups' invariants and each member's place; g_error()s. */
void kt_subgroups_check(const KtSubgroups *s, const KtTree *t);
