/* flat_map.c — see flat_map.h. */
#include "nodes/flat_map.h"

#include <glib.h>
#include <string.h>

struct FlatMap {
  size_t value_size, stride; /* stride: bytes per entry (key, then value) */
  size_t cap;                /* entries, a power of two (0: none yet) */
  size_t n;
  unsigned shift; /* 64 - log2(cap): the hash's top bits pick the home entry */
  uint8_t *e;
};

static FlatKey *key_at(const FlatMap *m, size_t i) {
  return (FlatKey *)(void *)(m->e + i * m->stride);
}

static void *value_at(const FlatMap *m, size_t i) {
  return m->e + i * m->stride + sizeof(FlatKey);
}

static bool key_equal(FlatKey x, FlatKey y) {
  return x.a == y.a && x.b == y.b;
}

static bool empty_at(const FlatMap *m, size_t i) {
  return key_equal(*key_at(m, i), FLAT_KEY_NONE);
}

/* Both words reach the top bits (the keys' halves often differ in a few
 * low bits only: cells, key ids, versions). */
static size_t home_of(const FlatMap *m, FlatKey k) {
  uint64_t h = (k.a ^ (k.b * UINT64_C(0xc2b2ae3d27d4eb4f))) * UINT64_C(0x9e3779b97f4a7c15);
  h ^= h >> 29;
  h *= UINT64_C(0xbf58476d1ce4e5b9);
  return (size_t)(h >> m->shift);
}

static void alloc_entries(FlatMap *m, size_t cap) {
  m->cap = cap;
  m->shift = 64 - (unsigned)g_bit_nth_msf(cap, -1);
  m->e = g_malloc(cap * m->stride);
  for (size_t i = 0; i < cap; i++)
    *key_at(m, i) = FLAT_KEY_NONE;
}

FlatMap *flat_map_new(size_t value_size) {
  g_assert(value_size % 8 == 0 && value_size <= 64);
  FlatMap *m = g_new0(FlatMap, 1);
  m->value_size = value_size;
  m->stride = sizeof(FlatKey) + value_size;
  return m;
}

void flat_map_free(FlatMap *m) {
  if (!m)
    return;
  g_free(m->e);
  g_free(m);
}

/* The entry holding `k`, or the empty one where it would go. */
static size_t slot_of(const FlatMap *m, FlatKey k) {
  size_t i = home_of(m, k);
  while (!empty_at(m, i) && !key_equal(*key_at(m, i), k))
    i = (i + 1) & (m->cap - 1);
  return i;
}

void *flat_map_find(const FlatMap *m, FlatKey k) {
  if (m->n == 0)
    return NULL;
  size_t i = slot_of(m, k);
  return empty_at(m, i) ? NULL : value_at(m, i);
}

static void grow(FlatMap *m) {
  FlatMap old = *m;
  alloc_entries(m, old.cap ? 2 * old.cap : 16);
  for (size_t i = 0; i < old.cap; i++)
    if (!empty_at(&old, i)) {
      size_t j = slot_of(m, *key_at(&old, i));
      memcpy(m->e + j * m->stride, old.e + i * old.stride, m->stride);
    }
  g_free(old.e);
}

void *flat_map_insert(FlatMap *m, FlatKey k, bool *added) {
  g_assert(!key_equal(k, FLAT_KEY_NONE));
  if (2 * (m->n + 1) > m->cap)
    grow(m);
  size_t i = slot_of(m, k);
  bool fresh = empty_at(m, i);
  if (fresh) {
    *key_at(m, i) = k;
    memset(value_at(m, i), 0, m->value_size);
    m->n++;
  }
  if (added)
    *added = fresh;
  return value_at(m, i);
}

bool flat_map_remove(FlatMap *m, FlatKey k) {
  if (m->n == 0)
    return false;
  size_t hole = slot_of(m, k);
  if (empty_at(m, hole))
    return false;
  /* backward shift: each later entry of the run whose home is not between
   * the hole and it moves into the hole, so that every entry stays
   * reachable from its home without passing an empty one */
  size_t mask = m->cap - 1;
  for (size_t j = (hole + 1) & mask; !empty_at(m, j); j = (j + 1) & mask) {
    size_t home = home_of(m, *key_at(m, j));
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      memcpy(m->e + hole * m->stride, m->e + j * m->stride, m->stride);
      hole = j;
    }
  }
  *key_at(m, hole) = FLAT_KEY_NONE;
  m->n--;
  return true;
}

void flat_map_clear(FlatMap *m) {
  for (size_t i = 0; i < m->cap; i++)
    *key_at(m, i) = FLAT_KEY_NONE;
  m->n = 0;
}

size_t flat_map_size(const FlatMap *m) {
  return m->n;
}

bool flat_map_next(const FlatMap *m, size_t *pos, FlatKey *key, void **value) {
  for (size_t i = *pos; i < m->cap; i++)
    if (!empty_at(m, i)) {
      *pos = i + 1;
      *key = *key_at(m, i);
      *value = value_at(m, i);
      return true;
    }
  *pos = m->cap;
  return false;
}
