/* key_pool.h — the UEs' keys, one shared copy per key version.
 *
 * Many UEs hold the same key (every member of a scope its group key, every
 * member of a sub-group its sub-group key, every holder of an LKH node its
 * node key): a UE's key slot is a 4-byte handle to one entry of the pool
 * instead of a 40-byte copy. An entry is one (id, version, bytes): a UE
 * whose bytes differ from an existing entry's (it opened a wrap to other
 * bytes) gets an entry of its own, so what a UE holds is exactly what it
 * would hold in a copy. Entries are counted; the last release wipes the
 * bytes.
 *
 * Pointers returned by key_pool_key are valid until the next
 * key_pool_hold (the entries may move). Includes only keytree/ and GLib.
 */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "keytree/kt_key.h"

typedef struct KeyPool KeyPool;

/* Handle 0 is "no key": key_pool_key gives a zero key (version 0). */
#define KEY_POOL_NONE 0u

KeyPool *key_pool_new(void);
void key_pool_free(KeyPool *pool);
/* A handle to an entry equal to `key` (version >= 1), one more holder. */
uint32_t key_pool_hold(KeyPool *pool, const KtKey *key);
/* One more holder of `h`, an entry in use: what key_pool_hold of its key
 * returns, without comparing bytes (the caller knows it is that key). */
uint32_t key_pool_ref(KeyPool *pool, uint32_t h);
/* `n` more holders of `h`, an entry in use (n key_pool_ref; n = 0:
 * nothing, whatever `h`). */
void key_pool_ref_n(KeyPool *pool, uint32_t h, uint32_t n);
/* One holder fewer of `h` (KEY_POOL_NONE: nothing). */
void key_pool_release(KeyPool *pool, uint32_t h);
/* `n` holders fewer of `h` (n key_pool_release; KEY_POOL_NONE: nothing). */
void key_pool_release_n(KeyPool *pool, uint32_t h, uint32_t n);
/* The key of `h` (never NULL). */
const KtKey *key_pool_key(const KeyPool *pool, uint32_t h);
/* Entries in use (distinct key versions held). */
guint key_pool_size(const KeyPool *pool);
