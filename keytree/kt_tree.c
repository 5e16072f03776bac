/* kt_tree.c — the key tree's storage and queries (the planners that change
 * it on join and leave are kt_patent.c, kt_star.c and kt_lkh.c, reached
 * through kt_scheme.c). See kt_tree_private.h for layout. */
#include "keytree/kt_tree.h"

#include <stdlib.h>
#include <string.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_tree_private.h"

/* ---- creation ---------------------------------------------------------- */

KtTree *kt_tree_new(const KtConfig *config) {
  g_return_val_if_fail(config != NULL, NULL);
  g_return_val_if_fail(config->n_rnc >= 1 && config->cells_per_rnc >= 1, NULL);
  g_return_val_if_fail(config->subgroup_size >= 1, NULL);
  g_return_val_if_fail(config->embodiment == 1 || config->embodiment == 2, NULL);
  g_return_val_if_fail(config->policy == KT_POLICY_PER_CELL || config->policy == KT_POLICY_PER_RNC,
                       NULL);
  g_return_val_if_fail((uint64_t)config->n_rnc * config->cells_per_rnc <= UINT32_MAX - 1, NULL);
  g_return_val_if_fail(config->n_rnc - 1 <= KT_KEY_INDEX_MAX, NULL);
  g_return_val_if_fail(config->scheme >= KT_SCHEME_PATENT && config->scheme <= KT_SCHEME_LKH, NULL);
  g_return_val_if_fail(config->scheme != KT_SCHEME_LKH || config->lkh_degree != 1, NULL);

  KtTree *t = g_new0(KtTree, 1);
  t->cfg = *config;
  t->gen = kt_keygen_new(config->seed);
  t->n_cells = config->n_rnc * config->cells_per_rnc;
  t->n_scopes = config->embodiment == 1 ? 1 : config->n_rnc;
  t->n_units = config->policy == KT_POLICY_PER_CELL ? t->n_cells : config->n_rnc;
  const char *env = g_getenv("MBMS_KT_CHECK");
  t->check_each = env != NULL && env[0] != '\0' && strcmp(env, "0") != 0;

  t->ues = g_array_new(FALSE, TRUE, sizeof(KtUeRec));
  t->cell_ues = g_new0(GArray *, t->n_cells);
  for (uint32_t c = 0; c < t->n_cells; c++)
    t->cell_ues[c] = g_array_new(FALSE, FALSE, sizeof(guint32));
  t->rnc_count = g_new0(guint, config->n_rnc);
  t->scope_count = g_new0(guint, t->n_scopes);
  t->group = g_new0(KtKey, t->n_scopes);
  for (uint32_t s = 0; s < t->n_scopes; s++)
    kt_keygen_fresh(t->gen, &t->group[s], (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, s), 1});

  t->sgs = g_ptr_array_new();
  t->sg_rnc = g_array_new(FALSE, FALSE, sizeof(guint32));
  t->rnc_sgs = g_new0(GArray *, config->n_rnc);
  for (uint32_t r = 0; r < config->n_rnc; r++)
    t->rnc_sgs[r] = g_array_new(FALSE, FALSE, sizeof(guint32));
  t->open = g_new0(GArray *, t->n_units);
  for (uint32_t u = 0; u < t->n_units; u++)
    t->open[u] = g_array_new(FALSE, FALSE, sizeof(guint32));
  if (config->scheme == KT_SCHEME_LKH)
    kt_priv_lkh_init(t);
  return t;
}

static void subgroup_free(KtSubgroup *sg) {
  kt_key_wipe(&sg->key);
  g_free(sg->members);
  g_free(sg);
}

void kt_tree_free(KtTree *t) {
  if (t == NULL)
    return;
  for (guint i = 0; i < t->ues->len; i++)
    kt_key_wipe(&g_array_index(t->ues, KtUeRec, i).priv);
  g_array_free(t->ues, TRUE);
  for (uint32_t c = 0; c < t->n_cells; c++)
    g_array_free(t->cell_ues[c], TRUE);
  g_free(t->cell_ues);
  g_free(t->rnc_count);
  g_free(t->scope_count);
  for (uint32_t s = 0; s < t->n_scopes; s++)
    kt_key_wipe(&t->group[s]);
  g_free(t->group);
  for (guint i = 0; i < t->sgs->len; i++)
    if (g_ptr_array_index(t->sgs, i) != NULL)
      subgroup_free(g_ptr_array_index(t->sgs, i));
  g_ptr_array_free(t->sgs, TRUE);
  g_array_free(t->sg_rnc, TRUE);
  for (uint32_t r = 0; r < t->cfg.n_rnc; r++)
    g_array_free(t->rnc_sgs[r], TRUE);
  g_free(t->rnc_sgs);
  for (uint32_t u = 0; u < t->n_units; u++)
    g_array_free(t->open[u], TRUE);
  g_free(t->open);
  kt_priv_lkh_free(t);
  kt_keygen_free(t->gen);
  g_free(t);
}

