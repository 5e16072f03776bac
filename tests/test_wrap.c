/* test_wrap.c — key wrapping, key generation and golden vectors. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "keytree/kt_key.h"
#include "keytree/kt_keygen.h"
#include "keytree/kt_wrap.h"

#define GOLDEN_SEED 42u
#define GOLDEN_UE 7u

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

/* ---- golden vectors ---------------------------------------------------- */

static void append_hex(GString *s, const char *name, const unsigned char *p, gsize n) {
  g_string_append_printf(s, "%s ", name);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf(s, "%02x", p[i]);
  g_string_append_c(s, '\n');
}

static gchar *golden_text(void) {
  KtKeyGen *g = kt_keygen_new(GOLDEN_SEED);
  KtKey fresh0, fresh1, priv;
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_fresh(g, &fresh0, ref(KT_KEY_GROUP, 0, 1));
  kt_keygen_private(g, &priv, GOLDEN_UE);
  kt_keygen_fresh(g, &fresh1, ref(KT_KEY_SUBGROUP, 0, 1));
  kt_keygen_nonce(g, nonce);
  KtWrap w;
  g_assert_cmpint(kt_wrap(&w, &fresh0, &priv, nonce), ==, 0);

  GString *s = g_string_new("# keytree golden vectors: seed 42; see tests/test_wrap.c\n");
  append_hex(s, "fresh0", fresh0.bytes, KT_KEYBYTES);
  append_hex(s, "fresh1", fresh1.bytes, KT_KEYBYTES);
  append_hex(s, "private7", priv.bytes, KT_KEYBYTES);
  append_hex(s, "wrap.nonce", w.nonce, KT_NONCEBYTES);
  append_hex(s, "wrap.ct", w.ct, KT_CTBYTES);
  kt_key_wipe(&fresh0);
  kt_key_wipe(&fresh1);
  kt_key_wipe(&priv);
  kt_keygen_free(g);
  return g_string_free(s, FALSE);
}

/* tests/golden/wrap.exp: $MBMS_SRCDIR (set by meson), else next to this
 * file as compiled (__FILE__ is relative to the build directory). */
static gchar *golden_path(void) {
  const char *src = g_getenv("MBMS_SRCDIR");
  if (src != NULL && src[0] != '\0')
    return g_build_filename(src, "tests", "golden", "wrap.exp", NULL);
  gchar *dir = g_path_get_dirname(__FILE__);
  gchar *path = g_build_filename(dir, "golden", "wrap.exp", NULL);
  if (!g_path_is_absolute(dir) && !g_file_test(path, G_FILE_TEST_EXISTS)) {
    gchar *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe != NULL) {
      gchar *tests_dir = g_path_get_dirname(exe);
      gchar *build_dir = g_path_get_dirname(tests_dir);
      g_free(path);
      path = g_build_filename(build_dir, dir, "golden", "wrap.exp", NULL);
      g_free(build_dir);
      g_free(tests_dir);
      g_free(exe);
    }
  }
  g_free(dir);
  return path;
}

static void test_golden(void) {
  gchar *text = golden_text();
  gchar *path = golden_path();
  if (g_getenv("MBMS_REGEN_GOLDEN") != NULL) {
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_test_message("wrote %s", path);
  }
  gchar *expected = NULL;
  gsize len = 0;
  GError *err = NULL;
  if (!g_file_get_contents(path, &expected, &len, &err))
    g_error("cannot read golden file %s: %s", path, err->message);
  g_assert_cmpstr(text, ==, expected);
  g_assert_cmpuint(len, ==, strlen(text));
  g_free(expected);
  g_free(path);
  g_free(text);
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
  g_test_add_func("/wrap/golden", test_golden);
  return g_test_run();
}
