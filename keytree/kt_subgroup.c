/* kt_subgroup.c — the patent scheme's sub-groups (kt_subgroup.h). */
#include "keytree/kt_subgroup.h"

static uint32_t unit_of_cell(const KtTree *t, uint32_t cell) {
  return t->cfg.policy == KT_POLICY_PER_CELL ? cell : kt_priv_rnc_of_cell(t, cell);
}

KtSubgroups *kt_subgroups_new(const KtTree *t) {
  KtSubgroups *s = g_new0(KtSubgroups, 1);
  s->n_units = t->cfg.policy == KT_POLICY_PER_CELL ? t->n_cells : t->cfg.n_rnc;
  s->sgs = g_ptr_array_new();
  s->sg_rnc = g_array_new(FALSE, FALSE, sizeof(guint32));
  s->rnc_sgs = g_new0(GArray *, t->cfg.n_rnc);
  for (uint32_t r = 0; r < t->cfg.n_rnc; r++)
    s->rnc_sgs[r] = g_array_new(FALSE, FALSE, sizeof(guint32));
  s->open = g_new0(GArray *, s->n_units);
  for (uint32_t u = 0; u < s->n_units; u++)
    s->open[u] = g_array_new(FALSE, FALSE, sizeof(guint32));
  return s;
}

static void subgroup_free(KtSubgroup *sg) {
  kt_key_wipe(&sg->key);
  g_free(sg->members);
  g_free(sg);
}

void kt_subgroups_free(KtSubgroups *s, const KtTree *t) {
  if (s == NULL)
    return;
  for (guint i = 0; i < s->sgs->len; i++)
    if (g_ptr_array_index(s->sgs, i) != NULL)
      subgroup_free(g_ptr_array_index(s->sgs, i));
  g_ptr_array_free(s->sgs, TRUE);
  g_array_free(s->sg_rnc, TRUE);
  for (uint32_t r = 0; r < t->cfg.n_rnc; r++)
    g_array_free(s->rnc_sgs[r], TRUE);
  g_free(s->rnc_sgs);
  for (uint32_t u = 0; u < s->n_units; u++)
    g_array_free(s->open[u], TRUE);
  g_free(s->open);
  g_free(s);
}

/* ---- open sub-groups: a min-heap of ids per placement unit ------------ */

static uint32_t heap_at(const GArray *h, guint i) {
  return g_array_index(h, guint32, i);
}

static void heap_set(KtSubgroups *s, GArray *h, guint i, uint32_t id) {
  g_array_index(h, guint32, i) = id;
  kt_subgroups_get(s, id)->heap_pos = i;
}

static void heap_sift_up(KtSubgroups *s, GArray *h, guint i) {
  uint32_t id = heap_at(h, i);
  while (i > 0) {
    guint parent = (i - 1) / 2;
    uint32_t p = heap_at(h, parent);
    if (p <= id)
      break;
    heap_set(s, h, i, p);
    i = parent;
  }
  heap_set(s, h, i, id);
}

static void heap_sift_down(KtSubgroups *s, GArray *h, guint i) {
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
    heap_set(s, h, i, c);
    i = child;
  }
  heap_set(s, h, i, id);
}

static void heap_push(KtSubgroups *s, KtSubgroup *sg) {
  g_assert(sg->heap_pos == KT_NOT_IN_HEAP);
  GArray *h = s->open[sg->unit];
  g_array_append_val(h, sg->id);
  heap_sift_up(s, h, h->len - 1);
}

static void heap_remove(KtSubgroups *s, KtSubgroup *sg) {
  g_assert(sg->heap_pos != KT_NOT_IN_HEAP);
  GArray *h = s->open[sg->unit];
  guint i = sg->heap_pos;
  guint last = h->len - 1;
  sg->heap_pos = KT_NOT_IN_HEAP;
  if (i != last) {
    uint32_t moved = heap_at(h, last);
    g_array_set_size(h, last);
    heap_set(s, h, i, moved);
    heap_sift_up(s, h, i);
    heap_sift_down(s, h, kt_subgroups_get(s, moved)->heap_pos);
  } else {
    g_array_set_size(h, last);
  }
}

/* ---- mutation --------------------------------------------------------- */

KtSubgroup *kt_subgroups_find_open(const KtSubgroups *s, const KtTree *t, uint32_t cell) {
  const GArray *h = s->open[unit_of_cell(t, cell)];
  return h->len == 0 ? NULL : kt_subgroups_get(s, heap_at(h, 0));
}

KtSubgroup *kt_subgroups_create(KtSubgroups *s, KtTree *t, uint32_t cell) {
  uint32_t id = s->sgs->len;
  g_assert(id <= KT_KEY_INDEX_MAX);
  KtSubgroup *sg = g_new0(KtSubgroup, 1);
  sg->id = id;
  sg->rnc = kt_priv_rnc_of_cell(t, cell);
  sg->unit = unit_of_cell(t, cell);
  sg->heap_pos = KT_NOT_IN_HEAP;
  kt_keygen_fresh(t->gen, &sg->key, (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, id), 1});
  g_ptr_array_add(s->sgs, sg);
  g_array_append_val(s->sg_rnc, sg->rnc);
  g_array_append_val(s->rnc_sgs[sg->rnc], id); /* largest id so far: stays sorted */
  heap_push(s, sg);
  s->n_live++;
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

void kt_subgroups_delete(KtSubgroups *s, KtSubgroup *sg) {
  g_assert(sg->n == 0);
  if (sg->heap_pos != KT_NOT_IN_HEAP)
    heap_remove(s, sg);
  gssize at = sorted_find(s->rnc_sgs[sg->rnc], sg->id);
  g_assert(at >= 0);
  g_array_remove_index(s->rnc_sgs[sg->rnc], (guint)at);
  g_ptr_array_index(s->sgs, sg->id) = NULL;
  s->n_live--;
  subgroup_free(sg);
}

