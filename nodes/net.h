/* net.h — the simulated MBMS network: BM-SC, GGSNs, SGSNs, RNCs and UEs as
 * ns-3 nodes joined by core links, Iu links, dedicated and common channels.
 *
 * The app layer builds a Net from a NetConfig and a KtTree, provisions the
 * initial members, then calls net_ue_join / net_ue_leave at the workload's
 * times (from sim events). Everything after that is messages: each element
 * reacts to what it receives (see docs/flows.md for every flow).
 *
 * Counting: the Net never counts by itself; every send, receive, wrap,
 * unwrap and key installation is reported through the NetObserver, which the
 * app implements with its Metrics, so that counting happens in one place.
 *
 * Ownership: the Net borrows the tree (the caller frees it after the Net)
 * and owns its elements' state, plans in flight and the sim topology.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytree/kt_tree.h"
#include "keytree/kt_data.h"
#include "nodes/msg.h"

/* The seq of work that belongs to no join/leave (e.g. signalling wraps). */
#define NET_NO_SEQ UINT32_MAX

typedef enum { NET_BMSC, NET_GGSN, NET_SGSN, NET_RNC, NET_UE } NetKind;

typedef struct {
  NetKind kind;
  uint32_t index; /* within its kind; for NET_UE the UE id */
} NetElement;

/* How a message travelled. */
typedef enum {
  NET_VIA_LINK,   /* core or Iu point-to-point link */
  NET_VIA_DCH,    /* a UE's dedicated channel */
  NET_VIA_COMMON, /* a cell's common channel (one transmission) */
} NetVia;

typedef struct {
  /* `from` sent `msg` (`len` encoded bytes) in `n_tx` transmissions (1,
   * except on common channels: one per cell where the audience is). */
  void (*on_send)(void *ctx, NetElement from, NetVia via, const Msg *msg, size_t len,
                  uint32_t n_tx);
  /* `to` received a message of `len` bytes (for a common-channel
   * transmission: `n_receivers` UEs of the cell heard it). */
  void (*on_receive)(void *ctx, NetElement to, NetVia via, const Msg *msg, size_t len,
                     uint32_t n_receivers);
  /* bytes that failed to decode at `to`; `why` is the decoder's reason */
  void (*on_reject)(void *ctx, NetElement to, const char *why);
  void (*on_wrap)(void *ctx, NetElement by, uint32_t seq, uint32_t n);
  void (*on_unwrap)(void *ctx, NetElement by, bool ok);
  /* UE `ue`'s join (or leave) of `cell` was accepted by its RNC: from now
   * on the network treats it as a member (or not), whenever the keys change
   * (at once, or at the next batch) */
  void (*on_membership)(void *ctx, uint32_t ue, uint32_t cell, bool join);
  /* the request of event `seq` reached its first network element */
  void (*on_request)(void *ctx, uint32_t seq);
  /* UE `ue` installed group key `ref`, delivered by a message of event `seq` */
  void (*on_group_install)(void *ctx, uint32_t ue, uint32_t seq, KtKeyRef ref);
  /* a plan was made for event `seq` (NET_NO_SEQ: an initial member's
   * provisioning); `members_in_scope` are the group members in the plan's
   * scope after it, who must all install the new group key if it changed */
  void (*on_plan)(void *ctx, uint32_t seq, const KtPlan *plan, uint32_t members_in_scope);
  /* `rnc` transmitted a point-to-multipoint key assignment on `n_cells`
   * cells (for the adversaries listening on common channels) */
  void (*on_common_keys)(void *ctx, uint32_t rnc, const uint32_t *cells, uint32_t n_cells,
                         const Msg *msg);
  /* `rnc` transmitted session data packet `d` on `n_cells` cells */
  void (*on_common_data)(void *ctx, uint32_t rnc, const uint32_t *cells, uint32_t n_cells,
                         const KtData *d);
  /* a data packet was sealed under a group key (the session's source) */
  void (*on_data_sent)(void *ctx);
  /* a data transmission reached `members` members of a cell, of whom
   * `undecryptable` did not hold the key it is sealed under */
  void (*on_data_members)(void *ctx, uint32_t members, uint32_t undecryptable);
  void *ctx;
} NetObserver;

