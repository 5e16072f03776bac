/* test_report.c — metrics counting, summary figures and the results folder.
 *
 * Metrics and Scenario are built by hand (no simulation, no scenario file);
 * scenario.ini is compared with scn_to_ini() of the same Scenario.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/metrics.h"
#include "app/provenance.h"
#include "app/report.h"
#include "sim/sim.h"

#include <sodium.h>

#include "test_files.h"

/* ---- helpers ---------------------------------------------------------- */

static Scenario *scenario_new(const char *name) {
  Scenario *s = g_new0(Scenario, 1);
  s->name = g_strdup(name);
  s->seed = 42;
  s->duration = 100.0;
  s->scheme = g_strdup("patent");
  s->embodiment = 1;
  s->join_rekey = false;
  s->ggsn = 1;
  s->sgsn_per_ggsn = 2;
  s->rnc_per_sgsn = 2;
  s->cells_per_rnc = 4;
  s->subgroup_size = 8;
  s->subgroup_policy = KT_POLICY_PER_CELL;
  s->core.rate = 1e9;
  s->core.delay = 0.001;
  s->iu.rate = 1e8;
  s->iu.delay = 0.002;
  s->dch.rate = 384e3;
  s->dch.delay = 0.01;
  s->common.rate = 64e3;
  s->common.delay = 0.02;
  s->initial_members = 100;
  s->join_rate = 0.5;
  s->mean_membership = 60.0;
  s->events_path = NULL;
  s->source_path = g_strdup("/nonexistent/scenarios/test.ini");
  return s;
}

static void scenario_free(Scenario *s) {
  g_free(s->name);
  g_free(s->scheme);
  g_free(s->events_path);
  g_free(s->source_path);
  g_free(s);
}

/* One event with a complete rekey of latency `lat` starting at `t`. */
static uint32_t add_rekey(Metrics *m, double t, EvKind kind, double lat) {
  uint32_t seq = metrics_event_new(m, t, kind, 1, 0, 0);
  EventRecord *e = metrics_event(m, seq);
  e->group_changed = true;
  metrics_request_reached_network(m, seq, t);
  metrics_expect_installs(m, seq, 1);
  metrics_installed(m, seq, t + lat);
  return seq;
}

static char *read_all(const char *dir, const char *name) {
  char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  GError *err = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, &err));
  g_assert_no_error(err);
  g_free(path);
  return text;
}

static void write_text(const char *dir, const char *name, const char *text) {
  char *path = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_free(path);
}

/* A small, strict JSON checker (RFC 8259 grammar; no semantic checks). */
static const char *js_ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
    p++;
  return p;
}
static const char *js_value(const char *p);
static const char *js_string(const char *p) {
  if (*p != '"')
    return NULL;
  for (p++; *p != '"'; p++) {
    if ((unsigned char)*p < 0x20 || *p == '\0')
      return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!g_ascii_isxdigit(p[i]))
            return NULL;
        p += 4;
      } else if (!strchr("\"\\/bfnrt", *p) || *p == '\0') {
        return NULL;
      }
    }
  }
  return p + 1;
}
static const char *js_number(const char *p) {
  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (g_ascii_isdigit(*p))
    while (g_ascii_isdigit(*p))
      p++;
  else
    return NULL;
  if (*p == '.') {
    p++;
    if (!g_ascii_isdigit(*p))
      return NULL;
    while (g_ascii_isdigit(*p))
      p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (!g_ascii_isdigit(*p))
      return NULL;
    while (g_ascii_isdigit(*p))
      p++;
  }
  return p;
}
static const char *js_value(const char *p) {
  p = js_ws(p);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    bool object = *p == '{';
    p = js_ws(p + 1);
    if (*p == close)
      return p + 1;
    for (;;) {
      if (object) {
        p = js_string(js_ws(p));
        if (!p)
          return NULL;
        p = js_ws(p);
        if (*p++ != ':')
          return NULL;
      }
      p = js_value(p);
      if (!p)
        return NULL;
      p = js_ws(p);
      if (*p == close)
        return p + 1;
      if (*p++ != ',')
        return NULL;
    }
  }
  if (*p == '"')
    return js_string(p);
  if (strncmp(p, "true", 4) == 0)
    return p + 4;
  if (strncmp(p, "false", 5) == 0)
    return p + 5;
  if (strncmp(p, "null", 4) == 0)
    return p + 4;
  return js_number(p);
}
static bool json_ok(const char *text) {
  const char *end = js_value(text);
  return end && *js_ws(end) == '\0';
}

typedef struct {
  char *root; /* a fresh temporary folder per test */
} Fixture;

static void fx_setup(Fixture *fx, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  fx->root = g_dir_make_tmp("test_report-XXXXXX", &err);
  g_assert_no_error(err);
}

static void fx_teardown(Fixture *fx, gconstpointer data) {
  (void)data;
  rm_rf(fx->root);
  g_free(fx->root);
}

/* The two-event Metrics used by several tests (topology 1 GGSN, 2 SGSN,
 * 4 RNC). */
static Metrics *two_events(void) {
  Metrics *m = metrics_new(1, 2, 4);
  uint32_t a = metrics_event_new(m, 1.5, EV_JOIN, 7, 5, 1);
  EventRecord *e = metrics_event(m, a);
  e->subgroup = 2;
  e->p2p_msgs = 3;
  e->p2m_msgs = 2;
  e->p2m_tx = 4;
  e->core_msgs = 6;
  e->signalling_msgs = 5;
  e->bytes = 1234;
  e->group_changed = true;
  metrics_request_reached_network(m, a, 1.5);
  metrics_expect_installs(m, a, 2);
  metrics_installed(m, a, 1.5125);
  metrics_installed(m, a, 1.52);
  uint32_t b = metrics_event_new(m, 2.25, EV_LEAVE, 3, 0, 0);
  e = metrics_event(m, b);
  e->p2p_msgs = 1;
  e->bytes = 56;
  e->signalling_msgs = 4;
  metrics_request_reached_network(m, b, 2.26);
  metrics_sent(m, metrics_element(m, EL_BMSC, 0), 100, 1);
  metrics_sent(m, metrics_element(m, EL_RNC, 3), 40, 1);
  metrics_received(m, metrics_element(m, EL_UE, 0), 40, 1);
  metrics_wrapped(m, metrics_element(m, EL_RNC, 3), a, 2);
  metrics_unwrapped(m, metrics_element(m, EL_UE, 0), true);
  metrics_unwrapped(m, metrics_element(m, EL_UE, 0), false);
  metrics_rejected(m, metrics_element(m, EL_SGSN, 1));
  return m;
}

