/* test_schemes.c — the planners of every scheme against the literature
 * (docs/schemes.md), and a holder model that carries out every plan with
 * real wraps under random churn.
 *
 * Expected numbers come from the formulas, not from program output. On a
 * full balanced tree of n = d^L members, individual rekeying:
 *   LKH leave:                d*L - 1 wraps: d - 1 p2p (the siblings),
 *                             d*(L - 1) p2m (Wong, Gouda, Lam 1998);
 *   LKH join (join rekey):    L p2m (each path key under its old version)
 *                             + 1 p2p message (L wraps) to the joiner;
 *   patent leave, m x s:      s - 1 p2p + m p2m; min 2*sqrt(n) - 1 at m = sqrt(n);
 *   unicast leave:            n - 1 p2p;
 *   broadcast leave:          1 p2m, which the leaver can open. */
#include <glib.h>
#include <string.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_plan.h"
#include "keytree/kt_tree.h"
#include "keytree/kt_wrap.h"

static KtTree *make(KtScheme scheme, uint32_t n_rnc, uint32_t cpr, uint32_t size, uint32_t degree,
                    int embodiment) {
  KtConfig cfg = {.n_rnc = n_rnc,
                  .cells_per_rnc = cpr,
                  .subgroup_size = size,
                  .policy = KT_POLICY_PER_RNC,
                  .embodiment = embodiment,
                  .seed = 11,
                  .scheme = scheme,
                  .lkh_degree = degree};
  KtTree *t = kt_tree_new(&cfg);
  g_assert_nonnull(t);
  return t;
}

static guint ipow(guint b, guint e) {
  guint r = 1;
  while (e--)
    r *= b;
  return r;
}

/* n members joined without rekey, UE i in cell i mod n_cells. */
static void fill(KtTree *t, guint n, KtPlan *plan) {
  const KtConfig *c = kt_tree_config(t);
  guint cells = c->n_rnc * c->cells_per_rnc;
  for (guint u = 0; u < n; u++)
    g_assert_true(kt_tree_join(t, u, u % cells, false, plan));
  kt_tree_check(t);
}

static guint count_target(const KtPlan *p, KtTarget target) {
  guint n = 0;
  for (guint i = 0; i < p->deliveries->len; i++)
    n += g_array_index(p->deliveries, KtDelivery, i).target == target;
  return n;
}

/* ---- LKH ------------------------------------------------------------- */

static const struct {
  guint d, L;
} lkh_cases[] = {{2, 1}, {2, 3}, {2, 6}, {3, 2}, {3, 4}, {4, 1}, {4, 3}, {4, 5}, {8, 2}, {5, 3}};

static void test_lkh_leave_full(void) {
  for (guint c = 0; c < G_N_ELEMENTS(lkh_cases); c++) {
    guint d = lkh_cases[c].d, L = lkh_cases[c].L, n = ipow(d, L);
    /* leave the first, a middle and the last member, each from a fresh full tree */
    guint leavers[] = {0, n / 2, n - 1};
    for (guint k = 0; k < G_N_ELEMENTS(leavers); k++) {
      KtTree *t = make(KT_SCHEME_LKH, 1, 4, 1, d, 2);
      KtPlan p;
      kt_plan_init(&p);
      fill(t, n, &p);
      g_assert_cmpuint(kt_tree_lkh_depth(t, 0), ==, L);
      g_assert_cmpuint(kt_tree_lkh_nodes(t), ==, (n - 1) / (d - 1)); /* 1 + d + ... + d^(L-1) */
      g_assert_true(kt_tree_leave(t, leavers[k], &p));
      kt_tree_check(t);
      g_assert_cmpuint(kt_plan_p2p_count(&p), ==, d - 1);
      g_assert_cmpuint(kt_plan_p2m_count(&p), ==, d * (L - 1));
      g_assert_cmpuint(kt_plan_wrap_count(&p), ==, d * L - 1);
      g_assert_true(p.group_changed);
      /* the leaver's parent is an interior node (not the root) iff L > 1 */
      g_assert_cmpint(p.subgroup_changed, ==, L > 1);
      /* point-to-point only to the leaver's siblings, under their private keys */
      for (guint i = 0; i < p.deliveries->len; i++) {
        const KtDelivery *dl = &g_array_index(p.deliveries, KtDelivery, i);
        g_assert_cmpuint(dl->n_keys, ==, 1);
        if (dl->target == KT_TO_UE) {
          g_assert_cmpuint(kt_tree_ue_subgroup(t, dl->target_id), ==, p.subgroup);
          g_assert_cmpuint(KT_KEY_ID_KIND(dl->under.id), ==, KT_KEY_PRIVATE);
        } else {
          g_assert_cmpuint(KT_KEY_ID_KIND(dl->under.id), ==, KT_KEY_SUBGROUP);
        }
      }
      kt_plan_free(&p);
      kt_tree_free(t);
    }
  }
}

