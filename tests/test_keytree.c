/* test_keytree.c — the key tree and the patent planner.
 *
 * Hand-derived scenarios assert placement and exact delivery lists; a holder
 * model then carries out every plan for real (wraps each key, lets each UE
 * unwrap with the keys it really holds) and checks that every member ends
 * with the current keys and that a leaver cannot follow; a random churn runs
 * both against a brute-force placement reference and the count rules. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "keytree/kt_keygen.h"
#include "keytree/kt_plan.h"
#include "keytree/kt_tree.h"
#include "test_keyrefs.h"
#include "keytree/kt_core.h"
#include "keytree/kt_subgroup.h"
#include "keytree/kt_wrap.h"

#define SEED 1u
#define NOKEY ((KtKeyRef){0, 0})

static KtTree *make_tree(uint32_t n_rnc, uint32_t cpr, uint32_t size, KtSubgroupPolicy policy,
                         int embodiment, uint64_t seed) {
  KtConfig cfg = {.n_rnc = n_rnc,
                  .cells_per_rnc = cpr,
                  .subgroup_size = size,
                  .policy = policy,
                  .embodiment = embodiment,
                  .seed = seed};
  KtTree *t = kt_tree_new(&cfg);
  g_assert_nonnull(t);
  kt_tree_check(t);
  return t;
}

/* ---- holder model: carries out plans with real wraps ------------------- */

typedef struct {
  KtKey sg, group; /* what the UE really holds; version 0 = nothing */
} Held;

typedef struct {
  KtTree *t;
  KtKeyGen *ue_gen;    /* the UEs' own copy of their private keys */
  KtKeyGen *nonce_gen; /* nonces for the test's wraps */
  guint n_ue;          /* UE ids 0..n_ue-1 */
  Held *held;
  guint wraps_opened;
} Model;

static void model_init(Model *m, KtTree *t, guint n_ue) {
  m->t = t;
  m->ue_gen = kt_keygen_new(kt_tree_config(t)->seed);
  m->nonce_gen = kt_keygen_new(0xabcdef);
  m->n_ue = n_ue;
  m->held = g_new0(Held, n_ue);
  m->wraps_opened = 0;
}

static void model_free(Model *m) {
  for (guint i = 0; i < m->n_ue; i++) {
    kt_key_wipe(&m->held[i].sg);
    kt_key_wipe(&m->held[i].group);
  }
  g_free(m->held);
  kt_keygen_free(m->ue_gen);
  kt_keygen_free(m->nonce_gen);
}

/* The value of a ref named by a plan: the plan's copy, else the tree's. */
static const KtKey *lookup(const Model *m, const KtPlan *p, KtKeyRef ref) {
  const KtKey *k = kt_plan_key(p, ref);
  if (k == NULL) {
    k = kt_tree_key(m->t, ref.id);
    g_assert_nonnull(k);
  }
  assert_ref(k->ref, ref);
  return k;
}

static const KtKey *held_key(const Held *h, KtKeyRef ref) {
  if (h->sg.ref.version != 0 && kt_ref_equal(h->sg.ref, ref))
    return &h->sg;
  if (h->group.ref.version != 0 && kt_ref_equal(h->group.ref, ref))
    return &h->group;
  return NULL;
}

static gboolean cells_contain(const GArray *cells, uint32_t cell) {
  for (guint i = 0; i < cells->len; i++)
    if (g_array_index(cells, guint32, i) == cell)
      return TRUE;
  return FALSE;
}

/* UE `ue` opens the wraps of `d` under `under` and installs the keys. */
static void receive(Model *m, uint32_t ue, const KtDelivery *d, const KtWrap *w,
                    const KtKey *under) {
  KtKey got[KT_DELIVERY_MAX_KEYS];
  for (guint k = 0; k < d->n_keys; k++) {
    g_assert_cmpint(kt_unwrap(&got[k], &w[k], under), ==, 0);
    assert_ref(got[k].ref, d->keys[k]);
    m->wraps_opened++;
  }
  for (guint k = 0; k < d->n_keys; k++) {
    switch (KT_KEY_ID_KIND(got[k].ref.id)) {
    case KT_KEY_SUBGROUP:
      m->held[ue].sg = got[k];
      break;
    case KT_KEY_GROUP:
      m->held[ue].group = got[k];
      break;
    default:
      g_error("delivered a key of kind %d", KT_KEY_ID_KIND(got[k].ref.id));
    }
    kt_key_wipe(&got[k]);
  }
}

static void model_apply(Model *m, const KtPlan *p) {
  GArray *cells = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (guint i = 0; i < p->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(p->deliveries, KtDelivery, i);
    g_assert_cmpuint(d->n_keys, >=, 1);
    g_assert_cmpuint(d->n_keys, <=, KT_DELIVERY_MAX_KEYS);
    g_assert_cmpuint(d->rnc, <, kt_tree_config(m->t)->n_rnc);
    const KtKey *under = lookup(m, p, d->under);
    KtWrap w[KT_DELIVERY_MAX_KEYS];
    for (guint k = 0; k < d->n_keys; k++) {
      unsigned char nonce[KT_NONCEBYTES];
      kt_keygen_nonce(m->nonce_gen, nonce);
      g_assert_cmpint(kt_wrap(&w[k], lookup(m, p, d->keys[k]), under, nonce), ==, 0);
    }
    g_array_set_size(cells, 0);
    kt_tree_audience_cells(m->t, d, cells);
    for (guint c = 1; c < cells->len; c++)
      g_assert_cmpuint(g_array_index(cells, guint32, c - 1), <, g_array_index(cells, guint32, c));
    for (guint c = 0; c < cells->len; c++)
      g_assert_cmpuint(g_array_index(cells, guint32, c) / kt_tree_config(m->t)->cells_per_rnc, ==,
                       d->rnc);

    if (d->target == KT_TO_UE) {
      uint32_t ue = d->target_id;
      g_assert_cmpuint(ue, <, m->n_ue);
      g_assert_true(kt_tree_is_member(m->t, ue));
      assert_ref(d->under, PRIV(ue));
      g_assert_cmpuint(d->exclude_ue, ==, KT_NO_UE);
      g_assert_cmpuint(cells->len, ==, 1);
      g_assert_cmpuint(g_array_index(cells, guint32, 0), ==, kt_tree_ue_cell(m->t, ue));
      g_assert_true(kt_tree_in_audience(m->t, d, ue));
      /* the UE opens it with its own copy of its private key */
      KtKey priv;
      kt_keygen_private(m->ue_gen, &priv, ue);
      receive(m, ue, d, w, &priv);
      kt_key_wipe(&priv);
      for (uint32_t u = 0; u < m->n_ue; u++)
        if (u != ue)
          g_assert_false(kt_tree_in_audience(m->t, d, u));
      continue;
    }
    /* point-to-multipoint: someone must be listening */
    g_assert_cmpuint(cells->len, >=, 1);
    for (uint32_t u = 0; u < m->n_ue; u++) {
      const KtKey *hk = held_key(&m->held[u], d->under);
      gboolean member = kt_tree_is_member(m->t, u);
      gboolean in_cells = member && cells_contain(cells, kt_tree_ue_cell(m->t, u));
      gboolean aud = kt_tree_in_audience(m->t, d, u);
      if (aud) {
        g_assert_nonnull(hk);
        g_assert_true(in_cells);
      }
      if (member && u != d->exclude_ue && hk != NULL && in_cells)
        g_assert_true(aud);
      if (!member && aud)
        g_error("non-member %u in the audience", u);
      /* members listen on their cell; a leaver listens everywhere */
      if (hk != NULL && (member ? in_cells : TRUE)) {
        KtKey copy = *hk;
        receive(m, u, d, w, &copy);
        kt_key_wipe(&copy);
      }
    }
  }
  g_array_free(cells, TRUE);
}

