/* adversary.c — see adversary.h.
 *
 * Costs. Everything is indexed by the key reference a ciphertext names, so
 * an adversary only ever looks at what it may really try:
 *   - forward: a wrap or packet under ref R is tried by the listeners that
 *     hold R (by_ref), each with its own copy of R's key;
 *   - backward: recordings are chained per ref (and per cell with
 *     eavesdrop = own-cell); a joiner walks the chain of each key it holds
 *     or opens, nothing else. Each recording is in one chain, so it is
 *     tried at most once per joiner and needs no "already counted" set.
 * Refs are hashed as 64-bit values with a full mix (GLib's g_int64_hash
 * keeps the low 32 bits, the version, which put every key of one version on
 * one chain). Recordings are kept only while some joiner can still need
 * them (prune_log): memory follows the joiners' recording windows, not the
 * length of the run. */
#include "app/adversary.h"

#include <string.h>

#include "nodes/flat_map.h"

G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(uint64_t)); /* refs are stored in the pointer */

#define NO_REC UINT32_MAX
/* The log grows by chunks, not by doubling one array: no copy, and at most
 * one chunk (7 MB) allocated beyond what it holds. */
#define LOG_CHUNK_BITS 16u
#define LOG_CHUNK (1u << LOG_CHUNK_BITS)

/* A departed UE (or, with collusion, the coalition of all of them). */
typedef struct {
  GArray *keys;   /* KtKey: everything it holds or has opened */
  uint8_t *hears; /* coalition only: per cell, it listens there (NULL: see cell) */
  uint32_t cell;  /* its last cell (without collusion) */
  bool active;    /* false once it has joined again */
} Listener;

/* A listener holding a key, and where that key is in its `keys`. */
typedef struct {
  Listener *l;
  guint key;
} Holder;

/* One recorded transmission of one wrap or data packet: one per cell with
 * eavesdrop = own-cell, one for all its cells with all-cells (a joiner then
 * hears every cell, so the cells do not matter). */
typedef struct {
  double time;
  uint32_t cell; /* own-cell only */
  uint32_t next; /* the next recording of the same chain (index in log), or NO_REC */
  KtWrap wrap;   /* when data == NULL */
  KtData *data;  /* reference-counted (g_rc_box), shared by its cells */
} Rec;

/* The recordings under one ref (on one cell), oldest first: the value of
 * (ref, cell) in `chains`. */
typedef struct {
  uint32_t first, last; /* indices in log, or NO_REC */
} Chain;

/* A group (by its group key's id) a UE moved away from, and when. */
typedef struct {
  KtKeyId group;
  double time;
} Departure;

typedef struct {
  double time; /* the join reached the network */
  double from; /* recorded traffic from here on is tried (see on_join) */
  uint32_t cell;
  uint32_t n_had;
  KtKeyRef had[]; /* the keys it held when the join reached the network */
} JoinWait;

struct Adversaries {
  AdversaryConfig cfg;
  GHashTable *by_ue;   /* ue -> Listener* (without collusion) */
  Listener *coalition; /* with collusion, once someone left */
  GHashTable *by_ref;  /* ref (as pointer) -> GArray of Holder */
  GPtrArray *log;      /* chunks of LOG_CHUNK Rec, in time order */
  guint log_len;       /* Recs in log */
  /* (ref, cell) -> Chain. A flat map (nodes/flat_map.h): every
   * transmission appends to a chain, and at a million members the lookup
   * misses the cache (one miss here, against three or four in a
   * GHashTable of Chain pointers) */
  FlatMap *chains;
  guint log_kept;         /* log_len after the last prune */
  GHashTable *waiting;    /* ue -> JoinWait* */
  GHashTable *left_at;    /* ue -> double*: when its last leave reached the network */
  GHashTable *moved_from; /* ue -> GArray of Departure: groups it moved away from */
  /* Mobility (docs/security.md, "Handover"): per UE that moved within its
   * group, the keys it held before (it keeps them: they join its listener
   * when it leaves); per UE that moved to another RNC's group (embodiment
   * 2), its listener as a departed UE of the groups it left that way */
  gpointer *kept;     /* per UE index: its kept keys (see Kept), NULL: none */
  uint32_t kept_cap;  /* entries in kept (0 until the first move) */
  GHashTable *shared; /* ref -> SharedKey: the kept keys, one copy each */
  GHashTable *moved;  /* ue -> Listener* (without collusion) */
  AdversaryCounts counts;
  GArray *scratch_keys;     /* KtKey: a joiner's keys during its check */
  GHashTable *scratch_held; /* ref -> index in scratch_keys + 1 */
  GArray *scratch_times;    /* double: join times of the waiting joiners */
};

