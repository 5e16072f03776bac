/* kt_move.c — what every scheme shares for mobility (kt_tree.h,
 * "Mobility"): moving a member's cell inside its scope, and the lazy
 * handover rekey's record of stale holders (interior keys a UE moved away
 * from and still holds).
 *
 * Memory: nothing per UE in the static model; a hash entry per UE that
 * moved away from a live interior key under KT_MOVE_LAZY, dropped when the
 * UE leaves the group (its stale keys are then rekeyed) or moves back. */
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

void kt_priv_stale_add(KtTree *t, uint32_t ue, uint32_t index) {
  if (t->stale == NULL)
    t->stale =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
  GArray *l = g_hash_table_lookup(t->stale, GUINT_TO_POINTER(ue));
  if (l == NULL) {
    l = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_hash_table_insert(t->stale, GUINT_TO_POINTER(ue), l);
  }
  for (guint i = 0; i < l->len; i++)
    if (g_array_index(l, guint32, i) == index)
      return;
  g_array_append_val(l, index);
}

void kt_priv_stale_remove(KtTree *t, uint32_t ue, uint32_t index) {
  GArray *l = t->stale ? g_hash_table_lookup(t->stale, GUINT_TO_POINTER(ue)) : NULL;
  if (l == NULL)
    return;
  for (guint i = 0; i < l->len; i++) {
    if (g_array_index(l, guint32, i) == index) {
      g_array_remove_index(l, i); /* keeps the order keys were left in */
      break;
    }
  }
  if (l->len == 0)
    g_hash_table_remove(t->stale, GUINT_TO_POINTER(ue));
}

GArray *kt_priv_stale_take(KtTree *t, uint32_t ue) {
  if (t->stale == NULL)
    return NULL;
  gpointer l = NULL;
  if (!g_hash_table_steal_extended(t->stale, GUINT_TO_POINTER(ue), NULL, &l))
    return NULL;
  return l;
}

void kt_priv_stale_free(KtTree *t) {
  if (t->stale)
    g_hash_table_destroy(t->stale);
  t->stale = NULL;
}

guint kt_tree_stale_keys(const KtTree *t, uint32_t ue, uint32_t *out, guint cap) {
  g_assert(t != NULL);
  GArray *l = t->stale ? g_hash_table_lookup(t->stale, GUINT_TO_POINTER(ue)) : NULL;
  if (l == NULL)
    return 0;
  for (guint i = 0; i < l->len && i < cap; i++)
    out[i] = g_array_index(l, guint32, i);
  return l->len;
}
