/* test_msg.c — the message codec: round trips, golden bytes written by hand
 * from the format in msg.h, and hostile input (every truncation, every
 * single-byte corruption of the header and fixed fields, random flips). A
 * decoder that accepts a corrupted buffer must return a valid message that
 * re-encodes to exactly those bytes. Buffers are heap copies of the exact
 * length, so that ASan catches any read past the end. */
#include <glib.h>
#include <string.h>

#include "nodes/msg.h"

/* ------------------------------------------------------------ helpers */

static const MsgType all_types[] = {
    MSG_ACTIVATE_REQ,      MSG_ACTIVATE_ACCEPT,      MSG_DEACTIVATE_REQ,
    MSG_DEACTIVATE_ACCEPT, MSG_GROUP_KEY_CHANGE_REQ, MSG_RAB_ASSIGNMENT_REQ,
    MSG_KEY_ASSIGNMENT,    MSG_KEY_REQUEST,          MSG_KEY_RECOVERY};
#define N_TYPES G_N_ELEMENTS(all_types)

/* The context layout (ue, cell): the four context messages and the key
 * request. */
static bool is_context(MsgType t) {
  return (t >= MSG_ACTIVATE_REQ && t <= MSG_DEACTIVATE_ACCEPT) || t == MSG_KEY_REQUEST;
}

/* The key assignment layout (mode, ue): key assignment and key recovery. */
static bool is_assignment(MsgType t) {
  return t == MSG_KEY_ASSIGNMENT || t == MSG_KEY_RECOVERY;
}

/* Smallest and largest wrap count a valid message of this type carries. */
static unsigned min_wraps(MsgType t) {
  return is_context(t) ? 0 : 1;
}

static unsigned max_wraps(MsgType t) {
  return t == MSG_KEY_REQUEST ? 0 : MSG_MAX_WRAPS;
}

/* Fixed body bytes, written out from the format independently of msg.c. */
static size_t fixed_bytes(MsgType t) {
  return is_context(t) ? 9 : is_assignment(t) ? 6 : 5;
}

static void fill_wrap(KtWrap *w, GRand *r) {
  w->key.id = g_rand_int(r);
  w->key.version = g_rand_int(r);
  w->under.id = g_rand_int(r);
  w->under.version = g_rand_int(r);
  for (unsigned i = 0; i < KT_NONCEBYTES; i++)
    w->nonce[i] = (unsigned char)g_rand_int(r);
  for (unsigned i = 0; i < KT_CTBYTES; i++)
    w->ct[i] = (unsigned char)g_rand_int(r);
}

/* Bytes of a group key change request's RNC list of n RNCs, from the
 * format: none without a list, else n_rncs u16 and a u32 per RNC. */
static size_t list_bytes(unsigned n_rncs) {
  return n_rncs ? 2 + 4 * (size_t)n_rncs : 0;
}

/* A valid message of `type` with `n` wraps and random field values;
 * key assignments alternate modes with `variant`, group key change
 * requests alternate no list / a list of 1 + variant / 2 % MSG_MAX_RNCS
 * random ascending RNCs. */
static void make_msg(Msg *m, MsgType type, unsigned n, unsigned variant, GRand *r) {
  msg_init(m, type, g_rand_int(r));
  if (is_context(type)) {
    m->ue = g_rand_int(r);
    m->cell = g_rand_int(r);
  } else if (is_assignment(type)) {
    m->mode = variant % 2 && type == MSG_KEY_ASSIGNMENT ? MSG_P2M : MSG_P2P;
    m->ue = m->mode == MSG_P2M ? MSG_NO_UE : (uint32_t)g_rand_int_range(r, 0, G_MAXINT32);
  } else {
    m->scope = g_rand_int(r);
    if (type == MSG_GROUP_KEY_CHANGE_REQ && variant % 2) {
      m->n_rncs = (uint16_t)(1 + variant / 2 % MSG_MAX_RNCS);
      uint32_t rnc = (uint32_t)g_rand_int_range(r, 0, 1000);
      for (unsigned i = 0; i < m->n_rncs; i++, rnc += (uint32_t)g_rand_int_range(r, 1, 70000))
        m->rncs[i] = rnc;
    }
  }
  m->n_wraps = (uint8_t)n;
  for (unsigned i = 0; i < n; i++)
    fill_wrap(&m->wraps[i], r);
}

static bool wrap_equal(const KtWrap *a, const KtWrap *b) {
  return kt_ref_equal(a->key, b->key) && kt_ref_equal(a->under, b->under) &&
         memcmp(a->nonce, b->nonce, KT_NONCEBYTES) == 0 && memcmp(a->ct, b->ct, KT_CTBYTES) == 0;
}

static bool msg_equal(const Msg *a, const Msg *b) {
  if (a->type != b->type || a->seq != b->seq || a->ue != b->ue || a->cell != b->cell ||
      a->scope != b->scope || a->mode != b->mode || a->n_wraps != b->n_wraps ||
      a->n_rncs != b->n_rncs || a->pad != b->pad)
    return false;
  for (unsigned i = 0; i < a->n_rncs; i++)
    if (a->rncs[i] != b->rncs[i])
      return false;
  for (unsigned i = 0; i < a->n_wraps; i++)
    if (!wrap_equal(&a->wraps[i], &b->wraps[i]))
      return false;
  return true;
}

/* Decodes a heap copy of exactly `len` bytes. */
static bool decode_copy(Msg *out, const uint8_t *bytes, size_t len, const char **why) {
  uint8_t *copy = g_malloc(len ? len : 1);
  if (len)
    memcpy(copy, bytes, len);
  bool ok = msg_decode(out, copy, len, why);
  g_free(copy);
  return ok;
}

/* If `bytes` decode, they must re-encode to themselves exactly. Returns
 * whether they decoded. */