static uint64_t ref_u64(KtKeyRef r) {
  return (uint64_t)r.id << 32 | r.version;
}

/* SplitMix64's finaliser: every bit of the 64-bit key reaches the hash. */
static guint mix_hash(gconstpointer p) {
  uint64_t z = (uint64_t)GPOINTER_TO_SIZE(p);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  z ^= z >> 31;
  return (guint)(z ^ (z >> 32));
}

static gpointer ref_key(KtKeyRef r) {
  return GSIZE_TO_POINTER((gsize)ref_u64(r));
}

/* ------------------------------------------------------------ listeners */

static void listener_free(gpointer p) {
  Listener *l = p;
  for (guint i = 0; i < l->keys->len; i++)
    kt_key_wipe(&g_array_index(l->keys, KtKey, i));
  g_array_free(l->keys, TRUE);
  g_free(l->hears);
  g_free(l);
}

static Listener *listener_new(const Adversaries *a, bool coalition) {
  Listener *l = g_new0(Listener, 1);
  l->keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
  if (coalition && !a->cfg.all_cells)
    l->hears = g_new0(uint8_t, a->cfg.n_cells);
  l->active = true;
  return l;
}

/* A kept key: many movers out of one sub-group keep the same version of
 * its key, so each is stored once and counted. */
typedef struct {
  guint refs;
  KtKey key;
} SharedKey;

/* The keys a UE kept from its moves (usually one: then the table's value
 * is the SharedKey itself; a Kept list is tagged by the low bit). */
typedef struct {
  guint n;
  SharedKey *keys[];
} Kept;

static bool kept_is_list(gconstpointer v) {
  return (GPOINTER_TO_SIZE(v) & 1u) != 0;
}

static Kept *kept_list(gconstpointer v) {
  return (Kept *)GSIZE_TO_POINTER(GPOINTER_TO_SIZE(v) & ~(gsize)1u);
}

static guint kept_n(gconstpointer v) {
  return v == NULL ? 0 : kept_is_list(v) ? kept_list(v)->n : 1;
}

static SharedKey **kept_slot(gpointer *v, guint i) {
  return kept_is_list(*v) ? &kept_list(*v)->keys[i] : (SharedKey **)v;
}

static SharedKey *shared_acquire(Adversaries *a, const KtKey *key) {
  SharedKey *sk = g_hash_table_lookup(a->shared, ref_key(key->ref));
  if (!sk) {
    sk = g_new(SharedKey, 1);
    *sk = (SharedKey){.refs = 0, .key = *key};
    g_hash_table_insert(a->shared, ref_key(key->ref), sk);
  }
  sk->refs++;
  return sk;
}

static void shared_release(Adversaries *a, SharedKey *sk) {
  if (--sk->refs > 0)
    return;
  g_hash_table_remove(a->shared, ref_key(sk->key.ref));
  kt_key_wipe(&sk->key);
  g_free(sk);
}

/* Releases the kept keys `v` of one UE. */
static void kept_release(Adversaries *a, gpointer v) {
  for (guint i = 0; i < kept_n(v); i++)
    shared_release(a, *kept_slot(&v, i));
  if (v && kept_is_list(v))
    g_free(kept_list(v));
}

/* `v` with `sk` appended. */
static gpointer kept_append(gpointer v, SharedKey *sk) {
  if (v == NULL)
    return sk;
  guint n = kept_n(v);
  Kept *grown = g_malloc(sizeof(Kept) + (n + 1) * sizeof(SharedKey *));
  grown->n = n + 1;
  for (guint i = 0; i < n; i++)
    grown->keys[i] = *kept_slot(&v, i);
  grown->keys[n] = sk;
  if (kept_is_list(v))
    g_free(kept_list(v));
  return GSIZE_TO_POINTER(GPOINTER_TO_SIZE(grown) | 1u);
}