const KtConfig *kt_tree_config(const KtTree *t) {
  g_assert(t != NULL);
  return &t->cfg;
}

struct KtKeyGen *kt_tree_keygen(KtTree *t) {
  g_assert(t != NULL);
  return t->gen;
}

/* ---- open sub-groups: a min-heap of ids per placement unit ------------ */

static uint32_t heap_at(const GArray *h, guint i) {
  return g_array_index(h, guint32, i);
}

static void heap_set(KtTree *t, GArray *h, guint i, uint32_t id) {
  g_array_index(h, guint32, i) = id;
  kt_priv_sg(t, id)->heap_pos = i;
}

static void heap_sift_up(KtTree *t, GArray *h, guint i) {
  uint32_t id = heap_at(h, i);
  while (i > 0) {
    guint parent = (i - 1) / 2;
    uint32_t p = heap_at(h, parent);
    if (p <= id)
      break;
    heap_set(t, h, i, p);
    i = parent;
  }
  heap_set(t, h, i, id);
}

static void heap_sift_down(KtTree *t, GArray *h, guint i) {
  uint32_t id = heap_at(h, i);
  guint n = h->len;
  for (;;) {
    guint child = 2 * i + 1;
    if (child >= n)
      break;
    if (child + 1 < n && heap_at(h, child + 1) < heap_at(h, child))
      child++;
    uint32_t c = heap_at(h, child);
    if (id <= c)
      break;
    heap_set(t, h, i, c);
    i = child;
  }
  heap_set(t, h, i, id);
}

static void heap_push(KtTree *t, KtSubgroup *sg) {
  g_assert(sg->heap_pos == KT_NOT_IN_HEAP);
  GArray *h = t->open[sg->unit];
  g_array_append_val(h, sg->id);
  heap_sift_up(t, h, h->len - 1);
}

static void heap_remove(KtTree *t, KtSubgroup *sg) {
  g_assert(sg->heap_pos != KT_NOT_IN_HEAP);
  GArray *h = t->open[sg->unit];
  guint i = sg->heap_pos;
  guint last = h->len - 1;
  sg->heap_pos = KT_NOT_IN_HEAP;
  if (i != last) {
    uint32_t moved = heap_at(h, last);
    g_array_set_size(h, last);
    heap_set(t, h, i, moved);
    heap_sift_up(t, h, i);
    heap_sift_down(t, h, kt_priv_sg(t, moved)->heap_pos);
  } else {
    g_array_set_size(h, last);
  }
}

/* ---- mutation helpers for the planner --------------------------------- */

KtUeRec *kt_priv_ue_ensure(KtTree *t, uint32_t ue) {
  g_assert(ue <= KT_KEY_INDEX_MAX);
  if (ue >= t->ues->len) {
    guint old = t->ues->len;
    g_array_set_size(t->ues, ue + 1);
    for (guint i = old; i < t->ues->len; i++)
      g_array_index(t->ues, KtUeRec, i).subgroup = KT_NO_SUBGROUP;
  }
  KtUeRec *rec = kt_priv_ue(t, ue);
  if (!(rec->flags & KT_UE_SEEN)) {
    kt_keygen_private(t->gen, &rec->priv, ue);
    rec->flags |= KT_UE_SEEN;
  }
  return rec;
}

static uint32_t unit_of_cell(const KtTree *t, uint32_t cell) {
  return t->cfg.policy == KT_POLICY_PER_CELL ? cell : kt_priv_rnc_of_cell(t, cell);
}

KtSubgroup *kt_priv_find_open(const KtTree *t, uint32_t cell) {
  const GArray *h = t->open[unit_of_cell(t, cell)];
  return h->len == 0 ? NULL : kt_priv_sg(t, heap_at(h, 0));
}

KtSubgroup *kt_priv_subgroup_new(KtTree *t, uint32_t cell) {
  uint32_t id = t->sgs->len;
  g_assert(id <= KT_KEY_INDEX_MAX);
  KtSubgroup *sg = g_new0(KtSubgroup, 1);
  sg->id = id;
  sg->rnc = kt_priv_rnc_of_cell(t, cell);
  sg->unit = unit_of_cell(t, cell);
  sg->heap_pos = KT_NOT_IN_HEAP;
  kt_keygen_fresh(t->gen, &sg->key, (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, id), 1});
  g_ptr_array_add(t->sgs, sg);
  g_array_append_val(t->sg_rnc, sg->rnc);
  g_array_append_val(t->rnc_sgs[sg->rnc], id); /* largest id so far: stays sorted */
  heap_push(t, sg);
  t->n_live++;
  return sg;
}

