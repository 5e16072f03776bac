/* adversary.c — see adversary.h. */
#include "app/adversary.h"

#include <string.h>

/* A departed UE (or, with collusion, the coalition of all of them). */
typedef struct {
  GArray *keys;   /* KtKey: everything it holds or has opened */
  uint8_t *hears; /* per cell: it listens there (NULL: all cells) */
  bool active;    /* false once it has joined again */
} Listener;

/* One transmission of one wrap or data packet on one cell, recorded for
 * the UEs that will join there. */
typedef struct {
  double time;
  uint64_t item; /* the wrap or packet (the same on every cell it went to) */
  uint32_t cell;
  KtWrap wrap;  /* when data == NULL */
  KtData *data; /* reference-counted (g_rc_box), shared by its cells */
} LogEntry;

typedef struct {
  double time; /* the join reached the network */
  double from; /* recorded traffic from here on is tried (see on_join) */
  uint32_t cell;
} JoinWait;

struct Adversaries {
  AdversaryConfig cfg;
  GHashTable *by_ue;   /* ue -> Listener* (without collusion) */
  Listener *coalition; /* with collusion, once someone left */
  GHashTable *by_ref;  /* KtKeyRef as uint64 -> GPtrArray of Listener* holding it */
  GArray *log;         /* LogEntry, oldest first from log_head */
  guint log_head;
  uint64_t next_item;
  GHashTable *waiting; /* ue -> JoinWait* */
  GHashTable *left_at; /* ue -> double*: when its last leave reached the network */
  AdversaryCounts counts;
  GArray *scratch_keys;
  GHashTable *scratch_items;
};

static uint64_t ref_u64(KtKeyRef r) {
  return (uint64_t)r.id << 32 | r.version;
}

/* The listeners holding key `ref` (NULL if none). */
static GPtrArray *holders_of(const Adversaries *a, KtKeyRef ref) {
  uint64_t k = ref_u64(ref);
  return g_hash_table_lookup(a->by_ref, &k);
}

static const KtKey *find_key(const GArray *keys, KtKeyRef ref) {
  for (guint i = 0; i < keys->len; i++) {
    const KtKey *k = &g_array_index(keys, KtKey, i);
    if (kt_ref_equal(k->ref, ref))
      return k;
  }
  return NULL;
}

static void listener_free(gpointer p) {
  Listener *l = p;
  for (guint i = 0; i < l->keys->len; i++)
    kt_key_wipe(&g_array_index(l->keys, KtKey, i));
  g_array_free(l->keys, TRUE);
  g_free(l->hears);
  g_free(l);
}

static Listener *listener_new(const Adversaries *a) {
  Listener *l = g_new0(Listener, 1);
  l->keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
  if (!a->cfg.all_cells)
    l->hears = g_new0(uint8_t, a->cfg.n_cells);
  l->active = true;
  return l;
}

/* `l` now holds `key` (indexed so that wraps under it find `l`). */
static void learn(Adversaries *a, Listener *l, const KtKey *key) {
  if (find_key(l->keys, key->ref))
    return;
  g_array_append_vals(l->keys, key, 1);
  GPtrArray *holders = holders_of(a, key->ref);
  if (!holders) {
    holders = g_ptr_array_new();
    uint64_t *k = g_new(uint64_t, 1);
    *k = ref_u64(key->ref);
    g_hash_table_insert(a->by_ref, k, holders);
  }
  g_ptr_array_add(holders, l);
}

static bool hears_any(const Listener *l, const uint32_t *cells, uint32_t n_cells) {
  if (!l->hears)
    return true;
  for (uint32_t i = 0; i < n_cells; i++)
    if (l->hears[cells[i]])
      return true;
  return false;
}

static void data_unref(KtData *d) {
  if (d)
    g_rc_box_release(d);
}

Adversaries *adversaries_new(const AdversaryConfig *config) {
  Adversaries *a = g_new0(Adversaries, 1);
  a->cfg = *config;
  a->by_ue = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, listener_free);
  a->by_ref =
      g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  a->log = g_array_new(FALSE, FALSE, sizeof(LogEntry));
  a->waiting = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  a->left_at = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  a->scratch_keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
  a->scratch_items = g_hash_table_new(g_int64_hash, g_int64_equal);
  return a;
}