/* The listeners holding key `ref` (NULL if none). */
static GArray *holders_of(const Adversaries *a, KtKeyRef ref) {
  return g_hash_table_lookup(a->by_ref, ref_key(ref));
}

/* Whether `l` holds a key of `ref`: by the shorter of its keys and the
 * ref's holders. */
static bool listener_holds(const Adversaries *a, const Listener *l, KtKeyRef ref) {
  const GArray *holders = holders_of(a, ref);
  if (!holders)
    return false;
  if (holders->len <= l->keys->len) {
    for (guint h = 0; h < holders->len; h++)
      if (g_array_index(holders, Holder, h).l == l)
        return true;
  } else {
    for (guint i = 0; i < l->keys->len; i++)
      if (kt_ref_equal(g_array_index(l->keys, KtKey, i).ref, ref))
        return true;
  }
  return false;
}

/* `l` now holds `key` (indexed so that wraps under it find `l`). A key of
 * a ref it already holds is not taken (the first one stays, as before). */
static void learn(Adversaries *a, Listener *l, const KtKey *key) {
  if (listener_holds(a, l, key->ref))
    return;
  GArray *holders = holders_of(a, key->ref);
  if (!holders) {
    holders = g_array_new(FALSE, FALSE, sizeof(Holder));
    g_hash_table_insert(a->by_ref, ref_key(key->ref), holders);
  }
  Holder nh = {l, l->keys->len};
  g_array_append_vals(l->keys, key, 1);
  g_array_append_val(holders, nh);
}

static bool hears_any(const Adversaries *a, const Listener *l, const uint32_t *cells,
                      uint32_t n_cells) {
  if (a->cfg.all_cells)
    return true;
  for (uint32_t i = 0; i < n_cells; i++)
    if (l->hears ? l->hears[cells[i]] != 0 : cells[i] == l->cell)
      return true;
  return false;
}

static void holders_free(gpointer p) {
  g_array_free(p, TRUE);
}

/* ------------------------------------------------------------ recordings */

static void data_unref(KtData *d) {
  if (d)
    g_rc_box_release(d);
}

/* The chain of recordings under `ref` heard on `cell` (own-cell; with
 * all-cells the cell is always 0); NULL if there is none and !create.
 * Valid until the next chain is created. */
static Chain *chain_of(Adversaries *a, KtKeyRef ref, uint32_t cell, bool create) {
  FlatKey key = {ref_u64(ref), cell}; /* (cell < 2^26: never FLAT_KEY_NONE) */
  if (!create)
    return flat_map_find(a->chains, key);
  bool added;
  Chain *c = flat_map_insert(a->chains, key, &added);
  if (added)
    *c = (Chain){NO_REC, NO_REC};
  return c;
}

static Rec *rec_at(const Adversaries *a, uint32_t i) {
  return (Rec *)g_ptr_array_index(a->log, i >> LOG_CHUNK_BITS) + (i & (LOG_CHUNK - 1));
}

static KtKeyRef rec_under(const Rec *r) {
  return r->data ? r->data->key : r->wrap.under;
}

/* Appends log[i] to its chain. */
static void chain_append(Adversaries *a, uint32_t i) {
  Rec *r = rec_at(a, i);
  r->next = NO_REC;
  Chain *c = chain_of(a, rec_under(r), r->cell, true);
  if (c->last == NO_REC)
    c->first = i;
  else
    rec_at(a, c->last)->next = i;
  c->last = i;
}

/* Whether a joiner that joined at `join` may need a recording made at `t`:
 * it tries at most what was transmitted in [join - record-before-join,
 * join) (a rejoiner less: JoinWait.from). */
static bool in_window(const Adversaries *a, double t, double join) {
  return t >= join - a->cfg.record_before_join && t < join;
}

static int cmp_double(gconstpointer pa, gconstpointer pb) {
  double x = *(const double *)pa, y = *(const double *)pb;
  return x < y ? -1 : x > y;
}