static gboolean write_results(const char *dir, const char *name, GError **err) {
  Scenario *scn = scenario_new(name);
  Metrics *m = two_events();
  Summary s = {0};
  report_summarise(m, &s);
  s.final_members = 99;
  s.keys_per_ue = 3.5;
  s.sim_events = 12345;
  s.sim_end_s = 100.0;
  gboolean ok = report_write(dir, scn, m, &s, err);
  metrics_free(m);
  scenario_free(scn);
  return ok;
}

/* ---- metrics ---------------------------------------------------------- */

static void test_metrics_layout(void) {
  Metrics *m = metrics_new(2, 3, 5);
  g_assert_cmpuint(metrics_n_elements(m), ==, 1 + 2 + 3 + 5 + 1);
  g_assert_cmpuint(metrics_element(m, EL_BMSC, 7), ==, 0);
  g_assert_cmpuint(metrics_element(m, EL_GGSN, 1), ==, 2);
  g_assert_cmpuint(metrics_element(m, EL_SGSN, 0), ==, 3);
  g_assert_cmpuint(metrics_element(m, EL_SGSN, 2), ==, 5);
  g_assert_cmpuint(metrics_element(m, EL_RNC, 0), ==, 6);
  g_assert_cmpuint(metrics_element(m, EL_RNC, 4), ==, 10);
  g_assert_cmpuint(metrics_element(m, EL_UE, 3), ==, 11);
  static const ElKind kinds[] = {EL_BMSC, EL_GGSN, EL_GGSN, EL_SGSN, EL_SGSN, EL_SGSN,
                                 EL_RNC,  EL_RNC,  EL_RNC,  EL_RNC,  EL_RNC,  EL_UE};
  static const uint32_t idx[] = {0, 0, 1, 0, 1, 2, 0, 1, 2, 3, 4, 0};
  for (guint el = 0; el < metrics_n_elements(m); el++) {
    uint32_t i = 99;
    g_assert_cmpint(metrics_element_kind(m, el, &i), ==, kinds[el]);
    g_assert_cmpuint(i, ==, idx[el]);
    g_assert_cmpuint(metrics_element(m, kinds[el], idx[el]), ==, el);
  }
  metrics_free(m);
}

static void test_metrics_counting(void) {
  Metrics *m = metrics_new(1, 1, 1);
  g_assert_cmpuint(metrics_event_new(m, 0.5, EV_JOIN, 10, 2, 0), ==, 0);
  g_assert_cmpuint(metrics_event_new(m, 0.7, EV_LEAVE, 11, 3, 0), ==, 1);
  EventRecord *e = metrics_event(m, 1);
  g_assert_cmpfloat(e->time, ==, 0.7);
  g_assert_cmpint(e->kind, ==, EV_LEAVE);
  g_assert_cmpuint(e->ue, ==, 11);
  g_assert_cmpuint(e->cell, ==, 3);
  g_assert_cmpuint(e->rnc, ==, 0);
  g_assert_cmpfloat(e->start, ==, -1.0);
  g_assert_cmpfloat(e->done, ==, -1.0);
  g_assert_cmpuint(e->p2p_msgs + e->installs_expected + e->installs_done, ==, 0);
  g_assert_false(e->group_changed);

  guint rnc = metrics_element(m, EL_RNC, 0);
  metrics_wrapped(m, rnc, 1, 3);
  metrics_wrapped(m, rnc, UINT32_MAX, 4);
  g_assert_cmpuint(m->elements[rnc].wraps, ==, 7);
  g_assert_cmpuint(metrics_event(m, 1)->wraps, ==, 3);
  g_assert_cmpuint(metrics_event(m, 0)->wraps, ==, 0);

  metrics_sent(m, rnc, 10, 1);
  metrics_sent(m, rnc, 20, 3); /* one message on 3 cells: 3 transmissions */
  metrics_received(m, rnc, 5, 1);
  metrics_received(m, rnc, 7, 4); /* heard by the 4 UEs of a cell */
  g_assert_cmpuint(m->elements[rnc].msgs_sent, ==, 1 + 3);
  g_assert_cmpuint(m->elements[rnc].bytes_sent, ==, 10 + 3 * 20);
  g_assert_cmpuint(m->elements[rnc].msgs_recv, ==, 1 + 4);
  g_assert_cmpuint(m->elements[rnc].bytes_recv, ==, 5 + 4 * 7);
  metrics_rejected(m, rnc);
  metrics_link_dropped(m);
  g_assert_cmpuint(m->elements[rnc].rejected, ==, 1);
  g_assert_cmpuint(m->rejected_msgs, ==, 1);
  g_assert_cmpuint(m->link_drops, ==, 1);

  /* done is set once, when the expected count is reached */
  e = metrics_event(m, 0);
  metrics_request_reached_network(m, 0, 1.0);
  metrics_request_reached_network(m, 0, 9.0); /* the first arrival counts */
  metrics_expect_installs(m, 0, 2);
  metrics_installed(m, 0, 1.25);
  g_assert_cmpfloat(e->done, <, 0);
  g_assert_false(metrics_event_complete(e));
  metrics_installed(m, 0, 1.5);
  g_assert_cmpfloat(e->done, ==, 1.5);
  metrics_installed(m, 0, 2.0);
  g_assert_cmpfloat(e->done, ==, 1.5);
  g_assert_cmpuint(e->installs_done, ==, 3);
  g_assert_true(metrics_event_complete(e));
  /* no key changed: no latency */
  g_assert_cmpfloat(metrics_event_latency(e), ==, 0.0);
  e->group_changed = true;
  g_assert_cmpfloat(metrics_event_latency(e), ==, 0.5);
  e->installs_expected = 0;
  g_assert_cmpfloat(metrics_event_latency(e), ==, 0.0);
  e->installs_expected = 2;
  e->start = -1;
  g_assert_cmpfloat(metrics_event_latency(e), ==, 0.0);
  metrics_free(m);
}

