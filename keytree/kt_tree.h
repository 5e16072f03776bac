/* kt_tree.h — the key tree: group key at the root, interior keys, UE keys.
 *
 * Every scheme is a tree shape plus a rekey policy (docs/schemes.md):
 *   KT_SCHEME_PATENT     2 levels: sub-groups under the group key (below);
 *   KT_SCHEME_UNICAST    a star; a new group key goes to each member
 *                        point-to-point under its private key;
 *   KT_SCHEME_BROADCAST  a star; a new group key goes point-to-multipoint
 *                        under the old group key;
 *   KT_SCHEME_LKH        a logical key hierarchy of degree lkh_degree (Wong,
 *                        Gouda, Lam 1998), one tree per group scope; its
 *                        interior (non-root) keys have kind KT_KEY_SUBGROUP
 *                        with the node id as index, its root key is the
 *                        scope's group key. Placement rule in kt_lkh.c.
 *   KT_SCHEME_OFT        one-way function trees (Sherman, McGrew 2003): a
 *                        binary tree per scope whose node keys members
 *                        compute from blinded keys (kt_oft.c);
 *   KT_SCHEME_SD         subset difference (Naor, Naor, Lotspiech 2001): a
 *                        fixed tree of sd_capacity leaves per scope; a new
 *                        group key goes to the cover of the members, under
 *                        keys members derive from their labels (kt_sd.c);
 *   KT_SCHEME_3GPP       TS 33.246: MSK p2p under each MUK, MTK (the group
 *                        key) p2m under the MSK, on events and periodically
 *                        (kt_3gpp.c).
 * All plans follow one delivery rule (kt_plan.h). Each scheme is one const
 * table of handlers with its own private state (kt_scheme.h); this API
 * dispatches through it, and code outside keytree/ asks for properties
 * (kt_tree_forward_secure, kt_tree_node_keys), never for a scheme.
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
/* What a move that takes a UE out of its sub-group does to that sub-group's
 * key, which the UE still holds (docs/flows.md, "Handover"): EAGER rekeys
 * it at once (a leave of the sub-group only); LAZY remembers the UE as a
 * stale holder and rekeys it when the UE leaves the group. */
typedef enum { KT_MOVE_EAGER = 0, KT_MOVE_LAZY } KtMoveRekey;
typedef enum {
  KT_SCHEME_PATENT = 0,
  KT_SCHEME_UNICAST,
  KT_SCHEME_BROADCAST,
  KT_SCHEME_LKH,
  KT_SCHEME_OFT,
  KT_SCHEME_SD,
  KT_SCHEME_3GPP,
} KtScheme;
/* "patent", "unicast", "broadcast", "lkh", "oft", "sd", "3gpp" */
const char *kt_scheme_name(KtScheme scheme);

typedef struct {
  uint32_t n_rnc;         /* RNCs in the network, numbered 0.. */
  uint32_t cells_per_rnc; /* cell c belongs to RNC c / cells_per_rnc */
  uint32_t subgroup_size; /* >= 1 */
  KtSubgroupPolicy policy;
  int embodiment;      /* 1 or 2 */
  uint64_t seed;       /* seeds the key generator */
  KtScheme scheme;     /* default (0) patent */
  uint32_t lkh_degree; /* LKH only: >= 2 (0 means 4) */
  /* SD only: leaves per scope's tree, a power of two >= 2 (0 means 2^20);
   * n_scopes * 2 * sd_capacity <= 2^30 (key ids, kt_sd.c) */
  uint32_t sd_capacity;
  /* 3GPP only: a new MSK on each leave; MSK and MTK periods in s (0: none) */
  bool msk_on_leave;
  double msk_period, mtk_period;
} KtConfig;

/* Deepest LKH path (interior keys, root included) a tree may grow. */
#define KT_LKH_MAX_DEPTH (KT_PLAN_MAX_KEYS - 1)

typedef struct KtTree KtTree;

