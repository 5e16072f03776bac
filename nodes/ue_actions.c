/* ue_actions.c — the UE's own procedures (see ue_actions.h and ue.h):
 * camping, join, leave and move, each a request the UE sends on its
 * dedicated channel, and the actions that wait behind a handover. */
#include "nodes/ue_actions.h"

#include "nodes/ue.h"
#include "nodes/ue_ring.h"

/* Handover serialisation (docs/flows.md, "Handover"): a move waits until
 * the UE's join (its accept) or previous move (its confirm) is complete;
 * a join or leave that falls due while a move waits or is in progress
 * waits behind it. Joins and leaves of a UE that never moves wait for
 * nothing, as before mobility existed. */
typedef enum { ACT_JOIN, ACT_LEAVE, ACT_MOVE } UeActionKind;
typedef struct {
  UeActionKind kind;
  uint32_t cell, seq;
} UeAction;

static void do_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);
static void do_leave(Net *net, uint32_t ue, uint32_t seq);
static void do_move(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);

void ue_appear(Net *net, uint32_t ue, uint32_t cell) {
  g_assert(ue < net->cfg.ue_capacity);
  g_assert(cell < net->n_cells);
  /* the index is per cell: the UE's entries move with it */
  bool moves = radio_ue_seen(net->radio, ue) && radio_ue_cell(net->radio, ue) != cell;
  if (moves)
    ue_each_indexed(net, ue, radio_index_remove);
  radio_camp(net->radio, ue, cell); /* its private key: ue_own_private */
  if (moves)
    ue_each_indexed(net, ue, radio_index_add);
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

void ue_run_waiting(Net *net, uint32_t ue) {
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
  /* the holders index is per cell: the UE's entries move with its radio */
  ue_each_indexed(net, ue, radio_index_remove);
  radio_move(net->radio, ue, cell);
  ue_each_indexed(net, ue, radio_index_add);
  if (kt_tree_node_keys(net->tree) && !kt_tree_member_computes(net->tree))
    st->move_nodes = st->n_nodes; /* ue.c, end_move_path */
  if (net->cfg.embodiment == 2 && net_rnc_of_cell(net, from) != net_rnc_of_cell(net, cell)) {
    st->move_nodes = 0;
    st->regroup = 1; /* end_regroup */
    if (kt_tree_node_keys(net->tree) && !st->waiting) {
      st->waiting = 1;
      radio_index_add(net->radio, ue, RADIO_INDEX_ANY, &st->link);
    }
  }
  st->busy = UE_MOVING;
  st->moved = 1;
  Msg msg;
  msg_init(&msg, MSG_CELL_UPDATE, seq);
  msg.ue = ue;
  msg.cell = cell;
  msg.from_cell = from;
  msg.group_version = k_of(net, st->group)->ref.version;
  net_send_dch_up(net, ue, &msg);
}

static void do_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq) {
  ue_appear(net, ue, cell);
  /* node keys: a rejoining UE starts a new path; the node keys of its old
   * one (kept while it was away) are dropped, so that its key list stays
   * its path */
  UeState *st = st_of(net, ue);
  ue_forget_for_rejoin(net, ue);
  st->member = 1;
  st->moved = 0;
  if (kt_tree_node_keys(net->tree)) {
    g_assert(!st->subgroup_indexed); /* st->link is RADIO_INDEX_ANY's */
    st->waiting = 1;
    radio_index_add(net->radio, ue, RADIO_INDEX_ANY, &st->link);
  }
  if (ues(net)->recovery)
    ue_recovery_reset(ues(net)->recovery, ue);
  st->busy = UE_JOINING;
  ue_send_context_request(net, ue, MSG_ACTIVATE_REQ, seq);
  if (ues(net)->nas)
    ue_nas_start(net, ues(net)->nas, ue, UE_NAS_JOIN, seq);
}

void ue_send_context_request(Net *net, uint32_t ue, MsgType type, uint32_t seq) {
  Msg msg;
  msg_init(&msg, type, seq);
  msg.ue = ue;
  msg.cell = radio_ue_cell(net->radio, ue);
  net_send_dch_up(net, ue, &msg);
}

static void do_leave(Net *net, uint32_t ue, uint32_t seq) {
  g_assert(radio_ue_seen(net->radio, ue));
  /* The UE stops being a member from its own point of view, but keeps every
   * key it holds: a departed UE is a potential eavesdropper. */
  st_of(net, ue)->member = 0;
  ue_send_context_request(net, ue, MSG_DEACTIVATE_REQ, seq);
  if (ues(net)->nas)
    ue_nas_start(net, ues(net)->nas, ue, UE_NAS_LEAVE, seq);
}
