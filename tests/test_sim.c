/* test_sim.c — unit tests of sim/ (ns-3 behind sim.h): event order and clock,
 * point-to-point link timing and payloads, dedicated and common radio
 * channels, repeated init/destroy, event counting, the bare-event benchmark
 * and the memory per UE. */
#include "sim/sim.h"
#include "sim/sim_order.h"

#include <glib.h>
#include <math.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#define TOL 1e-12

/* ASan's redzones and quarantine inflate memory: the per-UE bound is only
 * checked in uninstrumented builds (the numbers are reported either way). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* ---- recording receiver ---- */

enum { K_EVENT, K_LINK, K_DCH, K_COMMON };

typedef struct {
  int kind;
  double t;
  uint32_t a, b, c; /* event: arg; link: link,to,from; dch: ran,to,ue; common: ran,cell */
  size_t len;
  uint32_t sum; /* checksum of all len bytes */
  uint8_t bytes[64];
} Rec;

#define MAX_RECS 8192
static Rec recs[MAX_RECS];
static int nrec;

static uint32_t checksum(const uint8_t *bytes, size_t len) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ bytes[i]) * 16777619u;
  return h;
}

static Rec *rec_new(int kind, const uint8_t *bytes, size_t len) {
  g_assert_cmpint(nrec, <, MAX_RECS);
  Rec *r = &recs[nrec++];
  memset(r, 0, sizeof *r);
  r->kind = kind;
  r->t = sim_now();
  r->len = len;
  if (bytes != NULL) {
    memcpy(r->bytes, bytes, MIN(len, sizeof r->bytes));
    r->sum = checksum(bytes, len);
  }
  return r;
}

/* the recorder keeps the first 64 bytes and a checksum of all of them */
static void check_payload(const Rec *r, const uint8_t *want, size_t len) {
  g_assert_cmpuint(r->len, ==, len);
  g_assert_cmpmem(r->bytes, MIN(len, sizeof r->bytes), want, MIN(len, sizeof r->bytes));
  g_assert_cmpuint(r->sum, ==, checksum(want, len));
}

static void on_link(void *ctx, SimLinkId link, SimNodeId to, SimNodeId from, const uint8_t *bytes,
                    size_t len) {
  g_assert_true(ctx == &nrec);
  Rec *r = rec_new(K_LINK, bytes, len);
  r->a = link, r->b = to, r->c = from;
}

static void on_dch(void *ctx, SimRanId ran, SimNodeId to, SimNodeId ue, const uint8_t *bytes,
                   size_t len) {
  g_assert_true(ctx == &nrec);
  Rec *r = rec_new(K_DCH, bytes, len);
  r->a = ran, r->b = to, r->c = ue;
}

static void on_common(void *ctx, SimRanId ran, uint32_t cell, const uint8_t *bytes, size_t len) {
  g_assert_true(ctx == &nrec);
  Rec *r = rec_new(K_COMMON, bytes, len);
  r->a = ran, r->b = cell;
}

static void on_event(void *ctx, uint64_t arg) {
  g_assert_true(ctx == &nrec);
  Rec *r = rec_new(K_EVENT, NULL, 0);
  r->a = (uint32_t)arg;
}

/* RLC AM reports (sim_ran_set_dch_loss): time, node, final or not. */
typedef struct {
  double t;
  SimNodeId ue;
  bool final;
} DchLoss;
static DchLoss dch_losses[16];
static guint n_dch_losses;

static void on_dch_loss(void *ctx, SimRanId ran, SimNodeId ue, const uint8_t *bytes, size_t len,
                        bool lost_for_good) {
  (void)ran;
  (void)bytes;
  (void)len;
  g_assert_true(ctx == &nrec);
  g_assert_cmpuint(n_dch_losses, <, G_N_ELEMENTS(dch_losses));
  dch_losses[n_dch_losses++] = (DchLoss){sim_now(), ue, lost_for_good};
}

static void start(void) {
  sim_init();
  nrec = 0;
  n_dch_losses = 0;
  SimReceiver rx = {.on_link = on_link,
                    .on_dch = on_dch,
                    .on_common = on_common,
                    .on_dch_loss = on_dch_loss,
                    .ctx = &nrec};
  sim_set_receiver(&rx);
}

static void fill(uint8_t *buf, size_t len, uint32_t seed) {
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(seed * 131u + i * 7u + 1u);
}

/* ---- events ---- */

static void ev_chain(void *ctx, uint64_t arg) {
  on_event(ctx, arg);
  sim_schedule(0.0, on_event, ctx, 100 + arg); /* same time, after what is already pending */
}

static void test_event_order(void) {
  start();
  g_assert_cmpfloat(sim_now(), ==, 0.0);
  sim_schedule(1.0, on_event, &nrec, 1);
  sim_schedule(1.0, ev_chain, &nrec, 2);
  sim_schedule(0.5, on_event, &nrec, 0);
  sim_schedule(1.0, on_event, &nrec, 3);
  sim_schedule(1.0, on_event, &nrec, 4);
  sim_schedule(2.25, on_event, &nrec, 5);
  sim_run(0);
  static const uint32_t order[] = {0, 1, 2, 3, 4, 102, 5};
  static const double at[] = {0.5, 1, 1, 1, 1, 1, 2.25};
  g_assert_cmpint(nrec, ==, G_N_ELEMENTS(order));
  for (int i = 0; i < nrec; i++) {
    g_assert_cmpint(recs[i].kind, ==, K_EVENT);
    g_assert_cmpuint(recs[i].a, ==, order[i]);
    g_assert_cmpfloat_with_epsilon(recs[i].t, at[i], TOL);
  }
  g_assert_cmpfloat_with_epsilon(sim_now(), 2.25, TOL);
  sim_destroy();
}

/* sim_order: reserved events run where sim_schedule calls made at the
 * reservation would have run (sim/sim_order.h), however late they are
 * scheduled: after the events scheduled before the reservation, before
 * those scheduled after it, among themselves by their number. */
static SimOrder reserved;

static void schedule_reserved(void *ctx, uint64_t arg) {
  on_event(ctx, arg);
  if (arg == 1) { /* at 0.5 s: numbers 1 and 0 for 1 s, in that order */
    sim_order_schedule(&reserved, 1, 1.0, on_event, ctx, 31);
    sim_order_schedule(&reserved, 0, 1.0, schedule_reserved, ctx, 30);
  } else if (arg == 30) { /* number 2 for 2 s, from inside number 0 */
    sim_order_schedule(&reserved, 2, 2.0, on_event, ctx, 32);
    sim_schedule(0.0, on_event, ctx, 33); /* same time, after what is pending */
  }
}