static bool decode_is_canonical(const uint8_t *bytes, size_t len, Msg *out) {
  const char *why = NULL;
  if (!decode_copy(out, bytes, len, &why)) {
    g_assert_nonnull(why);
    g_assert_cmpuint(strlen(why), >, 0);
    return false;
  }
  g_assert_null(why);
  g_assert_cmpuint(out->n_wraps, <=, MSG_MAX_WRAPS);
  g_assert_cmpuint(msg_encoded_size(out), ==, len);
  uint8_t again[MSG_MAX_BYTES];
  g_assert_cmpuint(msg_encode(out, again, sizeof again), ==, len);
  g_assert_cmpmem(again, len, bytes, len);
  return true;
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static size_t hex_decode(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  for (const char *p = hex; *p;) {
    if (g_ascii_isspace(*p)) {
      p++;
      continue;
    }
    g_assert_true(g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1]));
    g_assert_cmpuint(n, <, cap);
    out[n++] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
    p += 2;
  }
  return n;
}

static void expect_reject(const uint8_t *bytes, size_t len, const char *reason) {
  Msg m;
  const char *why = NULL;
  g_assert_false(decode_copy(&m, bytes, len, &why));
  g_assert_cmpstr(why, ==, reason);
}

/* ------------------------------------------------------------ round trips */

static void test_roundtrip(void) {
  GRand *r = g_rand_new_with_seed(1);
  unsigned cases = 0;
  for (unsigned t = 0; t < N_TYPES; t++) {
    MsgType type = all_types[t];
    unsigned variants = type == MSG_KEY_ASSIGNMENT         ? 2u
                        : type == MSG_GROUP_KEY_CHANGE_REQ ? 3u
                                                           : 1u;
    for (unsigned v = 0; v < variants; v++) {
      for (unsigned n = min_wraps(type); n <= max_wraps(type); n++) {
        Msg m, d;
        /* group key change: no list, lists of 1 .. MSG_MAX_WRAPS + 1 RNCs,
         * and the longest list */
        unsigned variant = v < 2 ? v + 2 * n : 2 * (MSG_MAX_RNCS - 1) + 1;
        make_msg(&m, type, n, variant, r);
        size_t size = msg_encoded_size(&m);
        g_assert_cmpuint(size, ==,
                         MSG_HEADER_BYTES + fixed_bytes(type) + n * KT_WRAP_WIREBYTES +
                             list_bytes(m.n_rncs));
        g_assert_cmpuint(size, <=, MSG_MAX_BYTES);
        uint8_t buf[MSG_MAX_BYTES];
        g_assert_cmpuint(msg_encode(&m, buf, size - 1), ==, 0);
        g_assert_cmpuint(msg_encode(&m, buf, size), ==, size);
        const char *why = "unset";
        g_assert_true(decode_copy(&d, buf, size, &why));
        g_assert_null(why);
        g_assert_true(msg_equal(&m, &d));
        g_assert_true(decode_is_canonical(buf, size, &d));
        cases++;
      }
    }
  }
  /* 4 context types with 0..MAX wraps, the key request with none, 2 core
   * types, 2 more variants of the group key change (with RNC lists) and 2
   * key assignment modes with 1..MAX, the key recovery (p2p) with 1..MAX */
  g_assert_cmpuint(cases, ==,
                   4 * (MSG_MAX_WRAPS + 1) + 1 + 2 * MSG_MAX_WRAPS + 2 * MSG_MAX_WRAPS +
                       2 * MSG_MAX_WRAPS + MSG_MAX_WRAPS);
  g_rand_free(r);
}

static void test_init(void) {
  Msg m;
  memset(&m, 0xab, sizeof m);
  msg_init(&m, MSG_RAB_ASSIGNMENT_REQ, 42);
  g_assert_cmpint(m.type, ==, MSG_RAB_ASSIGNMENT_REQ);
  g_assert_cmpuint(m.seq, ==, 42);
  g_assert_cmpuint(m.ue, ==, MSG_NO_UE);
  g_assert_cmpuint(m.cell, ==, 0);
  g_assert_cmpuint(m.scope, ==, 0);
  g_assert_cmpint(m.mode, ==, MSG_P2P);
  g_assert_cmpuint(m.n_wraps, ==, 0);
}

/* ------------------------------------------------------------ golden bytes */

/* Repeated byte strings, for nonces and ciphertexts filled with one value. */
#define X4(s) s s s s
#define X8(s) X4(s) X4(s)
#define X24(s) X8(s) X8(s) X8(s)
#define X48(s) X24(s) X24(s)

/* Nonce 00 01 .. 17, ciphertext 80 81 .. af: catches any byte reordering. */
#define SEQ_NONCE "000102030405060708090a0b0c0d0e0f1011121314151617"
#define SEQ_CT                                                                                     \
  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"                               \
  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"

static void seq_fill(KtWrap *w) {
  for (unsigned i = 0; i < KT_NONCEBYTES; i++)
    w->nonce[i] = (unsigned char)i;
  for (unsigned i = 0; i < KT_CTBYTES; i++)
    w->ct[i] = (unsigned char)(0x80 + i);
}

static void set_wrap(KtWrap *w, KtKeyId id, uint32_t ver, KtKeyId under, uint32_t under_ver) {
  w->key = (KtKeyRef){id, ver};
  w->under = (KtKeyRef){under, under_ver};
}

static void check_golden(const Msg *m, const char *hex) {
  uint8_t want[MSG_MAX_BYTES], got[MSG_MAX_BYTES];
  size_t n = hex_decode(hex, want, sizeof want);
  g_assert_cmpuint(msg_encoded_size(m), ==, n);
  g_assert_cmpuint(msg_encode(m, got, sizeof got), ==, n);
  g_assert_cmpmem(got, n, want, n);
  Msg d;
  const char *why = NULL;
  g_assert_true(decode_copy(&d, want, n, &why));
  g_assert_true(msg_equal(m, &d));
}

