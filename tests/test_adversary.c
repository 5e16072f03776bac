/* test_adversary.c — the adversaries of app/adversary.c on hand-made
 * traffic: who hears what, what really opens, and what is counted.
 * Every wrap and packet here is really sealed with libsodium; the expected
 * counts follow from the rules in adversary.h. */
#include <glib.h>
#include <string.h>

#include "app/adversary.h"
#include "keytree/kt_keygen.h"

typedef struct {
  KtKeyGen *gen;
  GArray *keys; /* scratch KtKey */
} Fx;

static KtKey fresh(Fx *fx, KtKeyKind kind, uint32_t index, uint32_t version) {
  KtKey k;
  kt_keygen_fresh(fx->gen, &k, (KtKeyRef){KT_KEY_ID(kind, index), version});
  return k;
}

static KtWrap wrap(Fx *fx, const KtKey *key, const KtKey *under) {
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_nonce(fx->gen, nonce);
  KtWrap w;
  g_assert_cmpint(kt_wrap(&w, key, under, nonce), ==, 0);
  return w;
}

static KtData data(Fx *fx, uint32_t packet, const KtKey *key) {
  unsigned char nonce[KT_NONCEBYTES], payload[64];
  kt_keygen_nonce(fx->gen, nonce);
  memset(payload, 7, sizeof payload);
  KtData d;
  g_assert_cmpint(kt_data_seal(&d, packet, payload, sizeof payload, key, nonce), ==, 0);
  return d;
}

static const GArray *holding(Fx *fx, const KtKey *a, const KtKey *b) {
  g_array_set_size(fx->keys, 0);
  if (a)
    g_array_append_vals(fx->keys, a, 1);
  if (b)
    g_array_append_vals(fx->keys, b, 1);
  return fx->keys;
}

static void fx_init(Fx *fx) {
  kt_crypto_init();
  fx->gen = kt_keygen_new(7);
  fx->keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
}

static void fx_clear(Fx *fx) {
  kt_keygen_free(fx->gen);
  g_array_free(fx->keys, TRUE);
}

/* A departed UE opens what is wrapped under a key it holds, on its cell
 * only; what it opens it keeps, so the next wrap under that opens too. A
 * wrap under a key it never held does not open. */
static void test_forward_own_cell(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 4, .record_before_join = 0};
  Adversaries *a = adversaries_new(&cfg);
  KtKey g1 = fresh(&fx, KT_KEY_GROUP, 0, 1), g2 = fresh(&fx, KT_KEY_GROUP, 0, 2);
  KtKey g3 = fresh(&fx, KT_KEY_GROUP, 0, 3), s1 = fresh(&fx, KT_KEY_SUBGROUP, 5, 1);
  adversaries_on_leave(a, 10, 2, holding(&fx, &g1, NULL), 1.0);

  uint32_t cell2[] = {2}, cell3[] = {3}, both[] = {1, 2};
  KtWrap w = wrap(&fx, &g2, &g1);
  adversaries_on_common_wraps(a, 1.1, cell3, 1, &w, 1); /* another cell: not heard */
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 0);
  adversaries_on_common_wraps(a, 1.2, both, 2, &w, 1); /* heard on cell 2, once */
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 1);
  KtWrap w2 = wrap(&fx, &g3, &g2); /* under the key it just learned */
  adversaries_on_common_wraps(a, 1.3, cell2, 1, &w2, 1);
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 2);
  KtWrap w3 = wrap(&fx, &g3, &s1); /* under a key it never had */
  adversaries_on_common_wraps(a, 1.4, cell2, 1, &w3, 1);
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 2);
  /* data under a key it holds: a leak; under another: none */
  KtData d = data(&fx, 1, &g3), e = data(&fx, 2, &s1);
  adversaries_on_common_data(a, 1.5, cell2, 1, &d);
  adversaries_on_common_data(a, 1.6, cell2, 1, &e);
  AdversaryCounts c = adversaries_counts(a);
  g_assert_cmpuint(c.fwd_violations, ==, 3);
  g_assert_cmpuint(c.fwd_data, ==, 1);
  /* once it joins again it is a member: nothing it hears is a violation */
  adversaries_on_join(a, 10, 2, NULL, 2.0);
  KtData f = data(&fx, 3, &g3);
  adversaries_on_common_data(a, 2.1, cell2, 1, &f);
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 3);
  adversaries_free(a);
  fx_clear(&fx);
}