/* Drops every recording no joiner can still need: a joiner still waiting
 * for its keys needs its window, a future one (joining at `now` or later)
 * needs nothing before now - record-before-join. The log is rebuilt (and
 * the chains relinked) whenever it has doubled since the last time, so
 * each recording costs O(1) amortised and the log stays within twice what
 * the windows hold. */
static void prune_log(Adversaries *a, double now) {
  GArray *times = a->scratch_times;
  g_array_set_size(times, 0);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, a->waiting);
  while (g_hash_table_iter_next(&it, NULL, &v))
    g_array_append_val(times, ((JoinWait *)v)->time);
  g_array_sort(times, cmp_double);
  double future_from = now - a->cfg.record_before_join;
  guint kept = 0, j = 0;
  for (guint i = 0; i < a->log_len; i++) {
    Rec *r = rec_at(a, i);
    /* the earliest waiting join after r has the earliest window after r */
    while (j < times->len && g_array_index(times, double, j) <= r->time)
      j++;
    bool needed = r->time >= future_from ||
                  (j < times->len && in_window(a, r->time, g_array_index(times, double, j)));
    if (!needed) {
      data_unref(r->data);
      continue;
    }
    if (kept != i)
      *rec_at(a, kept) = *r;
    kept++;
  }
  a->log_len = kept;
  guint chunks = (kept + LOG_CHUNK - 1) / LOG_CHUNK;
  if (a->log->len > chunks)
    g_ptr_array_remove_range(a->log, chunks, a->log->len - chunks);
  flat_map_clear(a->chains);
  for (guint i = 0; i < kept; i++)
    chain_append(a, i);
  a->log_kept = kept;
}

static void record(Adversaries *a, double now, const uint32_t *cells, uint32_t n_cells,
                   const KtWrap *wrap, KtData *data) {
  if (a->cfg.record_before_join <= 0 || n_cells == 0)
    return;
  if (a->log_len >= MAX(2 * a->log_kept, 4096u))
    prune_log(a, now);
  g_assert(a->log_len < NO_REC - n_cells);
  uint32_t n = a->cfg.all_cells ? 1 : n_cells;
  for (uint32_t i = 0; i < n; i++) {
    bool again = false; /* a cell named twice is one transmission there */
    for (uint32_t k = 0; k < i; k++)
      again |= cells[k] == cells[i];
    if (again)
      continue;
    Rec r = {.time = now, .cell = a->cfg.all_cells ? 0 : cells[i]};
    if (data)
      r.data = g_rc_box_acquire(data);
    else
      r.wrap = *wrap;
    if (a->log_len == a->log->len * LOG_CHUNK)
      g_ptr_array_add(a->log, g_new(Rec, LOG_CHUNK));
    *rec_at(a, a->log_len) = r;
    chain_append(a, a->log_len++);
  }
}

/* ------------------------------------------------------------ public API */

Adversaries *adversaries_new(const AdversaryConfig *config) {
  Adversaries *a = g_new0(Adversaries, 1);
  a->cfg = *config;
  a->by_ue = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, listener_free);
  a->by_ref = g_hash_table_new_full(mix_hash, g_direct_equal, NULL, holders_free);
  a->log = g_ptr_array_new_with_free_func(g_free);
  a->chains = flat_map_new(sizeof(Chain));
  a->waiting = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  a->left_at = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  a->moved_from =
      g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
  a->shared = g_hash_table_new(mix_hash, g_direct_equal);
  a->moved = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, listener_free);
  a->scratch_keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
  a->scratch_held = g_hash_table_new(mix_hash, g_direct_equal);
  a->scratch_times = g_array_new(FALSE, FALSE, sizeof(double));
  return a;
}

