/* kt_3gpp.c — the MBMS security of 3GPP TS 33.246: MUK, MSK, MTK;
 * docs/schemes.md, "3gpp".
 *
 * Keys. A UE's MUK is its private key. Per group scope one MSK (MBMS
 * service key: key kind "sub-group", index = the scope) and one MTK (MBMS
 * traffic key), which is the scope's group key: the data plane seals under
 * it. A member holds its MUK, the MSK and the MTK.
 *
 * Deliveries. An MSK goes point-to-point to each member under its MUK (the
 * MIKEY MSK message); an MTK goes point-to-multipoint under the current MSK,
 * once per RNC with members (the MIKEY MTK message). Join: the joiner gets
 * the MSK and the MTK in one point-to-point message under its MUK; with
 * join_rekey, a new MSK first goes to each other member and a new MTK under
 * it. Leave: with msk_on_leave, a new MSK to each remaining member and a
 * new MTK under it; without, nothing (the leaver reads on until the next
 * MSK). Periodic (kt_tree_periodic, at the key holder's timers):
 * KT_PERIODIC_MSK every msk_period s, a new MSK to each member and a new
 * MTK under it; KT_PERIODIC_MTK every mtk_period s, a new MTK under the
 * current MSK. Every delivery carries or is under keys of the BM-SC
 * (embodiment 1): all are KT_STAGE_GROUP.
 *
 * Sizes. Each delivery is a MIKEY message (KtDelivery.envelope): on the
 * channel it has the MIKEY message's bytes with each 16-byte key value
 * replaced by our real wrap (88 bytes). */
#include "keytree/kt_plan_build.h"
#include "keytree/kt_scheme.h"

/* MIKEY message sizes (RFC 3830 as profiled by TS 33.246; every field
 * and its source in docs/schemes.md, "3gpp", "Message sizes"). Payloads
 * in bytes: */
enum {
  MIKEY_HDR = 10,     /* common header, empty CS ID map (RFC 4563 §5) */
  MIKEY_T = 6,        /* timestamp, TS type COUNTER (32 bits) */
  MIKEY_RAND = 18,    /* RAND, 16 bytes */
  MIKEY_IDI = 47,     /* IDi: the BM-SC's NAF-ID, 43 bytes (our example) */
  MIKEY_IDR = 66,     /* IDr: the UE's B-TID, 62 bytes (our example) */
  MIKEY_EXT_MSK = 11, /* general extension, Key ID type: the MSK ID (4) */
  MIKEY_EXT_MTK = 13, /* the same with the MSK ID and the MTK ID (4 + 2) */
  MIKEY_KEMAC = 25,   /* KEMAC without its key data: 4 + MAC alg 1 + MAC 20 */
  MIKEY_KEY_HDR = 4,  /* a key data sub-payload without its key, KV null */
  MIKEY_KEY = 16,     /* a 128-bit MSK or MTK */
};

/* A message's bytes beyond its key values (KtDelivery.envelope), the
 * MIKEY message with `keys` key data sub-payloads: on the channel each
 * 16-byte key value is one of our wraps. MSK message: HDR, T, RAND, IDi,
 * IDr, EXT, KEMAC; MTK message: HDR, T, EXT, KEMAC. */
static uint16_t msk_envelope(guint keys) {
  return (uint16_t)(MIKEY_HDR + MIKEY_T + MIKEY_RAND + MIKEY_IDI + MIKEY_IDR + MIKEY_EXT_MSK +
                    MIKEY_KEMAC + keys * MIKEY_KEY_HDR);
}

static uint16_t mtk_envelope(void) {
  return (uint16_t)(MIKEY_HDR + MIKEY_T + MIKEY_EXT_MTK + MIKEY_KEMAC + MIKEY_KEY_HDR);
}

/* The last delivery of the plan is a MIKEY message of that envelope. */
static void mikey(KtPlan *plan, uint16_t envelope) {
  g_array_index(plan->deliveries, KtDelivery, plan->deliveries->len - 1).envelope = envelope;
}

typedef struct {
  KtKey *msk; /* [n_scopes] */
} GppState;

static GppState *gpp(const KtTree *t) {
  return t->scheme;
}

static void gpp_init(KtTree *t) {
  GppState *st = g_new0(GppState, 1);
  st->msk = g_new0(KtKey, t->n_scopes);
  for (uint32_t s = 0; s < t->n_scopes; s++)
    kt_keygen_fresh(t->gen, &st->msk[s], (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, s), 1});
  t->scheme = st;
}

static void gpp_fini(KtTree *t) {
  GppState *st = gpp(t);
  if (st == NULL)
    return;
  for (uint32_t s = 0; s < t->n_scopes; s++)
    kt_key_wipe(&st->msk[s]);
  g_free(st->msk);
  g_free(st);
  t->scheme = NULL;
}

/* A new MTK under the current MSK, once per RNC of the scope with members
 * (but `skip`). */
