/* kt_core.h — what every scheme's tree shares: the members, their cells,
 * the counts per RNC and scope, the group keys and the private keys. Not
 * for use outside keytree/ (tests may include it to corrupt a tree on
 * purpose).
 *
 * A scheme (kt_scheme.h) keeps its interior keys (sub-groups, LKH nodes) in
 * its own state, reached through `scheme`; the core knows nothing of them
 * but one slot per member: the id of the interior key a member sits under
 * (its sub-group, its LKH parent node) and its position there, which the
 * scheme owns.
 *
 * Layout (arrays indexed by id, no per-UE hash table or string):
 *   ues       KtUeRec per UE id ever seen (grown on demand);
 *   cell_ues  per cell, its members (swap-removal; KtUeRec.cell_pos).
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_tree.h"

struct KtSchemeOps;

enum {
  KT_UE_SEEN = 1u << 0,   /* private key set */
  KT_UE_MEMBER = 1u << 1, /* joined and not left */
};

typedef struct {
  uint32_t cell;       /* current cell if member, else the last one */
  uint32_t subgroup;   /* the scheme's slot: interior id if member, else KT_NO_SUBGROUP */
  uint32_t cell_pos;   /* index in cell_ues[cell] */
  uint32_t sg_pos;     /* the scheme's slot: position under `subgroup` */
  uint32_t flags : 2;  /* KT_UE_* */
  uint32_t stale : 30; /* lazy handover rekey: the first interior key it moved away
                        * from, index + 1 (0: none; the others in KtTree.stale) */
  KtKey priv;          /* the network's copy of the UE's private key */
} KtUeRec;

struct KtTree {
  KtConfig cfg;
  const struct KtSchemeOps *ops; /* the scheme (kt_scheme.h) */
  void *scheme;                  /* its private state */
  KtKeyGen *gen;
  uint32_t n_cells, n_scopes;
  bool check_each; /* MBMS_KT_CHECK set: kt_tree_check after every change */

  GArray *ues;        /* KtUeRec */
  GArray **cell_ues;  /* [n_cells] of guint32 */
  guint *rnc_count;   /* [n_rnc] members per RNC */
  guint *scope_count; /* [n_scopes] */
  guint total;
  KtKey *group; /* [n_scopes] current group keys */
  /* Lazy handover rekey (kt_move.c): UE id -> the interior keys it moved
   * away from (one inline, or a GArray of guint32); NULL until the first. */
  GHashTable *stale;
};

static inline KtUeRec *kt_priv_ue(const KtTree *t, uint32_t ue) {
  if (ue >= t->ues->len)
    return NULL;
  return &g_array_index(t->ues, KtUeRec, ue);
}

/* The member's record, or NULL if `ue` is not a member. */
static inline const KtUeRec *kt_priv_member(const KtTree *t, uint32_t ue) {
  const KtUeRec *rec = kt_priv_ue(t, ue);
  return rec != NULL && (rec->flags & KT_UE_MEMBER) ? rec : NULL;
}

static inline uint32_t kt_priv_rnc_of_cell(const KtTree *t, uint32_t cell) {
  return cell / t->cfg.cells_per_rnc;
}

static inline uint32_t kt_priv_scope_of_rnc(const KtTree *t, uint32_t rnc) {
  return t->cfg.embodiment == 1 ? 0 : rnc;
}

static inline uint32_t kt_priv_rnc_of_ue(const KtTree *t, uint32_t ue) {
  return kt_priv_rnc_of_cell(t, kt_priv_ue(t, ue)->cell);
}

/* Fills the shared part of a new tree (config already copied in). */
void kt_core_init(KtTree *t);
void kt_core_fini(KtTree *t);
/* The shared invariants (members, cells, counts, group and private keys);
 * g_error()s with a reason on violation. */
void kt_core_check(const KtTree *t);

/* The UE's record, created (with its private key) the first time. */
KtUeRec *kt_priv_ue_ensure(KtTree *t, uint32_t ue);
/* Adds a (non-member) UE to `cell` / removes a member from its cell,
 * updating every count; the scheme's slot is the scheme's business
 * (detach resets it to KT_NO_SUBGROUP). */
void kt_priv_attach_cell(KtTree *t, uint32_t ue, uint32_t cell);
void kt_priv_detach_cell(KtTree *t, uint32_t ue);
/* Moves a member to `cell` of the same scope: its cell list and the per-RNC
 * counts change, its scheme slot does not (kt_move.c). */
void kt_priv_move_cell(KtTree *t, uint32_t ue, uint32_t cell);
/* Lazy handover rekey bookkeeping (kt_move.c): `ue` holds interior key
 * `index` it moved away from / holds it again as a member / its list,
 * taken out (caller frees; NULL if none) / freeing every list. */
void kt_priv_stale_add(KtTree *t, uint32_t ue, uint32_t index);
void kt_priv_stale_remove(KtTree *t, uint32_t ue, uint32_t index);
GArray *kt_priv_stale_take(KtTree *t, uint32_t ue);
void kt_priv_stale_free(KtTree *t);
/* The RNCs of a group scope: [*lo, *hi) (all of them in embodiment 1). */
void kt_priv_scope_rncs(const KtTree *t, uint32_t scope, uint32_t *lo, uint32_t *hi);

/* Members per RNC below an interior key (LKH and OFT nodes): a GArray of
 * KtRncCount in ascending rnc, no zero count. */
typedef struct {
  uint32_t rnc, count;
} KtRncCount;
/* Index of `rnc` (*found) or where it would go. */
guint kt_priv_rncs_find(const GArray *a, uint32_t rnc, bool *found);
bool kt_priv_rncs_has(const GArray *a, uint32_t rnc);
/* Adds `delta` to rnc's count (inserting or removing its entry). */
void kt_priv_rncs_add(GArray *a, uint32_t rnc, int delta);
/* rnc's count (0 if absent or `a` is NULL). */
uint32_t kt_priv_rncs_count(const GArray *a, uint32_t rnc);

/* Cells of one RNC marked one by one, then emitted in ascending order:
 * how audiences list the cells where a key's holders are. */
typedef struct {
  uint32_t first, n;
  guint8 *mark;
  guint8 small[256];
} KtCellMarks;
void kt_priv_marks_init(KtCellMarks *m, const KtTree *t, uint32_t rnc);
static inline void kt_priv_marks_set(KtCellMarks *m, uint32_t cell) {
  m->mark[cell - m->first] = 1;
}
/* Appends the marked cells (guint32) to `out` and releases the marks. */
void kt_priv_marks_emit(KtCellMarks *m, GArray *out);
