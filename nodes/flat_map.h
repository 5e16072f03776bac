/* flat_map.h — a hash map from 128-bit keys to small fixed-size values,
 * each entry (key and value) stored inline in one array: open addressing
 * with linear probing, deletion by backward shift (no tombstones), at most
 * half full.
 *
 * Why not GHashTable: it keeps hashes, keys and values in three arrays and
 * a value is typically a pointer to a fourth place, so a lookup that misses
 * the cache costs three or four misses. The lookups made once per
 * transmission at a million members (the radio's holders lists, the
 * adversaries' recording chains) miss the cache every time; here one
 * lookup is one miss, usually.
 *
 * Value pointers returned stay valid until the next flat_map_insert or
 * flat_map_remove (entries move). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t a, b;
} FlatKey;

/* The one key a map cannot hold (it marks empty entries). */
#define FLAT_KEY_NONE ((FlatKey){UINT64_MAX, UINT64_MAX})

typedef struct FlatMap FlatMap;

/* A map whose values are `value_size` bytes (a multiple of 8, at most 64). */
FlatMap *flat_map_new(size_t value_size);
void flat_map_free(FlatMap *m);
/* The value of `k`, or NULL. */
void *flat_map_find(const FlatMap *m, FlatKey k);
/* The value of `k`; a new entry's is zeroed first (*added, if given, says
 * which). `k` is not FLAT_KEY_NONE. */
void *flat_map_insert(FlatMap *m, FlatKey k, bool *added);
/* Removes `k`; false if it was not there. */
bool flat_map_remove(FlatMap *m, FlatKey k);
/* Removes every entry (keeps the room). */
void flat_map_clear(FlatMap *m);
size_t flat_map_size(const FlatMap *m);
/* The entry after position *pos (start with *pos = 0), in no particular
 * order: its key and value; false after the last. The map must not change
 * in between. */
bool flat_map_next(const FlatMap *m, size_t *pos, FlatKey *key, void **value);
