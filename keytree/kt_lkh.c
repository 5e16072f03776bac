/* kt_lkh.c — the logical key hierarchy (Wong, Gouda, Lam, "Secure group
 * communications using key graphs", SIGCOMM 1998), group-oriented
 * rekeying, one tree of degree d per group scope whose root key is the
 * scope's group key.
 *
 * Placement rule (keeps the tree balanced; O(d * depth)): a joiner descends
 * from the root; at each node, if the node has fewer than d children the
 * joiner becomes its child there; otherwise it goes on into the child with
 * the fewest UE leaves below (ties: the lowest position). If that child is
 * a UE leaf u (the node is full and all its children are single leaves or
 * bigger), a new node N takes u's position, u becomes N's first child and
 * the joiner its second ("split"; u receives N's key point-to-point). Joining
 * d^L members into an empty tree thus gives the full balanced tree of depth
 * L. Interior nodes are deleted only when they become empty, never
 * collapsed, so a leave never changes the path of a remaining member.
 * Node ids are never reused (a key id never names two nodes).
 *
 * Leave: every key on the leaver's path changes, bottom-up; each new key is
 * wrapped under the current key of each of its children (the new one for
 * the child on the path): under a UE's private key -> point-to-point, under
 * a node key -> point-to-multipoint to the members below that node, one
 * delivery per RNC where they are. Join with join rekey: each key on the
 * joiner's path that other members hold changes and is wrapped under its
 * old version for them; the joiner gets its whole path point-to-point in
 * one message. Deliveries that carry or are wrapped under the group key, or
 * (embodiment 1) are transmitted by an RNC other than the event's, are
 * KT_STAGE_GROUP; the rest KT_STAGE_LOCAL. */
#include <string.h>

#include "keytree/kt_plan_build.h"
#include "keytree/kt_scheme.h"

/* ---- state ---------------------------------------------------------------
 *
 * nodes: per node id ever created, a KtNode* or NULL once deleted; ids
 * 0..n_scopes-1 are the roots. A member's KtUeRec.subgroup is its parent
 * node, sg_pos its position in the parent's children. */

#define KT_LKH_NONE UINT32_MAX
#define KT_LKH_UE_BIT 0x80000000u /* a child entry naming a UE leaf */

/* An interior node. A root's key is the scope's group key. */
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
  GArray *cells;      /* KtRncCount by cell, ascending: leaves below per cell, so
                       * that the cells of a node's holders are found from the
                       * node in time proportional to them (audience_cells) */
} KtNode;

typedef struct {
  uint32_t degree;
  GPtrArray *nodes; /* KtNode* or NULL, by node id */
  guint n_live;
} LkhState;

static LkhState *lkh(const KtTree *t) {
  return t->scheme;
}

static KtNode *node_at(const KtTree *t, uint32_t id) {
  const LkhState *st = lkh(t);
  return id < st->nodes->len ? g_ptr_array_index(st->nodes, id) : NULL;
}

/* ---- nodes -------------------------------------------------------------- */

static KtNode *node_new(KtTree *t, uint32_t scope, uint32_t parent, uint32_t depth) {
  uint32_t id = lkh(t)->nodes->len;
  g_assert(id <= KT_KEY_INDEX_MAX);
  KtNode *n = g_new0(KtNode, 1);
  n->id = id;
  n->parent = parent;
  n->scope = scope;
  n->depth = depth;
  n->children = g_new0(uint32_t, lkh(t)->degree);
  n->rncs = g_array_new(FALSE, FALSE, sizeof(KtRncCount));
  n->cells = g_array_new(FALSE, FALSE, sizeof(KtRncCount));
  if (parent != KT_LKH_NONE)
    kt_keygen_fresh(t->gen, &n->key, (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, id), 1});
  g_ptr_array_add(lkh(t)->nodes, n);
  lkh(t)->n_live++;
  return n;
}

static void node_free(KtTree *t, KtNode *n) {
  g_ptr_array_index(lkh(t)->nodes, n->id) = NULL;
  lkh(t)->n_live--;
  kt_key_wipe(&n->key);
  g_free(n->children);
  g_array_free(n->rncs, TRUE);
  g_array_free(n->cells, TRUE);
  g_free(n);
}

static void lkh_init(KtTree *t) {
  LkhState *st = g_new0(LkhState, 1);
  st->degree = t->cfg.lkh_degree ? t->cfg.lkh_degree : 4;
  st->nodes = g_ptr_array_new();
  t->scheme = st;
  for (uint32_t s = 0; s < t->n_scopes; s++)
    node_new(t, s, KT_LKH_NONE, 1);
}

static void lkh_fini(KtTree *t) {
  LkhState *st = lkh(t);
  if (st == NULL)
    return;
  for (guint i = 0; i < st->nodes->len; i++)
    if (g_ptr_array_index(st->nodes, i) != NULL)
      node_free(t, g_ptr_array_index(st->nodes, i));
  g_ptr_array_free(st->nodes, TRUE);
  g_free(st);
  t->scheme = NULL;
}

