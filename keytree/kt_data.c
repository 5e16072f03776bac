/* kt_data.c — session data sealed under a group key (see kt_data.h). */
#include "keytree/kt_data.h"

#include <glib.h>
#include <sodium.h>
#include <string.h>

#define KT_DATA_ADBYTES 12u

static void make_ad(unsigned char ad[KT_DATA_ADBYTES], KtKeyRef key, uint32_t packet) {
  const uint32_t v[3] = {key.id, key.version, packet};
  for (int i = 0; i < 3; i++)
    for (int b = 0; b < 4; b++)
      ad[4 * i + b] = (unsigned char)(v[i] >> (8 * b));
}

int kt_data_seal(KtData *out, uint32_t packet, const unsigned char *payload, uint16_t len,
                 const KtKey *key, const unsigned char nonce[KT_NONCEBYTES]) {
  g_assert(out && key && nonce && (payload || len == 0) && len <= KT_DATA_MAX_PAYLOAD);
  kt_crypto_init();
  out->key = key->ref;
  out->packet = packet;
  out->len = len;
  memcpy(out->nonce, nonce, KT_NONCEBYTES);
  unsigned char ad[KT_DATA_ADBYTES];
  make_ad(ad, out->key, packet);
  unsigned long long ct_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(
          out->ct, &ct_len, payload, len, ad, KT_DATA_ADBYTES, NULL, out->nonce, key->bytes) != 0 ||
      ct_len != (unsigned long long)len + KT_TAGBYTES)
    return -1;
  return 0;
}

int kt_data_open(unsigned char *out, const KtData *d, const KtKey *key) {
  g_assert(out && d && key);
  if (!kt_ref_equal(key->ref, d->key) || d->len > KT_DATA_MAX_PAYLOAD)
    return -1;
  kt_crypto_init();
  unsigned char ad[KT_DATA_ADBYTES];
  make_ad(ad, d->key, d->packet);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plain_len, NULL, d->ct,
                                                 (unsigned long long)d->len + KT_TAGBYTES, ad,
                                                 KT_DATA_ADBYTES, d->nonce, key->bytes) != 0 ||
      plain_len != d->len) {
    sodium_memzero(out, d->len);
    return -1;
  }
  return 0;
}
