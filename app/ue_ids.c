/* ue_ids.c — see ue_ids.h. Internal indices are, in order: the initial
 * members (identity), the CSV ids >= n_initial (sorted, distinct: `named`),
 * the generated ids (a contiguous external range from gen_base). Mapping
 * back is an array lookup, mapping in a binary search over the CSV ids
 * only (done once per CSV event when the workload is built). */
#include "app/ue_ids.h"

struct UeIds {
  uint32_t n_initial;
  GArray *named; /* uint32_t: external ids >= n_initial named by the CSV */
  bool sealed;
  uint64_t gen_base; /* first generated external id */
  uint32_t n_generated;
  bool generated;
};

UeIds *ue_ids_new(uint32_t n_initial) {
  UeIds *ids = g_new0(UeIds, 1);
  ids->n_initial = n_initial;
  ids->named = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  return ids;
}

void ue_ids_free(UeIds *ids) {
  if (!ids)
    return;
  g_array_free(ids->named, TRUE);
  g_free(ids);
}

void ue_ids_note(UeIds *ids, uint32_t ue) {
  g_assert(!ids->sealed);
  if (ue >= ids->n_initial)
    g_array_append_val(ids->named, ue);
}

static int cmp_u32(gconstpointer pa, gconstpointer pb) {
  uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
  return a < b ? -1 : a > b;
}

void ue_ids_seal(UeIds *ids) {
  g_assert(!ids->sealed);
  GArray *n = ids->named;
  g_array_sort(n, cmp_u32);
  guint kept = 0;
  for (guint i = 0; i < n->len; i++)
    if (kept == 0 || g_array_index(n, uint32_t, i) != g_array_index(n, uint32_t, kept - 1))
      g_array_index(n, uint32_t, kept++) = g_array_index(n, uint32_t, i);
  g_array_set_size(n, kept);
  ids->sealed = true;
  ids->gen_base =
      kept ? (uint64_t)g_array_index(n, uint32_t, kept - 1) + 1 : (uint64_t)ids->n_initial;
}

uint64_t ue_ids_external_end(const UeIds *ids) {
  g_assert(ids->sealed);
  return ids->gen_base + ids->n_generated;
}

void ue_ids_add_generated(UeIds *ids, uint32_t n) {
  g_assert(ids->sealed && !ids->generated);
  g_assert(ids->gen_base + n - (n > 0) <= UINT32_MAX);
  ids->n_generated = n;
  ids->generated = true;
}

uint32_t ue_ids_count(const UeIds *ids) {
  g_assert(ids->sealed);
  uint64_t n = (uint64_t)ids->n_initial + ids->named->len + ids->n_generated;
  g_assert(n <= UINT32_MAX);
  return (uint32_t)n;
}

uint32_t ue_ids_internal(const UeIds *ids, uint32_t ue) {
  g_assert(ids->sealed);
  if (ue < ids->n_initial)
    return ue;
  uint32_t n_named = ids->named->len;
  if (ue >= ids->gen_base) {
    g_assert(ue - ids->gen_base < ids->n_generated);
    return ids->n_initial + n_named + (uint32_t)(ue - ids->gen_base);
  }
  const uint32_t *v = (const uint32_t *)(void *)ids->named->data;
  guint lo = 0, hi = n_named; /* first index with v[i] >= ue */
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (v[mid] < ue)
      lo = mid + 1;
    else
      hi = mid;
  }
  g_assert(lo < n_named && v[lo] == ue);
  return ids->n_initial + lo;
}

uint32_t ue_ids_external(const UeIds *ids, uint32_t ix) {
  g_assert(ids->sealed);
  if (ix < ids->n_initial)
    return ix;
  ix -= ids->n_initial;
  if (ix < ids->named->len)
    return g_array_index(ids->named, uint32_t, ix);
  ix -= ids->named->len;
  g_assert(ix < ids->n_generated);
  return (uint32_t)(ids->gen_base + ix);
}