/* Every member holds its current keys. */
static void model_check(const Model *m) {
  for (uint32_t u = 0; u < m->n_ue; u++) {
    if (!kt_tree_is_member(m->t, u))
      continue;
    const Held *h = &m->held[u];
    uint32_t sg = kt_tree_ue_subgroup(m->t, u);
    const KtKey *cur = kt_tree_key(m->t, KT_KEY_ID(KT_KEY_SUBGROUP, sg));
    g_assert_nonnull(cur);
    assert_ref(h->sg.ref, cur->ref);
    g_assert_cmpmem(h->sg.bytes, KT_KEYBYTES, cur->bytes, KT_KEYBYTES);
    uint32_t rnc = kt_tree_ue_cell(m->t, u) / kt_tree_config(m->t)->cells_per_rnc;
    const KtKey *g = kt_tree_group_key(m->t, kt_tree_scope_of_rnc(m->t, rnc));
    assert_ref(h->group.ref, g->ref);
    g_assert_cmpmem(h->group.bytes, KT_KEYBYTES, g->bytes, KT_KEYBYTES);
  }
}

/* Generic checks of a plan right after it was made. */
static void check_plan_shape(const KtTree *t, const KtPlan *p) {
  /* a joined delivery (kt_plan.h) is point-to-multipoint, follows one of
   * the same RNC and stage, and its message holds at most
   * KT_PLAN_MAX_KEYS wraps; it is no message of its own */
  guint joined = 0, msg_wraps = 0;
  for (guint i = 0; i < p->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(p->deliveries, KtDelivery, i);
    if (d->joined) {
      g_assert_cmpuint(i, >, 0);
      const KtDelivery *prev = d - 1;
      g_assert_true(d->target != KT_TO_UE && prev->target != KT_TO_UE);
      g_assert_cmpuint(d->rnc, ==, prev->rnc);
      g_assert_cmpuint(d->stage, ==, prev->stage);
      joined++;
      msg_wraps += d->n_keys;
    } else {
      msg_wraps = d->n_keys;
    }
    g_assert_cmpuint(msg_wraps, <=, KT_PLAN_MAX_KEYS);
  }
  g_assert_cmpuint(kt_plan_p2p_count(p) + kt_plan_p2m_count(p) + joined, ==, p->deliveries->len);
  g_assert_cmpuint(p->scope, ==, kt_tree_scope_of_rnc(t, p->rnc));
  g_assert_cmpuint(p->cell / kt_tree_config(t)->cells_per_rnc, ==, p->rnc);
  assert_ref(p->group_after, kt_tree_group_key(t, p->scope)->ref);
  g_assert_cmpuint(p->group_after.version, ==,
                   p->group_before.version + (p->group_changed ? 1 : 0));
  guint changed = (p->group_changed ? 1 : 0) + (p->subgroup_changed ? 1 : 0);
  guint created = p->kind == KT_EVENT_JOIN && p->subgroup_created ? 1 : 0;
  g_assert_cmpuint(p->key_values->len, ==, 2 * changed + created);
  if (p->group_changed) {
    const KtKey *o = kt_plan_key(p, p->group_before), *n = kt_plan_key(p, p->group_after);
    g_assert_nonnull(o);
    g_assert_nonnull(n);
    g_assert_true(memcmp(o->bytes, n->bytes, KT_KEYBYTES) != 0);
    g_assert_cmpmem(n->bytes, KT_KEYBYTES, kt_tree_group_key(t, p->scope)->bytes, KT_KEYBYTES);
  }
  g_assert_true(p->kind == KT_EVENT_JOIN || !p->subgroup_created);
  g_assert_true(p->kind == KT_EVENT_LEAVE || !p->subgroup_deleted);
}

typedef struct {
  KtTree *t;
  Model m;
  KtPlan plan;
} World;

static void world_init(World *w, uint32_t n_rnc, uint32_t cpr, uint32_t size,
                       KtSubgroupPolicy policy, int emb, guint n_ue) {
  w->t = make_tree(n_rnc, cpr, size, policy, emb, SEED);
  model_init(&w->m, w->t, n_ue);
  kt_plan_init(&w->plan);
}

static void world_free(World *w) {
  kt_plan_free(&w->plan);
  model_free(&w->m);
  kt_tree_free(w->t);
}

static const KtPlan *do_join(World *w, uint32_t ue, uint32_t cell, gboolean rekey) {
  g_assert_true(kt_tree_join(w->t, ue, cell, rekey, &w->plan));
  kt_tree_check(w->t);
  const KtPlan *p = &w->plan;
  g_assert_cmpint(p->kind, ==, KT_EVENT_JOIN);
  g_assert_cmpuint(p->ue, ==, ue);
  g_assert_cmpuint(p->cell, ==, cell);
  g_assert_cmpuint(p->subgroup, ==, kt_tree_ue_subgroup(w->t, ue));
  check_plan_shape(w->t, p);
  model_apply(&w->m, p);
  model_check(&w->m);
  return p;
}

static const KtPlan *do_leave(World *w, uint32_t ue) {
  uint32_t cell = kt_tree_ue_cell(w->t, ue), sg = kt_tree_ue_subgroup(w->t, ue);
  g_assert_true(kt_tree_leave(w->t, ue, &w->plan));
  kt_tree_check(w->t);
  const KtPlan *p = &w->plan;
  g_assert_cmpint(p->kind, ==, KT_EVENT_LEAVE);
  g_assert_cmpuint(p->ue, ==, ue);
  g_assert_cmpuint(p->cell, ==, cell);
  g_assert_cmpuint(p->subgroup, ==, sg);
  g_assert_false(kt_tree_is_member(w->t, ue));
  g_assert_cmpuint(p->subgroup_deleted, ==, !kt_tree_subgroup_alive(w->t, sg));
  check_plan_shape(w->t, p);
  model_apply(&w->m, p);
  model_check(&w->m);
  /* the leaver, listening to everything, has not learnt the new keys */
  const Held *h = &w->m.held[ue];
  if (p->group_changed)
    g_assert_cmpuint(h->group.ref.version, <, p->group_after.version);
  if (p->subgroup_changed) {
    const KtKey *cur = kt_tree_key(w->t, KT_KEY_ID(KT_KEY_SUBGROUP, sg));
    g_assert_cmpuint(h->sg.ref.version, <, cur->ref.version);
  }
  return p;
}

static const KtDelivery *dlv(const KtPlan *p, guint i) {
  g_assert_cmpuint(i, <, p->deliveries->len);
  return &g_array_index(p->deliveries, KtDelivery, i);
}

static void assert_delivery(const KtPlan *p, guint i, KtStage stage, KtTarget target,
                            uint32_t target_id, uint32_t rnc, uint32_t exclude, KtKeyRef under,
                            KtKeyRef k0, KtKeyRef k1) {
  const KtDelivery *d = dlv(p, i);
  g_assert_cmpint(d->stage, ==, stage);
  g_assert_cmpint(d->target, ==, target);
  g_assert_cmpuint(d->target_id, ==, target_id);
  g_assert_cmpuint(d->rnc, ==, rnc);
  g_assert_cmpuint(d->exclude_ue, ==, exclude);
  assert_ref(d->under, under);
  g_assert_cmpuint(d->n_keys, ==, k1.version == 0 ? 1 : 2);
  assert_ref(d->keys[0], k0);
  if (k1.version != 0)
    assert_ref(d->keys[1], k1);
}

static void assert_counts(const KtPlan *p, guint p2p, guint p2m) {
  g_assert_cmpuint(kt_plan_p2p_count(p), ==, p2p);
  g_assert_cmpuint(kt_plan_p2m_count(p), ==, p2m);
  g_assert_cmpuint(p->deliveries->len, ==, p2p + p2m);
}

/* Audience cells of delivery i, as a "c1,c2" string. */
static gchar *audience(const KtTree *t, const KtPlan *p, guint i) {
  GArray *cells = g_array_new(FALSE, FALSE, sizeof(guint32));
  kt_tree_audience_cells(t, dlv(p, i), cells);
  GString *s = g_string_new(NULL);
  for (guint c = 0; c < cells->len; c++)
    g_string_append_printf(s, "%s%u", c ? "," : "", g_array_index(cells, guint32, c));
  g_array_free(cells, TRUE);
  return g_string_free(s, FALSE);
}

