/* kt_sd.c — subset difference (Naor, Naor and Lotspiech, "Revocation and
 * tracing schemes for stateless receivers", CRYPTO 2001, §3.2), one
 * complete binary tree of sd_capacity leaves per group scope;
 * docs/schemes.md, "sd".
 *
 * Leaves. A UE gets a leaf of a scope's tree the first time it joins there
 * (leaves in order of first join, 0, 1, ...) and keeps it for ever: its
 * labels are its long-term secret, so a leaf is never given to another UE.
 * Nodes are numbered as a heap: root 1, children 2v and 2v + 1, leaf number
 * f is node sd_capacity + f. A leaf not given out, or whose UE is not a
 * member now, is revoked.
 *
 * Labels and keys. The center draws a seed per scope (the tree's key
 * generator); node i's label seed S_i = kdf(seed, i, "mbmssdsd"). The PRG
 * G(S) = (G_L, G_M, G_R), each crypto_kdf_derive_from_key(32, 0 / 1 / 2,
 * "mbmssdpg", S). LABEL(i, i) = S_i, LABEL(i, 2v) = G_L(LABEL(i, v)),
 * LABEL(i, 2v+1) = G_R(LABEL(i, v)); the key of subset S(i, j) (the members
 * below i but not below j) is L(i, j) = G_M(LABEL(i, j)); the key of the
 * whole tree (nothing revoked) is kdf(seed, 0, "mbmssdal"). A member holds
 * LABEL(i, k) for every ancestor i of its leaf and every node k hanging off
 * its path below i, and the whole-tree key: H(H+1)/2 + 1 keys for
 * H = log2(sd_capacity) (NNL's ½ log² n + ½ log n + 1). The simulation does
 * not store them per UE (memory): kt_tree_member_open derives the label a
 * member holds from S_i, uncounted, then counts what the member computes
 * from it: depth(j) − depth(k) PRG steps down to j and G_M, each one
 * evaluation.
 *
 * Rekey. Leave (and join with join rekey, the joiner counted as revoked):
 * a new group key, wrapped under L(i, j) of every subset of the cover of
 * the members, all in one point-to-multipoint key assignment per RNC where
 * members are (NNL's one broadcast; the wraps of the subsets with members
 * there, at most 32 a message, more split into further messages); the
 * joiner gets the group key point-to-point. The
 * cover is NNL's: on the Steiner tree of the revoked leaves, each node with
 * two Steiner children l, k whose chains end at revoked "leaves" a, b adds
 * S(l, a) if l != a and S(k, b) if k != b, and at the root S(1, a) if the
 * root's chain ends at a != 1; a subtree with no member is one revoked leaf
 * (it adds nothing inside). No revoked leaf: one subset, the whole tree.
 * At most 2r − 1 subsets for r revoked leaves.
 *
 * Key refs. L(i, j) is KT_KEY_SUBGROUP index scope * 2 * sd_capacity + i,
 * version j (a proper descendant of i, so >= 2); the whole-tree key has
 * version 1. Stateless: nothing a member holds ever changes, so a member
 * that missed rekeys opens the next one with its labels alone. */
#include <sodium.h>
#include <string.h>

#include "keytree/kt_plan_build.h"
#include "keytree/kt_scheme.h"

#define SD_NONE 0u /* "no pending chain end" (node numbers start at 1) */
#define SD_DEFAULT_CAPACITY (1u << 20)

typedef struct {
  GHashTable *leaf_of; /* UE id -> leaf + 1: every UE that ever joined here */
  GArray *ue_of;       /* guint32 by leaf: its UE */
  GArray *members;     /* guint32: member leaves, ascending */
} SdScope;

typedef struct {
  uint32_t cap, height; /* leaves per tree, log2 */
  KtKey seed;           /* the center's secret, all scopes */
  SdScope *scope;       /* [n_scopes] */
  guint8 *rnc_mark;     /* [n_rnc] scratch */
} SdState;

static SdState *sd(const KtTree *t) {
  return t->scheme;
}

static uint32_t capacity_of(const KtConfig *c) {
  return c->sd_capacity ? c->sd_capacity : SD_DEFAULT_CAPACITY;
}

bool kt_sd_capacity_fits(const KtConfig *c) {
  uint64_t cap = capacity_of(c);
  uint64_t scopes = c->embodiment == 1 ? 1 : c->n_rnc;
  return cap >= 2 && (cap & (cap - 1)) == 0 && scopes * 2u * cap <= (uint64_t)KT_KEY_INDEX_MAX + 1;
}

