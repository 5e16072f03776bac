/* ue_pending.c — the wraps UEs keep waiting (see ue_pending.h): a hash
 * table from UE id to that UE's list, one block of its wraps in arrival
 * order (room doubled as it grows, from one); a UE's entry goes when its
 * last wrap does. */
#include "nodes/ue_pending.h"

struct UePending {
  GHashTable *of; /* ue -> UePendingList; only UEs that keep a wrap */
  guint total;    /* wraps in every list */
};

UePending *ue_pending_new(void) {
  UePending *s = g_new0(UePending, 1);
  s->of = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  return s;
}

void ue_pending_free(UePending *store) {
  if (!store)
    return;
  g_hash_table_destroy(store->of);
  g_free(store);
}

static UePendingList *list_of(const UePending *store, uint32_t ue) {
  return g_hash_table_lookup(store->of, GUINT_TO_POINTER(ue));
}

void ue_pending_add(UePending *store, uint32_t ue, const UePendingWrap *w) {
  UePendingList *list = list_of(store, ue);
  if (!list || list->len == list->cap) {
    guint cap = list ? 2 * list->cap : 1;
    UePendingList *grown = g_realloc(list, sizeof *list + cap * sizeof list->w[0]);
    if (!list)
      grown->len = 0;
    grown->cap = cap;
    if (grown != list) {
      if (list) /* (gone: the table must not free it) */
        g_hash_table_steal(store->of, GUINT_TO_POINTER(ue));
      g_hash_table_insert(store->of, GUINT_TO_POINTER(ue), grown);
    }
    list = grown;
  }
  list->w[list->len++] = *w;
  store->total++;
}

bool ue_pending_has(const UePending *store, uint32_t ue) {
  return list_of(store, ue) != NULL;
}

UePendingWrap *ue_pending_of(UePending *store, uint32_t ue, guint *n) {
  UePendingList *list = list_of(store, ue);
  *n = list ? list->len : 0;
  return list ? list->w : NULL;
}

UePendingList *ue_pending_take(UePending *store, uint32_t ue) {
  UePendingList *list = list_of(store, ue);
  if (!list)
    return NULL;
  g_hash_table_steal(store->of, GUINT_TO_POINTER(ue));
  store->total -= list->len;
  return list;
}

guint ue_pending_drop(UePending *store, uint32_t ue, UePendingMatch match, void *ctx) {
  UePendingList *list = list_of(store, ue);
  if (!list)
    return 0;
  guint kept = 0; /* compacted in place: the kept ones keep their order */
  for (guint i = 0; i < list->len; i++)
    if (match && !match(&list->w[i], ctx))
      list->w[kept++] = list->w[i];
  store->total -= list->len - kept;
  list->len = kept;
  if (kept == 0)
    g_hash_table_remove(store->of, GUINT_TO_POINTER(ue));
  return kept;
}

guint ue_pending_count(const UePending *store) {
  return store->total;
}

guint ue_pending_count_of(const UePending *store, UePendingUeMatch counts, const void *ctx) {
  guint n = 0;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, store->of);
  while (g_hash_table_iter_next(&it, &key, &value))
    if (counts(GPOINTER_TO_UINT(key), ctx))
      n += ((const UePendingList *)value)->len;
  return n;
}