#define assert_audience(t, p, i, want)                                                             \
  do {                                                                                             \
    gchar *got_ = audience(t, p, i);                                                               \
    g_assert_cmpstr(got_, ==, want);                                                               \
    g_free(got_);                                                                                  \
  } while (0)

static gchar *rnc_sgs_str(const KtTree *t, uint32_t rnc) {
  GArray *a = g_array_new(FALSE, FALSE, sizeof(guint32));
  kt_tree_rnc_subgroups(t, rnc, a);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < a->len; i++)
    g_string_append_printf(s, "%s%u", i ? "," : "", g_array_index(a, guint32, i));
  g_array_free(a, TRUE);
  return g_string_free(s, FALSE);
}

#define assert_rnc_sgs(t, rnc, want)                                                               \
  do {                                                                                             \
    gchar *got_ = rnc_sgs_str(t, rnc);                                                             \
    g_assert_cmpstr(got_, ==, want);                                                               \
    g_free(got_);                                                                                  \
  } while (0)

static gchar *sorted_str(const uint32_t *v, guint n) {
  uint32_t *c = g_memdup2(v, n * sizeof *v);
  for (guint i = 1; i < n; i++)
    for (guint j = i; j > 0 && c[j - 1] > c[j]; j--) {
      uint32_t x = c[j];
      c[j] = c[j - 1];
      c[j - 1] = x;
    }
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "%s%u", i ? "," : "", c[i]);
  g_free(c);
  return g_string_free(s, FALSE);
}

#define assert_sg_ues(t, sg, want)                                                                 \
  do {                                                                                             \
    guint n_;                                                                                      \
    const uint32_t *v_ = kt_tree_subgroup_ues(t, sg, &n_);                                         \
    gchar *got_ = sorted_str(v_, n_);                                                              \
    g_assert_cmpstr(got_, ==, want);                                                               \
    g_free(got_);                                                                                  \
  } while (0)

#define assert_cell_ues(t, cell, want)                                                             \
  do {                                                                                             \
    guint n_;                                                                                      \
    const uint32_t *v_ = kt_tree_cell_ues(t, cell, &n_);                                           \
    gchar *got_ = sorted_str(v_, n_);                                                              \
    g_assert_cmpstr(got_, ==, want);                                                               \
    g_free(got_);                                                                                  \
  } while (0)

/* ---- plan helpers ------------------------------------------------------ */

static void test_plan_helpers(void) {
  KtPlan p;
  kt_plan_init(&p);
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 0);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 0);
  KtDelivery d = {0};
  d.target = KT_TO_SUBGROUP;
  g_array_append_val(p.deliveries, d);
  d.target = KT_TO_UE;
  g_array_append_val(p.deliveries, d);
  d.target = KT_TO_RNC_GROUP;
  g_array_append_val(p.deliveries, d);
  d.target = KT_TO_UE;
  g_array_append_val(p.deliveries, d);
  g_array_append_val(p.deliveries, d);
  g_assert_cmpuint(kt_plan_p2p_count(&p), ==, 3);
  g_assert_cmpuint(kt_plan_p2m_count(&p), ==, 2);

  KtKey a = {.ref = GRP(0, 1)}, b = {.ref = GRP(0, 2)};
  memset(a.bytes, 0x11, KT_KEYBYTES);
  memset(b.bytes, 0x22, KT_KEYBYTES);
  g_array_append_val(p.key_values, a);
  g_array_append_val(p.key_values, b);
  g_assert_cmpuint(kt_plan_key(&p, GRP(0, 2))->bytes[0], ==, 0x22);
  g_assert_cmpuint(kt_plan_key(&p, GRP(0, 1))->bytes[5], ==, 0x11);
  g_assert_null(kt_plan_key(&p, GRP(0, 3)));
  g_assert_null(kt_plan_key(&p, GRP(1, 1)));
  g_assert_null(kt_plan_key(&p, SG(0, 1)));

  /* clear wipes the key values (the array keeps its storage) */
  const unsigned char *raw = (const unsigned char *)p.key_values->data;
  p.group_changed = true;
  p.ue = 5;
  kt_plan_clear(&p);
  for (gsize i = 0; i < 2 * sizeof(KtKey); i++)
    g_assert_cmpuint(raw[i], ==, 0);
  g_assert_cmpuint(p.deliveries->len, ==, 0);
  g_assert_cmpuint(p.key_values->len, ==, 0);
  g_assert_false(p.group_changed);
  g_assert_cmpuint(p.ue, ==, KT_NO_UE);
  g_assert_cmpuint(p.subgroup, ==, KT_NO_SUBGROUP);
  g_assert_null(kt_plan_key(&p, GRP(0, 1)));
  kt_plan_free(&p);
  g_assert_null(p.deliveries);
  g_assert_null(p.key_values);
  kt_plan_free(&p); /* twice is harmless */
}

/* ---- tree basics ------------------------------------------------------- */

static void test_tree_basics(void) {
  for (int emb = 1; emb <= 2; emb++) {
    KtTree *t = make_tree(3, 2, 4, KT_POLICY_PER_CELL, emb, 77);
    g_assert_cmpuint(kt_tree_n_scopes(t), ==, emb == 1 ? 1 : 3);
    g_assert_cmpuint(kt_tree_scope_of_rnc(t, 2), ==, emb == 1 ? 0 : 2);
    g_assert_cmpuint(kt_tree_config(t)->cells_per_rnc, ==, 2);
    /* group keys exist from the start, version 1, drawn first from the
     * seeded generator in scope order */
    KtKeyGen *g = kt_keygen_new(77);
    for (uint32_t s = 0; s < kt_tree_n_scopes(t); s++) {
      const KtKey *k = kt_tree_group_key(t, s);
      g_assert_nonnull(k);
      assert_ref(k->ref, GRP(s, 1));
      KtKey e;
      kt_keygen_fresh(g, &e, GRP(s, 1));
      g_assert_cmpmem(k->bytes, KT_KEYBYTES, e.bytes, KT_KEYBYTES);
      g_assert_true(kt_tree_key(t, KT_KEY_ID(KT_KEY_GROUP, s)) == k);
    }
    g_assert_null(kt_tree_group_key(t, kt_tree_n_scopes(t)));
    g_assert_null(kt_tree_key(t, KT_KEY_ID(KT_KEY_GROUP, kt_tree_n_scopes(t))));
    g_assert_null(kt_tree_key(t, KT_KEY_ID(KT_KEY_CORE, 0)));
    g_assert_null(kt_tree_key(t, KT_KEY_ID(KT_KEY_SUBGROUP, 0)));
    g_assert_null(kt_tree_key(t, KT_KEY_ID(KT_KEY_PRIVATE, 3)));
    g_assert_false(kt_tree_subgroup_alive(t, 0));
    g_assert_cmpuint(kt_tree_subgroup_rnc(t, 0), ==, UINT32_MAX);
    g_assert_cmpuint(kt_tree_members(t), ==, 0);
    g_assert_cmpuint(kt_tree_n_subgroups(t), ==, 0);

    KtPlan p;
    kt_plan_init(&p);
    g_assert_true(kt_tree_join(t, 3, 5, false, &p)); /* RNC 2 */
    g_assert_true(kt_tree_join(t, 1000, 0, false, &p));
    kt_tree_check(t);
    /* private keys are the generator's, whatever the order UEs appear in */
    const KtKey *pk = kt_tree_key(t, KT_KEY_ID(KT_KEY_PRIVATE, 3));
    g_assert_nonnull(pk);
    KtKey e;
    kt_keygen_private(g, &e, 3);
    g_assert_cmpmem(pk, sizeof *pk, &e, sizeof e);
    g_assert_null(kt_tree_key(t, KT_KEY_ID(KT_KEY_PRIVATE, 999)));
    g_assert_nonnull(kt_tree_key(t, KT_KEY_ID(KT_KEY_PRIVATE, 1000)));

    g_assert_true(kt_tree_is_member(t, 3));
    g_assert_false(kt_tree_is_member(t, 4));
    g_assert_false(kt_tree_is_member(t, 5000));
    g_assert_cmpuint(kt_tree_ue_cell(t, 3), ==, 5);
    g_assert_cmpuint(kt_tree_ue_cell(t, 4), ==, UINT32_MAX);
    g_assert_cmpuint(kt_tree_ue_subgroup(t, 4), ==, KT_NO_SUBGROUP);
    g_assert_cmpuint(kt_tree_members(t), ==, 2);
    g_assert_cmpuint(kt_tree_rnc_members(t, 2), ==, 1);
    g_assert_cmpuint(kt_tree_rnc_members(t, 0), ==, 1);
    g_assert_cmpuint(kt_tree_rnc_members(t, 1), ==, 0);
    g_assert_cmpuint(kt_tree_scope_members(t, 0), ==, emb == 1 ? 2 : 1);
    if (emb == 2)
      g_assert_cmpuint(kt_tree_scope_members(t, 2), ==, 1);
    uint32_t sg = kt_tree_ue_subgroup(t, 3);
    g_assert_cmpuint(kt_tree_subgroup_rnc(t, sg), ==, 2);

    /* errors: join a member, leave a non-member, bad cell; plan cleared */
    g_assert_true(kt_tree_join(t, 7, 1, true, &p));
    g_assert_cmpuint(p.deliveries->len, >, 0);
    g_assert_false(kt_tree_join(t, 7, 1, false, &p));
    g_assert_cmpuint(p.deliveries->len, ==, 0);
    g_assert_false(kt_tree_join(t, 7, 2, false, &p));
    g_assert_false(kt_tree_join(t, 8, 6, false, &p)); /* 6 cells: 0..5 */
    g_assert_false(kt_tree_is_member(t, 8));
    g_assert_false(kt_tree_leave(t, 8, &p));
    g_assert_false(kt_tree_leave(t, 123456, &p));
    g_assert_cmpuint(p.deliveries->len, ==, 0);
    g_assert_true(kt_tree_leave(t, 7, &p));
    g_assert_false(kt_tree_leave(t, 7, &p));
    g_assert_cmpuint(kt_tree_members(t), ==, 2);
    /* UE records persist: the leaver's private key is still known */
    g_assert_nonnull(kt_tree_key(t, KT_KEY_ID(KT_KEY_PRIVATE, 7)));
    kt_tree_check(t);
    kt_plan_free(&p);
    kt_keygen_free(g);
    kt_tree_free(t);
  }
}

