/* test_wrap.c — key wrapping (checked against the published XChaCha20-Poly1305
 * vector) and key generation. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "keytree/kt_key.h"
#include "keytree/kt_keygen.h"
#include "keytree/kt_wrap.h"

#include <sodium.h>


static KtKeyRef ref(KtKeyKind kind, uint32_t index, uint32_t version) {
  return (KtKeyRef){KT_KEY_ID(kind, index), version};
}

/* A key to wrap, a key to wrap it under and a nonce, from a seeded gen. */
typedef struct {
  KtKeyGen *gen;
  KtKey key, under;
  unsigned char nonce[KT_NONCEBYTES];
  KtWrap wrap;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data) {
  (void)data;
  f->gen = kt_keygen_new(1234);
  kt_keygen_fresh(f->gen, &f->key, ref(KT_KEY_GROUP, 3, 5));
  kt_keygen_fresh(f->gen, &f->under, ref(KT_KEY_SUBGROUP, 9, 2));
  kt_keygen_nonce(f->gen, f->nonce);
  g_assert_cmpint(kt_wrap(&f->wrap, &f->key, &f->under, f->nonce), ==, 0);
}

static void fixture_tear_down(Fixture *f, gconstpointer data) {
  (void)data;
  kt_key_wipe(&f->key);
  kt_key_wipe(&f->under);
  kt_keygen_free(f->gen);
}

/* Unwrap must fail and leave `out` exactly as it was. */
static void assert_unwrap_fails(const KtWrap *w, const KtKey *under) {
  KtKey out, before;
  memset(&out, 0x5a, sizeof out);
  out.ref = (KtKeyRef){0x12345, 77};
  before = out;
  g_assert_cmpint(kt_unwrap(&out, w, under), ==, -1);
  g_assert_cmpmem(&out, sizeof out, &before, sizeof before);
}

static void test_roundtrip(Fixture *f, gconstpointer data) {
  (void)data;
  g_assert_true(kt_ref_equal(f->wrap.key, f->key.ref));
  g_assert_true(kt_ref_equal(f->wrap.under, f->under.ref));
  g_assert_cmpmem(f->wrap.nonce, KT_NONCEBYTES, f->nonce, KT_NONCEBYTES);
  /* the ciphertext does not contain the key in clear */
  g_assert_true(memcmp(f->wrap.ct, f->key.bytes, KT_KEYBYTES) != 0);
  KtKey out;
  memset(&out, 0, sizeof out);
  g_assert_cmpint(kt_unwrap(&out, &f->wrap, &f->under), ==, 0);
  g_assert_true(kt_ref_equal(out.ref, f->key.ref));
  g_assert_cmpmem(out.bytes, KT_KEYBYTES, f->key.bytes, KT_KEYBYTES);
  g_assert_cmpuint(KT_WRAP_WIREBYTES, ==, 16 + 24 + 48);
}

static void test_wrong_key(Fixture *f, gconstpointer data) {
  (void)data;
  /* same ref, other bytes: authentication fails */
  KtKey other = f->under;
  other.bytes[0] ^= 1;
  assert_unwrap_fails(&f->wrap, &other);
  /* a different key altogether under the same ref */
  kt_keygen_fresh(f->gen, &other, f->under.ref);
  assert_unwrap_fails(&f->wrap, &other);
  /* right bytes, wrong version or id: refused before decrypting */
  other = f->under;
  other.ref.version++;
  assert_unwrap_fails(&f->wrap, &other);
  other = f->under;
  other.ref.id = KT_KEY_ID(KT_KEY_SUBGROUP, 10);
  assert_unwrap_fails(&f->wrap, &other);
  /* the wrapped key itself does not open it */
  assert_unwrap_fails(&f->wrap, &f->key);
  kt_key_wipe(&other);
}

static void test_tamper_ct(Fixture *f, gconstpointer data) {
  (void)data;
  for (guint i = 0; i < KT_CTBYTES; i++) {
    KtWrap w = f->wrap;
    w.ct[i] ^= (unsigned char)(1u << (i % 8));
    assert_unwrap_fails(&w, &f->under);
  }
}