static void test_reserved_order(void) {
  start();
  sim_schedule(1.0, on_event, &nrec, 10);
  reserved = sim_order_reserve(3);
  sim_schedule(1.0, on_event, &nrec, 20);
  sim_schedule(2.0, on_event, &nrec, 21);
  sim_schedule(0.5, schedule_reserved, &nrec, 1);
  sim_run(0);
  static const uint32_t order[] = {1, 10, 30, 31, 20, 33, 32, 21};
  static const double at[] = {0.5, 1, 1, 1, 1, 1, 2, 2};
  g_assert_cmpint(nrec, ==, G_N_ELEMENTS(order));
  for (int i = 0; i < nrec; i++) {
    g_assert_cmpuint(recs[i].a, ==, order[i]);
    g_assert_cmpfloat_with_epsilon(recs[i].t, at[i], TOL);
  }
  g_assert_cmpuint(sim_events_executed(), ==, G_N_ELEMENTS(order));
  sim_destroy();
}

static void test_run_until(void) {
  start();
  sim_schedule(1.0, on_event, &nrec, 1);
  sim_schedule(2.0, on_event, &nrec, 2);
  sim_schedule(3.0, on_event, &nrec, 3);
  sim_run(2.5);
  g_assert_cmpint(nrec, ==, 2);
  g_assert_cmpfloat_with_epsilon(sim_now(), 2.5, TOL);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 3);
  g_assert_cmpuint(recs[2].a, ==, 3);
  g_assert_cmpfloat_with_epsilon(sim_now(), 3.0, TOL);
  sim_destroy();
}

static void test_event_count(void) {
  start();
  uint64_t e0 = sim_events_executed();
  for (int i = 0; i < 10; i++)
    sim_schedule(0.001 * i, on_event, &nrec, i);
  sim_run(0);
  g_assert_cmpuint(sim_events_executed() - e0, ==, 10);

  /* ns-3's own events count too: node/device initialisation, the
   * point-to-point device's transmit-complete and the channel's delivery */
  SimNodeId a = sim_node_new(), b = sim_node_new();
  SimLinkId l = sim_link_new(a, b, &(SimChannel){1e6, 0.001});
  sim_run(0);
  uint64_t e1 = sim_events_executed();
  g_assert_cmpuint(e1 - e0, >, 10);
  uint8_t msg[10] = {0};
  sim_link_send(l, a, msg, sizeof msg);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 11);
  g_assert_cmpuint(sim_events_executed() - e1, ==, 2);
  sim_destroy();
}

/* sim_settle runs ns-3's pending initialisation events now: the same
 * events as a run would (counted alike, its stop not counted), nothing
 * left for the run, and only before the simulation schedules its own. */
static uint64_t init_events(bool settle) {
  start();
  SimNodeId rnc = sim_node_new();
  SimRanId ran = sim_ran_new(rnc, 2, &(SimChannel){64000, 0.01}, &(SimChannel){32000, 0.02});
  for (int i = 0; i < 5; i++)
    sim_ran_attach(ran, sim_node_new());
  if (settle) {
    sim_settle();
    uint64_t settled = sim_events_executed();
    g_assert_cmpuint(settled, >, 0);
    sim_settle(); /* nothing pending: no event */
    g_assert_cmpuint(sim_events_executed(), ==, settled);
    g_assert_cmpfloat(sim_now(), ==, 0.0);
  }
  sim_schedule(0.5, on_event, &nrec, 1);
  sim_run(0);
  uint64_t n = sim_events_executed();
  g_assert_cmpint(nrec, ==, 1);
  sim_destroy();
  return n;
}

static void test_settle(void) {
  g_assert_cmpuint(init_events(true), ==, init_events(false));
}

/* An event of the simulation for a later time stays pending (and ns-3's
 * run before it); one for time 0 makes sim_settle do nothing (it would
 * run before the rest of the set-up). */
static void test_settle_with_timers(void) {
  start();
  sim_node_new();
  sim_schedule(0.5, on_event, &nrec, 1);
  sim_settle();
  uint64_t settled = sim_events_executed();
  g_assert_cmpuint(settled, >, 0); /* the node's initialisation */
  g_assert_cmpint(nrec, ==, 0);    /* not the timer */
  sim_node_new();
  sim_schedule(0.0, on_event, &nrec, 2);
  sim_settle();
  g_assert_cmpuint(sim_events_executed(), ==, settled); /* nothing ran */
  g_assert_cmpint(nrec, ==, 0);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 2);
  g_assert_cmpuint(recs[0].a, ==, 2); /* the time-0 event first */
  sim_destroy();
}

/* ---- point-to-point links ---- */

static void test_link_timing(void) {
  start();
  SimNodeId a = sim_node_new(), b = sim_node_new(), c = sim_node_new();
  g_assert_cmpuint(a, ==, 0);
  g_assert_cmpuint(c, ==, 2);
  g_assert_cmpuint(sim_node_count(), ==, 3);
  const double rate = 8e6, delay = 0.001; /* 1 byte per microsecond */
  SimLinkId l0 = sim_link_new(a, b, &(SimChannel){rate, delay});
  SimLinkId l1 = sim_link_new(b, c, &(SimChannel){rate, 0.0005});
  g_assert_cmpuint(l0, ==, 0);
  g_assert_cmpuint(l1, ==, 1);

  uint8_t m1[40], m2[50], m3[30];
  fill(m1, sizeof m1, 1);
  fill(m2, sizeof m2, 2);
  fill(m3, sizeof m3, 3);
  sim_link_send(l0, a, m1, sizeof m1); /* a -> b */
  sim_link_send(l0, b, m2, sizeof m2); /* b -> a, other direction: not serialised behind m1 */
  sim_link_send(l1, b, m3, sizeof m3); /* b -> c */
  /* a packet arriving at the same time as an event inserted later fires first */
  sim_schedule((sizeof m1 + SIM_LINK_OVERHEAD_BYTES) * 8 / rate + delay, on_event, &nrec, 7);
  sim_run(0);

  g_assert_cmpint(nrec, ==, 4);
  /* sorted by arrival time: m3 (32 us + 0.5 ms), m1 (42 us + 1 ms), event, m2 (52 us + 1 ms) */
  g_assert_cmpint(recs[0].kind, ==, K_LINK);
  g_assert_cmpuint(recs[0].a, ==, l1);
  g_assert_cmpuint(recs[0].b, ==, c);
  g_assert_cmpuint(recs[0].c, ==, b);
  g_assert_cmpfloat_with_epsilon(recs[0].t, (30.0 + SIM_LINK_OVERHEAD_BYTES) * 8 / rate + 0.0005,
                                 TOL);
  check_payload(&recs[0], m3, sizeof m3);

  g_assert_cmpint(recs[1].kind, ==, K_LINK);
  g_assert_cmpuint(recs[1].a, ==, l0);
  g_assert_cmpuint(recs[1].b, ==, b);
  g_assert_cmpuint(recs[1].c, ==, a);
  g_assert_cmpfloat_with_epsilon(recs[1].t, 42e-6 + delay, TOL);
  check_payload(&recs[1], m1, sizeof m1);

  g_assert_cmpint(recs[2].kind, ==, K_EVENT);
  g_assert_cmpfloat_with_epsilon(recs[2].t, 42e-6 + delay, TOL);

  g_assert_cmpint(recs[3].kind, ==, K_LINK);
  g_assert_cmpuint(recs[3].b, ==, a);
  g_assert_cmpuint(recs[3].c, ==, b);
  g_assert_cmpfloat_with_epsilon(recs[3].t, 52e-6 + delay, TOL);
  check_payload(&recs[3], m2, sizeof m2);
  g_assert_cmpuint(sim_link_drops(), ==, 0);
  sim_destroy();
}