static void test_golden(void) {
  Msg m;

  /* Activate MBMS context request: seq 1, ue 5, cell 3, no wraps. */
  msg_init(&m, MSG_ACTIVATE_REQ, 1);
  m.ue = 5;
  m.cell = 3;
  check_golden(&m, "4d4b0101 01000000 09000000"
                   "05000000 03000000 00");

  /* Activate MBMS context accept: seq 0x01020304, ue 16, cell 10, one wrap:
   * group key 0 version 2 under UE 16's private key (0x80000010) version 1,
   * nonce a5 x 24, ciphertext 3c x 48. Body 9 + 88 = 97 = 0x61 bytes. */
  msg_init(&m, MSG_ACTIVATE_ACCEPT, 0x01020304);
  m.ue = 16;
  m.cell = 10;
  m.n_wraps = 1;
  set_wrap(&m.wraps[0], KT_KEY_ID(KT_KEY_GROUP, 0), 2, KT_KEY_ID(KT_KEY_PRIVATE, 16), 1);
  memset(m.wraps[0].nonce, 0xa5, KT_NONCEBYTES);
  memset(m.wraps[0].ct, 0x3c, KT_CTBYTES);
  check_golden(&m, "4d4b0102 04030201 61000000"
                   "10000000 0a000000 01"
                   "00000000 02000000 10000080 01000000" X24("a5") X48("3c"));

  /* Deactivate MBMS context request: seq 0xdeadbeef, ue 0xfffffffe, cell 0. */
  msg_init(&m, MSG_DEACTIVATE_REQ, 0xdeadbeef);
  m.ue = 0xfffffffe;
  m.cell = 0;
  check_golden(&m, "4d4b0103 efbeadde 09000000"
                   "feffffff 00000000 00");

  /* Deactivate MBMS context accept: seq 7, ue 1, cell 2. */
  msg_init(&m, MSG_DEACTIVATE_ACCEPT, 7);
  m.ue = 1;
  m.cell = 2;
  check_golden(&m, "4d4b0104 07000000 09000000"
                   "01000000 02000000 00");

  /* MBMS group key change request: seq 9, scope 0, group key 0 version 3
   * under the core key 0 (0xc0000000) version 1. Body 5 + 88 = 0x5d. */
  msg_init(&m, MSG_GROUP_KEY_CHANGE_REQ, 9);
  m.scope = 0;
  m.n_wraps = 1;
  set_wrap(&m.wraps[0], KT_KEY_ID(KT_KEY_GROUP, 0), 3, KT_KEY_ID(KT_KEY_CORE, 0), 1);
  seq_fill(&m.wraps[0]);
  check_golden(&m, "4d4b0105 09000000 5d000000"
                   "00000000 01"
                   "00000000 03000000 000000c0 01000000" SEQ_NONCE SEQ_CT);

  /* The same request for RNCs 2 and 0x01020304 only: the wrap count byte
   * with bit 7 set (0x81), the list after the wrap: n_rncs 2, the RNCs.
   * Body 5 + 88 + 2 + 8 = 103 = 0x67. */
  m.n_rncs = 2;
  m.rncs[0] = 2;
  m.rncs[1] = 0x01020304;
  check_golden(&m, "4d4b0105 09000000 67000000"
                   "00000000 81"
                   "00000000 03000000 000000c0 01000000" SEQ_NONCE SEQ_CT "0200 02000000 04030201");

  /* RAB assignment request: seq 10, scope 2, group key 2 version 1 under
   * core key 2 (0xc0000002) version 1. */
  msg_init(&m, MSG_RAB_ASSIGNMENT_REQ, 10);
  m.scope = 2;
  m.n_wraps = 1;
  set_wrap(&m.wraps[0], KT_KEY_ID(KT_KEY_GROUP, 2), 1, KT_KEY_ID(KT_KEY_CORE, 2), 1);
  seq_fill(&m.wraps[0]);
  check_golden(&m, "4d4b0106 0a000000 5d000000"
                   "02000000 01"
                   "02000000 01000000 020000c0 01000000" SEQ_NONCE SEQ_CT);

  /* MBMS key assignment, point-to-point: seq 11, ue 0x12345, sub-group key 7
   * (0x40000007) version 1 under UE 0x12345's private key (0x80012345)
   * version 1. Body 6 + 88 = 94 = 0x5e. */
  msg_init(&m, MSG_KEY_ASSIGNMENT, 11);
  m.mode = MSG_P2P;
  m.ue = 0x12345;
  m.n_wraps = 1;
  set_wrap(&m.wraps[0], KT_KEY_ID(KT_KEY_SUBGROUP, 7), 1, KT_KEY_ID(KT_KEY_PRIVATE, 0x12345), 1);
  seq_fill(&m.wraps[0]);
  check_golden(&m, "4d4b0107 0b000000 5e000000"
                   "00 45230100 01"
                   "07000040 01000000 45230180 01000000" SEQ_NONCE SEQ_CT);

  /* MBMS key request: no event (seq 0xffffffff), ue 0x12345, cell 3, no
   * wrap: the context layout, type 9, body 9. */
  msg_init(&m, MSG_KEY_REQUEST, 0xffffffffu);
  m.ue = 0x12345;
  m.cell = 3;
  check_golden(&m, "4d4b0109 ffffffff 09000000"
                   "45230100 03000000 00");

  /* MBMS key recovery: seq 11, ue 0x12345, the same wrap as the key
   * assignment above: the key assignment layout, type 10 (0x0a). */
  msg_init(&m, MSG_KEY_RECOVERY, 11);
  m.mode = MSG_P2P;
  m.ue = 0x12345;
  m.n_wraps = 1;
  set_wrap(&m.wraps[0], KT_KEY_ID(KT_KEY_SUBGROUP, 7), 1, KT_KEY_ID(KT_KEY_PRIVATE, 0x12345), 1);
  seq_fill(&m.wraps[0]);
  check_golden(&m, "4d4b010a 0b000000 5e000000"
                   "00 45230100 01"
                   "07000040 01000000 45230180 01000000" SEQ_NONCE SEQ_CT);

  /* MBMS key assignment, point-to-multipoint: seq 12, two wraps of group key
   * 0 version 4, under sub-group keys 7 v2 and 8 v1. Body 6 + 176 = 0xb6. */
  msg_init(&m, MSG_KEY_ASSIGNMENT, 12);
  m.mode = MSG_P2M;
  m.ue = MSG_NO_UE;
  m.n_wraps = 2;
  set_wrap(&m.wraps[0], KT_KEY_ID(KT_KEY_GROUP, 0), 4, KT_KEY_ID(KT_KEY_SUBGROUP, 7), 2);
  seq_fill(&m.wraps[0]);
  set_wrap(&m.wraps[1], KT_KEY_ID(KT_KEY_GROUP, 0), 4, KT_KEY_ID(KT_KEY_SUBGROUP, 8), 1);
  memset(m.wraps[1].nonce, 0x11, KT_NONCEBYTES);
  memset(m.wraps[1].ct, 0xee, KT_CTBYTES);
  check_golden(&m, "4d4b0107 0c000000 b6000000"
                   "01 ffffffff 02"
                   "00000000 04000000 07000040 02000000" SEQ_NONCE SEQ_CT
                   "00000000 04000000 08000040 01000000" X24("11") X48("ee"));
}

