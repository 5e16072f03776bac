/* kt_tree.h — the key tree of the method: group key, sub-group keys, UE keys.
 *
 * Owns the membership of every group scope and the current value of every
 * group and sub-group key, and each member's private key (the network's copy,
 * as provisioned). Embodiment 1 has one scope (all members, one group key);
 * embodiment 2 has one scope per RNC. Sub-groups never span RNCs.
 *
 * Sub-group placement: a joining UE enters the first sub-group, in creation
 * order, of its cell (KT_POLICY_PER_CELL) or of its RNC (KT_POLICY_PER_RNC)
 * that has fewer than `subgroup_size` members; if none, a new sub-group is
 * created with a fresh key. An empty sub-group is deleted. Sub-group ids are
 * never reused, so a key id never names two different sub-groups.
 *
 * Memory: per UE one compact record in an array indexed by UE id (grown on
 * demand); per sub-group one record; member lists are arrays with
 * swap-removal, and each UE records its positions in them.
 *
 * Errors: joining a member or leaving a non-member is a programming error
 * (the scenario loader rejects such input first) and returns false.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_key.h"
#include "keytree/kt_plan.h"

typedef enum { KT_POLICY_PER_CELL, KT_POLICY_PER_RNC } KtSubgroupPolicy;

typedef struct {
  uint32_t n_rnc;          /* RNCs in the network, numbered 0.. */
  uint32_t cells_per_rnc;  /* cell c belongs to RNC c / cells_per_rnc */
  uint32_t subgroup_size;  /* >= 1 */
  KtSubgroupPolicy policy;
  int embodiment;          /* 1 or 2 */
  uint64_t seed;           /* seeds the key generator */
} KtConfig;

typedef struct KtTree KtTree;

KtTree *kt_tree_new(const KtConfig *config);
void kt_tree_free(KtTree *tree);
const KtConfig *kt_tree_config(const KtTree *tree);

/* The tree's key generator (nodes draw wrap nonces from it too, so that one
 * seeded stream gives every byte of the run). */
struct KtKeyGen *kt_tree_keygen(KtTree *tree);

/* Membership changes. `plan` is cleared and filled. join_rekey selects the
 * method's optional join rekey. Provisioning (initial members) is a join with
 * join_rekey = false whose plan the caller ignores. */
bool kt_tree_join(KtTree *tree, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan);
bool kt_tree_leave(KtTree *tree, uint32_t ue, KtPlan *plan);

/* Queries. */
bool kt_tree_is_member(const KtTree *tree, uint32_t ue);
uint32_t kt_tree_ue_cell(const KtTree *tree, uint32_t ue);     /* member only */
uint32_t kt_tree_ue_subgroup(const KtTree *tree, uint32_t ue); /* member only */
uint32_t kt_tree_scope_of_rnc(const KtTree *tree, uint32_t rnc);
uint32_t kt_tree_n_scopes(const KtTree *tree);
guint kt_tree_scope_members(const KtTree *tree, uint32_t scope);
guint kt_tree_members(const KtTree *tree); /* all scopes */
guint kt_tree_rnc_members(const KtTree *tree, uint32_t rnc);
/* Members in a cell; the array is the tree's, valid until the next change. */
const uint32_t *kt_tree_cell_ues(const KtTree *tree, uint32_t cell, guint *n);
/* Members of a live sub-group, likewise; NULL with *n = 0 if deleted. */
const uint32_t *kt_tree_subgroup_ues(const KtTree *tree, uint32_t subgroup, guint *n);
bool kt_tree_subgroup_alive(const KtTree *tree, uint32_t subgroup);
uint32_t kt_tree_subgroup_rnc(const KtTree *tree, uint32_t subgroup);
/* Appends to `out` (guint32) the live, non-empty sub-groups of an RNC in
 * creation order. */
void kt_tree_rnc_subgroups(const KtTree *tree, uint32_t rnc, GArray *out);
guint kt_tree_n_subgroups(const KtTree *tree); /* live ones */

/* Current key values (group: by scope; sub-group: live only; private: any
 * UE ever seen). NULL if there is no such key. */
const KtKey *kt_tree_group_key(const KtTree *tree, uint32_t scope);
const KtKey *kt_tree_key(const KtTree *tree, KtKeyId id);

/* The cells (guint32, ascending, no duplicates) where the audience of a
 * point-to-multipoint delivery has members, as of now. Appends to `out`. */
void kt_tree_audience_cells(const KtTree *tree, const KtDelivery *d, GArray *out);
/* Whether `ue` is in the audience of `d` (a holder of d->under per the tree). */
bool kt_tree_in_audience(const KtTree *tree, const KtDelivery *d, uint32_t ue);

/* Checks every invariant (counts, positions, placement rule, no empty live
 * sub-group); g_error()s with a reason on violation. Called after every
 * change when the environment variable MBMS_KT_CHECK is set (tests call it directly). */
void kt_tree_check(const KtTree *tree);