/* A wrap with the right refs but made under other key bytes does not open:
 * the count comes from decryption, not from the refs. */
static void test_forward_needs_real_key(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 1, .all_cells = true};
  Adversaries *a = adversaries_new(&cfg);
  KtKey g1 = fresh(&fx, KT_KEY_GROUP, 0, 1), g2 = fresh(&fx, KT_KEY_GROUP, 0, 2);
  KtKey forged = fresh(&fx, KT_KEY_GROUP, 0, 1); /* same ref, other bytes */
  adversaries_on_leave(a, 1, 0, holding(&fx, &g1, NULL), 0.0);
  KtWrap w = wrap(&fx, &g2, &forged);
  uint32_t cell0[] = {0};
  adversaries_on_common_wraps(a, 0.5, cell0, 1, &w, 1);
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 0);
  adversaries_free(a);
  fx_clear(&fx);
}

/* Without collusion each departed UE uses its own keys on its own cell;
 * with collusion the coalition uses all keys on all their cells. */
static void test_collusion(void) {
  for (int collusion = 0; collusion <= 1; collusion++) {
    Fx fx;
    fx_init(&fx);
    AdversaryConfig cfg = {.n_cells = 2, .collusion = collusion};
    Adversaries *a = adversaries_new(&cfg);
    KtKey s1 = fresh(&fx, KT_KEY_SUBGROUP, 1, 1), s2 = fresh(&fx, KT_KEY_SUBGROUP, 2, 1);
    KtKey g = fresh(&fx, KT_KEY_GROUP, 0, 9);
    adversaries_on_leave(a, 1, 0, holding(&fx, &s1, NULL), 0.0); /* cell 0, holds s1 */
    adversaries_on_leave(a, 2, 1, holding(&fx, &s2, NULL), 0.0); /* cell 1, holds s2 */
    KtWrap w = wrap(&fx, &g, &s1);
    uint32_t cell1[] = {1}; /* only UE 2's cell, and only UE 1 holds s1 */
    adversaries_on_common_wraps(a, 0.5, cell1, 1, &w, 1);
    g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, (guint64)collusion);
    adversaries_free(a);
    fx_clear(&fx);
  }
}

/* A joiner tries its first keys on what its cell carried during the
 * record-before-join seconds before its join, and on what that opens. */
static void test_backward(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 2, .record_before_join = 10};
  Adversaries *a = adversaries_new(&cfg);
  KtKey s1 = fresh(&fx, KT_KEY_SUBGROUP, 1, 1), g4 = fresh(&fx, KT_KEY_GROUP, 0, 4);
  KtKey g5 = fresh(&fx, KT_KEY_GROUP, 0, 5);
  uint32_t cell0[] = {0}, cell1[] = {1};
  KtWrap too_early = wrap(&fx, &g4, &s1);
  adversaries_on_common_wraps(a, 5.0, cell0, 1, &too_early, 1); /* before 20 - 10 */
  KtData d4 = data(&fx, 1, &g4);
  adversaries_on_common_data(a, 12.0, cell0, 1, &d4); /* opens once g4 is known */
  KtWrap w = wrap(&fx, &g4, &s1);
  adversaries_on_common_wraps(a, 15.0, cell0, 1, &w, 1); /* opens with s1 */
  KtWrap other_cell = wrap(&fx, &g4, &s1);
  adversaries_on_common_wraps(a, 15.0, cell1, 1, &other_cell, 1); /* not its cell */
  adversaries_on_join(a, 3, 0, NULL, 20.0);
  g_assert_true(adversaries_waiting(a, 3));
  KtWrap after = wrap(&fx, &g5, &g4);
  adversaries_on_common_wraps(a, 20.5, cell0, 1, &after, 1); /* after its join: its right */
  adversaries_on_member_keys(a, 3, holding(&fx, &s1, &g5));
  g_assert_false(adversaries_waiting(a, 3));
  AdversaryCounts c = adversaries_counts(a);
  g_assert_cmpuint(c.bwd_exposures, ==, 2); /* the wrap at 15 and the packet at 12 */
  g_assert_cmpuint(c.bwd_data, ==, 1);
  g_assert_cmpuint(c.fwd_violations, ==, 0);
  adversaries_free(a);
  fx_clear(&fx);
}