static KtKey *node_key(KtTree *t, KtNode *n) {
  return n->parent == KT_LKH_NONE ? &t->group[n->scope] : &n->key;
}

static KtNode *parent_of(const KtTree *t, const KtNode *n) {
  return n->parent == KT_LKH_NONE ? NULL : node_at(t, n->parent);
}

/* ---- per-RNC leaf counts (kt_core.h: kt_priv_rncs_*) -------------------- */

/* A member of `cell` added below `n` (delta 1) or removed (-1): the counts
 * of `n` and its ancestors. */
static void path_count(KtTree *t, KtNode *n, uint32_t cell, int delta) {
  uint32_t rnc = kt_priv_rnc_of_cell(t, cell);
  for (; n != NULL; n = parent_of(t, n)) {
    n->leaves = (uint32_t)((int64_t)n->leaves + delta);
    kt_priv_rncs_add(n->rncs, rnc, delta);
    kt_priv_rncs_add(n->cells, cell, delta);
  }
}

/* ---- children ------------------------------------------------------------ */

static bool entry_is_ue(uint32_t e) {
  return (e & KT_LKH_UE_BIT) != 0;
}

/* A leaver's place kept for a joiner, during a batch only. */
#define KT_LKH_HOLE UINT32_MAX

static void set_child(KtTree *t, KtNode *x, uint32_t pos, uint32_t e) {
  x->children[pos] = e;
  if (e == KT_LKH_HOLE)
    return;
  if (entry_is_ue(e)) {
    KtUeRec *rec = kt_priv_ue(t, e & ~KT_LKH_UE_BIT);
    rec->subgroup = x->id;
    rec->sg_pos = pos;
  } else {
    KtNode *c = node_at(t, e);
    c->parent = x->id;
    c->pos = pos;
  }
}

static uint32_t entry_leaves(const KtTree *t, uint32_t e) {
  return entry_is_ue(e) ? 1u : node_at(t, e)->leaves;
}

static void remove_child(KtTree *t, KtNode *x, uint32_t pos) {
  g_assert(pos < x->n_children);
  uint32_t last = --x->n_children;
  if (pos != last)
    set_child(t, x, pos, x->children[last]);
  x->children[last] = 0;
}

/* ---- planning ----------------------------------------------------------- */

static KtStage stage_of(const KtTree *t, const KtPlan *plan, uint32_t rnc, bool group) {
  if (group || (t->cfg.embodiment == 1 && rnc != plan->rnc))
    return KT_STAGE_GROUP;
  return KT_STAGE_LOCAL;
}

/* Wraps `key` under the key of node `holders` for the members below it
 * (minus `exclude`), one delivery per RNC where they are. `skip` (batch;
 * may be NULL) counts, per RNC, holders that need no such delivery (batch
 * joiners get their whole path point-to-point): an RNC where every holder
 * is one of them gets nothing. */
static void to_holders(KtTree *t, KtPlan *plan, KtNode *holders, KtKeyRef under, KtKeyRef key,
                       uint32_t exclude, uint32_t exclude_rnc, const GArray *skip) {
  bool root = holders->parent == KT_LKH_NONE;
  for (guint i = 0; i < holders->rncs->len; i++) {
    const KtRncCount *rc = &g_array_index(holders->rncs, KtRncCount, i);
    uint32_t n = rc->count - (exclude != KT_NO_UE && rc->rnc == exclude_rnc ? 1u : 0u);
    n -= kt_priv_rncs_count(skip, rc->rnc);
    if (n == 0)
      continue;
    bool group = root || KT_KEY_ID_KIND(key.id) == KT_KEY_GROUP;
    kt_priv_deliver(plan, stage_of(t, plan, rc->rnc, group), root ? KT_TO_RNC_GROUP : KT_TO_NODE,
                    root ? rc->rnc : holders->id, rc->rnc, exclude, under, &key, 1);
  }
}

/* Whether child entry `e` has a UE leaf at `rnc` below it (or is one). */
static bool entry_at_rnc(const KtTree *t, uint32_t e, uint32_t rnc) {
  if (entry_is_ue(e))
    return kt_priv_rnc_of_ue(t, e & ~KT_LKH_UE_BIT) == rnc;
  return kt_priv_rncs_has(node_at(t, e)->rncs, rnc);
}

/* Node `y`'s new key `k` to each of its children: under a UE child's
 * private key point-to-point, under a node child's key point-to-multipoint
 * to the members below it (per RNC). `root`: `y` is its scope's root (the
 * stage, stage_of). */
