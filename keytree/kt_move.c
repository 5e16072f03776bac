/* kt_move.c — what every scheme shares for mobility (kt_tree.h,
 * "Mobility"): moving a member's cell inside its scope, and the lazy
 * handover rekey's record of stale holders (interior keys a UE moved away
 * from and still holds).
 *
 * Memory: nothing per UE in the static model; under KT_MOVE_LAZY the
 * first interior key a UE moved away from sits in its record (KtUeRec.stale,
 * bits the flags left free), and only a UE with two or more has a hash entry
 * (the second inline, an array from the third on); dropped when the UE
 * leaves the group (its stale keys are then rekeyed) or moves back. */
#include "keytree/kt_core.h"

void kt_priv_move_cell(KtTree *t, uint32_t ue, uint32_t cell) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  g_assert(rec != NULL && (rec->flags & KT_UE_MEMBER) && cell < t->n_cells);
  uint32_t from_rnc = kt_priv_rnc_of_cell(t, rec->cell), to_rnc = kt_priv_rnc_of_cell(t, cell);
  g_assert(kt_priv_scope_of_rnc(t, from_rnc) == kt_priv_scope_of_rnc(t, to_rnc));
  GArray *cu = t->cell_ues[rec->cell];
  guint last = cu->len - 1;
  if (rec->cell_pos != last) {
    uint32_t moved = g_array_index(cu, guint32, last);
    g_array_index(cu, guint32, rec->cell_pos) = moved;
    kt_priv_ue(t, moved)->cell_pos = rec->cell_pos;
  }
  g_array_set_size(cu, last);
  rec->cell = cell;
  rec->cell_pos = t->cell_ues[cell]->len;
  g_array_append_val(t->cell_ues[cell], ue);
  t->rnc_count[from_rnc]--;
  t->rnc_count[to_rnc]++;
}

/* A UE's stale list is its record's `stale` (the first key), then the
 * hash value (the others, in order): one interior key inline (tagged
 * (index << 1) | 1, the usual case: no allocation), or a GArray of guint32
 * (an aligned pointer) once it has two or more. */
static bool is_inline(gpointer v) {
  return (GPOINTER_TO_SIZE(v) & 1u) != 0;
}

static gpointer inline_of(uint32_t index) {
  return GSIZE_TO_POINTER(((gsize)index << 1) | 1u);
}

static void stale_value_free(gpointer v) {
  if (v && !is_inline(v))
    g_array_unref(v);
}

static void rest_add(KtTree *t, uint32_t ue, uint32_t index) {
  if (t->stale == NULL)
    t->stale = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, stale_value_free);
  gpointer key = GUINT_TO_POINTER(ue), v = g_hash_table_lookup(t->stale, key);
  if (v == NULL) {
    g_hash_table_insert(t->stale, key, inline_of(index));
    return;
  }
  GArray *l;
  if (is_inline(v)) {
    uint32_t first = (uint32_t)(GPOINTER_TO_SIZE(v) >> 1);
    if (first == index)
      return;
    l = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_array_append_val(l, first);
    g_hash_table_steal(t->stale, key);
    g_hash_table_insert(t->stale, key, l);
  } else {
    l = v;
    for (guint i = 0; i < l->len; i++)
      if (g_array_index(l, guint32, i) == index)
        return;
  }
  g_array_append_val(l, index);
}

static void rest_remove(KtTree *t, uint32_t ue, uint32_t index) {
  gpointer key = GUINT_TO_POINTER(ue), v = t->stale ? g_hash_table_lookup(t->stale, key) : NULL;
  if (v == NULL)
    return;
  if (is_inline(v)) {
    if ((uint32_t)(GPOINTER_TO_SIZE(v) >> 1) == index)
      g_hash_table_remove(t->stale, key);
    return;
  }
  GArray *l = v;
  for (guint i = 0; i < l->len; i++) {
    if (g_array_index(l, guint32, i) == index) {
      g_array_remove_index(l, i); /* keeps the order keys were left in */
      break;
    }
  }
  if (l->len == 0)
    g_hash_table_remove(t->stale, key);
}

static GArray *rest_take(KtTree *t, uint32_t ue) {
  if (t->stale == NULL)
    return NULL;
  gpointer v = NULL;
  if (!g_hash_table_steal_extended(t->stale, GUINT_TO_POINTER(ue), NULL, &v))
    return NULL;
  if (!is_inline(v))
    return v;
  GArray *l = g_array_sized_new(FALSE, FALSE, sizeof(guint32), 1);
  uint32_t index = (uint32_t)(GPOINTER_TO_SIZE(v) >> 1);
  g_array_append_val(l, index);
  return l;
}

/* Whether `index` can be the record's inline first stale key. */
static bool fits_inline(uint32_t index) {
  return index < (1u << 30) - 1u;
}

static bool has_rest(const KtTree *t, uint32_t ue) {
  return t->stale != NULL && g_hash_table_contains(t->stale, GUINT_TO_POINTER(ue));
}

void kt_priv_stale_add(KtTree *t, uint32_t ue, uint32_t index) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  if (rec->stale == index + 1u)
    return;
  if (rec->stale == 0 && fits_inline(index) && !has_rest(t, ue)) {
    rec->stale = index + 1u;
    return;
  }
  rest_add(t, ue, index);
}

void kt_priv_stale_remove(KtTree *t, uint32_t ue, uint32_t index) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  if (rec == NULL)
    return;
  if (rec->stale != index + 1u) {
    rest_remove(t, ue, index);
    return;
  }
  /* the next one, if any, becomes the first */
  rec->stale = 0;
  GArray *l = rest_take(t, ue);
  for (guint i = 0; l != NULL && i < l->len; i++)
    kt_priv_stale_add(t, ue, g_array_index(l, guint32, i));
  if (l)
    g_array_unref(l);
}

GArray *kt_priv_stale_take(KtTree *t, uint32_t ue) {
  KtUeRec *rec = kt_priv_ue(t, ue);
  GArray *rest = rest_take(t, ue);
  if (rec == NULL || rec->stale == 0)
    return rest;
  GArray *l = g_array_sized_new(FALSE, FALSE, sizeof(guint32), 1 + (rest ? rest->len : 0));
  uint32_t first = rec->stale - 1u;
  rec->stale = 0;
  g_array_append_val(l, first);
  if (rest) {
    g_array_append_vals(l, rest->data, rest->len);
    g_array_unref(rest);
  }
  return l;
}

void kt_priv_stale_free(KtTree *t) {
  if (t->stale)
    g_hash_table_destroy(t->stale);
  t->stale = NULL;
}

guint kt_tree_stale_keys(const KtTree *t, uint32_t ue, uint32_t *out, guint cap) {
  g_assert(t != NULL);
  const KtUeRec *rec = kt_priv_ue(t, ue);
  guint n = 0;
  if (rec != NULL && rec->stale != 0) {
    if (cap > 0)
      out[0] = rec->stale - 1u;
    n = 1;
  }
  gpointer v = t->stale ? g_hash_table_lookup(t->stale, GUINT_TO_POINTER(ue)) : NULL;
  if (v == NULL)
    return n;
  if (is_inline(v)) {
    if (n < cap)
      out[n] = (uint32_t)(GPOINTER_TO_SIZE(v) >> 1);
    return n + 1;
  }
  const GArray *l = v;
  for (guint i = 0; i < l->len; i++)
    if (n + i < cap)
      out[n + i] = g_array_index(l, guint32, i);
  return n + l->len;
}