/* ---- summary ---------------------------------------------------------- */

static void test_summarise_totals(void) {
  Metrics *m = two_events();
  /* an incomplete rekey: 3 installs expected, 2 happened */
  uint32_t c = metrics_event_new(m, 3.0, EV_LEAVE, 9, 1, 0);
  EventRecord *e = metrics_event(m, c);
  e->group_changed = true;
  e->p2m_msgs = 1;
  e->p2m_tx = 2;
  e->core_msgs = 3;
  metrics_request_reached_network(m, c, 3.0);
  metrics_expect_installs(m, c, 3);
  metrics_installed(m, c, 3.1);
  metrics_installed(m, c, 3.2);
  /* a group change with nobody to install it: neither sample nor incomplete */
  c = metrics_event_new(m, 4.0, EV_LEAVE, 1, 1, 0);
  metrics_event(m, c)->group_changed = true;
  m->link_drops = 6;

  /* a signalling wrap (no event: the group key of an activation accept)
   * counts in the total as in the element's row */
  metrics_wrapped(m, metrics_element(m, EL_BMSC, 0), UINT32_MAX, 5);

  Summary s = {0};
  s.final_members = 77;
  s.keys_per_ue = 4.25;
  s.sim_events = 555;
  s.sim_end_s = 12.5;
  report_summarise(m, &s);
  g_assert_cmpuint(s.joins, ==, 1);
  g_assert_cmpuint(s.leaves, ==, 3);
  g_assert_cmpuint(s.p2p_msgs, ==, 4);
  g_assert_cmpuint(s.p2m_msgs, ==, 3);
  g_assert_cmpuint(s.p2m_tx, ==, 6);
  g_assert_cmpuint(s.core_msgs, ==, 9);
  g_assert_cmpuint(s.signalling_msgs, ==, 9);
  g_assert_cmpuint(s.bytes, ==, 1290);
  g_assert_cmpuint(s.wraps, ==, 2 + 5);
  g_assert_cmpuint(s.unwraps, ==, 1);
  g_assert_cmpuint(s.unwrap_failures, ==, 1);
  g_assert_cmpuint(s.rejected_msgs, ==, 1);
  g_assert_cmpuint(s.link_drops, ==, 6);
  g_assert_cmpuint(s.incomplete_rekeys, ==, 1);
  /* the only complete rekey: 1.52 - 1.5 */
  g_assert_cmpfloat_with_epsilon(s.latency_mean, 0.02, 1e-12);
  g_assert_cmpfloat(s.latency_p95, ==, s.latency_mean);
  g_assert_cmpfloat(s.latency_max, ==, s.latency_mean);
  /* the caller's fields are left alone */
  g_assert_cmpuint(s.final_members, ==, 77);
  g_assert_cmpfloat(s.keys_per_ue, ==, 4.25);
  g_assert_cmpuint(s.sim_events, ==, 555);
  g_assert_cmpfloat(s.sim_end_s, ==, 12.5);

  /* summarising again over stale values gives the same result */
  Summary t = s;
  report_summarise(m, &t);
  g_assert_cmpmem(&s, sizeof s, &t, sizeof t);
  metrics_free(m);

  /* no events: all zero */
  m = metrics_new(1, 1, 1);
  report_summarise(m, &t);
  g_assert_cmpuint(t.joins + t.leaves + t.incomplete_rekeys, ==, 0);
  g_assert_cmpuint(t.p2p_msgs + t.bytes + t.unwraps, ==, 0);
  g_assert_cmpfloat(t.latency_mean + t.latency_p95 + t.latency_max, ==, 0.0);
  metrics_free(m);
}

static void test_p95_nearest_rank(void) {
  /* n = 21 latencies 1..21 ms in scrambled order: rank ceil(19.95) = 20 */
  Metrics *m = metrics_new(1, 1, 1);
  for (int i = 0; i < 21; i++)
    add_rekey(m, 10.0, EV_LEAVE, ((i * 8) % 21 + 1) * 1e-3 * 1.0);
  metrics_event_new(m, 11.0, EV_JOIN, 2, 0, 0); /* no key change: not a sample */
  Summary s = {0};
  report_summarise(m, &s);
  g_assert_cmpfloat_with_epsilon(s.latency_p95, 0.020, 1e-12);
  g_assert_cmpfloat_with_epsilon(s.latency_max, 0.021, 1e-12);
  g_assert_cmpfloat_with_epsilon(s.latency_mean, 0.011, 1e-12);
  metrics_free(m);

  /* n = 100, latencies 1..100: rank exactly 95 (0.95 * 100 must not round up) */
  m = metrics_new(1, 1, 1);
  for (int i = 100; i >= 1; i--)
    add_rekey(m, 0.0, EV_LEAVE, i);
  report_summarise(m, &s);
  g_assert_cmpfloat(s.latency_p95, ==, 95.0);
  g_assert_cmpfloat(s.latency_max, ==, 100.0);
  g_assert_cmpfloat(s.latency_mean, ==, 50.5);
  metrics_free(m);

  /* n = 20: rank 19; n = 1: the only value */
  m = metrics_new(1, 1, 1);
  for (int i = 1; i <= 20; i++)
    add_rekey(m, 0.0, EV_JOIN, i);
  report_summarise(m, &s);
  g_assert_cmpfloat(s.latency_p95, ==, 19.0);
  metrics_free(m);
  m = metrics_new(1, 1, 1);
  add_rekey(m, 0.0, EV_JOIN, 3.0);
  report_summarise(m, &s);
  g_assert_cmpfloat(s.latency_p95, ==, 3.0);
  metrics_free(m);
}