static void test_lkh_join_rekey_full(void) {
  for (guint c = 0; c < G_N_ELEMENTS(lkh_cases); c++) {
    guint d = lkh_cases[c].d, L = lkh_cases[c].L, n = ipow(d, L);
    KtTree *t = make(KT_SCHEME_LKH, 1, 4, 1, d, 2);
    KtPlan p;
    kt_plan_init(&p);
    fill(t, n, &p);
    /* a member leaves the full tree of depth L; the joiner takes its place
     * (its former parent is the only node with room) */
    g_assert_true(kt_tree_leave(t, n / 3, &p));
    uint32_t freed = p.subgroup;
    g_assert_true(kt_tree_join(t, n, 0, true, &p));
    g_assert_cmpuint(p.subgroup, ==, freed);
    kt_tree_check(t);
    g_assert_cmpuint(kt_tree_lkh_depth(t, 0), ==, L);
    g_assert_cmpuint(kt_plan_p2m_count(&p), ==, L);
    g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 1);
    g_assert_cmpuint(kt_plan_wrap_count(&p), ==, 2 * L);
    g_assert_false(p.subgroup_created);
    for (guint i = 0; i < p.deliveries->len; i++) {
      const KtDelivery *dl = &g_array_index(p.deliveries, KtDelivery, i);
      if (dl->target == KT_TO_UE) {
        g_assert_cmpuint(dl->target_id, ==, n);
        g_assert_cmpuint(dl->n_keys, ==, L);
        /* bottom-up, the group key last */
        g_assert_cmpuint(KT_KEY_ID_KIND(kt_delivery_key(&p, dl, L - 1).id), ==, KT_KEY_GROUP);
      } else {
        /* each path key under its own old version */
        g_assert_cmpuint(dl->n_keys, ==, 1);
        g_assert_cmpuint(dl->keys[0].id, ==, dl->under.id);
        g_assert_cmpuint(dl->keys[0].version, ==, dl->under.version + 1);
        g_assert_cmpuint(dl->exclude_ue, ==, n);
      }
    }
    /* the next joiner finds the tree full: a split, depth L + 1 */
    g_assert_true(kt_tree_join(t, n + 1, 0, false, &p));
    g_assert_true(p.subgroup_created);
    g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 2); /* the split leaf + the joiner */
    g_assert_cmpuint(kt_tree_lkh_depth(t, 0), ==, L + 1);
    kt_tree_check(t);
    kt_plan_free(&p);
    kt_tree_free(t);
  }
}

/* Embodiment 1, several RNCs: a p2m delivery per RNC where holders are. */
static void test_lkh_per_rnc(void) {
  /* d = 2, L = 2, 4 members over 4 RNCs (UE i at RNC i): every node key's
   * holders are at 2 RNCs */
  KtTree *t = make(KT_SCHEME_LKH, 4, 1, 1, 2, 1);
  KtPlan p;
  kt_plan_init(&p);
  fill(t, 4, &p);
  g_assert_true(kt_tree_leave(t, 0, &p));
  /* 1 p2p to the sibling; the root's new key under each child's key: the
   * leaver's node (1 remaining holder, 1 RNC) and the other node (2 RNCs) */
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 1);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 1 + 2);
  g_assert_cmpuint(count_target(&p, KT_TO_NODE), ==, 1 + 2);
  for (guint i = 0; i < p.deliveries->len; i++) {
    const KtDelivery *dl = &g_array_index(p.deliveries, KtDelivery, i);
    /* every delivery is at another RNC than the leaver's (RNC 0) or
     * carries the root (group) key: all wait for the core */
    g_assert_cmpuint(dl->stage, ==, KT_STAGE_GROUP);
    GArray *cells = g_array_new(FALSE, FALSE, sizeof(guint32));
    kt_tree_audience_cells(t, dl, cells);
    g_assert_cmpuint(cells->len, ==, 1);
    g_assert_cmpuint(g_array_index(cells, guint32, 0), ==, dl->rnc);
    g_array_free(cells, TRUE);
  }
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* Embodiment 1, 2 RNCs of 1 cell, d = 2: UEs 0 and 2 at RNC 0, 1 and 3 at
 * RNC 1, placed as root{A{0, 2}, B{1, 3}}. When 3 leaves, B's new key goes
 * to 1 at the leaver's own RNC: that one delivery is sent at once (LOCAL);
 * the root's new key under A and under B carries the group key (GROUP). */
static void test_lkh_local_stage(void) {
  KtTree *t = make(KT_SCHEME_LKH, 2, 1, 1, 2, 1);
  KtPlan p;
  kt_plan_init(&p);
  fill(t, 4, &p);
  g_assert_true(kt_tree_leave(t, 3, &p));
  g_assert_cmpuint(p.deliveries->len, ==, 3);
  guint local = 0;
  for (guint i = 0; i < p.deliveries->len; i++) {
    const KtDelivery *dl = &g_array_index(p.deliveries, KtDelivery, i);
    if (dl->stage == KT_STAGE_LOCAL) {
      local++;
      g_assert_cmpuint(dl->target, ==, KT_TO_UE);
      g_assert_cmpuint(dl->target_id, ==, 1);
      g_assert_cmpuint(dl->rnc, ==, 1);
      g_assert_cmpuint(KT_KEY_ID_KIND(dl->keys[0].id), ==, KT_KEY_SUBGROUP);
    }
  }
  g_assert_cmpuint(local, ==, 1);
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* ---- patent, star --------------------------------------------------------- */

static guint patent_leave_cost(guint m, guint s) {
  KtTree *t = make(KT_SCHEME_PATENT, 1, 1, s, 0, 2);
  KtPlan p;
  kt_plan_init(&p);
  fill(t, m * s, &p);
  g_assert_cmpuint(kt_tree_n_subgroups(t), ==, m);
  g_assert_true(kt_tree_leave(t, m * s / 2, &p));
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, s - 1);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, s > 1 ? m : m - 1);
  guint cost = kt_plan_wrap_count(&p);
  kt_plan_free(&p);
  kt_tree_free(t);
  return cost;
}

