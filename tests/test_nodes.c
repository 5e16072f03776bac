/* test_nodes.c — nodes/ internals: the plan life cycle (nodes/plan.c) with
 * parts counted by hand from the rule in plan.h, the radio network's camping
 * and bearers (nodes/radio.c), how the core routes a group key change
 * request by its bearer context and the request's RNC list (nodes/route.c,
 * docs/flows.md), and the include layering of nodes/ that
 * docs/architecture.md documents (each file includes only headers of lower
 * rank, so there is no include circle). */
#include <glib.h>
#include <string.h>

#include "keytree/kt_key.h"
#include "nodes/block_slab.h"
#include "nodes/flat_map.h"
#include "nodes/key_pool.h"
#include "nodes/net.h"
#include "nodes/node.h"
#include "nodes/plan.h"
#include "nodes/radio.h"
#include "sim/sim.h"

/* ------------------------------------------------------------ plan.c */

static void add(KtPlan *p, KtStage stage, KtTarget target, uint32_t id, uint32_t rnc) {
  KtDelivery d = {.stage = stage,
                  .target = target,
                  .target_id = id,
                  .rnc = rnc,
                  .exclude_ue = KT_NO_UE,
                  .under = {KT_KEY_ID(KT_KEY_SUBGROUP, 1), 1}};
  KtKeyRef k = {KT_KEY_ID(KT_KEY_GROUP, 0), 2};
  kt_plan_add(p, &d, &k, 1);
}

/* A join of UE 7 at RNC 0 of 3 RNCs, embodiment 1: the BM-SC's part, RNC 0
 * and RNC 2 have group-stage work (RNC 1 has none), and the joiner's own
 * keys: 1 + 2 + 1 = 4 parts. */
static void test_plan_join_parts(void) {
  PlanBook *b = plan_book_new();
  KtPlan *p = plan_begin(b, 5);
  g_assert_nonnull(p);
  g_assert_null(plan_begin(b, 5)); /* one plan per event */
  p->kind = KT_EVENT_JOIN;
  p->ue = 7;
  add(p, KT_STAGE_LOCAL, KT_TO_UE, 7, 0);        /* sub-group key, at once */
  add(p, KT_STAGE_GROUP, KT_TO_SUBGROUP, 1, 0);  /* RNC 0's group work */
  add(p, KT_STAGE_GROUP, KT_TO_RNC_GROUP, 2, 2); /* RNC 2's group work */
  add(p, KT_STAGE_GROUP, KT_TO_UE, 7, 0);        /* the joiner's keys */
  g_assert_true(plan_is_joiner_delivery(p, &g_array_index(p->deliveries, KtDelivery, 3)));
  g_assert_false(plan_is_joiner_delivery(p, &g_array_index(p->deliveries, KtDelivery, 0)));
  g_assert_true(plan_has_group_work(p, 0));
  g_assert_false(plan_has_group_work(p, 1));
  g_assert_true(plan_has_group_work(p, 2));
  g_assert_true(plan_has_group_work(p, UINT32_MAX));
  plan_await(b, 5, 3);
  for (int i = 0; i < 3; i++) {
    plan_part_done(b, 5);
    g_assert_true(plan_get(b, 5) == p); /* still waiting */
  }
  plan_part_done(b, 5);
  g_assert_null(plan_get(b, 5)); /* the fourth part freed it */
  plan_part_done(b, 5);          /* a late part of a finished plan: nothing */
  g_assert_nonnull(plan_begin(b, 5));
  plan_close(b, 5);
  g_assert_null(plan_get(b, 5));
  plan_book_free(b);
}

/* A leave with group work at no RNC: only the BM-SC's part. */
static void test_plan_leave_parts(void) {
  PlanBook *b = plan_book_new();
  KtPlan *p = plan_begin(b, 9);
  p->kind = KT_EVENT_LEAVE;
  p->ue = 3;
  add(p, KT_STAGE_LOCAL, KT_TO_UE, 4, 1);
  g_assert_false(plan_has_group_work(p, UINT32_MAX));
  plan_await(b, 9, 2);
  plan_part_done(b, 9);
  g_assert_null(plan_get(b, 9));
  plan_book_free(b);
}

/* A leave that replaced sub-group key 5 version 1 by version 2 and group
 * key version 3: the leaver held versions 1 and 3; a private key is no
 * shared key and is not recorded. */
static void test_plan_leavers(void) {
  PlanBook *b = plan_book_new();
  KtPlan p;
  kt_plan_init(&p);
  p.kind = KT_EVENT_LEAVE;
  p.group_before = (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, 0), 3};
  KtKey k;
  memset(&k, 0, sizeof k);
  k.ref = (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, 5), 1};
  g_array_append_val(p.key_values, k);
  k.ref.version = 2;
  g_array_append_val(p.key_values, k);
  k.ref = (KtKeyRef){KT_KEY_ID(KT_KEY_PRIVATE, 8), 1};
  g_array_append_val(p.key_values, k);
  k.ref.version = 2;
  g_array_append_val(p.key_values, k);
  plan_note_leavers(b, &p);
  g_assert_cmpuint(plan_leaked_version(b, KT_KEY_ID(KT_KEY_GROUP, 0)), ==, 3);
  g_assert_cmpuint(plan_leaked_version(b, KT_KEY_ID(KT_KEY_SUBGROUP, 5)), ==, 1);
  g_assert_cmpuint(plan_leaked_version(b, KT_KEY_ID(KT_KEY_PRIVATE, 8)), ==, 0);
  g_assert_cmpuint(plan_leaked_version(b, KT_KEY_ID(KT_KEY_SUBGROUP, 6)), ==, 0);
  /* an older version noted later does not lower it */
  p.group_before.version = 2;
  g_array_set_size(p.key_values, 0);
  plan_note_leavers(b, &p);
  g_assert_cmpuint(plan_leaked_version(b, KT_KEY_ID(KT_KEY_GROUP, 0)), ==, 3);
  kt_plan_free(&p);
  plan_book_free(b);
}