static void sd_init(KtTree *t) {
  SdState *st = g_new0(SdState, 1);
  st->cap = capacity_of(&t->cfg);
  while ((1u << st->height) < st->cap)
    st->height++;
  kt_keygen_fresh(t->gen, &st->seed, (KtKeyRef){KT_KEY_ID(KT_KEY_CORE, 0), 1});
  st->scope = g_new0(SdScope, t->n_scopes);
  for (uint32_t s = 0; s < t->n_scopes; s++) {
    st->scope[s].leaf_of = g_hash_table_new(g_direct_hash, g_direct_equal);
    st->scope[s].ue_of = g_array_new(FALSE, FALSE, sizeof(guint32));
    st->scope[s].members = g_array_new(FALSE, FALSE, sizeof(guint32));
  }
  st->rnc_mark = g_new0(guint8, t->cfg.n_rnc);
  t->scheme = st;
}

static void sd_fini(KtTree *t) {
  SdState *st = sd(t);
  if (st == NULL)
    return;
  for (uint32_t s = 0; s < t->n_scopes; s++) {
    g_hash_table_destroy(st->scope[s].leaf_of);
    g_array_free(st->scope[s].ue_of, TRUE);
    g_array_free(st->scope[s].members, TRUE);
  }
  g_free(st->scope);
  g_free(st->rnc_mark);
  kt_key_wipe(&st->seed);
  g_free(st);
  t->scheme = NULL;
}

/* ---- the tree ------------------------------------------------------------- */

static uint32_t depth_of(uint32_t v) {
  return (uint32_t)g_bit_storage(v) - 1u;
}

/* Leaves [*lo, *hi) below node v. */
static void leaf_range(const SdState *st, uint32_t v, uint32_t *lo, uint32_t *hi) {
  uint32_t shift = st->height - depth_of(v);
  *lo = (v << shift) - st->cap;
  *hi = *lo + (1u << shift);
}

/* First index of members >= leaf. */
static guint lower_bound(const GArray *members, uint32_t leaf) {
  guint lo = 0, hi = members->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index(members, guint32, mid) < leaf)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool below(const SdState *st, uint32_t leaf, uint32_t v) {
  uint32_t lo, hi;
  leaf_range(st, v, &lo, &hi);
  return leaf >= lo && leaf < hi;
}

/* A member's leaf in its scope (it has one: it joined there). */
static bool leaf_of(const SdState *st, uint32_t scope, uint32_t ue, uint32_t *leaf) {
  gpointer v = g_hash_table_lookup(st->scope[scope].leaf_of, GUINT_TO_POINTER(ue));
  if (v == NULL)
    return false;
  *leaf = GPOINTER_TO_UINT(v) - 1u;
  return true;
}

/* ---- the cover (NNL §3.2) ------------------------------------------------- */

typedef struct {
  uint32_t i, j; /* S(i, j); j = 1: the whole tree */
} SdSubset;

/* The end of v's chain in the Steiner tree of the revoked leaves below v
 * (SD_NONE: no revoked leaf below v), adding the subsets it closes. */
static uint32_t cover_visit(const SdState *st, const GArray *members, uint32_t v, GArray *out) {
  uint32_t lo, hi;
  leaf_range(st, v, &lo, &hi);
  guint m = lower_bound(members, hi) - lower_bound(members, lo);
  if (m == hi - lo)
    return SD_NONE; /* nobody revoked below */
  if (m == 0)
    return v; /* nobody privileged below: one revoked leaf for the cover */
  uint32_t a = cover_visit(st, members, 2 * v, out);
  uint32_t b = cover_visit(st, members, 2 * v + 1, out);
  if (a == SD_NONE)
    return b;
  if (b == SD_NONE)
    return a;
  if (a != 2 * v) {
    SdSubset s = {2 * v, a};
    g_array_append_val(out, s);
  }
  if (b != 2 * v + 1) {
    SdSubset s = {2 * v + 1, b};
    g_array_append_val(out, s);
  }
  return v;
}

/* The cover of `members` (ascending leaves, not empty) into out (SdSubset). */
static void cover(const SdState *st, const GArray *members, GArray *out) {
  uint32_t end = cover_visit(st, members, 1, out);
  if (end == SD_NONE) {
    SdSubset s = {1, 1};
    g_array_append_val(out, s);
  } else if (end != 1) {
    SdSubset s = {1, end};
    g_array_append_val(out, s);
  }
}

/* ---- labels and keys -------------------------------------------------------- */

static void prg(const unsigned char s[KT_KEYBYTES], uint64_t which,
                unsigned char out[KT_KEYBYTES]) {
  if (crypto_kdf_derive_from_key(out, KT_KEYBYTES, which, "mbmssdpg", s) != 0)
    g_error("kt_sd: crypto_kdf_derive_from_key failed");
}

