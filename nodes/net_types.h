/* net_types.h — the types nodes/ shares with its users: element names,
 * channels, the observer through which every count is reported, and the
 * network's configuration (see net.h for the API that uses them). A header
 * of its own so that nodes/node.h (the elements' shared infrastructure) and
 * nodes/net.h (the public API, implemented by net.c on top of node.h)
 * both rest on it without including each other.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytree/kt_data.h"
#include "keytree/kt_tree.h"
#include "nodes/msg.h"
#include "sim/sim.h"

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
  /* A handover of `ue` from `from_cell` to `to_cell` is applied to the keys
   * (docs/flows.md, "Handover"): with `leaves_scope` (embodiment 2,
   * another RNC) it is about to leave its old RNC's group (its old keys
   * are those it holds now); otherwise it stays in its group and the keys
   * it holds now are about to be replaced by those of its new place. The
   * UE's key ring has not changed yet. */
  void (*on_move)(void *ctx, uint32_t ue, uint32_t from_cell, uint32_t to_cell, bool leaves_scope);
  /* the request of event `seq` reached its first network element */
  void (*on_request)(void *ctx, uint32_t seq);
  /* UE `ue` installed group key `ref`, delivered by a message of event `seq` */
  void (*on_group_install)(void *ctx, uint32_t ue, uint32_t seq, KtKeyRef ref);
  /* may be NULL (then UEs report one by one, as above): what on_unwrap
   * (by UEs) and on_group_install report, for many UEs at once: the
   * holders that hear one common-channel transmission report their
   * unwraps (`n_ok` that opened, `n_failed` that did not) and their
   * installs of group key `ref` of event `seq` (the UEs `ues`, in the
   * order they installed it) in one call each; the counts are those of
   * the calls one by one. */
  void (*on_ue_unwraps)(void *ctx, uint32_t n_ok, uint32_t n_failed);
  void (*on_group_installs)(void *ctx, const uint32_t *ues, uint32_t n, uint32_t seq, KtKeyRef ref);
  /* may be NULL: a key assignment is about to reach the UEs `ues` (a
   * common channel's holders, or the next receivers of dedicated-channel
   * frames), each of which may then install a key (on_group_install). A
   * hint to fetch what is kept per UE ahead (nothing to count on it: a
   * UE named may lose the frame, or get it later than others). */
  void (*on_common_reach)(void *ctx, const uint32_t *ues, uint32_t n);
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
  /* ---- loss and recovery (docs/reliability.md); each may be NULL ---- */
  /* UE `ue` lost its reception of a common-channel transmission: a key
   * assignment `msg`, or a data packet (msg NULL) */
  void (*on_common_loss)(void *ctx, uint32_t ue, const Msg *msg);
  /* a dedicated-channel frame of `msg` (to or from UE `ue`) was lost and is
   * sent again (lost_for_good false), or lost for good (true) */
  void (*on_dch_loss)(void *ctx, uint32_t ue, const Msg *msg, bool lost_for_good);
  /* `rnc` repeated point-to-multipoint message `msg` (`len` bytes) on
   * `n_tx` cells ([reliability] repeat) */
  void (*on_repeat)(void *ctx, uint32_t rnc, const Msg *msg, size_t len, uint32_t n_tx);
  /* `rnc` ended a multicast round ([reliability] multicast-rounds): one
   * key assignment `msg` of `len` bytes on `n_tx` cells */
  void (*on_round)(void *ctx, uint32_t rnc, const Msg *msg, size_t len, uint32_t n_tx);
  /* `rnc` refused UE `ue`'s key request (not one of its members) */
  void (*on_refused)(void *ctx, uint32_t rnc, uint32_t ue);
  void *ctx;
} NetObserver;

/* Loss on the channels and recovery of missed keys (docs/reliability.md).
 * All zero: lossless channels and no recovery, as before. */
typedef struct {
  SimLossParams common, dch; /* per channel class */
  SimLossStates states;      /* the UEs' radio condition (gilbert-elliott) */
  uint32_t dch_max_retx;     /* RLC AM retransmissions before a frame is lost */
  double core, iu;           /* Bernoulli loss of core / Iu frames */
  uint64_t seed;             /* ns-3's run number (the scenario's seed) */
  bool recovery;             /* UEs ask for missed keys; the RNC answers */
  double timeout;            /* s from a detection to the request */
  double retry;              /* s after a request with no answer to ask again */
  uint32_t repeat;           /* transmissions of each p2m key assignment (>= 1) */
  double repeat_interval;    /* s between two of them */
  /* NAS retransmission of context requests (nodes/ue_nas.h): on when the
   * dedicated channels are lossy */
  bool nas;
  double t3380, t3390; /* s: activation, deactivation timers */
  uint32_t nas_retx;   /* requests sent again before the procedure is aborted */
  /* Zhang et al.'s reactive multicast rounds (nodes/recovery.h): 0 = none */
  uint32_t multicast_rounds;
  double round_length; /* s from a round's first request to its multicast */
} NetLoss;

typedef struct {
  int embodiment; /* 1 or 2 */
  bool join_rekey;
  KtMoveRekey handover_rekey; /* what a move does to the sub-group it leaves */
  uint32_t ggsn, sgsn_per_ggsn, rnc_per_sgsn, cells_per_rnc;
  /* one parameter set per channel class (sim/sim.h) */
  SimChannel core, iu, dch, common;
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
  /* [run] crypto = per-ue: every holder runs libsodium itself (the
   * reference); otherwise holders with equal key bytes share one open of a
   * wrap (nodes/unwrap_share.h) */
  bool crypto_per_ue;
  NetLoss loss;
} NetConfig;

typedef struct Net Net; /* opaque outside nodes/ */
