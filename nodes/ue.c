/* ue.c — the UE (see ue.h). A wrap under a newer version of a key it holds
 * waits in its pending list (ue_pending.h) until that version arrives (the new sub-group
 * key may still be on the dedicated channel when the group key arrives on
 * the common channel).
 *
 * Data: at each cell, every listener hears the packet; whether it holds the
 * packet's key is bookkeeping (its current or previous group key has the
 * packet's id and version). With verify_data the same check is done by real
 * decryption and disagreements are counted, so tests can show the two agree.
 *
 * The UE's state and key ring are ue_ring.c's, its own procedures (join,
 * leave, move) ue_actions.c's. The holders of a common-channel key
 * assignment are served a transmission at a time by ue_common.c, which
 * falls back on ue_on_wraps_from here (ue_private.h) for a holder it
 * cannot serve plainly.
 */
#include "nodes/ue.h"

#include <string.h>

#include "nodes/ue_actions.h"
#include "nodes/ue_common.h"
#include "nodes/ue_private.h"

#define UE_REPAIR_WAIT 1.0 /* s: how long a moved member lets a wrap wait (key repair) */
#define UE_TIMER_REPAIR 3u /* the key repair's timer (beside ue_recovery.h's and ue_nas.h's) */

/* A move to another RNC's group in embodiment 2 is a leave and a join
 * (docs/flows.md, "Handover"), so a new membership as a rejoin is one. Its
 * old keys stay in its ring and in the index until the first key
 * assignment of its new group reaches it (or the move's confirm, should
 * none come): by then the old RNC has planned the leave and the network's
 * observers have copied what it held. Until then a node-key UE is indexed
 * under RADIO_INDEX_ANY, as a joiner is (set in ue_actions.c, do_move). */
static void end_regroup(Net *net, uint32_t ue) {
  UeState *st = st_of(net, ue);
  if (!st->regroup)
    return;
  st->regroup = 0;
  bool waiting = st->waiting;
  ue_forget_for_rejoin(net, ue);
  /* what it missed of its old group is no concern of its new one: compared
   * with the new group's key, the old group's newer versions it saw would
   * have it ask forever */
  if (ues(net)->recovery)
    ue_recovery_reset(ues(net)->recovery, ue);
  if (waiting) {
    st->waiting = 1;
    radio_index_add(net->radio, ue, RADIO_INDEX_ANY, &st->link);
  }
}

/* ------------------------------------------------ wraps kept waiting
 *
 * The UE's pending wraps (ue_pending.h: its own list, in arrival order).
 * The drops below test one UE's wraps, the UE's own rule each. */

typedef struct {
  const Net *net;
  uint32_t ue;
  KtKeyId id; /* under_id's key id */
} KeptCtx;

/* Drops `ue`'s kept wraps that `match` (NULL: all). */
static void drop_kept(Net *net, uint32_t ue, UePendingMatch match, KtKeyId id) {
  UeState *st = st_of(net, ue);
  if (!st->pends)
    return;
  KeptCtx c = {net, ue, id};
  st->pends = ue_pending_drop(ues(net)->pending, ue, match, &c) > 0;
}

/* A wrap under the key id `id`. */
static bool under_id(const UePendingWrap *w, void *ctx) {
  return w->wrap.under.id == ((const KeptCtx *)ctx)->id;
}

/* Node keys (LKH), a move within the group that gives the UE a new path
 * (embodiment 1, another RNC; with batch rekeying, any move: it is a leave
 * and a join; docs/flows.md, "Handover"): its new path comes point-to-point
 * in one key assignment ending with the group key (only a UE's whole path
 * does). The node keys it held before its last move (its first
 * `move_nodes` slots) that are not in that message are no longer its path:
 * they leave the index and its ring, as a rejoin's old path does. Keys it
 * got since (a split above its new place) are kept. */
static void end_move_path(Net *net, uint32_t ue, const Msg *msg) {
  UeState *st = st_of(net, ue);
  if (st->move_nodes == 0 || msg->n_wraps == 0 ||
      KT_KEY_ID_KIND(msg->wraps[msg->n_wraps - 1].key.id) != KT_KEY_GROUP)
    return;
  for (int i = st->move_nodes - 1; i >= 0; i--) {
    bool kept = false;
    for (uint8_t w = 0; w < msg->n_wraps && !kept; w++)
      kept = msg->wraps[w].key.id == st->nodes[i].id;
    if (kept)
      continue;
    KtKeyId gone = st->nodes[i].id;
    if (st->nodes[i].key != KEY_POOL_NONE)
      radio_index_remove(net->radio, ue, gone, &st->nodes[i].link);
    ue_slot_set(net, &st->nodes[i].key, NULL);
    ue_slot_set(net, &st->nodes[i].prev, NULL);
    ue_slot_set(net, &st->nodes[i].older, NULL);
    /* the links name UEs, not places: the entries may move */
    memmove(&st->nodes[i], &st->nodes[i + 1], (size_t)(st->n_nodes - i - 1) * sizeof(UeNode));
    st->n_nodes--;
    /* wraps it kept under a newer version of that key will not open */
    drop_kept(net, ue, under_id, gone);
  }
  st->move_nodes = 0;
}

