/* metrics.c — counters of messages, bytes, wraps and key installations.
 *
 * Element index layout: 0 = BM-SC, then the GGSNs, the SGSNs, the RNCs, and
 * last one row for all UEs together. Events are records indexed by seq, in an
 * RecStore (app/rec_store.h).
 */
#include "app/metrics.h"

#include "app/rec_store.h"

Metrics *metrics_new(uint32_t n_ggsn, uint32_t n_sgsn, uint32_t n_rnc) {
  Metrics *m = g_new0(Metrics, 1);
  m->n_ggsn = n_ggsn;
  m->n_sgsn = n_sgsn;
  m->n_rnc = n_rnc;
  m->events = rec_store_new(sizeof(EventRecord));
  m->elements = g_new0(ElCounters, metrics_n_elements(m));
  return m;
}

void metrics_free(Metrics *m) {
  if (!m)
    return;
  rec_store_free(m->events);
  g_free(m->elements);
  g_free(m);
}

guint metrics_n_elements(const Metrics *m) {
  return 1u + m->n_ggsn + m->n_sgsn + m->n_rnc + 1u;
}

guint metrics_element(const Metrics *m, ElKind kind, uint32_t i) {
  switch (kind) {
  case EL_BMSC:
    return 0;
  case EL_GGSN:
    g_assert(i < m->n_ggsn);
    return 1u + i;
  case EL_SGSN:
    g_assert(i < m->n_sgsn);
    return 1u + m->n_ggsn + i;
  case EL_RNC:
    g_assert(i < m->n_rnc);
    return 1u + m->n_ggsn + m->n_sgsn + i;
  case EL_UE:
    return metrics_n_elements(m) - 1u;
  default:
    g_assert_not_reached();
  }
}

ElKind metrics_element_kind(const Metrics *m, guint element, uint32_t *i) {
  g_assert(element < metrics_n_elements(m));
  ElKind kind;
  uint32_t idx = 0;
  if (element == 0) {
    kind = EL_BMSC;
  } else if (element == metrics_n_elements(m) - 1u) {
    kind = EL_UE;
  } else if (element < 1u + m->n_ggsn) {
    kind = EL_GGSN;
    idx = element - 1u;
  } else if (element < 1u + m->n_ggsn + m->n_sgsn) {
    kind = EL_SGSN;
    idx = element - 1u - m->n_ggsn;
  } else {
    kind = EL_RNC;
    idx = element - 1u - m->n_ggsn - m->n_sgsn;
  }
  if (i)
    *i = idx;
  return kind;
}

uint32_t metrics_event_new(Metrics *m, double time, EvKind kind, uint32_t ue, uint32_t cell,
                           uint32_t rnc) {
  EventRecord e = {0};
  e.time = time;
  e.kind = kind;
  e.ue = ue;
  e.cell = cell;
  e.rnc = rnc;
  e.subgroup = UINT32_MAX; /* until a plan names one */
  e.from_cell = UINT32_MAX;
  e.start = -1.0;
  e.done = -1.0;
  return rec_store_append(m->events, &e);
}

EventRecord *metrics_event(Metrics *m, uint32_t seq) {
  return rec_store_at(m->events, seq);
}

const EventRecord *metrics_event_read(const Metrics *m, uint32_t seq) {
  return rec_store_at(m->events, seq);
}

uint32_t metrics_n_events(const Metrics *m) {
  return rec_store_len(m->events);
}

static ElCounters *element(Metrics *m, guint el) {
  g_assert(el < metrics_n_elements(m));
  return &m->elements[el];
}

void metrics_sent(Metrics *m, guint el, size_t bytes, uint32_t n) {
  ElCounters *c = element(m, el);
  c->msgs_sent += n;
  c->bytes_sent += (uint64_t)bytes * n;
}

void metrics_received(Metrics *m, guint el, size_t bytes, uint32_t n) {
  ElCounters *c = element(m, el);
  c->msgs_recv += n;
  c->bytes_recv += (uint64_t)bytes * n;
}

void metrics_wrapped(Metrics *m, guint el, uint32_t seq, guint n) {
  element(m, el)->wraps += n;
  if (seq != UINT32_MAX)
    metrics_event(m, seq)->wraps += n;
}

void metrics_unwrapped(Metrics *m, guint el, bool ok) {
  metrics_unwrapped_n(m, el, ok, !ok);
}

void metrics_unwrapped_n(Metrics *m, guint el, uint32_t ok, uint32_t failed) {
  ElCounters *c = element(m, el);
  c->unwraps += ok;
  c->unwrap_failures += failed;
}

void metrics_rejected(Metrics *m, guint el) {
  element(m, el)->rejected++;
  m->rejected_msgs++;
}

void metrics_link_dropped(Metrics *m) {
  m->link_drops++;
}

void metrics_request_reached_network(Metrics *m, uint32_t seq, double now) {
  EventRecord *e = metrics_event(m, seq);
  if (e->start < 0)
    e->start = now;
}

void metrics_expect_installs(Metrics *m, uint32_t seq, uint32_t n) {
  metrics_event(m, seq)->installs_expected = n;
}

static void check_done(EventRecord *e) {
  if (e->installs_expected > 0 && e->installs_done == e->installs_expected && e->done < 0)
    e->done = e->last_install;
}

void metrics_installed(Metrics *m, uint32_t seq, double now) {
  metrics_installed_n(m, seq, now, 1);
}

void metrics_installed_n(Metrics *m, uint32_t seq, double now, uint32_t n) {
  if (n == 0)
    return;
  EventRecord *e = metrics_event(m, seq);
  /* as n installs one at a time, each followed by check_done: done is
   * set if the count reaches installs_expected on the way */
  uint32_t before = e->installs_done;
  e->installs_done += n;
  e->last_install = now;
  if (e->installs_expected > 0 && before < e->installs_expected &&
      e->installs_done >= e->installs_expected && e->done < 0)
    e->done = now;
}

void metrics_install_not_expected(Metrics *m, uint32_t seq) {
  EventRecord *e = metrics_event(m, seq);
  g_assert(e->installs_expected > e->installs_done);
  e->installs_expected--;
  check_done(e);
}

bool metrics_event_complete(const EventRecord *e) {
  return e->installs_expected > 0 && e->done >= 0 && e->start >= 0;
}

double metrics_event_latency(const EventRecord *e) {
  return e->group_changed && metrics_event_complete(e) ? e->done - e->start : 0.0;
}