/* ---- files ------------------------------------------------------------ */

static void test_rekeys_csv_bytes(Fixture *fx, gconstpointer data) {
  (void)data;
  char *dir = g_build_filename(fx->root, "r", NULL);
  GError *err = NULL;
  g_assert_true(write_results(dir, "two", &err));
  g_assert_no_error(err);
  char *text = read_all(dir, "rekeys.csv");
  g_assert_cmpstr(text, ==,
                  "time_s,event,ue,rnc,cell,subgroup,p2p_msgs,p2m_msgs,p2m_tx,core_msgs,bytes,"
                  "latency_s\n"
                  "1.500000,join,7,1,5,2,3,2,4,6,1234,0.020000000\n"
                  "2.250000,leave,3,0,0,,1,0,0,0,56,0.000000000\n" /* no sub-group: empty */);
  g_free(text);
  g_free(dir);
}

static void test_incomplete_latency_empty(Fixture *fx, gconstpointer data) {
  (void)data;
  Scenario *scn = scenario_new("inc");
  Metrics *m = metrics_new(1, 1, 1);
  uint32_t c = metrics_event_new(m, 3.0, EV_LEAVE, 9, 1, 0);
  metrics_event(m, c)->group_changed = true;
  metrics_request_reached_network(m, c, 3.0);
  metrics_expect_installs(m, c, 2);
  metrics_installed(m, c, 3.5);
  Summary s = {0};
  report_summarise(m, &s);
  char *dir = g_build_filename(fx->root, "inc", NULL);
  GError *err = NULL;
  g_assert_true(report_write(dir, scn, m, &s, &err));
  g_assert_no_error(err);
  char *text = read_all(dir, "rekeys.csv");
  g_assert_nonnull(strstr(text, "\n3.000000,leave,9,0,1,,0,0,0,0,0,\n"));
  g_free(text);
  text = read_all(dir, "summary.json");
  g_assert_nonnull(strstr(text, "\"incomplete_rekeys\": 1,"));
  g_free(text);
  g_free(dir);
  metrics_free(m);
  scenario_free(scn);
}