/* Same seed and operations give byte-identical plans; another seed does not. */
static void run_for_bytes(uint64_t seed, GByteArray *out) {
  KtTree *t = make_tree(2, 3, 2, KT_POLICY_PER_CELL, 1, seed);
  KtPlan p;
  kt_plan_init(&p);
  static const struct {
    int join;
    uint32_t ue, cell;
  } ops[] = {{1, 0, 0}, {1, 1, 0}, {1, 2, 3}, {1, 3, 0}, {0, 1, 0}, {1, 4, 4}, {0, 2, 0}};
  for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
    if (ops[i].join)
      g_assert_true(kt_tree_join(t, ops[i].ue, ops[i].cell, true, &p));
    else
      g_assert_true(kt_tree_leave(t, ops[i].ue, &p));
    g_byte_array_append(out, (const guint8 *)p.deliveries->data,
                        p.deliveries->len * (guint)sizeof(KtDelivery));
    g_byte_array_append(out, (const guint8 *)p.key_values->data,
                        p.key_values->len * (guint)sizeof(KtKey));
  }
  kt_plan_free(&p);
  kt_tree_free(t);
}

static void test_determinism(void) {
  GByteArray *a = g_byte_array_new(), *b = g_byte_array_new(), *c = g_byte_array_new();
  run_for_bytes(5, a);
  run_for_bytes(5, b);
  run_for_bytes(6, c);
  g_assert_cmpuint(a->len, >, 0);
  g_assert_cmpmem(a->data, a->len, b->data, b->len);
  g_assert_cmpuint(a->len, ==, c->len);
  g_assert_true(memcmp(a->data, c->data, a->len) != 0);
  g_byte_array_unref(a);
  g_byte_array_unref(b);
  g_byte_array_unref(c);
}

/* ---- placement --------------------------------------------------------- */

/* 2 RNCs x 3 cells (RNC 0: cells 0-2, RNC 1: cells 3-5), sub-groups of 2. */
static void test_placement_per_cell(void) {
  World w;
  world_init(&w, 2, 3, 2, KT_POLICY_PER_CELL, 1, 20);
  static const struct {
    uint32_t ue, cell, sg;
    gboolean created;
  } joins[] = {
      {0, 0, 0, TRUE},  {1, 0, 0, FALSE}, /* fills sg 0 */
      {2, 0, 1, TRUE},                    /* overflow: new sg 1 */
      {3, 1, 2, TRUE},                    /* other cell: its own sg */
      {4, 0, 1, FALSE}, {5, 0, 3, TRUE},  {6, 3, 4, TRUE},
  };
  for (guint i = 0; i < G_N_ELEMENTS(joins); i++) {
    const KtPlan *p = do_join(&w, joins[i].ue, joins[i].cell, FALSE);
    g_assert_cmpuint(p->subgroup, ==, joins[i].sg);
    g_assert_cmpuint(p->subgroup_created, ==, joins[i].created);
  }
  g_assert_cmpuint(kt_tree_n_subgroups(w.t), ==, 5);
  assert_rnc_sgs(w.t, 0, "0,1,2,3");
  assert_rnc_sgs(w.t, 1, "4");
  assert_cell_ues(w.t, 0, "0,1,2,4,5");
  assert_cell_ues(w.t, 1, "3");
  assert_cell_ues(w.t, 2, "");
  assert_sg_ues(w.t, 1, "2,4");
  g_assert_cmpuint(kt_tree_subgroup_rnc(w.t, 4), ==, 1);

  /* a hole in sg 0 is filled before the later sg 3 */
  do_leave(&w, 0);
  assert_sg_ues(w.t, 0, "1");
  const KtPlan *p = do_join(&w, 7, 0, FALSE);
  g_assert_cmpuint(p->subgroup, ==, 0);
  g_assert_false(p->subgroup_created);
  assert_sg_ues(w.t, 0, "1,7");

  /* emptied sub-group is deleted; its id is never reused */
  p = do_leave(&w, 1);
  g_assert_false(p->subgroup_deleted);
  p = do_leave(&w, 7);
  g_assert_true(p->subgroup_deleted);
  g_assert_false(kt_tree_subgroup_alive(w.t, 0));
  guint n = 99;
  g_assert_null(kt_tree_subgroup_ues(w.t, 0, &n));
  g_assert_cmpuint(n, ==, 0);
  g_assert_null(kt_tree_key(w.t, KT_KEY_ID(KT_KEY_SUBGROUP, 0)));
  g_assert_cmpuint(kt_tree_subgroup_rnc(w.t, 0), ==, 0);
  assert_rnc_sgs(w.t, 0, "1,2,3");
  g_assert_cmpuint(kt_tree_n_subgroups(w.t), ==, 4);

  p = do_join(&w, 8, 0, FALSE); /* sg 3 has room */
  g_assert_cmpuint(p->subgroup, ==, 3);
  p = do_join(&w, 9, 0, FALSE); /* all full: new sg 5, not 0 */
  g_assert_cmpuint(p->subgroup, ==, 5);
  g_assert_true(p->subgroup_created);
  p = do_join(&w, 10, 1, FALSE);
  g_assert_cmpuint(p->subgroup, ==, 2);
  p = do_join(&w, 11, 1, FALSE);
  g_assert_cmpuint(p->subgroup, ==, 6);
  assert_rnc_sgs(w.t, 0, "1,2,3,5,6");
  g_assert_cmpuint(kt_tree_n_subgroups(w.t), ==, 6);
  g_assert_cmpuint(kt_tree_members(w.t), ==, 9);
  world_free(&w);
}

