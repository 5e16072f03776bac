/* data.c — the MBMS session's data plane: a constant-bit-rate stream sealed
 * under the group key in use, carried BM-SC -> GGSN -> SGSN -> RNC (along
 * the distribution tree: elements with members below) -> the common channel
 * of every cell with members.
 *
 * Who seals: in embodiment 1 the BM-SC, under the group key it owns; in
 * embodiment 2 the BM-SC seals under the network-domain core key and each
 * RNC opens that and re-seals under its own group key. `data_sent` counts
 * packets sealed under a group key.
 *
 * The key in use switches `switch-delay` seconds after a new group key has
 * been sent to the members (embodiment 1: when the BM-SC sends the MBMS
 * group key change request; 2: when the RNC sends the key point-to-
 * multipoint). Members keep their previous group key for such packets.
 *
 * At each cell, every member hears the packet; the count of members without
 * the packet's key is bookkeeping (the member's current or previous group
 * key has the packet's id and version). With verify_data the same check is
 * done by real decryption for every member and disagreements are counted
 * (net_data_verify_mismatches), so tests can show that the two agree.
 */
#include <string.h>

#include "nodes/net_internal.h"

typedef struct {
  KtKey in_use;   /* version 0 until the scope has a key */
  GQueue pending; /* KtKey*: sent, switching after switch-delay (FIFO) */
} ScopeKey;

typedef struct DataPlane DataPlane;

struct DataPlane {
  double interval; /* s between packets */
  uint32_t next_packet;
  ScopeKey *scope; /* index = scope: 0 (embodiment 1) or the RNC (2) */
  uint32_t n_scopes;
  GArray *cells;
};

static ScopeKey *scope_key(Net *net, uint32_t scope) {
  g_assert(scope < net->data->n_scopes);
  return &net->data->scope[scope];
}

static void seal(Net *net, KtData *out, uint32_t packet, const KtKey *key) {
  unsigned char payload[KT_DATA_MAX_PAYLOAD];
  memset(payload, (int)(packet & 0xffu), net->cfg.packet_size);
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_nonce(net->keygen, nonce);
  if (kt_data_seal(out, packet, payload, (uint16_t)net->cfg.packet_size, key, nonce) != 0)
    g_error("libsodium refused to seal a data packet");
}

/* The key of `scope` the data is sealed under now. */
static const KtKey *key_in_use(Net *net, uint32_t scope) {
  ScopeKey *sk = scope_key(net, scope);
  if (sk->in_use.ref.version == 0) /* the session's first key */
    sk->in_use = net->cfg.embodiment == 1 ? net->bmsc_group : net->rnc[scope].group;
  return &sk->in_use;
}

static void sealed_under_group_key(Net *net) {
  if (net->obs.on_data_sent)
    net->obs.on_data_sent(net->obs.ctx);
}

static void send_to_ggsns(Net *net, const KtData *d) {
  NetElement self = {NET_BMSC, 0};
  for (uint32_t g = 0; g < net->cfg.ggsn; g++)
    if (net_ggsn_members(net, g) > 0)
      net_send_data_link(net, self, (NetElement){NET_GGSN, g}, d);
}

static void tick(void *ctx, uint64_t unused) {
  (void)unused;
  Net *net = ctx;
  DataPlane *dp = net->data;
  uint32_t packet = dp->next_packet++;
  if (sim_now() + dp->interval < net->cfg.data_until)
    sim_schedule(dp->interval, tick, net, 0);
  if (kt_tree_members(net->tree) == 0)
    return; /* nobody to send to */
  KtData d;
  if (net->cfg.embodiment == 1) {
    seal(net, &d, packet, key_in_use(net, 0));
    sealed_under_group_key(net);
  } else {
    seal(net, &d, packet, &net->core_key);
  }
  send_to_ggsns(net, &d);
}

void data_start(Net *net) {
  g_assert(net->cfg.data_rate > 0 && net->cfg.packet_size > 0 &&
           net->cfg.packet_size <= KT_DATA_MAX_PAYLOAD);
  DataPlane *dp = g_new0(DataPlane, 1);
  dp->interval = 8.0 * net->cfg.packet_size / net->cfg.data_rate;
  dp->n_scopes = net->cfg.embodiment == 1 ? 1 : net->n_rnc;
  dp->scope = g_new0(ScopeKey, dp->n_scopes);
  for (uint32_t i = 0; i < dp->n_scopes; i++)
    g_queue_init(&dp->scope[i].pending);
  dp->cells = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  net->data = dp;
  if (dp->interval < net->cfg.data_until)
    sim_schedule(dp->interval, tick, net, 0);
}