static void test_summary_and_elements(Fixture *fx, gconstpointer data) {
  (void)data;
  char *dir = g_build_filename(fx->root, "deep", "er", "r", NULL); /* parents are made */
  GError *err = NULL;
  g_assert_true(write_results(dir, "two", &err));
  g_assert_no_error(err);

  char *text = read_all(dir, "summary.csv");
  g_assert_cmpstr(
      text, ==,
      "name,scheme,embodiment,join_rekey,seed,duration_s,ggsn,sgsn_per_ggsn,rnc_per_sgsn,"
      "cells_per_rnc,subgroup_size,subgroup_policy,initial_members,join_rate,mean_membership,"
      "eavesdrop,collusion,record_before_join_s,data_rate,packet_size,switch_delay_s,"
      "joins,leaves,p2p_msgs,p2m_msgs,p2m_tx,core_msgs,signalling_msgs,bytes,wraps,unwraps,"
      "unwrap_failures,rejected_msgs,link_drops,incomplete_rekeys,latency_mean_s,latency_p95_s,"
      "latency_max_s,fwd_violations,bwd_exposures,data_sent,data_undecryptable_by_members,"
      "data_leaked,final_members,keys_per_ue,sim_events,sim_end_s\n"
      "two,patent,1,0,42,100.000000,1,2,2,4,8,per-cell,100,0.5,60,own-cell,0,0,0,0,0,"
      "1,1,4,2,4,6,9,1290,2,1,1,1,0,0,0.020000000,0.020000000,0.020000000,0,0,0,0,0,99,3.500000,"
      "12345,100.000000\n");
  g_free(text);

  /* the provenance members (README, "Provenance"): this build's version, the
   * libraries' versions, BLAKE2b-256 of scenario.ini as written, no events
   * file, the seed */
  char *ini_text = read_all(dir, "scenario.ini");
  unsigned char h[32];
  crypto_generichash(h, sizeof h, (const unsigned char *)ini_text, strlen(ini_text), NULL, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  g_free(ini_text);
  char *prov = g_strdup_printf("    \"version\": \"%s\",\n    \"ns3\": \"%s\",\n"
                               "    \"libsodium\": \"%s\",\n    \"glib\": \"%u.%u.%u\",\n"
                               "    \"scenario_blake2b\": \"%s\",\n    \"events_blake2b\": \"\",\n"
                               "    \"seed\": 42",
                               prov_program_version(), sim_ns3_version(), sodium_version_string(),
                               glib_major_version, glib_minor_version, glib_micro_version, hex);
  text = read_all(dir, "summary.json");
  char *want = g_strdup_printf("{\n"
                               "  \"name\": \"two\",\n"
                               "  \"parameters\": {\n"
                               "    \"scheme\": \"patent\",\n"
                               "    \"embodiment\": 1,\n"
                               "    \"join_rekey\": false,\n"
                               "    \"seed\": 42,\n"
                               "    \"duration_s\": 100.000000,\n"
                               "    \"ggsn\": 1,\n"
                               "    \"sgsn_per_ggsn\": 2,\n"
                               "    \"rnc_per_sgsn\": 2,\n"
                               "    \"cells_per_rnc\": 4,\n"
                               "    \"subgroup_size\": 8,\n"
                               "    \"subgroup_policy\": \"per-cell\",\n"
                               "    \"initial_members\": 100,\n"
                               "    \"join_rate\": 0.5,\n"
                               "    \"mean_membership\": 60,\n"
                               "    \"eavesdrop\": \"own-cell\",\n"
                               "    \"collusion\": false,\n"
                               "    \"record_before_join_s\": 0,\n"
                               "    \"data_rate\": 0,\n"
                               "    \"packet_size\": 0,\n"
                               "    \"switch_delay_s\": 0\n"
                               "  },\n"
                               "  \"totals\": {\n"
                               "    \"joins\": 1,\n"
                               "    \"leaves\": 1,\n"
                               "    \"p2p_msgs\": 4,\n"
                               "    \"p2m_msgs\": 2,\n"
                               "    \"p2m_tx\": 4,\n"
                               "    \"core_msgs\": 6,\n"
                               "    \"signalling_msgs\": 9,\n"
                               "    \"bytes\": 1290,\n"
                               "    \"wraps\": 2,\n"
                               "    \"unwraps\": 1,\n"
                               "    \"unwrap_failures\": 1,\n"
                               "    \"rejected_msgs\": 1,\n"
                               "    \"link_drops\": 0,\n"
                               "    \"incomplete_rekeys\": 0,\n"
                               "    \"latency_mean_s\": 0.020000000,\n"
                               "    \"latency_p95_s\": 0.020000000,\n"
                               "    \"latency_max_s\": 0.020000000,\n"
                               "    \"fwd_violations\": 0,\n"
                               "    \"bwd_exposures\": 0,\n"
                               "    \"data_sent\": 0,\n"
                               "    \"data_undecryptable_by_members\": 0,\n"
                               "    \"data_leaked\": 0,\n"
                               "    \"final_members\": 99,\n"
                               "    \"keys_per_ue\": 3.500000,\n"
                               "    \"sim_events\": 12345,\n"
                               "    \"sim_end_s\": 100.000000\n"
                               "  },\n"
                               "  \"provenance\": {\n%s\n  }\n}\n",
                               prov);
  g_assert_cmpstr(text, ==, want);
  g_assert_true(json_ok(text));
  g_free(text);
  g_free(want);
  /* provenance.json: the same members, then host, wall time, time written */
  text = read_all(dir, "provenance.json");
  g_assert_true(json_ok(text));
  g_assert_true(g_str_has_prefix(text, "{\n"));
  char *prov2 = g_strdup(prov);
  /* one level less indented */
  GString *flat = g_string_new(NULL);
  for (char *line = strtok(prov2, "\n"); line; line = strtok(NULL, "\n"))
    g_string_append_printf(flat, "%s%s", flat->len ? "\n" : "", line + 2);
  g_assert_true(g_str_has_prefix(text + 2, flat->str));
  g_assert_nonnull(strstr(text, ",\n  \"host\": \""));
  g_assert_nonnull(strstr(text, ",\n  \"wall_s\": null,\n  \"finished_utc\": \""));
  g_string_free(flat, TRUE);
  g_free(prov2);
  g_free(prov);
  g_free(text);

  text = read_all(dir, "elements.csv");
  g_assert_cmpstr(text, ==,
                  "element,kind,index,msgs_sent,bytes_sent,msgs_recv,bytes_recv,wraps,unwraps,"
                  "unwrap_failures,rejected\n"
                  "bmsc,bmsc,0,1,100,0,0,0,0,0,0\n"
                  "ggsn0,ggsn,0,0,0,0,0,0,0,0,0\n"
                  "sgsn0,sgsn,0,0,0,0,0,0,0,0,0\n"
                  "sgsn1,sgsn,1,0,0,0,0,0,0,0,1\n"
                  "rnc0,rnc,0,0,0,0,0,0,0,0,0\n"
                  "rnc1,rnc,1,0,0,0,0,0,0,0,0\n"
                  "rnc2,rnc,2,0,0,0,0,0,0,0,0\n"
                  "rnc3,rnc,3,1,40,0,0,2,0,0,0\n"
                  "ue,ue,,0,0,1,40,0,1,1,0\n");
  g_free(text);

  /* scenario.ini is the effective configuration, as scn_to_ini gives it */
  Scenario *scn = scenario_new("two");
  char *ini = scn_to_ini(scn);
  text = read_all(dir, "scenario.ini");
  g_assert_cmpstr(text, ==, ini);
  g_free(text);
  g_free(ini);
  scenario_free(scn);

  char *l = listing(dir);
  g_assert_cmpstr(l, ==,
                  "elements.csv provenance.json rekeys.csv scenario.ini summary.csv summary.json");
  g_free(l);
  g_free(dir);
}

static void test_json_escaping(Fixture *fx, gconstpointer data) {
  (void)data;
  char *dir = g_build_filename(fx->root, "esc", NULL);
  GError *err = NULL;
  g_assert_true(write_results(dir, "a\"b\\c,d\n\t\x01z", &err));
  g_assert_no_error(err);
  char *text = read_all(dir, "summary.json");
  g_assert_true(json_ok(text));
  g_assert_nonnull(strstr(text, "\n  \"name\": \"a\\\"b\\\\c,d\\n\\t\\u0001z\",\n"));
  g_free(text);
  /* CSV: quoted, quotes doubled */
  text = read_all(dir, "summary.csv");
  g_assert_nonnull(strstr(text, "\n\"a\"\"b\\c,d\n\t\x01z\",patent,"));
  g_free(text);
  g_free(dir);

  /* the checker itself rejects what it must */
  g_assert_true(json_ok("{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\"]}"));
  g_assert_false(json_ok("{\"a\": \"b\"c\"}"));
  g_assert_false(json_ok("{\"a\": \"b\\c\"}"));
  g_assert_false(json_ok("{\"a\": 1,}"));
  g_assert_false(json_ok("{\"a\": nan}"));
  g_assert_false(json_ok("{\"a\": \"\n\"}"));
}

static void test_replace_own_results(Fixture *fx, gconstpointer data) {
  (void)data;
  char *dir = g_build_filename(fx->root, "res", NULL);
  GError *err = NULL;
  g_assert_true(write_results(dir, "first", &err));
  g_assert_no_error(err);
  /* scripts/plot's figures are ours too */
  char *plots = g_build_filename(dir, "plots", NULL);
  g_assert_cmpint(g_mkdir(plots, 0755), ==, 0);
  write_text(plots, "latency_cdf.pdf", "old");
  write_text(plots, "latency_cdf.txt", "old");
  g_assert_true(write_results(dir, "second", &err));
  g_assert_no_error(err);
  char *text = read_all(dir, "summary.csv");
  g_assert_nonnull(strstr(text, "\nsecond,"));
  g_free(text);
  char *l = listing(dir);
  g_assert_cmpstr(l, ==,
                  "elements.csv provenance.json rekeys.csv scenario.ini summary.csv summary.json");
  g_free(l);
  l = listing(fx->root); /* no .tmp- or .old- left beside it */
  g_assert_cmpstr(l, ==, "res");
  g_free(l);
  g_free(plots);

  /* a trailing slash names the same folder */
  char *slashed = g_strconcat(dir, "/", NULL);
  g_assert_true(write_results(slashed, "third", &err));
  g_assert_no_error(err);
  l = listing(fx->root);
  g_assert_cmpstr(l, ==, "res");
  g_free(l);
  text = read_all(dir, "summary.csv");
  g_assert_nonnull(strstr(text, "\nthird,"));
  g_free(text);
  g_free(slashed);
  g_free(dir);
}

static void test_refuse_foreign(Fixture *fx, gconstpointer data) {
  (void)data;
  char *dir = g_build_filename(fx->root, "res", NULL);
  GError *err = NULL;
  g_assert_true(write_results(dir, "first", &err));
  g_assert_no_error(err);
  char *before = read_all(dir, "summary.csv");
  write_text(dir, "notes.txt", "my notes");

  g_assert_false(write_results(dir, "second", &err));
  g_assert_error(err, SCN_ERROR, SCN_ERROR_IO);
  g_assert_nonnull(strstr(err->message, "holds files not written by mbms-sim"));
  g_assert_nonnull(strstr(err->message, "notes.txt"));
  g_assert_null(strchr(err->message, '\n'));
  g_clear_error(&err);

  char *after = read_all(dir, "summary.csv");
  g_assert_cmpstr(after, ==, before);
  char *notes = read_all(dir, "notes.txt");
  g_assert_cmpstr(notes, ==, "my notes");
  char *l = listing(fx->root);
  g_assert_cmpstr(l, ==, "res");
  g_free(l);
  g_free(notes);
  g_free(after);

  /* a foreign file inside plots/ is refused too */
  char *notes_path = g_build_filename(dir, "notes.txt", NULL);
  g_assert_cmpint(g_unlink(notes_path), ==, 0);
  g_free(notes_path);
  char *plots = g_build_filename(dir, "plots", NULL);
  g_assert_cmpint(g_mkdir(plots, 0755), ==, 0);
  write_text(plots, "mine.png", "x");
  g_assert_false(write_results(dir, "second", &err));
  g_assert_error(err, SCN_ERROR, SCN_ERROR_IO);
  g_assert_nonnull(strstr(err->message, "mine.png"));
  g_clear_error(&err);
  after = read_all(dir, "summary.csv");
  g_assert_cmpstr(after, ==, before);
  l = listing(fx->root);
  g_assert_cmpstr(l, ==, "res");
  g_free(l);
  g_free(after);
  g_free(plots);
  g_free(before);
  g_free(dir);
}

static void test_failure_leaves_nothing(Fixture *fx, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  /* the results path is a regular file */
  char *file = g_build_filename(fx->root, "res", NULL);
  write_text(fx->root, "res", "not a folder");
  g_assert_false(write_results(file, "x", &err));
  g_assert_error(err, SCN_ERROR, SCN_ERROR_IO);
  g_assert_true(g_str_has_prefix(err->message, file));
  g_clear_error(&err);
  char *l = listing(fx->root);
  g_assert_cmpstr(l, ==, "res");
  g_free(l);
  char *text = read_all(fx->root, "res");
  g_assert_cmpstr(text, ==, "not a folder");
  g_free(text);

  /* a parent is a regular file: "<path>: <strerror>" */
  char *under = g_build_filename(file, "sub", "r", NULL);
  g_assert_false(write_results(under, "x", &err));
  g_assert_error(err, SCN_ERROR, SCN_ERROR_IO);
  char *want = g_strdup_printf("%s/sub: %s", file, g_strerror(ENOTDIR));
  g_assert_cmpstr(err->message, ==, want);
  g_clear_error(&err);
  l = listing(fx->root);
  g_assert_cmpstr(l, ==, "res");
  g_free(l);
  g_free(want);
  g_free(under);

  /* an empty name */
  g_assert_false(write_results("", "x", &err));
  g_assert_error(err, SCN_ERROR, SCN_ERROR_IO);
  g_clear_error(&err);
  g_free(file);
}

static void test_deterministic(Fixture *fx, gconstpointer data) {
  (void)data;
  static const char *const files[] = {"rekeys.csv", "summary.csv", "summary.json", "elements.csv",
                                      "scenario.ini"};
  char *a = g_build_filename(fx->root, "a", NULL);
  char *b = g_build_filename(fx->root, "b", NULL);
  GError *err = NULL;
  g_assert_true(write_results(a, "same", &err));
  g_assert_true(write_results(b, "same", &err));
  g_assert_no_error(err);
  GPtrArray *first = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
    char *x = read_all(a, files[i]), *y = read_all(b, files[i]);
    g_assert_cmpstr(x, ==, y);
    g_assert_cmpuint(strlen(x), >, 0);
    g_ptr_array_add(first, x);
    g_free(y);
  }
  /* and again over the same folder */
  g_assert_true(write_results(a, "same", &err));
  g_assert_no_error(err);
  for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
    char *x = read_all(a, files[i]);
    g_assert_cmpstr(x, ==, g_ptr_array_index(first, i));
    g_free(x);
  }
  g_ptr_array_unref(first);
  g_free(a);
  g_free(b);
}