void adversaries_free(Adversaries *a) {
  if (!a)
    return;
  for (guint i = 0; i < a->log_len; i++)
    data_unref(rec_at(a, i)->data);
  g_ptr_array_free(a->log, TRUE);
  flat_map_free(a->chains);
  g_hash_table_destroy(a->by_ref);
  g_hash_table_destroy(a->by_ue);
  if (a->coalition)
    listener_free(a->coalition);
  g_hash_table_destroy(a->waiting);
  g_hash_table_destroy(a->left_at);
  g_hash_table_destroy(a->moved_from);
  for (uint32_t ue = 0; ue < a->kept_cap; ue++)
    kept_release(a, a->kept[ue]);
  g_free(a->kept);
  g_assert(g_hash_table_size(a->shared) == 0);
  g_hash_table_destroy(a->shared);
  g_hash_table_destroy(a->moved);
  g_array_free(a->scratch_keys, TRUE);
  g_hash_table_destroy(a->scratch_held);
  g_array_free(a->scratch_times, TRUE);
  g_free(a);
}

void adversaries_on_move(Adversaries *a, uint32_t ue, const GArray *keys) {
  /* Only interior keys: a move within the group replaces the UE's
   * sub-group key (the group and private keys stay in its ring), and of
   * each interior key only the newest version it held (older versions
   * open nothing a newer one does not lead to), so the record grows with
   * the sub-groups a UE moved out of, not with its moves. */
  if (ue >= a->kept_cap) { /* a pointer per UE: less than a hash table's entry */
    uint32_t cap = MAX(MAX(ue + 1u, a->cfg.n_ues), a->kept_cap * 2u);
    a->kept = g_renew(gpointer, a->kept, cap);
    memset(a->kept + a->kept_cap, 0, (cap - a->kept_cap) * sizeof(gpointer));
    a->kept_cap = cap;
  }
  gpointer k = a->kept[ue];
  for (guint i = 0; i < keys->len; i++) {
    const KtKey *key = &g_array_index(keys, KtKey, i);
    if (KT_KEY_ID_KIND(key->ref.id) != KT_KEY_SUBGROUP)
      continue;
    guint j = 0;
    while (j < kept_n(k) && (*kept_slot(&k, j))->key.ref.id != key->ref.id)
      j++;
    if (j == kept_n(k)) {
      k = kept_append(k, shared_acquire(a, key));
    } else if ((*kept_slot(&k, j))->key.ref.version < key->ref.version) {
      SharedKey *old = *kept_slot(&k, j);
      *kept_slot(&k, j) = shared_acquire(a, key);
      shared_release(a, old);
    }
  }
  a->kept[ue] = k;
}

/* The keys `ue` kept from its moves, learned by `l` and forgotten here. */
static void learn_kept(Adversaries *a, Listener *l, uint32_t ue) {
  gpointer k = ue < a->kept_cap ? a->kept[ue] : NULL;
  if (!k)
    return;
  for (guint i = 0; i < kept_n(k); i++)
    learn(a, l, &(*kept_slot(&k, i))->key);
  a->kept[ue] = NULL;
  kept_release(a, k);
}

/* The listener that now hears `cell` with `ue`'s keys: the coalition (which
 * then also hears `cell`), or `ue`'s own listener in `table` (departed or
 * moved-away UEs), made on first use and set to listen on `cell` only (its
 * last cell). */
static Listener *listener_at(Adversaries *a, GHashTable *table, uint32_t ue, uint32_t cell) {
  if (a->cfg.collusion) {
    if (!a->coalition)
      a->coalition = listener_new(a, true);
    if (a->coalition->hears)
      a->coalition->hears[cell] = 1;
    return a->coalition;
  }
  Listener *l = g_hash_table_lookup(table, GUINT_TO_POINTER(ue));
  if (!l) {
    l = listener_new(a, false);
    g_hash_table_insert(table, GUINT_TO_POINTER(ue), l);
  }
  l->cell = cell;
  return l;
}