static void to_children(KtTree *t, KtNode *y, const KtKey *k, KtPlan *plan, bool root) {
  for (uint32_t i = 0; i < y->n_children; i++) {
    uint32_t e = y->children[i];
    if (entry_is_ue(e)) {
      uint32_t m = e & ~KT_LKH_UE_BIT;
      uint32_t mrnc = kt_priv_rnc_of_ue(t, m);
      kt_priv_deliver(plan, stage_of(t, plan, mrnc, root), KT_TO_UE, m, mrnc, KT_NO_UE,
                      kt_priv_ue(t, m)->priv.ref, &k->ref, 1);
    } else {
      KtNode *c = node_at(t, e);
      to_holders(t, plan, c, node_key(t, c)->ref, k->ref, KT_NO_UE, 0, NULL);
    }
  }
}

/* Places `ue` (not in the tree) in `cell` by the placement rule and
 * updates all counts; returns its parent node. *created / *split_ue: the
 * node a split made and the member it moved below it, if any. With `near`
 * an RNC (a mover's, docs/flows.md "Handover"), the descent considers at
 * each node only the children with a leaf at that RNC below them, if any
 * (then the fewest leaves, ties the lowest position, as for a joiner), so
 * that the UE lands beside members of its RNC; KT_LKH_NONE: the joiner's
 * rule. `attach`: the UE's cell is still to be set in the core (a joiner;
 * a mover's was moved already). */
static KtNode *place(KtTree *t, uint32_t scope, uint32_t ue, uint32_t cell, uint32_t near,
                     bool attach, KtNode **created, uint32_t *split_ue) {
  KtNode *x = node_at(t, scope);
  *created = NULL;
  *split_ue = KT_NO_UE;
  while (x->n_children == lkh(t)->degree) {
    uint32_t best = UINT32_MAX;
    for (uint32_t p = 0; near != KT_LKH_NONE && p < lkh(t)->degree; p++)
      if (entry_at_rnc(t, x->children[p], near) &&
          (best == UINT32_MAX ||
           entry_leaves(t, x->children[p]) < entry_leaves(t, x->children[best])))
        best = p;
    if (best == UINT32_MAX) {
      best = 0;
      for (uint32_t p = 1; p < lkh(t)->degree; p++)
        if (entry_leaves(t, x->children[p]) < entry_leaves(t, x->children[best]))
          best = p;
    }
    uint32_t e = x->children[best];
    if (!entry_is_ue(e)) {
      x = node_at(t, e);
      continue;
    }
    *split_ue = e & ~KT_LKH_UE_BIT;
    *created = node_new(t, scope, x->id, x->depth + 1);
    set_child(t, x, best, (*created)->id);
    set_child(t, *created, 0, e);
    (*created)->n_children = 1;
    (*created)->leaves = 1;
    kt_priv_rncs_add((*created)->rncs, kt_priv_rnc_of_ue(t, *split_ue), 1);
    kt_priv_rncs_add((*created)->cells, kt_priv_ue(t, *split_ue)->cell, 1);
    x = *created;
  }
  if (x->depth > KT_LKH_MAX_DEPTH)
    g_error("LKH tree deeper than %u levels", KT_LKH_MAX_DEPTH);
  if (attach)
    kt_priv_attach_cell(t, ue, cell);
  set_child(t, x, x->n_children++, KT_LKH_UE_BIT | ue);
  path_count(t, x, cell, 1);
  return x;
}

static void lkh_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  uint32_t rnc = plan->rnc, scope = plan->scope;

  KtNode *created = NULL;
  uint32_t split_ue = KT_NO_UE;
  KtNode *x = place(t, scope, ue, cell, KT_LKH_NONE, true, &created, &split_ue);
  plan->subgroup = x->id;
  plan->subgroup_created = created != NULL;
  if (created != NULL)
    kt_priv_plan_push_key(plan, &created->key);

  /* join rekey: each path key other members hold, under its old version */
  if (join_rekey) {
    for (KtNode *y = x; y != NULL; y = parent_of(t, y)) {
      if (y == created || y->leaves < 2)
        continue;
      KtKey *k = node_key(t, y);
      KtKeyRef old = kt_priv_rekey(t, k, plan);
      if (y == x && y->parent != KT_LKH_NONE)
        plan->subgroup_changed = true;
      to_holders(t, plan, y, old, k->ref, ue, rnc, NULL);
    }
  }
  /* the split leaf gets the new node's key */
  if (created != NULL) {
    uint32_t urnc = kt_priv_rnc_of_ue(t, split_ue);
    kt_priv_deliver(plan, stage_of(t, plan, urnc, false), KT_TO_UE, split_ue, urnc, KT_NO_UE,
                    kt_priv_ue(t, split_ue)->priv.ref, &created->key.ref, 1);
  }
  /* the joiner gets its path, bottom-up, in one message */
  KtKeyRef path[KT_PLAN_MAX_KEYS];
  guint n = 0;
  for (KtNode *y = x; y != NULL; y = parent_of(t, y))
    path[n++] = node_key(t, y)->ref;
  g_assert(n == x->depth);
  kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ue, rnc, KT_NO_UE, rec->priv.ref, path, n);
}

