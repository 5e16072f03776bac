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

/* What a UE holds. Versions 0 mean "not held". 168 bytes per UE, plus,
 * with node keys (LKH), the interior keys of its path (40 bytes each). */
typedef struct {
  KtKey priv, subgroup, group;
  KtKey *nodes;               /* node keys: interior (non-root) keys held, any order */
  uint8_t n_nodes, cap_nodes; /* used / allocated entries of `nodes` */
  uint8_t member;             /* joined and not left (as the UE sees it) */
  uint8_t busy;               /* UE_IDLE, or the procedure in progress (handover) */
  KtKey prev_group;           /* the group key before `group`: data sealed under it
                               * may still arrive (switch-delay) */
} UeState;

/* A wrap a UE received under a newer version of a key it holds: kept until
 * the UE installs that version. */
typedef struct {
  uint32_t ue, seq;
  KtWrap wrap;
} PendingWrap;

/* Handover serialisation (docs/flows.md, "Handover"): a move waits until
 * the UE's join (its accept) or previous move (its confirm) is complete;
 * a join or leave that falls due while a move waits or is in progress
 * waits behind it. Joins and leaves of a UE that never moves wait for
 * nothing, as before mobility existed. */
enum { UE_IDLE = 0, UE_JOINING, UE_MOVING };
typedef enum { ACT_JOIN, ACT_LEAVE, ACT_MOVE } UeActionKind;
typedef struct {
  UeActionKind kind;
  uint32_t cell, seq;
} UeAction;

typedef struct {
  UeState *ue; /* per UE id */
  GArray *pending;
  GHashTable *waiting; /* ue -> GArray of UeAction, in order; only UEs that wait */
  uint64_t verify_mismatches;
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
  if (net->cfg.verify_data && opens_for_real(d, st) != holds)
    ues(net)->verify_mismatches++;
  if (net->obs.on_data_members)
    net->obs.on_data_members(net->obs.ctx, 1, holds ? 0 : 1);
}

static void run_waiting(Net *net, uint32_t ue);

/* The move is over: wraps kept for a sub-group key it does not hold (its
 * new one came first, or it was never its) are not for it. */
static void drop_foreign_pending(Net *net, uint32_t ue) {
  GArray *pending = ues(net)->pending;
  for (guint i = 0; i < pending->len;) {
    const PendingWrap *p = &g_array_index(pending, PendingWrap, i);
    const KtKey *held = p->ue == ue ? key_slot(net, ue, p->wrap.under.id, false) : NULL;
    if (p->ue == ue && KT_KEY_ID_KIND(p->wrap.under.id) == KT_KEY_SUBGROUP &&
        (!held || held->ref.id != p->wrap.under.id))
      g_array_remove_index(pending, i);
    else
      i++;
  }
}

static void ue_on_message(Net *net, uint32_t self, NetElement from, const Msg *msg,
                          const KtData *data) {
  (void)from;
  if (data) {
    on_data(net, self, data);
    return;
  }
  UeState *st = st_of(net, self);
  if ((msg->type == MSG_ACTIVATE_ACCEPT && st->busy == UE_JOINING) ||
      (msg->type == MSG_CELL_UPDATE_CONFIRM && st->busy == UE_MOVING)) {
    if (st->busy == UE_MOVING)
      drop_foreign_pending(net, self);
    st->busy = UE_IDLE;
    run_waiting(net, self);
    return;
  }
  /* point-to-point: addressed to this UE; point-to-multipoint: heard on its
   * cell. Accepts are signalling only: the keys came in the key assignment. */
  if (msg->type == MSG_KEY_ASSIGNMENT && (msg->mode == MSG_P2M || msg->ue == self))
    for (uint8_t i = 0; i < msg->n_wraps; i++)
      process_wrap(net, self, msg->seq, &msg->wraps[i]);
}

static void ue_init(Net *net, const KtKey *core_key) {
  (void)core_key; /* a UE never holds it */
  Ues *u = g_new0(Ues, 1);
  u->ue = g_new0(UeState, net->cfg.ue_capacity ? net->cfg.ue_capacity : 1);
  u->pending = g_array_new(FALSE, FALSE, sizeof(PendingWrap));
  u->waiting =
      g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
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
  g_hash_table_destroy(u->waiting);
  g_free(u);
  net->state[NET_UE] = NULL;
}

const NodeOps ue_ops = {
    .name = "ue", .init = ue_init, .on_message = ue_on_message, .fini = ue_fini};

/* ------------------------------------------------------------- actions */