/* Every number of summary.csv and rekeys.csv reads back as the value used
 * (issue 11 item 8): values "%.6f"/"%.9f" cannot hold (1e300 has 301
 * digits, 1/3 has more than 6 decimals, 1e-7 would print as 0.000000) go
 * out in the shortest exact form; ordinary ones keep their fixed format. */
static void test_numbers_read_back(Fixture *fx, gconstpointer data) {
  (void)data;
  Scenario *scn = scenario_new("num");
  scn->duration = 1e300;
  scn->join_rate = 1.0 / 3.0;
  scn->mean_membership = 123456789.123;
  Metrics *m = metrics_new(1, 1, 1);
  const double t_odd = 3.141592653589793;          /* 16 digits: %.15g cannot hold it */
  uint32_t a = add_rekey(m, t_odd, EV_JOIN, 0.02); /* latency 0.02: ns-exact */
  (void)a;
  Summary s = {0};
  report_summarise(m, &s);
  s.keys_per_ue = 1.0 / 3.0;
  s.sim_end_s = 1e-7;
  char *dir = g_build_filename(fx->root, "num", NULL);
  GError *err = NULL;
  g_assert_true(report_write(dir, scn, m, &s, &err));
  g_assert_no_error(err);

  char *text = read_all(dir, "summary.csv");
  char **lines = g_strsplit(text, "\n", -1);
  char **keys = g_strsplit(lines[0], ",", -1), **vals = g_strsplit(lines[1], ",", -1);
  g_assert_cmpuint(g_strv_length(keys), ==, g_strv_length(vals));
  const struct {
    const char *key;
    double want;
    const char *text; /* as written, where the rule fixes it */
  } want[] = {
      /* %.6f of 1e300 is exact (301 digits, past the old 71-byte buffer) */
      {"duration_s", 1e300, NULL},
      {"join_rate", 1.0 / 3.0, "0.3333333333333333"}, /* 16 digits suffice */
      {"mean_membership", 123456789.123, "123456789.123"},
      {"keys_per_ue", 1.0 / 3.0, "0.3333333333333333"},
      {"sim_end_s", 1e-7, "1e-07"},
      {"latency_mean_s", 0.02, "0.020000000"}, /* ordinary: the fixed format */
      {"record_before_join_s", 0, "0"},
  };
  for (size_t w = 0; w < G_N_ELEMENTS(want); w++) {
    bool found = false;
    for (guint i = 0; keys[i]; i++) {
      if (strcmp(keys[i], want[w].key) != 0)
        continue;
      found = true;
      g_assert_cmpfloat(g_ascii_strtod(vals[i], NULL), ==, want[w].want);
      if (want[w].text)
        g_assert_cmpstr(vals[i], ==, want[w].text);
      else
        g_assert_cmpuint(strlen(vals[i]), ==, 301 + 7);
    }
    g_assert_true(found);
  }
  g_strfreev(keys);
  g_strfreev(vals);
  g_strfreev(lines);
  g_free(text);
  /* rekeys.csv: the odd event time in 16 digits, the latency in %.9f */
  text = read_all(dir, "rekeys.csv");
  g_assert_nonnull(strstr(text, "\n3.141592653589793,join,"));
  g_assert_cmpfloat(g_ascii_strtod("3.141592653589793", NULL), ==, t_odd);
  g_assert_nonnull(strstr(text, ",0.020000000\n"));
  g_free(text);
  g_free(dir);
  metrics_free(m);
  scenario_free(scn);
}