static void new_mtk(KtTree *t, uint32_t scope, uint32_t skip, KtPlan *plan) {
  kt_priv_rekey(t, &t->group[scope], plan);
  KtKeyRef mtk = t->group[scope].ref, msk = gpp(t)->msk[scope].ref;
  const KtUeRec *s = skip != KT_NO_UE ? kt_priv_ue(t, skip) : NULL;
  uint32_t lo, hi;
  kt_priv_scope_rncs(t, scope, &lo, &hi);
  for (uint32_t r = lo; r < hi; r++) {
    guint others = t->rnc_count[r];
    if (s != NULL && kt_priv_rnc_of_cell(t, s->cell) == r)
      others--;
    if (others > 0) {
      kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_RNC_GROUP, r, r, skip, msk, &mtk, 1);
      mikey(plan, mtk_envelope());
    }
  }
}

/* A new MSK to each member of the scope but `skip` under its MUK, then a
 * new MTK under it. */
static void new_msk(KtTree *t, uint32_t scope, uint32_t skip, KtPlan *plan) {
  KtKey *msk = &gpp(t)->msk[scope];
  kt_priv_rekey(t, msk, plan);
  plan->subgroup_changed = true;
  uint32_t lo, hi;
  kt_priv_scope_rncs(t, scope, &lo, &hi);
  for (uint32_t r = lo; r < hi; r++)
    for (uint32_t c = r * t->cfg.cells_per_rnc; c < (r + 1) * t->cfg.cells_per_rnc; c++) {
      const GArray *cu = t->cell_ues[c];
      for (guint i = 0; i < cu->len; i++) {
        uint32_t m = g_array_index(cu, guint32, i);
        if (m != skip) {
          kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, m, r, KT_NO_UE,
                          kt_priv_ue(t, m)->priv.ref, &msk->ref, 1);
          mikey(plan, msk_envelope(1));
        }
      }
    }
  new_mtk(t, scope, skip, plan);
}

static void gpp_join(KtTree *t, uint32_t ue, uint32_t cell, bool join_rekey, KtPlan *plan) {
  KtUeRec *rec = kt_priv_ue_ensure(t, ue);
  bool had_members = t->scope_count[plan->scope] > 0;
  kt_priv_attach_cell(t, ue, cell);
  rec->subgroup = KT_NO_SUBGROUP;
  if (join_rekey && had_members)
    new_msk(t, plan->scope, ue, plan);
  KtKeyRef keys[2] = {gpp(t)->msk[plan->scope].ref, t->group[plan->scope].ref};
  kt_priv_deliver(plan, KT_STAGE_GROUP, KT_TO_UE, ue, plan->rnc, KT_NO_UE, rec->priv.ref, keys, 2);
  mikey(plan, msk_envelope(2)); /* the MSK message, the MTK in its KEMAC too */
}

static void gpp_leave(KtTree *t, uint32_t ue, KtPlan *plan) {
  kt_priv_detach_cell(t, ue);
  if (t->scope_count[plan->scope] > 0 && t->cfg.msk_on_leave)
    new_msk(t, plan->scope, KT_NO_UE, plan);
  else if (t->scope_count[plan->scope] == 0)
    kt_priv_rekey(t, &gpp(t)->msk[plan->scope], plan); /* retired with the MTK */
}

static void gpp_periodic(KtTree *t, uint32_t scope, uint32_t which, KtPlan *plan) {
  if (which == KT_PERIODIC_MSK)
    new_msk(t, scope, KT_NO_UE, plan);
  else
    new_mtk(t, scope, KT_NO_UE, plan);
}

static double gpp_period(const KtTree *t, uint32_t which) {
  return which == KT_PERIODIC_MSK ? t->cfg.msk_period : t->cfg.mtk_period;
}

static guint gpp_member_keys(const KtTree *t, const KtUeRec *rec, const KtKey **out, guint cap) {
  if (cap == 0)
    return 0;
  out[0] = &gpp(t)->msk[kt_priv_scope_of_rnc(t, kt_priv_rnc_of_cell(t, rec->cell))];
  return 1;
}

static const KtKey *gpp_interior_key(const KtTree *t, uint32_t index) {
  return index < t->n_scopes ? &gpp(t)->msk[index] : NULL;
}

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      g_error("kt_tree_check (3gpp): " __VA_ARGS__);                                               \
  } while (0)

static void gpp_check(const KtTree *t) {
  for (uint32_t s = 0; s < t->n_scopes; s++)
    CHECK(gpp(t)->msk[s].ref.id == KT_KEY_ID(KT_KEY_SUBGROUP, s) && gpp(t)->msk[s].ref.version >= 1,
          "scope %u: MSK ref", s);
  for (guint u = 0; u < t->ues->len; u++) {
    const KtUeRec *rec = kt_priv_member(t, u);
    CHECK(rec == NULL || rec->subgroup == KT_NO_SUBGROUP, "UE %u: in a sub-group", u);
  }
}

const KtSchemeOps kt_3gpp_ops = {
    .name = "3gpp",
    .forward_secure = true,
    /* the MSK is the BM-SC's and travels to the RNCs in the core requests */
    .node_keys = true,
    .init = gpp_init,
    .fini = gpp_fini,
    .join = gpp_join,
    .leave = gpp_leave,
    .member_keys = gpp_member_keys,
    .interior_key = gpp_interior_key,
    .check = gpp_check,
    .periodic = gpp_periodic,
    .period = gpp_period,
};