/* A plan closed is kept for a later one (its arrays reused): a plan begun
 * after it is as a new one, whatever the closed one held; plans in flight
 * at once stay apart, and more closed than are kept are freed (the book's
 * free frees the kept ones: scripts/test runs this under ASan with leak
 * detection). */
static void test_plan_reuse(void) {
  PlanBook *b = plan_book_new();
  KtPlan *p = plan_begin(b, 1);
  p->kind = KT_EVENT_LEAVE;
  p->ue = 7;
  p->group_changed = true;
  KtDelivery d = {.target = KT_TO_SUBGROUP, .target_id = 3};
  KtKeyRef inside = {KT_KEY_ID(KT_KEY_GROUP, 0), 2};
  kt_plan_add(p, &d, &inside, 1);
  KtKey k = {.ref = inside};
  memset(k.bytes, 0x77, sizeof k.bytes);
  g_array_append_val(p->key_values, k);
  g_assert_true(plan_rnc_first(b, 1, 0));
  g_assert_false(plan_rnc_first(b, 1, 0)); /* RNC 0 did its part of plan 1 */
  plan_close(b, 1);
  g_assert_null(plan_get(b, 1));
  KtPlan *q = plan_begin(b, 2);
  g_assert_cmpuint(q->deliveries->len, ==, 0);
  g_assert_cmpuint(q->key_values->len, ==, 0);
  g_assert_cmpuint(q->ue, ==, KT_NO_UE);
  g_assert_false(q->group_changed);
  g_assert_true(plan_rnc_first(b, 2, 0)); /* its RNCs start afresh too */
  KtPlan *r[6];
  for (uint32_t s = 0; s < 6; s++) {
    r[s] = plan_begin(b, 10 + s);
    g_assert_true(r[s] != q);
    for (uint32_t t = 0; t < s; t++)
      g_assert_true(r[s] != r[t]);
  }
  for (uint32_t s = 0; s < 6; s++)
    plan_close(b, 10 + s);
  plan_close(b, 2);
  plan_close(b, 99); /* no such plan: nothing */
  plan_book_free(b);
}

/* ----------------------------------------------------------- radio.c */

/* 2 RNCs of 2 cells each (global cells 0, 1 under RNC 0; 2, 3 under 1). */
static void test_radio_camping(void) {
  sim_init();
  SimNodeId rnc0 = sim_node_new(), rnc1 = sim_node_new();
  Radio *r = radio_new(2, 2, 4);
  radio_add_ran(r, 0, rnc0, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.01});
  radio_add_ran(r, 1, rnc1, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.01});
  g_assert_false(radio_ue_seen(r, 3));
  g_assert_false(radio_ue_seen(r, 4)); /* beyond the capacity */
  g_assert_true(radio_camp(r, 3, 1));  /* first appearance */
  g_assert_true(radio_ue_seen(r, 3));
  g_assert_cmpuint(radio_ue_rnc(r, 3), ==, 0);
  g_assert_true(radio_reaches(r, 0, 3));
  uint32_t ue = 99;
  g_assert_true(radio_ue_of_node(r, radio_ue_node(r, 3), &ue));
  g_assert_cmpuint(ue, ==, 3);
  g_assert_false(radio_ue_of_node(r, rnc1, &ue)); /* a network node */
  /* it moves under RNC 1: its one radio goes there */
  g_assert_false(radio_camp(r, 3, 2));
  g_assert_cmpuint(radio_ue_cell(r, 3), ==, 2);
  g_assert_true(radio_reaches(r, 1, 3));
  g_assert_false(radio_reaches(r, 0, 3));
  g_assert_cmpuint(radio_n_ues_seen(r), ==, 1);
  radio_free(r);
  sim_destroy();
}

static void test_radio_bearers(void) {
  sim_init();
  SimNodeId rnc0 = sim_node_new(), rnc1 = sim_node_new();
  Radio *r = radio_new(2, 2, 4);
  radio_add_ran(r, 0, rnc0, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.01});
  radio_add_ran(r, 1, rnc1, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.01});
  radio_camp(r, 0, 3);
  radio_camp(r, 1, 3);
  radio_camp(r, 2, 0);
  radio_bearer_join(r, 0, 3);
  radio_bearer_join(r, 1, 3);
  radio_bearer_join(r, 2, 0);
  guint n = 0;
  radio_bearer_ues(r, 3, &n);
  g_assert_cmpuint(n, ==, 2);
  GArray *cells = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  radio_bearer_cells(r, 1, cells);
  g_assert_cmpuint(cells->len, ==, 1);
  g_assert_cmpuint(g_array_index(cells, uint32_t, 0), ==, 3);
  /* a leaver stops listening but stays camped */
  radio_bearer_leave(r, 0, 3);
  const uint32_t *ues = radio_bearer_ues(r, 3, &n);
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpuint(ues[0], ==, 1);
  g_assert_cmpuint(radio_ue_cell(r, 0), ==, 3);
  radio_bearer_leave(r, 1, 3);
  radio_bearer_cells(r, 1, cells);
  g_assert_cmpuint(cells->len, ==, 0);
  radio_bearer_cells(r, 0, cells);
  g_assert_cmpuint(cells->len, ==, 1);
  g_array_free(cells, TRUE);
  radio_free(r);
  sim_destroy();
}