/* Key repair of a moved member (docs/flows.md, "Key repair"): a wrap it
 * keeps under a newer version of a node key it holds. That version may
 * have gone to its old cell during its move's gap, where it no longer
 * heard it; the group-key check of the move's key repair does not see it. */
static bool repairable(const Net *net, uint32_t ue, const UePendingWrap *p) {
  const UeState *st = st_of(net, ue);
  if (!st->moved || !st->member || p->asked || !kt_tree_node_keys(net->tree) ||
      KT_KEY_ID_KIND(p->wrap.under.id) != KT_KEY_SUBGROUP)
    return false;
  const KtKey *held = ue_held_key(net, ue, p->wrap.under.id);
  return held && held->ref.id == p->wrap.under.id && held->ref.version != 0 &&
         held->ref.version < p->wrap.under.version;
}

/* The key repair's timer (docs/flows.md, "Key repair"): set, if it is not
 * already, for when the longest-waiting repairable wrap not asked for yet
 * will have waited UE_REPAIR_WAIT. One timer per UE at a time; a wrap
 * that opens meanwhile leaves it to fire for nothing. While a move is in
 * progress nothing is asked (its confirm arms the timer again). */
static void arm_repair(Net *net, uint32_t ue) {
  UeState *st = st_of(net, ue);
  if (st->repair_armed || !st->moved || !st->member || !st->pends)
    return;
  guint n;
  const UePendingWrap *kept = ue_pending_of(ues(net)->pending, ue, &n);
  double oldest = -1.0;
  for (guint i = 0; i < n; i++) {
    const UePendingWrap *p = &kept[i];
    if (repairable(net, ue, p) && (oldest < 0.0 || p->since < oldest))
      oldest = p->since;
  }
  if (oldest < 0.0)
    return;
  double delay = oldest + UE_REPAIR_WAIT - sim_now();
  if (delay <= 1e-9 && st->busy != UE_IDLE)
    return; /* due, but asked only when idle (check_repair) */
  st->repair_armed = 1;
  net_set_timer(net, (NetElement){NET_UE, ue}, MAX(delay, 0.0), UE_TIMER_REPAIR);
}

static void pend(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap) {
  const UePendingWrap *again = ues(net)->again;
  UePendingWrap p = {.seq = seq,
                     .wrap = *wrap,
                     .since = again ? again->since : sim_now(),
                     .asked = again ? again->asked : 0};
  ue_pending_add(ues(net)->pending, ue, &p);
  st_of(net, ue)->pends = 1;
  arm_repair(net, ue);
  if (ues(net)->recovery && st_of(net, ue)->member)
    ue_recovery_waiting(net, ues(net)->recovery, ue); /* it may never come */
}

/* The key repair's timer fired (arm_repair): the repairable wraps that
 * have waited UE_REPAIR_WAIT are asked for, once, in one MBMS key request
 * naming the oldest one's event (the RNC answers with every key of the
 * UE's place, rnc.c). Asking at the next key assignment it hears instead
 * left a wrap waiting for good when none came (the end of key traffic). */
static void check_repair(Net *net, uint32_t ue) {
  const UeState *st = st_of(net, ue);
  if (!st->moved || !st->member || st->busy != UE_IDLE || !st->pends)
    return;
  guint n;
  UePendingWrap *kept = ue_pending_of(ues(net)->pending, ue, &n);
  const UePendingWrap *oldest = NULL; /* (the first to arrive of equal ages) */
  for (guint i = 0; i < n; i++) {
    UePendingWrap *p = &kept[i];
    if (!repairable(net, ue, p) || p->since + UE_REPAIR_WAIT > sim_now() + 1e-9)
      continue;
    if (!oldest || p->since < oldest->since)
      oldest = p;
    p->asked = 1;
  }
  if (!oldest)
    return;
  Msg msg;
  msg_init(&msg, MSG_KEY_REQUEST, oldest->seq);
  msg.ue = ue;
  msg.cell = radio_ue_cell(net->radio, ue);
  net_send_dch_up(net, ue, &msg);
}

static void process_wrap(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap);
static void compute_keys(Net *net, uint32_t ue, uint32_t seq);

/* The UE installed a key: its kept wraps are taken out and processed
 * again, in arrival order (ue_pending.h); pend keeps those that still do
 * not open, at the end of its list in the same order. */