void adversaries_on_move_away(Adversaries *a, uint32_t ue, uint32_t cell, const GArray *keys,
                              double now) {
  g_assert(cell < a->cfg.n_cells);
  Listener *l = listener_at(a, a->moved, ue, cell);
  for (guint i = 0; i < keys->len; i++)
    learn(a, l, &g_array_index(keys, KtKey, i));
  learn_kept(a, l, ue);
  /* a departure from that group (embodiment 2): a later join of it tries
   * only what was sent since (adversaries_on_member_keys) */
  GArray *d = g_hash_table_lookup(a->moved_from, GUINT_TO_POINTER(ue));
  for (guint i = 0; i < keys->len; i++) {
    KtKeyId id = g_array_index(keys, KtKey, i).ref.id;
    if (KT_KEY_ID_KIND(id) != KT_KEY_GROUP)
      continue;
    if (!d) {
      d = g_array_new(FALSE, FALSE, sizeof(Departure));
      g_hash_table_insert(a->moved_from, GUINT_TO_POINTER(ue), d);
    }
    guint j = 0;
    while (j < d->len && g_array_index(d, Departure, j).group != id)
      j++;
    if (j == d->len)
      g_array_set_size(d, d->len + 1);
    g_array_index(d, Departure, j) = (Departure){id, now};
  }
}

/* When `ue` last moved away from the group of key id `group`, or -inf. */
static double moved_away_at(const Adversaries *a, uint32_t ue, KtKeyId group) {
  const GArray *d = g_hash_table_lookup(a->moved_from, GUINT_TO_POINTER(ue));
  for (guint j = 0; d && j < d->len; j++)
    if (g_array_index(d, Departure, j).group == group)
      return g_array_index(d, Departure, j).time;
  return -G_MAXDOUBLE;
}

void adversaries_on_leave(Adversaries *a, uint32_t ue, uint32_t cell, const GArray *keys,
                          double now) {
  g_assert(cell < a->cfg.n_cells);
  g_hash_table_remove(a->waiting, GUINT_TO_POINTER(ue));
  double *t = g_new(double, 1);
  *t = now;
  g_hash_table_replace(a->left_at, GUINT_TO_POINTER(ue), t);
  Listener *l = listener_at(a, a->by_ue, ue, cell);
  if (!a->cfg.collusion)
    l->active = true;
  for (guint i = 0; i < keys->len; i++)
    learn(a, l, &g_array_index(keys, KtKey, i));
  learn_kept(a, l, ue);
}

void adversaries_on_join(Adversaries *a, uint32_t ue, uint32_t cell, const GArray *keys,
                         double now) {
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
  uint32_t n_had = keys ? keys->len : 0;
  JoinWait *w = g_malloc(sizeof *w + n_had * sizeof(KtKeyRef));
  *w = (JoinWait){now, from, cell, n_had};
  for (uint32_t i = 0; i < n_had; i++)
    w->had[i] = g_array_index(keys, KtKey, i).ref;
  g_hash_table_replace(a->waiting, GUINT_TO_POINTER(ue), w);
}

bool adversaries_any_waiting(const Adversaries *a) {
  return g_hash_table_size(a->waiting) > 0;
}

bool adversaries_waiting(const Adversaries *a, uint32_t ue) {
  /* asked at every group key installation: usually nobody is waiting */
  return g_hash_table_size(a->waiting) > 0 &&
         g_hash_table_contains(a->waiting, GUINT_TO_POINTER(ue));
}

/* Adds `key` to the joiner's keys unless it holds that ref already. */
static void hold(Adversaries *a, const KtKey *key) {
  gpointer k = ref_key(key->ref);
  if (g_hash_table_contains(a->scratch_held, k))
    return;
  g_array_append_vals(a->scratch_keys, key, 1);
  g_hash_table_insert(a->scratch_held, k, GUINT_TO_POINTER(a->scratch_keys->len));
}

/* Tries key number `ki` of the joiner's keys on every recording under it in
 * its window; keys opened are added to its keys (and tried in turn). */
static void try_chain(Adversaries *a, const JoinWait *w, guint ki) {
  KtKey key = g_array_index(a->scratch_keys, KtKey, ki); /* the array may grow */
  const Chain *c = chain_of(a, key.ref, a->cfg.all_cells ? 0 : w->cell, false);
  for (uint32_t i = c ? c->first : NO_REC; i != NO_REC;) {
    const Rec *r = rec_at(a, i);
    if (r->time >= w->time)
      break; /* the chain is in time order */
    i = r->next;
    if (r->time < w->from)
      continue;
    if (r->data) {
      unsigned char plain[KT_DATA_MAX_PAYLOAD];
      if (kt_data_open(plain, r->data, &key) != 0)
        continue;
      a->counts.bwd_data++;
    } else {
      KtKey inside;
      if (kt_unwrap(&inside, &r->wrap, &key) != 0)
        continue;
      hold(a, &inside);
      kt_key_wipe(&inside);
    }
    a->counts.bwd_exposures++;
  }
  kt_key_wipe(&key);
}