/* ---------------------------------------------------------- layering */

/* Every file of nodes/ and its rank (docs/architecture.md's table): a file
 * includes only nodes/ headers of lower rank, or the header it implements.
 * A file missing here fails the test, so a new file takes its place. */
typedef struct {
  const char *file;
  int rank;
  const char *implements; /* its own header, or NULL */
} Rank;

static const Rank ranks[] = {
    {"flat_map.h", -1, NULL}, /* a container, below radio.c */
    {"flat_map.c", -1, "flat_map.h"},
    {"msg.h", 0, NULL},
    {"msg.c", 0, "msg.h"},
    {"radio.h", 0, NULL},
    {"radio.c", 0, "radio.h"},
    {"key_pool.h", 0, NULL},
    {"key_pool.c", 0, "key_pool.h"},
    {"block_slab.h", 0, NULL},
    {"block_slab.c", 0, "block_slab.h"},
    {"ue_pending.h", 0, NULL},
    {"ue_pending.c", 0, "ue_pending.h"},
    {"plan.h", 0, NULL},
    {"plan.c", 0, "plan.h"},
    {"unwrap_share.h", 0, NULL},
    {"unwrap_share.c", 0, "unwrap_share.h"},
    {"loss.h", 0, NULL},
    {"loss.c", 0, "loss.h"},
    {"net_types.h", 1, NULL},
    {"node.h", 2, NULL},
    {"transport.c", 2, "node.h"},
    {"handover.h", 3, NULL},
    {"handover.c", 3, "handover.h"},
    {"route.h", 3, NULL},
    {"route.c", 3, "route.h"},
    {"data.h", 3, NULL},
    {"data.c", 3, "data.h"},
    {"ue.h", 3, NULL},
    {"ue_recovery.h", 3, NULL},
    {"ue_recovery.c", 3, "ue_recovery.h"},
    {"ue_nas.h", 3, NULL},
    {"ue_nas.c", 3, "ue_nas.h"},
    {"ue_ring.h", 4, NULL},
    {"ue_ring.c", 4, "ue_ring.h"},
    {"ue_actions.h", 3, NULL},
    {"ue_actions.c", 5, "ue_actions.h"},
    {"ue_private.h", 5, NULL},
    {"ue_common.h", 3, NULL},
    {"ue_common.c", 6, "ue_common.h"},
    {"ue.c", 6, "ue.h"},
    {"recovery.h", 3, NULL},
    {"recovery.c", 3, "recovery.h"},
    {"relay.h", 3, NULL},
    {"core_relay.c", 4, "relay.h"},
    {"batch.h", 4, NULL},
    {"batch.c", 4, "batch.h"},
    {"periodic.h", 3, NULL},
    {"periodic.c", 4, "periodic.h"},
    {"rnc.h", 3, NULL},
    {"rnc_send.h", 5, NULL},
    {"rnc_send.c", 5, "rnc_send.h"},
    {"rnc_repair.h", 3, NULL},
    {"rnc_repair.c", 6, "rnc_repair.h"},
    {"rnc_move.h", 3, NULL},
    {"rnc_move.c", 6, "rnc_move.h"},
    {"rnc.c", 6, "rnc.h"},
    {"bmsc.h", 3, NULL},
    {"bmsc.c", 5, "bmsc.h"},
    {"net.h", 2, NULL},
    {"net.c", 6, "net.h"},
};

static const Rank *rank_of(const char *file) {
  for (gsize i = 0; i < G_N_ELEMENTS(ranks); i++)
    if (strcmp(ranks[i].file, file) == 0)
      return &ranks[i];
  return NULL;
}

/* The holders index's links live in the holders' key slots (ue.c); here
 * a test table: one link per (UE, key) for UEs 0..7 and keys s7, s8, any. */
#define IDX_UES 8u
static RadioLink idx_links[IDX_UES][3];

static guint idx_key(uint32_t key_id) {
  if (key_id == RADIO_INDEX_ANY)
    return 2;
  return key_id == KT_KEY_ID(KT_KEY_SUBGROUP, 7) ? 0 : 1;
}

static RadioLink *idx_link_of(void *ctx, uint32_t ue, uint32_t key_id) {
  (void)ctx;
  g_assert_cmpuint(ue, <, IDX_UES);
  return &idx_links[ue][idx_key(key_id)];
}

static void idx_add(Radio *r, uint32_t ue, uint32_t key_id) {
  radio_index_add(r, ue, key_id, idx_link_of(NULL, ue, key_id));
}

static void idx_remove(Radio *r, uint32_t ue, uint32_t key_id) {
  radio_index_remove(r, ue, key_id, idx_link_of(NULL, ue, key_id));
}

/* The listening holders of (cell, key id), in the index's order, into `out`. */
static guint idx_ues(Radio *r, uint32_t cell, uint32_t key_id, GArray *out) {
  g_array_set_size(out, 0);
  return radio_index_listeners(r, cell, key_id, out);
}

/* The holders index: entries per (camped cell, key id), the listening
 * flag, the sentinel id, an emptied entry, and a UE's cell after a move
 * (its entries are moved by ue.c: removed before, added after). Every
 * list is read twice or more, so that the answers kept from an earlier
 * read (radio.c's snapshots) are checked against the changes since. */
