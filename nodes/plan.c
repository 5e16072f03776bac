/* plan.c — see plan.h. */
#include "nodes/plan.h"

#include <stdlib.h>

typedef struct {
  KtPlan plan;
  uint32_t parts_left;
  GArray *rncs_done; /* uint32: RNCs that did their group-stage part (plan_rnc_first);
                      * NULL until the first */
} PlanSlot;

/* How many closed plans are kept, cleared, for the next ones to begin
 * with: a plan's arrays grow to its deliveries (one per sub-group of the
 * group at a leave in embodiment 1, 15 600 at a million members), and
 * growing them afresh for every plan, by reallocations that copy the
 * arrays and make malloc consolidate its free lists, cost 1-2 % of a
 * run's event loop. Plans in flight at once are few (embodiment 1: from
 * the RNC's request to the RAB assignments). */
#define SPARE_PLANS 4u

struct PlanBook {
  GHashTable *slots;            /* seq -> PlanSlot* */
  PlanSlot *spare[SPARE_PLANS]; /* closed and cleared, for plan_begin */
  guint n_spare;
  GHashTable *leaked;  /* shared key id -> newest version a leaver held */
  GHashTable *joining; /* UE id -> the group key version its join in flight made */
};

static void slot_free(gpointer p) {
  PlanSlot *slot = p;
  kt_plan_free(&slot->plan);
  if (slot->rncs_done)
    g_array_free(slot->rncs_done, TRUE);
  g_free(slot);
}

PlanBook *plan_book_new(void) {
  PlanBook *b = g_new0(PlanBook, 1);
  b->slots = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, slot_free);
  b->leaked = g_hash_table_new(g_direct_hash, g_direct_equal);
  b->joining = g_hash_table_new(g_direct_hash, g_direct_equal);
  return b;
}

void plan_book_free(PlanBook *b) {
  if (!b)
    return;
  g_hash_table_destroy(b->slots);
  for (guint i = 0; i < b->n_spare; i++)
    slot_free(b->spare[i]);
  g_hash_table_destroy(b->leaked);
  g_hash_table_destroy(b->joining);
  g_free(b);
}

static PlanSlot *slot_of(const PlanBook *b, uint32_t seq) {
  return g_hash_table_lookup(b->slots, GUINT_TO_POINTER(seq));
}

KtPlan *plan_begin(PlanBook *b, uint32_t seq) {
  if (g_hash_table_contains(b->slots, GUINT_TO_POINTER(seq)))
    return NULL;
  PlanSlot *slot;
  if (b->n_spare > 0) {
    slot = b->spare[--b->n_spare];
  } else {
    slot = g_new0(PlanSlot, 1);
    kt_plan_init(&slot->plan);
  }
  g_hash_table_insert(b->slots, GUINT_TO_POINTER(seq), slot);
  return &slot->plan;
}

const KtPlan *plan_get(const PlanBook *b, uint32_t seq) {
  PlanSlot *slot = slot_of(b, seq);
  return slot ? &slot->plan : NULL;
}

void plan_close(PlanBook *b, uint32_t seq) {
  PlanSlot *slot = slot_of(b, seq);
  if (slot && slot->plan.kind == KT_EVENT_JOIN && slot->plan.group_changed &&
      plan_joining_floor(b, slot->plan.ue) == slot->plan.group_after.version)
    g_hash_table_remove(b->joining, GUINT_TO_POINTER(slot->plan.ue));
  if (!slot)
    return;
  g_hash_table_steal(b->slots, GUINT_TO_POINTER(seq));
  if (b->n_spare == SPARE_PLANS) {
    slot_free(slot);
    return;
  }
  kt_plan_clear(&slot->plan); /* (wipes its keys) */
  slot->parts_left = 0;
  if (slot->rncs_done)
    g_array_set_size(slot->rncs_done, 0);
  b->spare[b->n_spare++] = slot;
}

void plan_await(PlanBook *b, uint32_t seq, uint32_t n_rnc) {
  PlanSlot *slot = slot_of(b, seq);
  g_assert(slot && slot->parts_left == 0);
  const KtPlan *plan = &slot->plan;
  uint32_t parts = 1; /* the BM-SC's */
  for (uint32_t r = 0; r < n_rnc; r++)
    parts += plan_has_group_work(plan, r);
  if (plan->kind == KT_EVENT_JOIN)
    parts += 1; /* the joiner's keys, on the accept */
  slot->parts_left = parts;
  if (plan->kind == KT_EVENT_JOIN && plan->group_changed)
    g_hash_table_insert(b->joining, GUINT_TO_POINTER(plan->ue),
                        GUINT_TO_POINTER(plan->group_after.version));
}