static void lkh_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  uint32_t scope = plan->scope;

  KtNode *x = node_at(t, rec->subgroup);
  plan->subgroup = x->id;
  remove_child(t, x, rec->sg_pos);
  path_count(t, x, rec->cell, -1);
  kt_priv_detach_cell(t, ue);
  while (x->parent != KT_LKH_NONE && x->n_children == 0) {
    KtNode *p = parent_of(t, x);
    remove_child(t, p, x->pos);
    if (x->id == plan->subgroup)
      plan->subgroup_deleted = true;
    node_free(t, x);
    x = p;
  }
  if (t->scope_count[scope] > 0) {
    for (KtNode *y = x; y != NULL; y = parent_of(t, y)) {
      bool root = y->parent == KT_LKH_NONE;
      KtKey *k = node_key(t, y);
      kt_priv_rekey(t, k, plan);
      if (!root && y->id == plan->subgroup)
        plan->subgroup_changed = true;
      to_children(t, y, k, plan, root);
    }
  }
}

/* Node `y` (alive, not a root) changes as a leave of one of its holders
 * would change it: its new key wrapped under the current key of each of
 * its children (a UE's private key: point-to-point; a node's key:
 * point-to-multipoint to the members below it, per RNC). Stages as for
 * any plan of the event (stage_of). */
static void rekey_node(KtTree *t, KtNode *y, KtPlan *plan) {
  KtKey *k = &y->key;
  kt_priv_rekey(t, k, plan);
  to_children(t, y, k, plan, false);
}

/* Lazy handover rekey (kt_scheme.h): at the leave of a UE that moved away
 * from node `index`. */
static void lkh_rekey_stale(KtTree *t, uint32_t index, KtPlan *plan) {
  rekey_node(t, node_at(t, index), plan);
}

static bool on_path(const uint32_t *path, guint n, uint32_t id) {
  for (guint i = 0; i < n; i++)
    if (path[i] == id)
      return true;
  return false;
}

/* Move within the scope (docs/flows.md, "Handover", lkh).
 *
 * Within an RNC (and in embodiment 2, whose scopes are RNCs): the leaf
 * keeps its place and path, no key it holds changes; only the per-RNC and
 * per-cell leaf counts along its path (where deliveries to its nodes are
 * sent) follow its new cell.
 *
 * Embodiment 1, another RNC: the leaf moves to a place under its new RNC.
 * It leaves its place (nodes emptied are deleted, as on a leave), then is
 * placed by the placement rule restricted at each node to the children
 * with a member of its new RNC below them (place, `near`). A split gets
 * its member the new node's key point-to-point. The mover gets its whole
 * new path and the group key in one point-to-point message from its new
 * RNC. The nodes of its old path that are not on its new one (and still
 * exist) are keys it holds without being below them: eager, each changes
 * at once, bottom-up, as a leave of its holders would change it
 * (rekey_node); lazy, they are recorded as stale (rekeyed at its leave).
 * Deliveries of the old RNC are carried out by it on the relocation
 * request, those of the new RNC on the acknowledge (KT_STAGE_LOCAL), those
 * of any other RNC through the core (KT_STAGE_GROUP). */