static void test_patent_leave(void) {
  static const guint ms[][2] = {{2, 2}, {3, 5}, {8, 8}, {4, 16}, {16, 4}, {10, 10}};
  for (guint i = 0; i < G_N_ELEMENTS(ms); i++)
    g_assert_cmpuint(patent_leave_cost(ms[i][0], ms[i][1]), ==, ms[i][1] - 1 + ms[i][0]);
  /* n = 1024: (s - 1) + n / s is smallest at s = m = 32: 2 * sqrt(n) - 1 = 63 */
  guint best = G_MAXUINT, best_s = 0;
  for (guint s = 2; s <= 512; s *= 2) {
    guint cost = patent_leave_cost(1024 / s, s);
    if (cost < best) {
      best = cost;
      best_s = s;
    }
  }
  g_assert_cmpuint(best_s, ==, 32);
  g_assert_cmpuint(best, ==, 2 * 32 - 1); /* sqrt(1024) = 32: 63 */
}

static void test_star_leave(void) {
  static const guint ns[] = {2, 3, 10, 100, 257};
  for (guint i = 0; i < G_N_ELEMENTS(ns); i++) {
    guint n = ns[i];
    KtTree *t = make(KT_SCHEME_UNICAST, 1, 2, 1, 0, 2);
    KtPlan p;
    kt_plan_init(&p);
    fill(t, n, &p);
    g_assert_true(kt_tree_leave(t, 1, &p));
    g_assert_cmpuint(kt_plan_p2p_count(&p), ==, n - 1);
    g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 0);
    g_assert_cmpuint(kt_plan_wrap_count(&p), ==, n - 1);
    kt_plan_free(&p);
    kt_tree_free(t);

    t = make(KT_SCHEME_BROADCAST, 1, 2, 1, 0, 2);
    kt_plan_init(&p);
    fill(t, n, &p);
    KtKey old = *kt_tree_group_key(t, 0); /* what the leaver holds */
    g_assert_true(kt_tree_leave(t, 1, &p));
    g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 0);
    g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 1);
    g_assert_cmpuint(kt_plan_wrap_count(&p), ==, 1);
    /* the leaver opens the new group key with the old one: real decryption */
    const KtDelivery *dl = &g_array_index(p.deliveries, KtDelivery, 0);
    g_assert_true(kt_ref_equal(dl->under, old.ref));
    KtWrap w;
    unsigned char nonce[KT_NONCEBYTES] = {1};
    g_assert_cmpint(kt_wrap(&w, kt_plan_key(&p, dl->keys[0]), kt_plan_key(&p, dl->under), nonce),
                    ==, 0);
    KtKey got;
    g_assert_cmpint(kt_unwrap(&got, &w, &old), ==, 0);
    g_assert_cmpmem(got.bytes, KT_KEYBYTES, kt_tree_group_key(t, 0)->bytes, KT_KEYBYTES);
    kt_key_wipe(&got);
    kt_key_wipe(&old);
    kt_plan_free(&p);
    kt_tree_free(t);
  }
}

/* ---- holder model: every scheme, random churn, real wraps ---------------- */

typedef struct {
  GArray *keys; /* KtKey the UE really holds (private key first) */
} Holder;

static KtKey *held(Holder *h, KtKeyId id) {
  for (guint i = 0; i < h->keys->len; i++)
    if (g_array_index(h->keys, KtKey, i).ref.id == id)
      return &g_array_index(h->keys, KtKey, i);
  return NULL;
}

static void hold(Holder *h, const KtKey *k) {
  KtKey *slot = held(h, k->ref.id);
  if (slot == NULL)
    g_array_append_vals(h->keys, k, 1);
  else if (slot->ref.version < k->ref.version)
    *slot = *k;
}

/* The value of `ref` for the sender: the plan's copy, else the tree's. */
static const KtKey *value_of(const KtTree *t, const KtPlan *p, KtKeyRef ref) {
  const KtKey *k = kt_plan_key(p, ref);
  if (k == NULL) {
    k = KT_KEY_ID_KIND(ref.id) == KT_KEY_GROUP ? kt_tree_group_key(t, KT_KEY_ID_INDEX(ref.id))
                                               : kt_tree_key(t, ref.id);
    g_assert_nonnull(k);
    g_assert_true(kt_ref_equal(k->ref, ref));
  }
  return k;
}

/* Point-to-point deliveries first (they open with a private key), then the
 * point-to-multipoint ones in plan order (bottom-up): a batch joiner below a
 * changed node hears its p2m after its own keys came. */
