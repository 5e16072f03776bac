/* kt_oft.c — one-way function trees (Sherman and McGrew, "Key establishment
 * in large dynamic groups using one-way function trees", IEEE TSE 29(5),
 * 2003), one binary tree per group scope; docs/schemes.md, "oft".
 *
 * Keys. Every node v has a node key k_v and a blinded key g(k_v):
 *   g(k)     = crypto_kdf_derive_from_key(32, 0, "oftblind", k)  (BLAKE2b)
 *   k_v      = mix(g(k_left), g(k_right)) for an interior node,
 *   mix(a,b) = crypto_generichash(32, a || b)                     (BLAKE2b)
 * where a missing child (only the root may have one child) counts as 32
 * zero bytes. A leaf's key is its member's leaf key, drawn fresh by the
 * key server (not the member's private key); the root's key is the scope's
 * group key. A member holds its leaf key and the blinded keys of the
 * siblings of its path, and computes its path's node keys up to the group
 * key (kt_tree_member_compute; two evaluations per key: g and mix), each
 * version whose inputs it holds (record_mix keeps what each of a node's
 * last versions was mixed from).
 * Key ids: node key of node v = KT_KEY_SUBGROUP index 2v, its blinded key
 * index 2v + 1, same version (the root's node key is the group key).
 *
 * Placement (join): under the root if it has fewer than two children;
 * otherwise down into the child with fewer members (ties: left) until a
 * leaf u; a new node N takes u's place with children u (left) and the
 * joiner x (right). A join always changes the path, whatever join_rekey
 * says: the joiner learns the blinded key of its sibling subtree s, with
 * which the old keys above would be computable, so a leaf l of s (u after
 * a split; else down into the side with fewer members, ties left) gets a
 * fresh leaf key, point-to-point under its private key (with g(k_x) in the
 * same message if l is x's sibling); every node key from l's parent to the
 * root is recomputed; each changed blinded key g(k_y), y on l's path below
 * the root, goes to the members below y's sibling (except x, whose own
 * message has them), wrapped under the sibling's key, and g(k_x) to s if s
 * is not a leaf; the joiner gets its leaf key and the blinded keys of its
 * path's siblings point-to-point in one message.
 *
 * Leave: the leaver's sibling s takes the parent's place (the parent is
 * deleted; under the root, s simply stays). The leaver knew g(k_s), so a
 * leaf l in s's subtree (s itself if a leaf; else down into the child with
 * fewer members, ties left) gets a fresh leaf key, point-to-point under its
 * private key; then every node key from l's parent to the root is
 * recomputed and each changed blinded key g(k_y), y on l's path below the
 * root, is wrapped under the key of y's sibling for the members below it
 * (point-to-point under the private key if the sibling is a leaf, else one
 * point-to-multipoint delivery per RNC where they are). When s was promoted
 * (p was not the root), the current blinded key of s's new sibling y goes
 * to s's members once more (with l's key if s = l, else under k_s): they
 * hold it already unless a rekey in flight changed it and sent it under
 * k_p, which no longer exists. On a full tree of n = 2^h members, h >= 2,
 * that is 1 p2p message of 2 keys + (h - 1) p2m = h + 1 wraps (h = 1: 1).
 *
 * Stage: the joiner's delivery and a blinded key of a child of the root
 * (it yields the new group key) are KT_STAGE_GROUP, as is anything
 * transmitted by another RNC than the event's in embodiment 1; the rest is
 * KT_STAGE_LOCAL. Node ids are never reused. */
#include <sodium.h>
#include <string.h>

#include "keytree/kt_plan_build.h"
#include "keytree/kt_scheme.h"

#define OFT_NONE UINT32_MAX
#define OFT_MAX_NODE ((KT_KEY_INDEX_MAX - 1u) / 2u)
/* Deepest leaf: a joiner gets its leaf key and a blinded key per level. */
#define OFT_MAX_DEPTH (KT_PLAN_MAX_KEYS - 1u)

/* One version of an interior node's key as the key server mixed it: the
 * version and the blinded keys it came from (child node id, OFT_NONE for a
 * missing child, and that blinded key's version). Public, as the tree's
 * structure is: a member computes a version from the inputs it holds. */