void adversaries_free(Adversaries *a) {
  if (!a)
    return;
  for (guint i = a->log_head; i < a->log->len; i++)
    data_unref(g_array_index(a->log, LogEntry, i).data);
  g_array_free(a->log, TRUE);
  g_hash_table_destroy(a->by_ref);
  g_hash_table_destroy(a->by_ue);
  if (a->coalition)
    listener_free(a->coalition);
  g_hash_table_destroy(a->waiting);
  g_hash_table_destroy(a->left_at);
  g_array_free(a->scratch_keys, TRUE);
  g_hash_table_destroy(a->scratch_items);
  g_free(a);
}

void adversaries_on_leave(Adversaries *a, uint32_t ue, uint32_t cell, const GArray *keys,
                          double now) {
  g_assert(cell < a->cfg.n_cells);
  g_hash_table_remove(a->waiting, GUINT_TO_POINTER(ue));
  double *t = g_new(double, 1);
  *t = now;
  g_hash_table_replace(a->left_at, GUINT_TO_POINTER(ue), t);
  Listener *l;
  if (a->cfg.collusion) {
    if (!a->coalition)
      a->coalition = listener_new(a);
    l = a->coalition;
  } else {
    l = g_hash_table_lookup(a->by_ue, GUINT_TO_POINTER(ue));
    if (!l) {
      l = listener_new(a);
      g_hash_table_insert(a->by_ue, GUINT_TO_POINTER(ue), l);
    } else if (l->hears) {
      memset(l->hears, 0, a->cfg.n_cells); /* its last cell only */
    }
    l->active = true;
  }
  if (l->hears)
    l->hears[cell] = 1;
  for (guint i = 0; i < keys->len; i++)
    learn(a, l, &g_array_index(keys, KtKey, i));
}

void adversaries_on_join(Adversaries *a, uint32_t ue, uint32_t cell, double now) {
  g_assert(cell < a->cfg.n_cells);
  if (!a->cfg.collusion) {
    Listener *l = g_hash_table_lookup(a->by_ue, GUINT_TO_POINTER(ue));
    if (l)
      l->active = false; /* a member again: what it hears now it is entitled to */
  }
  /* A rejoining UE tries what was sent since its last leave (within the
   * recording window), not what it heard as a member before: that it was
   * entitled to, and opening it is no exposure. */
  double from = now - a->cfg.record_before_join;
  const double *left = g_hash_table_lookup(a->left_at, GUINT_TO_POINTER(ue));
  if (left && *left > from)
    from = *left;
  JoinWait *w = g_new(JoinWait, 1);
  *w = (JoinWait){now, from, cell};
  g_hash_table_replace(a->waiting, GUINT_TO_POINTER(ue), w);
}

bool adversaries_waiting(const Adversaries *a, uint32_t ue) {
  /* asked at every group key installation: usually nobody is waiting */
  return g_hash_table_size(a->waiting) > 0 &&
         g_hash_table_contains(a->waiting, GUINT_TO_POINTER(ue));
}

/* Tries the keys in `keys` on one log entry; on success counts the entry's
 * item once in `seen` and, for a wrap, learns the key inside. */
static bool try_entry(Adversaries *a, const LogEntry *e, GArray *keys, GHashTable *seen) {
  if (g_hash_table_contains(seen, &e->item))
    return false;
  bool opened = false;
  if (e->data) {
    const KtKey *k = find_key(keys, e->data->key);
    unsigned char plain[KT_DATA_MAX_PAYLOAD];
    opened = k && kt_data_open(plain, e->data, k) == 0;
  } else {
    const KtKey *k = find_key(keys, e->wrap.under);
    KtKey inside;
    if (k && kt_unwrap(&inside, &e->wrap, k) == 0) {
      opened = true;
      if (!find_key(keys, inside.ref))
        g_array_append_vals(keys, &inside, 1);
      kt_key_wipe(&inside);
    }
  }
  if (opened) {
    g_hash_table_add(seen, (gpointer)&e->item);
    a->counts.bwd_exposures++;
    if (e->data)
      a->counts.bwd_data++;
  }
  return opened;
}

