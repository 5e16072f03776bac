/* ue.c — the UE (see ue.h). A wrap under a newer version of a key it holds
 * waits in the pending list until that version arrives (the new sub-group
 * key may still be on the dedicated channel when the group key arrives on
 * the common channel).
 *
 * Data: at each cell, every listener hears the packet; whether it holds the
 * packet's key is bookkeeping (its current or previous group key has the
 * packet's id and version). With verify_data the same check is done by real
 * decryption and disagreements are counted, so tests can show the two agree.
 */
#include "nodes/ue.h"

#include <string.h>

#include "nodes/radio.h"
#include "nodes/ue_recovery.h"

/* What a UE holds. Versions 0 mean "not held". 168 bytes per UE, plus,
 * with node keys (LKH), the interior keys of its path (40 bytes each). */
typedef struct {
  KtKey priv, subgroup, group;
  KtKey *nodes;               /* node keys: interior (non-root) keys held, any order */
  uint8_t n_nodes, cap_nodes; /* used / allocated entries of `nodes` */
  uint8_t member;             /* joined and not left (as the UE sees it) */
  KtKey prev_group;           /* the group key before `group`: data sealed under it
                               * may still arrive (switch-delay) */
} UeState;

/* A wrap a UE received under a newer version of a key it holds: kept until
 * the UE installs that version. */
typedef struct {
  uint32_t ue, seq;
  KtWrap wrap;
} PendingWrap;

typedef struct {
  UeState *ue; /* per UE id */
  GArray *pending;
  uint64_t verify_mismatches;
  UeRecovery *recovery; /* with [reliability] recovery; NULL otherwise */
} Ues;

static Ues *ues(const Net *net) {
  return net->state[NET_UE];
}

static UeState *st_of(const Net *net, uint32_t ue) {
  g_assert(ue < net->cfg.ue_capacity);
  return &ues(net)->ue[ue];
}

static void forget_nodes(UeState *st) {
  for (uint8_t i = 0; i < st->n_nodes; i++)
    kt_key_wipe(&st->nodes[i]);
  g_free(st->nodes);
  st->nodes = NULL;
  st->n_nodes = st->cap_nodes = 0;
}

/* The UE's copy of key `id` (its slot), or NULL; with `create`, a node key
 * not held yet gets a new, empty (version 0) slot. */
static KtKey *key_slot(const Net *net, uint32_t ue, KtKeyId id, bool create) {
  UeState *st = st_of(net, ue);
  switch (KT_KEY_ID_KIND(id)) {
  case KT_KEY_PRIVATE:
    return &st->priv;
  case KT_KEY_SUBGROUP:
    if (!kt_tree_node_keys(net->tree))
      return &st->subgroup;
    for (uint8_t i = 0; i < st->n_nodes; i++)
      if (st->nodes[i].ref.id == id)
        return &st->nodes[i];
    if (!create)
      return NULL;
    if (st->n_nodes == st->cap_nodes) {
      g_assert(st->cap_nodes < 128);
      uint8_t cap = st->cap_nodes ? (uint8_t)(st->cap_nodes * 2) : 4;
      st->nodes = g_renew(KtKey, st->nodes, cap);
      st->cap_nodes = cap;
    }
    KtKey *slot = &st->nodes[st->n_nodes++];
    memset(slot, 0, sizeof *slot);
    return slot;
  case KT_KEY_GROUP:
    return &st->group;
  default:
    return NULL;
  }
}

static void pend(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap) {
  PendingWrap p = {.ue = ue, .seq = seq, .wrap = *wrap};
  g_array_append_val(ues(net)->pending, p);
  if (ues(net)->recovery && st_of(net, ue)->member)
    ue_recovery_waiting(net, ues(net)->recovery, ue); /* it may never come */
}

static void process_wrap(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap);

static void retry_pending(Net *net, uint32_t ue) {
  /* the list is short (only wraps racing their key); take this UE's out,
   * then process them again */
  GArray *pending = ues(net)->pending;
  GArray *mine = NULL;
  for (guint i = 0; i < pending->len;) {
    PendingWrap *p = &g_array_index(pending, PendingWrap, i);
    if (p->ue != ue) {
      i++;
      continue;
    }
    if (!mine)
      mine = g_array_new(FALSE, FALSE, sizeof(PendingWrap));
    g_array_append_val(mine, *p);
    g_array_remove_index_fast(pending, i);
  }
  if (!mine)
    return;
  for (guint i = 0; i < mine->len; i++) {
    PendingWrap *p = &g_array_index(mine, PendingWrap, i);
    process_wrap(net, p->ue, p->seq, &p->wrap);
  }
  g_array_free(mine, TRUE);
}