typedef struct {
  uint32_t version;
  uint32_t in_id[2], in_version[2]; /* left, right */
} OftMix;

/* The versions kept per interior node (its last ones): a member that
 * computes versions one at a time as their inputs arrive needs each
 * version that a wrap may have been made under while later ones were
 * already planned (rekeys of one RNC within milliseconds; a node near the
 * root changes with nearly every event of its scope). The array grows
 * with the node's changes up to this many, so a node that rarely changes
 * keeps few. */
#define OFT_HISTORY 16

typedef struct {
  KtKey key;                              /* node key (a root's is the group key: unused here) */
  KtKey blind;                            /* g(key), same version */
  uint32_t id, parent, pos, scope, depth; /* root: parent OFT_NONE, depth 0 */
  uint32_t child[2];                      /* node ids or OFT_NONE */
  uint32_t ue;                            /* a leaf's member, else KT_NO_UE */
  uint32_t leaves;                        /* members below */
  GArray *rncs;                           /* KtRncCount: members below per RNC */
  OftMix *mixes;                          /* interior: its last versions, oldest first */
  uint8_t n_mixes, cap_mixes;
} OftNode;

typedef struct {
  GPtrArray *nodes; /* OftNode* or NULL, by id; 0..n_scopes-1 are the roots */
  guint n_live;
} OftState;

static OftState *oft(const KtTree *t) {
  return t->scheme;
}

static OftNode *node_at(const KtTree *t, uint32_t id) {
  const OftState *st = oft(t);
  return id < st->nodes->len ? g_ptr_array_index(st->nodes, id) : NULL;
}

static KtKeyRef node_ref(uint32_t id, uint32_t version) {
  return (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, 2u * id), version};
}
static KtKeyRef blind_ref(uint32_t id, uint32_t version) {
  return (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, 2u * id + 1u), version};
}

/* ---- the one-way functions ----------------------------------------------- */

static void blind_of(const unsigned char k[KT_KEYBYTES], unsigned char out[KT_KEYBYTES]) {
  if (crypto_kdf_derive_from_key(out, KT_KEYBYTES, 0, "oftblind", k) != 0)
    g_error("kt_oft: crypto_kdf_derive_from_key failed");
}

static void mix(const unsigned char *left, const unsigned char *right,
                unsigned char out[KT_KEYBYTES]) {
  static const unsigned char zero[KT_KEYBYTES] = {0};
  unsigned char in[2 * KT_KEYBYTES];
  memcpy(in, left ? left : zero, KT_KEYBYTES);
  memcpy(in + KT_KEYBYTES, right ? right : zero, KT_KEYBYTES);
  crypto_generichash(out, KT_KEYBYTES, in, sizeof in, NULL, 0);
  sodium_memzero(in, sizeof in);
}

/* ---- nodes ------------------------------------------------------------------ */

static OftNode *node_new(KtTree *t, uint32_t scope, uint32_t depth) {
  uint32_t id = oft(t)->nodes->len;
  if (id > OFT_MAX_NODE)
    g_error("kt_oft: more than %u nodes", OFT_MAX_NODE);
  OftNode *n = g_new0(OftNode, 1);
  n->id = id;
  n->parent = OFT_NONE;
  n->scope = scope;
  n->depth = depth;
  n->child[0] = n->child[1] = OFT_NONE;
  n->ue = KT_NO_UE;
  n->rncs = g_array_new(FALSE, FALSE, sizeof(KtRncCount));
  g_ptr_array_add(oft(t)->nodes, n);
  oft(t)->n_live++;
  return n;
}

static void node_free(KtTree *t, OftNode *n) {
  g_ptr_array_index(oft(t)->nodes, n->id) = NULL;
  oft(t)->n_live--;
  kt_key_wipe(&n->key);
  kt_key_wipe(&n->blind);
  g_array_free(n->rncs, TRUE);
  g_free(n->mixes);
  g_free(n);
}

static void oft_init(KtTree *t) {
  OftState *st = g_new0(OftState, 1);
  st->nodes = g_ptr_array_new();
  t->scheme = st;
  for (uint32_t s = 0; s < t->n_scopes; s++)
    node_new(t, s, 0);
}