/* ------------------------------------------------------------ hostile input */

static size_t encode_sample(MsgType type, unsigned n, unsigned variant, uint8_t *buf, Msg *m,
                            GRand *r) {
  make_msg(m, type, n, variant, r);
  return msg_encode(m, buf, MSG_MAX_BYTES);
}

static void test_truncation(void) {
  GRand *r = g_rand_new_with_seed(2);
  for (unsigned t = 0; t < N_TYPES; t++) {
    for (unsigned n = min_wraps(all_types[t]); n <= MIN(3u, max_wraps(all_types[t])); n++) {
      uint8_t buf[MSG_MAX_BYTES];
      Msg m, d;
      size_t size = encode_sample(all_types[t], n, n, buf, &m, r);
      for (size_t len = 0; len < size; len++) {
        const char *why = NULL;
        g_assert_false(decode_copy(&d, buf, len, &why));
        g_assert_nonnull(why);
        if (len < MSG_HEADER_BYTES) {
          g_assert_cmpstr(why, ==, "truncated header");
          continue;
        }
        g_assert_cmpstr(why, ==, "truncated body");
        /* The same truncation with a consistent body length must be caught
         * by the per-type checks. */
        uint8_t fixed[MSG_MAX_BYTES];
        memcpy(fixed, buf, len);
        put_u32(fixed + 8, (uint32_t)(len - MSG_HEADER_BYTES));
        g_assert_false(decode_copy(&d, fixed, len, &why));
      }
      g_assert_true(decode_is_canonical(buf, size, &d));
    }
  }
  g_assert_false(msg_decode(&(Msg){0}, NULL, 0, NULL)); /* why may be NULL */
  g_rand_free(r);
}

/* Every value of every header and fixed-field byte: rejected, or a different
 * valid message that re-encodes to the corrupted bytes. */
static void test_corruption(void) {
  GRand *r = g_rand_new_with_seed(3);
  for (unsigned t = 0; t < N_TYPES; t++) {
    for (unsigned variant = 0; variant < 2; variant++) {
      MsgType type = all_types[t];
      unsigned n = variant == 0 ? min_wraps(type) : MIN(2u, max_wraps(type));
      uint8_t buf[MSG_MAX_BYTES];
      Msg m, d;
      size_t size = encode_sample(type, n, variant, buf, &m, r);
      size_t span = MSG_HEADER_BYTES + fixed_bytes(type);
      for (size_t pos = 0; pos < span; pos++) {
        unsigned accepted = 0;
        for (unsigned v = 0; v < 256; v++) {
          if (v == buf[pos])
            continue;
          uint8_t bad[MSG_MAX_BYTES];
          memcpy(bad, buf, size);
          bad[pos] = (uint8_t)v;
          if (decode_is_canonical(bad, size, &d)) {
            g_assert_false(msg_equal(&d, &m));
            accepted++;
          }
        }
        /* Magic, version, body length and wrap count admit no other value. */
        if (pos < 3 || (pos >= 8 && pos < 12) || pos == span - 1)
          g_assert_cmpuint(accepted, ==, 0);
        /* The sequence number is free. */
        if (pos >= 4 && pos < 8)
          g_assert_cmpuint(accepted, ==, 255);
        /* The type byte only moves within a body layout: among the
         * context messages (and to the key request if there is no
         * wrap), between the two group changes without an RNC list (a
         * list is a layout of its own), and between key assignment and
         * key recovery when point-to-point. */
        if (pos == 3) {
          unsigned want = is_context(type) ? (type == MSG_KEY_REQUEST ? 4 : 3 + (m.n_wraps == 0))
                          : is_assignment(type) ? (m.mode == MSG_P2P ? 1 : 0)
                          : m.n_rncs            ? 0
                                                : 1;
          g_assert_cmpuint(accepted, ==, want);
        }
      }
    }
  }
  g_rand_free(r);
}

/* Random flips, truncations and extensions over many seeds: never a crash,
 * and anything accepted is canonical. */
static void test_random_flips(void) {
  unsigned accepted = 0, rejected = 0;
  for (guint32 seed = 1; seed <= 3000; seed++) {
    GRand *r = g_rand_new_with_seed(seed);
    MsgType type = all_types[g_rand_int_range(r, 0, N_TYPES)];
    unsigned n =
        (unsigned)g_rand_int_range(r, (gint32)min_wraps(type), (gint32)max_wraps(type) + 1);
    uint8_t buf[MSG_MAX_BYTES + 16];
    Msg m, d;
    size_t size = encode_sample(type, n, seed, buf, &m, r);
    unsigned flips = (unsigned)g_rand_int_range(r, 1, 9);
    for (unsigned i = 0; i < flips; i++) {
      /* Bias towards the header and fixed fields, where the checks are. */
      size_t pos = g_rand_boolean(r) ? (size_t)g_rand_int_range(r, 0, 22)
                                     : (size_t)g_rand_int_range(r, 0, (gint32)size);
      buf[pos] ^= (uint8_t)g_rand_int_range(r, 1, 256);
    }
    size_t len = size;
    switch (g_rand_int_range(r, 0, 4)) {
    case 0:
      len = (size_t)g_rand_int_range(r, 0, (gint32)size + 1);
      break;
    case 1:
      len = size + (size_t)g_rand_int_range(r, 1, 17);
      for (size_t i = size; i < len; i++)
        buf[i] = (uint8_t)g_rand_int(r);
      break;
    default:
      break;
    }
    if (decode_is_canonical(buf, len, &d))
      accepted++;
    else
      rejected++;
    g_rand_free(r);
  }
  /* Both outcomes occur, so the test exercises both paths. */
  g_assert_cmpuint(accepted, >, 100);
  g_assert_cmpuint(rejected, >, 100);
}

