/* kt_scheme.h — a scheme is a table (private to keytree/).
 *
 * Each key-management scheme is one const KtSchemeOps, defined in the
 * scheme's own file (kt_patent.c, kt_star.c, kt_lkh.c, kt_oft.c, kt_sd.c), with its interior
 * keys in a private state it allocates in `init` and reaches through
 * KtTree.scheme (ROSS's tw_lptype is the model: a kind is a table of
 * handlers plus its state). kt_tree.c dispatches every public kt_tree_*
 * call through the table; nothing outside keytree/ learns which scheme
 * runs, only what the plan says and the properties below. Adding a scheme:
 * docs/architecture.md.
 *
 * The handlers work on the shared core (kt_core.h) and build plans with
 * kt_plan_build.h. kt_tree_join / kt_tree_leave / kt_tree_batch have
 * validated the event and set the plan's kind, ue, cell, rnc, scope and
 * group_before before calling join / leave / batch; afterwards they set
 * group_after and group_changed and retire the keys of an emptied scope
 * (docs/schemes.md, "Emptied scopes"), so handlers need not.
 *
 * Interior keys (sub-groups, LKH nodes) have key kind KT_KEY_SUBGROUP and
 * index = their id; a member's KtUeRec.subgroup / sg_pos are the scheme's
 * slot (the interior key it sits under, its position there).
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_core.h"
#include "keytree/kt_plan.h"

typedef struct KtSchemeOps {
  const char *name; /* as in run.scheme (and kt_scheme_name) */
  /* properties (kt_tree.h: kt_tree_forward_secure, kt_tree_node_keys) */
  bool forward_secure;
  bool node_keys;
  bool stateless;

  void (*init)(KtTree *t); /* allocates t->scheme (may leave it NULL) */
  void (*fini)(KtTree *t);

  void (*join)(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan);
  void (*leave)(KtTree *t, uint32_t ue, KtPlan *plan);
  /* Batch rekeying of one scope; plan->batch holds the net ops (validated),
   * leaves first, then joins. NULL: the scheme does not batch. */
  void (*batch)(KtTree *t, uint32_t scope, KtPlan *plan);
  /* A member moves to `cell` of its scope (kt_tree_move has validated it
   * and filled the plan's event fields). The handler moves it (the core's
   * kt_priv_move_cell for the cell) and plans what its interior keys need;
   * with KT_MOVE_LAZY it records the interior keys the UE moved away from
   * with kt_priv_stale_add. NULL: only the cell changes (kt_priv_move_cell),
   * for schemes whose keys do not depend on the cell. */
  void (*move)(KtTree *t, uint32_t ue, uint32_t cell, KtMoveRekey rekey, KtPlan *plan);
  /* Lazy handover rekey: interior key `index` (alive), held by the UE now
   * leaving (plan->ue) which moved away from it, changes as a leave of its
   * holders only would change it. NULL if the scheme records no stale keys. */
  void (*rekey_stale)(KtTree *t, uint32_t index, KtPlan *plan);

  /* A member's interior keys, bottom-up, into out[0..cap); returns how many. */
  guint (*member_keys)(const KtTree *t, const KtUeRec *rec, const KtKey **out, guint cap);
  /* The current value of interior key `index`, or NULL. */
  const KtKey *(*interior_key)(const KtTree *t, uint32_t index);
  /* A KT_TO_SUBGROUP or KT_TO_NODE delivery: the cells of its audience
   * (ascending, appended), and whether member `rec` is in it. */
  void (*audience_cells)(const KtTree *t, const KtDelivery *d, GArray *out);
  bool (*in_audience)(const KtTree *t, const KtDelivery *d, const KtUeRec *rec);

  /* Invariants of the scheme's state and of each member's slot (called
   * after kt_core_check); g_error()s with a reason. */
  void (*check)(const KtTree *t);

  /* Members that compute keys (kt_tree.h: kt_tree_member_compute,
   * kt_tree_member_open, kt_tree_member_implicit_keys); NULL for schemes
   * whose members only unwrap what they are sent. */
  guint (*member_compute)(const KtTree *t, uint32_t ue, const KtKey *const *held, guint n_held,
                          KtKey *out, guint cap, guint *evals);
  bool (*member_open)(const KtTree *t, uint32_t ue, KtKeyRef want, KtKey *out, guint *evals);
  guint (*member_implicit_keys)(const KtTree *t, uint32_t ue);

  /* Periodic rekeys at the key holder (kt_tree.h: kt_tree_period,
   * kt_tree_periodic); NULL for schemes that rekey only on events. */
  double (*period)(const KtTree *t, uint32_t which);
  void (*periodic)(KtTree *t, uint32_t scope, uint32_t which, KtPlan *plan);
} KtSchemeOps;

extern const KtSchemeOps kt_patent_ops, kt_unicast_ops, kt_broadcast_ops, kt_lkh_ops, kt_oft_ops,
    kt_sd_ops, kt_3gpp_ops;

/* Calls kt_tree_check if MBMS_KT_CHECK was set when the tree was made. */
void kt_priv_maybe_check(const KtTree *t);