/* Only the keys the join gave are tried: a key the UE already held when
 * its join reached the network (its old group's key, embodiment 2, got as
 * a member there) is not, nor is one its moved-away listener holds; the
 * same recordings opened by a key it got from the join count. */
static void test_backward_held_before(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 1, .record_before_join = 60};
  Adversaries *a = adversaries_new(&cfg);
  KtKey old_group = fresh(&fx, KT_KEY_GROUP, 1, 7), next = fresh(&fx, KT_KEY_GROUP, 1, 8);
  KtKey moved_key = fresh(&fx, KT_KEY_SUBGROUP, 4, 2);
  uint32_t cell0[] = {0};
  KtWrap w = wrap(&fx, &next, &old_group), v = wrap(&fx, &next, &moved_key);
  adversaries_on_common_wraps(a, 1.0, cell0, 1, &w, 1);
  adversaries_on_common_wraps(a, 1.5, cell0, 1, &v, 1);
  adversaries_on_move_away(a, 5, 0, holding(&fx, &moved_key, NULL), 2.0);
  /* UE 5 joins holding old_group (it came after its move-away record) */
  adversaries_on_join(a, 5, 0, holding(&fx, &old_group, NULL), 3.0);
  adversaries_on_member_keys(a, 5, holding(&fx, &old_group, &moved_key));
  g_assert_cmpuint(adversaries_counts(a).bwd_exposures, ==, 0);
  g_assert_false(adversaries_waiting(a, 5));
  /* UE 6 held nothing at its join: the same keys are its join's */
  adversaries_on_join(a, 6, 0, NULL, 3.0);
  adversaries_on_member_keys(a, 6, holding(&fx, &old_group, &moved_key));
  g_assert_cmpuint(adversaries_counts(a).bwd_exposures, ==, 2);
  adversaries_free(a);
  fx_clear(&fx);
}

/* A UE that moved away from a group (embodiment 2) at t = 3 and joins it
 * again at t = 5 was a member until 3: a packet sealed under that group's
 * key at 2 is not a backward exposure even if the key reaches it only
 * after its join; one sealed at 4, after it moved away, is. */
static void test_backward_mover_returns(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 1, .record_before_join = 60};
  Adversaries *a = adversaries_new(&cfg);
  KtKey g1 = fresh(&fx, KT_KEY_GROUP, 2, 1), g2 = fresh(&fx, KT_KEY_GROUP, 2, 2);
  uint32_t cell0[] = {0};
  KtData d2 = data(&fx, 1, &g2);
  adversaries_on_common_data(a, 2.0, cell0, 1, &d2);
  adversaries_on_move_away(a, 7, 0, holding(&fx, &g1, NULL), 3.0);
  KtData d4 = data(&fx, 2, &g2);
  adversaries_on_common_data(a, 4.0, cell0, 1, &d4);
  adversaries_on_join(a, 7, 0, holding(&fx, &g1, NULL), 5.0);
  adversaries_on_member_keys(a, 7, holding(&fx, &g2, NULL));
  AdversaryCounts c = adversaries_counts(a);
  g_assert_cmpuint(c.bwd_exposures, ==, 1); /* the packet at 4 */
  g_assert_cmpuint(c.bwd_data, ==, 1);
  adversaries_free(a);
  fx_clear(&fx);
}