static void retry_pending(Net *net, uint32_t ue) {
  UeState *st = st_of(net, ue);
  if (!st->pends)
    return;
  UePendingList *mine = ue_pending_take(ues(net)->pending, ue);
  st->pends = 0; /* pend sets it again for what is kept once more */
  for (guint i = 0; i < mine->len; i++) {
    const UePendingWrap *p = &mine->w[i];
    const UePendingWrap *outer = ues(net)->again; /* (installs nest) */
    ues(net)->again = p;
    process_wrap(net, ue, p->seq, &p->wrap);
    ues(net)->again = outer;
  }
  g_free(mine);
}

/* Node keys: a UE whose leave was accepted stops waiting for the node keys
 * still on their way to it (its own decision, on the deactivation accept:
 * the RNC sends it no key after the leave). Other schemes keep theirs (a
 * newer version of a key it holds can still come and open the wrap). */
static void drop_pending(Net *net, uint32_t ue) {
  drop_kept(net, ue, NULL, 0);
}

/* A wrap under a key id the UE has no slot for. */
static bool not_held(const UePendingWrap *w, void *ctx) {
  const KeptCtx *c = ctx;
  return !ue_held_key(c->net, c->ue, w->wrap.under.id);
}

/* The end of a joiner's wait (see above): the wraps it kept under node ids
 * it does not hold now were not for it. */
static void end_wait(Net *net, uint32_t ue) {
  UeState *st = st_of(net, ue);
  if (!st->waiting)
    return;
  radio_index_remove(net->radio, ue, RADIO_INDEX_ANY, &st->link);
  st->waiting = 0;
  drop_kept(net, ue, not_held, 0);
}

static void install(Net *net, uint32_t ue, uint32_t seq, const KtKey *key) {
  UeState *st = st_of(net, ue);
  if (KT_KEY_ID_KIND(key->ref.id) == KT_KEY_PRIVATE)
    return; /* a private key is never delivered */
  UeSlot *slot = ue_key_slot(net, ue, key->ref.id, true);
  if (!slot)
    return;
  /* a different id is a new sub-group (or group, after moving RNC in
   * embodiment 2); the same id only moves forward */
  const KtKey *cur = k_of(net, *slot);
  if (cur->ref.id == key->ref.id && cur->ref.version >= key->ref.version)
    return;
  if (slot == &st->group && cur->ref.id == key->ref.id) {
    /* kept for data still sealed under it */
    key_pool_release(ues(net)->keys, st->prev_group);
    st->prev_group = st->group;
    st->group = KEY_POOL_NONE;
  }
  if (ue_indexed_kind(key->ref.id))
    ue_index_slot(net, ue, slot, key->ref.id);
  ue_node_slot_set(net, st, slot, key);
  if (KT_KEY_ID_KIND(key->ref.id) == KT_KEY_GROUP && net->obs.on_group_install)
    net->obs.on_group_install(net->obs.ctx, ue, seq, key->ref);
  if (KT_KEY_ID_KIND(key->ref.id) == KT_KEY_SUBGROUP)
    compute_keys(net, ue, seq);
  retry_pending(net, ue);
}

/* Members that compute keys (kt_tree_member_computes: oft, sd): each
 * one-way function or PRG evaluation is counted as one unwrap of the UE
 * (docs/schemes.md). */
static void count_evals(Net *net, uint32_t ue, guint evals) {
  for (guint i = 0; net->obs.on_unwrap && i < evals; i++)
    net->obs.on_unwrap(net->obs.ctx, (NetElement){NET_UE, ue}, true);
}

/* oft: node keys of nodes that no longer exist (a leave moved the UE's
 * subtree up) are dropped once the member has caught up (it holds its
 * scope's current group key), after a key assignment: until then a path
 * key's version made before the node went may still need them (kt_oft.c),
 * and the tree deletes a node when the leave is planned, before the
 * member has heard of it. */
static void drop_gone_nodes(Net *net, uint32_t ue) {
  UeState *st = st_of(net, ue);
  if (!st->computed)
    return;
  if (kt_tree_is_member(net->tree, ue)) {
    uint32_t rnc = net_rnc_of_cell(net, kt_tree_ue_cell(net->tree, ue));
    KtKeyRef current = kt_tree_group_key(net->tree, kt_tree_scope_of_rnc(net->tree, rnc))->ref;
    if (!kt_ref_equal(k_of(net, st->group)->ref, current))
      return; /* not caught up yet */
  }
  st->computed = 0;
  for (uint8_t i = 0; i < st->n_nodes;) {
    KtKeyId id = st->nodes[i].id;
    if (kt_tree_key(net->tree, id) == NULL) {
      if (st->nodes[i].key != KEY_POOL_NONE)
        radio_index_remove(net->radio, ue, id, &st->nodes[i].link);
      ue_slot_set(net, &st->nodes[i].key, NULL);
      ue_slot_set(net, &st->nodes[i].prev, NULL);
      ue_slot_set(net, &st->nodes[i].older, NULL);
      st->nodes[i] = st->nodes[--st->n_nodes];
    } else {
      i++;
    }
  }
}

