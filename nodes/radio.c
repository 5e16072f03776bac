/* radio.c — see radio.h. */
#include "nodes/radio.h"

#include <string.h>

#include "nodes/flat_map.h"

#define NO_NODE UINT32_MAX
/* Camp.cell's top bit: the UE listens to the MBMS bearer of its cell (the
 * global cells fit in 26 bits, app/scenario_keys.c). */
#define LISTENING 0x80000000u

typedef struct {
  SimNodeId node; /* NO_NODE until the UE first appears */
  uint32_t cell;  /* global cell its radio is camped on, | LISTENING */
} Camp;

struct Radio {
  uint32_t n_rnc, cells_per_rnc, ue_capacity;
  SimRanId *ran;           /* per RNC */
  Camp *camp;              /* per UE id */
  SimNodeId first_ue_node; /* UE nodes are this and above */
  GArray *node_ue;         /* uint32: UE id of node first_ue_node + i */
  GArray **bearer;         /* per global cell: uint32 UE ids listening */
  guint *rnc_listeners;    /* per RNC: listeners of its cells */
  guint listeners;         /* of every cell */
  /* (cell, key id) -> its List: the first and last holder (UE ids; the
   * links between are in the holders' key slots, link_of) and the
   * listeners as radio_index_listeners last read them (its Snapshot),
   * dropped when the list changes and outdated when a UE camped on the
   * cell starts or stops listening (listen_gen). Reading a list walks its
   * links one holder after the other, and asking whether each listens
   * reads its camping record, each a cache miss at a million UEs; the lists
   * change far less often than they are read (a sub-group's list, once per
   * join or leave in it, against once per leave anywhere in the group in
   * embodiment 1). 4 bytes per listener of a list read. One flat map (not
   * GHashTable, flat_map.h): at a million members the one lookup per
   * transmission misses the cache. */
  FlatMap *lists;
  guint n_any;          /* entries under RADIO_INDEX_ANY, in every cell: with none,
                         * radio_index_listeners need not look them up */
  uint32_t *listen_gen; /* per global cell: changes whenever a UE camped on
                         * it starts or stops listening (set_listening) */
  RadioLinkOf link_of;
  void *link_ctx;
};

typedef struct {
  guint n;
  uint32_t listen_gen; /* its cell's when it was read */
  uint32_t ue[];
} Snapshot;

typedef struct {
  uint32_t first, last; /* UE ids */
  Snapshot *snap;       /* NULL: none kept */
} List;

static FlatKey list_key(uint32_t cell, uint32_t key_id) {
  return (FlatKey){(uint64_t)cell << 32 | key_id, 0};
}

/* The list's snapshot is no longer what the list holds. */
static void drop_snapshot(List *l) {
  g_free(l->snap);
  l->snap = NULL;
}

Radio *radio_new(uint32_t n_rnc, uint32_t cells_per_rnc, uint32_t ue_capacity) {
  Radio *r = g_new0(Radio, 1);
  r->n_rnc = n_rnc;
  r->cells_per_rnc = cells_per_rnc;
  r->ue_capacity = ue_capacity;
  r->ran = g_new0(SimRanId, n_rnc ? n_rnc : 1);
  r->camp = g_new(Camp, ue_capacity ? ue_capacity : 1);
  for (uint32_t u = 0; u < ue_capacity; u++)
    r->camp[u] = (Camp){NO_NODE, 0};
  r->first_ue_node = sim_node_count();
  r->node_ue = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  uint32_t n_cells = n_rnc * cells_per_rnc;
  r->bearer = g_new(GArray *, n_cells ? n_cells : 1);
  /* sized for an even spread of the UE ids over the cells (as the initial
   * members are provisioned), so that provisioning does not regrow them */
  guint per_cell = n_cells ? ue_capacity / n_cells + 1 : 1;
  for (uint32_t c = 0; c < n_cells; c++)
    r->bearer[c] = g_array_sized_new(FALSE, FALSE, sizeof(uint32_t), per_cell);
  r->rnc_listeners = g_new0(guint, n_rnc ? n_rnc : 1);
  r->listen_gen = g_new0(uint32_t, n_cells ? n_cells : 1);
  r->lists = flat_map_new(sizeof(List));
  return r;
}

void radio_free(Radio *r) {
  if (!r)
    return;
  for (uint32_t c = 0; c < r->n_rnc * r->cells_per_rnc; c++)
    g_array_free(r->bearer[c], TRUE);
  g_free(r->bearer);
  g_free(r->rnc_listeners);
  g_free(r->listen_gen);
  size_t pos = 0;
  FlatKey k;
  void *l;
  while (flat_map_next(r->lists, &pos, &k, &l))
    drop_snapshot(l);
  flat_map_free(r->lists);
  g_array_free(r->node_ue, TRUE);
  g_free(r->camp);
  g_free(r->ran);
  g_free(r);
}