enum { SD_G_L = 0, SD_G_M = 1, SD_G_R = 2 };

/* LABEL(i, k) for a descendant-or-self k of i: S_i down to k. Returns the
 * PRG evaluations made. */
static guint label(const SdState *st, uint32_t scope, uint32_t i, uint32_t k,
                   unsigned char out[KT_KEYBYTES]) {
  uint64_t id = (uint64_t)scope * 2u * st->cap + i;
  if (crypto_kdf_derive_from_key(out, KT_KEYBYTES, id, "mbmssdsd", st->seed.bytes) != 0)
    g_error("kt_sd: crypto_kdf_derive_from_key failed");
  guint evals = 0;
  for (uint32_t d = depth_of(k) - depth_of(i); d-- > 0;) {
    unsigned char next[KT_KEYBYTES];
    prg(out, (k >> d) & 1u ? SD_G_R : SD_G_L, next);
    memcpy(out, next, KT_KEYBYTES);
    sodium_memzero(next, sizeof next);
    evals++;
  }
  return evals;
}

static KtKeyRef subset_ref(const SdState *st, uint32_t scope, SdSubset s) {
  return (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, scope * 2u * st->cap + s.i), s.j};
}

static bool decode_ref(const KtTree *t, KtKeyRef ref, uint32_t *scope, SdSubset *s) {
  const SdState *st = sd(t);
  if (KT_KEY_ID_KIND(ref.id) != KT_KEY_SUBGROUP)
    return false;
  uint32_t index = KT_KEY_ID_INDEX(ref.id);
  *scope = index / (2u * st->cap);
  s->i = index % (2u * st->cap);
  s->j = ref.version;
  if (*scope >= t->n_scopes || s->i == 0 || s->j == 0 || s->j >= 2u * st->cap)
    return false;
  return s->j == 1 ? s->i == 1
                   : (s->j > s->i && (s->j >> (depth_of(s->j) - depth_of(s->i))) == s->i);
}

/* The subset's key as the center computes it. */
static void subset_key(const SdState *st, uint32_t scope, SdSubset s, KtKey *out) {
  out->ref = subset_ref(st, scope, s);
  if (s.j == 1) {
    if (crypto_kdf_derive_from_key(out->bytes, KT_KEYBYTES, scope, "mbmssdal", st->seed.bytes) != 0)
      g_error("kt_sd: crypto_kdf_derive_from_key failed");
    return;
  }
  unsigned char lab[KT_KEYBYTES];
  label(st, scope, s.i, s.j, lab);
  prg(lab, SD_G_M, out->bytes);
  sodium_memzero(lab, sizeof lab);
}

/* ---- planning --------------------------------------------------------------- */

/* One wrap of the rekey: subset `k` of the cover, at RNC `rnc`. */
typedef struct {
  uint32_t rnc, k;
} SdPart;

static gint part_cmp(gconstpointer a, gconstpointer b) {
  const SdPart *x = a, *y = b;
  if (x->rnc != y->rnc)
    return x->rnc < y->rnc ? -1 : 1;
  return x->k < y->k ? -1 : x->k > y->k;
}

/* The new group key (plan->group_after's value) to the cover of the
 * scope's members: NNL's one broadcast, here one point-to-multipoint key
 * assignment per RNC where members are, carrying the group key wrapped
 * under the key of each subset with members at that RNC (in cover order),
 * at most KT_PLAN_MAX_KEYS wraps a message: a longer list is split into
 * ceil(wraps / KT_PLAN_MAX_KEYS) messages, in order (kt_plan.h, `joined`). */