static void oft_fini(KtTree *t) {
  OftState *st = oft(t);
  if (st == NULL)
    return;
  for (guint i = 0; i < st->nodes->len; i++)
    if (g_ptr_array_index(st->nodes, i) != NULL)
      node_free(t, g_ptr_array_index(st->nodes, i));
  g_ptr_array_free(st->nodes, TRUE);
  g_free(st);
  t->scheme = NULL;
}

static bool is_root(const OftNode *n) {
  return n->parent == OFT_NONE;
}
static bool is_leaf(const OftNode *n) {
  return n->ue != KT_NO_UE;
}
static OftNode *parent_of(const KtTree *t, const OftNode *n) {
  return is_root(n) ? NULL : node_at(t, n->parent);
}
static OftNode *sibling_of(const KtTree *t, const OftNode *n) {
  const OftNode *p = parent_of(t, n);
  return p && p->child[1 - n->pos] != OFT_NONE ? node_at(t, p->child[1 - n->pos]) : NULL;
}
static KtKey *node_key(KtTree *t, OftNode *n) {
  return is_root(n) ? &t->group[n->scope] : &n->key;
}

static void set_child(KtTree *t, OftNode *p, uint32_t pos, OftNode *c) {
  (void)t;
  p->child[pos] = c ? c->id : OFT_NONE;
  if (c) {
    c->parent = p->id;
    c->pos = pos;
  }
}

/* Depths below `n` (after a move). */
static void set_depths(KtTree *t, OftNode *n, uint32_t depth) {
  n->depth = depth;
  if (depth > OFT_MAX_DEPTH)
    g_error("kt_oft: tree deeper than %u levels", OFT_MAX_DEPTH);
  for (int i = 0; i < 2; i++)
    if (n->child[i] != OFT_NONE)
      set_depths(t, node_at(t, n->child[i]), depth + 1);
}

static void path_count(KtTree *t, OftNode *n, uint32_t rnc, int delta) {
  for (; n != NULL; n = parent_of(t, n)) {
    n->leaves = (uint32_t)((int64_t)n->leaves + delta);
    kt_priv_rncs_add(n->rncs, rnc, delta);
  }
}

/* ---- keys ------------------------------------------------------------------- */

/* Sets a non-root node's blinded key from its node key (same version); the
 * new value goes into the plan (the RNCs wrap it, embodiment 1 sends it
 * through the core). */
static void reblind(OftNode *n, KtPlan *plan) {
  n->blind.ref = blind_ref(n->id, n->key.ref.version);
  blind_of(n->key.bytes, n->blind.bytes);
  if (plan)
    kt_priv_plan_push_key(plan, &n->blind);
}

/* A fresh leaf key (next version), old and new values into the plan. */
static void new_leaf_key(KtTree *t, OftNode *leaf, KtPlan *plan) {
  if (leaf->key.ref.version == 0) {
    kt_keygen_fresh(t->gen, &leaf->key, node_ref(leaf->id, 1));
    kt_priv_plan_push_key(plan, &leaf->key);
  } else {
    kt_priv_rekey(t, &leaf->key, plan);
  }
  reblind(leaf, plan);
}

/* Records that version `version` of interior node `n`'s key is the mix of
 * the blinded keys of `l` and `r` as they are now (the oldest record goes
 * when the history is full). */
static void record_mix(OftNode *n, const OftNode *l, const OftNode *r, uint32_t version) {
  if (n->n_mixes == OFT_HISTORY) {
    memmove(&n->mixes[0], &n->mixes[1], (OFT_HISTORY - 1) * sizeof(OftMix));
    n->n_mixes--;
  } else if (n->n_mixes == n->cap_mixes) {
    n->cap_mixes = (uint8_t)MIN(OFT_HISTORY, n->cap_mixes ? 2 * n->cap_mixes : 2);
    n->mixes = g_renew(OftMix, n->mixes, n->cap_mixes);
  }
  OftMix *m = &n->mixes[n->n_mixes++];
  m->version = version;
  m->in_id[0] = l ? l->id : OFT_NONE;
  m->in_version[0] = l ? l->blind.ref.version : 0;
  m->in_id[1] = r ? r->id : OFT_NONE;
  m->in_version[1] = r ? r->blind.ref.version : 0;
}

/* Recomputes every node key from `n` up to the root (each a next version;
 * old and new values into the plan, as kt_priv_rekey would). */