static void lkh_move(KtTree *t, uint32_t ue, uint32_t cell, KtMoveRekey rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  KtNode *x = node_at(t, rec->subgroup);
  uint32_t from_rnc = kt_priv_rnc_of_cell(t, rec->cell);
  if (t->cfg.embodiment != 1 || from_rnc == plan->rnc) {
    path_count(t, x, rec->cell, -1);
    kt_priv_move_cell(t, ue, cell);
    path_count(t, x, cell, 1);
    return;
  }
  uint32_t old_path[KT_LKH_MAX_DEPTH], new_path[KT_LKH_MAX_DEPTH];
  guint n_old = 0, n_new = 0;
  for (KtNode *y = x; y->parent != KT_LKH_NONE; y = parent_of(t, y))
    old_path[n_old++] = y->id;
  /* out of its place */
  remove_child(t, x, rec->sg_pos);
  path_count(t, x, rec->cell, -1);
  while (x->parent != KT_LKH_NONE && x->n_children == 0) {
    KtNode *p = parent_of(t, x);
    remove_child(t, p, x->pos);
    if (x->id == plan->subgroup)
      plan->subgroup_deleted = true;
    node_free(t, x);
    x = p;
  }
  kt_priv_move_cell(t, ue, cell);
  /* into a place under its new RNC */
  KtNode *created = NULL;
  uint32_t split_ue = KT_NO_UE;
  KtNode *p = place(t, plan->scope, ue, cell, plan->rnc, false, &created, &split_ue);
  if (p->id != plan->subgroup)
    plan->old_subgroup = plan->subgroup;
  plan->subgroup = p->id;
  plan->subgroup_created = created != NULL;
  if (created != NULL) {
    kt_priv_plan_push_key(plan, &created->key);
    uint32_t urnc = kt_priv_rnc_of_ue(t, split_ue);
    kt_priv_deliver(plan, stage_of(t, plan, urnc, false), KT_TO_UE, split_ue, urnc, KT_NO_UE,
                    kt_priv_ue(t, split_ue)->priv.ref, &created->key.ref, 1);
  }
  KtKeyRef keys[KT_PLAN_MAX_KEYS];
  guint n_keys = 0;
  for (KtNode *y = p; y != NULL; y = parent_of(t, y)) {
    keys[n_keys++] = node_key(t, y)->ref;
    if (y->parent != KT_LKH_NONE) {
      new_path[n_new++] = y->id;
      kt_priv_stale_remove(t, ue, y->id); /* a holder again, as a member */
    }
  }
  kt_priv_deliver(plan, KT_STAGE_LOCAL, KT_TO_UE, ue, plan->rnc, KT_NO_UE, rec->priv.ref, keys,
                  n_keys);
  /* the old path's keys it holds without being below them, bottom-up */
  for (guint i = 0; i < n_old; i++) {
    KtNode *y = node_at(t, old_path[i]);
    if (y == NULL || on_path(new_path, n_new, y->id))
      continue;
    if (rekey == KT_MOVE_LAZY) {
      kt_priv_stale_add(t, ue, y->id);
    } else {
      rekey_node(t, y, plan);
      plan->subgroup_changed = true;
    }
  }
  /* the old RNC carries out its deliveries on the relocation request */
  for (guint i = 0; i < plan->deliveries->len; i++) {
    KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if (d->rnc == from_rnc)
      d->stage = KT_STAGE_LOCAL;
  }
}

/* ---- queries -------------------------------------------------------------- */

guint kt_tree_lkh_depth(const KtTree *t, uint32_t scope) {
  g_assert(t != NULL);
  if (t->ops != &kt_lkh_ops)
    return 0;
  const KtNode *root = node_at(t, scope);
  if (root == NULL || root->leaves == 0)
    return 0;
  guint depth = 0;
  for (guint i = 0; i < lkh(t)->nodes->len; i++) {
    const KtNode *n = g_ptr_array_index(lkh(t)->nodes, i);
    if (n != NULL && n->scope == scope && n->depth > depth)
      depth = n->depth;
  }
  return depth;
}

guint kt_tree_lkh_nodes(const KtTree *t) {
  g_assert(t != NULL);
  return t->ops == &kt_lkh_ops ? lkh(t)->n_live : 0;
}