void adversaries_on_member_keys(Adversaries *a, uint32_t ue, const GArray *keys) {
  JoinWait *w = g_hash_table_lookup(a->waiting, GUINT_TO_POINTER(ue));
  if (!w)
    return;
  /* Only what the join gave it counts: keys it kept from an earlier
   * membership (or opened as a departed listener) it had before joining,
   * and what they open was open to it then (counted as forward if sent
   * after its leave), so those keys are not tried again here. */
  /* The keys in its ring when the join reached the network are such keys
   * too, whether it got them as a member before (a key of the group it
   * moved away from, still on its way then: embodiment 2) or not. A UE
   * that moved away from a group is a departed UE of that group: its
   * listener is in `moved`. */
  const Listener *before[2] = {
      a->cfg.collusion ? a->coalition : g_hash_table_lookup(a->by_ue, GUINT_TO_POINTER(ue)),
      a->cfg.collusion ? NULL : g_hash_table_lookup(a->moved, GUINT_TO_POINTER(ue))};
  GArray *mine = a->scratch_keys;
  g_array_set_size(mine, 0);
  g_hash_table_remove_all(a->scratch_held);
  for (guint i = 0; i < keys->len; i++) {
    const KtKey *k = &g_array_index(keys, KtKey, i);
    bool had = false;
    for (uint32_t h = 0; h < w->n_had; h++)
      had = had || kt_ref_equal(w->had[h], k->ref);
    /* the group this join gave: if the UE moved away from it before, it
     * was a member until then, and entitled to what was sent */
    if (!had && KT_KEY_ID_KIND(k->ref.id) == KT_KEY_GROUP &&
        moved_away_at(a, ue, k->ref.id) > w->from)
      w->from = moved_away_at(a, ue, k->ref.id);
    for (guint b = 0; b < G_N_ELEMENTS(before); b++)
      had = had || (before[b] && listener_holds(a, before[b], k->ref));
    if (!had)
      hold(a, k);
  }
  /* each key it holds or opens is tried once on its chain: together that
   * is everything the old "until nothing more opens" passes opened */
  for (guint i = 0; i < mine->len; i++)
    try_chain(a, w, i);
  for (guint i = 0; i < mine->len; i++)
    kt_key_wipe(&g_array_index(mine, KtKey, i));
  g_array_set_size(mine, 0);
  g_hash_table_remove_all(a->scratch_held);
  g_hash_table_remove(a->waiting, GUINT_TO_POINTER(ue));
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
      GArray *holders = holders_of(a, wraps[w].under);
      for (guint h = 0; holders && h < holders->len; h++) {
        Holder ho = g_array_index(holders, Holder, h);
        if (!ho.l->active || !hears_any(a, ho.l, cells, n_cells))
          continue;
        KtKey inside;
        if (kt_unwrap(&inside, &wraps[w], &g_array_index(ho.l->keys, KtKey, ho.key)) != 0)
          continue;
        if (!counted[w]) {
          counted[w] = true;
          a->counts.fwd_violations++;
        }
        learn(a, ho.l, &inside);
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
  GArray *holders = holders_of(a, d->key);
  for (guint h = 0; holders && h < holders->len; h++) {
    Holder ho = g_array_index(holders, Holder, h);
    if (!ho.l->active || !hears_any(a, ho.l, cells, n_cells))
      continue;
    unsigned char plain[KT_DATA_MAX_PAYLOAD];
    if (kt_data_open(plain, d, &g_array_index(ho.l->keys, KtKey, ho.key)) == 0) {
      a->counts.fwd_violations++;
      a->counts.fwd_data++;
      return; /* counted once, whoever opens it */
    }
  }
}

AdversaryCounts adversaries_counts(const Adversaries *a) {
  return a->counts;
}