void radio_add_ran(Radio *r, uint32_t rnc, SimNodeId rnc_node, const SimChannel *dch,
                   const SimChannel *common) {
  g_assert(rnc < r->n_rnc);
  r->ran[rnc] = sim_ran_new(rnc_node, r->cells_per_rnc, dch, common);
  g_assert(r->ran[rnc] == rnc); /* RAN ids double as RNC indices in the receivers */
}

SimRanId radio_ran(const Radio *r, uint32_t rnc) {
  g_assert(rnc < r->n_rnc);
  return r->ran[rnc];
}

bool radio_camp(Radio *r, uint32_t ue, uint32_t cell) {
  g_assert(ue < r->ue_capacity);
  g_assert(cell < r->n_rnc * r->cells_per_rnc);
  Camp *c = &r->camp[ue];
  bool first = c->node == NO_NODE;
  if (first) {
    c->node = sim_node_new();
    g_assert(c->node - r->first_ue_node == r->node_ue->len);
    g_array_append_val(r->node_ue, ue);
  }
  /* a UE that comes back under another RNC takes its one radio there */
  sim_ran_attach(r->ran[cell / r->cells_per_rnc], c->node);
  c->cell = cell | (c->cell & LISTENING);
  return first;
}

void radio_move(Radio *r, uint32_t ue, uint32_t cell) {
  g_assert(radio_ue_seen(r, ue));
  uint32_t from = radio_ue_cell(r, ue);
  if (radio_bearer_has(r, ue, from)) {
    radio_bearer_leave(r, ue, from);
    radio_bearer_join(r, ue, cell);
  }
  radio_camp(r, ue, cell);
}

bool radio_bearer_has(const Radio *r, uint32_t ue, uint32_t cell) {
  g_assert(cell < r->n_rnc * r->cells_per_rnc);
  const GArray *b = r->bearer[cell];
  for (guint i = 0; i < b->len; i++)
    if (g_array_index(b, uint32_t, i) == ue)
      return true;
  return false;
}

bool radio_ue_seen(const Radio *r, uint32_t ue) {
  return ue < r->ue_capacity && r->camp[ue].node != NO_NODE;
}

SimNodeId radio_ue_node(const Radio *r, uint32_t ue) {
  g_assert(radio_ue_seen(r, ue));
  return r->camp[ue].node;
}

uint32_t radio_ue_cell(const Radio *r, uint32_t ue) {
  g_assert(radio_ue_seen(r, ue));
  return r->camp[ue].cell & ~LISTENING;
}

uint32_t radio_ue_rnc(const Radio *r, uint32_t ue) {
  return radio_ue_cell(r, ue) / r->cells_per_rnc;
}

void radio_prefetch_ue(const Radio *r, uint32_t ue) {
  if (ue < r->ue_capacity)
    __builtin_prefetch(&r->camp[ue]);
}

bool radio_reaches(const Radio *r, uint32_t rnc, uint32_t ue) {
  return sim_ran_has_ue(r->ran[rnc], radio_ue_node(r, ue));
}

void radio_prefetch_node(const Radio *r, SimNodeId node) {
  if (node >= r->first_ue_node && node - r->first_ue_node < r->node_ue->len)
    __builtin_prefetch(&g_array_index(r->node_ue, uint32_t, node - r->first_ue_node));
}

bool radio_ue_of_node(const Radio *r, SimNodeId node, uint32_t *ue) {
  if (node < r->first_ue_node || node - r->first_ue_node >= r->node_ue->len)
    return false;
  *ue = g_array_index(r->node_ue, uint32_t, node - r->first_ue_node);
  return true;
}

uint32_t radio_n_ues_seen(const Radio *r) {
  return r->node_ue->len;
}

/* `ue` starts (or stops) listening: the snapshots of its camped cell's
 * lists, where it is indexed, are outdated. */
static void set_listening(Radio *r, uint32_t ue, bool on) {
  if (ue >= r->ue_capacity)
    return;
  Camp *c = &r->camp[ue];
  c->cell = on ? c->cell | LISTENING : c->cell & ~LISTENING;
  r->listen_gen[c->cell & ~LISTENING]++;
}

void radio_bearer_join(Radio *r, uint32_t ue, uint32_t cell) {
  g_assert(cell < r->n_rnc * r->cells_per_rnc);
  g_array_append_val(r->bearer[cell], ue);
  set_listening(r, ue, true);
  r->rnc_listeners[cell / r->cells_per_rnc]++;
  r->listeners++;
}

void radio_bearer_leave(Radio *r, uint32_t ue, uint32_t cell) {
  g_assert(cell < r->n_rnc * r->cells_per_rnc);
  GArray *b = r->bearer[cell];
  for (guint i = 0; i < b->len; i++)
    if (g_array_index(b, uint32_t, i) == ue) {
      g_array_remove_index_fast(b, i);
      set_listening(r, ue, false);
      r->rnc_listeners[cell / r->cells_per_rnc]--;
      r->listeners--;
      return;
    }
  g_assert_not_reached(); /* only a listener leaves */
}