/* ---- invariants ----------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check (lkh): " __VA_ARGS__);                                                \
  } while (0)

static void lkh_check(const KtTree *t) {
  /* each member: under a node of its own scope's tree, at its position */
  for (guint u = 0; u < t->ues->len; u++) {
    const KtUeRec *rec = kt_priv_member(t, u);
    if (rec == NULL)
      continue;
    const KtNode *p = node_at(t, rec->subgroup);
    CHECK(p != NULL && rec->sg_pos < p->n_children &&
              p->children[rec->sg_pos] == (KT_LKH_UE_BIT | u),
          "UE %u: not at position %u of node %u", u, rec->sg_pos, rec->subgroup);
    CHECK(p->scope == kt_priv_scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell)),
          "UE %u: in the tree of another scope", u);
  }
  guint live = 0;
  GArray *sum = g_array_new(FALSE, FALSE, sizeof(KtRncCount));
  GArray *sum_cells = g_array_new(FALSE, FALSE, sizeof(KtRncCount));
  for (guint id = 0; id < lkh(t)->nodes->len; id++) {
    const KtNode *n = node_at(t, id);
    if (id < t->n_scopes)
      CHECK(n != NULL && n->parent == KT_LKH_NONE && n->scope == id && n->depth == 1,
            "root %u missing or misplaced", id);
    if (n == NULL)
      continue;
    live++;
    CHECK(n->id == id, "node %u: stored id %u", id, n->id);
    CHECK(n->n_children <= lkh(t)->degree, "node %u: %u children > degree", id, n->n_children);
    CHECK(n->depth <= KT_LKH_MAX_DEPTH, "node %u: depth %u", id, n->depth);
    if (n->parent != KT_LKH_NONE) {
      const KtNode *p = node_at(t, n->parent);
      CHECK(p != NULL && n->pos < p->n_children && p->children[n->pos] == id,
            "node %u: parent %u does not point back", id, n->parent);
      CHECK(p->scope == n->scope && n->depth == p->depth + 1, "node %u: scope or depth", id);
      CHECK(n->n_children >= 1, "node %u: live but empty", id);
      CHECK(n->key.ref.id == KT_KEY_ID(KT_KEY_SUBGROUP, id) && n->key.ref.version >= 1,
            "node %u: key ref", id);
    }
    uint32_t leaves = 0;
    g_array_set_size(sum, 0);
    g_array_set_size(sum_cells, 0);
    for (uint32_t i = 0; i < n->n_children; i++) {
      uint32_t e = n->children[i];
      if (entry_is_ue(e)) {
        uint32_t u = e & ~KT_LKH_UE_BIT;
        const KtUeRec *rec = kt_priv_ue(t, u);
        CHECK(rec != NULL && (rec->flags & KT_UE_MEMBER) && rec->subgroup == id && rec->sg_pos == i,
              "node %u child %u: UE %u does not point back", id, i, u);
        leaves++;
        kt_priv_rncs_add(sum, kt_priv_rnc_of_cell(t, rec->cell), 1);
        kt_priv_rncs_add(sum_cells, rec->cell, 1);
      } else {
        const KtNode *c = node_at(t, e);
        CHECK(c != NULL && c->parent == id && c->pos == i, "node %u child %u: node %u", id, i, e);
        leaves += c->leaves;
        for (guint j = 0; j < c->rncs->len; j++) {
          const KtRncCount *rc = &g_array_index(c->rncs, KtRncCount, j);
          kt_priv_rncs_add(sum, rc->rnc, (int)rc->count);
        }
        for (guint j = 0; j < c->cells->len; j++) {
          const KtRncCount *cc = &g_array_index(c->cells, KtRncCount, j);
          kt_priv_rncs_add(sum_cells, cc->rnc, (int)cc->count);
        }
      }
    }
    CHECK(leaves == n->leaves, "node %u: %u leaves below, count %u", id, leaves, n->leaves);
    CHECK(sum->len == n->rncs->len && (sum->len == 0 || memcmp(sum->data, n->rncs->data,
                                                               sum->len * sizeof(KtRncCount)) == 0),
          "node %u: per-RNC counts", id);
    CHECK(sum_cells->len == n->cells->len &&
              (sum_cells->len == 0 ||
               memcmp(sum_cells->data, n->cells->data, sum_cells->len * sizeof(KtRncCount)) == 0),
          "node %u: per-cell counts", id);
    if (n->parent == KT_LKH_NONE)
      CHECK(n->leaves == t->scope_count[n->scope], "root %u: %u leaves, scope has %u", id,
            n->leaves, t->scope_count[n->scope]);
  }
  g_array_free(sum, TRUE);
  g_array_free(sum_cells, TRUE);
  CHECK(live == lkh(t)->n_live, "%u live nodes, count %u", live, lkh(t)->n_live);
}

/* ---- batch rekeying (Li, Yang, Gouda, Lam 2001) ------------------------- */

static void mark_path(const KtTree *t, GHashTable *marked, KtNode *x) {
  for (; x != NULL; x = parent_of(t, x)) {
    if (g_hash_table_contains(marked, GUINT_TO_POINTER(x->id)))
      break; /* its ancestors are marked already */
    g_hash_table_add(marked, GUINT_TO_POINTER(x->id));
  }
}

