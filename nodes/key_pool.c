/* key_pool.c — see key_pool.h. Entries live in one array (index = handle,
 * entry 0 the zero key), freed ones chained for reuse; a hash maps
 * (id, version) to the first entry of that version, entries of the same
 * version with other bytes chained behind it. */
#include "nodes/key_pool.h"

#include <string.h>

typedef struct {
  KtKey key;
  uint32_t holders; /* 0: free */
  uint32_t next;    /* in use: the next entry of the same (id, version); free: the next free */
} Entry;

struct KeyPool {
  Entry *e;
  uint32_t n, cap; /* entries made (entry 0 included), allocated */
  uint32_t free;   /* first free entry, or KEY_POOL_NONE */
  guint used;
  GHashTable *first; /* id << 32 | version -> handle */
  uint32_t last;     /* the entry last held: the holders of one transmission
                      * hold the same key one after the other */
};

static gpointer ref_key(KtKeyRef ref) {
  return GSIZE_TO_POINTER((gsize)ref.id << 32 | ref.version);
}

static guint ref_hash(gconstpointer k) {
  guint64 v = GPOINTER_TO_SIZE(k);
  return (guint)((v ^ v >> 29) * 0x9e3779b1u);
}

KeyPool *key_pool_new(void) {
  G_STATIC_ASSERT(sizeof(gpointer) >= 8);
  KeyPool *p = g_new0(KeyPool, 1);
  p->cap = 64;
  p->e = g_new0(Entry, p->cap);
  p->n = 1; /* entry 0: the zero key, never held */
  p->first = g_hash_table_new(ref_hash, g_direct_equal);
  return p;
}

void key_pool_free(KeyPool *p) {
  if (!p)
    return;
  for (uint32_t i = 0; i < p->n; i++)
    kt_key_wipe(&p->e[i].key);
  g_free(p->e);
  g_hash_table_destroy(p->first);
  g_free(p);
}

uint32_t key_pool_hold(KeyPool *p, const KtKey *key) {
  g_assert(key->ref.version != 0);
  Entry *l = &p->e[p->last];
  if (l->holders > 0 && kt_ref_equal(l->key.ref, key->ref) &&
      memcmp(l->key.bytes, key->bytes, KT_KEYBYTES) == 0) {
    l->holders++;
    return p->last;
  }
  gpointer k = ref_key(key->ref);
  uint32_t first = GPOINTER_TO_UINT(g_hash_table_lookup(p->first, k));
  for (uint32_t h = first; h != KEY_POOL_NONE; h = p->e[h].next)
    if (memcmp(p->e[h].key.bytes, key->bytes, KT_KEYBYTES) == 0) {
      p->e[h].holders++;
      return p->last = h;
    }
  uint32_t h = p->free;
  if (h != KEY_POOL_NONE) {
    p->free = p->e[h].next;
  } else {
    if (p->n == p->cap) {
      p->cap *= 2;
      p->e = g_renew(Entry, p->e, p->cap);
    }
    h = p->n++;
  }
  p->e[h] = (Entry){.key = *key, .holders = 1, .next = first};
  g_hash_table_insert(p->first, k, GUINT_TO_POINTER(h));
  p->used++;
  return p->last = h;
}

uint32_t key_pool_ref(KeyPool *p, uint32_t h) {
  key_pool_ref_n(p, h, 1);
  return h;
}

void key_pool_ref_n(KeyPool *p, uint32_t h, uint32_t n) {
  if (n == 0)
    return;
  g_assert(h != KEY_POOL_NONE && h < p->n && p->e[h].holders > 0);
  g_assert(p->e[h].holders <= UINT32_MAX - n);
  p->e[h].holders += n;
}

void key_pool_release(KeyPool *p, uint32_t h) {
  key_pool_release_n(p, h, 1);
}

void key_pool_release_n(KeyPool *p, uint32_t h, uint32_t n) {
  if (h == KEY_POOL_NONE || n == 0)
    return;
  g_assert(h < p->n && p->e[h].holders >= n);
  p->e[h].holders -= n;
  if (p->e[h].holders > 0)
    return;
  /* unchain it from its version's entries */
  gpointer k = ref_key(p->e[h].key.ref);
  uint32_t first = GPOINTER_TO_UINT(g_hash_table_lookup(p->first, k));
  if (first == h) {
    if (p->e[h].next == KEY_POOL_NONE)
      g_hash_table_remove(p->first, k);
    else
      g_hash_table_insert(p->first, k, GUINT_TO_POINTER(p->e[h].next));
  } else {
    uint32_t at = first;
    while (p->e[at].next != h)
      at = p->e[at].next;
    p->e[at].next = p->e[h].next;
  }
  kt_key_wipe(&p->e[h].key);
  p->e[h].next = p->free;
  p->free = h;
  p->used--;
}

const KtKey *key_pool_key(const KeyPool *p, uint32_t h) {
  g_assert(h < p->n);
  return &p->e[h].key;
}

guint key_pool_size(const KeyPool *p) {
  return p->used;
}