static void test_tamper_nonce(Fixture *f, gconstpointer data) {
  (void)data;
  for (guint i = 0; i < KT_NONCEBYTES; i++) {
    KtWrap w = f->wrap;
    w.nonce[i] ^= 0x80;
    assert_unwrap_fails(&w, &f->under);
  }
}

static void test_tamper_refs(Fixture *f, gconstpointer data) {
  (void)data;
  KtWrap w = f->wrap;
  w.key.version++;
  assert_unwrap_fails(&w, &f->under);
  w = f->wrap;
  w.key.id = KT_KEY_ID(KT_KEY_GROUP, 4);
  assert_unwrap_fails(&w, &f->under);
  /* relabel the wrapping key's ref, and present the right bytes under the
   * relabelled ref: the associated data still catches it */
  KtKey relabelled = f->under;
  w = f->wrap;
  w.under.version++;
  relabelled.ref = w.under;
  assert_unwrap_fails(&w, &relabelled);
  w = f->wrap;
  w.under.id = KT_KEY_ID(KT_KEY_PRIVATE, 9);
  relabelled.ref = w.under;
  assert_unwrap_fails(&w, &relabelled);
  kt_key_wipe(&relabelled);
}

static void test_nonce_changes_ct(Fixture *f, gconstpointer data) {
  (void)data;
  unsigned char n2[KT_NONCEBYTES];
  kt_keygen_nonce(f->gen, n2);
  KtWrap w2;
  g_assert_cmpint(kt_wrap(&w2, &f->key, &f->under, n2), ==, 0);
  g_assert_true(memcmp(w2.ct, f->wrap.ct, KT_CTBYTES) != 0);
  KtKey out;
  g_assert_cmpint(kt_unwrap(&out, &w2, &f->under), ==, 0);
  g_assert_cmpmem(out.bytes, KT_KEYBYTES, f->key.bytes, KT_KEYBYTES);
  /* same inputs, same bytes */
  KtWrap w3;
  g_assert_cmpint(kt_wrap(&w3, &f->key, &f->under, f->nonce), ==, 0);
  g_assert_cmpmem(&w3, sizeof w3, &f->wrap, sizeof f->wrap);
}

static void test_key_wipe(void) {
  KtKey k;
  memset(&k, 0xff, sizeof k);
  kt_key_wipe(&k);
  KtKey zero;
  memset(&zero, 0, sizeof zero);
  g_assert_cmpmem(&k, sizeof k, &zero, sizeof zero);
  kt_key_wipe(NULL); /* allowed */
}

static void test_keygen_deterministic(void) {
  KtKeyGen *a = kt_keygen_new(99), *b = kt_keygen_new(99);
  for (int i = 0; i < 20; i++) {
    KtKey ka, kb;
    kt_keygen_fresh(a, &ka, ref(KT_KEY_GROUP, 0, (uint32_t)i + 1));
    kt_keygen_fresh(b, &kb, ref(KT_KEY_GROUP, 0, (uint32_t)i + 1));
    g_assert_cmpmem(&ka, sizeof ka, &kb, sizeof kb);
    g_assert_cmpuint(ka.ref.version, ==, (guint)i + 1);
    unsigned char na[KT_NONCEBYTES], nb[KT_NONCEBYTES];
    kt_keygen_nonce(a, na);
    kt_keygen_nonce(b, nb);
    g_assert_cmpmem(na, sizeof na, nb, sizeof nb);
  }
  kt_keygen_free(a);
  kt_keygen_free(b);
}

static void test_keygen_fresh_distinct(void) {
  KtKeyGen *g = kt_keygen_new(5);
  GHashTable *seen =
      g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
  for (int i = 0; i < 1000; i++) {
    KtKey k;
    kt_keygen_fresh(g, &k, ref(KT_KEY_SUBGROUP, 1, 1)); /* same ref, new bytes */
    g_assert_true(g_hash_table_add(seen, g_bytes_new(k.bytes, KT_KEYBYTES)));
  }
  g_hash_table_unref(seen);
  kt_keygen_free(g);
}