/* oft: after a new leaf or blinded key, the path keys it now gives (each
 * installed, the group key last). The keys of nodes that no longer exist
 * are dropped once the whole key assignment is processed
 * (drop_gone_nodes). */
static void compute_keys(Net *net, uint32_t ue, uint32_t seq) {
  if (!kt_tree_member_computes(net->tree) || !st_of(net, ue)->member)
    return;
  UeState *st = st_of(net, ue);
  st->computed = 1;
  /* what it holds: each node key with the version it replaced, and both
   * group keys (a path key's version is computed from the inputs it was
   * mixed from, which need not be the newest: kt_oft.c) */
  const KtKey *held[3 * UINT8_MAX + 2];
  guint n_held = 0;
  for (uint8_t i = 0; i < st->n_nodes; i++) {
    held[n_held++] = k_of(net, st->nodes[i].key);
    if (st->nodes[i].prev != KEY_POOL_NONE)
      held[n_held++] = k_of(net, st->nodes[i].prev);
    if (st->nodes[i].older != KEY_POOL_NONE)
      held[n_held++] = k_of(net, st->nodes[i].older);
  }
  if (st->group != KEY_POOL_NONE)
    held[n_held++] = k_of(net, st->group);
  if (st->prev_group != KEY_POOL_NONE)
    held[n_held++] = k_of(net, st->prev_group);
  KtKey out[2 * KT_PLAN_MAX_KEYS];
  guint evals = 0;
  guint n = kt_tree_member_compute(net->tree, ue, held, n_held, out, G_N_ELEMENTS(out), &evals);
  count_evals(net, ue, evals);
  for (guint i = 0; i < n; i++) {
    UeSlot *slot = KT_KEY_ID_KIND(out[i].ref.id) == KT_KEY_PRIVATE
                       ? NULL
                       : ue_key_slot(net, ue, out[i].ref.id, true);
    if (KT_KEY_ID_KIND(out[i].ref.id) == KT_KEY_GROUP) {
      install(net, ue, seq, &out[i]); /* data, observers, pending wraps */
    } else if (slot) {
      ue_index_slot(net, ue, slot, out[i].ref.id); /* computed keys are held too */
      ue_node_slot_set(net, st, slot, &out[i]);
    }
    kt_key_wipe(&out[i]);
  }
}

/* sd: a wrap under a subset key the UE's labels give. */
static bool open_derived(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap) {
  KtKey under;
  guint evals = 0;
  if (!kt_tree_member_open(net->tree, ue, wrap->under, &under, &evals))
    return false;
  count_evals(net, ue, evals);
  KtKey key;
  if (net_unwrap(net, (NetElement){NET_UE, ue}, &key, wrap, &under)) {
    install(net, ue, seq, &key);
    kt_key_wipe(&key);
  }
  kt_key_wipe(&under);
  return true;
}

/* The node key `ref` if the UE kept it as one of the two versions its slot
 * replaced. */
static const KtKey *previous_node_key(const Net *net, uint32_t ue, KtKeyRef ref) {
  const UeState *st = st_of(net, ue);
  for (uint8_t i = 0; i < st->n_nodes; i++) {
    if (st->nodes[i].id != ref.id)
      continue;
    const KtKey *prev = k_of(net, st->nodes[i].prev);
    if (prev->ref.version == ref.version)
      return prev;
    const KtKey *older = k_of(net, st->nodes[i].older);
    return older->ref.version == ref.version ? older : NULL;
  }
  return NULL;
}

