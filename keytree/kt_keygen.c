/* kt_keygen.c — reproducible key material from the run's seed.
 *
 * master  = BLAKE2b-256 (crypto_generichash) of a fixed context string
 *           followed by the seed as 8 little-endian bytes;
 * fresh   = crypto_kdf_derive_from_key(32, fresh_counter++, "mbmsfrsh", master);
 * private = crypto_kdf_derive_from_key(32, ue, "mbmsuepk", master);
 * nonce   = nonce_counter++ as 8 little-endian bytes, then 16 zero bytes.
 * The fresh and nonce counters are independent and both start at 0.
 */
#include "keytree/kt_keygen.h"

#include <glib.h>
#include <sodium.h>
#include <string.h>

#define KT_MASTER_CONTEXT "mbms-keysim/keygen/master/v1"

G_STATIC_ASSERT(crypto_kdf_KEYBYTES == KT_KEYBYTES);
G_STATIC_ASSERT(crypto_kdf_CONTEXTBYTES == 8);

struct KtKeyGen {
  unsigned char master[crypto_kdf_KEYBYTES];
  uint64_t fresh_counter;
  uint64_t nonce_counter;
};

static void put_le64(unsigned char p[8], uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)((v >> (8 * i)) & 0xffu);
}

KtKeyGen *kt_keygen_new(uint64_t seed) {
  kt_crypto_init();
  KtKeyGen *gen = g_new0(KtKeyGen, 1);
  unsigned char seed_le[8];
  put_le64(seed_le, seed);
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, sizeof gen->master);
  crypto_generichash_update(&st, (const unsigned char *)KT_MASTER_CONTEXT,
                            sizeof KT_MASTER_CONTEXT - 1);
  crypto_generichash_update(&st, seed_le, sizeof seed_le);
  crypto_generichash_final(&st, gen->master, sizeof gen->master);
  sodium_memzero(&st, sizeof st);
  return gen;
}

void kt_keygen_free(KtKeyGen *gen) {
  if (gen == NULL)
    return;
  sodium_memzero(gen, sizeof *gen);
  g_free(gen);
}

void kt_keygen_fresh(KtKeyGen *gen, KtKey *out, KtKeyRef ref) {
  g_assert(gen != NULL && out != NULL);
  if (crypto_kdf_derive_from_key(out->bytes, KT_KEYBYTES, gen->fresh_counter, "mbmsfrsh",
                                 gen->master) != 0)
    g_error("kt_keygen_fresh: crypto_kdf_derive_from_key failed");
  gen->fresh_counter++;
  out->ref = ref;
}

void kt_keygen_private(const KtKeyGen *gen, KtKey *out, uint32_t ue) {
  g_assert(gen != NULL && out != NULL);
  g_assert(ue <= KT_KEY_INDEX_MAX);
  if (crypto_kdf_derive_from_key(out->bytes, KT_KEYBYTES, ue, "mbmsuepk", gen->master) != 0)
    g_error("kt_keygen_private: crypto_kdf_derive_from_key failed");
  out->ref.id = KT_KEY_ID(KT_KEY_PRIVATE, ue);
  out->ref.version = 1;
}

void kt_keygen_nonce(KtKeyGen *gen, unsigned char out[KT_NONCEBYTES]) {
  g_assert(gen != NULL && out != NULL);
  memset(out, 0, KT_NONCEBYTES);
  put_le64(out, gen->nonce_counter);
  gen->nonce_counter++;
}