uint32_t plan_joining_floor(const PlanBook *b, uint32_t ue) {
  return GPOINTER_TO_UINT(g_hash_table_lookup(b->joining, GUINT_TO_POINTER(ue)));
}

bool plan_joiner_above(const PlanBook *b, uint32_t version,
                       bool (*pred)(const void *ctx, uint32_t ue), const void *ctx) {
  GHashTableIter it;
  gpointer ue, floor;
  g_hash_table_iter_init(&it, b->joining);
  while (g_hash_table_iter_next(&it, &ue, &floor))
    if (GPOINTER_TO_UINT(floor) > version && pred(ctx, GPOINTER_TO_UINT(ue)))
      return true;
  return false;
}

void plan_part_done(PlanBook *b, uint32_t seq) {
  PlanSlot *slot = slot_of(b, seq);
  if (!slot)
    return;
  g_assert(slot->parts_left > 0);
  if (--slot->parts_left == 0)
    plan_close(b, seq);
}

bool plan_rnc_first(PlanBook *b, uint32_t seq, uint32_t rnc) {
  PlanSlot *slot = slot_of(b, seq);
  if (!slot)
    return false;
  if (!slot->rncs_done)
    slot->rncs_done = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  for (guint i = 0; i < slot->rncs_done->len; i++)
    if (g_array_index(slot->rncs_done, uint32_t, i) == rnc)
      return false;
  g_array_append_val(slot->rncs_done, rnc);
  return true;
}

bool plan_is_joiner_delivery(const KtPlan *plan, const KtDelivery *d) {
  return plan->kind == KT_EVENT_JOIN && d->stage == KT_STAGE_GROUP && d->target == KT_TO_UE &&
         d->target_id == plan->ue;
}

bool plan_has_group_work(const KtPlan *plan, uint32_t rnc) {
  for (guint i = 0; i < plan->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if ((rnc == UINT32_MAX || d->rnc == rnc) && d->stage == KT_STAGE_GROUP &&
        !plan_is_joiner_delivery(plan, d))
      return true;
  }
  return false;
}

static gint cmp_u32(gconstpointer a, gconstpointer b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

void plan_group_work_rncs(const KtPlan *plan, GArray *out) {
  guint start = out->len;
  for (guint i = 0; i < plan->deliveries->len; i++) {
    const KtDelivery *d = &g_array_index(plan->deliveries, KtDelivery, i);
    if (d->stage == KT_STAGE_GROUP && !plan_is_joiner_delivery(plan, d))
      g_array_append_val(out, d->rnc);
  }
  if (out->len - start < 2)
    return;
  uint32_t *v = &g_array_index(out, uint32_t, start);
  guint n = out->len - start, kept = 1;
  qsort(v, n, sizeof *v, cmp_u32);
  for (guint i = 1; i < n; i++)
    if (v[i] != v[kept - 1])
      v[kept++] = v[i];
  g_array_set_size(out, start + kept);
}

const KtKey *plan_new_group_key(const KtPlan *plan) {
  if (!plan->group_changed)
    return NULL;
  const KtKey *next = kt_plan_key(plan, plan->group_after);
  g_assert(next);
  return next;
}

static void note_leaked(PlanBook *b, KtKeyRef ref) {
  if (ref.version > plan_leaked_version(b, ref.id))
    g_hash_table_insert(b->leaked, GUINT_TO_POINTER(ref.id), GUINT_TO_POINTER(ref.version));
}

void plan_note_leavers(PlanBook *b, const KtPlan *plan) {
  /* a mover keeps its group: only the interior keys it moved away from */
  if (plan->kind != KT_EVENT_MOVE && plan->group_before.version != 0)
    note_leaked(b, plan->group_before);
  for (guint i = 0; i < plan->key_values->len; i++) {
    const KtKey *k = &g_array_index(plan->key_values, KtKey, i);
    if (KT_KEY_ID_KIND(k->ref.id) == KT_KEY_SUBGROUP && kt_plan_replaced(plan, k->ref))
      note_leaked(b, k->ref);
  }
}

uint32_t plan_leaked_version(const PlanBook *b, KtKeyId id) {
  return GPOINTER_TO_UINT(g_hash_table_lookup(b->leaked, GUINT_TO_POINTER(id)));
}