static void test_radio_index(void) {
  sim_init();
  SimNodeId rnc0 = sim_node_new(), rnc1 = sim_node_new();
  Radio *r = radio_new(2, 2, 4);
  radio_index_set_links(r, idx_link_of, NULL);
  radio_add_ran(r, 0, rnc0, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.01});
  radio_add_ran(r, 1, rnc1, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.01});
  KtKeyId s7 = KT_KEY_ID(KT_KEY_SUBGROUP, 7), s8 = KT_KEY_ID(KT_KEY_SUBGROUP, 8);
  radio_camp(r, 0, 1);
  radio_camp(r, 1, 1);
  radio_camp(r, 2, 2);
  radio_bearer_join(r, 0, 1);
  radio_bearer_join(r, 1, 1);
  radio_bearer_join(r, 2, 2);
  idx_add(r, 0, s7);
  idx_add(r, 1, s7);
  idx_add(r, 1, s8);
  idx_add(r, 2, s7);
  idx_add(r, 0, RADIO_INDEX_ANY); /* UE 0 also waits */
  GArray *ues = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  g_assert_cmpuint(idx_ues(r, 1, s7, ues), ==, 2); /* UEs 0 and 1 on cell 1; UE 2 on cell 2 */
  g_assert_cmpuint(g_array_index(ues, uint32_t, 0), ==, 0); /* in the order they came */
  g_assert_cmpuint(g_array_index(ues, uint32_t, 1), ==, 1);
  g_assert_cmpuint(idx_ues(r, 2, s7, ues), ==, 1);
  g_assert_cmpuint(idx_ues(r, 1, s8, ues), ==, 1);
  g_assert_cmpuint(idx_ues(r, 1, RADIO_INDEX_ANY, ues), ==, 1);
  g_assert_cmpuint(idx_ues(r, 0, s7, ues), ==, 0); /* nobody on cell 0 */
  /* appending to a list that already has entries keeps what it holds */
  g_array_set_size(ues, 0);
  radio_index_listeners(r, 1, s7, ues);
  g_assert_cmpuint(radio_index_listeners(r, 1, s8, ues), ==, 1);
  g_assert_cmpuint(ues->len, ==, 3);
  /* listening: only between bearer join and leave; a holder that does not
   * listen is not listed, and one that starts again is, in its place */
  g_assert_true(radio_listening(r, 0));
  g_assert_cmpuint(radio_ue_cell(r, 0), ==, 1);
  radio_bearer_leave(r, 0, 1);
  g_assert_false(radio_listening(r, 0));
  g_assert_false(radio_listening(r, 99));          /* no such UE */
  g_assert_cmpuint(idx_ues(r, 1, s7, ues), ==, 1); /* read before: 0 and 1 */
  g_assert_cmpuint(g_array_index(ues, uint32_t, 0), ==, 1);
  g_assert_cmpuint(idx_ues(r, 1, RADIO_INDEX_ANY, ues), ==, 0);
  g_assert_cmpuint(idx_ues(r, 2, s7, ues), ==, 1); /* another cell: as it was */
  radio_bearer_join(r, 0, 1);
  g_assert_cmpuint(idx_ues(r, 1, s7, ues), ==, 2);
  g_assert_cmpuint(g_array_index(ues, uint32_t, 0), ==, 0);
  g_assert_cmpuint(g_array_index(ues, uint32_t, 1), ==, 1);
  g_assert_cmpuint(idx_ues(r, 1, RADIO_INDEX_ANY, ues), ==, 1);
  /* a UE that camps elsewhere keeps listening (radio_move moves its
   * bearer too) */
  radio_bearer_leave(r, 2, 2);
  g_assert_cmpuint(idx_ues(r, 2, s7, ues), ==, 0);
  radio_bearer_join(r, 2, 2);
  g_assert_cmpuint(idx_ues(r, 2, s7, ues), ==, 1);
  /* the waiting list: empty once its last UE stops waiting, then back */
  idx_remove(r, 0, RADIO_INDEX_ANY);
  g_assert_cmpuint(idx_ues(r, 1, RADIO_INDEX_ANY, ues), ==, 0);
  idx_add(r, 0, RADIO_INDEX_ANY);
  g_assert_cmpuint(idx_ues(r, 1, RADIO_INDEX_ANY, ues), ==, 1);
  /* removal: the last holder empties the entry */
  idx_remove(r, 1, s8);
  g_assert_cmpuint(idx_ues(r, 1, s8, ues), ==, 0);
  idx_remove(r, 0, s7);
  g_assert_cmpuint(idx_ues(r, 1, s7, ues), ==, 1);
  g_assert_cmpuint(g_array_index(ues, uint32_t, 0), ==, 1);
  /* a move: out of cell 1, into cell 3 (the other RNC), listening there */
  idx_remove(r, 1, s7);
  radio_move(r, 1, 3);
  idx_add(r, 1, s7);
  g_assert_cmpuint(idx_ues(r, 1, s7, ues), ==, 0);
  g_assert_cmpuint(idx_ues(r, 3, s7, ues), ==, 1);
  g_assert_true(radio_listening(r, 1));
  g_assert_true(radio_bearer_has(r, 1, 3));
  radio_bearer_leave(r, 1, 3); /* and stops there */
  g_assert_cmpuint(idx_ues(r, 3, s7, ues), ==, 0);
  g_array_free(ues, TRUE);
  radio_free(r);
  sim_destroy();
}

/* The order of a (cell, key id) list is that of an array of its holders
 * with appends and swap-removal (g_array_remove_index_fast: the last takes
 * the removed one's place), the order in which they hear a transmission;
 * of those, the ones listening are listed. A model array follows 2 000
 * random adds and removals of 8 UEs on one cell under two keys, and UEs
 * starting and stopping to listen; after each step, the index lists the
 * model's listening holders, in its order. */
