/* ue_common.c — a point-to-multipoint key assignment heard by the holders
 * of its key, in one call per transmission (node.h's on_common).
 *
 * A point-to-multipoint key assignment reaches tens of holders of one key
 * (at 100 000 members, a sub-group of 64), and nearly all of them do the
 * same: open the one wrap under the key they all hold and install the
 * group key inside. For a holder that is plain for a wrap (not moving,
 * nothing kept pending, a scheme whose members hold a sub-group and a
 * group key and get keys whole, no recovery) ue_on_common does here
 * exactly what ue.c's process_wrap would, with what the transmission's first
 * such holder found:
 *   - the open is that holder's: the memo holds (key_pool_ref) the pool
 *     entry of the key it opened with and that of the key it got, so a
 *     holder whose slot names the same entry holds the same bytes, for as
 *     long as the memo lives; one with another entry opens for itself;
 *   - the install takes one more reference to the key's entry, and lets
 *     go of the holder's oldest group key's: counted for a run of holders
 *     at once (PoolCounts), as nothing reads the counts in between;
 *   - the unwraps and installs are reported once per transmission
 *     (NetObserver.on_ue_unwraps, on_group_installs) with the counts of
 *     the one-by-one reports; before any holder runs process_wrap itself,
 *     what was gathered is reported, so the observer sees the reports in
 *     the one-by-one order but for the unwraps of a run of holders coming
 *     before their installs (the two count different things).
 * With crypto = per-ue every holder runs ue_on_key_assignment (the reference
 * the shared mode is compared with, tests/test_crypto_share.c). */
#include "nodes/ue_common.h"

#include "nodes/ue_private.h"

typedef struct {
  UeSlot under;  /* the entry the wrap was opened with (held); KEY_POOL_NONE: no memo yet */
  UeSlot result; /* the entry of the key it opened to (held); KEY_POOL_NONE: it did not open */
  KtKeyRef ref;  /* result's */
} OpenMemo;

/* References taken and let go by a run of plain holders, not yet counted
 * in the key pool: every holder of a transmission takes the same entry
 * (the key opened) and nearly all let go of the same one (the group key
 * before theirs), so one count each replaces a pool call per holder
 * (about a fifth of a holder's instructions). Counted (pool_counts_flush)
 * before anything else can read or change the pool: before a holder
 * takes the full path, before the reports, at the end. Deferring a
 * release only keeps an entry a little longer; taking first, then
 * letting go, frees nothing early. */
typedef struct {
  UeSlot take; /* KEY_POOL_NONE: none */
  uint32_t n_take;
  UeSlot drop; /* KEY_POOL_NONE: none */
  uint32_t n_drop;
} PoolCounts;

typedef struct {
  OpenMemo memo[MSG_MAX_WRAPS];
  PoolCounts counts;
  uint32_t n_ok, n_failed; /* unwraps not reported yet */
  uint64_t repeats;        /* opens answered from a memo */
  uint32_t seq;            /* what ues(net)->installs installed */
  KtKeyRef ref;
  guint n_installs; /* of ues(net)->installs, sized to the transmission's holders */
  UeSlot group;     /* the group key entry last met at a holder, and its ref */
  KtKeyRef group_ref;
} CommonBatch;

/* Whether this run's holders can take the plain path at all. */
static bool plain_path(const Net *net) {
  return net->unwrap_share && !ues(net)->recovery && !kt_tree_node_keys(net->tree) &&
         !kt_tree_member_computes(net->tree) && !kt_tree_stateless(net->tree) &&
         (!net->obs.on_unwrap || net->obs.on_ue_unwraps) &&
         (!net->obs.on_group_install || net->obs.on_group_installs);
}

static void flush_take(const Net *net, PoolCounts *c) {
  key_pool_ref_n(ues(net)->keys, c->take, c->n_take);
  c->take = KEY_POOL_NONE;
  c->n_take = 0;
}

static void flush_drop(const Net *net, PoolCounts *c) {
  if (c->drop == c->take)
    flush_take(net, c); /* (taken first: a release never frees early) */
  key_pool_release_n(ues(net)->keys, c->drop, c->n_drop);
  c->drop = KEY_POOL_NONE;
  c->n_drop = 0;
}

static void pool_counts_flush(const Net *net, PoolCounts *c) {
  flush_take(net, c);
  flush_drop(net, c);
}

/* key_pool_ref(h), counted later; h is in use (the memo holds it). */
static UeSlot take_later(const Net *net, PoolCounts *c, UeSlot h) {
  if (h != c->take) {
    flush_take(net, c);
    c->take = h;
  }
  c->n_take++;
  return h;
}

