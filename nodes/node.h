/* node.h — what every element file of nodes/ shares (not for app/): the
 * element table (NodeOps), the Net's common infrastructure, and the
 * transport (nodes/transport.c): sending encoded messages over sim/,
 * receiving and dispatching them, wrapping with counting, and timers.
 *
 * Each element kind (bmsc.c, relay.c for the GGSN and the SGSN, rnc.c,
 * ue.c) is one const NodeOps table (ROSS's tw_lptype is the model): init
 * creates the kind's state, which the file keeps private (net->state[kind]
 * is an opaque pointer only that file dereferences), on_message handles a
 * control message or a data packet that arrived, on_timer a timer the
 * element set itself, fini frees the state. No element reads or writes
 * another's state; they talk by messages (and, where the model shares one
 * object, through the modules below: the key tree, nodes/plan.c, the radio
 * network nodes/radio.c, the data plane nodes/data.c).
 *
 * Includes only what sits below it: keytree/, sim/, nodes/net_types.h.
 */
#pragma once
#include <glib.h>

#include "keytree/kt_keygen.h"
#include "nodes/net_types.h"
#include "sim/sim.h"

#define NET_KIND_COUNT 5 /* NET_BMSC .. NET_UE */

typedef struct {
  const char *name;
  /* Creates the kind's state in net->state[kind]; `core_key` is the
   * network-domain key provisioned in the network elements (not UEs). */
  void (*init)(Net *net, const KtKey *core_key);
  /* Exactly one of `msg` (a decoded control message) and `data` (a decoded
   * data packet) is set; it arrived at element `self` from `from`. */
  void (*on_message)(Net *net, uint32_t self, NetElement from, const Msg *msg, const KtData *data);
  /* Timer `timer` (the kind's own numbering) set by element `self`. */
  void (*on_timer)(Net *net, uint32_t self, uint32_t timer);
  void (*fini)(Net *net);
  /* UEs only, may be NULL: the element's radio received (or lost, `lost`)
   * key-assignment block `block` of its cell (nodes/loss.h), or an RLC
   * reset discarded a frame of its dedicated channel (block 0, lost). */
  void (*on_block)(Net *net, uint32_t self, uint32_t block, bool lost);
  /* UEs only, may be NULL: a point-to-multipoint key assignment `msg` heard
   * by the UEs `to` of one cell, in that order, none of them lost: the same
   * as on_message for each, in one call per transmission (transport.c uses
   * it when no reception can be lost, nodes/loss.h). */
  void (*on_common)(Net *net, const uint32_t *to, guint n, NetElement from, const Msg *msg);
  /* UEs only, may be NULL: a hint, no effect on the run: a message for
   * `self` comes soon, so its state can be fetched into the cache. */
  void (*prefetch)(const Net *net, uint32_t self);
} NodeOps;

typedef struct Radio Radio;
typedef struct PlanBook PlanBook;
typedef struct DataPlane DataPlane;
typedef struct UnwrapShare UnwrapShare;
typedef struct Loss Loss;

struct Net {
  NetConfig cfg;
  KtTree *tree;     /* the key server's view (borrowed) */
  KtKeyGen *keygen; /* the tree's: one seeded stream for every byte */
  NetObserver obs;
  uint32_t n_sgsn, n_rnc, n_cells;
  const NodeOps *ops[NET_KIND_COUNT]; /* set by net.c */
  void *state[NET_KIND_COUNT];        /* each kind's own, opaque here */

  /* the wired topology (built by net.c) */
  SimNodeId bmsc_node;
  SimNodeId *ggsn_node, *sgsn_node, *rnc_node;
  SimLinkId *ggsn_uplink; /* BM-SC–GGSN g */
  SimLinkId *sgsn_uplink; /* GGSN–SGSN s */
  SimLinkId *rnc_uplink;  /* SGSN–RNC r (Iu) */

  Radio *radio;              /* nodes/radio.c: RANs, camping, bearers */
  PlanBook *plans;           /* nodes/plan.c: plans in flight, what leavers held */
  DataPlane *data;           /* nodes/data.c; NULL without a data plane */
  UnwrapShare *unwrap_share; /* nodes/unwrap_share.c; NULL with crypto = per-ue */
  Loss *loss;                /* nodes/loss.c; NULL when lossless without recovery */
  GArray *scratch;           /* uint32 cells, for one call of an element */
  GArray *scratch_ues;       /* uint32 UEs, transport.c's */
};

/* Topology. */
static inline uint32_t net_rnc_of_cell(const Net *net, uint32_t cell) {
  return cell / net->cfg.cells_per_rnc;
}
static inline uint32_t net_sgsn_of_rnc(const Net *net, uint32_t rnc) {
  return rnc / net->cfg.rnc_per_sgsn;
}
static inline uint32_t net_ggsn_of_sgsn(const Net *net, uint32_t sgsn) {
  return sgsn / net->cfg.sgsn_per_ggsn;
}

/* Reporting to the observer. */
void net_reject(Net *net, NetElement at, const char *why);

/* Installs the sim receiver: from then on, what arrives is decoded (or
 * rejected) and handed to the receiving element's on_message. */
void net_transport_listen(Net *net);

/* Sending: encode, hand to sim/, report to the observer. */
void net_send_link(Net *net, NetElement from, NetElement to, const Msg *msg);
void net_send_dch_up(Net *net, uint32_t ue, const Msg *msg);
void net_send_dch_down(Net *net, uint32_t rnc, uint32_t ue, const Msg *msg);
/* A hint, no effect on the run: net_send_dch_down to `ue` comes soon,
 * `step` 1 some sends before step 0: step 1 fetches the records of the UE
 * into the cache, step 0 (reading them) where its radio is camped. */
void net_dch_down_ahead(const Net *net, uint32_t ue, unsigned step);
/* One point-to-multipoint message on the given global cells of `rnc`. */
void net_send_common(Net *net, uint32_t rnc, const GArray *cells, const Msg *msg);
/* The same for an answer to key requests (a multicast round, recovery.h):
 * its transmissions are not numbered key-assignment blocks, so a UE that
 * asked nothing and loses one does not take it for a rekey it missed (the
 * askers' own retry timers cover a lost answer). */
void net_send_common_answer(Net *net, uint32_t rnc, const GArray *cells, const Msg *msg);
void net_send_data_link(Net *net, NetElement from, NetElement to, const KtData *d);
void net_send_data_common(Net *net, uint32_t rnc, const GArray *cells, const KtData *d);

/* Wrapping with counting. */
void net_wrap(Net *net, NetElement by, uint32_t seq, KtWrap *out, const KtKey *key,
              const KtKey *under);
bool net_unwrap(Net *net, NetElement by, KtKey *out, const KtWrap *wrap, const KtKey *under);
/* For a caller that answers repeats of an open itself (ue.c's common
 * path; crypto = shared only, net->unwrap_share set): net_open decrypts as
 * net_unwrap does (0, or -1 if `under` does not open `wrap`) and reports
 * nothing (the caller reports each holder's unwrap); net_open_repeats
 * counts `n` opens the caller answered from one net_open made, with the
 * same wrap and the same key bytes, as shared ones. */
int net_open(Net *net, KtKey *out, const KtWrap *wrap, const KtKey *under);
void net_open_repeats(Net *net, uint64_t n);

/* Timers: after `delay_s`, element `el`'s on_timer(el.index, timer). One
 * sim event each, in the order set (equal times keep that order). */
void net_set_timer(Net *net, NetElement el, double delay_s, uint32_t timer);