static void carry_out(KtTree *t, const KtPlan *p, Holder *hs, guint n_ue, KtKeyGen *nonces,
                      guint *opened) {
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < p->deliveries->len; i++) {
      const KtDelivery *d = &g_array_index(p->deliveries, KtDelivery, i);
      if ((d->target == KT_TO_UE) != (pass == 0))
        continue;
      const KtKey *under = value_of(t, p, d->under);
      KtWrap w[KT_PLAN_MAX_KEYS];
      for (guint k = 0; k < d->n_keys; k++) {
        unsigned char nonce[KT_NONCEBYTES];
        kt_keygen_nonce(nonces, nonce);
        g_assert_cmpint(kt_wrap(&w[k], value_of(t, p, kt_delivery_key(p, d, k)), under, nonce), ==,
                        0);
      }
      guint audience = 0;
      for (uint32_t u = 0; u < n_ue; u++) {
        if (!kt_tree_in_audience(t, d, u))
          continue;
        audience++;
        KtKey *mine = held(&hs[u], d->under.id);
        g_assert_nonnull(mine); /* the rule: holders of `under` hear it */
        if (!kt_ref_equal(mine->ref, d->under))
          g_error("%s: delivery %u (target %d) to UE %u under %#x v%u, UE holds v%u",
                  kt_scheme_name(kt_tree_config(t)->scheme), i, d->target, u, d->under.id,
                  d->under.version, mine->ref.version);
        KtKey got[KT_PLAN_MAX_KEYS]; /* open all first: hold() may move `mine` */
        for (guint k = 0; k < d->n_keys; k++) {
          if (kt_unwrap(&got[k], &w[k], mine) != 0)
            g_error("%s: delivery %u (target %d) to UE %u: %#x v%u does not open under %#x v%u",
                    kt_scheme_name(kt_tree_config(t)->scheme), i, d->target, u,
                    kt_delivery_key(p, d, k).id, kt_delivery_key(p, d, k).version, d->under.id,
                    d->under.version);
          (*opened)++;
        }
        for (guint k = 0; k < d->n_keys; k++) {
          hold(&hs[u], &got[k]);
          kt_key_wipe(&got[k]);
        }
      }
      g_assert_cmpuint(audience, >=, 1);
    }
}

/* Each point-to-multipoint delivery's audience cells (from the node's
 * per-cell counts in LKH) against a brute-force model: the cells of the
 * members kt_tree_in_audience accepts. */
static void check_holders(const KtTree *t, guint n_ue, guint n_cells, const KtPlan *p) {
  GArray *got = g_array_new(FALSE, FALSE, sizeof(guint32));
  GArray *want = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (guint i = 0; i < p->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(p->deliveries, KtDelivery, i);
    if (d->target == KT_TO_UE)
      continue;
    g_array_set_size(got, 0);
    g_array_set_size(want, 0);
    kt_tree_audience_cells(t, d, got);
    for (uint32_t c = 0; c < n_cells; c++)
      for (uint32_t u = 0; u < n_ue; u++)
        if (kt_tree_in_audience(t, d, u) && kt_tree_ue_cell(t, u) == c) {
          g_array_append_val(want, c);
          break;
        }
    g_assert_cmpuint(got->len, ==, want->len);
    if (got->len)
      g_assert_cmpmem(got->data, got->len * 4, want->data, want->len * 4);
  }
  g_array_free(got, TRUE);
  g_array_free(want, TRUE);
}