static void to_cover(KtTree *t, uint32_t scope, KtPlan *plan) {
  SdState *st = sd(t);
  const SdScope *sc = &st->scope[scope];
  KtKeyRef group = t->group[scope].ref;
  GArray *subsets = g_array_new(FALSE, FALSE, sizeof(SdSubset));
  GArray *parts = g_array_new(FALSE, FALSE, sizeof(SdPart));
  cover(st, sc->members, subsets);
  for (guint k = 0; k < subsets->len; k++) {
    SdSubset s = g_array_index(subsets, SdSubset, k);
    KtKey key;
    subset_key(st, scope, s, &key);
    kt_priv_plan_push_key(plan, &key);
    kt_key_wipe(&key);
    /* the subset's members: below i, minus those below j */
    uint32_t ilo, ihi, jlo = 0, jhi = 0;
    leaf_range(st, s.i, &ilo, &ihi);
    if (s.j != 1)
      leaf_range(st, s.j, &jlo, &jhi);
    guint a = lower_bound(sc->members, ilo), b = lower_bound(sc->members, ihi);
    for (guint m = a; m < b; m++) {
      uint32_t leaf = g_array_index(sc->members, guint32, m);
      if (leaf >= jlo && leaf < jhi)
        continue;
      uint32_t ue = g_array_index(sc->ue_of, guint32, leaf);
      st->rnc_mark[kt_priv_rnc_of_ue(t, ue)] = 1;
    }
    for (uint32_t r = 0; r < t->cfg.n_rnc; r++) {
      if (!st->rnc_mark[r])
        continue;
      st->rnc_mark[r] = 0;
      SdPart part = {r, k};
      g_array_append_val(parts, part);
    }
  }
  g_array_sort(parts, part_cmp);
  guint in_msg = 0;
  for (guint p = 0; p < parts->len; p++) {
    SdPart part = g_array_index(parts, SdPart, p);
    KtKeyRef under = subset_ref(st, scope, g_array_index(subsets, SdSubset, part.k));
    bool joined =
        p > 0 && g_array_index(parts, SdPart, p - 1).rnc == part.rnc && in_msg < KT_PLAN_MAX_KEYS;
    in_msg = joined ? in_msg + 1 : 1;
    kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_NODE, KT_KEY_ID_INDEX(under.id), part.rnc, KT_NO_UE,
                    under, &group, 1);
    if (joined)
      kt_priv_join_previous(plan);
  }
  g_array_free(parts, TRUE);
  g_array_free(subsets, TRUE);
}

static void members_insert(GArray *members, uint32_t leaf) {
  guint i = lower_bound(members, leaf);
  g_array_insert_val(members, i, leaf);
}

static void members_remove(GArray *members, uint32_t leaf) {
  guint i = lower_bound(members, leaf);
  g_assert(i < members->len && g_array_index(members, guint32, i) == leaf);
  g_array_remove_index(members, i);
}

static void sd_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  SdState *st = sd(t);
  SdScope *sc = &st->scope[plan->scope];
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  uint32_t leaf;
  if (!leaf_of(st, plan->scope, ue, &leaf)) {
    leaf = sc->ue_of->len;
    if (leaf >= st->cap)
      g_error("kt_sd: more than sd-capacity = %u UEs joined scope %u", st->cap, plan->scope);
    g_array_append_val(sc->ue_of, ue);
    g_hash_table_insert(sc->leaf_of, GUINT_TO_POINTER(ue), GUINT_TO_POINTER(leaf + 1u));
  }
  bool had_members = t->scope_count[plan->scope] > 0;
  if (join_rekey && had_members) {
    /* the cover of the members before the joiner: it is told apart */
    kt_priv_rekey(t, &t->group[plan->scope], plan);
    to_cover(t, plan->scope, plan);
  }
  kt_priv_attach_cell(t, ue, cell);
  members_insert(sc->members, leaf);
  kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ue, plan->rnc, KT_NO_UE, rec->priv.ref,
                  &t->group[plan->scope].ref, 1);
}

static void sd_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  SdState *st = sd(t);
  uint32_t leaf;
  g_assert(leaf_of(st, plan->scope, ue, &leaf));
  kt_priv_detach_cell(t, ue);
  members_remove(st->scope[plan->scope].members, leaf);
  if (t->scope_count[plan->scope] == 0)
    return; /* emptied: retired by kt_tree.c */
  kt_priv_rekey(t, &t->group[plan->scope], plan);
  to_cover(t, plan->scope, plan);
}

/* ---- members ---------------------------------------------------------------- */

static bool sd_member_open(const KtTree *t, uint32_t ue, KtKeyRef want, KtKey *out, guint *evals) {
  const SdState *st = sd(t);
  uint32_t scope, leaf;
  SdSubset s;
  if (!decode_ref(t, want, &scope, &s) || !leaf_of(st, scope, ue, &leaf))
    return false;
  uint32_t node = st->cap + leaf;
  if (!below(st, leaf, s.i) || (s.j != 1 && below(st, leaf, s.j)))
    return false; /* not in S(i, j): its labels give nothing */
  if (s.j == 1) {
    subset_key(st, scope, s, out); /* the whole-tree key: held as it is */
    return true;
  }
  /* k: where j's path leaves the member's, below i (the member holds
   * LABEL(i, k)) */
  uint32_t dj = depth_of(s.j), k = s.j;
  while (depth_of(k) > 0 && (node >> (st->height - depth_of(k) + 1)) != (k >> 1))
    k >>= 1;
  unsigned char lab[KT_KEYBYTES];
  label(st, scope, s.i, k, lab); /* what it holds */
  for (uint32_t d = dj - depth_of(k); d-- > 0;) {
    unsigned char next[KT_KEYBYTES];
    prg(lab, (s.j >> d) & 1u ? SD_G_R : SD_G_L, next);
    memcpy(lab, next, KT_KEYBYTES);
    sodium_memzero(next, sizeof next);
    (*evals)++;
  }
  prg(lab, SD_G_M, out->bytes);
  (*evals)++;
  sodium_memzero(lab, sizeof lab);
  out->ref = want;
  return true;
}