static gint by_depth_desc(gconstpointer a, gconstpointer b, gpointer tp) {
  const KtTree *t = tp;
  const KtNode *x = node_at(t, *(const guint32 *)a);
  const KtNode *y = node_at(t, *(const guint32 *)b);
  if (x->depth != y->depth)
    return x->depth > y->depth ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void lkh_batch(KtTree *t, uint32_t scope, KtPlan *plan) {
  const KtBatchOp *ops = (const KtBatchOp *)(const void *)plan->batch->data;
  guint n = plan->batch->len, n_leave = 0;
  while (n_leave < n && !ops[n_leave].join)
    n_leave++;
  guint n_join = n - n_leave, pairs = MIN(n_leave, n_join);
  GHashTable *marked = g_hash_table_new(g_direct_hash, g_direct_equal);
  GHashTable *created = g_hash_table_new(g_direct_hash, g_direct_equal);
  GHashTable *joiners = g_hash_table_new(g_direct_hash, g_direct_equal);

  /* The first `pairs` leavers leave a hole (kept for a joiner: a UE may
   * both leave and join in one batch, so every leaver goes before any
   * joiner comes) */
  uint32_t *hole_node = g_new(uint32_t, pairs ? pairs : 1);
  for (guint i = 0; i < pairs; i++) {
    KtUeRec *rec = kt_priv_ue(t, ops[i].ue);
    KtNode *x = node_at(t, rec->subgroup);
    hole_node[i] = x->id;
    set_child(t, x, rec->sg_pos, KT_LKH_HOLE);
    path_count(t, x, rec->cell, -1);
    kt_priv_detach_cell(t, ops[i].ue);
  }
  /* leftover leavers */
  for (guint i = pairs; i < n_leave; i++) {
    KtUeRec *rec = kt_priv_ue(t, ops[i].ue);
    KtNode *x = node_at(t, rec->subgroup);
    remove_child(t, x, rec->sg_pos);
    path_count(t, x, rec->cell, -1);
    kt_priv_detach_cell(t, ops[i].ue);
    while (x->parent != KT_LKH_NONE && x->n_children == 0) {
      KtNode *p = parent_of(t, x);
      remove_child(t, p, x->pos);
      node_free(t, x);
      x = p;
    }
    mark_path(t, marked, x);
  }
  /* the first joiners take the leavers' places (a node with a hole is never
   * emptied, so it is still there) */
  for (guint i = 0; i < pairs; i++) {
    const KtBatchOp *j = &ops[n_leave + i];
    KtNode *x = node_at(t, hole_node[i]);
    uint32_t pos = 0;
    while (x->children[pos] != KT_LKH_HOLE)
      pos++;
    kt_priv_ue_ensure(t, j->ue);
    kt_priv_attach_cell(t, j->ue, j->cell);
    set_child(t, x, pos, KT_LKH_UE_BIT | j->ue);
    path_count(t, x, j->cell, 1);
    mark_path(t, marked, x);
    g_hash_table_add(joiners, GUINT_TO_POINTER(j->ue));
  }
  g_free(hole_node);
  /* leftover joiners */
  for (guint i = n_leave + pairs; i < n; i++) {
    kt_priv_ue_ensure(t, ops[i].ue);
    KtNode *made = NULL;
    uint32_t split_ue;
    KtNode *x = place(t, scope, ops[i].ue, ops[i].cell, KT_LKH_NONE, true, &made, &split_ue);
    if (made != NULL) {
      g_hash_table_add(created, GUINT_TO_POINTER(made->id));
      kt_priv_plan_push_key(plan, &made->key);
    }
    mark_path(t, marked, x);
    g_hash_table_add(joiners, GUINT_TO_POINTER(ops[i].ue));
  }

  if (t->scope_count[scope] > 0) {
    /* batch joiners below each node, per RNC: a node's audience that is all
     * batch joiners gets no point-to-multipoint message (they get their
     * whole path point-to-point) */
    GHashTable *joiners_below =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
    for (guint i = n_leave; i < n; i++) {
      const KtUeRec *rec = kt_priv_ue(t, ops[i].ue);
      uint32_t jrnc = kt_priv_rnc_of_cell(t, rec->cell);
      for (KtNode *y = node_at(t, rec->subgroup); y != NULL; y = parent_of(t, y)) {
        GArray *a = g_hash_table_lookup(joiners_below, GUINT_TO_POINTER(y->id));
        if (a == NULL) {
          a = g_array_new(FALSE, FALSE, sizeof(KtRncCount));
          g_hash_table_insert(joiners_below, GUINT_TO_POINTER(y->id), a);
        }
        kt_priv_rncs_add(a, jrnc, 1);
      }
    }
    /* each marked key once, bottom-up */
    GArray *order = g_array_new(FALSE, FALSE, sizeof(guint32));
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, marked);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
      guint32 id = GPOINTER_TO_UINT(key);
      if (node_at(t, id) != NULL)
        g_array_append_val(order, id);
    }
    g_array_sort_with_data(order, by_depth_desc, t);
    for (guint i = 0; i < order->len; i++) {
      KtNode *y = node_at(t, g_array_index(order, guint32, i));
      bool root = y->parent == KT_LKH_NONE;
      KtKey *k = node_key(t, y);
      if (g_hash_table_contains(created, GUINT_TO_POINTER(y->id))) {
        /* A node made by a split in this batch is new: nobody holds an
         * old version, and its members are batch joiners and at most one
         * old member, the one it was split from (later splits below it
         * only add joiners, so its node children are new too). That old
         * member gets, in one point-to-point message, the keys of every
         * new node on its path, bottom-up; nothing goes point-to-
         * multipoint under or for a new node's key. */
        for (uint32_t c = 0; c < y->n_children; c++) {
          uint32_t e = y->children[c];
          if (!entry_is_ue(e) ||
              g_hash_table_contains(joiners, GUINT_TO_POINTER(e & ~KT_LKH_UE_BIT)))
            continue;
          uint32_t m = e & ~KT_LKH_UE_BIT;
          KtKeyRef keys[KT_PLAN_MAX_KEYS];
          guint len = 0;
          for (KtNode *z = y; z != NULL && g_hash_table_contains(created, GUINT_TO_POINTER(z->id));
               z = parent_of(t, z))
            keys[len++] = z->key.ref;
          uint32_t mrnc = kt_priv_rnc_of_ue(t, m);
          kt_priv_deliver(plan, stage_of(t, plan, mrnc, false), KT_TO_UE, m, mrnc, KT_NO_UE,
                          kt_priv_ue(t, m)->priv.ref, keys, len);
        }
        continue;
      }
      kt_priv_rekey(t, k, plan);
      for (uint32_t c = 0; c < y->n_children; c++) {
        uint32_t e = y->children[c];
        if (entry_is_ue(e)) {
          uint32_t m = e & ~KT_LKH_UE_BIT;
          if (g_hash_table_contains(joiners, GUINT_TO_POINTER(m)))
            continue;
          uint32_t mrnc = kt_priv_rnc_of_ue(t, m);
          kt_priv_deliver(plan, stage_of(t, plan, mrnc, root), KT_TO_UE, m, mrnc, KT_NO_UE,
                          kt_priv_ue(t, m)->priv.ref, &k->ref, 1);
        } else {
          KtNode *ch = node_at(t, e);
          to_holders(t, plan, ch, node_key(t, ch)->ref, k->ref, KT_NO_UE, 0,
                     g_hash_table_lookup(joiners_below, GUINT_TO_POINTER(ch->id)));
        }
      }
    }
    g_hash_table_destroy(joiners_below);
    g_array_free(order, TRUE);
    /* each joiner: its path, bottom-up, in one message */
    for (guint i = n_leave; i < n; i++) {
      const KtUeRec *rec = kt_priv_ue(t, ops[i].ue);
      KtKeyRef path[KT_PLAN_MAX_KEYS];
      guint len = 0;
      for (KtNode *y = node_at(t, rec->subgroup); y != NULL; y = parent_of(t, y))
        path[len++] = node_key(t, y)->ref;
      uint32_t jrnc = kt_priv_rnc_of_cell(t, rec->cell);
      kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ops[i].ue, jrnc, KT_NO_UE, rec->priv.ref,
                      path, len);
    }
  }
  g_hash_table_destroy(marked);
  g_hash_table_destroy(created);
  g_hash_table_destroy(joiners);
}