/* key_pool_release(h), counted later. */
static void drop_later(const Net *net, PoolCounts *c, UeSlot h) {
  if (h == KEY_POOL_NONE)
    return;
  if (h != c->drop) {
    flush_drop(net, c);
    c->drop = h;
  }
  c->n_drop++;
}

static void report_batch(Net *net, CommonBatch *b) {
  pool_counts_flush(net, &b->counts);
  if ((b->n_ok || b->n_failed) && net->obs.on_unwrap)
    net->obs.on_ue_unwraps(net->obs.ctx, b->n_ok, b->n_failed);
  b->n_ok = b->n_failed = 0;
  if (b->n_installs && net->obs.on_group_install)
    net->obs.on_group_installs(net->obs.ctx, (const uint32_t *)(void *)ues(net)->installs->data,
                               b->n_installs, b->seq, b->ref);
  b->n_installs = 0;
}

/* The group key entry cached is none (whose ref is always right): an entry
 * freed and taken again (key_pool_hold) would be another key. */
static void forget_group(const Net *net, CommonBatch *b) {
  b->group = KEY_POOL_NONE;
  b->group_ref = k_of(net, KEY_POOL_NONE)->ref;
}

/* install() of the group key `ref` in pool entry `h` at plain holder `ue`. */
static void install_plain(Net *net, CommonBatch *b, uint32_t ue, uint32_t seq, UeSlot h,
                          KtKeyRef ref) {
  UeState *st = st_of(net, ue);
  KeyPool *keys = ues(net)->keys;
  if (st->group != b->group) { /* (most holders hold the same entry) */
    b->group = st->group;
    b->group_ref = k_of(net, st->group)->ref;
  }
  KtKeyRef cur = b->group_ref;
  if (cur.id == ref.id && cur.version >= ref.version)
    return;
  if (b->n_installs && (b->seq != seq || !kt_ref_equal(b->ref, ref)))
    report_batch(net, b); /* (the reports of one ref and event go together) */
  if (cur.id == ref.id) { /* (nearly every holder) */
    drop_later(net, &b->counts, st->prev_group);
    st->prev_group = st->group;
    st->group = take_later(net, &b->counts, h);
  } else {
    pool_counts_flush(net, &b->counts);
    UeSlot was = st->group;
    st->group = key_pool_ref(keys, h);
    key_pool_release(keys, was);
  }
  b->seq = seq;
  b->ref = ref;
  g_array_index(ues(net)->installs, uint32_t, b->n_installs++) = ue;
}

/* The rest of process_wrap once plain holder `ue` opened the memo's wrap. */
static void plain_opened(Net *net, CommonBatch *b, uint32_t ue, uint32_t seq, const OpenMemo *m) {
  if (m->result == KEY_POOL_NONE) {
    b->n_failed++;
    return;
  }
  b->n_ok++;
  install_plain(net, b, ue, seq, m->result, m->ref);
}

/* process_wrap(ue, seq, w) for a plain holder: true if done here (w opened
 * with the memo's entry and its key installed, or dropped as process_wrap
 * drops it); false, with nothing done, if the holder must run process_wrap
 * (it keeps the wrap, or opens it with other bytes, or w is not a group key
 * under a sub-group or group key). */
static bool plain_wrap(Net *net, CommonBatch *b, uint32_t ue, uint32_t seq, const KtWrap *w,
                       OpenMemo *m) {
  const UeState *st = st_of(net, ue);
  UeSlot h;
  switch (KT_KEY_ID_KIND(w->under.id)) {
  case KT_KEY_SUBGROUP:
    h = st->subgroup;
    break;
  case KT_KEY_GROUP:
    h = st->group;
    break;
  default:
    return false;
  }
  if (KT_KEY_ID_KIND(w->key.id) != KT_KEY_GROUP || st->n_nodes != 0)
    return false;
  if (h != KEY_POOL_NONE && h == m->under) { /* the memo's key: it opens as it did */
    b->repeats++;
    plain_opened(net, b, ue, seq, m);
    return true;
  }
  const KtKey *held = k_of(net, h);
  if (held->ref.version == 0 || held->ref.id != w->under.id || held->ref.version > w->under.version)
    return true; /* not for it, or under a version it replaced: dropped */
  if (held->ref.version < w->under.version)
    return false; /* it waits for that version (pend) */
  if (m->under != KEY_POOL_NONE)
    return false; /* other bytes than the memo's: it opens for itself */
  KeyPool *keys = ues(net)->keys;
  pool_counts_flush(net, &b->counts); /* (the pool takes a new entry here) */
  KtKey key = {0};
  int rc = net_open(net, &key, w, held);
  m->under = key_pool_ref(keys, h);
  m->result = rc == 0 ? key_pool_hold(keys, &key) : KEY_POOL_NONE;
  m->ref = key.ref;
  kt_key_wipe(&key);
  forget_group(net, b);
  plain_opened(net, b, ue, seq, m);
  return true;
}