static void churn_scheme(KtScheme scheme, int embodiment, bool join_rekey, guint degree) {
  enum { N_UE = 120, STEPS = 600 };
  KtTree *t = make(scheme, 3, 2, 4, degree, embodiment);
  KtKeyGen *gen = kt_keygen_new(11); /* the UEs' copies of their private keys */
  KtKeyGen *nonces = kt_keygen_new(99);
  Holder hs[N_UE];
  for (guint u = 0; u < N_UE; u++) {
    hs[u].keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
    KtKey priv;
    kt_keygen_private(gen, &priv, u);
    hold(&hs[u], &priv);
  }
  GRand *r = g_rand_new_with_seed(5 + scheme * 10 + (guint)embodiment);
  KtPlan p;
  kt_plan_init(&p);
  guint opened = 0, joins = 0, leaves = 0;
  for (guint step = 0; step < STEPS; step++) {
    uint32_t u = (uint32_t)g_rand_int_range(r, 0, N_UE);
    if (kt_tree_is_member(t, u)) {
      KtKeyRef group_before =
          kt_tree_group_key(t, kt_tree_scope_of_rnc(t, kt_tree_ue_cell(t, u) / 2))->ref;
      g_assert_true(kt_tree_leave(t, u, &p));
      leaves++;
      carry_out(t, &p, hs, N_UE, nonces, &opened);
      /* the leaver cannot open any wrap of the new group key, except in
       * broadcast (insecure by design) */
      if (p.group_changed) {
        /* a new version of the same key, whose value the plan carries */
        g_assert_cmpuint(p.group_after.id, ==, group_before.id);
        g_assert_cmpuint(p.group_after.version, ==, group_before.version + 1);
        g_assert_nonnull(kt_plan_key(&p, p.group_after));
        for (guint i = 0; i < p.deliveries->len; i++) {
          const KtDelivery *d = &g_array_index(p.deliveries, KtDelivery, i);
          if (d->target == KT_TO_UE || !kt_ref_equal(d->keys[0], p.group_after))
            continue;
          bool leaver_holds = held(&hs[u], d->under.id) != NULL &&
                              kt_ref_equal(held(&hs[u], d->under.id)->ref, d->under);
          g_assert_true(leaver_holds == (scheme == KT_SCHEME_BROADCAST));
        }
      }
      /* a departed UE starts afresh when it rejoins */
      g_array_set_size(hs[u].keys, 1);
    } else {
      uint32_t cell = (uint32_t)g_rand_int_range(r, 0, 6);
      g_assert_true(kt_tree_join(t, u, cell, join_rekey, &p));
      joins++;
      carry_out(t, &p, hs, N_UE, nonces, &opened);
    }
    kt_tree_check(t);
    check_holders(t, N_UE, 6, &p);
    /* every member holds exactly the current keys of its path */
    for (uint32_t m = 0; m < N_UE; m++) {
      const KtKey *want[KT_PLAN_MAX_KEYS];
      guint n = kt_tree_ue_keys(t, m, want, G_N_ELEMENTS(want));
      g_assert_cmpuint(n > 0, ==, kt_tree_is_member(t, m));
      for (guint k = 0; k < n; k++) {
        KtKey *mine = held(&hs[m], want[k]->ref.id);
        if (mine == NULL || !kt_ref_equal(mine->ref, want[k]->ref))
          g_error("%s emb %d step %u: UE %u lacks key %#x v%u", kt_scheme_name(scheme), embodiment,
                  step, m, want[k]->ref.id, want[k]->ref.version);
        g_assert_cmpmem(mine->bytes, KT_KEYBYTES, want[k]->bytes, KT_KEYBYTES);
      }
    }
  }
  g_assert_cmpuint(joins, >, 100);
  g_assert_cmpuint(leaves, >, 100);
  g_assert_cmpuint(opened, >, 0);
  kt_plan_free(&p);
  g_rand_free(r);
  for (guint u = 0; u < N_UE; u++) {
    for (guint i = 0; i < hs[u].keys->len; i++)
      kt_key_wipe(&g_array_index(hs[u].keys, KtKey, i));
    g_array_free(hs[u].keys, TRUE);
  }
  kt_keygen_free(gen);
  kt_keygen_free(nonces);
  kt_tree_free(t);
}

static void test_churn_all(void) {
  static const KtScheme schemes[] = {KT_SCHEME_PATENT, KT_SCHEME_UNICAST, KT_SCHEME_BROADCAST,
                                     KT_SCHEME_LKH};
  for (guint s = 0; s < G_N_ELEMENTS(schemes); s++)
    for (int e = 1; e <= 2; e++)
      for (int jr = 0; jr <= 1; jr++)
        churn_scheme(schemes[s], e, jr, 3);
  churn_scheme(KT_SCHEME_LKH, 1, true, 2);
  churn_scheme(KT_SCHEME_LKH, 2, false, 5);
}

/* ---- batch ------------------------------------------------------------- */

static void batch_of(KtTree *t, const KtBatchOp *ops, guint n, KtPlan *p) {
  g_assert_true(kt_tree_batch(t, 0, ops, n, p));
  kt_tree_check(t);
  g_assert_cmpint(p->kind, ==, KT_EVENT_BATCH);
}

/* Members below the same bottom node as `ue` (itself included). */
static guint siblings(KtTree *t, uint32_t ue, guint n, uint32_t *out) {
  guint k = 0;
  for (uint32_t u = 0; u < n; u++)
    if (kt_tree_is_member(t, u) && kt_tree_ue_subgroup(t, u) == kt_tree_ue_subgroup(t, ue))
      out[k++] = u;
  return k;
}

/* LKH, full tree of n = d^L: k leavers under one bottom node (k < d) mark
 * that node and its L - 1 ancestors once: (d - k) p2p + d(L - 1) p2m; with k
 * joiners too, they take the leavers' places (same tree) and each gets its
 * path in 1 p2p of L wraps. 1 leave alone costs the individual d*L - 1. */
static void test_batch_lkh(void) {
  static const guint cases[][2] = {{2, 3}, {3, 3}, {4, 2}, {4, 4}, {5, 2}};
  for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
    guint d = cases[c][0], L = cases[c][1], n = ipow(d, L);
    for (guint k = 1; k < d; k++) {
      for (int with_joins = 0; with_joins <= 1; with_joins++) {
        KtTree *t = make(KT_SCHEME_LKH, 1, 4, 1, d, 2);
        KtPlan p;
        kt_plan_init(&p);
        fill(t, n, &p);
        guint nodes = kt_tree_lkh_nodes(t);
        uint32_t sib[64];
        g_assert_cmpuint(siblings(t, n / 2, n, sib), ==, d);
        KtBatchOp ops[16];
        guint n_ops = 0;
        for (guint i = 0; i < k; i++)
          ops[n_ops++] = (KtBatchOp){.join = false, .ue = sib[i]};
        for (guint i = 0; with_joins && i < k; i++)
          ops[n_ops++] = (KtBatchOp){.join = true, .ue = n + i, .cell = i % 4};
        batch_of(t, ops, n_ops, &p);
        guint joins = with_joins ? k : 0;
        g_assert_cmpuint(kt_plan_p2p_count(&p), ==, (d - k) + joins);
        g_assert_cmpuint(kt_plan_p2m_count(&p), ==, d * (L - 1));
        g_assert_cmpuint(kt_plan_wrap_count(&p), ==, (d - k) + d * (L - 1) + joins * L);
        g_assert_true(p.group_changed);
        if (with_joins) {
          g_assert_cmpuint(kt_tree_lkh_nodes(t), ==, nodes);
          g_assert_cmpuint(kt_tree_lkh_depth(t, 0), ==, L);
          g_assert_cmpuint(kt_tree_ue_subgroup(t, n), ==, kt_tree_ue_subgroup(t, sib[k]));
        }
        if (k == 1 && !with_joins)
          g_assert_cmpuint(kt_plan_wrap_count(&p), ==, d * L - 1);
        kt_plan_free(&p);
        kt_tree_free(t);
      }
    }
  }
}