static void install(Net *net, uint32_t ue, uint32_t seq, const KtKey *key) {
  UeState *st = st_of(net, ue);
  KtKey *slot = key_slot(net, ue, key->ref.id, true);
  if (!slot || KT_KEY_ID_KIND(key->ref.id) == KT_KEY_PRIVATE)
    return; /* a private key is never delivered */
  /* a different id is a new sub-group (or group, after moving RNC in
   * embodiment 2); the same id only moves forward */
  if (slot->ref.id == key->ref.id && slot->ref.version >= key->ref.version)
    return;
  if (slot == &st->group && slot->ref.id == key->ref.id) {
    kt_key_wipe(&st->prev_group); /* kept for data still sealed under it */
    st->prev_group = *slot;
  }
  kt_key_wipe(slot);
  *slot = *key;
  if (KT_KEY_ID_KIND(key->ref.id) == KT_KEY_GROUP && net->obs.on_group_install)
    net->obs.on_group_install(net->obs.ctx, ue, seq, key->ref);
  retry_pending(net, ue);
}

static void process_wrap(Net *net, uint32_t ue, uint32_t seq, const KtWrap *wrap) {
  KtKey *held = key_slot(net, ue, wrap->under.id, false);
  if (!held && kt_tree_node_keys(net->tree) && KT_KEY_ID_KIND(wrap->under.id) == KT_KEY_SUBGROUP) {
    /* node keys: the tree made this UE a holder of a node key (a split
     * above it, or its own join) that is still on its way: keep the wrap */
    pend(net, ue, seq, wrap);
    return;
  }
  if (!held || held->ref.version == 0 || held->ref.id != wrap->under.id)
    return; /* not under a key this UE has: not for it */
  if (held->ref.version < wrap->under.version) {
    pend(net, ue, seq, wrap);
    return;
  }
  if (held->ref.version > wrap->under.version)
    return; /* stale: made for a key this UE has already replaced */
  KtKey key;
  if (!net_unwrap(net, (NetElement){NET_UE, ue}, &key, wrap, held))
    return;
  install(net, ue, seq, &key);
  kt_key_wipe(&key);
}

/* Real decryption with each group key the member holds, the ref forced to
 * the packet's so that only the key bytes decide. */
static bool opens_for_real(const KtData *d, const UeState *st) {
  const KtKey *held[] = {&st->group, &st->prev_group};
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
  bool holds = kt_ref_equal(st->group.ref, d->key) || kt_ref_equal(st->prev_group.ref, d->key);
  if (ues(net)->recovery && st->member && d->key.id == st->group.ref.id &&
      d->key.version > st->group.ref.version)
    ue_recovery_seen(net, ues(net)->recovery, ue, d->key); /* sealed under a key it lacks */
  if (net->cfg.verify_data && opens_for_real(d, st) != holds)
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
  for (size_t i = 0; i < G_N_ELEMENTS(refs); i++)
    if (refs[i].id == st->group.ref.id && refs[i].version > st->group.ref.version + (i == 0))
      ue_recovery_seen(net, ues(net)->recovery, ue, refs[i]);
}

static void ue_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                          const KtData *data) {
  (void)from;
  if (data) {
    on_data(net, self, data);
    return;
  }
  /* point-to-point: addressed to this UE; point-to-multipoint: heard on its
   * cell. Accepts are signalling only: the keys came in the key assignment. */
  if (msg->type == MSG_KEY_ASSIGNMENT && (msg->mode == MSG_P2M || msg->ue == self)) {
    for (uint8_t i = 0; i < msg->n_wraps; i++) {
      note_newer(net, self, &msg->wraps[i]);
      process_wrap(net, self, msg->seq, &msg->wraps[i]);
    }
  } else if (msg->type == MSG_KEY_RECOVERY && msg->ue == self && ues(net)->recovery) {
    ue_recovery_answered(ues(net)->recovery, self);
    for (uint8_t i = 0; i < msg->n_wraps; i++)
      process_wrap(net, self, msg->seq, &msg->wraps[i]);
  }
}

static bool has_pending(const Net *net, uint32_t ue) {
  const GArray *pending = ues(net)->pending;
  for (guint i = 0; i < pending->len; i++)
    if (g_array_index(pending, PendingWrap, i).ue == ue)
      return true;
  return false;
}

