/* test_ue_pending.c — the store of the wraps UEs keep waiting
 * (nodes/ue_pending.h): each UE's wraps come back in arrival order, whatever
 * other UEs kept, took or dropped in between; a drop touches only the UE
 * named and keeps the order of what it leaves; the counts follow. */
#include <glib.h>

#include "nodes/ue_pending.h"

/* A wrap told apart by its event `seq`, under sub-group key `under`. */
static UePendingWrap wrap(uint32_t seq, uint32_t under) {
  UePendingWrap w = {0};
  w.seq = seq;
  w.wrap.under = (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, under), 2};
  w.since = seq / 10.0;
  return w;
}

/* `ue`'s wraps are, in order, the events `want` (n of them). */
static void assert_list(UePending *s, uint32_t ue, const uint32_t *want, guint n) {
  guint got;
  const UePendingWrap *w = ue_pending_of(s, ue, &got);
  g_assert_cmpuint(got, ==, n);
  g_assert_true(ue_pending_has(s, ue) == (n > 0));
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint(w[i].seq, ==, want[i]);
}

static bool under_is(const UePendingWrap *w, void *ctx) {
  return w->wrap.under.id == KT_KEY_ID(KT_KEY_SUBGROUP, GPOINTER_TO_UINT(ctx));
}

static bool odd_ue(uint32_t ue, const void *ctx) {
  (void)ctx;
  return ue % 2 == 1;
}

/* Two UEs' wraps interleaved: each UE's come back in the order they came,
 * and taking one UE's leaves the other's as they were. */
static void test_order(void) {
  UePending *s = ue_pending_new();
  const uint32_t a = 7, b = 4;
  /* arrivals: a1 b2 a3 a4 b5 a6 b7 */
  const uint32_t seqs[] = {1, 2, 3, 4, 5, 6, 7};
  const uint32_t owner[] = {a, b, a, a, b, a, b};
  for (guint i = 0; i < G_N_ELEMENTS(seqs); i++) {
    UePendingWrap w = wrap(seqs[i], 1);
    ue_pending_add(s, owner[i], &w);
  }
  g_assert_cmpuint(ue_pending_count(s), ==, 7);
  const uint32_t want_a[] = {1, 3, 4, 6}, want_b[] = {2, 5, 7};
  assert_list(s, a, want_a, 4);
  assert_list(s, b, want_b, 3);
  g_assert_false(ue_pending_has(s, 5)); /* a UE that kept nothing */

  /* a retry of a: all four taken, in arrival order; b's untouched */
  UePendingList *taken = ue_pending_take(s, a);
  g_assert_nonnull(taken);
  g_assert_cmpuint(taken->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint(taken->w[i].seq, ==, want_a[i]);
  g_assert_false(ue_pending_has(s, a));
  g_assert_cmpuint(ue_pending_count(s), ==, 3);
  assert_list(s, b, want_b, 3);
  g_assert_null(ue_pending_take(s, a)); /* nothing left to take */

  /* processed in that order, 3 and 6 still do not open: kept again, at
   * the end of a's list in the same order, behind a wrap b got meanwhile
   * (b's list is its own: a's do not go between b's) */
  UePendingWrap w8 = wrap(8, 1);
  ue_pending_add(s, b, &w8);
  ue_pending_add(s, a, &taken->w[1]);
  ue_pending_add(s, a, &taken->w[3]);
  g_free(taken);
  UePendingWrap w9 = wrap(9, 1);
  ue_pending_add(s, a, &w9);
  const uint32_t want_a2[] = {3, 6, 9}, want_b2[] = {2, 5, 7, 8};
  assert_list(s, a, want_a2, 3);
  assert_list(s, b, want_b2, 4);
  g_assert_cmpuint(ue_pending_count(s), ==, 7);
  ue_pending_free(s);
}

/* Drops: only the named UE's wraps that match go, the rest keep their
 * order; the last one gone, the UE keeps nothing. Marks (`asked`) stay. */
static void test_drop(void) {
  UePending *s = ue_pending_new();
  const uint32_t a = 1, b = 2;
  /* a: 1 (under 10), 2 (under 11), 3 (under 10), 4 (under 12);
   * b: 5 (under 10), 6 (under 11) */
  const uint32_t under_a[] = {10, 11, 10, 12};
  for (guint i = 0; i < 4; i++) {
    UePendingWrap w = wrap(i + 1, under_a[i]);
    ue_pending_add(s, a, &w);
  }
  UePendingWrap w5 = wrap(5, 10), w6 = wrap(6, 11);
  ue_pending_add(s, b, &w5);
  ue_pending_add(s, b, &w6);
  guint n;
  ue_pending_of(s, a, &n)[3].asked = 1; /* the key repair asked for 4 */

  /* a's wraps under 10 go (1 and 3): 2 and 4 are left, in order */
  g_assert_cmpuint(ue_pending_drop(s, a, under_is, GUINT_TO_POINTER(10)), ==, 2);
  const uint32_t want_a[] = {2, 4}, want_b[] = {5, 6};
  assert_list(s, a, want_a, 2);
  g_assert_cmpuint(ue_pending_of(s, a, &n)[1].asked, ==, 1);
  g_assert_cmpuint(ue_pending_of(s, a, &n)[0].asked, ==, 0);
  assert_list(s, b, want_b, 2); /* b's 5 is under 10 too: not b's drop */
  g_assert_cmpuint(ue_pending_count(s), ==, 4);
  /* members only: b (even) is no member here, a (odd) is */
  g_assert_cmpuint(ue_pending_count_of(s, odd_ue, NULL), ==, 2);

  /* a drop that matches nothing changes nothing */
  g_assert_cmpuint(ue_pending_drop(s, b, under_is, GUINT_TO_POINTER(12)), ==, 2);
  assert_list(s, b, want_b, 2);
  /* all of a's (NULL: every wrap) */
  g_assert_cmpuint(ue_pending_drop(s, a, NULL, NULL), ==, 0);
  assert_list(s, a, NULL, 0);
  g_assert_cmpuint(ue_pending_count(s), ==, 2);
  g_assert_cmpuint(ue_pending_count_of(s, odd_ue, NULL), ==, 0);
  /* a UE that keeps nothing: nothing to drop */
  g_assert_cmpuint(ue_pending_drop(s, 3, NULL, NULL), ==, 0);
  /* b's under 11 (6) goes, then its last (5) */
  g_assert_cmpuint(ue_pending_drop(s, b, under_is, GUINT_TO_POINTER(11)), ==, 1);
  const uint32_t want_b2[] = {5};
  assert_list(s, b, want_b2, 1);
  g_assert_cmpuint(ue_pending_drop(s, b, under_is, GUINT_TO_POINTER(10)), ==, 0);
  g_assert_false(ue_pending_has(s, b));
  g_assert_cmpuint(ue_pending_count(s), ==, 0);
  ue_pending_free(s);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ue-pending/order", test_order);
  g_test_add_func("/ue-pending/drop", test_drop);
  return g_test_run();
}