static void test_trailing(void) {
  GRand *r = g_rand_new_with_seed(4);
  for (unsigned t = 0; t < N_TYPES; t++) {
    uint8_t buf[MSG_MAX_BYTES + 1];
    Msg m;
    size_t size = encode_sample(all_types[t], MIN(1u, max_wraps(all_types[t])), t, buf, &m, r);
    buf[size] = 0;
    expect_reject(buf, size + 1, "trailing bytes after the body");
    put_u32(buf + 8, (uint32_t)(size + 1 - MSG_HEADER_BYTES));
    expect_reject(buf, size + 1, "trailing bytes after the wraps");
  }
  g_rand_free(r);
}

/* The RNC list of a group key change request: every rule of msg.h. */
static void test_rnc_list(void) {
  GRand *r = g_rand_new_with_seed(7);
  uint8_t buf[MSG_MAX_BYTES + 8];
  Msg m, d;
  /* a request with one wrap and RNCs 3, 9 (variant 3: a list of 2) */
  make_msg(&m, MSG_GROUP_KEY_CHANGE_REQ, 1, 3, r);
  g_assert_cmpuint(m.n_rncs, ==, 2);
  m.rncs[0] = 3;
  m.rncs[1] = 9;
  size_t size = msg_encode(&m, buf, sizeof buf);
  size_t list = MSG_HEADER_BYTES + 5 + KT_WRAP_WIREBYTES; /* where the list starts */
  g_assert_cmpuint(size, ==, list + 2 + 8);
  g_assert_true(decode_is_canonical(buf, size, &d));
  g_assert_true(msg_equal(&m, &d));
  uint8_t bad[sizeof buf];
  /* not strictly ascending: equal, then descending */
  memcpy(bad, buf, size);
  put_u32(bad + list + 6, 3);
  expect_reject(bad, size, "RNC list not strictly ascending");
  put_u32(bad + list + 6, 2);
  expect_reject(bad, size, "RNC list not strictly ascending");
  /* a count of 0, 1 (4 bytes left over), 3 (4 missing), 257 */
  memcpy(bad, buf, size);
  bad[list] = 0;
  expect_reject(bad, size, "empty RNC list");
  bad[list] = 1;
  expect_reject(bad, size, "trailing bytes after the RNC list");
  bad[list] = 3;
  expect_reject(bad, size, "truncated RNC list");
  bad[list] = (uint8_t)(MSG_MAX_RNCS + 1);
  bad[list + 1] = (uint8_t)((MSG_MAX_RNCS + 1) >> 8);
  expect_reject(bad, size, "too many RNCs");
  g_assert_cmpuint(buf[MSG_HEADER_BYTES + 4], ==, 0x81); /* one wrap, and a list */
  /* every cut inside the list, with a consistent body length */
  for (size_t len = list + 1; len < size; len++) {
    memcpy(bad, buf, len);
    put_u32(bad + 8, (uint32_t)(len - MSG_HEADER_BYTES));
    expect_reject(bad, len, "truncated RNC list");
  }
  /* the list's bit with the list cut off, or without the list's bit */
  memcpy(bad, buf, list);
  put_u32(bad + 8, (uint32_t)(list - MSG_HEADER_BYTES));
  expect_reject(bad, list, "truncated RNC list");
  memcpy(bad, buf, size);
  bad[MSG_HEADER_BYTES + 4] = 1;
  expect_reject(bad, size, "trailing bytes after the wraps");
  /* a RAB assignment request carries no list: the bit makes its wrap count
   * 129 */
  memcpy(bad, buf, size);
  bad[3] = MSG_RAB_ASSIGNMENT_REQ;
  expect_reject(bad, size, "too many wraps");
  /* the longest list round-trips; one more RNC does not encode (msg.c
   * asserts) and does not decode */
  make_msg(&m, MSG_GROUP_KEY_CHANGE_REQ, 1, 2 * (MSG_MAX_RNCS - 1) + 1, r);
  g_assert_cmpuint(m.n_rncs, ==, MSG_MAX_RNCS);
  size = msg_encode(&m, buf, sizeof buf);
  g_assert_cmpuint(size, ==, list + 2 + 4 * MSG_MAX_RNCS);
  g_assert_cmpuint(size, <=, MSG_MAX_BYTES);
  g_assert_true(decode_is_canonical(buf, size, &d));
  g_assert_true(msg_equal(&m, &d));
  g_rand_free(r);
}

/* A padded key assignment (msg.h): the mode byte's bit 7, then after the
 * wraps a pad length u16 and that many zero bytes; msg_pad_to makes a
 * message exactly the size asked. */