static void send_later(void *ctx, uint64_t arg) {
  (void)ctx;
  uint8_t m[8];
  fill(m, sizeof m, (uint32_t)arg);
  sim_link_send(0, 0, m, sizeof m);
}

static void test_link_fifo(void) {
  start();
  SimNodeId a = sim_node_new(), b = sim_node_new();
  const double rate = 1e6, delay = 0.01; /* 8 us per byte */
  SimLinkId l = sim_link_new(a, b, &(SimChannel){rate, delay});
  /* 3000 back-to-back packets: well past ns-3's default 100-packet queue */
  enum { N = 3000, LEN = 123 };
  for (uint32_t i = 0; i < N; i++) {
    uint8_t m[LEN];
    fill(m, sizeof m, i);
    memcpy(m, &i, sizeof i);
    sim_link_send(l, a, m, sizeof m);
  }
  const double tx = (LEN + SIM_LINK_OVERHEAD_BYTES) * 8 / rate;
  sim_run(0);
  g_assert_cmpint(nrec, ==, N);
  for (uint32_t i = 0; i < N; i++) {
    uint32_t seq;
    memcpy(&seq, recs[i].bytes, sizeof seq);
    g_assert_cmpuint(seq, ==, i);
    g_assert_cmpuint(recs[i].len, ==, LEN);
    g_assert_cmpfloat_with_epsilon(recs[i].t, (i + 1) * tx + delay, 1e-9);
  }
  g_assert_cmpfloat_with_epsilon(recs[1].t - recs[0].t, tx, TOL);
  g_assert_cmpuint(sim_link_drops(), ==, 0);

  /* an idle link starts a new packet at once, not behind old busy time */
  nrec = 0;
  double t0 = sim_now() + 1.0;
  sim_schedule(1.0, send_later, NULL, 5);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 1);
  g_assert_cmpfloat_with_epsilon(recs[0].t, t0 + (8.0 + SIM_LINK_OVERHEAD_BYTES) * 8 / rate + delay,
                                 1e-9);
  uint8_t want[8];
  fill(want, sizeof want, 5);
  check_payload(&recs[0], want, sizeof want);
  sim_destroy();
}

static void test_link_large_payload(void) {
  start();
  SimNodeId a = sim_node_new(), b = sim_node_new();
  sim_link_new(a, b, &(SimChannel){1e9, 0.0});
  static uint8_t big[100000];
  fill(big, sizeof big, 9);
  sim_link_send(0, b, big, sizeof big);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 1);
  g_assert_cmpuint(recs[0].len, ==, sizeof big);
  g_assert_cmpmem(recs[0].bytes, 64, big, 64);
  g_assert_cmpuint(recs[0].sum, ==, checksum(big, sizeof big));
  g_assert_cmpuint(recs[0].b, ==, a);
  g_assert_cmpuint(recs[0].c, ==, b);
  sim_destroy();
}

/* ---- dedicated channels ---- */

static void test_dch(void) {
  start();
  SimNodeId rnc = sim_node_new(), u1 = sim_node_new(), u2 = sim_node_new();
  const double rate = 64000, delay = 0.01; /* 125 us per byte */
  SimRanId ran = sim_ran_new(rnc, 2, &(SimChannel){rate, delay}, &(SimChannel){32000, 0.02});
  g_assert_cmpuint(ran, ==, 0);
  sim_ran_attach(ran, u1);
  sim_ran_attach(ran, u2);

  uint8_t up1[100], up2[100], up3[60], dn1[50], dn2[20];
  fill(up1, sizeof up1, 11);
  fill(up2, sizeof up2, 12);
  fill(up3, sizeof up3, 13);
  fill(dn1, sizeof dn1, 14);
  fill(dn2, sizeof dn2, 15);
  sim_dch_up(ran, u1, up1, sizeof up1);   /* 12.5 ms + 10 ms = 22.5 ms */
  sim_dch_up(ran, u1, up2, sizeof up2);   /* behind up1: 25 ms + 10 ms = 35 ms */
  sim_dch_up(ran, u2, up3, sizeof up3);   /* other UE, own channel: 7.5 + 10 = 17.5 ms */
  sim_dch_down(ran, u1, dn1, sizeof dn1); /* other direction: 6.25 + 10 = 16.25 ms */
  sim_dch_down(ran, u2, dn2, sizeof dn2); /* 2.5 + 10 = 12.5 ms */
  sim_run(0);

  struct {
    double t;
    SimNodeId to, ue;
    const uint8_t *m;
    size_t len;
  } want[] = {
      {0.0125, u2, u2, dn2, sizeof dn2},  {0.01625, u1, u1, dn1, sizeof dn1},
      {0.0175, rnc, u2, up3, sizeof up3}, {0.0225, rnc, u1, up1, sizeof up1},
      {0.035, rnc, u1, up2, sizeof up2},
  };
  g_assert_cmpint(nrec, ==, G_N_ELEMENTS(want));
  for (int i = 0; i < nrec; i++) {
    g_assert_cmpint(recs[i].kind, ==, K_DCH);
    g_assert_cmpuint(recs[i].a, ==, ran);
    g_assert_cmpuint(recs[i].b, ==, want[i].to);
    g_assert_cmpuint(recs[i].c, ==, want[i].ue);
    g_assert_cmpfloat_with_epsilon(recs[i].t, want[i].t, TOL);
    check_payload(&recs[i], want[i].m, want[i].len);
  }
  g_assert_cmpfloat_with_epsilon(recs[4].t - recs[3].t, sizeof up2 * 8 / rate, TOL);
  sim_destroy();
}

/* Bursts of dedicated-channel frames. Each starts as a unicast rekey does:
 * one frame of one length to each UE in turn, 800 frames over 500 UEs
 * (the later ones wait behind the earlier on their UE's channel), which
 * arrive in the order sent (sim_radio.cc holds such frames in a queue of
 * 340-frame blocks); then 400 hand-overs at random: lengths 1 to 400 bytes,
 * uplink frames, and events scheduled for exactly the instant a frame
 * arrives, some handed over before that frame, some after. The second
 * burst is sent from an event while the first is still on its way, with
 * frames longer than a queue slot's 144 inline bytes.
 * Expected: the rule of sim.h, recomputed here: a frame arrives at
 * max(now, busy-until of its UE one way) + len * 8 / rate + delay, and
 * whatever arrives at the same instant runs in the order it was handed
 * over (sent or scheduled). 1 us per byte, so every time is a whole
 * number of microseconds. */