/* Recovery (ue_recovery.h): the timer fired; ask the RNC if still missing. */
static void ue_on_timer(Net *net, uint32_t self, uint32_t timer) {
  g_assert(timer == UE_TIMER_RECOVERY && ues(net)->recovery);
  const UeState *st = st_of(net, self);
  if (!ue_recovery_due(net, ues(net)->recovery, self, st->member, st->group.ref,
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
  u->pending = g_array_new(FALSE, FALSE, sizeof(PendingWrap));
  if (net->cfg.loss.recovery)
    u->recovery = ue_recovery_new(net->cfg.ue_capacity);
  net->state[NET_UE] = u;
}

static void ue_fini(Net *net) {
  Ues *u = ues(net);
  for (uint32_t i = 0; i < net->cfg.ue_capacity; i++) {
    UeState *st = &u->ue[i];
    kt_key_wipe(&st->priv);
    kt_key_wipe(&st->subgroup);
    kt_key_wipe(&st->group);
    forget_nodes(st);
    kt_key_wipe(&st->prev_group);
  }
  g_free(u->ue);
  g_array_free(u->pending, TRUE);
  ue_recovery_free(u->recovery);
  g_free(u);
  net->state[NET_UE] = NULL;
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
                        .on_block = ue_on_block};

/* ------------------------------------------------------------- actions */

void ue_appear(Net *net, uint32_t ue, uint32_t cell) {
  g_assert(ue < net->cfg.ue_capacity);
  g_assert(cell < net->n_cells);
  if (radio_camp(net->radio, ue, cell))
    kt_keygen_private(net->keygen, &st_of(net, ue)->priv, ue);
}

void ue_start_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  ue_appear(net, ue, cell);
  /* node keys: a rejoining UE starts a new path; the node keys of its old
   * one (kept while it was away) are dropped, so that its key list stays
   * its path */
  UeState *st = st_of(net, ue);
  forget_nodes(st);
  st->member = 1;
  if (ues(net)->recovery)
    ue_recovery_reset(ues(net)->recovery, ue);
  Msg msg;
  msg_init(&msg, MSG_ACTIVATE_REQ, seq);
  msg.ue = ue;
  msg.cell = cell;
  net_send_dch_up(net, ue, &msg);
}

void ue_start_leave(Net *net, uint32_t ue, uint32_t seq) {
  g_assert(radio_ue_seen(net->radio, ue));
  /* The UE stops being a member from its own point of view, but keeps every
   * key it holds: a departed UE is a potential eavesdropper. */
  st_of(net, ue)->member = 0;
  Msg msg;
  msg_init(&msg, MSG_DEACTIVATE_REQ, seq);
  msg.ue = ue;
  msg.cell = radio_ue_cell(net->radio, ue);
  net_send_dch_up(net, ue, &msg);
}

void ue_sync_from_tree(Net *net, uint32_t ue) {
  const KtKey *keys[KT_PLAN_MAX_KEYS];
  guint n = kt_tree_ue_keys(net->tree, ue, keys, G_N_ELEMENTS(keys));
  for (guint i = 0; i < n; i++) {
    KtKey *slot = key_slot(net, ue, keys[i]->ref.id, true);
    *slot = *keys[i];
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

void ue_drop_pending(Net *net, uint32_t ue) {
  GArray *pending = ues(net)->pending;
  for (guint i = 0; i < pending->len;) {
    if (g_array_index(pending, PendingWrap, i).ue == ue)
      g_array_remove_index(pending, i);
    else
      i++;
  }
}

/* ---------------------------------------------------------- inspection */

bool ue_holds_group_key(const Net *net, uint32_t ue, const KtKey *key) {
  const KtKey *held = &st_of(net, ue)->group;
  return kt_ref_equal(held->ref, key->ref) && memcmp(held->bytes, key->bytes, KT_KEYBYTES) == 0;
}

/* Every key UE `ue` holds (version != 0) into `out`; the previous group
 * key (kept only to read late data) with `with_previous`. Returns the count. */
#define UE_MAX_KEYS (4u + 128u) /* priv, subgroup, group, previous, node keys */
static guint held_keys(const UeState *st, bool with_previous, const KtKey *out[UE_MAX_KEYS]) {
  guint n = 0;
  const KtKey *fixed[] = {&st->priv, &st->subgroup, &st->group, &st->prev_group};
  for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
    if (fixed[i]->ref.version != 0 && (with_previous || fixed[i] != &st->prev_group))
      out[n++] = fixed[i];
  for (uint8_t i = 0; i < st->n_nodes; i++)
    if (st->nodes[i].ref.version != 0)
      out[n++] = &st->nodes[i];
  return n;
}

uint32_t ue_keys_held(const Net *net, uint32_t ue) {
  const KtKey *held[UE_MAX_KEYS];
  return held_keys(st_of(net, ue), false, held);
}

bool ue_can_open(const Net *net, uint32_t ue, const KtWrap *wrap) {
  const KtKey *held[UE_MAX_KEYS];
  guint n_held = held_keys(st_of(net, ue), true, held);
  for (guint i = 0; i < n_held; i++) {
    /* real decryption with whatever the UE holds, refs forced to match, so
     * that only the key bytes decide */
    KtKey probe = *held[i];
    probe.ref = wrap->under;
    KtKey out;
    bool ok = kt_unwrap(&out, wrap, &probe) == 0;
    kt_key_wipe(&probe);
    if (ok) {
      kt_key_wipe(&out);
      return true;
    }
  }
  return false;
}

void ue_copy_keys(const Net *net, uint32_t ue, GArray *out) {
  const KtKey *held[UE_MAX_KEYS];
  guint n = held_keys(st_of(net, ue), true, held);
  for (guint i = 0; i < n; i++)
    g_array_append_vals(out, held[i], 1);
}

uint64_t ue_data_verify_mismatches(const Net *net) {
  return ues(net)->verify_mismatches;
}

uint32_t ue_pending_wraps(const Net *net) {
  return ues(net)->pending->len;
}

uint32_t ue_member_pending_wraps(const Net *net) {
  uint32_t n = 0;
  const GArray *pending = ues(net)->pending;
  for (guint i = 0; i < pending->len; i++)
    n += st_of(net, g_array_index(pending, PendingWrap, i).ue)->member;
  return n;
}