static void test_pad(void) {
  GRand *r = g_rand_new_with_seed(8);
  uint8_t buf[MSG_MAX_BYTES + 8], bad[sizeof buf];
  Msg m, d;
  make_msg(&m, MSG_KEY_ASSIGNMENT, 1, 1, r);
  m.mode = MSG_P2M;
  m.ue = MSG_NO_UE;
  size_t plain = MSG_HEADER_BYTES + 6 + KT_WRAP_WIREBYTES; /* 106 */
  g_assert_false(msg_pad_to(&m, plain));     /* no pad needed */
  g_assert_false(msg_pad_to(&m, plain + 2)); /* a pad of 0 bytes: not one */
  g_assert_false(msg_pad_to(&m, plain + 2 + MSG_MAX_PAD + 1));
  g_assert_cmpuint(m.pad, ==, 0);
  g_assert_true(msg_pad_to(&m, 146)); /* 3gpp's MTK message on the channel */
  g_assert_cmpuint(m.pad, ==, 146 - plain - 2);
  size_t size = msg_encode(&m, buf, sizeof buf);
  g_assert_cmpuint(size, ==, 146);
  g_assert_cmpuint(buf[MSG_HEADER_BYTES], ==, MSG_P2M | 0x80);
  g_assert_cmpuint(buf[plain] | buf[plain + 1] << 8, ==, m.pad);
  for (size_t i = plain + 2; i < size; i++)
    g_assert_cmpuint(buf[i], ==, 0);
  g_assert_true(decode_is_canonical(buf, size, &d));
  g_assert_true(msg_equal(&m, &d));
  /* a non-zero pad byte; a pad length of 0, one too long, one too short */
  memcpy(bad, buf, size);
  bad[size - 1] = 1;
  expect_reject(bad, size, "pad byte not zero");
  memcpy(bad, buf, size);
  bad[plain] = 0;
  expect_reject(bad, size, "pad length out of range");
  bad[plain] = (uint8_t)(m.pad + 1);
  expect_reject(bad, size, "truncated pad");
  bad[plain] = (uint8_t)(m.pad - 1);
  expect_reject(bad, size, "trailing bytes after the pad");
  /* the bit without a pad; the bit on a key recovery */
  memcpy(bad, buf, plain);
  put_u32(bad + 8, (uint32_t)(plain - MSG_HEADER_BYTES));
  expect_reject(bad, plain, "truncated pad");
  memcpy(bad, buf, size);
  bad[3] = MSG_KEY_RECOVERY;
  expect_reject(bad, size, "unknown key assignment mode");
  /* the longest pad with the most wraps fits MSG_MAX_BYTES */
  make_msg(&m, MSG_KEY_ASSIGNMENT, MSG_MAX_WRAPS, 0, r);
  g_assert_true(msg_pad_to(&m, MSG_HEADER_BYTES + 6 + MSG_MAX_WRAPS * KT_WRAP_WIREBYTES + 2 +
                                   MSG_MAX_PAD));
  size = msg_encode(&m, buf, sizeof buf);
  g_assert_cmpuint(size, <=, MSG_MAX_BYTES);
  g_assert_true(decode_is_canonical(buf, size, &d));
  g_assert_true(msg_equal(&m, &d));
  g_rand_free(r);
}

static void test_too_many_wraps(void) {
  GRand *r = g_rand_new_with_seed(5);
  for (unsigned t = 0; t < N_TYPES; t++) {
    MsgType type = all_types[t];
    static uint8_t buf[MSG_HEADER_BYTES + 10 + 255 * KT_WRAP_WIREBYTES];
    Msg m;
    size_t size = encode_sample(type, MSG_MAX_WRAPS, 0, buf, &m, r);
    size_t nw_pos = MSG_HEADER_BYTES + fixed_bytes(type) - 1;
    g_assert_cmpuint(buf[nw_pos], ==, MSG_MAX_WRAPS);
    unsigned counts[] = {MSG_MAX_WRAPS + 1, 100, 255};
    for (unsigned i = 0; i < G_N_ELEMENTS(counts); i++) {
      size_t len = MSG_HEADER_BYTES + fixed_bytes(type) + counts[i] * KT_WRAP_WIREBYTES;
      memset(buf + size, 0x5a, len - size);
      buf[nw_pos] = (uint8_t)counts[i];
      put_u32(buf + 8, (uint32_t)(len - MSG_HEADER_BYTES));
      expect_reject(buf, len, "too many wraps");
      size = len;
    }
  }
  g_rand_free(r);
}