/* Index of `id` in an ascending guint32 array, or -1. */
static gssize sorted_find(const GArray *a, uint32_t id) {
  guint lo = 0, hi = a->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    uint32_t v = g_array_index(a, guint32, mid);
    if (v == id)
      return (gssize)mid;
    if (v < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

void kt_priv_subgroup_delete(KtTree *t, KtSubgroup *sg) {
  g_assert(sg->n == 0);
  if (sg->heap_pos != KT_NOT_IN_HEAP)
    heap_remove(t, sg);
  gssize at = sorted_find(t->rnc_sgs[sg->rnc], sg->id);
  g_assert(at >= 0);
  g_array_remove_index(t->rnc_sgs[sg->rnc], (guint)at);
  g_ptr_array_index(t->sgs, sg->id) = NULL;
  t->n_live--;
  subgroup_free(sg);
}

static uint32_t scope_of_rnc(const KtTree *t, uint32_t rnc) {
  return t->cfg.embodiment == 1 ? 0 : rnc;
}

void kt_priv_attach_cell(KtTree *t, uint32_t ue, uint32_t cell) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  g_assert(rec != NULL && !(rec->flags & KT_UE_MEMBER));
  rec->cell = cell;
  rec->cell_pos = t->cell_ues[cell]->len;
  g_array_append_val(t->cell_ues[cell], ue);
  rec->flags |= KT_UE_MEMBER;
  uint32_t rnc = kt_priv_rnc_of_cell(t, cell);
  t->rnc_count[rnc]++;
  t->scope_count[scope_of_rnc(t, rnc)]++;
  t->total++;
}

void kt_priv_attach(KtTree *t, uint32_t ue, uint32_t cell, KtSubgroup *sg) {
  g_assert(sg->n < t->cfg.subgroup_size && sg->heap_pos != KT_NOT_IN_HEAP);
  g_assert(sg->rnc == kt_priv_rnc_of_cell(t, cell) && sg->unit == unit_of_cell(t, cell));
  kt_priv_attach_cell(t, ue, cell);
  KtUeRec *rec = kt_priv_ue(t, ue);

  if (sg->n == sg->cap) {
    uint32_t cap = sg->cap < 2 ? 2 : sg->cap * 2;
    if (cap > t->cfg.subgroup_size || cap < sg->cap)
      cap = t->cfg.subgroup_size;
    sg->members = g_renew(uint32_t, sg->members, cap);
    sg->cap = cap;
  }
  rec->sg_pos = sg->n;
  sg->members[sg->n++] = ue;
  rec->subgroup = sg->id;
  if (sg->n == t->cfg.subgroup_size)
    heap_remove(t, sg);
}

void kt_priv_detach_cell(KtTree *t, uint32_t ue) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  g_assert(rec != NULL && (rec->flags & KT_UE_MEMBER));
  GArray *cu = t->cell_ues[rec->cell];
  guint last = cu->len - 1;
  if (rec->cell_pos != last) {
    uint32_t moved = g_array_index(cu, guint32, last);
    g_array_index(cu, guint32, rec->cell_pos) = moved;
    kt_priv_ue(t, moved)->cell_pos = rec->cell_pos;
  }
  g_array_set_size(cu, last);
  rec->flags &= ~(uint32_t)KT_UE_MEMBER;
  rec->subgroup = KT_NO_SUBGROUP;
  rec->cell_pos = 0;
  rec->sg_pos = 0;
  uint32_t rnc = kt_priv_rnc_of_cell(t, rec->cell);
  t->rnc_count[rnc]--;
  t->scope_count[scope_of_rnc(t, rnc)]--;
  t->total--;
}

KtSubgroup *kt_priv_detach(KtTree *t, uint32_t ue) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  g_assert(rec != NULL && (rec->flags & KT_UE_MEMBER));
  KtSubgroup *sg = kt_priv_sg(t, rec->subgroup);
  g_assert(sg != NULL);
  uint32_t sg_pos = rec->sg_pos;
  kt_priv_detach_cell(t, ue);

  bool was_full = sg->n == t->cfg.subgroup_size;
  uint32_t slast = sg->n - 1;
  if (sg_pos != slast) {
    uint32_t moved = sg->members[slast];
    sg->members[sg_pos] = moved;
    kt_priv_ue(t, moved)->sg_pos = sg_pos;
  }
  sg->n--;
  if (was_full)
    heap_push(t, sg);
  return sg;
}