/* ---- queries -------------------------------------------------------------- */

static guint lkh_member_keys(const KtTree *t, const KtUeRec *rec, const KtKey **out, guint cap) {
  guint n = 0;
  for (const KtNode *x = node_at(t, rec->subgroup); x->parent != KT_LKH_NONE;
       x = node_at(t, x->parent))
    if (n < cap)
      out[n++] = &x->key;
  return n;
}

static const KtKey *lkh_interior_key(const KtTree *t, uint32_t index) {
  const KtNode *n = node_at(t, index);
  return n != NULL && n->parent != KT_LKH_NONE ? &n->key : NULL;
}

/* Whether member `rec` is below node `node`. */
static bool below_node(const KtTree *t, const KtUeRec *rec, uint32_t node) {
  for (uint32_t x = rec->subgroup; x != KT_LKH_NONE; x = node_at(t, x)->parent)
    if (x == node)
      return true;
  return false;
}

/* The cells of the node's members at the delivery's RNC, from its per-cell
 * counts (ascending already); a cell whose only member there is the
 * excluded UE is left out. O(cells below the node). */
static void lkh_audience_cells(const KtTree *t, const KtDelivery *d, GArray *out) {
  const KtNode *n = d->target == KT_TO_NODE ? node_at(t, d->target_id) : NULL;
  if (n == NULL || d->rnc >= t->cfg.n_rnc)
    return;
  const KtUeRec *ex = d->exclude_ue != KT_NO_UE ? kt_priv_member(t, d->exclude_ue) : NULL;
  uint32_t ex_cell = ex != NULL && below_node(t, ex, n->id) ? ex->cell : UINT32_MAX;
  uint32_t lo = d->rnc * t->cfg.cells_per_rnc, hi = lo + t->cfg.cells_per_rnc;
  bool found;
  for (guint i = kt_priv_rncs_find(n->cells, lo, &found); i < n->cells->len; i++) {
    const KtRncCount *cc = &g_array_index(n->cells, KtRncCount, i);
    if (cc->rnc >= hi)
      break;
    if (cc->count > (cc->rnc == ex_cell ? 1u : 0u))
      g_array_append_val(out, cc->rnc);
  }
}

static bool lkh_in_audience(const KtTree *t, const KtDelivery *d, const KtUeRec *rec) {
  return d->target == KT_TO_NODE && kt_priv_rnc_of_cell(t, rec->cell) == d->rnc &&
         below_node(t, rec, d->target_id);
}

const KtSchemeOps kt_lkh_ops = {
    .name = "lkh",
    .forward_secure = true,
    .node_keys = true,
    .init = lkh_init,
    .fini = lkh_fini,
    .join = lkh_join,
    .leave = lkh_leave,
    .move = lkh_move,
    .rekey_stale = lkh_rekey_stale,
    .batch = lkh_batch,
    .member_keys = lkh_member_keys,
    .interior_key = lkh_interior_key,
    .audience_cells = lkh_audience_cells,
    .in_audience = lkh_in_audience,
    .check = lkh_check,
};