static guint sd_member_implicit_keys(const KtTree *t, uint32_t ue) {
  (void)ue;
  uint32_t h = sd(t)->height;
  return h * (h + 1u) / 2u + 1u;
}

/* ---- queries ------------------------------------------------------------------ */

static bool in_subset(const KtTree *t, uint32_t scope, SdSubset s, uint32_t ue) {
  uint32_t leaf;
  if (!leaf_of(sd(t), scope, ue, &leaf))
    return false;
  return below(sd(t), leaf, s.i) && (s.j == 1 || !below(sd(t), leaf, s.j));
}

static void sd_audience_cells(const KtTree *t, const KtDelivery *d, GArray *out) {
  uint32_t scope;
  SdSubset s;
  if (d->target != KT_TO_NODE || d->rnc >= t->cfg.n_rnc || !decode_ref(t, d->under, &scope, &s))
    return;
  KtCellMarks marks;
  kt_priv_marks_init(&marks, t, d->rnc);
  uint32_t first = d->rnc * t->cfg.cells_per_rnc;
  for (uint32_t c = first; c < first + t->cfg.cells_per_rnc; c++) {
    const GArray *cu = t->cell_ues[c];
    for (guint i = 0; i < cu->len; i++) {
      uint32_t u = g_array_index(cu, guint32, i);
      if (u != d->exclude_ue && in_subset(t, scope, s, u)) {
        kt_priv_marks_set(&marks, c);
        break;
      }
    }
  }
  kt_priv_marks_emit(&marks, out);
}

static bool sd_in_audience(const KtTree *t, const KtDelivery *d, const KtUeRec *rec) {
  uint32_t scope;
  SdSubset s;
  if (d->target != KT_TO_NODE || !decode_ref(t, d->under, &scope, &s) ||
      kt_priv_rnc_of_cell(t, rec->cell) != d->rnc)
    return false;
  uint32_t ue = (uint32_t)(rec - &g_array_index(t->ues, KtUeRec, 0));
  return in_subset(t, scope, s, ue);
}

/* ---- invariants --------------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check (sd): " __VA_ARGS__);                                                 \
  } while (0)

static void sd_check(const KtTree *t) {
  const SdState *st = sd(t);
  for (uint32_t s = 0; s < t->n_scopes; s++) {
    const SdScope *sc = &st->scope[s];
    CHECK(sc->members->len == t->scope_count[s], "scope %u: %u leaves, %u members", s,
          sc->members->len, t->scope_count[s]);
    CHECK(sc->ue_of->len <= st->cap, "scope %u: leaves beyond the capacity", s);
    for (guint i = 0; i < sc->members->len; i++) {
      uint32_t leaf = g_array_index(sc->members, guint32, i);
      CHECK(i == 0 || g_array_index(sc->members, guint32, i - 1) < leaf, "scope %u: not ascending",
            s);
      CHECK(leaf < sc->ue_of->len, "scope %u: leaf %u not given out", s, leaf);
      uint32_t ue = g_array_index(sc->ue_of, guint32, leaf), back;
      const KtUeRec *rec = kt_priv_member(t, ue);
      CHECK(rec != NULL && leaf_of(st, s, ue, &back) && back == leaf &&
                kt_priv_scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell)) == s,
            "scope %u leaf %u: UE %u", s, leaf, ue);
    }
  }
}

const KtSchemeOps kt_sd_ops = {
    .name = "sd",
    .forward_secure = true,
    /* the subset keys are the center's (the BM-SC's in embodiment 1): they
     * travel to the RNCs in the core requests, like LKH's node keys */
    .node_keys = true,
    .stateless = true,
    .init = sd_init,
    .fini = sd_fini,
    .join = sd_join,
    .leave = sd_leave,
    .audience_cells = sd_audience_cells,
    .in_audience = sd_in_audience,
    .check = sd_check,
    .member_open = sd_member_open,
    .member_implicit_keys = sd_member_implicit_keys,
};