typedef struct {
  int embodiment; /* 1 or 2 */
  bool join_rekey;
  uint32_t ggsn, sgsn_per_ggsn, rnc_per_sgsn, cells_per_rnc;
  double core_rate, core_delay, iu_rate, iu_delay;
  double dch_rate, dch_delay, common_rate, common_delay;
  uint32_t ue_capacity; /* UE ids are < ue_capacity */
  /* Batch rekeying (scheme batch, docs/schemes.md): joins and leaves are
   * accepted at once and gathered by the holder of the tree (the RNC in
   * embodiment 2, the BM-SC in 1), which rekeys once at each multiple of
   * batch_interval that follows one. */
  bool batch;
  double batch_interval; /* s, > 0 */
  /* the session's data plane (nodes/data.c); data_rate 0 = none */
  double data_rate;     /* payload bit/s */
  uint32_t packet_size; /* payload bytes per packet (<= KT_DATA_MAX_PAYLOAD) */
  double switch_delay;  /* s between sending a new group key and using it */
  double data_until;    /* s: no packet at or after this time (the run's duration) */
  bool verify_data;     /* also really decrypt at every member (tests) */
} NetConfig;

typedef struct Net Net;

/* Builds the topology on the current simulation (sim_init done). */
Net *net_new(const NetConfig *config, KtTree *tree, const NetObserver *observer);
void net_free(Net *net);
/* Writes pcap traces into folder `dir` (which exists): core.pcap (BM-SC-GGSN
 * and GGSN-SGSN links), iu.pcap (SGSN-RNC links) and radio-rnc<r>.pcap per
 * RNC r (its dedicated and common channels); see sim_pcap_link and
 * sim_pcap_ran for the formats. Call right after net_new. false (and
 * *failed set to the path, caller frees) if a file cannot be created. */
bool net_trace_pcap(Net *net, const char *dir, char **failed);

/* Makes `ue` a member of `cell` at time 0 without any message (initial
 * members): tree join, UE keys installed directly. */
void net_provision(Net *net, uint32_t ue, uint32_t cell);
/* Starts a join / leave: the UE sends its Activate / Deactivate MBMS
 * context request on its dedicated channel. `seq` names the event. */
void net_ue_join(Net *net, uint32_t ue, uint32_t cell, uint32_t seq);
void net_ue_leave(Net *net, uint32_t ue, uint32_t seq);

/* Inspection, for reports and tests. */
uint32_t net_n_ues_seen(const Net *net);
bool net_ue_holds_group_key(const Net *net, uint32_t ue, const KtKey *key);
/* Keys a UE holds now (private, sub-group, group: those set). */
uint32_t net_ue_keys_held(const Net *net, uint32_t ue);
/* Tries to open `wrap` with every key UE `ue` holds now (real decryption);
 * true if any opens it. Used to check that departed UEs learn nothing. */
bool net_ue_can_open(const Net *net, uint32_t ue, const KtWrap *wrap);
/* Appends to `out` (GArray of KtKey) a copy of every key UE `ue` holds now
 * (whatever the scheme: private, sub-group or tree keys, group key). The
 * caller wipes them (kt_key_wipe) when done. */
void net_ue_copy_keys(const Net *net, uint32_t ue, GArray *out);
/* With verify_data: receptions where bookkeeping (the member holds the
 * packet's key ref) and real decryption disagreed. Should be 0. */
uint64_t net_data_verify_mismatches(const Net *net);
/* Wraps awaiting a key at some UE (should be 0 at the end of a run). */
uint32_t net_pending_wraps(const Net *net);