static void recompute_up(KtTree *t, OftNode *n, KtPlan *plan) {
  for (; n != NULL; n = parent_of(t, n)) {
    const OftNode *l = n->child[0] != OFT_NONE ? node_at(t, n->child[0]) : NULL;
    const OftNode *r = n->child[1] != OFT_NONE ? node_at(t, n->child[1]) : NULL;
    KtKey *k = node_key(t, n);
    KtKeyRef old = k->ref;
    if (old.version != 0)
      kt_priv_plan_push_key(plan, k);
    mix(l ? l->blind.bytes : NULL, r ? r->blind.bytes : NULL, k->bytes);
    k->ref = is_root(n) ? old : node_ref(n->id, 0);
    k->ref.version = old.version + 1;
    record_mix(n, l, r, k->ref.version);
    kt_priv_plan_push_key(plan, k);
    if (!is_root(n))
      reblind(n, plan);
  }
}

/* ---- planning --------------------------------------------------------------- */

static KtStage stage_of(const KtTree *t, const KtPlan *plan, uint32_t rnc, bool group) {
  if (group || (t->cfg.embodiment == 1 && rnc != plan->rnc))
    return KT_STAGE_GROUP;
  return KT_STAGE_LOCAL;
}

/* Sends `key` (the new blinded key of y) to the members below `sib`, y's
 * sibling: point-to-point under the private key of a leaf, else under
 * k_sib per RNC where they are. */
static void to_sibling(KtTree *t, KtPlan *plan, OftNode *sib, KtKeyRef key, bool group) {
  if (is_leaf(sib)) {
    uint32_t rnc = kt_priv_rnc_of_ue(t, sib->ue);
    kt_priv_deliver(plan, stage_of(t, plan, rnc, group), KT_TO_UE, sib->ue, rnc, KT_NO_UE,
                    kt_priv_ue(t, sib->ue)->priv.ref, &key, 1);
    return;
  }
  for (guint i = 0; i < sib->rncs->len; i++) {
    uint32_t rnc = g_array_index(sib->rncs, KtRncCount, i).rnc;
    kt_priv_deliver(plan, stage_of(t, plan, rnc, group), KT_TO_NODE, sib->id, rnc, KT_NO_UE,
                    sib->key.ref, &key, 1);
  }
}

/* Each changed blinded key on the path from `from` up to the root's child,
 * to the sibling subtree that needs it. */
static void blinded_up(KtTree *t, KtPlan *plan, OftNode *from) {
  for (OftNode *y = from; !is_root(y); y = parent_of(t, y)) {
    OftNode *sib = sibling_of(t, y);
    if (sib != NULL)
      to_sibling(t, plan, sib, y->blind.ref, is_root(parent_of(t, y)));
  }
}

/* The leaf of `s`'s subtree whose key a join or leave renews: down into
 * the side with fewer members, ties left. */
static OftNode *leaf_to_renew(const KtTree *t, OftNode *s) {
  while (!is_leaf(s)) {
    OftNode *a = node_at(t, s->child[0]), *b = node_at(t, s->child[1]);
    s = b->leaves < a->leaves ? b : a;
  }
  return s;
}