static void test_radio_index_order(void) {
  sim_init();
  SimNodeId rnc0 = sim_node_new();
  Radio *r = radio_new(1, 1, IDX_UES);
  radio_index_set_links(r, idx_link_of, NULL);
  radio_add_ran(r, 0, rnc0, &(SimChannel){384000, 0.01}, &(SimChannel){128000, 0.01});
  bool listens[IDX_UES];
  for (uint32_t u = 0; u < IDX_UES; u++) {
    radio_camp(r, u, 0);
    radio_bearer_join(r, u, 0);
    listens[u] = true;
  }
  const KtKeyId keys[] = {KT_KEY_ID(KT_KEY_SUBGROUP, 7), KT_KEY_ID(KT_KEY_SUBGROUP, 8)};
  GArray *model[2], *got = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  bool in[2][IDX_UES] = {{false}};
  for (guint k = 0; k < 2; k++)
    model[k] = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  GRand *rng = g_rand_new_with_seed(12);
  guint removals_mid = 0;
  GArray *want = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  guint toggles = 0;
  for (guint step = 0; step < 2000; step++) {
    guint k = (guint)g_rand_int_range(rng, 0, 3);
    uint32_t u = (uint32_t)g_rand_int_range(rng, 0, IDX_UES);
    if (k == 2) { /* u starts or stops listening */
      if (listens[u])
        radio_bearer_leave(r, u, 0);
      else
        radio_bearer_join(r, u, 0);
      listens[u] = !listens[u];
      toggles++;
    } else if (!in[k][u]) {
      idx_add(r, u, keys[k]);
      g_array_append_val(model[k], u);
      in[k][u] = true;
    } else {
      idx_remove(r, u, keys[k]);
      for (guint i = 0; i < model[k]->len; i++)
        if (g_array_index(model[k], uint32_t, i) == u) {
          removals_mid += i + 1 < model[k]->len;
          g_array_remove_index_fast(model[k], i);
          break;
        }
      in[k][u] = false;
    }
    for (guint j = 0; j < 2; j++) {
      g_array_set_size(want, 0);
      for (guint i = 0; i < model[j]->len; i++)
        if (listens[g_array_index(model[j], uint32_t, i)])
          g_array_append_val(want, g_array_index(model[j], uint32_t, i));
      g_assert_cmpuint(idx_ues(r, 0, keys[j], got), ==, want->len);
      g_assert_cmpmem(got->data, got->len * sizeof(uint32_t), want->data,
                      want->len * sizeof(uint32_t));
    }
  }
  g_assert_cmpuint(toggles, >, 300);
  g_array_free(want, TRUE);
  g_assert_cmpuint(removals_mid, >, 100); /* the swap was exercised */
  g_rand_free(rng);
  for (guint k = 0; k < 2; k++)
    g_array_free(model[k], TRUE);
  g_array_free(got, TRUE);
  radio_free(r);
  sim_destroy();
}

/* -------------------------------------------------------- block_slab.c */

/* Blocks of every size keep what was written into them while others are
 * taken and handed back; a handed-back block is taken again first, by its
 * size class only (sizes rounded up to 8 bytes); the chunks grow past the
 * first 2 MiB as blocks are taken, and every block is 8-aligned. */
static void test_block_slab(void) {
  BlockSlab *s = block_slab_new();
  g_assert_cmpuint(block_slab_reserved(s), ==, 0);
  enum { N = 20000 };
  static unsigned char *blocks[N];
  static gsize sizes[N];
  for (guint i = 0; i < N; i++) {
    sizes[i] = 1 + (i * 7919u) % 400u; /* 1..400 bytes: about 4 MB in all */
    blocks[i] = block_slab_alloc(s, sizes[i]);
    g_assert_cmpuint((guintptr)blocks[i] % 8, ==, 0);
    memset(blocks[i], (int)(i & 0xff), sizes[i]);
  }
  g_assert_cmpuint(block_slab_reserved(s), >, (gsize)2 << 20);
  for (guint i = 0; i < N; i += 2) /* half of them back */
    block_slab_release(s, blocks[i], sizes[i]);
  for (guint i = 1; i < N; i += 2) /* the others intact */
    for (gsize b = 0; b < sizes[i]; b++)
      g_assert_cmpuint(blocks[i][b], ==, i & 0xff);
  gsize reserved = block_slab_reserved(s);
  /* the last block handed back of a class is the first taken again, by
   * any size of its class; the next one taken is another */
  unsigned char *last = blocks[N - 2];
  gsize cls = (sizes[N - 2] + 7) / 8 * 8;
  g_assert_true(block_slab_alloc(s, cls) == last);
  g_assert_true(block_slab_alloc(s, cls - 7) != last);
  for (guint i = 0; i < N; i += 2) { /* taking them again takes no new chunk */
    blocks[i] = block_slab_alloc(s, sizes[i]);
    memset(blocks[i], 0x5a, sizes[i]);
  }
  g_assert_cmpuint(block_slab_reserved(s), ==, reserved);
  for (guint i = 1; i < N; i += 2) /* and overlaps none of the blocks kept */
    for (gsize b = 0; b < sizes[i]; b++)
      g_assert_cmpuint(blocks[i][b], ==, i & 0xff);
  block_slab_release(s, NULL, 8); /* nothing */
  block_slab_free(s);
  block_slab_free(NULL);
}

/* ---------------------------------------------------------- flat_map.c */

/* A GHashTable is the model: 200 000 random inserts, finds and removals of
 * keys drawn from a small range (so that probe runs are long and removals
 * shift entries back across them, with wrap-around at the array's end),
 * then a clear; after each step the map and the model agree on the key's
 * presence and value, and every so often on every entry. */
