/* kt_wrap.h — wrapping one key under another (libsodium XChaCha20-Poly1305).
 *
 * A KtWrap carries the wrapped key's ref, the wrapping key's ref, a nonce and
 * the ciphertext (32 key bytes + 16-byte tag). The associated data binds both
 * refs (wrapped id, wrapped version, wrapping id, wrapping version, as four
 * little-endian u32), so a wrap cannot be replayed as another key or
 * version. kt_unwrap() really decrypts: it fails (-1) unless `under` is
 * exactly the key that was used, and it never writes a partial key.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "keytree/kt_key.h"

#define KT_NONCEBYTES 24u
#define KT_TAGBYTES 16u
#define KT_CTBYTES (KT_KEYBYTES + KT_TAGBYTES)
/* Size of a wrap on the wire: two refs (8 bytes each), nonce, ciphertext. */
#define KT_WRAP_WIREBYTES (16u + KT_NONCEBYTES + KT_CTBYTES)

typedef struct {
  KtKeyRef key;   /* the key inside */
  KtKeyRef under; /* the key that opens it */
  unsigned char nonce[KT_NONCEBYTES];
  unsigned char ct[KT_CTBYTES];
} KtWrap;

/* 0 on success, -1 if libsodium refuses (never expected). */
int kt_wrap(KtWrap *out, const KtKey *key, const KtKey *under,
            const unsigned char nonce[KT_NONCEBYTES]);
/* 0 and *out set on success; -1 (out untouched) if `under` does not open it. */
int kt_unwrap(KtKey *out, const KtWrap *wrap, const KtKey *under);

/* Calls sodium_init() once; aborts if libsodium cannot start. */
void kt_crypto_init(void);