static void oft_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  (void)join_rekey; /* a join always changes the path (see the top) */
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  uint32_t rnc = plan->rnc;
  OftNode *root = node_at(t, plan->scope);
  OftNode *x = node_new(t, plan->scope, 0);
  x->ue = ue;
  if (root->child[0] == OFT_NONE || root->child[1] == OFT_NONE) {
    set_child(t, root, root->child[0] == OFT_NONE ? 0 : 1, x);
    x->depth = 1;
  } else {
    OftNode *u = leaf_to_renew(t, root); /* the same descent: fewer members, ties left */
    OftNode *p = parent_of(t, u);
    OftNode *n = node_new(t, plan->scope, u->depth);
    set_child(t, p, u->pos, n);
    n->leaves = 1;
    kt_priv_rncs_add(n->rncs, kt_priv_rnc_of_ue(t, u->ue), 1);
    set_child(t, n, 0, u);
    set_child(t, n, 1, x);
    set_depths(t, n, n->depth);
    plan->subgroup_created = true;
  }
  kt_priv_attach_cell(t, ue, cell);
  rec->subgroup = x->id;
  rec->sg_pos = 0;
  path_count(t, x, rnc, 1);
  plan->subgroup = parent_of(t, x)->id;
  new_leaf_key(t, x, plan);

  /* x's sibling subtree s (if any) gets a renewed leaf l: the joiner
   * learns g(k_s), with which the old keys above would be computable */
  OftNode *s = sibling_of(t, x);
  OftNode *l = s ? leaf_to_renew(t, s) : NULL;
  if (l != NULL)
    new_leaf_key(t, l, plan);
  recompute_up(t, l ? parent_of(t, l) : parent_of(t, x), plan);

  if (l != NULL) {
    /* l: its new leaf key (and g(k_x) if it is x's sibling) */
    uint32_t lrnc = kt_priv_rnc_of_ue(t, l->ue);
    KtKeyRef keys[2] = {l->key.ref, x->blind.ref};
    kt_priv_deliver(plan, stage_of(t, plan, lrnc, false), KT_TO_UE, l->ue, lrnc, KT_NO_UE,
                    kt_priv_ue(t, l->ue)->priv.ref, keys, l == s ? 2 : 1);
    /* the changed blinded keys on l's path, each to the sibling subtree
     * that needs it (the joiner's comes in its own message) */
    for (OftNode *y = l; !is_root(y); y = parent_of(t, y)) {
      OftNode *sib = sibling_of(t, y);
      if (sib != NULL && sib != x)
        to_sibling(t, plan, sib, y->blind.ref, is_root(parent_of(t, y)));
    }
    if (l != s)
      to_sibling(t, plan, s, x->blind.ref, is_root(parent_of(t, x)));
  }
  /* the joiner: its leaf key and its path's siblings' blinded keys */
  KtKeyRef keys[KT_PLAN_MAX_KEYS];
  guint n = 0;
  keys[n++] = x->key.ref;
  for (OftNode *y = x; !is_root(y); y = parent_of(t, y)) {
    const OftNode *sib = sibling_of(t, y);
    if (sib == NULL)
      continue;
    keys[n++] = sib->blind.ref;
    /* the values of the unchanged ones too: the RNC may wrap them after
     * another event deleted their node (embodiment 1, through the core) */
    if (kt_plan_key(plan, sib->blind.ref) == NULL)
      kt_priv_plan_push_key(plan, &sib->blind);
  }
  kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ue, rnc, KT_NO_UE, rec->priv.ref, keys, n);
}

static void oft_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  OftNode *x = node_at(t, rec->subgroup);
  OftNode *p = parent_of(t, x);
  plan->subgroup = p->id;
  path_count(t, p, plan->rnc, -1);
  kt_priv_detach_cell(t, ue);
  OftNode *s = sibling_of(t, x);
  p->child[x->pos] = OFT_NONE;
  node_free(t, x);
  bool promoted = !is_root(p);
  if (promoted) {
    /* s takes p's place */
    OftNode *g = parent_of(t, p);
    set_child(t, g, p->pos, s);
    set_depths(t, s, p->depth);
    plan->subgroup_deleted = true;
    node_free(t, p);
  }
  if (t->scope_count[plan->scope] == 0)
    return; /* emptied: retired by kt_tree.c */
  g_assert(s != NULL);
  OftNode *l = leaf_to_renew(t, s);
  new_leaf_key(t, l, plan);
  plan->subgroup_changed = true;
  recompute_up(t, parent_of(t, l), plan);
  /* s's members held g(k_y) of s's new sibling y as p's sibling's. A rekey
   * still in flight may have changed it and sent it under k_p, which is
   * gone (and nothing may go under it: the leaver held it), so the current
   * g(k_y) goes once more: in l's message if s is the leaf l, else under
   * s's new key. Its value goes into the plan (the RNC may wrap it after
   * another event changed or deleted y). */
  OftNode *y = promoted ? sibling_of(t, s) : NULL;
  if (y != NULL && kt_plan_key(plan, y->blind.ref) == NULL)
    kt_priv_plan_push_key(plan, &y->blind);
  uint32_t lrnc = kt_priv_rnc_of_ue(t, l->ue);
  KtKeyRef keys[2] = {l->key.ref, y ? y->blind.ref : l->key.ref};
  kt_priv_deliver(plan, stage_of(t, plan, lrnc, is_root(parent_of(t, l))), KT_TO_UE, l->ue, lrnc,
                  KT_NO_UE, kt_priv_ue(t, l->ue)->priv.ref, keys, y != NULL && l == s ? 2 : 1);
  blinded_up(t, plan, l);
  if (y != NULL && l != s)
    to_sibling(t, plan, s, y->blind.ref, is_root(parent_of(t, s)));
}