static void test_keygen_seed_differs(void) {
  KtKeyGen *a = kt_keygen_new(1), *b = kt_keygen_new(2);
  KtKey ka, kb;
  kt_keygen_fresh(a, &ka, ref(KT_KEY_GROUP, 0, 1));
  kt_keygen_fresh(b, &kb, ref(KT_KEY_GROUP, 0, 1));
  g_assert_true(memcmp(ka.bytes, kb.bytes, KT_KEYBYTES) != 0);
  kt_keygen_private(a, &ka, 3);
  kt_keygen_private(b, &kb, 3);
  g_assert_true(memcmp(ka.bytes, kb.bytes, KT_KEYBYTES) != 0);
  /* seeds that differ only in the high bytes also differ */
  KtKeyGen *c = kt_keygen_new(1 | (UINT64_C(1) << 56));
  KtKey kc;
  kt_keygen_private(c, &kc, 3);
  kt_keygen_private(a, &ka, 3);
  g_assert_true(memcmp(ka.bytes, kc.bytes, KT_KEYBYTES) != 0);
  kt_keygen_free(a);
  kt_keygen_free(b);
  kt_keygen_free(c);
}

static void test_keygen_private_order(void) {
  KtKeyGen *a = kt_keygen_new(7), *b = kt_keygen_new(7);
  KtKey pa5, pb5, pb9, fa, fb;
  kt_keygen_private(a, &pa5, 5);
  /* b draws fresh keys and other private keys first */
  kt_keygen_fresh(b, &fb, ref(KT_KEY_GROUP, 0, 1));
  kt_keygen_fresh(b, &fb, ref(KT_KEY_GROUP, 0, 2));
  kt_keygen_private(b, &pb9, 9);
  kt_keygen_private(b, &pb5, 5);
  g_assert_cmpmem(&pa5, sizeof pa5, &pb5, sizeof pb5);
  g_assert_cmpuint(pa5.ref.id, ==, KT_KEY_ID(KT_KEY_PRIVATE, 5));
  g_assert_cmpuint(pa5.ref.version, ==, 1);
  g_assert_true(memcmp(pb9.bytes, pb5.bytes, KT_KEYBYTES) != 0);
  /* private keys do not consume the fresh counter: a's first fresh key is
   * b's first fresh key */
  KtKeyGen *c = kt_keygen_new(7);
  kt_keygen_fresh(c, &fb, ref(KT_KEY_GROUP, 0, 1));
  kt_keygen_fresh(a, &fa, ref(KT_KEY_GROUP, 0, 1));
  g_assert_cmpmem(&fa, sizeof fa, &fb, sizeof fb);
  /* nor are private keys the same as fresh keys */
  g_assert_true(memcmp(fa.bytes, pa5.bytes, KT_KEYBYTES) != 0);
  kt_keygen_free(a);
  kt_keygen_free(b);
  kt_keygen_free(c);
}

static void test_keygen_nonce_format(void) {
  KtKeyGen *g = kt_keygen_new(3);
  unsigned char n[KT_NONCEBYTES], expect[KT_NONCEBYTES];
  for (unsigned i = 0; i < 300; i++) {
    kt_keygen_nonce(g, n);
    memset(expect, 0, sizeof expect);
    expect[0] = (unsigned char)(i & 0xff);
    expect[1] = (unsigned char)(i >> 8);
    g_assert_cmpmem(n, sizeof n, expect, sizeof expect);
  }
  /* fresh keys do not consume nonces */
  KtKey k;
  kt_keygen_fresh(g, &k, ref(KT_KEY_GROUP, 0, 1));
  kt_keygen_nonce(g, n);
  g_assert_cmpuint(n[0], ==, 300 & 0xff);
  g_assert_cmpuint(n[1], ==, 300 >> 8);
  kt_keygen_free(g);
}

/* ---- a published vector ------------------------------------------------- */