static void test_field_rules(void) {
  uint8_t buf[MSG_MAX_BYTES];
  Msg m;
  GRand *r = g_rand_new_with_seed(6);

  size_t size = encode_sample(MSG_ACTIVATE_REQ, 0, 0, buf, &m, r);
  buf[0] = 'm';
  expect_reject(buf, size, "bad magic");
  buf[0] = 'M';
  buf[1] = 'X';
  expect_reject(buf, size, "bad magic");
  buf[1] = 'K';
  buf[2] = 0;
  expect_reject(buf, size, "unknown version");
  buf[2] = 2;
  expect_reject(buf, size, "unknown version");
  buf[2] = 1;
  buf[3] = 0;
  expect_reject(buf, size, "unknown message type");
  buf[3] = 8; /* a data packet's type, where a control message must be */
  expect_reject(buf, size, "data packet where a control message was expected");
  buf[3] = MSG_TYPE_COUNT; /* the first unused */
  expect_reject(buf, size, "unknown message type");
  buf[3] = 255;
  expect_reject(buf, size, "unknown message type");

  /* Key assignment: mode, addressee. */
  size = encode_sample(MSG_KEY_ASSIGNMENT, 1, 0, buf, &m, r); /* p2p */
  buf[12] = 2;
  expect_reject(buf, size, "unknown key assignment mode");
  buf[12] = 0xff;
  expect_reject(buf, size, "unknown key assignment mode");
  buf[12] = 1; /* p2m naming a UE */
  expect_reject(buf, size, "point-to-multipoint key assignment names a UE");
  buf[12] = 0;
  put_u32(buf + 13, MSG_NO_UE);
  expect_reject(buf, size, "point-to-point key assignment without an addressee");
  buf[12] = 1; /* p2m to nobody: valid */
  g_assert_true(decode_is_canonical(buf, size, &m));
  g_assert_cmpint(m.mode, ==, MSG_P2M);

  /* Key-carrying messages need a wrap. */
  static const MsgType carriers[] = {MSG_GROUP_KEY_CHANGE_REQ, MSG_RAB_ASSIGNMENT_REQ,
                                     MSG_KEY_ASSIGNMENT};
  for (unsigned i = 0; i < G_N_ELEMENTS(carriers); i++) {
    size = encode_sample(carriers[i], 1, i, buf, &m, r);
    size_t len = size - KT_WRAP_WIREBYTES;
    buf[len - 1] = 0;
    put_u32(buf + 8, (uint32_t)(len - MSG_HEADER_BYTES));
    expect_reject(buf, len, "key-carrying message without a wrap");
  }
  /* Key recovery: point-to-point with a wrap; key request: no wrap. */
  size = encode_sample(MSG_KEY_RECOVERY, 1, 0, buf, &m, r);
  g_assert_true(decode_is_canonical(buf, size, &m));
  buf[12] = 1;
  put_u32(buf + 13, MSG_NO_UE);
  expect_reject(buf, size, "key recovery not point-to-point");
  size = encode_sample(MSG_KEY_RECOVERY, 1, 0, buf, &m, r);
  buf[size - KT_WRAP_WIREBYTES - 1] = 0;
  put_u32(buf + 8, (uint32_t)(size - KT_WRAP_WIREBYTES - MSG_HEADER_BYTES));
  expect_reject(buf, size - KT_WRAP_WIREBYTES, "key-carrying message without a wrap");
  size = encode_sample(MSG_KEY_REQUEST, 0, 0, buf, &m, r);
  g_assert_true(decode_is_canonical(buf, size, &m));
  buf[3] = MSG_ACTIVATE_REQ; /* an activation request may carry a wrap, a key request not */
  size = encode_sample(MSG_ACTIVATE_ACCEPT, 1, 0, buf, &m, r);
  buf[3] = MSG_KEY_REQUEST;
  expect_reject(buf, size, "key request carrying wraps");
  /* Context messages may carry none. */
  size = encode_sample(MSG_DEACTIVATE_ACCEPT, 0, 0, buf, &m, r);
  g_assert_true(decode_is_canonical(buf, size, &m));

  /* Body too short for the fixed fields. */
  size = encode_sample(MSG_ACTIVATE_ACCEPT, 0, 0, buf, &m, r);
  put_u32(buf + 8, 4);
  expect_reject(buf, MSG_HEADER_BYTES + 4, "body too short for its type");
  /* Wrap count larger than the bytes present. */
  size = encode_sample(MSG_ACTIVATE_ACCEPT, 1, 0, buf, &m, r);
  buf[MSG_HEADER_BYTES + 8] = 2;
  expect_reject(buf, size, "truncated wraps");
  /* A huge body length on a short buffer. */
  put_u32(buf + 8, UINT32_MAX);
  expect_reject(buf, size, "truncated body");
  g_rand_free(r);
}

static void test_names(void) {
  GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (unsigned t = 0; t < N_TYPES; t++) {
    const char *name = msg_type_name(all_types[t]), *slug = msg_type_slug(all_types[t]);
    g_assert_cmpstr(name, !=, "?");
    g_assert_cmpstr(slug, !=, "?");
    for (const char *p = slug; *p; p++)
      g_assert_true(g_ascii_islower(*p) || *p == '_');
    g_assert_true(g_hash_table_add(seen, (gpointer)name));
    g_assert_true(g_hash_table_add(seen, (gpointer)slug));
  }
  g_assert_cmpstr(msg_type_name(MSG_KEY_ASSIGNMENT), ==, "MBMS key assignment");
  g_assert_cmpstr(msg_type_slug(MSG_KEY_ASSIGNMENT), ==, "key_assignment");
  g_assert_cmpstr(msg_type_name(MSG_KEY_REQUEST), ==, "MBMS key request");
  g_assert_cmpstr(msg_type_slug(MSG_KEY_RECOVERY), ==, "key_recovery");
  g_assert_cmpstr(msg_type_name((MsgType)0), ==, "?");
  g_assert_cmpstr(msg_type_name(MSG_DATA), ==, "MBMS session data");
  g_assert_cmpstr(msg_type_name((MsgType)MSG_TYPE_COUNT), ==, "?");
  g_assert_cmpstr(msg_type_name(MSG_RELOCATION_REQ), ==, "SRNS relocation request");
  g_assert_cmpstr(msg_type_slug(MSG_MOVE_KEY_REQ), ==, "move_key_req");
  g_assert_cmpstr(msg_type_slug(MSG_CELL_UPDATE), ==, "cell_update");
  g_assert_cmpstr(msg_type_slug((MsgType)0), ==, "?");
  g_hash_table_destroy(seen);
}

/* Data packets: a sealed packet survives the codec and still opens; every
 * truncation and the corruptions below are rejected with a reason. */
/* Handover messages (msg.h): ue, cell, from_cell, then at most one wrap.
 * Golden bytes written out from the format, then round trips and
 * rejections. */