enum { BURST_UES = 500, BURST_RUN = 800, BURST_SENDS = 1200 };

typedef struct {
  int64_t at_us; /* arrival */
  uint32_t seq;  /* the order it was handed over */
  int kind;      /* K_DCH or K_EVENT */
  SimNodeId to, ue;
  uint32_t arg; /* event: its argument; frame: its seed */
  size_t len;
} BurstWant;

static struct {
  SimRanId ran;
  SimNodeId rnc, first_ue;
  int64_t busy_down[BURST_UES], busy_up[BURST_UES];
  BurstWant want[2 * BURST_SENDS + 64];
  uint32_t n_want;
  GRand *rng;
} burst;

static const int64_t kBurstDelayUs = 10000;

/* Hands over hand-over `i` of a burst (see above) of run length
 * `run_len`, noting what the rule expects. */
static void burst_send(int64_t now_us, uint32_t i, size_t run_len, uint32_t seed) {
  BurstWant *w = &burst.want[burst.n_want];
  w->seq = burst.n_want++;
  if (i < BURST_RUN) {
    uint32_t u = i % BURST_UES;
    uint8_t m[400];
    fill(m, run_len, seed);
    burst.busy_down[u] = MAX(now_us, burst.busy_down[u]) + (int64_t)run_len;
    w->kind = K_DCH, w->at_us = burst.busy_down[u] + kBurstDelayUs, w->arg = seed;
    w->len = run_len, w->ue = w->to = burst.first_ue + u;
    sim_dch_down(burst.ran, w->ue, m, run_len);
    return;
  }
  if (g_rand_int_range(burst.rng, 0, 12) == 0) {
    int64_t at = burst.want[g_rand_int_range(burst.rng, 0, (int)burst.n_want - 1)].at_us;
    if (at >= now_us) {
      w->kind = K_EVENT, w->at_us = at, w->arg = seed;
      sim_schedule((double)(at - now_us) * 1e-6, on_event, &nrec, seed);
      return;
    }
  }
  uint32_t u = (uint32_t)g_rand_int_range(burst.rng, 0, BURST_UES);
  bool up = g_rand_int_range(burst.rng, 0, 8) == 0;
  size_t len = (size_t)g_rand_int_range(burst.rng, 1, 401);
  uint8_t m[400];
  fill(m, len, seed);
  int64_t *busy = up ? &burst.busy_up[u] : &burst.busy_down[u];
  *busy = MAX(now_us, *busy) + (int64_t)len;
  w->kind = K_DCH, w->at_us = *busy + kBurstDelayUs, w->arg = seed, w->len = len;
  w->ue = burst.first_ue + u;
  w->to = up ? burst.rnc : w->ue;
  if (up)
    sim_dch_up(burst.ran, w->ue, m, len);
  else
    sim_dch_down(burst.ran, w->ue, m, len);
}

static void burst_second(void *ctx, uint64_t arg) {
  (void)ctx;
  /* this event is itself expected: it was handed over with the first burst */
  on_event(&nrec, arg);
  for (uint32_t i = 0; i < BURST_SENDS; i++)
    burst_send((int64_t)llround(sim_now() * 1e6), i, 200, 100000 + i);
}