void adversaries_on_member_keys(Adversaries *a, uint32_t ue, const GArray *keys) {
  JoinWait *w = g_hash_table_lookup(a->waiting, GUINT_TO_POINTER(ue));
  if (!w)
    return;
  /* Only what the join gave it counts: keys it kept from an earlier
   * membership (or opened as a departed listener) it had before joining,
   * and what they open was open to it then (counted as forward if sent
   * after its leave), so those keys are not tried again here. */
  const Listener *before = a->cfg.collusion
                               ? a->coalition
                               : g_hash_table_lookup(a->by_ue, GUINT_TO_POINTER(ue));
  GArray *mine = a->scratch_keys;
  g_array_set_size(mine, 0);
  for (guint i = 0; i < keys->len; i++) {
    const KtKey *k = &g_array_index(keys, KtKey, i);
    if (!before || !find_key(before->keys, k->ref))
      g_array_append_vals(mine, k, 1);
  }
  GHashTable *seen = a->scratch_items;
  g_hash_table_remove_all(seen);
  double from = w->from;
  /* until nothing more opens: a key opened may open an earlier wrap */
  for (bool progress = true; progress;) {
    progress = false;
    for (guint i = a->log_head; i < a->log->len; i++) {
      const LogEntry *e = &g_array_index(a->log, LogEntry, i);
      if (e->time < from || e->time >= w->time)
        continue;
      if (!a->cfg.all_cells && e->cell != w->cell)
        continue;
      progress |= try_entry(a, e, mine, seen);
    }
  }
  for (guint i = 0; i < mine->len; i++)
    kt_key_wipe(&g_array_index(mine, KtKey, i));
  g_array_set_size(mine, 0);
  g_hash_table_remove(a->waiting, GUINT_TO_POINTER(ue));
}

/* Drops log entries no joiner can still need: older than record-before-join
 * before now and before every join still waiting for its keys. */
static void prune_log(Adversaries *a, double now) {
  double keep_from = now;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, a->waiting);
  while (g_hash_table_iter_next(&it, NULL, &v))
    keep_from = MIN(keep_from, ((JoinWait *)v)->time);
  keep_from -= a->cfg.record_before_join;
  while (a->log_head < a->log->len) {
    LogEntry *e = &g_array_index(a->log, LogEntry, a->log_head);
    if (e->time >= keep_from)
      break;
    data_unref(e->data);
    a->log_head++;
  }
  if (a->log_head > 4096 && a->log_head * 2 > a->log->len) {
    g_array_remove_range(a->log, 0, a->log_head);
    a->log_head = 0;
  }
}

static void record(Adversaries *a, double now, const uint32_t *cells, uint32_t n_cells,
                   const KtWrap *wrap, KtData *data) {
  if (a->cfg.record_before_join <= 0)
    return;
  uint64_t item = a->next_item++;
  for (uint32_t i = 0; i < n_cells; i++) {
    LogEntry e = {.time = now, .item = item, .cell = cells[i]};
    if (data)
      e.data = g_rc_box_acquire(data);
    else
      e.wrap = *wrap;
    g_array_append_val(a->log, e);
  }
  if ((a->next_item & 1023u) == 0)
    prune_log(a, now);
}

void adversaries_on_common_wraps(Adversaries *a, double now, const uint32_t *cells,
                                 uint32_t n_cells, const KtWrap *wraps, uint32_t n_wraps) {
  for (uint32_t w = 0; w < n_wraps; w++)
    record(a, now, cells, n_cells, &wraps[w], NULL);
  bool counted[64] = {false};
  g_assert(n_wraps <= G_N_ELEMENTS(counted));
  /* twice: a key learned from a later wrap of the message may open an
   * earlier one */
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t w = 0; w < n_wraps; w++) {
      GPtrArray *holders = holders_of(a, wraps[w].under);
      for (guint h = 0; holders && h < holders->len; h++) {
        Listener *l = g_ptr_array_index(holders, h);
        if (!l->active || !hears_any(l, cells, n_cells))
          continue;
        KtKey inside;
        if (kt_unwrap(&inside, &wraps[w], find_key(l->keys, wraps[w].under)) != 0)
          continue;
        if (!counted[w]) {
          counted[w] = true;
          a->counts.fwd_violations++;
        }
        learn(a, l, &inside);
        kt_key_wipe(&inside);
      }
    }
  }
}

void adversaries_on_common_data(Adversaries *a, double now, const uint32_t *cells, uint32_t n_cells,
                                const KtData *d) {
  if (a->cfg.record_before_join > 0) {
    KtData *copy = g_rc_box_new(KtData);
    *copy = *d;
    record(a, now, cells, n_cells, NULL, copy);
    g_rc_box_release(copy);
  }
  GPtrArray *holders = holders_of(a, d->key);
  for (guint h = 0; holders && h < holders->len; h++) {
    Listener *l = g_ptr_array_index(holders, h);
    if (!l->active || !hears_any(l, cells, n_cells))
      continue;
    unsigned char plain[KT_DATA_MAX_PAYLOAD];
    if (kt_data_open(plain, d, find_key(l->keys, d->key)) == 0) {
      a->counts.fwd_violations++;
      a->counts.fwd_data++;
      return; /* counted once, whoever opens it */
    }
  }
}

AdversaryCounts adversaries_counts(const Adversaries *a) {
  return a->counts;
}