void kt_priv_maybe_check(const KtTree *t) {
  if (t->check_each)
    kt_tree_check(t);
}

/* ---- queries ----------------------------------------------------------- */

static const KtUeRec *member_rec(const KtTree *t, uint32_t ue) {
  const KtUeRec *rec = kt_priv_ue(t, ue);
  return rec != NULL && (rec->flags & KT_UE_MEMBER) ? rec : NULL;
}

bool kt_tree_is_member(const KtTree *t, uint32_t ue) {
  g_assert(t != NULL);
  return member_rec(t, ue) != NULL;
}

uint32_t kt_tree_ue_cell(const KtTree *t, uint32_t ue) {
  g_assert(t != NULL);
  const KtUeRec *rec = member_rec(t, ue);
  return rec != NULL ? rec->cell : UINT32_MAX;
}

uint32_t kt_tree_ue_subgroup(const KtTree *t, uint32_t ue) {
  g_assert(t != NULL);
  const KtUeRec *rec = member_rec(t, ue);
  return rec != NULL ? rec->subgroup : KT_NO_SUBGROUP;
}

uint32_t kt_tree_scope_of_rnc(const KtTree *t, uint32_t rnc) {
  g_assert(t != NULL && rnc < t->cfg.n_rnc);
  return scope_of_rnc(t, rnc);
}

uint32_t kt_tree_n_scopes(const KtTree *t) {
  g_assert(t != NULL);
  return t->n_scopes;
}

guint kt_tree_scope_members(const KtTree *t, uint32_t scope) {
  g_assert(t != NULL);
  return scope < t->n_scopes ? t->scope_count[scope] : 0;
}

guint kt_tree_members(const KtTree *t) {
  g_assert(t != NULL);
  return t->total;
}

guint kt_tree_rnc_members(const KtTree *t, uint32_t rnc) {
  g_assert(t != NULL);
  return rnc < t->cfg.n_rnc ? t->rnc_count[rnc] : 0;
}

const uint32_t *kt_tree_cell_ues(const KtTree *t, uint32_t cell, guint *n) {
  g_assert(t != NULL && n != NULL);
  if (cell >= t->n_cells) {
    *n = 0;
    return NULL;
  }
  *n = t->cell_ues[cell]->len;
  return (const uint32_t *)(const void *)t->cell_ues[cell]->data;
}

const uint32_t *kt_tree_subgroup_ues(const KtTree *t, uint32_t subgroup, guint *n) {
  g_assert(t != NULL && n != NULL);
  const KtSubgroup *sg = kt_priv_sg(t, subgroup);
  if (sg == NULL) {
    *n = 0;
    return NULL;
  }
  *n = sg->n;
  return sg->members;
}

bool kt_tree_subgroup_alive(const KtTree *t, uint32_t subgroup) {
  g_assert(t != NULL);
  return kt_priv_sg(t, subgroup) != NULL;
}

uint32_t kt_tree_subgroup_rnc(const KtTree *t, uint32_t subgroup) {
  g_assert(t != NULL);
  if (subgroup >= t->sg_rnc->len)
    return UINT32_MAX;
  return g_array_index(t->sg_rnc, guint32, subgroup);
}

void kt_tree_rnc_subgroups(const KtTree *t, uint32_t rnc, GArray *out) {
  g_assert(t != NULL && out != NULL);
  g_assert(g_array_get_element_size(out) == sizeof(guint32));
  if (rnc >= t->cfg.n_rnc)
    return;
  const GArray *l = t->rnc_sgs[rnc];
  g_array_append_vals(out, l->data, l->len);
}

guint kt_tree_n_subgroups(const KtTree *t) {
  g_assert(t != NULL);
  return t->n_live;
}

const KtKey *kt_tree_group_key(const KtTree *t, uint32_t scope) {
  g_assert(t != NULL);
  return scope < t->n_scopes ? &t->group[scope] : NULL;
}

const KtKey *kt_tree_key(const KtTree *t, KtKeyId id) {
  g_assert(t != NULL);
  uint32_t index = KT_KEY_ID_INDEX(id);
  switch (KT_KEY_ID_KIND(id)) {
  case KT_KEY_GROUP:
    return kt_tree_group_key(t, index);
  case KT_KEY_SUBGROUP: {
    if (t->cfg.scheme == KT_SCHEME_LKH) {
      const KtNode *n = kt_priv_node(t, index);
      return n != NULL && n->parent != KT_LKH_NONE ? &n->key : NULL;
    }
    const KtSubgroup *sg = kt_priv_sg(t, index);
    return sg != NULL ? &sg->key : NULL;
  }
  case KT_KEY_PRIVATE: {
    const KtUeRec *rec = kt_priv_ue(t, index);
    return rec != NULL && (rec->flags & KT_UE_SEEN) ? &rec->priv : NULL;
  }
  case KT_KEY_CORE:
  default:
    return NULL;
  }
}