void ue_appear(Net *net, uint32_t ue, uint32_t cell) {
  g_assert(ue < net->cfg.ue_capacity);
  g_assert(cell < net->n_cells);
  if (radio_camp(net->radio, ue, cell))
    kt_keygen_private(net->keygen, &st_of(net, ue)->priv, ue);
}

/* Queues an action behind a handover; true if it must wait (a move
 * waits also behind a join in progress). */
static bool must_wait(Net *net, uint32_t ue, UeActionKind kind, uint32_t cell, uint32_t seq) {
  Ues *u = ues(net);
  GArray *q = g_hash_table_lookup(u->waiting, GUINT_TO_POINTER(ue));
  uint8_t busy = st_of(net, ue)->busy;
  bool wait = q != NULL || busy == UE_MOVING || (kind == ACT_MOVE && busy != UE_IDLE);
  if (!wait)
    return false;
  if (q == NULL) {
    q = g_array_new(FALSE, FALSE, sizeof(UeAction));
    g_hash_table_insert(u->waiting, GUINT_TO_POINTER(ue), q);
  }
  UeAction a = {kind, cell, seq};
  g_array_append_val(q, a);
  return true;
}

static void do_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);
static void do_leave(Net *net, uint32_t ue, uint32_t seq);
static void do_move(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);

/* The UE's procedure ended: its waiting actions start, in order, until one
 * is a procedure that must end first. */
static void run_waiting(Net *net, uint32_t ue) {
  Ues *u = ues(net);
  GArray *q = g_hash_table_lookup(u->waiting, GUINT_TO_POINTER(ue));
  if (q == NULL)
    return;
  g_array_ref(q);
  g_hash_table_remove(u->waiting, GUINT_TO_POINTER(ue));
  guint i = 0;
  while (i < q->len && st_of(net, ue)->busy == UE_IDLE) {
    UeAction a = g_array_index(q, UeAction, i++);
    if (a.kind == ACT_JOIN)
      do_join(net, ue, a.cell, a.seq);
    else if (a.kind == ACT_LEAVE)
      do_leave(net, ue, a.seq);
    else
      do_move(net, ue, a.cell, a.seq);
  }
  if (i < q->len) {
    g_array_remove_range(q, 0, i);
    g_hash_table_insert(u->waiting, GUINT_TO_POINTER(ue), g_array_ref(q));
  }
  g_array_unref(q);
}

void ue_start_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  if (!must_wait(net, ue, ACT_JOIN, cell, seq))
    do_join(net, ue, cell, seq);
}

void ue_start_leave(Net *net, uint32_t ue, uint32_t seq) {
  if (!must_wait(net, ue, ACT_LEAVE, 0, seq))
    do_leave(net, ue, seq);
}

void ue_start_move(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  if (!must_wait(net, ue, ACT_MOVE, cell, seq))
    do_move(net, ue, cell, seq);
}

uint32_t ue_actions_waiting(const Net *net) {
  GHashTableIter it;
  gpointer q;
  uint32_t n = 0;
  g_hash_table_iter_init(&it, ues(net)->waiting);
  while (g_hash_table_iter_next(&it, NULL, &q))
    n += ((GArray *)q)->len;
  return n;
}

/* A handover (docs/flows.md, "Handover"): the radio camps on the new cell
 * first, then the UE sends a cell update to the RNC of that cell, with the
 * version of the group key it holds (for the key repair). */
static void do_move(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  UeState *st = st_of(net, ue);
  uint32_t from = radio_ue_cell(net->radio, ue);
  if (!st->member || from == cell) {
    g_debug("move of UE %u to cell %u skipped (not a member, or camped there)", ue, cell);
    return;
  }
  radio_move(net->radio, ue, cell);
  st->busy = UE_MOVING;
  Msg msg;
  msg_init(&msg, MSG_CELL_UPDATE, seq);
  msg.ue = ue;
  msg.cell = cell;
  msg.from_cell = from;
  msg.group_version = st->group.ref.version;
  net_send_dch_up(net, ue, &msg);
}

static void do_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  ue_appear(net, ue, cell);
  /* node keys: a rejoining UE starts a new path; the node keys of its old
   * one (kept while it was away) are dropped, so that its key list stays
   * its path */
  UeState *st = st_of(net, ue);
  forget_nodes(st);
  st->member = 1;
  st->busy = UE_JOINING;
  Msg msg;
  msg_init(&msg, MSG_ACTIVATE_REQ, seq);
  msg.ue = ue;
  msg.cell = cell;
  net_send_dch_up(net, ue, &msg);
}

static void do_leave(Net *net, uint32_t ue, uint32_t seq) {
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
