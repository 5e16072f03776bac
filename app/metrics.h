/* metrics.h — the one place where messages, bytes, wraps and key
 * installations are counted.
 *
 * Elements are counted individually for the network (BM-SC, each GGSN, SGSN,
 * RNC) and together for the UEs (one "ue" row: a million per-UE rows would
 * help nobody). Events (joins and leaves) get one EventRecord each, indexed
 * by their sequence number `seq` (0, 1, 2 … in workload order), which every
 * message carries.
 *
 * Message classes: a message is a rekey message (counted in the event's
 * p2p/p2m/core columns and bytes) or signalling (context activation,
 * counted apart). Bytes of a point-to-multipoint message count once per
 * transmission (per cell), since each transmission occupies a channel.
 *
 * Latency of an event: from the time its request reached the first network
 * element (the RNC) until the last member in scope installed the new group
 * key or a newer one (see completion.h for who is expected); 0 when no key
 * changed.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { EL_BMSC, EL_GGSN, EL_SGSN, EL_RNC, EL_UE, EL_KIND_COUNT } ElKind;

typedef struct {
  uint64_t msgs_sent, bytes_sent, msgs_recv, bytes_recv;
  uint64_t wraps, unwraps, unwrap_failures, rejected;
} ElCounters;

/* EV_MOVE: a handover (docs/flows.md, "Handover"); cell is the new cell */
typedef enum { EV_JOIN, EV_LEAVE, EV_MOVE } EvKind;

typedef struct {
  double time; /* the event's time in the workload */
  EvKind kind;
  uint32_t ue, rnc, cell;
  uint32_t from_cell; /* a move: the cell it left; else UINT32_MAX */
  uint32_t subgroup;  /* the UE's sub-group (joined, left, or moved into); UINT32_MAX if none */
  uint32_t p2p_msgs, p2m_msgs, p2m_tx, core_msgs, signalling_msgs;
  uint64_t bytes; /* rekey message bytes (p2m per transmission) */
  uint64_t wraps;
  double start;        /* request reached the RNC; < 0 until then */
  double done;         /* last expected installation; < 0 until then */
  double last_install; /* time of the latest installation counted */
  uint32_t installs_expected, installs_done;
  bool group_changed;
  /* loss and recovery (docs/reliability.md) */
  uint32_t retransmissions; /* dedicated-channel frames of its messages sent again */
  uint32_t p2m_repeats;     /* repeated transmissions of its p2m messages */
  uint32_t recovery_replies; /* key recoveries carrying its group key */
  uint64_t recovery_bytes;
  bool inter_rnc; /* a move to another RNC */
} EventRecord;

typedef struct RecStore RecStore;

typedef struct {
  uint32_t n_ggsn, n_sgsn, n_rnc;
  RecStore *events;       /* EventRecord, index = seq (app/rec_store.h) */
  ElCounters *elements;   /* 1 + n_ggsn + n_sgsn + n_rnc + 1 (UEs), see metrics_element */
  uint64_t rejected_msgs; /* malformed bytes received anywhere */
  uint64_t link_drops;
} Metrics;

Metrics *metrics_new(uint32_t n_ggsn, uint32_t n_sgsn, uint32_t n_rnc);
void metrics_free(Metrics *m);
guint metrics_n_elements(const Metrics *m);
/* Index of element `i` of `kind` (i ignored for BM-SC and UE). */
guint metrics_element(const Metrics *m, ElKind kind, uint32_t i);
/* Kind and index within kind of an element index. */
ElKind metrics_element_kind(const Metrics *m, guint element, uint32_t *i);

/* Opens the record of the next event; returns its seq. */
uint32_t metrics_event_new(Metrics *m, double time, EvKind kind, uint32_t ue, uint32_t cell,
                           uint32_t rnc);
/* The record of event `seq` (< metrics_n_events); valid until metrics_free. */
EventRecord *metrics_event(Metrics *m, uint32_t seq);
/* The same, to read (the reports) */
const EventRecord *metrics_event_read(const Metrics *m, uint32_t seq);
uint32_t metrics_n_events(const Metrics *m);

/* Counting, called only where messages are sent and received. */
/* `n` copies of a message of `bytes` bytes sent / received by `element`
 * (n > 1: one per transmission, or one per UE hearing a common channel). */
void metrics_sent(Metrics *m, guint element, size_t bytes, uint32_t n);
void metrics_received(Metrics *m, guint element, size_t bytes, uint32_t n);
void metrics_wrapped(Metrics *m, guint element, uint32_t seq, guint n);
void metrics_unwrapped(Metrics *m, guint element, bool ok);
/* `ok` unwraps and `failed` failed ones by `element` (as many calls of
 * metrics_unwrapped). */
void metrics_unwrapped_n(Metrics *m, guint element, uint32_t ok, uint32_t failed);
/* Counts a rejected (malformed) message at `element` and in rejected_msgs. */
void metrics_rejected(Metrics *m, guint element);
/* Counts a packet the channel model dropped (link_drops). */
void metrics_link_dropped(Metrics *m);

/* Latency bookkeeping. */
void metrics_request_reached_network(Metrics *m, uint32_t seq, double now);
void metrics_expect_installs(Metrics *m, uint32_t seq, uint32_t n);
void metrics_installed(Metrics *m, uint32_t seq, double now);
/* `n` installs at `now` (as n calls of metrics_installed). */
void metrics_installed_n(Metrics *m, uint32_t seq, double now, uint32_t n);
/* One expected installation will not happen (the member left first). */
void metrics_install_not_expected(Metrics *m, uint32_t seq);
/* True once the request reached the network and all `installs_expected`
 * (> 0) installations happened. */
bool metrics_event_complete(const EventRecord *e);
/* Latency of an event in seconds (0 if no key changed or none expected). */
double metrics_event_latency(const EventRecord *e);