void kt_subgroups_attach(KtSubgroups *s, KtTree *t, uint32_t ue, uint32_t cell, KtSubgroup *sg) {
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
    heap_remove(s, sg);
}

KtSubgroup *kt_subgroups_detach(KtSubgroups *s, KtTree *t, uint32_t ue) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  g_assert(rec != NULL && (rec->flags & KT_UE_MEMBER));
  KtSubgroup *sg = kt_subgroups_get(s, rec->subgroup);
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
    heap_push(s, sg);
  return sg;
}

/* ---- invariants -------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check: " __VA_ARGS__);                                                      \
  } while (0)

void kt_subgroups_check(const KtSubgroups *s, const KtTree *t) {
  const KtConfig *cfg = &t->cfg;
  CHECK(s->sg_rnc->len == s->sgs->len, "sg_rnc has %u ids, sgs %u", s->sg_rnc->len, s->sgs->len);

  /* each member: in a live sub-group of its unit, at its position */
  for (guint u = 0; u < t->ues->len; u++) {
    const KtUeRec *rec = kt_priv_member(t, u);
    if (rec == NULL)
      continue;
    const KtSubgroup *sg = kt_subgroups_get(s, rec->subgroup);
    CHECK(sg != NULL, "UE %u: sub-group %u is not alive", u, rec->subgroup);
    CHECK(rec->sg_pos < sg->n && sg->members[rec->sg_pos] == u,
          "UE %u: not at position %u of sub-group %u", u, rec->sg_pos, rec->subgroup);
    CHECK(sg->rnc == kt_priv_rnc_of_cell(t, rec->cell), "UE %u: cell %u outside RNC %u of sg %u",
          u, rec->cell, sg->rnc, sg->id);
    CHECK(sg->unit == unit_of_cell(t, rec->cell), "UE %u: cell %u outside unit %u of sg %u", u,
          rec->cell, sg->unit, sg->id);
  }

  guint live = 0, sg_members = 0, open_expected = 0;
  for (guint id = 0; id < s->sgs->len; id++) {
    const KtSubgroup *sg = kt_subgroups_get(s, id);
    CHECK(g_array_index(s->sg_rnc, guint32, id) < cfg->n_rnc, "sg %u: RNC out of range", id);
    if (sg == NULL)
      continue;
    live++;
    CHECK(sg->id == id, "sg %u: stored id %u", id, sg->id);
    CHECK(sg->rnc == g_array_index(s->sg_rnc, guint32, id), "sg %u: RNC mismatch", id);
    CHECK(sg->key.ref.id == KT_KEY_ID(KT_KEY_SUBGROUP, id) && sg->key.ref.version >= 1,
          "sub-group %u: key ref", id);
    CHECK(sg->n >= 1, "sg %u: live but empty", id);
    CHECK(sg->n <= cfg->subgroup_size && sg->n <= sg->cap, "sg %u: %u members > size %u", id, sg->n,
          cfg->subgroup_size);
    CHECK(sg->unit < s->n_units, "sg %u: unit out of range", id);
    for (uint32_t i = 0; i < sg->n; i++) {
      const KtUeRec *rec = kt_priv_member(t, sg->members[i]);
      CHECK(rec != NULL && rec->subgroup == id && rec->sg_pos == i,
            "sg %u position %u: UE %u does not point back", id, i, sg->members[i]);
    }
    sg_members += sg->n;
    CHECK(sorted_find(s->rnc_sgs[sg->rnc], id) >= 0, "sg %u: missing from RNC %u list", id,
          sg->rnc);
    if (sg->n < cfg->subgroup_size) {
      open_expected++;
      const GArray *h = s->open[sg->unit];
      CHECK(sg->heap_pos < h->len && heap_at(h, sg->heap_pos) == id,
            "sg %u: has room but not in the open heap of unit %u", id, sg->unit);
    } else {
      CHECK(sg->heap_pos == KT_NOT_IN_HEAP, "sg %u: full but in the open heap", id);
    }
  }
  CHECK(live == s->n_live, "%u live sub-groups, count %u", live, s->n_live);
  CHECK(sg_members == t->total, "sub-groups hold %u UEs, total %u", sg_members, t->total);

  guint listed = 0;
  for (uint32_t r = 0; r < cfg->n_rnc; r++) {
    const GArray *l = s->rnc_sgs[r];
    for (guint i = 0; i < l->len; i++) {
      uint32_t id = g_array_index(l, guint32, i);
      const KtSubgroup *sg = kt_subgroups_get(s, id);
      CHECK(sg != NULL && sg->rnc == r, "RNC %u list: sg %u dead or elsewhere", r, id);
      CHECK(i == 0 || g_array_index(l, guint32, i - 1) < id, "RNC %u list not in creation order",
            r);
    }
    listed += l->len;
  }
  CHECK(listed == live, "RNC lists hold %u sub-groups, %u live", listed, live);

  guint in_heaps = 0;
  for (uint32_t u = 0; u < s->n_units; u++) {
    const GArray *h = s->open[u];
    for (guint i = 0; i < h->len; i++) {
      uint32_t id = heap_at(h, i);
      const KtSubgroup *sg = kt_subgroups_get(s, id);
      CHECK(sg != NULL && sg->unit == u && sg->heap_pos == i,
            "open heap of unit %u position %u: sg %u dead or misplaced", u, i, id);
      CHECK(i == 0 || heap_at(h, (i - 1) / 2) < id, "open heap of unit %u: order broken", u);
    }
    in_heaps += h->len;
  }
  CHECK(in_heaps == open_expected, "open heaps hold %u sub-groups, %u have room", in_heaps,
        open_expected);
}
