/* completion.c — see completion.h. */
#include "app/completion.h"

#define NOT_A_MEMBER UINT32_MAX
#define NO_EVENT UINT32_MAX

typedef struct {
  KtKeyId scope_key; /* the group key of the UE's scope */
  uint32_t counted;  /* last version counted for it; NOT_A_MEMBER when not one */
} UeProgress;

struct RekeyCompletion {
  Metrics *metrics;
  uint32_t ue_capacity;
  UeProgress *ue;
  GHashTable *versions; /* group key id -> GArray of uint32 seq, index = version */
  /* the last id looked up and its array (never removed before the end):
   * every member installs the same group key, one after the other */
  KtKeyId last_id;
  GArray *last;
};

RekeyCompletion *completion_new(uint32_t ue_capacity, Metrics *metrics) {
  RekeyCompletion *c = g_new0(RekeyCompletion, 1);
  c->metrics = metrics;
  c->ue_capacity = ue_capacity;
  c->ue = g_new(UeProgress, ue_capacity > 0 ? ue_capacity : 1);
  for (uint32_t i = 0; i < ue_capacity; i++)
    c->ue[i] = (UeProgress){0, NOT_A_MEMBER};
  c->versions =
      g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
  return c;
}

void completion_free(RekeyCompletion *c) {
  if (!c)
    return;
  g_hash_table_destroy(c->versions);
  g_free(c->ue);
  g_free(c);
}

static GArray *versions_of(RekeyCompletion *c, KtKeyId id) {
  GArray *a = g_hash_table_lookup(c->versions, GUINT_TO_POINTER(id));
  if (!a) {
    a = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_hash_table_insert(c->versions, GUINT_TO_POINTER(id), a);
  }
  return a;
}

/* The event that made version `v` of group key `id`, or NO_EVENT. */
static uint32_t event_of_version(RekeyCompletion *c, KtKeyId id, uint32_t v) {
  GArray *a = c->last && c->last_id == id ? c->last
                                          : g_hash_table_lookup(c->versions, GUINT_TO_POINTER(id));
  if (a) {
    c->last_id = id;
    c->last = a;
  }
  return a && v < a->len ? g_array_index(a, uint32_t, v) : NO_EVENT;
}

static void set_event_of_version(RekeyCompletion *c, KtKeyId id, uint32_t v, uint32_t seq) {
  GArray *a = versions_of(c, id);
  uint32_t none = NO_EVENT;
  while (a->len <= v)
    g_array_append_val(a, none);
  g_array_index(a, uint32_t, v) = seq;
}

/* One join or leave of a plan (a batch has several). */
static void on_member(RekeyCompletion *c, const KtPlan *plan, uint32_t ue, bool join) {
  g_assert(ue < c->ue_capacity);
  UeProgress *u = &c->ue[ue];
  KtKeyId id = plan->group_after.id;
  if (join) {
    /* The joiner counts for this event's new key (if any), not for older
     * ones, which were planned before it was a member. */
    u->scope_key = id;
    u->counted = plan->group_changed ? plan->group_before.version : plan->group_after.version;
  } else if (u->counted != NOT_A_MEMBER) {
    /* Versions planned while it was a member that it never installed: it
     * will not, so they stop waiting for it. */
    for (uint32_t v = u->counted + 1; v <= plan->group_before.version; v++) {
      uint32_t ev = event_of_version(c, u->scope_key, v);
      if (ev != NO_EVENT)
        metrics_install_not_expected(c->metrics, ev);
    }
    u->counted = NOT_A_MEMBER;
  }
}

void completion_on_plan(RekeyCompletion *c, uint32_t seq, const KtPlan *plan,
                        uint32_t members_in_scope) {
  KtKeyId id = plan->group_after.id;
  if (plan->kind == KT_EVENT_BATCH) {
    for (guint i = 0; i < plan->batch->len; i++) {
      const KtBatchOp *op = &g_array_index(plan->batch, KtBatchOp, i);
      on_member(c, plan, op->ue, op->join);
    }
  } else if (plan->kind != KT_EVENT_MOVE) { /* a mover stays in its scope */
    on_member(c, plan, plan->ue, plan->kind == KT_EVENT_JOIN);
  }
  if (plan->group_changed && seq != UINT32_MAX) {
    set_event_of_version(c, id, plan->group_after.version, seq);
    metrics_expect_installs(c->metrics, seq, members_in_scope);
  }
}

void completion_prefetch(const RekeyCompletion *c, const uint32_t *ues, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (ues[i] < c->ue_capacity)
      __builtin_prefetch(&c->ue[ues[i]]);
}

void completion_on_install(RekeyCompletion *c, uint32_t ue, KtKeyRef ref, double now) {
  g_assert(ue < c->ue_capacity);
  UeProgress *u = &c->ue[ue];
  if (u->counted == NOT_A_MEMBER || u->scope_key != ref.id || ref.version <= u->counted)
    return; /* a departed UE, another scope's key, or nothing new */
  for (uint32_t v = u->counted + 1; v <= ref.version; v++) {
    uint32_t ev = event_of_version(c, ref.id, v);
    if (ev != NO_EVENT)
      metrics_installed(c->metrics, ev, now);
  }
  u->counted = ref.version;
}

void completion_on_installs(RekeyCompletion *c, const uint32_t *ues, uint32_t n, KtKeyRef ref,
                            double now) {
  uint32_t next = 0; /* installs of exactly ref.version after the one before it */
  for (uint32_t i = 0; i < n; i++) {
    g_assert(ues[i] < c->ue_capacity);
    UeProgress *u = &c->ue[ues[i]];
    if (u->counted != NOT_A_MEMBER && u->scope_key == ref.id && u->counted + 1 == ref.version) {
      u->counted = ref.version;
      next++;
    } else {
      completion_on_install(c, ues[i], ref, now);
    }
  }
  uint32_t ev = next ? event_of_version(c, ref.id, ref.version) : NO_EVENT;
  if (ev != NO_EVENT)
    metrics_installed_n(c->metrics, ev, now, next);
}