static void test_placement_per_rnc(void) {
  World w;
  world_init(&w, 2, 3, 2, KT_POLICY_PER_RNC, 1, 20);
  static const struct {
    uint32_t ue, cell, sg;
  } joins[] = {{0, 0, 0}, {1, 2, 0}, {2, 1, 1}, {3, 3, 2}, {4, 5, 2}, {5, 4, 3}};
  for (guint i = 0; i < G_N_ELEMENTS(joins); i++)
    g_assert_cmpuint(do_join(&w, joins[i].ue, joins[i].cell, FALSE)->subgroup, ==, joins[i].sg);
  KtDelivery d = {.target = KT_TO_SUBGROUP, .target_id = 0, .exclude_ue = KT_NO_UE};
  GArray *cells = g_array_new(FALSE, FALSE, sizeof(guint32));
  kt_tree_audience_cells(w.t, &d, cells);
  g_assert_cmpuint(cells->len, ==, 2);
  g_assert_cmpuint(g_array_index(cells, guint32, 0), ==, 0);
  g_assert_cmpuint(g_array_index(cells, guint32, 1), ==, 2);
  d.exclude_ue = 1;
  g_array_set_size(cells, 0);
  kt_tree_audience_cells(w.t, &d, cells);
  g_assert_cmpuint(cells->len, ==, 1);
  g_assert_cmpuint(g_array_index(cells, guint32, 0), ==, 0);
  g_assert_true(kt_tree_in_audience(w.t, &d, 0));
  g_assert_false(kt_tree_in_audience(w.t, &d, 1));
  g_assert_false(kt_tree_in_audience(w.t, &d, 2));
  d.target = KT_TO_RNC_GROUP;
  d.target_id = 1;
  d.exclude_ue = 5;
  g_array_set_size(cells, 0);
  kt_tree_audience_cells(w.t, &d, cells);
  g_assert_cmpuint(cells->len, ==, 2); /* 3 and 5; cell 4 has only UE 5 */
  g_assert_cmpuint(g_array_index(cells, guint32, 0), ==, 3);
  g_assert_cmpuint(g_array_index(cells, guint32, 1), ==, 5);
  g_assert_true(kt_tree_in_audience(w.t, &d, 3));
  g_assert_false(kt_tree_in_audience(w.t, &d, 5));
  g_assert_false(kt_tree_in_audience(w.t, &d, 0));
  g_array_free(cells, TRUE);

  do_leave(&w, 0);
  const KtPlan *p = do_join(&w, 6, 1, FALSE); /* the hole in sg 0, from cell 1 */
  g_assert_cmpuint(p->subgroup, ==, 0);
  assert_sg_ues(w.t, 0, "1,6");
  p = do_leave(&w, 2);
  g_assert_true(p->subgroup_deleted);
  p = do_join(&w, 7, 2, FALSE);
  g_assert_cmpuint(p->subgroup, ==, 4);
  assert_rnc_sgs(w.t, 0, "0,4");
  assert_rnc_sgs(w.t, 1, "2,3");
  world_free(&w);
}

/* ---- joins without rekey ------------------------------------------------ */

static void test_join_no_rekey(void) {
  for (int emb = 1; emb <= 2; emb++) {
    World w;
    world_init(&w, 2, 3, 2, KT_POLICY_PER_CELL, emb, 10);
    static const struct {
      uint32_t ue, cell, sg;
      gboolean created;
    } joins[] = {{0, 0, 0, TRUE}, {1, 0, 0, FALSE}, {2, 4, 1, TRUE}, {3, 4, 1, FALSE}};
    for (guint i = 0; i < G_N_ELEMENTS(joins); i++) {
      uint32_t ue = joins[i].ue, rnc = joins[i].cell / 3, scope = emb == 1 ? 0 : rnc;
      const KtPlan *p = do_join(&w, ue, joins[i].cell, FALSE);
      assert_counts(p, 1, 0);
      g_assert_cmpuint(p->rnc, ==, rnc);
      g_assert_cmpuint(p->scope, ==, scope);
      g_assert_cmpuint(p->subgroup, ==, joins[i].sg);
      g_assert_cmpuint(p->subgroup_created, ==, joins[i].created);
      g_assert_false(p->subgroup_changed);
      g_assert_false(p->group_changed);
      assert_ref(p->group_before, GRP(scope, 1));
      assert_ref(p->group_after, GRP(scope, 1));
      assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_UE, ue, rnc, KT_NO_UE, PRIV(ue),
                      SG(joins[i].sg, 1), GRP(scope, 1));
      /* a created sub-group's first key travels with the plan */
      g_assert_cmpuint(p->key_values->len, ==, joins[i].created ? 1 : 0);
      if (joins[i].created)
        g_assert_nonnull(kt_plan_key(p, SG(joins[i].sg, 1)));
    }
    world_free(&w);
  }
}

/* ---- joins with rekey and leaves, embodiment 1 ------------------------- */