static int burst_cmp(const void *a, const void *b) {
  const BurstWant *x = a, *y = b;
  if (x->at_us != y->at_us)
    return x->at_us < y->at_us ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void test_dch_burst_order(void) {
  start();
  memset(&burst, 0, sizeof burst);
  burst.rng = g_rand_new_with_seed(2026);
  burst.rnc = sim_node_new();
  burst.ran = sim_ran_new(burst.rnc, 1, &(SimChannel){8e6, kBurstDelayUs * 1e-6},
                          &(SimChannel){32000, 0.02});
  burst.first_ue = sim_node_new();
  for (int i = 1; i < BURST_UES; i++)
    sim_node_new();
  for (int i = 0; i < BURST_UES; i++)
    sim_ran_attach(burst.ran, burst.first_ue + (SimNodeId)i);
  for (uint32_t i = 0; i < BURST_SENDS; i++)
    burst_send(0, i, 100, i);
  /* the second burst starts 50 us after the first frames' arrival, while
   * most of the first burst is still on its way */
  int64_t second_us = kBurstDelayUs + 100 + 50;
  BurstWant *w = &burst.want[burst.n_want];
  *w = (BurstWant){.at_us = second_us, .seq = burst.n_want, .kind = K_EVENT, .arg = 99999};
  burst.n_want++;
  sim_schedule((double)second_us * 1e-6, burst_second, &nrec, 99999);
  sim_run(0);

  qsort(burst.want, burst.n_want, sizeof burst.want[0], burst_cmp);
  g_assert_cmpint(nrec, ==, (int)burst.n_want);
  guint n_frames = 0;
  for (uint32_t i = 0; i < burst.n_want; i++) {
    const BurstWant *x = &burst.want[i];
    const Rec *r = &recs[i];
    g_assert_cmpint(r->kind, ==, x->kind);
    g_assert_cmpfloat_with_epsilon(r->t, (double)x->at_us * 1e-6, 1e-10);
    if (x->kind == K_EVENT) {
      g_assert_cmpuint(r->a, ==, x->arg);
      continue;
    }
    n_frames++;
    g_assert_cmpuint(r->a, ==, burst.ran);
    g_assert_cmpuint(r->b, ==, x->to);
    g_assert_cmpuint(r->c, ==, x->ue);
    uint8_t m[400];
    fill(m, x->len, x->arg);
    check_payload(r, m, x->len);
  }
  g_assert_cmpuint(n_frames, >, 2 * BURST_SENDS * 3 / 4);
  g_rand_free(burst.rng);
  sim_destroy();
}

static void test_dch_two_rans(void) {
  start();
  SimNodeId r0 = sim_node_new(), r1 = sim_node_new();
  SimRanId a = sim_ran_new(r0, 1, &(SimChannel){8000, 0.1}, &(SimChannel){8000, 0.1});
  SimRanId b = sim_ran_new(r1, 1, &(SimChannel){16000, 0.05}, &(SimChannel){8000, 0.1});
  SimNodeId u0 = sim_node_new(), u1 = sim_node_new();
  sim_ran_attach(b, u1);
  sim_ran_attach(a, u0);
  uint8_t m[10] = {1, 2, 3};
  sim_dch_down(a, u0, m, sizeof m); /* 10 ms + 100 ms */
  sim_dch_up(b, u1, m, sizeof m);   /* 5 ms + 50 ms */
  sim_run(0);
  g_assert_cmpint(nrec, ==, 2);
  g_assert_cmpuint(recs[0].a, ==, b);
  g_assert_cmpuint(recs[0].b, ==, r1);
  g_assert_cmpuint(recs[0].c, ==, u1);
  g_assert_cmpfloat_with_epsilon(recs[0].t, 0.055, TOL);
  g_assert_cmpuint(recs[1].a, ==, a);
  g_assert_cmpuint(recs[1].b, ==, u0);
  g_assert_cmpuint(recs[1].c, ==, u0);
  g_assert_cmpfloat_with_epsilon(recs[1].t, 0.11, TOL);
  sim_destroy();
}

/* ---- common channels ---- */

static void test_common(void) {
  start();
  SimNodeId r0 = sim_node_new(), r1 = sim_node_new();
  const double rate = 32000, delay = 0.02; /* 250 us per byte */
  SimRanId a = sim_ran_new(r0, 3, &(SimChannel){64000, 0.01}, &(SimChannel){rate, delay});
  SimRanId b = sim_ran_new(r1, 1, &(SimChannel){64000, 0.01}, &(SimChannel){rate, delay});
  for (int i = 0; i < 50; i++)
    sim_ran_attach(i % 2 ? a : b, sim_node_new());
  sim_run(0); /* ns-3 initialises nodes and devices at t = 0 */
  uint64_t e0 = sim_events_executed();

  uint8_t m1[40], m2[20], m3[40], m4[40];
  fill(m1, sizeof m1, 21);
  fill(m2, sizeof m2, 22);
  fill(m3, sizeof m3, 23);
  fill(m4, sizeof m4, 24);
  sim_common_send(a, 0, m1, sizeof m1); /* 10 ms + 20 ms */
  sim_common_send(a, 0, m2, sizeof m2); /* behind m1: 15 ms + 20 ms */
  sim_common_send(a, 2, m3, sizeof m3); /* own cell: 10 + 20 ms */
  sim_common_send(b, 0, m4, sizeof m4); /* other RAN: 10 + 20 ms */
  sim_run(0);

  /* one event and one callback per transmission, whatever the UE count */
  g_assert_cmpuint(sim_events_executed() - e0, ==, 4);
  g_assert_cmpint(nrec, ==, 4);
  struct {
    double t;
    SimRanId ran;
    uint32_t cell;
    const uint8_t *m;
    size_t len;
  } want[] = {
      {0.03, a, 0, m1, sizeof m1},
      {0.03, a, 2, m3, sizeof m3},
      {0.03, b, 0, m4, sizeof m4},
      {0.035, a, 0, m2, sizeof m2},
  };
  for (int i = 0; i < nrec; i++) {
    g_assert_cmpint(recs[i].kind, ==, K_COMMON);
    g_assert_cmpuint(recs[i].a, ==, want[i].ran);
    g_assert_cmpuint(recs[i].b, ==, want[i].cell);
    g_assert_cmpfloat_with_epsilon(recs[i].t, want[i].t, TOL);
    check_payload(&recs[i], want[i].m, want[i].len);
  }
  sim_destroy();
}

/* ---- lifecycle ---- */

static void test_init_twice(void) {
  for (int round = 0; round < 3; round++) {
    start();
    g_assert_cmpuint(sim_node_count(), ==, 0);
    g_assert_cmpfloat(sim_now(), ==, 0.0);
    g_assert_cmpuint(sim_events_executed(), ==, 0);
    g_assert_cmpuint(sim_link_drops(), ==, 0);
    SimNodeId a = sim_node_new(), b = sim_node_new(), u = sim_node_new();
    g_assert_cmpuint(a, ==, 0);
    g_assert_cmpuint(u, ==, 2);
    SimLinkId l = sim_link_new(a, b, &(SimChannel){8e6, 0.001});
    g_assert_cmpuint(l, ==, 0);
    SimRanId r = sim_ran_new(b, 1, &(SimChannel){8000, 0.0}, &(SimChannel){8000, 0.0});
    g_assert_cmpuint(r, ==, 0);
    sim_ran_attach(r, u);
    uint8_t m[8] = {(uint8_t)round};
    sim_link_send(l, a, m, sizeof m);
    sim_dch_up(r, u, m, sizeof m);
    sim_schedule(5.0, on_event, &nrec, round);
    if (round == 2)
      break; /* leave pending events and state for sim_init to clear */
    sim_run(0);
    g_assert_cmpint(nrec, ==, 3);
    g_assert_cmpfloat_with_epsilon(recs[0].t, 10e-6 + 0.001, TOL);
    g_assert_cmpfloat_with_epsilon(recs[1].t, 0.008, TOL);
    g_assert_cmpuint(recs[1].bytes[0], ==, round);
    g_assert_cmpfloat_with_epsilon(sim_now(), 5.0, TOL);
    sim_destroy();
  }
  start(); /* over a simulation that was never destroyed */
  g_assert_cmpuint(sim_node_count(), ==, 0);
  g_assert_cmpuint(sim_events_executed(), ==, 0);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 0);
  sim_destroy();
  sim_destroy(); /* twice is harmless */
}

/* ---- benchmark ---- */

static void test_bench(void) {
  start();
  sim_schedule(1.0, on_event, &nrec, 1);
  uint64_t e0 = sim_events_executed();
  const uint64_t n = 1000000;
  double s = sim_bench_bare_events(n);
  g_assert_cmpfloat(s, >, 0.0);
  g_test_message("bare ns-3 scheduling: %" G_GUINT64_FORMAT " events in %.3f s = %.0f events/s", n,
                 s, n / s);
  /* the benchmark leaves the simulation alone */
  g_assert_cmpfloat(sim_now(), ==, 0.0);
  g_assert_cmpuint(sim_events_executed(), ==, e0);
  g_assert_cmpint(nrec, ==, 0);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 1);
  g_assert_cmpfloat(sim_bench_bare_events(10), >, 0.0);
  g_assert_cmpfloat(sim_bench_bare_events(0), >=, 0.0);
  sim_destroy();
}

/* ---- memory per UE ---- */

static long rss_kib(void) {
  malloc_trim(0);
  FILE *f = fopen("/proc/self/status", "r");
  g_assert_nonnull(f);
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
      break;
  fclose(f);
  g_assert_cmpint(kib, >, 0);
  return kib;
}

/* bytes of heap in use (live allocations, not RSS) */
static double heap_bytes(void) {
  struct mallinfo2 mi = mallinfo2();
  return (double)mi.uordblks + (double)mi.hblkhd;
}