static void process_wrap(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap) {
  const KtKey *held = ue_held_key(net, ue, wrap->under.id);
  if (held == NULL && kt_tree_member_computes(net->tree) && open_derived(net, ue, seq, wrap))
    return;
  if (!held && kt_tree_node_keys(net->tree) && !kt_tree_stateless(net->tree) &&
      KT_KEY_ID_KIND(wrap->under.id) == KT_KEY_SUBGROUP) {
    /* node keys: the tree made this UE a holder of a node key (a split
     * above it, or its own join) that is still on its way: keep the wrap;
     * unless the node is gone (a later event deleted it): nobody sends
     * its key any more */
    if (kt_tree_key(net->tree, wrap->under.id) != NULL)
      pend(net, ue, seq, wrap);
    return;
  }
  if (st_of(net, ue)->busy == UE_MOVING && KT_KEY_ID_KIND(wrap->under.id) == KT_KEY_SUBGROUP &&
      (!held || held->ref.id != wrap->under.id)) {
    /* a mover's new sub-group key may still be on the dedicated channel
     * while its new sub-group hears the group key: keep the wrap (what is
     * left when the move's confirm comes is dropped then) */
    pend(net, ue, seq, wrap);
    return;
  }
  if (!held || held->ref.version == 0 || held->ref.id != wrap->under.id)
    return; /* not under a key this UE has: not for it */
  if (held->ref.version < wrap->under.version) {
    pend(net, ue, seq, wrap);
    return;
  }
  if (held->ref.version > wrap->under.version) {
    /* made under a node key version this UE has replaced since: it still
     * opens with the version kept (a blinded key sent under it may be one
     * the UE has not got otherwise); else stale */
    held = previous_node_key(net, ue, wrap->under);
    if (held == NULL)
      return;
  }
  KtKey key;
  if (!net_unwrap(net, (NetElement){NET_UE, ue}, &key, wrap, held))
    return;
  install(net, ue, seq, &key);
  kt_key_wipe(&key);
}

/* Real decryption with each group key the member holds, the ref forced to
 * the packet's so that only the key bytes decide. */
static bool opens_for_real(const Net *net, const KtData *d, const UeState *st) {
  const KtKey *held[] = {k_of(net, st->group), k_of(net, st->prev_group)};
  for (size_t i = 0; i < G_N_ELEMENTS(held); i++) {
    if (held[i]->ref.version == 0)
      continue;
    KtKey probe = *held[i];
    probe.ref = d->key;
    unsigned char plain[KT_DATA_MAX_PAYLOAD];
    bool ok = kt_data_open(plain, d, &probe) == 0;
    kt_key_wipe(&probe);
    if (ok)
      return true;
  }
  return false;
}

/* A data packet heard on the UE's cell. */
static void on_data(Net *net, uint32_t ue, const KtData *d) {
  const UeState *st = st_of(net, ue);
  KtKeyRef group = k_of(net, st->group)->ref;
  bool holds = kt_ref_equal(group, d->key) || kt_ref_equal(k_of(net, st->prev_group)->ref, d->key);
  if (ues(net)->recovery && st->member && d->key.id == group.id && d->key.version > group.version)
    ue_recovery_seen(net, ues(net)->recovery, ue, d->key); /* sealed under a key it lacks */
  if (net->cfg.verify_data && opens_for_real(net, d, st) != holds)
    ues(net)->verify_mismatches++;
  if (net->obs.on_data_members)
    net->obs.on_data_members(net->obs.ctx, 1, holds ? 0 : 1);
}

/* A wrap names in the clear a newer version of the group key the UE holds
 * (it delivers it, or is made under it): the UE may have missed one. */
static void note_newer(Net *net, uint32_t ue, const KtWrap *w) {
  const UeState *st = st_of(net, ue);
  if (!ues(net)->recovery || !st->member)
    return;
  const KtKeyRef refs[] = {w->key, w->under};
  KtKeyRef group = k_of(net, st->group)->ref;
  for (size_t i = 0; i < G_N_ELEMENTS(refs); i++)
    if (refs[i].id == group.id && refs[i].version > group.version + (i == 0))
      ue_recovery_seen(net, ues(net)->recovery, ue, refs[i]);
}

/* Whether the UE keeps wraps waiting. */
static bool has_pending(const Net *net, uint32_t ue) {
  return st_of(net, ue)->pends;
}

/* The move is over: wraps kept for a sub-group key it does not hold (its
 * new one came first, or it was never its) are not for it. */
static bool foreign(const UePendingWrap *w, void *ctx) {
  const KeptCtx *c = ctx;
  if (KT_KEY_ID_KIND(w->wrap.under.id) != KT_KEY_SUBGROUP)
    return false;
  const KtKey *held = ue_held_key(c->net, c->ue, w->wrap.under.id);
  return !held || held->ref.id != w->wrap.under.id;
}

static void drop_foreign_pending(Net *net, uint32_t ue) {
  drop_kept(net, ue, foreign, 0);
}

/* A key assignment to this UE, or heard on its cell: its wraps. */
void ue_on_key_assignment(Net *net, uint32_t self, const Msg *msg) {
  ue_on_wraps_from(net, self, msg, 0);
}

/* on_key_assignment from the message's wrap `first` on (those before it
 * were processed: ue_on_common's plain path, which runs without recovery,
 * the only part that reads the group key held before the message). */