static void test_rekey_emb1(void) {
  World w;
  world_init(&w, 2, 3, 2, KT_POLICY_PER_CELL, 1, 10);
  KtTree *t = w.t;
  const KtPlan *p;

  /* u0 -> cell 0: new sg 0, empty scope: nothing changes */
  p = do_join(&w, 0, 0, TRUE);
  assert_counts(p, 1, 0);
  g_assert_true(p->subgroup_created);
  g_assert_false(p->subgroup_changed || p->group_changed);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_UE, 0, 0, KT_NO_UE, PRIV(0), SG(0, 1), GRP(0, 1));

  /* u1 -> cell 0: sg 0 (had u0) v2, group v2 */
  p = do_join(&w, 1, 0, TRUE);
  assert_counts(p, 1, 2);
  g_assert_true(p->subgroup_changed && p->group_changed);
  assert_ref(p->group_before, GRP(0, 1));
  assert_ref(p->group_after, GRP(0, 2));
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_SUBGROUP, 0, 0, 1, SG(0, 1), SG(0, 2), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 0, 0, 1, GRP(0, 1), GRP(0, 2), NOKEY);
  assert_delivery(p, 2, KT_STAGE_GROUP, KT_TO_UE, 1, 0, KT_NO_UE, PRIV(1), SG(0, 2), GRP(0, 2));
  assert_audience(t, p, 0, "0");
  assert_audience(t, p, 1, "0");
  assert_audience(t, p, 2, "0");
  g_assert_cmpuint(p->key_values->len, ==, 4);
  g_assert_nonnull(kt_plan_key(p, SG(0, 1)));
  g_assert_nonnull(kt_plan_key(p, SG(0, 2)));
  g_assert_true(
      memcmp(kt_plan_key(p, SG(0, 1))->bytes, kt_plan_key(p, SG(0, 2))->bytes, KT_KEYBYTES) != 0);

  /* u2 -> cell 3 (RNC 1): new sg 1; group v3 sent to RNC 0 only */
  p = do_join(&w, 2, 3, TRUE);
  assert_counts(p, 1, 1);
  g_assert_true(p->subgroup_created && !p->subgroup_changed && p->group_changed);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 0, 0, 2, GRP(0, 2), GRP(0, 3), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_UE, 2, 1, KT_NO_UE, PRIV(2), SG(1, 1), GRP(0, 3));
  assert_audience(t, p, 1, "3");

  /* u3 -> cell 4: new sg 2; group v4 to both RNCs */
  p = do_join(&w, 3, 4, TRUE);
  assert_counts(p, 1, 2);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 0, 0, 3, GRP(0, 3), GRP(0, 4), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 1, 1, 3, GRP(0, 3), GRP(0, 4), NOKEY);
  assert_delivery(p, 2, KT_STAGE_GROUP, KT_TO_UE, 3, 1, KT_NO_UE, PRIV(3), SG(2, 1), GRP(0, 4));
  assert_audience(t, p, 0, "0");
  assert_audience(t, p, 1, "3"); /* cell 4 holds only the joiner */

  /* u4 -> cell 3: sg 1 (had u2) v2; group v5 */
  p = do_join(&w, 4, 3, TRUE);
  assert_counts(p, 1, 3);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_SUBGROUP, 1, 1, 4, SG(1, 1), SG(1, 2), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 0, 0, 4, GRP(0, 4), GRP(0, 5), NOKEY);
  assert_delivery(p, 2, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 1, 1, 4, GRP(0, 4), GRP(0, 5), NOKEY);
  assert_delivery(p, 3, KT_STAGE_GROUP, KT_TO_UE, 4, 1, KT_NO_UE, PRIV(4), SG(1, 2), GRP(0, 5));
  assert_audience(t, p, 0, "3");
  assert_audience(t, p, 2, "3,4");

  /* state: sg0 {u0,u1} v2 cell 0; sg1 {u2,u4} v2 cell 3; sg2 {u3} v1 cell 4 */
  /* leave u0: sg 0 v3 to u1; group v6 under each sub-group's current key */
  p = do_leave(&w, 0);
  assert_counts(p, 1, 3);
  g_assert_true(p->subgroup_changed && p->group_changed && !p->subgroup_deleted);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_UE, 1, 0, KT_NO_UE, PRIV(1), SG(0, 3), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_SUBGROUP, 0, 0, KT_NO_UE, SG(0, 3), GRP(0, 6), NOKEY);
  assert_delivery(p, 2, KT_STAGE_GROUP, KT_TO_SUBGROUP, 1, 1, KT_NO_UE, SG(1, 2), GRP(0, 6), NOKEY);
  assert_delivery(p, 3, KT_STAGE_GROUP, KT_TO_SUBGROUP, 2, 1, KT_NO_UE, SG(2, 1), GRP(0, 6), NOKEY);
  assert_audience(t, p, 1, "0");
  assert_audience(t, p, 2, "3");
  assert_audience(t, p, 3, "4");
  g_assert_cmpuint(p->key_values->len, ==, 4);

  /* leave u3: sg 2 deleted; group v7 to sg 0 and sg 1 */
  p = do_leave(&w, 3);
  assert_counts(p, 0, 2);
  g_assert_true(p->subgroup_deleted && !p->subgroup_changed && p->group_changed);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_SUBGROUP, 0, 0, KT_NO_UE, SG(0, 3), GRP(0, 7), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_SUBGROUP, 1, 1, KT_NO_UE, SG(1, 2), GRP(0, 7), NOKEY);
  g_assert_cmpuint(p->key_values->len, ==, 2);

  /* leave u1: sg 0 deleted; group v8 to sg 1 */
  p = do_leave(&w, 1);
  assert_counts(p, 0, 1);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_SUBGROUP, 1, 1, KT_NO_UE, SG(1, 2), GRP(0, 8), NOKEY);

  /* leave u2: sg 1 v3 to u4; group v9 to sg 1 under v3 */
  p = do_leave(&w, 2);
  assert_counts(p, 1, 1);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_UE, 4, 1, KT_NO_UE, PRIV(4), SG(1, 3), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_SUBGROUP, 1, 1, KT_NO_UE, SG(1, 3), GRP(0, 9), NOKEY);

  /* leave of the last member: nothing sent; the group key v9, which the
   * leaver holds, is retired (v10 at its owner, told to nobody) and the
   * emptied sub-group deleted */
  p = do_leave(&w, 4);
  assert_counts(p, 0, 0);
  g_assert_true(p->subgroup_deleted);
  g_assert_true(p->group_changed && p->group_retired);
  g_assert_false(p->subgroup_changed);
  assert_ref(p->group_before, GRP(0, 9));
  assert_ref(p->group_after, GRP(0, 10));
  g_assert_cmpuint(p->key_values->len, ==, 2); /* the group key's old and new value */
  g_assert_cmpuint(kt_tree_n_subgroups(t), ==, 0);
  g_assert_cmpuint(kt_tree_members(t), ==, 0);

  /* a join into the empty scope rekeys nothing, even with rekey: the
   * joiner gets the fresh keys, 1 p2p */
  p = do_join(&w, 5, 0, TRUE);
  assert_counts(p, 1, 0);
  g_assert_false(p->group_changed || p->group_retired);
  g_assert_cmpuint(p->subgroup, ==, 3);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_UE, 5, 0, KT_NO_UE, PRIV(5), SG(3, 1), GRP(0, 10));
  /* a former member rejoins */
  p = do_join(&w, 0, 0, TRUE);
  assert_counts(p, 1, 2);
  assert_delivery(p, 2, KT_STAGE_GROUP, KT_TO_UE, 0, 0, KT_NO_UE, PRIV(0), SG(3, 2), GRP(0, 11));
  world_free(&w);
}

/* ---- embodiment 2: one scope per RNC ----------------------------------- */

static void test_rekey_emb2(void) {
  World w;
  world_init(&w, 2, 3, 2, KT_POLICY_PER_CELL, 2, 10);
  KtTree *t = w.t;
  const KtPlan *p;

  p = do_join(&w, 0, 0, TRUE); /* sg 0, scope 0 empty */
  assert_counts(p, 1, 0);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_UE, 0, 0, KT_NO_UE, PRIV(0), SG(0, 1), GRP(0, 1));
  p = do_join(&w, 1, 3, TRUE); /* sg 1, scope 1 empty */
  assert_counts(p, 1, 0);
  g_assert_cmpuint(p->scope, ==, 1);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_UE, 1, 1, KT_NO_UE, PRIV(1), SG(1, 1), GRP(1, 1));

  p = do_join(&w, 2, 0, TRUE); /* sg 0 v2, scope 0 group v2; RNC 1 not involved */
  assert_counts(p, 1, 2);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_SUBGROUP, 0, 0, 2, SG(0, 1), SG(0, 2), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 0, 0, 2, GRP(0, 1), GRP(0, 2), NOKEY);
  assert_delivery(p, 2, KT_STAGE_GROUP, KT_TO_UE, 2, 0, KT_NO_UE, PRIV(2), SG(0, 2), GRP(0, 2));
  assert_ref(kt_tree_group_key(t, 1)->ref, GRP(1, 1));

  p = do_join(&w, 3, 1, TRUE); /* new sg 2 in cell 1; scope 0 v3 */
  assert_counts(p, 1, 1);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 0, 0, 3, GRP(0, 2), GRP(0, 3), NOKEY);
  assert_audience(t, p, 0, "0");

  p = do_join(&w, 4, 4, TRUE); /* new sg 3; scope 1 had u1: v2 */
  assert_counts(p, 1, 1);
  g_assert_cmpuint(p->subgroup, ==, 3);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 1, 1, 4, GRP(1, 1), GRP(1, 2), NOKEY);
  assert_audience(t, p, 0, "3");

  p = do_leave(&w, 0); /* sg 0 v3 to u2; scope 0 v4 to sg 0 and sg 2 */
  assert_counts(p, 1, 2);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_UE, 2, 0, KT_NO_UE, PRIV(2), SG(0, 3), NOKEY);
  assert_delivery(p, 1, KT_STAGE_GROUP, KT_TO_SUBGROUP, 0, 0, KT_NO_UE, SG(0, 3), GRP(0, 4), NOKEY);
  assert_delivery(p, 2, KT_STAGE_GROUP, KT_TO_SUBGROUP, 2, 0, KT_NO_UE, SG(2, 1), GRP(0, 4), NOKEY);
  assert_ref(kt_tree_group_key(t, 1)->ref, GRP(1, 2));

  p = do_leave(&w, 1); /* sg 1 deleted; scope 1 v3 to sg 3 */
  assert_counts(p, 0, 1);
  g_assert_true(p->subgroup_deleted);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_SUBGROUP, 3, 1, KT_NO_UE, SG(3, 1), GRP(1, 3), NOKEY);

  p = do_leave(&w, 4); /* scope 1 now empty: nothing sent, its key v3 retired */
  assert_counts(p, 0, 0);
  g_assert_true(p->group_changed && p->group_retired);
  assert_ref(p->group_after, GRP(1, 4));
  assert_ref(kt_tree_group_key(t, 0)->ref, GRP(0, 4)); /* the other scope keeps its key */
  g_assert_cmpuint(kt_tree_scope_members(t, 1), ==, 0);
  g_assert_cmpuint(kt_tree_scope_members(t, 0), ==, 2);

  /* without rekey, emb 2 joins are one delivery each too */
  p = do_join(&w, 5, 0, FALSE);
  assert_counts(p, 1, 0);
  assert_delivery(p, 0, KT_STAGE_GROUP, KT_TO_UE, 5, 0, KT_NO_UE, PRIV(5), SG(0, 3), GRP(0, 4));
  world_free(&w);
}

