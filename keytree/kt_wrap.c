/* kt_wrap.c — wrapping one key under another with XChaCha20-Poly1305.
 *
 * The associated data is the four little-endian u32 (key.id, key.version,
 * under.id, under.version) taken from the wrap itself, so changing either ref
 * of a wrap makes it fail to open.
 */
#include "keytree/kt_wrap.h"

#include <glib.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KT_ADBYTES 16u

G_STATIC_ASSERT(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == KT_NONCEBYTES);
G_STATIC_ASSERT(crypto_aead_xchacha20poly1305_ietf_ABYTES == KT_TAGBYTES);
G_STATIC_ASSERT(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == KT_KEYBYTES);

static void put_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v & 0xffu);
  p[1] = (unsigned char)((v >> 8) & 0xffu);
  p[2] = (unsigned char)((v >> 16) & 0xffu);
  p[3] = (unsigned char)((v >> 24) & 0xffu);
}

static void make_ad(unsigned char ad[KT_ADBYTES], KtKeyRef key, KtKeyRef under) {
  put_le32(ad, key.id);
  put_le32(ad + 4, key.version);
  put_le32(ad + 8, under.id);
  put_le32(ad + 12, under.version);
}

void kt_crypto_init(void) {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    if (sodium_init() < 0) {
      g_printerr("kt_crypto_init: libsodium failed to initialise\n");
      abort();
    }
    g_once_init_leave(&done, 1);
  }
}

int kt_wrap(KtWrap *out, const KtKey *key, const KtKey *under,
            const unsigned char nonce[KT_NONCEBYTES]) {
  g_assert(out != NULL && key != NULL && under != NULL && nonce != NULL);
  kt_crypto_init();
  KtWrap w;
  memset(&w, 0, sizeof w);
  w.key = key->ref;
  w.under = under->ref;
  memcpy(w.nonce, nonce, KT_NONCEBYTES);
  unsigned char ad[KT_ADBYTES];
  make_ad(ad, w.key, w.under);
  unsigned long long ct_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(w.ct, &ct_len, key->bytes, KT_KEYBYTES, ad,
                                                 KT_ADBYTES, NULL, w.nonce, under->bytes) != 0 ||
      ct_len != KT_CTBYTES)
    return -1;
  *out = w;
  return 0;
}

int kt_unwrap(KtKey *out, const KtWrap *wrap, const KtKey *under) {
  g_assert(out != NULL && wrap != NULL && under != NULL);
  if (!kt_ref_equal(under->ref, wrap->under))
    return -1;
  kt_crypto_init();
  unsigned char ad[KT_ADBYTES];
  make_ad(ad, wrap->key, wrap->under);
  unsigned char plain[KT_KEYBYTES];
  unsigned long long plain_len = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plain_len, NULL, wrap->ct, KT_CTBYTES,
                                                      ad, KT_ADBYTES, wrap->nonce, under->bytes);
  if (rc != 0 || plain_len != KT_KEYBYTES) {
    sodium_memzero(plain, sizeof plain);
    return -1;
  }
  out->ref = wrap->key;
  memcpy(out->bytes, plain, KT_KEYBYTES);
  sodium_memzero(plain, sizeof plain);
  return 0;
}