void ue_on_wraps_from(Net *net, uint32_t self, const Msg *msg, uint8_t first) {
  UeState *st = st_of(net, self);
  uint32_t held = k_of(net, st->group)->ref.version;
  for (uint8_t i = first; i < msg->n_wraps; i++) {
    note_newer(net, self, &msg->wraps[i]);
    process_wrap(net, self, msg->seq, &msg->wraps[i]);
  }
  drop_gone_nodes(net, self);
  if (ues(net)->recovery && st->member && kt_tree_stateless(net->tree) &&
      k_of(net, st->group)->ref.version > held)
    ue_recovery_superseded(ues(net)->recovery, self); /* (a stateless scheme) */
  /* multicast rounds (recovery.h): a newer group key heard on the cell
   * answers a request as the unicast answer would */
  if (ues(net)->recovery && net->cfg.loss.multicast_rounds > 0 && msg->mode == MSG_P2M &&
      k_of(net, st->group)->ref.version > held)
    ue_recovery_answered(ues(net)->recovery, self, has_pending(net, self));
}

static void ue_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                          const KtData *data) {
  (void)from;
  if (data) {
    on_data(net, self, data);
    return;
  }
  UeState *st = st_of(net, self);
  if (ues(net)->nas && msg->ue == self && msg->type == MSG_ACTIVATE_ACCEPT)
    ue_nas_done(ues(net)->nas, self, UE_NAS_JOIN);
  if (ues(net)->nas && msg->ue == self && msg->type == MSG_DEACTIVATE_ACCEPT) {
    ue_nas_done(ues(net)->nas, self, UE_NAS_LEAVE);
    /* a leave that replaced an unanswered join ends that join too */
    if (st->busy == UE_JOINING && !st->member) {
      st->busy = UE_IDLE;
      ue_run_waiting(net, self);
    }
  }
  if ((msg->type == MSG_ACTIVATE_ACCEPT && st->busy == UE_JOINING) ||
      (msg->type == MSG_CELL_UPDATE_CONFIRM && st->busy == UE_MOVING)) {
    if (st->busy == UE_MOVING) {
      end_regroup(net, self);
      drop_foreign_pending(net, self);
      end_wait(net, self);
    }
    st->busy = UE_IDLE;
    arm_repair(net, self); /* (wraps that waited through the move) */
    ue_run_waiting(net, self);
    return;
  }
  /* point-to-point: addressed to this UE; point-to-multipoint: heard on its
   * cell. Accepts are signalling only: the keys came in the key assignment. */
  /* node keys: the accept of its leave ends the wait for node keys that
   * were on their way (unless it has rejoined since: then it waits for its
   * new path's keys) */
  if (msg->type == MSG_DEACTIVATE_ACCEPT && msg->ue == self && !st_of(net, self)->member &&
      kt_tree_node_keys(net->tree)) {
    end_wait(net, self);
    drop_pending(net, self);
  }
  if (msg->type == MSG_KEY_ASSIGNMENT && msg->mode == MSG_P2P && msg->ue == self)
    end_regroup(net, self); /* its new group's keys */
  if (msg->type == MSG_KEY_ASSIGNMENT && (msg->mode == MSG_P2M || msg->ue == self)) {
    ue_on_key_assignment(net, self, msg);
  } else if (msg->type == MSG_KEY_RECOVERY && msg->ue == self && ues(net)->recovery) {
    for (uint8_t i = 0; i < msg->n_wraps; i++)
      process_wrap(net, self, msg->seq, &msg->wraps[i]);
    drop_gone_nodes(net, self);
    ue_recovery_answered(ues(net)->recovery, self, has_pending(net, self));
  }
  if (msg->type == MSG_KEY_ASSIGNMENT && msg->mode == MSG_P2P && msg->ue == self) {
    end_move_path(net, self, msg);
    end_wait(net, self);
  }
}

/* Wraps waiting at `ue` under a node key it does not hold and the tree no
 * longer has (a later event deleted the node after they were sent): no
 * key will ever open them, and a key request cannot bring one. */
static bool vanished(const UePendingWrap *w, void *ctx) {
  const KeptCtx *c = ctx;
  return KT_KEY_ID_KIND(w->wrap.under.id) == KT_KEY_SUBGROUP &&
         !ue_held_key(c->net, c->ue, w->wrap.under.id) &&
         kt_tree_key(c->net->tree, w->wrap.under.id) == NULL;
}

static void drop_vanished_pending(Net *net, uint32_t ue) {
  if (kt_tree_node_keys(net->tree))
    drop_kept(net, ue, vanished, 0);
}