/* Per-RNC sub-groups span cells: audiences list every cell of the members. */
static void test_rekey_per_rnc(void) {
  World w;
  world_init(&w, 2, 3, 2, KT_POLICY_PER_RNC, 1, 10);
  KtTree *t = w.t;
  const KtPlan *p;
  do_join(&w, 0, 0, TRUE);
  p = do_join(&w, 1, 1, TRUE);
  assert_counts(p, 1, 2);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_SUBGROUP, 0, 0, 1, SG(0, 1), SG(0, 2), NOKEY);
  assert_audience(t, p, 0, "0");
  assert_audience(t, p, 1, "0");
  assert_audience(t, p, 2, "1");
  p = do_join(&w, 2, 2, TRUE); /* sg 0 full: new sg 1 */
  assert_counts(p, 1, 1);
  assert_audience(t, p, 0, "0,1");
  p = do_join(&w, 3, 2, TRUE); /* sg 1 had u2 */
  assert_counts(p, 1, 2);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_SUBGROUP, 1, 0, 3, SG(1, 1), SG(1, 2), NOKEY);
  assert_audience(t, p, 0, "2");
  assert_audience(t, p, 1, "0,1,2");
  p = do_join(&w, 4, 0, TRUE); /* new sg 2, cell 0 */
  p = do_leave(&w, 0);         /* sg 0 v3 to u1 in cell 1 */
  assert_counts(p, 1, 3);
  assert_delivery(p, 0, KT_STAGE_LOCAL, KT_TO_UE, 1, 0, KT_NO_UE, PRIV(1), SG(0, 3), NOKEY);
  assert_audience(t, p, 0, "1");
  assert_audience(t, p, 1, "1");
  assert_audience(t, p, 2, "2");
  assert_audience(t, p, 3, "0");
  p = do_join(&w, 5, 2, TRUE); /* the hole in sg 0, from cell 2 */
  g_assert_cmpuint(p->subgroup, ==, 0);
  assert_audience(t, p, 0, "1"); /* sub-group delivery: u1 only */
  assert_audience(t, p, 1, "0,1,2");
  world_free(&w);
}

/* Sub-groups of one: every join makes one, every leave deletes one. */
static void test_subgroup_size_one(void) {
  World w;
  world_init(&w, 1, 2, 1, KT_POLICY_PER_RNC, 1, 10);
  const KtPlan *p;
  for (uint32_t u = 0; u < 4; u++) {
    p = do_join(&w, u, u % 2, TRUE);
    g_assert_true(p->subgroup_created);
    g_assert_cmpuint(p->subgroup, ==, u);
    assert_counts(p, 1, u > 0 ? 1 : 0);
  }
  p = do_leave(&w, 1);
  assert_counts(p, 0, 3);
  g_assert_true(p->subgroup_deleted);
  p = do_join(&w, 1, 0, FALSE);
  g_assert_cmpuint(p->subgroup, ==, 4);
  world_free(&w);
}

/* ---- random churn against the rules ------------------------------------ */

typedef struct {
  uint32_t n_rnc, cpr, size;
  KtSubgroupPolicy policy;
  int emb;
  int rekey; /* 0 never, 1 always, 2 random */
} ChurnCase;

/* The sub-group a UE joining `cell` should enter per the rule (brute force
 * over the RNC's creation-order list), or KT_NO_SUBGROUP for a new one. */
static uint32_t expected_subgroup(const KtTree *t, uint32_t cell) {
  const KtConfig *cfg = kt_tree_config(t);
  GArray *l = g_array_new(FALSE, FALSE, sizeof(guint32));
  kt_tree_rnc_subgroups(t, cell / cfg->cells_per_rnc, l);
  uint32_t found = KT_NO_SUBGROUP;
  for (guint i = 0; i < l->len && found == KT_NO_SUBGROUP; i++) {
    uint32_t sg = g_array_index(l, guint32, i);
    guint n;
    const uint32_t *m = kt_tree_subgroup_ues(t, sg, &n);
    g_assert_cmpuint(n, >=, 1);
    if (n >= cfg->subgroup_size)
      continue;
    if (cfg->policy == KT_POLICY_PER_CELL && kt_tree_ue_cell(t, m[0]) != cell)
      continue;
    found = sg;
  }
  g_array_free(l, TRUE);
  return found;
}

static guint scope_subgroups(const KtTree *t, uint32_t scope) {
  guint n = 0;
  GArray *l = g_array_new(FALSE, FALSE, sizeof(guint32));
  for (uint32_t r = 0; r < kt_tree_config(t)->n_rnc; r++)
    if (kt_tree_scope_of_rnc(t, r) == scope) {
      g_array_set_size(l, 0);
      kt_tree_rnc_subgroups(t, r, l);
      n += l->len;
    }
  g_array_free(l, TRUE);
  return n;
}

static void test_churn(gconstpointer data) {
  const ChurnCase *cc = data;
  const guint n_ue = 120, n_ops = 2000;
  World w;
  world_init(&w, cc->n_rnc, cc->cpr, cc->size, cc->policy, cc->emb, n_ue);
  KtTree *t = w.t;
  GRand *rng = g_rand_new_with_seed(1000u + cc->n_rnc * 7u + cc->size * 3u + (guint)cc->emb);
  uint32_t next_sg = 0;
  guint joins = 0, leaves = 0, p2p_total = 0, p2m_total = 0, silent_leaves = 0;
  for (guint op = 0; op < n_ops; op++) {
    guint members = kt_tree_members(t);
    /* phases that fill and drain, so that scopes empty now and then */
    gint join_pct = (op / 250) % 2 == 0 ? 70 : 30;
    gboolean join = members == 0 || (members < n_ue && g_rand_int_range(rng, 0, 100) < join_pct);
    uint32_t ue;
    do
      ue = (uint32_t)g_rand_int_range(rng, 0, (gint32)n_ue);
    while (kt_tree_is_member(t, ue) != !join);
    if (join) {
      uint32_t cell = (uint32_t)g_rand_int_range(rng, 0, (gint32)(cc->n_rnc * cc->cpr));
      uint32_t rnc = cell / cc->cpr, scope = kt_tree_scope_of_rnc(t, rnc);
      gboolean rekey = cc->rekey == 2 ? g_rand_boolean(rng) : cc->rekey == 1;
      uint32_t want_sg = expected_subgroup(t, cell);
      guint scope_before = kt_tree_scope_members(t, scope);
      guint others = 0;
      for (uint32_t r = 0; r < cc->n_rnc; r++)
        if (kt_tree_scope_of_rnc(t, r) == scope && kt_tree_rnc_members(t, r) > 0)
          others++;
      uint32_t gv = kt_tree_group_key(t, scope)->ref.version;
      uint32_t sgv = want_sg == KT_NO_SUBGROUP
                         ? 0
                         : kt_tree_key(t, KT_KEY_ID(KT_KEY_SUBGROUP, want_sg))->ref.version;
      const KtPlan *p = do_join(&w, ue, cell, rekey);
      if (want_sg == KT_NO_SUBGROUP) {
        g_assert_true(p->subgroup_created);
        g_assert_cmpuint(p->subgroup, ==, next_sg);
        next_sg++;
      } else {
        g_assert_false(p->subgroup_created);
        g_assert_cmpuint(p->subgroup, ==, want_sg);
      }
      gboolean sg_changes = rekey && want_sg != KT_NO_SUBGROUP;
      gboolean grp_changes = rekey && scope_before > 0;
      g_assert_cmpuint(p->subgroup_changed, ==, sg_changes);
      g_assert_cmpuint(p->group_changed, ==, grp_changes);
      assert_counts(p, 1, (sg_changes ? 1 : 0) + (grp_changes ? others : 0));
      g_assert_cmpuint(kt_tree_group_key(t, scope)->ref.version, ==, gv + (grp_changes ? 1 : 0));
      g_assert_cmpuint(kt_tree_key(t, KT_KEY_ID(KT_KEY_SUBGROUP, p->subgroup))->ref.version, ==,
                       want_sg == KT_NO_SUBGROUP ? 1 : sgv + (sg_changes ? 1 : 0));
      joins++;
    } else {
      uint32_t sg = kt_tree_ue_subgroup(t, ue);
      uint32_t rnc = kt_tree_ue_cell(t, ue) / cc->cpr, scope = kt_tree_scope_of_rnc(t, rnc);
      guint sg_n;
      kt_tree_subgroup_ues(t, sg, &sg_n);
      guint scope_before = kt_tree_scope_members(t, scope);
      guint sgs_before = scope_subgroups(t, scope);
      uint32_t gv = kt_tree_group_key(t, scope)->ref.version;
      uint32_t sgv = kt_tree_key(t, KT_KEY_ID(KT_KEY_SUBGROUP, sg))->ref.version;
      const KtPlan *p = do_leave(&w, ue);
      g_assert_cmpuint(p->subgroup_deleted, ==, sg_n == 1);
      if (scope_before == 1) {
        /* the scope empties: nothing sent, its group key retired */
        assert_counts(p, 0, 0);
        g_assert_true(p->group_changed && p->group_retired);
        g_assert_cmpuint(kt_tree_group_key(t, scope)->ref.version, ==, gv + 1);
        silent_leaves++;
      } else {
        assert_counts(p, sg_n - 1, sgs_before - (sg_n == 1 ? 1 : 0));
        g_assert_true(p->group_changed && !p->group_retired);
        g_assert_cmpuint(p->subgroup_changed, ==, sg_n > 1);
        g_assert_cmpuint(kt_tree_group_key(t, scope)->ref.version, ==, gv + 1);
        if (sg_n > 1)
          g_assert_cmpuint(kt_tree_key(t, KT_KEY_ID(KT_KEY_SUBGROUP, sg))->ref.version, ==,
                           sgv + 1);
      }
      leaves++;
    }
    p2p_total += kt_plan_p2p_count(&w.plan);
    p2m_total += kt_plan_p2m_count(&w.plan);
  }
  /* the run did exercise both kinds of event and both delivery classes */
  g_assert_cmpuint(joins, >, n_ops / 4);
  g_assert_cmpuint(leaves, >, n_ops / 4);
  g_assert_cmpuint(p2p_total, >, 0);
  g_assert_cmpuint(p2m_total, >, 0);
  g_assert_cmpuint(w.m.wraps_opened, >, 0);
  g_assert_cmpuint(silent_leaves, >, 0);
  g_test_message(
      "joins %u leaves %u (%u of a scope's last member) p2p %u p2m %u sub-groups made %u", joins,
      leaves, silent_leaves, p2p_total, p2m_total, next_sg);
  g_rand_free(rng);
  world_free(&w);
}