/* ---- what members hold and compute -------------------------------------- */

static guint oft_member_keys(const KtTree *t, const KtUeRec *rec, const KtKey **out, guint cap) {
  guint n = 0;
  const OftNode *x = node_at(t, rec->subgroup);
  if (n < cap)
    out[n++] = &x->key;
  for (; !is_root(x); x = parent_of(t, x)) {
    const OftNode *sib = sibling_of(t, x);
    if (sib != NULL && n < cap)
      out[n++] = &sib->blind;
    const OftNode *p = parent_of(t, x);
    if (!is_root(p) && n < cap)
      out[n++] = &p->key;
  }
  return n;
}

/* What a member has to compute with: what it holds (`held`, the current
 * and previous versions of its slots) and what it computed in this call. */
typedef struct {
  const KtKey *const *held;
  guint n_held;
  const KtKey *done;
  guint n_done;
} OftHave;

static const KtKey *have_key(const OftHave *h, KtKeyRef want) {
  for (guint i = 0; i < h->n_held; i++)
    if (kt_ref_equal(h->held[i]->ref, want))
      return h->held[i];
  for (guint i = 0; i < h->n_done; i++)
    if (kt_ref_equal(h->done[i].ref, want))
      return &h->done[i];
  return NULL;
}

/* The newest version of `id` the member has (0: none). */
static uint32_t have_version(const OftHave *h, KtKeyId id) {
  uint32_t v = 0;
  for (guint i = 0; i < h->n_held; i++)
    if (h->held[i]->ref.id == id && h->held[i]->ref.version > v)
      v = h->held[i]->ref.version;
  for (guint i = 0; i < h->n_done; i++)
    if (h->done[i].ref.id == id && h->done[i].ref.version > v)
      v = h->done[i].ref.version;
  return v;
}

/* The blinded key of version `version` of node `id` into `out`: held as
 * such, or blinded from the node key held (one evaluation); false if the
 * member has neither. A missing child is 32 zero bytes. */
static bool have_blind(const OftHave *h, uint32_t id, uint32_t version,
                       unsigned char out[KT_KEYBYTES], guint *evals) {
  if (id == OFT_NONE) {
    memset(out, 0, KT_KEYBYTES);
    return true;
  }
  const KtKey *k = have_key(h, blind_ref(id, version));
  if (k != NULL) {
    memcpy(out, k->bytes, KT_KEYBYTES);
    return true;
  }
  if ((k = have_key(h, node_ref(id, version))) == NULL)
    return false;
  blind_of(k->bytes, out);
  (*evals)++;
  return true;
}

/* A member computes, bottom-up along its path, every version of a path
 * key newer than the one it has whose inputs it holds (record_mix: the
 * blinded keys the key server mixed for that version), oldest first. Not
 * only the tree's current version: when rekeys of its RNC follow each
 * other within milliseconds, a wrap made under an intermediate version
 * may still be on its way, and a blinded key sent only under it would be
 * lost otherwise. Each key costs a blinding of its own side's key and a
 * mix (2 evaluations). */