/* patent, m sub-groups of s: leavers in k different sub-groups change k
 * sub-group keys (s - 1 p2p each) and the group key once (m p2m). */
static void test_batch_patent(void) {
  static const guint cases[][3] = {{4, 4, 1}, {4, 4, 3}, {8, 5, 8}, {16, 16, 5}};
  for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
    guint m = cases[c][0], s = cases[c][1], k = cases[c][2];
    KtTree *t = make(KT_SCHEME_PATENT, 1, 1, s, 0, 2);
    KtPlan p;
    kt_plan_init(&p);
    fill(t, m * s, &p);
    KtBatchOp ops[16];
    for (guint i = 0; i < k; i++) /* UE i*s is in sub-group i (filled in order) */
      ops[i] = (KtBatchOp){.join = false, .ue = i * s};
    batch_of(t, ops, k, &p);
    g_assert_cmpuint(kt_plan_p2p_count(&p), ==, k * (s - 1));
    g_assert_cmpuint(kt_plan_p2m_count(&p), ==, m);
    g_assert_cmpuint(kt_plan_wrap_count(&p), ==, k * (s - 1) + m);
    kt_plan_free(&p);
    kt_tree_free(t);
  }
}

/* The example of the issue on batch splits: LKH d = 2, members 0 and 1
 * under the root, one batch of joins 2, 3, 4. By the placement rule: 2
 * splits 0 (node N1 = [0, 2]), 3 splits 1 (N2 = [1, 3]), 4 goes into N1 and
 * splits 0 again (N3 = [0, 4], N1 = [N3, 2]). N1, N2 and N3 are new: none is
 * rekeyed or sent point-to-multipoint; their old members get them
 * point-to-point, 0 both N3 and N1 in one message, 1 N2. The root changes
 * once, under N1 and N2 (2 p2m); each joiner gets its path (3 p2p):
 * 5 p2p + 2 p2m. */
static void test_batch_split_not_rekeyed(void) {
  KtTree *t = make(KT_SCHEME_LKH, 1, 1, 1, 2, 2);
  KtPlan p;
  kt_plan_init(&p);
  fill(t, 2, &p);
  KtBatchOp ops[] = {{.join = true, .ue = 2, .cell = 0},
                     {.join = true, .ue = 3, .cell = 0},
                     {.join = true, .ue = 4, .cell = 0}};
  batch_of(t, ops, 3, &p);
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 5);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 2);
  g_assert_cmpuint(kt_tree_lkh_nodes(t), ==, 4); /* root, N1, N2, N3 */
  /* UE 0's one message: N3's key then N1's, both version 1 */
  guint to0 = 0;
  for (guint i = 0; i < p.deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(p.deliveries, KtDelivery, i);
    if (d->target != KT_TO_UE || d->target_id != 0)
      continue;
    to0++;
    g_assert_cmpuint(d->n_keys, ==, 2);
    KtKeyRef low = kt_delivery_key(&p, d, 0), high = kt_delivery_key(&p, d, 1);
    g_assert_cmpuint(low.version, ==, 1);
    g_assert_cmpuint(high.version, ==, 1);
    g_assert_cmpuint(KT_KEY_ID_INDEX(low.id), ==, kt_tree_ue_subgroup(t, 0));
    g_assert_cmpuint(KT_KEY_ID_INDEX(high.id), !=, KT_KEY_ID_INDEX(low.id));
  }
  g_assert_cmpuint(to0, ==, 1);
  /* every p2m is the root's new key, under a node key */
  for (guint i = 0; i < p.deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(p.deliveries, KtDelivery, i);
    if (d->target == KT_TO_UE)
      continue;
    g_assert_cmpuint(KT_KEY_ID_KIND(kt_delivery_key(&p, d, 0).id), ==, KT_KEY_GROUP);
    g_assert_cmpuint(KT_KEY_ID_KIND(d->under.id), ==, KT_KEY_SUBGROUP);
  }
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* A point-to-multipoint audience made only of batch joiners gets nothing
 * (they get their path point-to-point). Patent, sub-groups of 2, one RNC:
 * members 0, 1 (sub-group A); a batch of joins 2 and 3 fills a new
 * sub-group B. The group key changes once: p2m under A only; each joiner
 * 1 p2p: 2 p2p + 1 p2m. LKH d = 2, members 0, 1, 2, 3 joined one by one
 * (2 splits 0: N1 = [0, 2]; 3 splits 1: N2 = [1, 3]); leaves 1 and 3 (all
 * of N2) and joins 4 and 5 in their places: N2's holders are all joiners,
 * so the root's key goes under N1 only (1 p2m), N2's new key to nobody
 * but the joiners' paths: 2 p2p + 1 p2m. */