/* With fresh keys (join rekey) the joiner opens nothing it recorded. */
static void test_backward_join_rekey(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 1, .record_before_join = 60};
  Adversaries *a = adversaries_new(&cfg);
  KtKey s1 = fresh(&fx, KT_KEY_SUBGROUP, 1, 1), s2 = fresh(&fx, KT_KEY_SUBGROUP, 1, 2);
  KtKey g4 = fresh(&fx, KT_KEY_GROUP, 0, 4), g5 = fresh(&fx, KT_KEY_GROUP, 0, 5);
  uint32_t cell0[] = {0};
  KtWrap w = wrap(&fx, &g4, &s1);
  adversaries_on_common_wraps(a, 1.0, cell0, 1, &w, 1);
  KtData d4 = data(&fx, 1, &g4);
  adversaries_on_common_data(a, 2.0, cell0, 1, &d4);
  adversaries_on_join(a, 3, 0, NULL, 3.0);
  adversaries_on_member_keys(a, 3, holding(&fx, &s2, &g5));
  g_assert_cmpuint(adversaries_counts(a).bwd_exposures, ==, 0);
  adversaries_free(a);
  fx_clear(&fx);
}

/* With eavesdrop = all-cells a joiner recorded every cell: what another
 * cell carried opens too, and a wrap sent to two cells counts once. With
 * own-cell a cell named twice in one transmission is one recording. */
static void test_backward_all_cells(void) {
  for (int all = 0; all <= 1; all++) {
    Fx fx;
    fx_init(&fx);
    AdversaryConfig cfg = {.n_cells = 3, .all_cells = all, .record_before_join = 10};
    Adversaries *a = adversaries_new(&cfg);
    KtKey s1 = fresh(&fx, KT_KEY_SUBGROUP, 1, 1), g4 = fresh(&fx, KT_KEY_GROUP, 0, 4);
    uint32_t cell2[] = {2}, cells02[] = {0, 2}, cell00[] = {0, 0};
    KtWrap on2 = wrap(&fx, &g4, &s1), on02 = wrap(&fx, &g4, &s1), twice = wrap(&fx, &g4, &s1);
    adversaries_on_common_wraps(a, 1.0, cell2, 1, &on2, 1);    /* all-cells only */
    adversaries_on_common_wraps(a, 2.0, cells02, 2, &on02, 1); /* once, either way */
    adversaries_on_common_wraps(a, 3.0, cell00, 2, &twice, 1); /* once, either way */
    adversaries_on_join(a, 5, 0, NULL, 4.0);
    adversaries_on_member_keys(a, 5, holding(&fx, &s1, NULL));
    g_assert_cmpuint(adversaries_counts(a).bwd_exposures, ==, all ? 3 : 2);
    adversaries_free(a);
    fx_clear(&fx);
  }
}

/* Recordings are dropped only when no joiner can need them: a joiner still
 * waiting for its keys long after its join keeps its window, and a later
 * joiner finds the last record-before-join seconds, however much traffic
 * came in between (enough here to make the log prune itself many times). */
static void test_backward_pruning(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 1, .record_before_join = 10};
  Adversaries *a = adversaries_new(&cfg);
  KtKey s1 = fresh(&fx, KT_KEY_SUBGROUP, 1, 1), s2 = fresh(&fx, KT_KEY_SUBGROUP, 2, 1);
  KtKey g4 = fresh(&fx, KT_KEY_GROUP, 0, 4), other = fresh(&fx, KT_KEY_SUBGROUP, 3, 1);
  uint32_t cell0[] = {0};
  KtWrap early = wrap(&fx, &g4, &s1);
  adversaries_on_common_wraps(a, 5.0, cell0, 1, &early, 1); /* in UE 1's window [0, 10) */
  adversaries_on_join(a, 1, 0, NULL, 10.0);
  KtWrap mid = wrap(&fx, &g4, &s1); /* at 50: in nobody's window */
  adversaries_on_common_wraps(a, 50.0, cell0, 1, &mid, 1);
  KtWrap noise = wrap(&fx, &g4, &other); /* a key neither joiner holds */
  for (int i = 0; i < 50000; i++)
    adversaries_on_common_wraps(a, 100.0 + i * 0.004, cell0, 1, &noise, 1); /* 100 .. 300 */
  KtWrap late = wrap(&fx, &g4, &s2);
  adversaries_on_common_wraps(a, 295.0, cell0, 1, &late, 1); /* in UE 2's window [290, 300) */
  KtWrap late_s1 = wrap(&fx, &g4, &s1);
  adversaries_on_common_wraps(a, 280.0, cell0, 1, &late_s1, 1); /* before UE 2's window */
  adversaries_on_join(a, 2, 0, NULL, 300.0);
  adversaries_on_member_keys(a, 1, holding(&fx, &s1, NULL));    /* 290 s after its join */
  g_assert_cmpuint(adversaries_counts(a).bwd_exposures, ==, 1); /* `early` only */
  adversaries_on_member_keys(a, 2, holding(&fx, &s2, &s1));
  g_assert_cmpuint(adversaries_counts(a).bwd_exposures, ==, 2); /* and `late` */
  adversaries_free(a);
  fx_clear(&fx);
}