guint kt_tree_ue_keys(const KtTree *t, uint32_t ue, const KtKey **out, guint cap) {
  g_assert(t != NULL && out != NULL);
  const KtUeRec *rec = member_rec(t, ue);
  if (rec == NULL)
    return 0;
  guint n = 0;
  uint32_t scope = scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell));
  if (t->cfg.scheme == KT_SCHEME_PATENT) {
    if (n < cap)
      out[n++] = &kt_priv_sg(t, rec->subgroup)->key;
  } else if (t->cfg.scheme == KT_SCHEME_LKH) {
    for (const KtNode *x = kt_priv_node(t, rec->subgroup); x->parent != KT_LKH_NONE;
         x = kt_priv_node(t, x->parent))
      if (n < cap)
        out[n++] = &x->key;
  }
  if (n < cap)
    out[n++] = &t->group[scope];
  return n;
}

/* Whether member `rec` is below LKH node `node`. */
static bool below_node(const KtTree *t, const KtUeRec *rec, uint32_t node) {
  for (uint32_t x = rec->subgroup; x != KT_LKH_NONE; x = kt_priv_node(t, x)->parent)
    if (x == node)
      return true;
  return false;
}

/* Calls `fn` for each member below `n` at RNC `rnc`; subtrees without
 * members at `rnc` are skipped. */
static void lkh_visit(const KtTree *t, const KtNode *n, uint32_t rnc,
                      void (*fn)(const KtTree *, uint32_t, const KtUeRec *, void *), void *ctx) {
  if (!kt_priv_rncs_has(n->rncs, rnc))
    return;
  for (uint32_t i = 0; i < n->n_children; i++) {
    uint32_t e = n->children[i];
    if (e & KT_LKH_UE_BIT) {
      uint32_t u = e & ~KT_LKH_UE_BIT;
      const KtUeRec *rec = kt_priv_ue(t, u);
      if (kt_priv_rnc_of_cell(t, rec->cell) == rnc)
        fn(t, u, rec, ctx);
    } else {
      lkh_visit(t, kt_priv_node(t, e), rnc, fn, ctx);
    }
  }
}

typedef struct {
  uint32_t cell, exclude;
  GArray *out;
  guint8 *mark;
  uint32_t first;
} VisitCtx;

static void visit_in_cell(const KtTree *t, uint32_t ue, const KtUeRec *rec, void *p) {
  (void)t;
  VisitCtx *v = p;
  if (rec->cell == v->cell)
    g_array_append_val(v->out, ue);
}

static void visit_mark(const KtTree *t, uint32_t ue, const KtUeRec *rec, void *p) {
  (void)t;
  VisitCtx *v = p;
  if (ue != v->exclude)
    v->mark[rec->cell - v->first] = 1;
}

/* The cells marked by visit_mark, in order, into `out`. */
static void emit_marked(const VisitCtx *v, uint32_t cpr, GArray *out) {
  for (uint32_t c = 0; c < cpr; c++) {
    if (v->mark[c]) {
      guint32 cell = v->first + c;
      g_array_append_val(out, cell);
    }
  }
}

void kt_tree_holders_in_cell(const KtTree *t, KtKeyId id, uint32_t cell, GArray *out) {
  g_assert(t != NULL && out != NULL);
  if (cell >= t->n_cells)
    return;
  const GArray *cu = t->cell_ues[cell];
  uint32_t index = KT_KEY_ID_INDEX(id);
  switch (KT_KEY_ID_KIND(id)) {
  case KT_KEY_GROUP:
    if (index == scope_of_rnc(t, kt_priv_rnc_of_cell(t, cell)))
      g_array_append_vals(out, cu->data, cu->len);
    return;
  case KT_KEY_SUBGROUP: {
    if (t->cfg.scheme == KT_SCHEME_LKH) {
      const KtNode *n = kt_priv_node(t, index);
      if (n == NULL || n->parent == KT_LKH_NONE)
        return;
      if ((guint64)n->leaves <= (guint64)cu->len * n->depth) {
        VisitCtx v = {.cell = cell, .out = out};
        lkh_visit(t, n, kt_priv_rnc_of_cell(t, cell), visit_in_cell, &v);
      } else {
        for (guint i = 0; i < cu->len; i++) {
          uint32_t u = g_array_index(cu, guint32, i);
          if (below_node(t, kt_priv_ue(t, u), index))
            g_array_append_val(out, u);
        }
      }
      return;
    }
    const KtSubgroup *sg = kt_priv_sg(t, index);
    if (sg == NULL)
      return;
    for (uint32_t i = 0; i < sg->n; i++)
      if (kt_priv_ue(t, sg->members[i])->cell == cell)
        g_array_append_val(out, sg->members[i]);
    return;
  }
  default:
    return;
  }
}