static void test_handover_codec(void) {
  static const MsgType types[] = {MSG_CELL_UPDATE, MSG_CELL_UPDATE_CONFIRM, MSG_RELOCATION_REQ,
                                  MSG_RELOCATION_ACK, MSG_MOVE_KEY_REQ};
  Msg m, d;
  msg_init(&m, MSG_CELL_UPDATE, 0x11);
  m.ue = 7;
  m.cell = 5;
  m.from_cell = 2;
  m.group_version = 0x0304;
  uint8_t buf[MSG_MAX_BYTES], want[64];
  size_t n = hex_decode("4d4b010b 11000000 11000000 07000000 05000000 02000000 04030000 00",
                        want, sizeof want);
  g_assert_cmpuint(msg_encode(&m, buf, sizeof buf), ==, n);
  g_assert_cmpmem(buf, n, want, n);
  GRand *r = g_rand_new_with_seed(11);
  for (unsigned t = 0; t < G_N_ELEMENTS(types); t++) {
    for (unsigned w = 0; w <= MSG_HANDOVER_MAX_WRAPS; w++) {
      msg_init(&m, types[t], g_rand_int(r));
      m.ue = g_rand_int(r);
      m.cell = g_rand_int(r);
      m.from_cell = g_rand_int(r);
      m.group_version = g_rand_int(r);
      m.n_wraps = (uint8_t)w;
      for (unsigned i = 0; i < w; i++)
        fill_wrap(&m.wraps[i], r);
      size_t size = msg_encode(&m, buf, sizeof buf);
      g_assert_cmpuint(size, ==, MSG_HEADER_BYTES + 17 + w * KT_WRAP_WIREBYTES);
      g_assert_true(decode_copy(&d, buf, size, NULL));
      g_assert_true(msg_equal(&m, &d) && d.from_cell == m.from_cell &&
                    d.group_version == m.group_version);
      g_assert_true(decode_is_canonical(buf, size, &d));
      expect_reject(buf, size - 1, "truncated body");
    }
  }
  /* two wraps: more than a handover message carries */
  msg_init(&m, MSG_RELOCATION_ACK, 1);
  m.n_wraps = 1;
  fill_wrap(&m.wraps[0], r);
  size_t size = msg_encode(&m, buf, sizeof buf);
  memcpy(buf + size, buf + size - KT_WRAP_WIREBYTES, KT_WRAP_WIREBYTES);
  buf[MSG_HEADER_BYTES + 16] = 2;
  put_u32(buf + 8, (uint32_t)(size + KT_WRAP_WIREBYTES - MSG_HEADER_BYTES));
  expect_reject(buf, size + KT_WRAP_WIREBYTES, "too many wraps for a handover message");
  /* a body too short for the handover fields */
  put_u32(buf + 8, 16);
  expect_reject(buf, MSG_HEADER_BYTES + 16, "body too short for its type");
  g_rand_free(r);
}

static void test_data_codec(void) {
  kt_crypto_init();
  KtKey key = {.ref = {KT_KEY_ID(KT_KEY_GROUP, 0), 3}};
  memset(key.bytes, 0x5a, sizeof key.bytes);
  unsigned char nonce[KT_NONCEBYTES] = {1, 2, 3};
  unsigned char payload[100];
  memset(payload, 0xab, sizeof payload);
  KtData d;
  g_assert_cmpint(kt_data_seal(&d, 77, payload, sizeof payload, &key, nonce), ==, 0);
  uint8_t buf[MSG_DATA_MAX_BYTES];
  size_t size = msg_encode_data(&d, buf, sizeof buf);
  /* the layout of msg.h, written out by hand: header, key id, version,
   * packet, length, nonce, then ciphertext and tag (100 + 16 bytes) */
  /* clang-format off */
  static const uint8_t head[] = {
      'M', 'K', 1, 8,  77, 0, 0, 0, 154, 0, 0, 0, /* magic, v1, DATA, seq 77, body 154 */
      0,   0,   0, 0,                             /* key id: group key of scope 0 */
      3,   0,   0, 0,                             /* key version 3 */
      77,  0,   0, 0,                             /* packet 77 */
      100, 0,                                     /* payload length */
      1,   2,   3, 0,  0,  0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 /* nonce */};
  /* clang-format on */
  g_assert_cmpuint(size, ==, 12 + 38 + 100 + 16);
  g_assert_cmpmem(buf, sizeof head, head, sizeof head);
  g_assert_cmpmem(buf + sizeof head, 116, d.ct, 116);
  g_assert_cmpstr(msg_type_slug(MSG_DATA), ==, "data");
  g_assert_cmpuint(msg_encode_data(&d, buf, size - 1), ==, 0); /* too small a buffer */
  g_assert_true(msg_is_data(buf, size));
  KtData back;
  const char *why = "unset";
  g_assert_true(msg_decode_data(&back, buf, size, &why));
  g_assert_null(why);
  unsigned char plain[KT_DATA_MAX_PAYLOAD];
  g_assert_cmpint(kt_data_open(plain, &back, &key), ==, 0);
  g_assert_cmpmem(plain, sizeof payload, payload, sizeof payload);

  for (size_t cut = 0; cut < size; cut++) {
    why = NULL;
    g_assert_false(msg_decode_data(&back, buf, cut, &why));
    g_assert_cmpstr(why, ==, cut < MSG_HEADER_BYTES ? "truncated header" : "truncated body");
  }
  uint8_t bad[MSG_DATA_MAX_BYTES];
  memcpy(bad, buf, size);
  bad[MSG_HEADER_BYTES + 12] ^= 1; /* payload length no longer matches the body */
  g_assert_false(msg_decode_data(&back, bad, size, &why));
  g_assert_cmpstr(why, ==, "data length does not match the body");
  memcpy(bad, buf, size);
  bad[4] ^= 1; /* header packet number differs from the body's */
  g_assert_false(msg_decode_data(&back, bad, size, &why));
  g_assert_cmpstr(why, ==, "data packet number differs from the header's");
  /* a flipped ciphertext bit decodes (the codec does not hold keys) but
   * does not open */
  memcpy(bad, buf, size);
  bad[size - 1] ^= 1;
  g_assert_true(msg_decode_data(&back, bad, size, &why));
  g_assert_cmpint(kt_data_open(plain, &back, &key), ==, -1);
  /* a control message is not a data packet, and vice versa */
  g_assert_false(msg_decode(&(Msg){0}, buf, size, &why));
  g_assert_cmpstr(why, ==, "data packet where a control message was expected");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/msg/data-codec", test_data_codec);
  g_test_add_func("/msg/init", test_init);
  g_test_add_func("/msg/roundtrip", test_roundtrip);
  g_test_add_func("/msg/handover", test_handover_codec);
  g_test_add_func("/msg/golden", test_golden);
  g_test_add_func("/msg/truncation", test_truncation);
  g_test_add_func("/msg/corruption", test_corruption);
  g_test_add_func("/msg/random-flips", test_random_flips);
  g_test_add_func("/msg/trailing", test_trailing);
  g_test_add_func("/msg/rnc-list", test_rnc_list);
  g_test_add_func("/msg/pad", test_pad);
  g_test_add_func("/msg/too-many-wraps", test_too_many_wraps);
  g_test_add_func("/msg/field-rules", test_field_rules);
  g_test_add_func("/msg/names", test_names);
  return g_test_run();
}
