/* unwrap_share.h — one decryption per (wrap, key) shared by every holder
 * of that key (issue 12, "past the floor").
 *
 * All holders of one key that hear one transmission open the same wrap with
 * the same key: a pure function of the bytes. The share remembers the last
 * opens (wrap bytes, the opening key's ref and bytes, the result) and a
 * holder whose wrap and key are byte-for-byte those of a remembered open
 * gets that open's result instead of calling libsodium again; any other
 * holder (other key bytes: a stale or forged copy, or simply another key)
 * decrypts for itself. The result is therefore exactly what kt_unwrap would
 * return; callers still check, install and count each holder's own unwrap.
 *
 * Memory: a fixed table of UNWRAP_SHARE_SLOTS remembered opens (direct-
 * mapped by the wrap's nonce, which is fresh per wrap, and the key's first
 * bytes), about 45 KB; key material in it is wiped when a slot is reused
 * and when the share is freed. Not thread-safe (one per Net).
 */
#pragma once
#include <stdint.h>

#include "keytree/kt_wrap.h"

#define UNWRAP_SHARE_SLOTS 256u

typedef struct UnwrapShare UnwrapShare;

UnwrapShare *unwrap_share_new(void);
void unwrap_share_free(UnwrapShare *s);
/* As kt_unwrap(out, wrap, under): 0 and *out set if `under` opens `wrap`,
 * -1 (out untouched) if not. */
int unwrap_share_open(UnwrapShare *s, KtKey *out, const KtWrap *wrap, const KtKey *under);
/* `n` opens the caller answered itself from one this share made, knowing
 * them byte-for-byte repeats of it (the same wrap, the same key entry):
 * counted as answered from a remembered one. */
void unwrap_share_note_repeats(UnwrapShare *s, uint64_t n);
/* Opens answered from a remembered one (tests, benchmark). */
uint64_t unwrap_share_hits(const UnwrapShare *s);