static void test_flat_map(void) {
  FlatMap *m = flat_map_new(16);
  GHashTable *model = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  GRand *rng = g_rand_new_with_seed(7);
  guint removed_crowded = 0; /* removals from a map of more than 8 entries */
  for (guint step = 0; step < 200000; step++) {
    /* both key words matter: a and b each from 0..31 */
    FlatKey k = {(uint64_t)g_rand_int_range(rng, 0, 32) << 40,
                 (uint64_t)g_rand_int_range(rng, 0, 32)};
    gint64 mk = (gint64)(k.a | k.b);
    guint op = (guint)g_rand_int_range(rng, 0, 3);
    uint64_t *got = flat_map_find(m, k);
    uint64_t *want = g_hash_table_lookup(model, &mk);
    g_assert_true((got == NULL) == (want == NULL));
    if (got)
      g_assert_true(got[0] == want[0] && got[1] == want[1]);
    if (op == 0) { /* insert or update */
      bool added;
      uint64_t *v = flat_map_insert(m, k, &added);
      g_assert_true(added == (want == NULL));
      if (added)
        g_assert_true(v[0] == 0 && v[1] == 0);
      v[0] = step;
      v[1] = ~(uint64_t)step;
      uint64_t *mv = g_new(uint64_t, 2);
      mv[0] = v[0];
      mv[1] = v[1];
      g_hash_table_insert(model, g_memdup2(&mk, sizeof mk), mv);
    } else if (op == 1) {
      removed_crowded += want != NULL && flat_map_size(m) > 8;
      g_assert_true(flat_map_remove(m, k) == (want != NULL));
      g_hash_table_remove(model, &mk);
    }
    g_assert_cmpuint(flat_map_size(m), ==, g_hash_table_size(model));
    if (step % 1000 == 0) { /* every entry, once each */
      size_t pos = 0, seen = 0;
      FlatKey ek;
      void *ev;
      while (flat_map_next(m, &pos, &ek, &ev)) {
        gint64 emk = (gint64)(ek.a | ek.b);
        uint64_t *mv = g_hash_table_lookup(model, &emk);
        g_assert_nonnull(mv);
        g_assert_true(mv[0] == ((uint64_t *)ev)[0]);
        seen++;
      }
      g_assert_cmpuint(seen, ==, g_hash_table_size(model));
    }
  }
  g_assert_cmpuint(removed_crowded, >, 10000); /* the shifts were exercised */
  /* growth past the first room keeps every entry */
  flat_map_clear(m);
  g_assert_cmpuint(flat_map_size(m), ==, 0);
  g_assert_null(flat_map_find(m, (FlatKey){0, 0}));
  for (uint64_t i = 0; i < 5000; i++)
    *(uint64_t *)flat_map_insert(m, (FlatKey){i, i * 3}, NULL) = i;
  for (uint64_t i = 0; i < 5000; i++)
    g_assert_cmpuint(*(uint64_t *)flat_map_find(m, (FlatKey){i, i * 3}), ==, i);
  g_assert_null(flat_map_find(m, (FlatKey){1, 1}));
  g_rand_free(rng);
  g_hash_table_destroy(model);
  flat_map_free(m);
  flat_map_free(NULL);
}

/* ---------------------------------------------------------- key_pool.c */

static KtKey pool_key(uint32_t index, uint32_t version, unsigned char fill) {
  KtKey k = {.ref = {KT_KEY_ID(KT_KEY_SUBGROUP, index), version}};
  memset(k.bytes, fill, sizeof k.bytes);
  return k;
}

/* One entry per (id, version, bytes): holders of equal keys share it,
 * other bytes or another version get their own; the last release frees
 * (and wipes) it, and a freed entry is used again. */
static void test_key_pool(void) {
  KeyPool *p = key_pool_new();
  const KtKey *none = key_pool_key(p, KEY_POOL_NONE);
  g_assert_cmpuint(none->ref.version, ==, 0);
  KtKey a = pool_key(7, 1, 0xaa), a_other = pool_key(7, 1, 0xbb), a2 = pool_key(7, 2, 0xaa);
  uint32_t h1 = key_pool_hold(p, &a), h2 = key_pool_hold(p, &a);
  g_assert_cmpuint(h1, ==, h2); /* shared */
  g_assert_cmpuint(h1, !=, KEY_POOL_NONE);
  uint32_t h3 = key_pool_hold(p, &a_other); /* same version, other bytes */
  uint32_t h4 = key_pool_hold(p, &a2);      /* same bytes, other version */
  g_assert_cmpuint(h3, !=, h1);
  g_assert_cmpuint(h4, !=, h1);
  g_assert_cmpuint(h4, !=, h3);
  g_assert_cmpuint(key_pool_size(p), ==, 3);
  g_assert_cmpmem(key_pool_key(p, h3), sizeof(KtKey), &a_other, sizeof(KtKey));
  g_assert_cmpmem(key_pool_key(p, h1), sizeof(KtKey), &a, sizeof(KtKey));
  g_assert_cmpuint(key_pool_hold(p, &a_other), ==, h3); /* found behind the first of its version */
  key_pool_release(p, h1);
  g_assert_cmpuint(key_pool_size(p), ==, 3); /* one holder left */
  key_pool_release(p, h1);
  g_assert_cmpuint(key_pool_size(p), ==, 2);
  g_assert_cmpuint(key_pool_key(p, h1)->ref.version, ==, 0); /* wiped */
  /* the version's other entry is still found after the first is gone */
  g_assert_cmpuint(key_pool_hold(p, &a_other), ==, h3);
  uint32_t h5 = key_pool_hold(p, &a); /* a new entry, in the freed place */
  g_assert_cmpuint(h5, ==, h1);
  g_assert_cmpuint(key_pool_size(p), ==, 3);
  key_pool_release(p, KEY_POOL_NONE); /* nothing */
  for (int i = 0; i < 3; i++)
    key_pool_release(p, h3);
  key_pool_release(p, h4);
  key_pool_release(p, h5);
  g_assert_cmpuint(key_pool_size(p), ==, 0);
  /* many versions: the array grows and every key reads back */
  uint32_t hs[300];
  for (uint32_t v = 0; v < 300; v++) {
    KtKey k = pool_key(9, v + 1, (unsigned char)v);
    hs[v] = key_pool_hold(p, &k);
  }
  for (uint32_t v = 0; v < 300; v++) {
    KtKey k = pool_key(9, v + 1, (unsigned char)v);
    g_assert_cmpmem(key_pool_key(p, hs[v]), sizeof(KtKey), &k, sizeof(KtKey));
    key_pool_release(p, hs[v]);
  }
  g_assert_cmpuint(key_pool_size(p), ==, 0);
  /* counted by n: n references taken are n to let go, the last of them
   * frees the entry; n = 0 is nothing, even for no entry */
  KtKey kn = pool_key(10, 1, 0x33);
  uint32_t hn = key_pool_hold(p, &kn);
  key_pool_ref_n(p, hn, 4);
  key_pool_ref_n(p, KEY_POOL_NONE, 0);
  key_pool_release_n(p, KEY_POOL_NONE, 7);
  key_pool_release_n(p, hn, 0);
  key_pool_release_n(p, hn, 4);
  g_assert_cmpuint(key_pool_size(p), ==, 1); /* one holder left */
  g_assert_cmpmem(key_pool_key(p, hn), sizeof(KtKey), &kn, sizeof(KtKey));
  key_pool_ref_n(p, hn, 2);
  key_pool_release_n(p, hn, 3);
  g_assert_cmpuint(key_pool_size(p), ==, 0);
  key_pool_free(p);
}