static void test_memory_per_ue(void) {
  enum { N = 100000 };
  start();
  SimNodeId rnc = sim_node_new();
  SimRanId ran = sim_ran_new(rnc, 4, &(SimChannel){64000, 0.01}, &(SimChannel){32000, 0.02});
  long r0 = rss_kib();
  double h0 = heap_bytes();
  SimNodeId first = sim_node_new();
  for (int i = 1; i < N; i++)
    sim_node_new();
  long r1 = rss_kib();
  for (int i = 0; i < N; i++)
    sim_ran_attach(ran, first + i);
  long r2 = rss_kib();
  double node_b = (r1 - r0) * 1024.0 / N, dev_b = (r2 - r1) * 1024.0 / N;
  g_test_message("RSS per UE before run: node %.0f B + radio device %.0f B = %.0f B "
                 "(includes ns-3's pending initialise events)",
                 node_b, dev_b, node_b + dev_b);
  sim_run(0); /* runs ns-3's two initialise events per UE */
  long r3 = rss_kib();
  g_test_message("RSS per UE after ns-3 initialisation ran: %.0f B; live heap per UE: %.0f B",
                 (r3 - r0) * 1024.0 / N, (heap_bytes() - h0) / N);
  if (!SANITIZED) {
    g_assert_cmpfloat(node_b + dev_b, <, 2048.0);
    g_assert_cmpfloat((r3 - r0) * 1024.0 / N, <, 2048.0);
  }

  /* still works at this size */
  uint8_t m[16] = {42};
  sim_dch_down(ran, first + N - 1, m, sizeof m);
  sim_common_send(ran, 3, m, sizeof m);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 2);
  g_assert_cmpuint(recs[0].c, ==, first + N - 1);
  g_assert_cmpint(recs[1].kind, ==, K_COMMON);
  sim_destroy();
}

/* ---- loss models ---- */

/* |x - n p| within 5 standard deviations of a binomial(n, p). */
static void assert_binomial(guint x, guint n, double p) {
  double sd = sqrt(n * p * (1 - p));
  g_assert_cmpfloat(fabs(x - n * p), <=, 5 * sd + 1);
}

static void test_loss_bernoulli(void) {
  start();
  sim_loss_seed(7);
  SimLossParams p = {.model = SIM_LOSS_BERNOULLI, .rate = 0.1};
  SimLossId id = sim_loss_new(&p, 1);
  SimLossParams none = {.model = SIM_LOSS_NONE};
  SimLossId off = sim_loss_new(&none, 2);
  guint lost = 0, n = 100000;
  for (guint i = 0; i < n; i++) {
    lost += sim_loss_lost(id, i % 50);
    g_assert_false(sim_loss_lost(off, i % 50));
  }
  assert_binomial(lost, n, 0.1);
  g_assert_true(sim_loss_is_none(off));
  /* the edges: 0 never, 1 always */
  SimLossParams zero = {.model = SIM_LOSS_BERNOULLI, .rate = 0},
                one = {.model = SIM_LOSS_BERNOULLI, .rate = 1};
  SimLossId z = sim_loss_new(&zero, 3), o = sim_loss_new(&one, 4);
  for (guint i = 0; i < 1000; i++) {
    g_assert_false(sim_loss_lost(z, 0));
    g_assert_true(sim_loss_lost(o, 0));
  }
  sim_destroy();
}

/* Zhang, Lam, Lee and Yang's setting: rates 0, 20 % of receivers bad for
 * good, losing 20 %, the others 2 %. Each receiver's loss rate is its
 * class's. */
static void test_loss_ge_classes(void) {
  start();
  for (guint i = 0; i < 400; i++)
    sim_node_new();
  sim_loss_seed(3);
  SimLossStates st = {.good_to_bad = 0, .bad_to_good = 0, .bad_fraction = 0.2};
  sim_loss_set_states(&st, 5);
  SimLossParams p = {.model = SIM_LOSS_GILBERT_ELLIOTT, .loss_good = 0.02, .loss_bad = 0.2};
  SimLossId id = sim_loss_new(&p, 6);
  guint per = 500, high = 0, lost_high = 0, lost_low = 0;
  for (SimNodeId r = 0; r < 400; r++) {
    guint lost = 0;
    for (guint k = 0; k < per; k++)
      lost += sim_loss_lost(id, r);
    /* 500 draws tell 2 % (10 expected) from 20 % (100) apart */
    if (lost > 50) {
      high++;
      lost_high += lost;
    } else {
      lost_low += lost;
    }
  }
  assert_binomial(high, 400, 0.2);
  assert_binomial(lost_high, high * per, 0.2);
  assert_binomial(lost_low, (400 - high) * per, 0.02);
  sim_destroy();
}

static void chain_step(void *ctx, uint64_t arg) {
  guint *bad = ctx;
  /* loss 0 when good, 1 when bad: the draw tells the state */
  *bad += sim_loss_lost((SimLossId)arg, 0);
}

/* The chain over time: one receiver, drawn every second for 20 000 s with
 * good-to-bad 0.1/s and bad-to-good 0.4/s: bad 20 % of the time. */
static void test_loss_ge_chain(void) {
  start();
  sim_node_new();
  sim_loss_seed(11);
  SimLossStates st = {.good_to_bad = 0.1, .bad_to_good = 0.4, .bad_fraction = 0};
  sim_loss_set_states(&st, 5);
  SimLossParams p = {.model = SIM_LOSS_GILBERT_ELLIOTT, .loss_good = 0, .loss_bad = 1};
  SimLossId id = sim_loss_new(&p, 6);
  guint bad = 0, n = 20000;
  for (guint i = 1; i <= n; i++)
    sim_schedule(i, chain_step, &bad, id);
  sim_run(0);
  /* successive draws are correlated (exp(-0.5) apart): allow twice the
   * binomial spread */
  double sd = sqrt(n * 0.2 * 0.8) * 2;
  g_assert_cmpfloat(fabs(bad - n * 0.2), <=, 5 * sd);
  sim_destroy();
}

/* Same seed and stream, same draws; another seed, other draws; a model's
 * draws do not depend on another model's. */
static void test_loss_seeded(void) {
  bool a[200], b[200], c[200];
  for (int round = 0; round < 3; round++) {
    start();
    sim_loss_seed(round == 2 ? 43 : 42);
    SimLossParams p = {.model = SIM_LOSS_BERNOULLI, .rate = 0.5};
    SimLossId other = sim_loss_new(&p, 9);
    SimLossId id = sim_loss_new(&p, 1);
    bool *out = round == 0 ? a : round == 1 ? b : c;
    for (int i = 0; i < 200; i++) {
      if (round == 1)
        (void)sim_loss_lost(other, 0); /* draws of another stream in between */
      out[i] = sim_loss_lost(id, 0);
    }
    sim_destroy();
  }
  g_assert_cmpmem(a, sizeof a, b, sizeof b);
  g_assert_true(memcmp(a, c, sizeof a) != 0);
}

/* RLC AM with every frame lost and 2 retransmissions: a downlink frame of
 * 100 bytes at 8000 bit/s (0.1 s on the air) and delay 0.05 s is lost on
 * arrival at 0.15 s, sent again 0.05 s later (the status report back), lost
 * at 0.35 s, again at 0.55 s: then for good. Nothing is delivered. */