/* Scheme sd: whether the configuration's sd_capacity is a power of two >= 2
 * and its subset key ids fit (n_scopes x 2 x sd_capacity <= 2^30). */
bool kt_sd_capacity_fits(const KtConfig *config);

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
/* Batch rekeying (Li, Yang, Gouda, Lam 2001) of group scope `scope` (patent
 * or LKH tree): applies the `n` joins and leaves gathered, in order (a UE
 * that joins and leaves within the batch cancels out), then changes every
 * key on a changed path once, bottom-up, each wrapped under each child's
 * current key except batch joiners', which get their whole path
 * point-to-point. In the LKH tree a joiner first takes a leaver's place
 * (pairs in order), then leftover leavers are removed and leftover joiners
 * placed by the placement rule; in the patent tree leaves are applied, then
 * joins by the sub-group placement rule. Every op must be of `scope` and
 * valid in sequence, else false and nothing changes. plan->kind is
 * KT_EVENT_BATCH; every delivery is KT_STAGE_GROUP in embodiment 1. */
bool kt_tree_batch(KtTree *tree, uint32_t scope, const KtBatchOp *ops, guint n, KtPlan *plan);

/* Periodic rekeys (3gpp): kt_tree_period is the period in s of periodic
 * rekey `which` (0 if the scheme has none); the key holder (BM-SC in
 * embodiment 1, each RNC in 2) calls kt_tree_periodic for its scope every
 * period. The plan is like a batch's with no op (kind KT_EVENT_BATCH, empty
 * plan->batch); false and no plan if the scope has no member. */
enum { KT_PERIODIC_MSK = 0, KT_PERIODIC_MTK = 1, KT_PERIODIC_KINDS = 2 };
double kt_tree_period(const KtTree *tree, uint32_t which);
bool kt_tree_periodic(KtTree *tree, uint32_t scope, uint32_t which, KtPlan *plan);
/* Mobility (docs/flows.md, "Handover"). A move of a member to another cell
 * of the same group scope (embodiment 1: any cell; embodiment 2: a cell of
 * the same RNC) is one plan of kind KT_EVENT_MOVE; the group key never
 * changes. A move to another scope (embodiment 2, another RNC) is not a
 * move of the tree: it is kt_tree_leave of the old scope followed by
 * kt_tree_join of the new one (kt_tree_move_keeps_scope says which).
 * Each scheme decides through its table what the cell change does to its
 * interior keys (patent: a new sub-group when the placement unit changes;
 * others: nothing but the cell). With KT_MOVE_LAZY the interior keys a UE
 * moved away from are rekeyed by its next kt_tree_leave, before the
 * leave's own plan (same plan). false if `ue` is not a member, `cell` is
 * out of range, its current cell or in another scope. */
bool kt_tree_move_keeps_scope(const KtTree *tree, uint32_t ue, uint32_t cell);
bool kt_tree_move(KtTree *tree, uint32_t ue, uint32_t cell, KtMoveRekey rekey, KtPlan *plan);
/* The interior key ids (KT_KEY_SUBGROUP indices) a member moved away from
 * and still holds, not yet rekeyed (lazy); into out[0..cap), how many in
 * all (tests). */
guint kt_tree_stale_keys(const KtTree *tree, uint32_t ue, uint32_t *out, guint cap);

/* What the tree's scheme implies for the network, so that code outside
 * keytree/ asks for a property, never for a scheme:
 *   forward_secure: a point-to-multipoint wrap under a key version that a
 *     departed member held is withheld (every scheme but broadcast, which
 *     sends exactly that, by design);
 *   node_keys: the interior keys are the nodes of one tree per group scope,
 *     owned with the group key (LKH): a member holds a path of them, a list
 *     that splits change, and in embodiment 1 new ones travel from the
 *     BM-SC in the core requests. Otherwise a member holds at most one
 *     sub-group key, owned by its RNC. */