/* Runs write_results(dir, name) in a child with MBMS_TEST_REPORT_KILL=point
 * (NULL: none), its stderr into *err; returns the wait status. */
static int child_write(const char *dir, const char *name, const char *point, char **err) {
  char *errpath = g_strconcat(dir, ".stderr", NULL);
  fflush(NULL);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    FILE *f = freopen(errpath, "w", stderr);
    if (!f)
      _exit(99);
    setvbuf(stderr, NULL, _IONBF, 0); /* a SIGKILL must not lose it */
    if (point)
      g_setenv("MBMS_TEST_REPORT_KILL", point, TRUE);
    GError *e = NULL;
    gboolean ok = write_results(dir, name, &e);
    fflush(stderr);
    _exit(ok ? 0 : 1);
  }
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(g_file_get_contents(errpath, err, NULL, NULL));
  g_unlink(errpath);
  g_free(errpath);
  return status;
}

/* Names beside `dir` in fx->root other than dir itself. */
static guint n_leftovers(Fixture *fx, const char *prefix) {
  GDir *d = g_dir_open(fx->root, 0, NULL);
  guint n = 0;
  const char *name;
  while ((name = g_dir_read_name(d)))
    n += g_str_has_prefix(name, prefix);
  g_dir_close(d);
  return n;
}

/* A run killed (SIGKILL) at each point of the write leaves `dir` naming a
 * complete folder (the old results, or the new), and the next run removes
 * the leftover and says so (issue 11 item 12). */