static void test_loss_dch_am(void) {
  start();
  SimNodeId rnc = sim_node_new(), ue = sim_node_new();
  SimRanId ran = sim_ran_new(rnc, 1, &(SimChannel){8000, 0.05}, &(SimChannel){8000, 0.05});
  sim_ran_attach(ran, ue);
  sim_loss_seed(1);
  SimLossParams p = {.model = SIM_LOSS_BERNOULLI, .rate = 1};
  sim_ran_set_dch_loss(ran, sim_loss_new(&p, 2), 2);
  uint8_t buf[100];
  fill(buf, sizeof buf, 1);
  sim_dch_down(ran, ue, buf, sizeof buf);
  sim_run(0);
  g_assert_cmpuint(nrec, ==, 0);
  g_assert_cmpuint(n_dch_losses, ==, 3);
  const double want[] = {0.15, 0.35, 0.55};
  for (guint i = 0; i < 3; i++) {
    g_assert_cmpfloat(fabs(dch_losses[i].t - want[i]), <, 1e-9);
    g_assert_cmpuint(dch_losses[i].ue, ==, ue);
    g_assert_cmpint(dch_losses[i].final, ==, i == 2);
  }
  /* with loss 0 the same frame arrives once, at 0.15 s */
  sim_destroy();
  start();
  rnc = sim_node_new(), ue = sim_node_new();
  ran = sim_ran_new(rnc, 1, &(SimChannel){8000, 0.05}, &(SimChannel){8000, 0.05});
  sim_ran_attach(ran, ue);
  sim_loss_seed(1);
  SimLossParams z = {.model = SIM_LOSS_BERNOULLI, .rate = 0};
  sim_ran_set_dch_loss(ran, sim_loss_new(&z, 2), 2);
  sim_dch_down(ran, ue, buf, sizeof buf);
  sim_run(0);
  g_assert_cmpuint(nrec, ==, 1);
  g_assert_cmpuint(n_dch_losses, ==, 0);
  sim_destroy();
}

/* ---- RLC AM: in-sequence delivery (sim_dch_frames_held, docs/reliability.md) ----
 *
 * Which frames are lost is set by the test, not drawn: a Bernoulli model of
 * rate 1 loses every frame and one of rate 0 none, and the test switches a
 * RAN's model at fixed times (sim_ran_set_dch_loss). Every case: dedicated
 * channel 8000 bit/s, delay 0.05 s; frame 1 of 100 bytes (0.1 s on the
 * air) and frame 2 of 10 bytes (0.01 s) handed down at 0, so frame 1
 * would arrive at 0.15 s and frame 2, behind it, at 0.11 + 0.05 = 0.16 s. */

typedef struct {
  SimRanId ran, other;
  SimNodeId ue;
  SimLossId lose_all, lose_none;
  uint32_t max_retx;
  size_t held_at_probe;
  uint8_t up[10], dn3[10];
} InSeq;

static InSeq inseq;

static void set_loss(void *ctx, uint64_t lose) {
  (void)ctx;
  sim_ran_set_dch_loss(inseq.ran, lose ? inseq.lose_all : inseq.lose_none, inseq.max_retx);
}

/* frame 1 lost, frame 2 not: the loss stops between their arrivals */
static void stop_losing_and_send_up(void *ctx, uint64_t arg) {
  set_loss(ctx, 0);
  if (arg)
    sim_dch_up(inseq.ran, inseq.ue, inseq.up, sizeof inseq.up);
}

static void probe_held(void *ctx, uint64_t arg) {
  (void)ctx;
  (void)arg;
  inseq.held_at_probe = sim_dch_frames_held();
}

static void inseq_start(uint32_t max_retx, uint8_t *f1, uint8_t *f2) {
  start();
  memset(&inseq, 0, sizeof inseq);
  SimNodeId rnc = sim_node_new();
  inseq.ue = sim_node_new();
  inseq.ran = sim_ran_new(rnc, 1, &(SimChannel){8000, 0.05}, &(SimChannel){8000, 0.05});
  sim_ran_attach(inseq.ran, inseq.ue);
  sim_loss_seed(1);
  inseq.lose_all = sim_loss_new(&(SimLossParams){.model = SIM_LOSS_BERNOULLI, .rate = 1}, 2);
  inseq.lose_none = sim_loss_new(&(SimLossParams){.model = SIM_LOSS_BERNOULLI, .rate = 0}, 3);
  inseq.max_retx = max_retx;
  set_loss(NULL, 1);
  fill(f1, 100, 21);
  fill(f2, 10, 22);
  fill(inseq.up, sizeof inseq.up, 23);
  fill(inseq.dn3, sizeof inseq.dn3, 24);
  sim_dch_down(inseq.ran, inseq.ue, f1, 100);
  sim_dch_down(inseq.ran, inseq.ue, f2, 10);
}

static void check_dch_rec(const Rec *r, double t, SimRanId ran, SimNodeId to, const uint8_t *m,
                          size_t len) {
  g_assert_cmpint(r->kind, ==, K_DCH);
  g_assert_cmpfloat_with_epsilon(r->t, t, TOL);
  g_assert_cmpuint(r->a, ==, ran);
  g_assert_cmpuint(r->b, ==, to);
  check_payload(r, m, len);
}

/* Frame 1 is lost once: lost at 0.15, sent again 0.05 s later (0.20) on
 * the idle channel, it arrives at 0.20 + 0.1 + 0.05 = 0.35 s, the rule's
 * (k + 1)(8L/rate + delay) + k delay with k = 1. Frame 2 arrived intact at
 * 0.16 and waits: it is handed up at 0.35 s, right after frame 1 (before
 * in-sequence delivery it was handed up at 0.16, first). An uplink frame
 * of 10 bytes sent at 0.155 is another sequence: it arrives and is handed
 * up at 0.155 + 0.01 + 0.05 = 0.215 s, while frame 2 still waits. */
static void test_dch_in_sequence(void) {
  uint8_t f1[100], f2[10];
  inseq_start(2, f1, f2);
  sim_schedule(0.155, stop_losing_and_send_up, NULL, 1);
  sim_schedule(0.3, probe_held, NULL, 0);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 3);
  SimNodeId rnc = 0;
  check_dch_rec(&recs[0], 0.215, inseq.ran, rnc, inseq.up, sizeof inseq.up);
  check_dch_rec(&recs[1], 0.35, inseq.ran, inseq.ue, f1, sizeof f1);
  check_dch_rec(&recs[2], 0.35, inseq.ran, inseq.ue, f2, sizeof f2);
  g_assert_cmpuint(inseq.held_at_probe, ==, 1); /* frame 2, at 0.3 s */
  g_assert_cmpuint(sim_dch_frames_held(), ==, 0);
  g_assert_cmpuint(n_dch_losses, ==, 1);
  g_assert_cmpfloat_with_epsilon(dch_losses[0].t, 0.15, TOL);
  g_assert_false(dch_losses[0].final);
  sim_destroy();

  /* a run stopped while frame 2 waits (0.3 s) has handed up nothing of
   * the downlink; sim_destroy frees the held frame (the sanitizer build
   * checks it), and the next simulation starts with nothing held */
  inseq_start(2, f1, f2);
  sim_schedule(0.155, stop_losing_and_send_up, NULL, 0);
  sim_run(0.3);
  g_assert_cmpint(nrec, ==, 0);
  g_assert_cmpuint(sim_dch_frames_held(), ==, 1);
  sim_destroy();
  start();
  g_assert_cmpuint(sim_dch_frames_held(), ==, 0);
  sim_destroy();
}