/* ------------------------------------------------------------ route.c */

/* What the core elements sent and rejected. */
typedef struct {
  guint gkc[NET_KIND_COUNT], rab, other_core, rejects;
  size_t gkc_bytes[NET_KIND_COUNT];
  const char *why;
} CoreTally;

static void on_send_core(void *ctx, NetElement from, NetVia via, const Msg *msg, size_t len,
                         uint32_t n_tx) {
  (void)via;
  (void)n_tx;
  CoreTally *t = ctx;
  if (from.kind == NET_UE || from.kind == NET_RNC)
    return;
  if (msg->type == MSG_GROUP_KEY_CHANGE_REQ) {
    t->gkc[from.kind]++;
    t->gkc_bytes[from.kind] += len;
  } else if (msg->type == MSG_RAB_ASSIGNMENT_REQ) {
    t->rab++;
  } else {
    t->other_core++;
  }
}

static void on_reject_core(void *ctx, NetElement at, const char *why) {
  CoreTally *t = ctx;
  if (at.kind == NET_GGSN || at.kind == NET_SGSN) {
    t->rejects++;
    t->why = why;
  }
}

/* 1 GGSN, 2 SGSNs of 2 RNCs of one cell each (RNCs 0, 1 under SGSN 0;
 * 2, 3 under SGSN 1); initial members under RNC 0 (two) and RNC 3 (one).
 * A group key change request with the given RNC list (n 0: none) is put on
 * the BM-SC-GGSN link by hand, as the BM-SC would send it (at_sgsn0: on
 * the GGSN-SGSN 0 link, as the GGSN would). */
static CoreTally route_one_request(const uint32_t *rncs, uint16_t n, bool at_sgsn0) {
  sim_init();
  KtConfig kc = {.n_rnc = 4, .cells_per_rnc = 1, .subgroup_size = 4, .embodiment = 1, .seed = 3};
  KtTree *tree = kt_tree_new(&kc);
  CoreTally t = {0};
  NetObserver obs = {.on_send = on_send_core, .on_reject = on_reject_core, .ctx = &t};
  NetConfig nc = {.embodiment = 1,
                  .ggsn = 1,
                  .sgsn_per_ggsn = 2,
                  .rnc_per_sgsn = 2,
                  .cells_per_rnc = 1,
                  .core = {1e9, 0.005},
                  .iu = {1.55e8, 0.002},
                  .dch = {384000, 0.01},
                  .common = {128000, 0.02},
                  .ue_capacity = 8};
  Net *net = net_new(&nc, tree, &obs);
  net_provision(net, 0, 0);
  net_provision(net, 1, 0);
  net_provision(net, 2, 3);
  Msg msg;
  msg_init(&msg, MSG_GROUP_KEY_CHANGE_REQ, 1);
  msg.n_wraps = 1; /* a wrap no RNC opens: only the routing is looked at */
  msg.wraps[0].key = (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, 0), 9};
  msg.wraps[0].under = (KtKeyRef){KT_KEY_ID(KT_KEY_CORE, 0), 1};
  msg.n_rncs = n;
  if (n > 0) /* rncs may be NULL with n == 0 */
    memcpy(msg.rncs, rncs, n * sizeof *rncs);
  uint8_t buf[MSG_MAX_BYTES];
  size_t len = msg_encode(&msg, buf, sizeof buf);
  if (at_sgsn0)
    sim_link_send(net->sgsn_uplink[0], net->ggsn_node[0], buf, len);
  else
    sim_link_send(net->ggsn_uplink[0], net->bmsc_node, buf, len);
  sim_run(0);
  net_free(net);
  kt_tree_free(tree);
  sim_destroy();
  return t;
}