void kt_tree_audience_cells(const KtTree *t, const KtDelivery *d, GArray *out) {
  g_assert(t != NULL && d != NULL && out != NULL);
  g_assert(g_array_get_element_size(out) == sizeof(guint32));
  switch (d->target) {
  case KT_TO_UE: {
    const KtUeRec *rec = member_rec(t, d->target_id);
    if (rec != NULL)
      g_array_append_val(out, rec->cell);
    return;
  }
  case KT_TO_SUBGROUP: {
    const KtSubgroup *sg = kt_priv_sg(t, d->target_id);
    if (sg == NULL)
      return;
    if (t->cfg.policy == KT_POLICY_PER_CELL) {
      /* every member is in the sub-group's one cell */
      for (uint32_t i = 0; i < sg->n; i++) {
        if (sg->members[i] != d->exclude_ue) {
          g_array_append_val(out, kt_priv_ue(t, sg->members[i])->cell);
          return;
        }
      }
      return;
    }
    uint32_t cpr = t->cfg.cells_per_rnc;
    guint8 small[256];
    VisitCtx v = {.exclude = d->exclude_ue, .first = sg->rnc * cpr};
    v.mark = cpr <= sizeof small ? small : g_malloc(cpr);
    memset(v.mark, 0, cpr);
    for (uint32_t i = 0; i < sg->n; i++)
      visit_mark(t, sg->members[i], kt_priv_ue(t, sg->members[i]), &v);
    emit_marked(&v, cpr, out);
    if (v.mark != small)
      g_free(v.mark);
    return;
  }
  case KT_TO_NODE: {
    const KtNode *n = kt_priv_node(t, d->target_id);
    if (n == NULL || d->rnc >= t->cfg.n_rnc)
      return;
    uint32_t cpr = t->cfg.cells_per_rnc;
    guint8 small[256];
    VisitCtx v = {.exclude = d->exclude_ue, .first = d->rnc * cpr};
    v.mark = cpr <= sizeof small ? small : g_malloc(cpr);
    memset(v.mark, 0, cpr);
    lkh_visit(t, n, d->rnc, visit_mark, &v);
    emit_marked(&v, cpr, out);
    if (v.mark != small)
      g_free(v.mark);
    return;
  }
  case KT_TO_RNC_GROUP: {
    if (d->target_id >= t->cfg.n_rnc)
      return;
    const KtUeRec *ex = member_rec(t, d->exclude_ue);
    uint32_t first = d->target_id * t->cfg.cells_per_rnc;
    for (uint32_t c = first; c < first + t->cfg.cells_per_rnc; c++) {
      guint n = t->cell_ues[c]->len;
      if (ex != NULL && ex->cell == c)
        n--;
      if (n > 0)
        g_array_append_val(out, c);
    }
    return;
  }
  }
  g_assert_not_reached();
}

bool kt_tree_in_audience(const KtTree *t, const KtDelivery *d, uint32_t ue) {
  g_assert(t != NULL && d != NULL);
  const KtUeRec *rec = member_rec(t, ue);
  if (rec == NULL)
    return false;
  switch (d->target) {
  case KT_TO_UE:
    return ue == d->target_id;
  case KT_TO_SUBGROUP:
    return ue != d->exclude_ue && rec->subgroup == d->target_id;
  case KT_TO_RNC_GROUP:
    return ue != d->exclude_ue && kt_priv_rnc_of_cell(t, rec->cell) == d->target_id;
  case KT_TO_NODE:
    return ue != d->exclude_ue && t->cfg.scheme == KT_SCHEME_LKH &&
           kt_priv_rnc_of_cell(t, rec->cell) == d->rnc && below_node(t, rec, d->target_id);
  }
  return false;
}

