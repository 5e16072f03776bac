/* kt_data.h — MBMS session data packets encrypted under a group key
 * (libsodium XChaCha20-Poly1305, associated data = the group key's id and
 * version and the packet number, as three little-endian u32).
 *
 * A KtData is what crosses the channels: the key ref in the clear (so that
 * a receiver knows which key to try), a nonce and the ciphertext of
 * `len` payload bytes plus the 16-byte tag. kt_data_open() really decrypts:
 * it fails (-1) unless `key` is exactly the key that sealed the packet.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "keytree/kt_key.h"
#include "keytree/kt_wrap.h"

#define KT_DATA_MAX_PAYLOAD 1400u

typedef struct {
  KtKeyRef key;    /* the group key that seals it */
  uint32_t packet; /* the stream's packet number (also in the AD) */
  uint16_t len;    /* payload bytes */
  unsigned char nonce[KT_NONCEBYTES];
  unsigned char ct[KT_DATA_MAX_PAYLOAD + KT_TAGBYTES];
} KtData;

/* Seals `len` (<= KT_DATA_MAX_PAYLOAD) payload bytes under `key`. 0, or -1
 * if libsodium refuses (never expected). */
int kt_data_seal(KtData *out, uint32_t packet, const unsigned char *payload, uint16_t len,
                 const KtKey *key, const unsigned char nonce[KT_NONCEBYTES]);
/* 0 and the payload in `out` (len bytes, caller's buffer of at least
 * d->len) if `key` opens it; -1 otherwise. */
int kt_data_open(unsigned char *out, const KtData *d, const KtKey *key);