bool kt_tree_forward_secure(const KtTree *tree);
bool kt_tree_node_keys(const KtTree *tree);
/* stateless: what a member holds never changes (sd): a wrap it cannot open
 * with its keys, or derive the key of, is not for it (it never waits for a
 * key, unlike node-key members whose new path keys may still be on their
 * way). */
bool kt_tree_stateless(const KtTree *tree);

/* Members that compute keys (docs/schemes.md, oft and sd). The structure
 * (who is whose sibling, which subset a key belongs to) is public and taken
 * from the tree; the key bytes come only from what the member holds, and
 * each one-way function or PRG evaluation is counted in *evals.
 *   kt_tree_member_compute (oft): from `held` (the member's keys: its leaf
 *     key, the blinded keys of its path's siblings, its path's node keys,
 *     the group key, and the versions of them it still keeps), every
 *     version of a path key newer than the one it has that the key server
 *     recorded (its last versions per node, with the blinded keys each was
 *     mixed from) and whose inputs it holds, not only the current one:
 *     bottom-up, oldest first per key (the group key last), into
 *     out[0..cap); returns how many. The inputs are named by id and
 *     version, so nothing wrong is computed while one is on its way.
 *     0 for other schemes.
 *   kt_tree_member_open (sd): the key `want` (a wrap's `under`) if member
 *     `ue` can derive it from its long-term secrets (its labels); false
 *     otherwise (it is not in that subset) and for other schemes.
 *   kt_tree_member_implicit_keys (sd): long-term keys the member holds that
 *     the simulation derives on demand instead of storing (its labels). */
bool kt_tree_member_computes(const KtTree *tree);
guint kt_tree_member_compute(const KtTree *tree, uint32_t ue, const KtKey *const *held,
                             guint n_held, KtKey *out, guint cap, guint *evals);
bool kt_tree_member_open(const KtTree *tree, uint32_t ue, KtKeyRef want, KtKey *out, guint *evals);
guint kt_tree_member_implicit_keys(const KtTree *tree, uint32_t ue);

/* Queries. */
bool kt_tree_is_member(const KtTree *tree, uint32_t ue);
/* A hint, no effect: `ue`'s record (its private key) into the cache. */
void kt_tree_prefetch_ue(const KtTree *tree, uint32_t ue);
uint32_t kt_tree_ue_cell(const KtTree *tree, uint32_t ue); /* member only */
/* The member's sub-group (patent), its parent node (LKH), or KT_NO_SUBGROUP
 * (star schemes, non-members). */
uint32_t kt_tree_ue_subgroup(const KtTree *tree, uint32_t ue);
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

/* The keys a member holds besides its private key, as of now: patent:
 * sub-group and group key; star: group key; LKH: its path's interior keys
 * bottom-up, then the group key. Returns how many were written (<= cap);
 * 0 for a non-member. The pointers are the tree's, valid until the next
 * change. */
guint kt_tree_ue_keys(const KtTree *tree, uint32_t ue, const KtKey **out, guint cap);
/* LKH inspection (tests): depth of the tree of a scope (interior levels on
 * the longest path, root included; 0 if the scope is empty), and the number
 * of live interior nodes (roots included). */
guint kt_tree_lkh_depth(const KtTree *tree, uint32_t scope);
guint kt_tree_lkh_nodes(const KtTree *tree);

/* The cells (guint32, ascending, no duplicates) where the audience of a
 * point-to-multipoint delivery has members, as of now. Appends to `out`. */
void kt_tree_audience_cells(const KtTree *tree, const KtDelivery *d, GArray *out);
/* Whether `ue` is in the audience of `d` (a holder of d->under per the tree). */
bool kt_tree_in_audience(const KtTree *tree, const KtDelivery *d, uint32_t ue);

/* Checks every invariant (counts, positions, placement rule, no empty live
 * sub-group); g_error()s with a reason on violation. Called after every
 * change when the environment variable MBMS_KT_CHECK is set (tests call it directly). */
void kt_tree_check(const KtTree *tree);