/* draft-irtf-cfrg-xchacha-03, Appendix A.3.1 (AEAD_XChaCha20_Poly1305). */
static const char *const XC_KEY = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char *const XC_NONCE = "404142434445464748494a4b4c4d4e4f5051525354555657";
static const char *const XC_AD = "50515253c0c1c2c3c4c5c6c7";
static const char *const XC_PLAIN = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                    "only one tip for the future, sunscreen would be it.";
static const char *const XC_CT = "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                                 "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
                                 "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
                                 "21f9664c97637da9768812f615c68b13b52e";
static const char *const XC_TAG = "c0875924c1c7987947deafd8780acf49";

static gsize unhex(const char *hex, unsigned char *out, gsize cap) {
  gsize n = strlen(hex) / 2;
  g_assert_cmpuint(n, <=, cap);
  for (gsize i = 0; i < n; i++)
    out[i] = (unsigned char)(g_ascii_xdigit_value(hex[2 * i]) << 4 |
                             g_ascii_xdigit_value(hex[2 * i + 1]));
  return n;
}

static void put_le64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* AEAD_XChaCha20_Poly1305 of the draft built from its parts (section 2.3:
 * HChaCha20 subkey from the key and the first 16 nonce bytes; ChaCha20
 * (IETF) with nonce 0^4 || the last 8 nonce bytes; block 0 gives the
 * Poly1305 key, blocks 1.. encrypt; the tag covers AD || pad16 || CT ||
 * pad16 || le64 |AD| || le64 |CT|, RFC 8439 section 2.8), with libsodium's
 * primitives but not its AEAD: an independent check of kt_wrap's tag. */
static void xchacha_by_parts(unsigned char *ct, unsigned char tag[16], const unsigned char *plain,
                             gsize n, const unsigned char *ad, gsize n_ad,
                             const unsigned char nonce[24], const unsigned char key[32]) {
  unsigned char sub[32], n12[12] = {0}, block0[64] = {0};
  crypto_core_hchacha20(sub, nonce, key, NULL);
  memcpy(n12 + 4, nonce + 16, 8);
  crypto_stream_chacha20_ietf_xor_ic(block0, block0, sizeof block0, n12, 0, sub);
  crypto_stream_chacha20_ietf_xor_ic(ct, plain, n, n12, 1, sub);
  GByteArray *mac = g_byte_array_new();
  static const unsigned char zeros[16] = {0};
  g_byte_array_append(mac, ad, (guint)n_ad);
  g_byte_array_append(mac, zeros, (guint)((16 - n_ad % 16) % 16));
  g_byte_array_append(mac, ct, (guint)n);
  g_byte_array_append(mac, zeros, (guint)((16 - n % 16) % 16));
  unsigned char lens[16];
  put_le64(lens, n_ad);
  put_le64(lens + 8, n);
  g_byte_array_append(mac, lens, 16);
  crypto_onetimeauth_poly1305(tag, mac->data, mac->len, block0);
  g_byte_array_free(mac, TRUE);
  sodium_memzero(sub, sizeof sub);
  sodium_memzero(block0, sizeof block0);
}

/* The construction by parts reproduces the published vector, and so does
 * libsodium's AEAD (the library and our reading of the vector agree). */
static void test_vector_published(void) {
  unsigned char key[32], nonce[24], ad[12], ct[128], tag[16], got[128 + 16], got_tag[16];
  unhex(XC_KEY, key, sizeof key);
  unhex(XC_NONCE, nonce, sizeof nonce);
  gsize n_ad = unhex(XC_AD, ad, sizeof ad);
  gsize n = unhex(XC_CT, ct, sizeof ct);
  unhex(XC_TAG, tag, sizeof tag);
  g_assert_cmpuint(n, ==, strlen(XC_PLAIN));

  xchacha_by_parts(got, got_tag, (const unsigned char *)XC_PLAIN, n, ad, n_ad, nonce, key);
  g_assert_cmpmem(got, n, ct, n);
  g_assert_cmpmem(got_tag, 16, tag, 16);

  unsigned long long len = 0;
  g_assert_cmpint(crypto_aead_xchacha20poly1305_ietf_encrypt(got, &len,
                                                             (const unsigned char *)XC_PLAIN, n,
                                                             ad, n_ad, NULL, nonce, key),
                  ==, 0);
  g_assert_cmpuint(len, ==, n + 16);
  g_assert_cmpmem(got, n, ct, n);
  g_assert_cmpmem(got + n, 16, tag, 16);
}

