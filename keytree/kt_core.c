/* kt_core.c — the storage every scheme's tree shares (kt_core.h). */
#include "keytree/kt_core.h"

#include <string.h>

void kt_core_init(KtTree *t) {
  const KtConfig *config = &t->cfg;
  t->gen = kt_keygen_new(config->seed);
  t->n_cells = config->n_rnc * config->cells_per_rnc;
  t->n_scopes = config->embodiment == 1 ? 1 : config->n_rnc;
  t->ues = g_array_new(FALSE, TRUE, sizeof(KtUeRec));
  t->cell_ues = g_new0(GArray *, t->n_cells);
  for (uint32_t c = 0; c < t->n_cells; c++)
    t->cell_ues[c] = g_array_new(FALSE, FALSE, sizeof(guint32));
  t->rnc_count = g_new0(guint, config->n_rnc);
  t->scope_count = g_new0(guint, t->n_scopes);
  t->group = g_new0(KtKey, t->n_scopes);
  for (uint32_t s = 0; s < t->n_scopes; s++)
    kt_keygen_fresh(t->gen, &t->group[s], (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, s), 1});
}

void kt_core_fini(KtTree *t) {
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
  kt_keygen_free(t->gen);
}

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

void kt_priv_attach_cell(KtTree *t, uint32_t ue, uint32_t cell) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  g_assert(rec != NULL && !(rec->flags & KT_UE_MEMBER));
  rec->cell = cell;
  rec->cell_pos = t->cell_ues[cell]->len;
  g_array_append_val(t->cell_ues[cell], ue);
  rec->flags |= KT_UE_MEMBER;
  uint32_t rnc = kt_priv_rnc_of_cell(t, cell);
  t->rnc_count[rnc]++;
  t->scope_count[kt_priv_scope_of_rnc(t, rnc)]++;
  t->total++;
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
  t->scope_count[kt_priv_scope_of_rnc(t, rnc)]--;
  t->total--;
}

void kt_priv_scope_rncs(const KtTree *t, uint32_t scope, uint32_t *lo, uint32_t *hi) {
  *lo = t->cfg.embodiment == 1 ? 0 : scope;
  *hi = t->cfg.embodiment == 1 ? t->cfg.n_rnc : scope + 1;
}

guint kt_priv_rncs_find(const GArray *a, uint32_t rnc, bool *found) {
  guint lo = 0, hi = a->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    uint32_t v = g_array_index(a, KtRncCount, mid).rnc;
    if (v == rnc) {
      *found = true;
      return mid;
    }
    if (v < rnc)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

bool kt_priv_rncs_has(const GArray *a, uint32_t rnc) {
  bool found = false;
  kt_priv_rncs_find(a, rnc, &found);
  return found;
}

void kt_priv_rncs_add(GArray *a, uint32_t rnc, int delta) {
  bool found;
  guint i = kt_priv_rncs_find(a, rnc, &found);
  if (!found) {
    g_assert(delta > 0);
    KtRncCount rc = {rnc, (uint32_t)delta};
    g_array_insert_val(a, i, rc);
    return;
  }
  KtRncCount *rc = &g_array_index(a, KtRncCount, i);
  g_assert(delta > 0 || rc->count >= (uint32_t)-delta);
  rc->count = (uint32_t)((int64_t)rc->count + delta);
  if (rc->count == 0)
    g_array_remove_index(a, i);
}

uint32_t kt_priv_rncs_count(const GArray *a, uint32_t rnc) {
  bool found = false;
  guint i = a ? kt_priv_rncs_find(a, rnc, &found) : 0;
  return found ? g_array_index(a, KtRncCount, i).count : 0;
}

void kt_priv_marks_init(KtCellMarks *m, const KtTree *t, uint32_t rnc) {
  m->n = t->cfg.cells_per_rnc;
  m->first = rnc * m->n;
  m->mark = m->n <= sizeof m->small ? m->small : g_malloc(m->n);
  memset(m->mark, 0, m->n);
}

void kt_priv_marks_emit(KtCellMarks *m, GArray *out) {
  for (uint32_t c = 0; c < m->n; c++) {
    if (m->mark[c]) {
      guint32 cell = m->first + c;
      g_array_append_val(out, cell);
    }
  }
  if (m->mark != m->small)
    g_free(m->mark);
  m->mark = NULL;
}

/* ---- invariants -------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check: " __VA_ARGS__);                                                      \
  } while (0)

void kt_core_check(const KtTree *t) {
  const KtConfig *cfg = &t->cfg;
  CHECK(t->n_cells == cfg->n_rnc * cfg->cells_per_rnc, "cell count");
  for (uint32_t s = 0; s < t->n_scopes; s++) {
    const KtKey *k = &t->group[s];
    CHECK(k->ref.id == KT_KEY_ID(KT_KEY_GROUP, s), "group scope %u: key id %#x", s, k->ref.id);
    CHECK(k->ref.version >= 1, "group scope %u: key version 0", s);
  }

  guint members = 0;
  for (guint u = 0; u < t->ues->len; u++) {
    const KtUeRec *rec = kt_priv_ue(t, u);
    CHECK((rec->flags & ~(uint32_t)(KT_UE_SEEN | KT_UE_MEMBER)) == 0, "UE %u: bad flags %#x", u,
          rec->flags);
    if (rec->flags & KT_UE_SEEN) {
      CHECK(rec->priv.ref.id == KT_KEY_ID(KT_KEY_PRIVATE, u), "UE %u: private key id", u);
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
  }
  CHECK(members == t->total, "%u member records, total %u", members, t->total);

  guint *rnc_sum = g_new0(guint, cfg->n_rnc);
  guint cell_total = 0;
  for (uint32_t c = 0; c < t->n_cells; c++) {
    const GArray *cu = t->cell_ues[c];
    for (guint i = 0; i < cu->len; i++) {
      uint32_t u = g_array_index(cu, guint32, i);
      const KtUeRec *rec = kt_priv_member(t, u);
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
    scope_sum[kt_priv_scope_of_rnc(t, r)] += rnc_sum[r];
  }
  for (uint32_t s = 0; s < t->n_scopes; s++)
    CHECK(scope_sum[s] == t->scope_count[s], "scope %u: RNCs hold %u, count %u", s, scope_sum[s],
          t->scope_count[s]);
  g_free(scope_sum);
  g_free(rnc_sum);
}