static void test_route_request(void) {
  /* no list: along the bearer contexts: the GGSN to both SGSNs (each has
   * a member below), each SGSN a RAB assignment request to its RNC with
   * members (0 and 3), none to RNCs 1 and 2; 12 + 5 + 88 bytes each */
  CoreTally t = route_one_request(NULL, 0, false);
  g_assert_cmpuint(t.gkc[NET_GGSN], ==, 2);
  g_assert_cmpuint(t.gkc_bytes[NET_GGSN], ==, 2 * (12 + 5 + 88));
  g_assert_cmpuint(t.rab, ==, 2);
  g_assert_cmpuint(t.rejects, ==, 0);
  g_assert_cmpuint(t.other_core, ==, 0);
  /* RNC 1 listed (no member there): the list, not the context, decides:
   * SGSN 0 only, listing RNC 1 (6 bytes more), one RAB assignment request */
  t = route_one_request((const uint32_t[]){1}, 1, false);
  g_assert_cmpuint(t.gkc[NET_GGSN], ==, 1);
  g_assert_cmpuint(t.gkc_bytes[NET_GGSN], ==, 12 + 5 + 88 + 2 + 4);
  g_assert_cmpuint(t.rab, ==, 1);
  g_assert_cmpuint(t.rejects, ==, 0);
  /* RNCs 0, 2, 3: SGSN 0 gets [0], SGSN 1 gets [2, 3]; three RABs */
  t = route_one_request((const uint32_t[]){0, 2, 3}, 3, false);
  g_assert_cmpuint(t.gkc[NET_GGSN], ==, 2);
  g_assert_cmpuint(t.gkc_bytes[NET_GGSN], ==, (12 + 5 + 88 + 2 + 4) + (12 + 5 + 88 + 2 + 8));
  g_assert_cmpuint(t.rab, ==, 3);
  /* RNC 4 does not exist (nor is it below the GGSN): rejected, nothing
   * forwarded */
  t = route_one_request((const uint32_t[]){0, 4}, 2, false);
  g_assert_cmpuint(t.gkc[NET_GGSN], ==, 0);
  g_assert_cmpuint(t.rab, ==, 0);
  g_assert_cmpuint(t.rejects, ==, 1);
  g_assert_cmpstr(t.why, ==, "group key change request lists an RNC not below this GGSN");
  /* at SGSN 0: RNC 2 is SGSN 1's: rejected there, no RAB assignment */
  t = route_one_request((const uint32_t[]){0, 2}, 2, true);
  g_assert_cmpuint(t.rab, ==, 0);
  g_assert_cmpuint(t.rejects, ==, 1);
  g_assert_cmpstr(t.why, ==, "group key change request lists an RNC not below this SGSN");
  /* at SGSN 0 without a list: RNC 0 only (RNC 1 has no member) */
  t = route_one_request(NULL, 0, true);
  g_assert_cmpuint(t.rab, ==, 1);
  g_assert_cmpuint(t.rejects, ==, 0);
}

static void test_layering(void) {
  const char *src = g_getenv("MBMS_SRCDIR");
  if (!src) {
    g_test_skip("MBMS_SRCDIR not set");
    return;
  }
  char *dir_path = g_build_filename(src, "nodes", NULL);
  GDir *dir = g_dir_open(dir_path, 0, NULL);
  g_assert_nonnull(dir);
  guint checked = 0;
  const char *name;
  while ((name = g_dir_read_name(dir))) {
    if (!g_str_has_suffix(name, ".c") && !g_str_has_suffix(name, ".h"))
      continue;
    const Rank *me = rank_of(name);
    if (!me)
      g_error("nodes/%s has no rank in test_nodes.c (and docs/architecture.md)", name);
    char *path = g_build_filename(dir_path, name, NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    for (const char *p = text; (p = strstr(p, "#include \"nodes/")); p++) {
      const char *start = p + strlen("#include \"nodes/");
      const char *end = strchr(start, '"');
      g_assert_nonnull(end);
      char *inc = g_strndup(start, (gsize)(end - start));
      const Rank *r = rank_of(inc);
      if (!r)
        g_error("nodes/%s includes nodes/%s, which has no rank", name, inc);
      if (!(me->implements && strcmp(me->implements, inc) == 0) && r->rank >= me->rank)
        g_error("nodes/%s (rank %d) includes nodes/%s (rank %d): not below it", name, me->rank, inc,
                r->rank);
      g_free(inc);
    }
    g_free(text);
    g_free(path);
    checked++;
  }
  g_dir_close(dir);
  g_free(dir_path);
  g_assert_cmpuint(checked, ==, G_N_ELEMENTS(ranks)); /* every ranked file exists */
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/nodes/plan/join-parts", test_plan_join_parts);
  g_test_add_func("/nodes/plan/leave-parts", test_plan_leave_parts);
  g_test_add_func("/nodes/plan/leavers", test_plan_leavers);
  g_test_add_func("/nodes/plan/reuse", test_plan_reuse);
  g_test_add_func("/nodes/radio/camping", test_radio_camping);
  g_test_add_func("/nodes/radio/bearers", test_radio_bearers);
  g_test_add_func("/nodes/radio/index", test_radio_index);
  g_test_add_func("/nodes/radio/index_order", test_radio_index_order);
  g_test_add_func("/nodes/key_pool", test_key_pool);
  g_test_add_func("/nodes/block_slab", test_block_slab);
  g_test_add_func("/nodes/flat_map", test_flat_map);
  g_test_add_func("/nodes/route/request", test_route_request);
  g_test_add_func("/nodes/layering", test_layering);
  return g_test_run();
}