/* kt_wrap under the vector's key and nonce, wrapping the first 32 bytes of
 * its plaintext: the keystream does not depend on the associated data, so
 * the 32 ciphertext bytes are the vector's first 32; the tag is the one the
 * construction gives for kt_wrap's documented associated data (kt_wrap.h:
 * wrapped id, version, wrapping id, version, four little-endian u32). And
 * kt_unwrap opens it back to those bytes. */
static void test_vector_through_kt_wrap(void) {
  KtKey under = {.ref = ref(KT_KEY_SUBGROUP, 5, 3)};
  KtKey key = {.ref = ref(KT_KEY_GROUP, 1, 9)};
  unsigned char nonce[KT_NONCEBYTES], ct[128];
  unhex(XC_KEY, under.bytes, sizeof under.bytes);
  unhex(XC_NONCE, nonce, sizeof nonce);
  unhex(XC_CT, ct, sizeof ct);
  memcpy(key.bytes, XC_PLAIN, KT_KEYBYTES);

  KtWrap w;
  g_assert_cmpint(kt_wrap(&w, &key, &under, nonce), ==, 0);
  g_assert_cmpmem(w.ct, KT_KEYBYTES, ct, KT_KEYBYTES);

  unsigned char ad[16], want_ct[KT_KEYBYTES], want_tag[16];
  const uint32_t fields[4] = {key.ref.id, key.ref.version, under.ref.id, under.ref.version};
  for (int i = 0; i < 4; i++)
    for (int b = 0; b < 4; b++)
      ad[4 * i + b] = (unsigned char)(fields[i] >> (8 * b));
  xchacha_by_parts(want_ct, want_tag, key.bytes, KT_KEYBYTES, ad, sizeof ad, nonce, under.bytes);
  g_assert_cmpmem(w.ct, KT_KEYBYTES, want_ct, KT_KEYBYTES);
  g_assert_cmpmem(w.ct + KT_KEYBYTES, KT_TAGBYTES, want_tag, KT_TAGBYTES);

  KtKey back;
  g_assert_cmpint(kt_unwrap(&back, &w, &under), ==, 0);
  g_assert_cmpmem(back.bytes, KT_KEYBYTES, key.bytes, KT_KEYBYTES);
  g_assert_true(kt_ref_equal(back.ref, key.ref));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  kt_crypto_init();
#define FIX(name, fn) g_test_add(name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  FIX("/wrap/roundtrip", test_roundtrip);
  FIX("/wrap/wrong-key", test_wrong_key);
  FIX("/wrap/tamper-ct", test_tamper_ct);
  FIX("/wrap/tamper-nonce", test_tamper_nonce);
  FIX("/wrap/tamper-refs", test_tamper_refs);
  FIX("/wrap/nonce-changes-ct", test_nonce_changes_ct);
#undef FIX
  g_test_add_func("/key/wipe", test_key_wipe);
  g_test_add_func("/keygen/deterministic", test_keygen_deterministic);
  g_test_add_func("/keygen/fresh-distinct", test_keygen_fresh_distinct);
  g_test_add_func("/keygen/seed-differs", test_keygen_seed_differs);
  g_test_add_func("/keygen/private-order", test_keygen_private_order);
  g_test_add_func("/keygen/nonce-format", test_keygen_nonce_format);
  g_test_add_func("/wrap/vector-published", test_vector_published);
  g_test_add_func("/wrap/vector-through-kt-wrap", test_vector_through_kt_wrap);
  return g_test_run();
}