/* NAS (ue_nas.h): T3380 or T3390 expired with no accept. */
static void on_nas_timer(Net *net, uint32_t self, uint32_t timer) {
  UeNasProc proc;
  uint32_t seq;
  UeNasDue due = ue_nas_due(net, ues(net)->nas, self, timer, &proc, &seq);
  if (due == UE_NAS_RESEND) {
    ue_send_context_request(net, self, proc == UE_NAS_JOIN ? MSG_ACTIVATE_REQ : MSG_DEACTIVATE_REQ,
                            seq);
  } else if (due == UE_NAS_ABORT && proc == UE_NAS_JOIN) {
    /* TS 24.008: the activation is aborted; the UE is no member as it
     * sees it (a leave already started replaced the join) */
    UeState *st = st_of(net, self);
    st->member = 0;
    if (st->busy == UE_JOINING) {
      st->busy = UE_IDLE;
      ue_run_waiting(net, self);
    }
  }
  /* a leave aborted: deactivated locally (member is 0 already) */
}

/* Recovery (ue_recovery.h): the timer fired; ask the RNC if still missing. */
static void ue_on_timer(Net *net, uint32_t self, uint32_t timer) {
  if (UE_TIMER_KIND(timer) == UE_TIMER_NAS && ues(net)->nas) {
    on_nas_timer(net, self, timer);
    return;
  }
  if (timer == UE_TIMER_REPAIR) {
    st_of(net, self)->repair_armed = 0;
    check_repair(net, self);
    arm_repair(net, self); /* wraps that began to wait since */
    return;
  }
  g_assert(timer == UE_TIMER_RECOVERY && ues(net)->recovery);
  drop_vanished_pending(net, self);
  const UeState *st = st_of(net, self);
  if (!ue_recovery_due(net, ues(net)->recovery, self, st->member, k_of(net, st->group)->ref,
                       has_pending(net, self)))
    return;
  Msg msg;
  msg_init(&msg, MSG_KEY_REQUEST, NET_NO_SEQ);
  msg.ue = self;
  msg.cell = radio_ue_cell(net->radio, self);
  net_send_dch_up(net, self, &msg);
}

static void ue_init(Net *net, const KtKey *core_key) {
  (void)core_key; /* a UE never holds it */
  Ues *u = g_new0(Ues, 1);
  u->ue = g_new0(UeState, net->cfg.ue_capacity ? net->cfg.ue_capacity : 1);
  u->pending = ue_pending_new();
  if (net->cfg.loss.recovery)
    u->recovery = ue_recovery_new(net->cfg.ue_capacity);
  if (net->cfg.loss.nas)
    u->nas = ue_nas_new();
  u->waiting =
      g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
  u->keys = key_pool_new();
  u->node_arrays = block_slab_new();
  u->installs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  net->state[NET_UE] = u;
  radio_index_set_links(net->radio, ue_index_link, net);
}

static void ue_fini(Net *net) {
  Ues *u = ues(net);
  for (uint32_t i = 0; i < net->cfg.ue_capacity; i++) {
    UeState *st = &u->ue[i];
    ue_slot_set(net, &st->subgroup, NULL);
    ue_slot_set(net, &st->group, NULL);
    ue_wipe_nodes(net, st);
    ue_slot_set(net, &st->prev_group, NULL);
  }
  g_assert(key_pool_size(u->keys) == 0);
  key_pool_free(u->keys);
  block_slab_free(u->node_arrays);
  g_free(u->ue);
  ue_pending_free(u->pending);
  g_array_free(u->installs, TRUE);
  ue_recovery_free(u->recovery);
  ue_nas_free(u->nas);
  g_hash_table_destroy(u->waiting);
  g_free(u);
  net->state[NET_UE] = NULL;
}

/* node.h's prefetch: the UE's state into the cache. */
static void ue_prefetch(const Net *net, uint32_t self) {
  ue_fetch_state(net, self);
}

/* The UE's radio on a key-assignment block (node.h's on_block). */
static void ue_on_block(Net *net, uint32_t self, uint32_t block, bool lost) {
  if (ues(net)->recovery && st_of(net, self)->member)
    ue_recovery_block(net, ues(net)->recovery, self, block, lost);
}

const NodeOps ue_ops = {.name = "ue",
                        .init = ue_init,
                        .on_message = ue_on_message,
                        .on_timer = ue_on_timer,
                        .fini = ue_fini,
                        .on_block = ue_on_block,
                        .on_common = ue_on_common,
                        .prefetch = ue_prefetch};

void ue_sync_from_tree(Net *net, uint32_t ue) {
  const KtKey *keys[2 * KT_PLAN_MAX_KEYS + 1]; /* oft: leaf, 2 per level, group */
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  if (kt_tree_node_keys(net->tree)) {
    guint new_nodes = 0;
    for (guint i = 0; i < n; i++)
      new_nodes += KT_KEY_ID_KIND(keys[i]->ref.id) == KT_KEY_SUBGROUP &&
                   !ue_key_slot(net, ue, keys[i]->ref.id, false);
    ue_reserve_nodes(net, st_of(net, ue), new_nodes); /* the path at once, exactly */
  }
  for (guint i = 0; i < n; i++) {
    if (KT_KEY_ID_KIND(keys[i]->ref.id) == KT_KEY_PRIVATE)
      continue; /* held by reference (ue_own_private) */
    UeSlot *slot = ue_key_slot(net, ue, keys[i]->ref.id, true);
    if (ue_indexed_kind(keys[i]->ref.id))
      ue_index_slot(net, ue, slot, keys[i]->ref.id);
    ue_slot_set(net, slot, keys[i]);
  }
}