static void free_key(gpointer p) {
  kt_key_wipe(p);
  g_free(p);
}

void data_free(Net *net) {
  DataPlane *dp = net->data;
  if (!dp)
    return;
  for (uint32_t i = 0; i < dp->n_scopes; i++) {
    kt_key_wipe(&dp->scope[i].in_use);
    g_queue_clear_full(&dp->scope[i].pending, free_key);
  }
  g_free(dp->scope);
  g_array_free(dp->cells, TRUE);
  g_free(dp);
  net->data = NULL;
}

static void switch_key(void *ctx, uint64_t scope) {
  Net *net = ctx;
  ScopeKey *sk = scope_key(net, (uint32_t)scope);
  KtKey *next = g_queue_pop_head(&sk->pending);
  g_assert(next);
  if (next->ref.version > sk->in_use.ref.version)
    sk->in_use = *next;
  free_key(next);
}

void data_key_sent(Net *net, uint32_t scope, const KtKey *key) {
  if (!net->data)
    return;
  ScopeKey *sk = scope_key(net, scope);
  if (net->cfg.switch_delay <= 0) {
    if (key->ref.version > sk->in_use.ref.version)
      sk->in_use = *key;
    return;
  }
  g_queue_push_tail(&sk->pending, g_memdup2(key, sizeof *key));
  sim_schedule(net->cfg.switch_delay, switch_key, net, scope);
}

void data_key_retired(Net *net, uint32_t scope, const KtKey *key) {
  if (!net->data)
    return;
  /* a switch still pending for an older version finds a newer key in use
   * and changes nothing (switch_key) */
  ScopeKey *sk = scope_key(net, scope);
  if (key->ref.version > sk->in_use.ref.version)
    sk->in_use = *key;
}

/* The RNC puts a packet on the common channel of each of its cells with
 * members (embodiment 2: after re-sealing it under its own group key). */
static void rnc_transmit(Net *net, uint32_t rnc, const KtData *in) {
  KtData resealed;
  const KtData *out = in;
  if (net->cfg.embodiment == 2) {
    unsigned char payload[KT_DATA_MAX_PAYLOAD];
    if (kt_data_open(payload, in, &net->core_key) != 0) {
      if (net->obs.on_reject)
        net->obs.on_reject(net->obs.ctx, (NetElement){NET_RNC, rnc},
                           "data packet does not open under the core key");
      return;
    }
    if (kt_tree_rnc_members(net->tree, rnc) == 0)
      return;
    seal(net, &resealed, in->packet, key_in_use(net, rnc));
    sealed_under_group_key(net);
    out = &resealed;
  }
  net_member_cells(net, rnc, net->data->cells);
  net_send_data_common(net, rnc, net->data->cells, out);
}

void data_on_link(Net *net, NetElement to, const KtData *d) {
  switch (to.kind) {
  case NET_GGSN:
    for (uint32_t i = 0; i < net->cfg.sgsn_per_ggsn; i++) {
      uint32_t sgsn = to.index * net->cfg.sgsn_per_ggsn + i;
      if (net_sgsn_members(net, sgsn) > 0)
        net_send_data_link(net, to, (NetElement){NET_SGSN, sgsn}, d);
    }
    break;
  case NET_SGSN:
    for (uint32_t i = 0; i < net->cfg.rnc_per_sgsn; i++) {
      uint32_t rnc = to.index * net->cfg.rnc_per_sgsn + i;
      if (kt_tree_rnc_members(net->tree, rnc) > 0)
        net_send_data_link(net, to, (NetElement){NET_RNC, rnc}, d);
    }
    break;
  case NET_RNC:
    rnc_transmit(net, to.index, d);
    break;
  default:
    if (net->obs.on_reject)
      net->obs.on_reject(net->obs.ctx, to, "data packet where none is expected");
    break;
  }
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

void data_on_common(Net *net, uint32_t rnc, uint32_t cell, const KtData *d) {
  (void)rnc;
  guint n = 0;
  const uint32_t *ues = kt_tree_cell_ues(net->tree, cell, &n);
  uint32_t undecryptable = 0;
  for (guint i = 0; i < n; i++) {
    const UeState *st = &net->ue[ues[i]];
    const KtKey *k = kt_ref_equal(st->group.ref, d->key)        ? &st->group
                     : kt_ref_equal(st->prev_group.ref, d->key) ? &st->prev_group
                                                                : NULL;
    if (!k)
      undecryptable++;
    if (net->cfg.verify_data && opens_for_real(d, st) != (k != NULL))
      net->data_verify_mismatches++;
  }
  if (net->obs.on_data_members)
    net->obs.on_data_members(net->obs.ctx, n, undecryptable);
}