/* Frame 1 lost for good (dch-max-retx 1): lost at 0.15, sent again at
 * 0.20, lost again on arrival at 0.35 (the loss is back from 0.165 on):
 * the limit is reached. Frame 2, intact at 0.16, is handed up at 0.35 s,
 * the instant frame 1 is declared lost. */
static void test_dch_in_sequence_lost(void) {
  uint8_t f1[100], f2[10];
  inseq_start(1, f1, f2);
  sim_schedule(0.155, set_loss, NULL, 0);
  sim_schedule(0.165, set_loss, NULL, 1);
  sim_run(0);
  g_assert_cmpint(nrec, ==, 1);
  check_dch_rec(&recs[0], 0.35, inseq.ran, inseq.ue, f2, sizeof f2);
  g_assert_cmpuint(n_dch_losses, ==, 2);
  g_assert_cmpfloat_with_epsilon(dch_losses[0].t, 0.15, TOL);
  g_assert_false(dch_losses[0].final);
  g_assert_cmpfloat_with_epsilon(dch_losses[1].t, 0.35, TOL);
  g_assert_true(dch_losses[1].final);
  g_assert_cmpuint(sim_dch_frames_held(), ==, 0);
  sim_destroy();
}

/* The UE camps on another RAN at 0.155 (its RNC's channel loses nothing)
 * while frame 1 waits for its retransmission: frame 2 still arrives over
 * the old RAN at 0.16 and waits; at 0.20 the retransmission falls due
 * with the UE elsewhere, frame 1 is lost for good and frame 2 is handed
 * up then (reported with the RAN it crossed). A frame of 10 bytes sent
 * over the new RAN at 0.155 starts a new sequence: handed up on arrival,
 * 0.155 + 0.01 + 0.05 = 0.215 s. */
static void camp_elsewhere(void *ctx, uint64_t arg) {
  (void)ctx;
  (void)arg;
  sim_ran_attach(inseq.other, inseq.ue);
  sim_dch_down(inseq.other, inseq.ue, inseq.dn3, sizeof inseq.dn3);
}

/* The cases of inseq_start(2) with a second RAN (lossless dedicated
 * channel) that the UE camps on at `at`, sending frame dn3 there. */
static void inseq_run_camping_at(double at, uint8_t *f1, uint8_t *f2) {
  inseq_start(2, f1, f2);
  inseq.other =
      sim_ran_new(sim_node_new(), 1, &(SimChannel){8000, 0.05}, &(SimChannel){8000, 0.05});
  sim_ran_set_dch_loss(inseq.other, inseq.lose_none, 2);
  sim_schedule(0.155, set_loss, NULL, 0);
  sim_schedule(at, camp_elsewhere, NULL, 0);
  sim_run(0);
}

static void test_dch_in_sequence_moved(void) {
  uint8_t f1[100], f2[10];
  inseq_run_camping_at(0.155, f1, f2);
  g_assert_cmpint(nrec, ==, 2);
  check_dch_rec(&recs[0], 0.20, inseq.ran, inseq.ue, f2, sizeof f2);
  check_dch_rec(&recs[1], 0.215, inseq.other, inseq.ue, inseq.dn3, sizeof inseq.dn3);
  g_assert_cmpuint(n_dch_losses, ==, 2);
  g_assert_cmpfloat_with_epsilon(dch_losses[1].t, 0.20, TOL);
  g_assert_true(dch_losses[1].final);
  g_assert_cmpuint(sim_dch_frames_held(), ==, 0);
  sim_destroy();
}

/* A new attachment is a new sequence: frame 1, lost at 0.15, is sent
 * again at 0.20 while the UE is still camped on the first RAN (arriving,
 * intact, at 0.35 s; frame 2 waits for it from 0.16). At 0.21 the UE camps
 * on another RAN and a frame of 10 bytes is sent there: it arrives at
 * 0.21 + 0.01 + 0.05 = 0.27 s and is handed up then, not behind frame 1;
 * frames 1 and 2 still reach the UE over the first RAN at 0.35 s. */
static void test_dch_in_sequence_new_attachment(void) {
  uint8_t f1[100], f2[10];
  inseq_run_camping_at(0.21, f1, f2);
  g_assert_cmpint(nrec, ==, 3);
  check_dch_rec(&recs[0], 0.27, inseq.other, inseq.ue, inseq.dn3, sizeof inseq.dn3);
  check_dch_rec(&recs[1], 0.35, inseq.ran, inseq.ue, f1, sizeof f1);
  check_dch_rec(&recs[2], 0.35, inseq.ran, inseq.ue, f2, sizeof f2);
  g_assert_cmpuint(n_dch_losses, ==, 1);
  g_assert_cmpuint(sim_dch_frames_held(), ==, 0);
  sim_destroy();
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  /* first, while the heap is fresh, so the RSS delta is not hidden by reuse */
  g_test_add_func("/sim/memory/per-ue", test_memory_per_ue);
  g_test_add_func("/sim/events/order", test_event_order);
  g_test_add_func("/sim/events/reserved-order", test_reserved_order);
  g_test_add_func("/sim/events/run-until", test_run_until);
  g_test_add_func("/sim/events/count", test_event_count);
  g_test_add_func("/sim/events/settle", test_settle);
  g_test_add_func("/sim/events/settle-with-timers", test_settle_with_timers);
  g_test_add_func("/sim/link/timing", test_link_timing);
  g_test_add_func("/sim/link/fifo", test_link_fifo);
  g_test_add_func("/sim/link/large-payload", test_link_large_payload);
  g_test_add_func("/sim/dch/timing", test_dch);
  g_test_add_func("/sim/dch/two-rans", test_dch_two_rans);
  g_test_add_func("/sim/dch/burst-order", test_dch_burst_order);
  g_test_add_func("/sim/common/timing", test_common);
  g_test_add_func("/sim/loss/bernoulli", test_loss_bernoulli);
  g_test_add_func("/sim/loss/gilbert-elliott-classes", test_loss_ge_classes);
  g_test_add_func("/sim/loss/gilbert-elliott-chain", test_loss_ge_chain);
  g_test_add_func("/sim/loss/seeded", test_loss_seeded);
  g_test_add_func("/sim/loss/dch-am", test_loss_dch_am);
  g_test_add_func("/sim/loss/dch-in-sequence", test_dch_in_sequence);
  g_test_add_func("/sim/loss/dch-in-sequence-lost", test_dch_in_sequence_lost);
  g_test_add_func("/sim/loss/dch-in-sequence-moved", test_dch_in_sequence_moved);
  g_test_add_func("/sim/loss/dch-in-sequence-new-attachment", test_dch_in_sequence_new_attachment);
  g_test_add_func("/sim/lifecycle/init-twice", test_init_twice);
  g_test_add_func("/sim/bench/bare", test_bench);
  return g_test_run();
}