void ue_set_member(Net *net, uint32_t ue) {
  st_of(net, ue)->member = 1;
}

void ue_request_keys(Net *net, uint32_t ue) {
  g_assert(radio_ue_seen(net->radio, ue));
  Msg msg;
  msg_init(&msg, MSG_KEY_REQUEST, NET_NO_SEQ);
  msg.ue = ue;
  msg.cell = radio_ue_cell(net->radio, ue);
  net_send_dch_up(net, ue, &msg);
}

uint64_t ue_recovery_gave_up(const Net *net) {
  return ue_recovery_abandoned(ues(net)->recovery);
}

uint64_t ue_nas_resent(const Net *net) {
  return ue_nas_retransmissions(ues(net)->nas);
}

uint64_t ue_nas_gave_up(const Net *net) {
  return ue_nas_aborted(ues(net)->nas);
}

/* ---------------------------------------------------------- inspection */

bool ue_holds_group_key(const Net *net, uint32_t ue, const KtKey *key) {
  const KtKey *held = k_of(net, st_of(net, ue)->group);
  return kt_ref_equal(held->ref, key->ref) && memcmp(held->bytes, key->bytes, KT_KEYBYTES) == 0;
}

/* Every key UE `ue` holds (version != 0) into `out`; the previous group
 * key (kept only to read late data) with `with_previous`. Returns the count. */
#define UE_MAX_KEYS (4u + 128u) /* priv, subgroup, group, previous, node keys */
static guint held_keys(const Net *net, uint32_t ue, bool with_previous,
                       const KtKey *out[UE_MAX_KEYS], KtKey *scratch) {
  const UeState *st = st_of(net, ue);
  guint n = 0;
  const KtKey *priv = ue_own_private(net, ue, scratch);
  if (priv != NULL)
    out[n++] = priv;
  const UeSlot fixed[] = {st->subgroup, st->group, with_previous ? st->prev_group : KEY_POOL_NONE};
  for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
    if (fixed[i] != KEY_POOL_NONE)
      out[n++] = k_of(net, fixed[i]);
  for (uint8_t i = 0; i < st->n_nodes; i++)
    if (st->nodes[i].key != KEY_POOL_NONE)
      out[n++] = k_of(net, st->nodes[i].key);
  return n;
}

uint32_t ue_keys_held(const Net *net, uint32_t ue) {
  const KtKey *held[UE_MAX_KEYS];
  KtKey scratch;
  guint n = held_keys(net, ue, false, held, &scratch);
  kt_key_wipe(&scratch);
  /* sd: plus the labels it holds but the simulation derives on demand */
  return n + kt_tree_member_implicit_keys(net->tree, ue);
}

bool ue_can_open(const Net *net, uint32_t ue, const KtWrap *wrap) {
  const KtKey *held[UE_MAX_KEYS];
  KtKey scratch;
  guint n_held = held_keys(net, ue, true, held, &scratch);
  bool opened = false;
  for (guint i = 0; i < n_held && !opened; i++) {
    /* real decryption with whatever the UE holds, refs forced to match, so
     * that only the key bytes decide */
    KtKey probe = *held[i];
    probe.ref = wrap->under;
    KtKey out;
    opened = kt_unwrap(&out, wrap, &probe) == 0;
    kt_key_wipe(&probe);
    if (opened)
      kt_key_wipe(&out);
  }
  kt_key_wipe(&scratch);
  return opened;
}

void ue_copy_keys(const Net *net, uint32_t ue, GArray *out) {
  const KtKey *held[UE_MAX_KEYS];
  KtKey scratch;
  guint n = held_keys(net, ue, true, held, &scratch);
  for (guint i = 0; i < n; i++)
    g_array_append_vals(out, held[i], 1);
  kt_key_wipe(&scratch);
}

uint64_t ue_data_verify_mismatches(const Net *net) {
  return ues(net)->verify_mismatches;
}

uint32_t ue_pending_wraps(const Net *net) {
  return ue_pending_count(ues(net)->pending);
}

static bool is_member(uint32_t ue, const void *net) {
  return st_of(net, ue)->member;
}

uint32_t ue_member_pending_wraps(const Net *net) {
  return ue_pending_count_of(ues(net)->pending, is_member, net);
}