static guint oft_member_compute(const KtTree *t, uint32_t ue, const KtKey *const *held,
                                guint n_held, KtKey *out, guint cap, guint *evals) {
  const KtUeRec *rec = kt_priv_member(t, ue);
  OftHave h = {held, n_held, out, 0};
  for (const OftNode *x = node_at(t, rec->subgroup); !is_root(x); x = parent_of(t, x)) {
    const OftNode *p = parent_of(t, x);
    KtKeyRef cur = is_root(p) ? t->group[p->scope].ref : p->key.ref;
    uint32_t have = have_version(&h, cur.id);
    for (uint8_t i = 0; i < p->n_mixes && h.n_done < cap; i++) {
      const OftMix *m = &p->mixes[i];
      if (m->version <= have)
        continue;
      unsigned char in[2][KT_KEYBYTES];
      guint ev = 0;
      if (!have_blind(&h, m->in_id[0], m->in_version[0], in[0], &ev) ||
          !have_blind(&h, m->in_id[1], m->in_version[1], in[1], &ev)) {
        sodium_memzero(in, sizeof in);
        continue; /* an input is still on its way */
      }
      KtKey *k = &out[h.n_done++];
      k->ref = (KtKeyRef){cur.id, m->version};
      mix(m->in_id[0] == OFT_NONE ? NULL : in[0], m->in_id[1] == OFT_NONE ? NULL : in[1], k->bytes);
      sodium_memzero(in, sizeof in);
      *evals += ev + 1;
      have = m->version;
      const KtKey *truth = is_root(p) ? &t->group[p->scope] : &p->key;
      if (m->version == cur.version && sodium_memcmp(truth->bytes, k->bytes, KT_KEYBYTES) != 0)
        g_error("kt_oft: member %u computed a wrong key for node %u", ue, p->id);
    }
  }
  return h.n_done;
}

/* ---- queries ------------------------------------------------------------------ */

static const KtKey *oft_interior_key(const KtTree *t, uint32_t index) {
  const OftNode *n = node_at(t, index / 2u);
  if (n == NULL || is_root(n))
    return NULL;
  return index % 2u ? &n->blind : &n->key;
}

static bool below_node(const KtTree *t, const KtUeRec *rec, uint32_t node) {
  for (const OftNode *x = node_at(t, rec->subgroup); x != NULL; x = parent_of(t, x))
    if (x->id == node)
      return true;
  return false;
}

static void mark_below(const KtTree *t, const OftNode *n, uint32_t rnc, uint32_t exclude,
                       KtCellMarks *m) {
  if (!kt_priv_rncs_has(n->rncs, rnc))
    return;
  if (is_leaf(n)) {
    const KtUeRec *rec = kt_priv_ue(t, n->ue);
    if (n->ue != exclude)
      kt_priv_marks_set(m, rec->cell);
    return;
  }
  for (int i = 0; i < 2; i++)
    if (n->child[i] != OFT_NONE)
      mark_below(t, node_at(t, n->child[i]), rnc, exclude, m);
}

static void oft_audience_cells(const KtTree *t, const KtDelivery *d, GArray *out) {
  const OftNode *n = d->target == KT_TO_NODE ? node_at(t, d->target_id) : NULL;
  if (n == NULL || d->rnc >= t->cfg.n_rnc)
    return;
  KtCellMarks marks;
  kt_priv_marks_init(&marks, t, d->rnc);
  mark_below(t, n, d->rnc, d->exclude_ue, &marks);
  kt_priv_marks_emit(&marks, out);
}

static bool oft_in_audience(const KtTree *t, const KtDelivery *d, const KtUeRec *rec) {
  return d->target == KT_TO_NODE && kt_priv_rnc_of_cell(t, rec->cell) == d->rnc &&
         below_node(t, rec, d->target_id);
}