/* Mobility (docs/security.md, "Handover"): a UE that moved out of a
 * sub-group keeps that key; it opens nothing while it is a member (it is
 * no listener), and after its leave the kept key is tried like any other:
 * a wrap under it sent after the leave counts. Only interior keys are
 * kept, the newest version of each. A UE that moved away from a group
 * (embodiment 2) listens with that group's keys even after its join of
 * another. */
static void test_movers(void) {
  Fx fx;
  fx_init(&fx);
  AdversaryConfig cfg = {.n_cells = 4, .record_before_join = 0};
  Adversaries *a = adversaries_new(&cfg);
  KtKey s1 = fresh(&fx, KT_KEY_SUBGROUP, 5, 1), s2 = fresh(&fx, KT_KEY_SUBGROUP, 5, 2);
  KtKey g1 = fresh(&fx, KT_KEY_GROUP, 0, 1), g2 = fresh(&fx, KT_KEY_GROUP, 0, 2);
  KtKey h1 = fresh(&fx, KT_KEY_GROUP, 1, 1), h2 = fresh(&fx, KT_KEY_GROUP, 1, 2);
  uint32_t cell0[] = {0}, cell1[] = {1};
  /* UE 3 moves twice out of sub-group 5 (versions 1 then 2) holding g1 */
  adversaries_on_move(a, 3, holding(&fx, &s1, &g1));
  adversaries_on_move(a, 3, holding(&fx, &s2, &g1));
  KtWrap under_s2 = wrap(&fx, &g2, &s2);
  adversaries_on_common_wraps(a, 1.0, cell0, 1, &under_s2, 1); /* still a member */
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 0);
  adversaries_on_leave(a, 3, 0, holding(&fx, NULL, NULL), 2.0); /* holds nothing else */
  adversaries_on_common_wraps(a, 3.0, cell0, 1, &under_s2, 1);
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 1); /* the kept s2 opens it */
  KtWrap under_s1 = wrap(&fx, &g2, &s1);
  adversaries_on_common_wraps(a, 3.1, cell0, 1, &under_s1, 1);
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 1); /* s1 was not kept */

  /* UE 4 moves from RNC group 1 (cell 1) to another group, joins there */
  adversaries_on_move_away(a, 4, 1, holding(&fx, &h1, NULL), 4.0);
  adversaries_on_join(a, 4, 2, NULL, 4.1);
  KtWrap under_h1 = wrap(&fx, &h2, &h1);
  adversaries_on_common_wraps(a, 5.0, cell1, 1, &under_h1, 1);
  g_assert_cmpuint(adversaries_counts(a).fwd_violations, ==, 2); /* not silenced */
  adversaries_free(a);
  fx_clear(&fx);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/adversary/movers", test_movers);
  g_test_add_func("/adversary/forward-own-cell", test_forward_own_cell);
  g_test_add_func("/adversary/forward-needs-real-key", test_forward_needs_real_key);
  g_test_add_func("/adversary/collusion", test_collusion);
  g_test_add_func("/adversary/backward", test_backward);
  g_test_add_func("/adversary/backward-join-rekey", test_backward_join_rekey);
  g_test_add_func("/adversary/backward-held-before", test_backward_held_before);
  g_test_add_func("/adversary/backward-mover-returns", test_backward_mover_returns);
  g_test_add_func("/adversary/backward-all-cells", test_backward_all_cells);
  g_test_add_func("/adversary/backward-pruning", test_backward_pruning);
  return g_test_run();
}