const uint32_t *radio_bearer_ues(const Radio *r, uint32_t cell, guint *n) {
  g_assert(cell < r->n_rnc * r->cells_per_rnc);
  *n = r->bearer[cell]->len;
  return (const uint32_t *)(const void *)r->bearer[cell]->data;
}

guint radio_rnc_listeners(const Radio *r, uint32_t rnc) {
  g_assert(rnc < r->n_rnc);
  return r->rnc_listeners[rnc];
}

guint radio_listeners(const Radio *r) {
  return r->listeners;
}

void radio_bearer_cells(const Radio *r, uint32_t rnc, GArray *out) {
  g_array_set_size(out, 0);
  for (uint32_t c = 0; c < r->cells_per_rnc; c++) {
    uint32_t cell = rnc * r->cells_per_rnc + c;
    if (r->bearer[cell]->len > 0)
      g_array_append_val(out, cell);
  }
}

/* ------------------------------------------------------ holders index */

void radio_index_set_links(Radio *r, RadioLinkOf link_of, void *ctx) {
  r->link_of = link_of;
  r->link_ctx = ctx;
}

/* The link of `ue` (another holder than the caller's `self`, whose link is
 * `own`) in the list of `key_id`. */
static RadioLink *link_of(const Radio *r, uint32_t ue, uint32_t key_id, uint32_t self,
                          RadioLink *own) {
  return ue == self ? own : r->link_of(r->link_ctx, ue, key_id);
}

void radio_index_add(Radio *r, uint32_t ue, uint32_t key_id, RadioLink *link) {
  g_assert(radio_ue_seen(r, ue) && r->link_of);
  bool added;
  List *l = flat_map_insert(r->lists, list_key(radio_ue_cell(r, ue), key_id), &added);
  if (key_id == RADIO_INDEX_ANY)
    r->n_any++;
  link->next = RADIO_NO_UE;
  if (added) {
    link->prev = RADIO_NO_UE;
    *l = (List){ue, ue, NULL};
    return;
  }
  drop_snapshot(l);
  r->link_of(r->link_ctx, l->last, key_id)->next = ue;
  link->prev = l->last;
  l->last = ue;
}

/* Removes `x` (its link `lx`) as an array's swap-removal would: the last
 * holder takes its place. */
void radio_index_remove(Radio *r, uint32_t x, uint32_t key_id, RadioLink *lx) {
  g_assert(radio_ue_seen(r, x));
  FlatKey key = list_key(radio_ue_cell(r, x), key_id);
  List *l = flat_map_find(r->lists, key);
  g_assert(l); /* only an indexed holder is removed */
  drop_snapshot(l);
  if (key_id == RADIO_INDEX_ANY)
    r->n_any--;
  if (l->first == x && l->last == x) {
    flat_map_remove(r->lists, key);
    return;
  }
  /* take the last holder t off the end */
  uint32_t t = l->last;
  RadioLink *lt = link_of(r, t, key_id, x, lx);
  l->last = lt->prev;
  link_of(r, l->last, key_id, x, lx)->next = RADIO_NO_UE;
  if (t != x) {
    /* t takes x's place (x is still linked: it was not the last) */
    lt->prev = lx->prev;
    lt->next = lx->next;
    if (lt->prev == RADIO_NO_UE)
      l->first = t;
    else
      r->link_of(r->link_ctx, lt->prev, key_id)->next = t;
    if (lt->next == RADIO_NO_UE)
      l->last = t;
    else
      r->link_of(r->link_ctx, lt->next, key_id)->prev = t;
  }
}

guint radio_index_listeners(Radio *r, uint32_t cell, uint32_t key_id, GArray *out) {
  g_assert(cell < r->n_rnc * r->cells_per_rnc);
  if (key_id == RADIO_INDEX_ANY && r->n_any == 0)
    return 0;
  List *l = flat_map_find(r->lists, list_key(cell, key_id));
  if (!l)
    return 0;
  if (l->snap && l->snap->listen_gen == r->listen_gen[cell]) {
    g_array_append_vals(out, l->snap->ue, l->snap->n);
    return l->snap->n;
  }
  guint start = out->len, n = 0, room = 0;
  for (uint32_t u = l->first; u != RADIO_NO_UE; u = r->link_of(r->link_ctx, u, key_id)->next) {
    if (!radio_listening(r, u))
      continue;
    if (n == room) { /* grow in steps, not one append per holder */
      room = room ? 2 * room : 64;
      g_array_set_size(out, start + room);
    }
    g_array_index(out, uint32_t, start + n++) = u;
  }
  g_array_set_size(out, start + n);
  drop_snapshot(l); /* (an outdated one) */
  l->snap = g_malloc(sizeof *l->snap + n * sizeof(uint32_t));
  l->snap->n = n;
  l->snap->listen_gen = r->listen_gen[cell];
  memcpy(l->snap->ue, &g_array_index(out, uint32_t, start), n * sizeof(uint32_t));
  return n;
}

bool radio_listening(const Radio *r, uint32_t ue) {
  return ue < r->ue_capacity && (r->camp[ue].cell & LISTENING);
}