/* ---- invariants --------------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check (oft): " __VA_ARGS__);                                                \
  } while (0)

static void oft_check(const KtTree *t) {
  for (guint u = 0; u < t->ues->len; u++) {
    const KtUeRec *rec = kt_priv_member(t, u);
    if (rec == NULL)
      continue;
    const OftNode *x = node_at(t, rec->subgroup);
    CHECK(x != NULL && x->ue == u, "UE %u: not at leaf %u", u, rec->subgroup);
    CHECK(x->scope == kt_priv_scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell)),
          "UE %u: in the tree of another scope", u);
  }
  guint live = 0;
  GArray *sum = g_array_new(FALSE, FALSE, sizeof(KtRncCount));
  for (guint id = 0; id < oft(t)->nodes->len; id++) {
    const OftNode *n = node_at(t, id);
    if (id < t->n_scopes)
      CHECK(n != NULL && is_root(n) && n->scope == id && n->depth == 0, "root %u", id);
    if (n == NULL)
      continue;
    live++;
    g_array_set_size(sum, 0);
    uint32_t leaves = 0;
    if (is_leaf(n)) {
      CHECK(n->child[0] == OFT_NONE && n->child[1] == OFT_NONE, "leaf %u has children", id);
      const KtUeRec *rec = kt_priv_member(t, n->ue);
      CHECK(rec != NULL && rec->subgroup == id, "leaf %u: UE %u does not point back", id, n->ue);
      leaves = 1;
      kt_priv_rncs_add(sum, kt_priv_rnc_of_cell(t, rec->cell), 1);
    } else {
      CHECK(is_root(n) || (n->child[0] != OFT_NONE && n->child[1] != OFT_NONE),
            "interior node %u without two children", id);
      for (uint32_t i = 0; i < 2; i++) {
        if (n->child[i] == OFT_NONE)
          continue;
        const OftNode *c = node_at(t, n->child[i]);
        CHECK(c != NULL && c->parent == id && c->pos == i && c->depth == n->depth + 1 &&
                  c->scope == n->scope,
              "node %u child %u", id, i);
        leaves += c->leaves;
        for (guint j = 0; j < c->rncs->len; j++) {
          const KtRncCount *rc = &g_array_index(c->rncs, KtRncCount, j);
          kt_priv_rncs_add(sum, rc->rnc, (int)rc->count);
        }
      }
    }
    CHECK(leaves == n->leaves, "node %u: %u members below, count %u", id, leaves, n->leaves);
    CHECK(sum->len == n->rncs->len && (sum->len == 0 || memcmp(sum->data, n->rncs->data,
                                                               sum->len * sizeof(KtRncCount)) == 0),
          "node %u: per-RNC counts", id);
    /* every key is what the one-way functions give */
    const KtKey *k = is_root(n) ? &t->group[n->scope] : &n->key;
    if (!is_root(n)) {
      unsigned char g[KT_KEYBYTES];
      blind_of(n->key.bytes, g);
      CHECK(memcmp(g, n->blind.bytes, KT_KEYBYTES) == 0 &&
                kt_ref_equal(n->blind.ref, blind_ref(id, n->key.ref.version)) &&
                kt_ref_equal(n->key.ref, node_ref(id, n->key.ref.version)),
            "node %u: blinded key", id);
    }
    if (!is_leaf(n) && n->leaves > 0) {
      const OftNode *l = n->child[0] != OFT_NONE ? node_at(t, n->child[0]) : NULL;
      const OftNode *r = n->child[1] != OFT_NONE ? node_at(t, n->child[1]) : NULL;
      unsigned char m[KT_KEYBYTES];
      mix(l ? l->blind.bytes : NULL, r ? r->blind.bytes : NULL, m);
      CHECK(memcmp(m, k->bytes, KT_KEYBYTES) == 0, "node %u: key is not mix of its children", id);
    }
    if (is_root(n))
      CHECK(n->leaves == t->scope_count[n->scope], "root %u: %u members, scope has %u", id,
            n->leaves, t->scope_count[n->scope]);
  }
  g_array_free(sum, TRUE);
  CHECK(live == oft(t)->n_live, "%u live nodes, count %u", live, oft(t)->n_live);
}

/* Move within the scope (docs/flows.md, "Handover"): the leaf keeps its
 * place and keys (the placement ignores the topology); only the per-RNC
 * counts of its path, which say where deliveries to its nodes go, follow
 * its new RNC. */
static void oft_move(KtTree *t, uint32_t ue, uint32_t cell, KtMoveRekey rekey, KtPlan *plan) {
  (void)rekey;
  (void)plan;
  OftNode *x = node_at(t, kt_priv_ue(t, ue)->subgroup);
  path_count(t, x, kt_priv_rnc_of_ue(t, ue), -1);
  kt_priv_move_cell(t, ue, cell);
  path_count(t, x, kt_priv_rnc_of_ue(t, ue), 1);
}

const KtSchemeOps kt_oft_ops = {
    .name = "oft",
    .forward_secure = true,
    .node_keys = true,
    .init = oft_init,
    .fini = oft_fini,
    .join = oft_join,
    .leave = oft_leave,
    .move = oft_move,
    .member_keys = oft_member_keys,
    .interior_key = oft_interior_key,
    .audience_cells = oft_audience_cells,
    .in_audience = oft_in_audience,
    .check = oft_check,
    .member_compute = oft_member_compute,
};