static void test_killed_write(Fixture *fx, gconstpointer data) {
  const char *point = data;
  char *dir = g_build_filename(fx->root, "res", NULL);
  GError *e = NULL;
  g_assert_true(write_results(dir, "first", &e));
  g_assert_no_error(e);
  char *err = NULL;
  int status = child_write(dir, "second", point, &err);
  g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  g_free(err);
  /* dir is complete: the old results if killed while writing, the new
   * ones once exchanged */
  char *l = listing(dir);
  g_assert_cmpstr(l, ==, "elements.csv provenance.json rekeys.csv scenario.ini summary.csv summary.json");
  g_free(l);
  char *text = read_all(dir, "summary.csv");
  g_assert_nonnull(strstr(text, strcmp(point, "write") == 0 ? "\nfirst," : "\nsecond,"));
  g_free(text);
  g_assert_cmpuint(n_leftovers(fx, "res.tmp-"), ==, 1);

  status = child_write(dir, "third", NULL, &err);
  g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  g_assert_nonnull(strstr(err, "res.tmp-"));
  g_assert_nonnull(strstr(err, "removed, left by a run that was killed"));
  g_free(err);
  l = listing(fx->root);
  g_assert_cmpstr(l, ==, "res");
  g_free(l);
  text = read_all(dir, "summary.csv");
  g_assert_nonnull(strstr(text, "\nthird,"));
  g_free(text);
  g_free(dir);
}

/* A leftover of the old two-rename replacement, killed between the
 * renames: dir missing, the old results in dir.old-*, the new half in
 * dir.tmp-*. The next run puts the old results back before writing, and
 * leaves alone a leftover that holds a foreign file. */
static void test_recover_old(Fixture *fx, gconstpointer data) {
  (void)data;
  char *dir = g_build_filename(fx->root, "res", NULL);
  char *old = g_build_filename(fx->root, "res.old-AbC123", NULL);
  char *foreign = g_build_filename(fx->root, "res.tmp-XyZ789", NULL);
  GError *e = NULL;
  g_assert_true(write_results(old, "first", &e));
  g_assert_no_error(e);
  g_assert_cmpint(g_mkdir(foreign, 0755), ==, 0);
  write_text(foreign, "mine.txt", "keep me");
  char *err = NULL;
  int status = child_write(dir, "second", "exchange", &err);
  /* dir was put back first, so the new results were exchanged with it */
  g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  g_test_message("stderr: %s", err);
  g_assert_nonnull(strstr(err, "recovered the previous results from"));
  g_assert_nonnull(strstr(err, "res.tmp-XyZ789: left as it is"));
  g_free(err);
  char *text = read_all(dir, "summary.csv");
  g_assert_nonnull(strstr(text, "\nsecond,"));
  g_free(text);
  char *kept = read_all(foreign, "mine.txt");
  g_assert_cmpstr(kept, ==, "keep me");
  g_free(kept);
  g_free(foreign);
  g_free(old);
  g_free(dir);
}

/* ---- stdout table ----------------------------------------------------- */

static char *print_to_string(const Scenario *scn, const Summary *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  g_assert_nonnull(f);
  report_print(f, scn, s);
  fclose(f);
  return buf;
}

static void test_print(void) {
  Scenario *scn = scenario_new("demo");
  Metrics *m = two_events();
  m->rejected_msgs = 0;
  m->elements[metrics_n_elements(m) - 1].unwrap_failures = 0;
  Summary s = {0};
  s.final_members = 99;
  report_summarise(m, &s);
  char *text = print_to_string(scn, &s);
  g_assert_nonnull(strstr(text, "scenario         demo (seed 42,"));
  g_assert_nonnull(strstr(text, "join-rekey       off\n"));
  g_assert_nonnull(strstr(text, "joins / leaves   1 / 1\n"));
  g_assert_nonnull(strstr(text, "rekey messages   p2p 4, p2m 2 (tx 4), core 6\n"));
  g_assert_nonnull(strstr(text, "latency (ms)     mean 20.000, p95 20.000, max 20.000\n"));
  g_assert_nonnull(strstr(text, "final members    99 "));
  g_assert_null(strstr(text, "WARNING"));
  free(text);

  s.incomplete_rekeys = 2;
  text = print_to_string(scn, &s);
  g_assert_nonnull(strstr(text, "WARNING: 0 rejected messages, 0 link drops, 0 unwrap failures, "
                                "2 incomplete rekeys\n"));
  free(text);
  s.incomplete_rekeys = 0;
  s.link_drops = 1;
  text = print_to_string(scn, &s);
  g_assert_nonnull(strstr(text, "WARNING"));
  free(text);
  metrics_free(m);
  scenario_free(scn);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/metrics/layout", test_metrics_layout);
  g_test_add_func("/metrics/counting", test_metrics_counting);
  g_test_add_func("/report/summarise-totals", test_summarise_totals);
  g_test_add_func("/report/p95-nearest-rank", test_p95_nearest_rank);
  g_test_add_func("/report/print", test_print);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fx_setup, fn, fx_teardown)
  ADD("/report/rekeys-csv-bytes", test_rekeys_csv_bytes);
  ADD("/report/incomplete-latency-empty", test_incomplete_latency_empty);
  ADD("/report/summary-and-elements", test_summary_and_elements);
  ADD("/report/json-escaping", test_json_escaping);
  ADD("/report/replace-own-results", test_replace_own_results);
  ADD("/report/refuse-foreign", test_refuse_foreign);
  ADD("/report/failure-leaves-nothing", test_failure_leaves_nothing);
  ADD("/report/deterministic", test_deterministic);
  ADD("/report/numbers-read-back", test_numbers_read_back);
  g_test_add("/report/killed/write", Fixture, "write", fx_setup, test_killed_write, fx_teardown);
  g_test_add("/report/killed/exchange", Fixture, "exchange", fx_setup, test_killed_write,
             fx_teardown);
  g_test_add("/report/killed/remove", Fixture, "remove", fx_setup, test_killed_write, fx_teardown);
  ADD("/report/recover-old", test_recover_old);
#undef ADD
  return g_test_run();
}