static void test_batch_joiners_only_audience(void) {
  KtTree *t = make(KT_SCHEME_PATENT, 1, 1, 2, 0, 2);
  KtPlan p;
  kt_plan_init(&p);
  fill(t, 2, &p);
  KtBatchOp joins[] = {{.join = true, .ue = 2, .cell = 0}, {.join = true, .ue = 3, .cell = 0}};
  batch_of(t, joins, 2, &p);
  g_assert_cmpuint(kt_tree_n_subgroups(t), ==, 2);
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 2);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 1);
  kt_plan_free(&p);
  kt_tree_free(t);

  t = make(KT_SCHEME_LKH, 1, 1, 1, 2, 2);
  kt_plan_init(&p);
  fill(t, 4, &p);
  g_assert_cmpuint(kt_tree_ue_subgroup(t, 1), ==, kt_tree_ue_subgroup(t, 3));
  g_assert_cmpuint(kt_tree_ue_subgroup(t, 0), ==, kt_tree_ue_subgroup(t, 2));
  KtBatchOp swap[] = {{.join = false, .ue = 1},
                      {.join = false, .ue = 3},
                      {.join = true, .ue = 4, .cell = 0},
                      {.join = true, .ue = 5, .cell = 0}};
  batch_of(t, swap, 4, &p);
  g_assert_cmpuint(kt_tree_ue_subgroup(t, 4), ==, kt_tree_ue_subgroup(t, 5));
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 2);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 1);
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* A batch that empties the scope: every key is retired, nothing is sent
 * (patent and LKH trees). */
static void test_batch_empties(void) {
  for (int lkh = 0; lkh <= 1; lkh++) {
    KtTree *t = make(lkh ? KT_SCHEME_LKH : KT_SCHEME_PATENT, 1, 1, 2, 2, 2);
    KtPlan p;
    kt_plan_init(&p);
    fill(t, 3, &p);
    KtKeyRef g = kt_tree_group_key(t, 0)->ref;
    KtBatchOp all[] = {{.join = false, .ue = 0}, {.join = false, .ue = 1}, {.join = false, .ue = 2}};
    batch_of(t, all, 3, &p);
    g_assert_cmpuint(p.deliveries->len, ==, 0);
    g_assert_true(p.group_changed && p.group_retired);
    g_assert_cmpuint(kt_tree_group_key(t, 0)->ref.version, ==, g.version + 1);
    g_assert_cmpuint(kt_tree_members(t), ==, 0);
    kt_plan_free(&p);
    kt_tree_free(t);
  }
}