/* on_key_assignment(ue, msg) on the plain path where it can be taken. */
static void common_holder(Net *net, CommonBatch *b, uint32_t ue, const Msg *msg) {
  const UeState *st = st_of(net, ue);
  uint8_t i = 0;
  if (st->busy != UE_MOVING && !st->pends)
    while (i < msg->n_wraps && plain_wrap(net, b, ue, msg->seq, &msg->wraps[i], &b->memo[i]))
      i++;
  if (i == msg->n_wraps && msg->n_wraps == 1)
    return;
  /* a holder's reports go before anything else it does, and before a later
   * wrap of the message changes its keys (observers read them) */
  report_batch(net, b);
  if (i == msg->n_wraps)
    return;
  forget_group(net, b);
  ue_on_wraps_from(net, ue, msg, i);
}

/* How far ahead of its turn, in holders, a holder's state is fetched, and
 * (read from the state, once it has come) its likely node key and the
 * observer's records for it. One holder's fetches at a time, spread over
 * the loop. With lkh in embodiment 1 (scenarios/bench.ini) this and the
 * one node-key line (not the path's 4-5) measured 0.35 -> 0.24 us per
 * member per leave at 300 000 members (medians of 4), 8 % less at a million,
 * against fetching chunks of 16 holders' states and whole node-key arrays
 * at once; distances of 4, 12, 24 and 48 were no better. */
#define UE_FETCH_STATE 8u
#define UE_FETCH_REST 4u

/* What UE `*ue` reads through its state, fetched earlier: the node-key line
 * it likely opens `msg` with, and the observer's records (hints). */
static void fetch_rest(const Net *net, const uint32_t *ue, const Msg *msg, bool node_keys) {
  if (node_keys) {
    const UeNode *likely = ue_node_likely(net, &ues(net)->ue[*ue], msg->wraps[0].under.id);
    if (likely)
      __builtin_prefetch(&likely->id);
  }
  if (net->obs.on_common_reach)
    net->obs.on_common_reach(net->obs.ctx, ue, 1);
}

/* node.h's on_common: a point-to-multipoint key assignment heard by the UEs
 * `to` of one cell, each in turn, none lost. Of ue_on_message only the key
 * assignment's part applies to it (the accepts, confirms and
 * point-to-point parts test a type or a mode it does not have), so that is
 * what each UE runs, as it would one by one; the call per transmission
 * (not per UE) lets the next UEs' states be fetched while a UE
 * runs: the holders of a key are spread over the UE array, a cache miss
 * each otherwise. */
void ue_on_common(Net *net, const uint32_t *to, guint n, NetElement from, const Msg *msg) {
  (void)from;
  g_assert(msg->type == MSG_KEY_ASSIGNMENT && msg->mode == MSG_P2M);
  bool plain = plain_path(net);
  CommonBatch b;
  b.n_ok = b.n_failed = 0;
  b.repeats = 0;
  b.n_installs = 0;
  b.counts = (PoolCounts){KEY_POOL_NONE, 0, KEY_POOL_NONE, 0};
  forget_group(net, &b);
  if (plain && ues(net)->installs->len < n)
    g_array_set_size(ues(net)->installs, n); /* (one install per holder at most) */
  for (uint8_t w = 0; w < msg->n_wraps; w++)
    b.memo[w] = (OpenMemo){KEY_POOL_NONE, KEY_POOL_NONE, {0, 0}};
  bool node_keys = kt_tree_node_keys(net->tree);
  for (guint i = 0; i < MIN(n, UE_FETCH_STATE); i++)
    ue_fetch_state(net, to[i]);
  for (guint i = 0; i < MIN(n, UE_FETCH_REST); i++)
    fetch_rest(net, &to[i], msg, node_keys);
  for (guint i = 0; i < n; i++) {
    if (i + UE_FETCH_STATE < n)
      ue_fetch_state(net, to[i + UE_FETCH_STATE]);
    if (i + UE_FETCH_REST < n)
      fetch_rest(net, &to[i + UE_FETCH_REST], msg, node_keys);
    if (plain)
      common_holder(net, &b, to[i], msg);
    else
      ue_on_key_assignment(net, to[i], msg);
  }
  if (!plain)
    return;
  report_batch(net, &b);
  for (uint8_t w = 0; w < msg->n_wraps; w++) {
    key_pool_release(ues(net)->keys, b.memo[w].under);
    key_pool_release(ues(net)->keys, b.memo[w].result);
  }
  net_open_repeats(net, b.repeats);
}