/* ---- scale ------------------------------------------------------------- */

static void test_scale(void) {
  const uint32_t n = 200000;
  KtTree *t = make_tree(50, 4, 16, KT_POLICY_PER_RNC, 2, 9);
  KtPlan p;
  kt_plan_init(&p);
  for (uint32_t u = 0; u < n; u++)
    g_assert_true(kt_tree_join(t, u * 3, (u * 7919u) % 200u, false, &p));
  g_assert_cmpuint(kt_tree_members(t), ==, n);
  g_assert_cmpuint(kt_tree_n_subgroups(t), ==, n / 16); /* 4000 per RNC, all full */
  for (uint32_t u = 0; u < n; u += 2)
    g_assert_true(kt_tree_leave(t, u * 3, &p));
  g_assert_cmpuint(kt_tree_members(t), ==, n / 2);
  for (uint32_t u = 0; u < n; u += 4)
    g_assert_true(kt_tree_join(t, u * 3, (u * 31u) % 200u, true, &p));
  g_assert_cmpuint(kt_tree_members(t), ==, n / 2 + n / 4);
  kt_tree_check(t);
  kt_plan_free(&p);
  kt_tree_free(t);
}

/* ---- kt_tree_check catches corruption ---------------------------------- */

static void corrupt(KtTree *t, int how) {
  switch (how) {
  case 0: { /* a UE's position in its cell */
    KtUeRec *r = &g_array_index(t->ues, KtUeRec, 1);
    r->cell_pos ^= 1;
    break;
  }
  case 1: /* a member count */
    t->rnc_count[0]++;
    break;
  case 2: {                          /* a sub-group with room missing from the open heap */
    KtSubgroups *groups = t->scheme; /* the patent scheme's state */
    KtSubgroup *sg = kt_subgroups_get(groups, 1);
    g_array_set_size(groups->open[sg->unit], 0);
    sg->heap_pos = KT_NOT_IN_HEAP;
    break;
  }
  case 3: /* a key version */
    t->group[0].ref.version = 0;
    break;
  default:
    g_assert_not_reached();
  }
}

static void test_check_detects(gconstpointer data) {
  int how = GPOINTER_TO_INT(data);
  if (g_test_subprocess()) {
    gboolean via_env = how >= 10;
    if (via_env)
      g_setenv("MBMS_KT_CHECK", "1", TRUE);
    KtTree *t = make_tree(1, 2, 2, KT_POLICY_PER_CELL, 1, 3);
    KtPlan p;
    kt_plan_init(&p);
    g_assert_true(kt_tree_join(t, 0, 0, false, &p));
    g_assert_true(kt_tree_join(t, 1, 0, false, &p));
    g_assert_true(kt_tree_join(t, 2, 0, false, &p));
    kt_tree_check(t); /* sound so far */
    corrupt(t, how % 10);
    if (via_env)
      kt_tree_join(t, 3, 1, false, &p); /* the tree checks itself */
    else
      kt_tree_check(t);
    return; /* not reached */
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*kt_tree_check*");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  kt_crypto_init();
  g_test_add_func("/keytree/plan/helpers", test_plan_helpers);
  g_test_add_func("/keytree/tree/basics", test_tree_basics);
  g_test_add_func("/keytree/tree/determinism", test_determinism);
  g_test_add_func("/keytree/placement/per-cell", test_placement_per_cell);
  g_test_add_func("/keytree/placement/per-rnc", test_placement_per_rnc);
  g_test_add_func("/keytree/join/no-rekey", test_join_no_rekey);
  g_test_add_func("/keytree/rekey/emb1", test_rekey_emb1);
  g_test_add_func("/keytree/rekey/emb2", test_rekey_emb2);
  g_test_add_func("/keytree/rekey/per-rnc", test_rekey_per_rnc);
  g_test_add_func("/keytree/rekey/subgroup-size-one", test_subgroup_size_one);

  static const ChurnCase cases[] = {
      {3, 3, 3, KT_POLICY_PER_CELL, 1, 2}, {3, 3, 3, KT_POLICY_PER_CELL, 2, 2},
      {3, 3, 4, KT_POLICY_PER_RNC, 1, 2},  {3, 3, 4, KT_POLICY_PER_RNC, 2, 2},
      {2, 2, 1, KT_POLICY_PER_RNC, 1, 1},  {4, 2, 2, KT_POLICY_PER_CELL, 1, 0},
      {2, 3, 5, KT_POLICY_PER_RNC, 2, 1},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    const ChurnCase *c = &cases[i];
    gchar *name = g_strdup_printf("/keytree/churn/rnc%u-cpr%u-size%u-%s-emb%d-rekey%d", c->n_rnc,
                                  c->cpr, c->size, c->policy == KT_POLICY_PER_CELL ? "cell" : "rnc",
                                  c->emb, c->rekey);
    g_test_add_data_func(name, c, test_churn);
    g_free(name);
  }
  g_test_add_func("/keytree/scale", test_scale);
  static const char *what[] = {"cell-pos", "count", "heap", "version"};
  for (int how = 0; how < 4; how++) {
    gchar *name = g_strdup_printf("/keytree/check/detects-%s", what[how]);
    g_test_add_data_func(name, GINT_TO_POINTER(how), test_check_detects);
    g_free(name);
  }
  g_test_add_data_func("/keytree/check/env-checks-each-change", GINT_TO_POINTER(10),
                       test_check_detects);
  return g_test_run();
}