/* Ops that cancel out or are invalid. */
static void test_batch_edges(void) {
  KtTree *t = make(KT_SCHEME_LKH, 2, 1, 1, 3, 2);
  KtPlan p;
  kt_plan_init(&p);
  fill(t, 6, &p); /* UEs 0, 2, 4 at RNC 0 (scope 0) */
  KtKeyRef g = kt_tree_group_key(t, 0)->ref;
  /* a UE joins and leaves within the batch: nothing at all */
  KtBatchOp in_out[] = {{.join = true, .ue = 10, .cell = 0}, {.join = false, .ue = 10}};
  batch_of(t, in_out, 2, &p);
  g_assert_cmpuint(p.deliveries->len, ==, 0);
  g_assert_cmpuint(p.batch->len, ==, 0);
  g_assert_true(kt_ref_equal(kt_tree_group_key(t, 0)->ref, g));
  /* leave and rejoin: a leave and a join; the UE takes its own place */
  KtBatchOp out_in[] = {{.join = false, .ue = 2}, {.join = true, .ue = 2, .cell = 0}};
  batch_of(t, out_in, 2, &p);
  g_assert_cmpuint(p.batch->len, ==, 2);
  g_assert_true(kt_tree_is_member(t, 2));
  g_assert_true(p.group_changed);
  /* invalid: a member joins; a UE of another scope; nothing changes */
  g = kt_tree_group_key(t, 0)->ref;
  KtBatchOp bad1[] = {{.join = true, .ue = 0, .cell = 0}};
  g_assert_false(kt_tree_batch(t, 0, bad1, 1, &p));
  KtBatchOp bad2[] = {{.join = false, .ue = 1}};
  g_assert_false(kt_tree_batch(t, 0, bad2, 1, &p));
  g_assert_true(kt_ref_equal(kt_tree_group_key(t, 0)->ref, g));
  kt_tree_check(t);
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* Random batches on both trees, carried out with real wraps: every member
 * holds exactly its current keys, and no leaver holds a key any p2m
 * delivery of the batch is wrapped under. */
static void churn_batch(KtScheme scheme, int embodiment) {
  enum { N_UE = 90, BATCHES = 150 };
  KtTree *t = make(scheme, 2, 2, 3, 3, embodiment);
  KtKeyGen *gen = kt_keygen_new(11), *nonces = kt_keygen_new(98);
  Holder hs[N_UE];
  for (guint u = 0; u < N_UE; u++) {
    hs[u].keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
    KtKey priv;
    kt_keygen_private(gen, &priv, u);
    hold(&hs[u], &priv);
  }
  GRand *r = g_rand_new_with_seed(77 + scheme + (guint)embodiment);
  KtPlan p;
  kt_plan_init(&p);
  guint opened = 0, total_ops = 0;
  for (guint b = 0; b < BATCHES; b++) {
    uint32_t scope = embodiment == 1 ? 0 : (uint32_t)g_rand_int_range(r, 0, 2);
    KtBatchOp ops[12];
    guint n = (guint)g_rand_int_range(r, 1, 12);
    bool member[N_UE];
    for (uint32_t u = 0; u < N_UE; u++)
      member[u] = kt_tree_is_member(t, u);
    guint made = 0;
    for (guint i = 0; i < n; i++) {
      uint32_t u = (uint32_t)g_rand_int_range(r, 0, N_UE);
      uint32_t cell = scope * 2 + (uint32_t)g_rand_int_range(r, 0, 2);
      /* a member of another scope cannot be in this batch (a UE that joined
       * in this batch is in this scope) */
      if (member[u] && kt_tree_is_member(t, u) &&
          kt_tree_scope_of_rnc(t, kt_tree_ue_cell(t, u) / 2) != scope)
        continue;
      ops[made++] = (KtBatchOp){.join = !member[u], .ue = u, .cell = cell};
      member[u] = !member[u];
    }
    g_assert_true(kt_tree_batch(t, scope, ops, made, &p));
    kt_tree_check(t);
    check_holders(t, N_UE, 4, &p);
    total_ops += p.batch->len;
    carry_out(t, &p, hs, N_UE, nonces, &opened);
    for (guint i = 0; i < p.batch->len; i++) {
      const KtBatchOp *op = &g_array_index(p.batch, KtBatchOp, i);
      if (op->join || kt_tree_is_member(t, op->ue))
        continue;
      for (guint j = 0; j < p.deliveries->len; j++) {
        const KtDelivery *d = &g_array_index(p.deliveries, KtDelivery, j);
        const KtKey *h = held(&hs[op->ue], d->under.id);
        g_assert_true(d->target == KT_TO_UE || h == NULL || !kt_ref_equal(h->ref, d->under));
      }
      g_array_set_size(hs[op->ue].keys, 1);
    }
    for (uint32_t m = 0; m < N_UE; m++) {
      const KtKey *want[KT_PLAN_MAX_KEYS];
      guint k = kt_tree_ue_keys(t, m, want, G_N_ELEMENTS(want));
      for (guint i = 0; i < k; i++) {
        KtKey *mine = held(&hs[m], want[i]->ref.id);
        g_assert_nonnull(mine);
        g_assert_true(kt_ref_equal(mine->ref, want[i]->ref));
        g_assert_cmpmem(mine->bytes, KT_KEYBYTES, want[i]->bytes, KT_KEYBYTES);
      }
    }
  }
  g_assert_cmpuint(total_ops, >, 300);
  g_assert_cmpuint(opened, >, 0);
  kt_plan_free(&p);
  g_rand_free(r);
  for (guint u = 0; u < N_UE; u++) {
    for (guint i = 0; i < hs[u].keys->len; i++)
      kt_key_wipe(&g_array_index(hs[u].keys, KtKey, i));
    g_array_free(hs[u].keys, TRUE);
  }
  kt_keygen_free(gen);
  kt_keygen_free(nonces);
  kt_tree_free(t);
}

static void test_batch_churn(void) {
  for (int e = 1; e <= 2; e++) {
    churn_batch(KT_SCHEME_PATENT, e);
    churn_batch(KT_SCHEME_LKH, e);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  kt_crypto_init();
  g_test_add_func("/schemes/lkh/leave-full-tree", test_lkh_leave_full);
  g_test_add_func("/schemes/lkh/join-rekey-full-tree", test_lkh_join_rekey_full);
  g_test_add_func("/schemes/lkh/per-rnc", test_lkh_per_rnc);
  g_test_add_func("/schemes/lkh/local-stage", test_lkh_local_stage);
  g_test_add_func("/schemes/patent/leave", test_patent_leave);
  g_test_add_func("/schemes/star/leave", test_star_leave);
  g_test_add_func("/schemes/churn-all", test_churn_all);
  g_test_add_func("/schemes/batch/lkh", test_batch_lkh);
  g_test_add_func("/schemes/batch/patent", test_batch_patent);
  g_test_add_func("/schemes/batch/split-not-rekeyed", test_batch_split_not_rekeyed);
  g_test_add_func("/schemes/batch/joiners-only-audience", test_batch_joiners_only_audience);
  g_test_add_func("/schemes/batch/empties", test_batch_empties);
  g_test_add_func("/schemes/batch/edges", test_batch_edges);
  g_test_add_func("/schemes/batch/churn", test_batch_churn);
  return g_test_run();
}
