/* test_rec_store.c — app/rec_store.h: records read back as written, across
 * blocks, after their block left the resident memory, through pointers
 * taken before later appends. */
#include <glib.h>
#include <string.h>

#include "app/rec_store.h"

typedef struct {
  uint64_t a;
  uint32_t b;
  char pad[100]; /* a record of 112 B, not a power of two */
} Rec;

static Rec make(uint32_t i) {
  Rec r;
  memset(&r, 0, sizeof r);
  r.a = (uint64_t)i * 0x9e3779b97f4a7c15u;
  r.b = i ^ 0xa5a5a5a5u;
  memset(r.pad, (int)(i % 251u), sizeof r.pad);
  return r;
}

static void assert_rec(const Rec *r, uint32_t i) {
  Rec want = make(i);
  g_assert_cmpmem(r, sizeof *r, &want, sizeof want);
}

static void test_round_trip(void) {
  const uint32_t n = 5 * REC_STORE_BLOCK + 17; /* six blocks, the last partial */
  RecStore *s = rec_store_new(sizeof(Rec));
  g_assert_cmpuint(rec_store_len(s), ==, 0);
  Rec *first = NULL;
  for (uint32_t i = 0; i < n; i++) {
    Rec r = make(i);
    g_assert_cmpuint(rec_store_append(s, &r), ==, i);
    if (i == 0)
      first = rec_store_at(s, 0);
  }
  g_assert_cmpuint(rec_store_len(s), ==, n);
  /* in order (each block released as the next is read), then backwards,
   * then by strides that jump between blocks */
  for (uint32_t i = 0; i < n; i++)
    assert_rec(rec_store_at(s, i), i);
  for (uint32_t i = n; i-- > 0;)
    assert_rec(rec_store_at(s, i), i);
  for (uint32_t i = 0; i < n; i += 997)
    assert_rec(rec_store_at(s, (i * 7919u) % n), (i * 7919u) % n);
  /* the pointer taken first still names record 0, and a write through it
   * outlives its block's release */
  g_assert_true(first == rec_store_at(s, 0));
  first->b = 42;
  assert_rec(rec_store_at(s, n - 1), n - 1);
  assert_rec(rec_store_at(s, REC_STORE_BLOCK * 2), REC_STORE_BLOCK * 2);
  g_assert_cmpuint(((Rec *)rec_store_at(s, 0))->b, ==, 42);
  rec_store_free(s);
}

static void test_small_records(void) {
  RecStore *s = rec_store_new(1);
  for (uint32_t i = 0; i < 3 * REC_STORE_BLOCK; i++) {
    uint8_t v = (uint8_t)(i * 13u);
    rec_store_append(s, &v);
  }
  for (uint32_t i = 0; i < 3 * REC_STORE_BLOCK; i++)
    g_assert_cmpuint(*(uint8_t *)rec_store_at(s, i), ==, (uint8_t)(i * 13u));
  rec_store_free(s);
  rec_store_free(NULL);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rec-store/round-trip", test_round_trip);
  g_test_add_func("/rec-store/small-records", test_small_records);
  return g_test_run();
}
