/* data.c — the MBMS session's keys in use (see data.h): a constant-bit-rate
 * stream sealed under the group key in use.
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
 */
#include "nodes/data.h"

#include <string.h>

typedef struct {
  KtKey in_use;   /* version 0 until the scope has a key */
  GQueue pending; /* KtKey*: sent, switching after switch-delay (FIFO) */
} ScopeKey;

struct DataPlane {
  double interval; /* s between packets */
  uint32_t next_packet;
  ScopeKey *scope; /* index = scope: 0 (embodiment 1) or the RNC (2) */
  uint32_t n_scopes;
};

static ScopeKey *scope_key(Net *net, uint32_t scope) {
  g_assert(scope < net->data->n_scopes);
  return &net->data->scope[scope];
}

void data_new(Net *net) {
  g_assert(net->cfg.data_rate > 0 && net->cfg.packet_size > 0 &&
           net->cfg.packet_size <= KT_DATA_MAX_PAYLOAD);
  DataPlane *dp = g_new0(DataPlane, 1);
  dp->interval = 8.0 * net->cfg.packet_size / net->cfg.data_rate;
  dp->n_scopes = net->cfg.embodiment == 1 ? 1 : net->n_rnc;
  dp->scope = g_new0(ScopeKey, dp->n_scopes);
  for (uint32_t i = 0; i < dp->n_scopes; i++)
    g_queue_init(&dp->scope[i].pending);
  net->data = dp;
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
  g_free(dp);
  net->data = NULL;
}

double data_interval(const Net *net) {
  return net->data->interval;
}

uint32_t data_next_packet(Net *net) {
  return net->data->next_packet++;
}

const KtKey *data_key_in_use(Net *net, uint32_t scope, const KtKey *owner_key) {
  ScopeKey *sk = scope_key(net, scope);
  if (sk->in_use.ref.version == 0) /* the session's first key */
    sk->in_use = *owner_key;
  return &sk->in_use;
}

void data_seal(Net *net, KtData *out, uint32_t packet, const KtKey *key, bool group_key) {
  unsigned char payload[KT_DATA_MAX_PAYLOAD];
  memset(payload, (int)(packet & 0xffu), net->cfg.packet_size);
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_nonce(net->keygen, nonce);
  if (kt_data_seal(out, packet, payload, (uint16_t)net->cfg.packet_size, key, nonce) != 0)
    g_error("libsodium refused to seal a data packet");
  if (group_key && net->obs.on_data_sent)
    net->obs.on_data_sent(net->obs.ctx);
}

void data_switch_key(Net *net, uint32_t scope) {
  ScopeKey *sk = scope_key(net, scope);
  KtKey *next = g_queue_pop_head(&sk->pending);
  g_assert(next);
  if (next->ref.version > sk->in_use.ref.version)
    sk->in_use = *next;
  free_key(next);
}

void data_key_sent(Net *net, NetElement owner, uint32_t scope, const KtKey *key) {
  if (!net->data)
    return;
  ScopeKey *sk = scope_key(net, scope);
  if (net->cfg.switch_delay <= 0) {
    if (key->ref.version > sk->in_use.ref.version)
      sk->in_use = *key;
    return;
  }
  g_queue_push_tail(&sk->pending, g_memdup2(key, sizeof *key));
  net_set_timer(net, owner, net->cfg.switch_delay, DATA_TIMER_KEY_SWITCH);
}

void data_key_retired(Net *net, uint32_t scope, const KtKey *key) {
  if (!net->data)
    return;
  /* a switch still pending for an older version finds a newer key in use
   * and changes nothing (data_switch_key) */
  ScopeKey *sk = scope_key(net, scope);
  if (key->ref.version > sk->in_use.ref.version)
    sk->in_use = *key;
}
