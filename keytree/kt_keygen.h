/* kt_keygen.h — reproducible key material.
 *
 * All key bytes and nonces of a run come from one KtKeyGen seeded by the
 * scenario seed, so the same scenario and seed give byte-identical keys,
 * wraps and results. Keys are derived with libsodium's crypto_kdf (BLAKE2b)
 * from a master key that is itself derived from the seed:
 *   - fresh keys: subkey id = a counter (order of calls is deterministic);
 *   - UE private keys: subkey id = UE id under their own context, so a UE's
 *     private key does not depend on when it is first asked for;
 *   - nonces: a 64-bit counter, never repeated in a run, so no (key, nonce)
 *     pair is ever reused.
 * The generator owns its master key and wipes it on free.
 */
#pragma once
#include <stdint.h>

#include "keytree/kt_key.h"
#include "keytree/kt_wrap.h"

typedef struct KtKeyGen KtKeyGen;

KtKeyGen *kt_keygen_new(uint64_t seed);
void kt_keygen_free(KtKeyGen *gen);

/* A fresh key value for `ref` (the caller sets the ref's version). */
void kt_keygen_fresh(KtKeyGen *gen, KtKey *out, KtKeyRef ref);
/* The private key of UE `ue` (version 1, id KT_KEY_ID(KT_KEY_PRIVATE, ue)). */
void kt_keygen_private(const KtKeyGen *gen, KtKey *out, uint32_t ue);
/* The next unique nonce. */
void kt_keygen_nonce(KtKeyGen *gen, unsigned char out[KT_NONCEBYTES]);