/* ---- invariants -------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check: " __VA_ARGS__);                                                      \
  } while (0)

static void check_key_ref(const KtKey *k, KtKeyId id, const char *what, uint32_t index) {
  CHECK(k->ref.id == id, "%s %u: key id %#x, expected %#x", what, index, k->ref.id, id);
  CHECK(k->ref.version >= 1, "%s %u: key version 0", what, index);
}

void kt_tree_check(const KtTree *t) {
  g_assert(t != NULL);
  const KtConfig *cfg = &t->cfg;
  CHECK(t->n_cells == cfg->n_rnc * cfg->cells_per_rnc, "cell count");
  CHECK(t->sg_rnc->len == t->sgs->len, "sg_rnc has %u ids, sgs %u", t->sg_rnc->len, t->sgs->len);

  /* group keys */
  for (uint32_t s = 0; s < t->n_scopes; s++)
    check_key_ref(&t->group[s], KT_KEY_ID(KT_KEY_GROUP, s), "group scope", s);

  /* UE records */
  guint members = 0;
  for (guint u = 0; u < t->ues->len; u++) {
    const KtUeRec *rec = kt_priv_ue(t, u);
    CHECK((rec->flags & ~(uint32_t)(KT_UE_SEEN | KT_UE_MEMBER)) == 0, "UE %u: bad flags %#x", u,
          rec->flags);
    if (rec->flags & KT_UE_SEEN) {
      check_key_ref(&rec->priv, KT_KEY_ID(KT_KEY_PRIVATE, u), "private key of UE", u);
      CHECK(rec->priv.ref.version == 1, "UE %u: private key version %u", u, rec->priv.ref.version);
    }
    if (!(rec->flags & KT_UE_MEMBER)) {
      CHECK(rec->subgroup == KT_NO_SUBGROUP, "UE %u: non-member in sub-group %u", u, rec->subgroup);
      continue;
    }
    members++;
    CHECK(rec->flags & KT_UE_SEEN, "UE %u: member without private key", u);
    CHECK(rec->cell < t->n_cells, "UE %u: cell %u out of range", u, rec->cell);
    const GArray *cu = t->cell_ues[rec->cell];
    CHECK(rec->cell_pos < cu->len && g_array_index(cu, guint32, rec->cell_pos) == u,
          "UE %u: not at position %u of cell %u", u, rec->cell_pos, rec->cell);
    if (cfg->scheme == KT_SCHEME_LKH) {
      const KtNode *p = kt_priv_node(t, rec->subgroup);
      CHECK(p != NULL && rec->sg_pos < p->n_children &&
                p->children[rec->sg_pos] == (KT_LKH_UE_BIT | u),
            "UE %u: not at position %u of node %u", u, rec->sg_pos, rec->subgroup);
      CHECK(p->scope == scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell)),
            "UE %u: in the tree of another scope", u);
      continue;
    }
    if (cfg->scheme != KT_SCHEME_PATENT) {
      CHECK(rec->subgroup == KT_NO_SUBGROUP, "UE %u: star member in sub-group %u", u,
            rec->subgroup);
      continue;
    }
    const KtSubgroup *sg = kt_priv_sg(t, rec->subgroup);
    CHECK(sg != NULL, "UE %u: sub-group %u is not alive", u, rec->subgroup);
    CHECK(rec->sg_pos < sg->n && sg->members[rec->sg_pos] == u,
          "UE %u: not at position %u of sub-group %u", u, rec->sg_pos, rec->subgroup);
    /* placement rule: a sub-group stays within its unit (cell or RNC) */
    CHECK(sg->rnc == kt_priv_rnc_of_cell(t, rec->cell), "UE %u: cell %u outside RNC %u of sg %u", u,
          rec->cell, sg->rnc, sg->id);
    CHECK(sg->unit == unit_of_cell(t, rec->cell), "UE %u: cell %u outside unit %u of sg %u", u,
          rec->cell, sg->unit, sg->id);
  }
  CHECK(members == t->total, "%u member records, total %u", members, t->total);

  /* cells and counts */
  guint *rnc_sum = g_new0(guint, cfg->n_rnc);
  guint cell_total = 0;
  for (uint32_t c = 0; c < t->n_cells; c++) {
    const GArray *cu = t->cell_ues[c];
    for (guint i = 0; i < cu->len; i++) {
      uint32_t u = g_array_index(cu, guint32, i);
      const KtUeRec *rec = member_rec(t, u);
      CHECK(rec != NULL && rec->cell == c && rec->cell_pos == i,
            "cell %u position %u: UE %u does not point back", c, i, u);
    }
    rnc_sum[kt_priv_rnc_of_cell(t, c)] += cu->len;
    cell_total += cu->len;
  }
  CHECK(cell_total == t->total, "cells hold %u UEs, total %u", cell_total, t->total);
  guint *scope_sum = g_new0(guint, t->n_scopes);
  for (uint32_t r = 0; r < cfg->n_rnc; r++) {
    CHECK(rnc_sum[r] == t->rnc_count[r], "RNC %u: cells hold %u, count %u", r, rnc_sum[r],
          t->rnc_count[r]);
    scope_sum[scope_of_rnc(t, r)] += rnc_sum[r];
  }
  for (uint32_t s = 0; s < t->n_scopes; s++)
    CHECK(scope_sum[s] == t->scope_count[s], "scope %u: RNCs hold %u, count %u", s, scope_sum[s],
          t->scope_count[s]);
  g_free(scope_sum);
  g_free(rnc_sum);

  /* sub-groups */
  guint live = 0, sg_members = 0, open_expected = 0;
  for (guint id = 0; id < t->sgs->len; id++) {
    const KtSubgroup *sg = kt_priv_sg(t, id);
    CHECK(g_array_index(t->sg_rnc, guint32, id) < cfg->n_rnc, "sg %u: RNC out of range", id);
    if (sg == NULL)
      continue;
    live++;
    CHECK(sg->id == id, "sg %u: stored id %u", id, sg->id);
    CHECK(sg->rnc == g_array_index(t->sg_rnc, guint32, id), "sg %u: RNC mismatch", id);
    check_key_ref(&sg->key, KT_KEY_ID(KT_KEY_SUBGROUP, id), "sub-group", id);
    CHECK(sg->n >= 1, "sg %u: live but empty", id);
    CHECK(sg->n <= cfg->subgroup_size && sg->n <= sg->cap, "sg %u: %u members > size %u", id, sg->n,
          cfg->subgroup_size);
    CHECK(sg->unit < t->n_units, "sg %u: unit out of range", id);
    for (uint32_t i = 0; i < sg->n; i++) {
      const KtUeRec *rec = member_rec(t, sg->members[i]);
      CHECK(rec != NULL && rec->subgroup == id && rec->sg_pos == i,
            "sg %u position %u: UE %u does not point back", id, i, sg->members[i]);
    }
    sg_members += sg->n;
    CHECK(sorted_find(t->rnc_sgs[sg->rnc], id) >= 0, "sg %u: missing from RNC %u list", id,
          sg->rnc);
    bool is_open = sg->n < cfg->subgroup_size;
    if (is_open) {
      open_expected++;
      const GArray *h = t->open[sg->unit];
      CHECK(sg->heap_pos < h->len && heap_at(h, sg->heap_pos) == id,
            "sg %u: has room but not in the open heap of unit %u", id, sg->unit);
    } else {
      CHECK(sg->heap_pos == KT_NOT_IN_HEAP, "sg %u: full but in the open heap", id);
    }
  }
  CHECK(live == t->n_live, "%u live sub-groups, count %u", live, t->n_live);
  CHECK(sg_members == (cfg->scheme == KT_SCHEME_PATENT ? t->total : 0),
        "sub-groups hold %u UEs, total %u", sg_members, t->total);
  if (cfg->scheme == KT_SCHEME_LKH)
    kt_priv_lkh_check(t);

  guint listed = 0;
  for (uint32_t r = 0; r < cfg->n_rnc; r++) {
    const GArray *l = t->rnc_sgs[r];
    for (guint i = 0; i < l->len; i++) {
      uint32_t id = g_array_index(l, guint32, i);
      const KtSubgroup *sg = kt_priv_sg(t, id);
      CHECK(sg != NULL && sg->rnc == r, "RNC %u list: sg %u dead or elsewhere", r, id);
      CHECK(i == 0 || g_array_index(l, guint32, i - 1) < id, "RNC %u list not in creation order",
            r);
    }
    listed += l->len;
  }
  CHECK(listed == live, "RNC lists hold %u sub-groups, %u live", listed, live);

  guint in_heaps = 0;
  for (uint32_t u = 0; u < t->n_units; u++) {
    const GArray *h = t->open[u];
    for (guint i = 0; i < h->len; i++) {
      uint32_t id = heap_at(h, i);
      const KtSubgroup *sg = kt_priv_sg(t, id);
      CHECK(sg != NULL && sg->unit == u && sg->heap_pos == i,
            "open heap of unit %u position %u: sg %u dead or misplaced", u, i, id);
      CHECK(i == 0 || heap_at(h, (i - 1) / 2) < id, "open heap of unit %u: order broken", u);
    }
    in_heaps += h->len;
  }
  CHECK(in_heaps == open_expected, "open heaps hold %u sub-groups, %u have room", in_heaps,
        open_expected);
}
