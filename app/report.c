/* report.c — summary figures, the results folder and the stdout table.
 *
 * Every number is formatted without locale (g_ascii_formatd, integer
 * formats) with fixed precision, so the same run writes the same bytes.
 * Files are built in memory, written into "<dir>.tmp-XXXXXX" and the folder
 * is swapped into place last (see report_write).
 */
#include "app/report.h"

#include "app/provenance.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app/scenario_keys.h"

/* ---- summary ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A latency is the difference of two ns-3 times, each a whole number of
 * nanoseconds; the double subtraction adds noise below 1 ns (1.52 - 1.5 =
 * 0.020000000000000018). The measured value is the whole number of ns,
 * which is what the files write (and read back: "%.9f"), so the noise is
 * dropped here, once, for every figure. The mean too is rounded to the ns,
 * ns-3's resolution. */
static double snap_ns(double s) {
  return round(s * 1e9) / 1e9;
}

/* Latency samples are events whose group key changed and whose expected
 * installations all happened. A rekey with installations expected that never
 * completed is counted in incomplete_rekeys instead. (A group change with no
 * installation expected, e.g. the last member left, has no latency.) */
void report_summarise(const Metrics *m, Summary *out) {
  out->joins = out->leaves = out->moves = out->inter_rnc_moves = 0;
  out->rekey_msgs_join = out->rekey_msgs_leave = out->rekey_msgs_move = out->core_msgs_move = 0;
  out->p2p_msgs = out->p2m_msgs = out->p2m_tx = out->core_msgs = 0;
  out->signalling_msgs = out->bytes = out->wraps = 0;
  out->unwraps = out->unwrap_failures = 0;
  out->incomplete_rekeys = 0;
  out->latency_mean = out->latency_p95 = out->latency_max = 0.0;

  guint n_ev = metrics_n_events(m);
  double *lat = g_new(double, n_ev > 0 ? n_ev : 1);
  guint n_lat = 0;
  for (guint i = 0; i < n_ev; i++) {
    const EventRecord *e = metrics_event_read(m, i);
    uint64_t rekey_msgs = (uint64_t)e->p2p_msgs + e->p2m_msgs + e->core_msgs;
    if (e->kind == EV_JOIN) {
      out->joins++;
      out->rekey_msgs_join += rekey_msgs;
    } else if (e->kind == EV_LEAVE) {
      out->leaves++;
      out->rekey_msgs_leave += rekey_msgs;
    } else {
      out->moves++;
      out->inter_rnc_moves += e->inter_rnc;
      out->rekey_msgs_move += rekey_msgs;
      out->core_msgs_move += e->core_msgs;
    }
    out->p2p_msgs += e->p2p_msgs;
    out->p2m_msgs += e->p2m_msgs;
    out->p2m_tx += e->p2m_tx;
    out->core_msgs += e->core_msgs;
    out->signalling_msgs += e->signalling_msgs;
    out->bytes += e->bytes;
    if (!e->group_changed || e->installs_expected == 0)
      continue;
    if (metrics_event_complete(e))
      lat[n_lat++] = snap_ns(metrics_event_latency(e));
    else
      out->incomplete_rekeys++;
  }
  if (n_lat > 0) {
    qsort(lat, n_lat, sizeof *lat, cmp_double);
    double sum = 0.0;
    for (guint i = 0; i < n_lat; i++)
      sum += lat[i];
    out->latency_mean = snap_ns(sum / n_lat);
    /* nearest rank: ceil(0.95 n) - 1, in integers to avoid 0.95 * n rounding */
    guint64 rank = ((guint64)n_lat * 95u + 99u) / 100u;
    out->latency_p95 = lat[rank - 1];
    out->latency_max = lat[n_lat - 1];
  }
  g_free(lat);

  guint n_el = metrics_n_elements(m);
  /* wraps and unwraps: every one any element made, rekey or signalling (the
   * group key in an activation accept), so that summary.csv's total is the
   * sum of elements.csv's column */
  for (guint i = 0; i < n_el; i++) {
    out->wraps += m->elements[i].wraps;
    out->unwraps += m->elements[i].unwraps;
    out->unwrap_failures += m->elements[i].unwrap_failures;
  }
  out->rejected_msgs = m->rejected_msgs;
  out->link_drops = m->link_drops;
}

/* ---- formatting helpers ----------------------------------------------- */

/* A number must read back as the value used. The field's fixed format
 * ("%.6f", "%.9f", "%.9g") is kept when it does (the usual case: the files
 * stay as they were); otherwise the shortest of %.15g, %.16g, %.17g that
 * reads back as the same double (%.17g always does). The buffer holds the
 * widest "%.9f" of a double (309 integer digits). */
#define REPORT_NUM_BUF 400
static void format_double(char buf[REPORT_NUM_BUF], const char *format, double v) {
  g_ascii_formatd(buf, REPORT_NUM_BUF, format, v);
  if (!isfinite(v) || g_ascii_strtod(buf, NULL) == v)
    return;
  static const char *const shortest[] = {"%.15g", "%.16g", "%.17g"};
  for (unsigned i = 0; i < G_N_ELEMENTS(shortest); i++) {
    g_ascii_formatd(buf, REPORT_NUM_BUF, shortest[i], v);
    if (g_ascii_strtod(buf, NULL) == v)
      return;
  }
}

static void append_double(GString *s, const char *format, double v) {
  char buf[REPORT_NUM_BUF];
  format_double(buf, format, v);
  g_string_append(s, buf);
}

static void append_u64(GString *s, guint64 v) {
  g_string_append_printf(s, "%" G_GUINT64_FORMAT, v);
}

/* RFC 4180: quoted only when needed, quotes doubled. */
static void append_csv_string(GString *s, const char *v) {
  if (!v)
    v = "";
  if (!strpbrk(v, ",\"\r\n")) {
    g_string_append(s, v);
    return;
  }
  g_string_append_c(s, '"');
  for (const char *p = v; *p; p++) {
    if (*p == '"')
      g_string_append_c(s, '"');
    g_string_append_c(s, *p);
  }
  g_string_append_c(s, '"');
}

/* JSON string with escapes; invalid UTF-8 is replaced first. */
static void append_json_string(GString *s, const char *v) {
  char *valid = g_utf8_make_valid(v ? v : "", -1);
  g_string_append_c(s, '"');
  for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
    switch (*p) {
    case '"':
      g_string_append(s, "\\\"");
      break;
    case '\\':
      g_string_append(s, "\\\\");
      break;
    case '\b':
      g_string_append(s, "\\b");
      break;
    case '\f':
      g_string_append(s, "\\f");
      break;
    case '\n':
      g_string_append(s, "\\n");
      break;
    case '\r':
      g_string_append(s, "\\r");
      break;
    case '\t':
      g_string_append(s, "\\t");
      break;
    default:
      if (*p < 0x20)
        g_string_append_printf(s, "\\u%04x", *p);
      else
        g_string_append_c(s, (char)*p);
    }
  }
  g_string_append_c(s, '"');
  g_free(valid);
}

static const char *kind_name(ElKind k) {
  static const char *const names[EL_KIND_COUNT] = {"bmsc", "ggsn", "sgsn", "rnc", "ue"};
  g_assert((unsigned)k < EL_KIND_COUNT);
  return names[k];
}

/* ---- summary fields (shared by summary.csv and summary.json) ---------- */

typedef enum { SEC_TOP, SEC_PARAMS, SEC_TOTALS } Section;

typedef struct {
  const char *key;
  Section section;
  char *csv;  /* the CSV cell, escaped */
  char *json; /* the JSON value, escaped */
} Field;

static void field_str(GArray *f, const char *key, Section sec, const char *v) {
  GString *c = g_string_new(NULL), *j = g_string_new(NULL);
  append_csv_string(c, v);
  append_json_string(j, v);
  Field x = {key, sec, g_string_free(c, FALSE), g_string_free(j, FALSE)};
  g_array_append_val(f, x);
}

static void field_u64(GArray *f, const char *key, Section sec, guint64 v) {
  char *t = g_strdup_printf("%" G_GUINT64_FORMAT, v);
  Field x = {key, sec, t, g_strdup(t)};
  g_array_append_val(f, x);
}

static void field_bool(GArray *f, const char *key, Section sec, bool v) {
  Field x = {key, sec, g_strdup(v ? "1" : "0"), g_strdup(v ? "true" : "false")};
  g_array_append_val(f, x);
}

static void field_dbl(GArray *f, const char *key, Section sec, const char *format, double v) {
  GString *c = g_string_new(NULL);
  append_double(c, format, v);
  char *json = isfinite(v) ? g_strdup(c->str) : g_strdup("null");
  Field x = {key, sec, g_string_free(c, FALSE), json};
  g_array_append_val(f, x);
}

static void field_clear(gpointer p) {
  Field *x = p;
  g_free(x->csv);
  g_free(x->json);
}

static GArray *summary_fields(const Scenario *scn, const Summary *s) {
  GArray *f = g_array_new(FALSE, TRUE, sizeof(Field));
  g_array_set_clear_func(f, field_clear);
  field_str(f, "name", SEC_TOP, scn->name);
  /* the parameters: the scenario keys the table (app/scenario_keys.c)
   * reports, in its order */
  const ScnKey *k;
  for (unsigned pos = 1; (k = scn_summary_key(pos)); pos++) {
    switch (k->type) {
    case SCN_UINT:
      field_u64(f, k->summary, SEC_PARAMS, scn_key_uint(k, scn));
      break;
    case SCN_REAL:
      field_dbl(f, k->summary, SEC_PARAMS, k->summary_format, scn_key_real(k, scn));
      break;
    case SCN_BOOL:
      field_bool(f, k->summary, SEC_PARAMS, scn_key_bool(k, scn));
      break;
    case SCN_TEXT:
    case SCN_CHOICE:
      field_str(f, k->summary, SEC_PARAMS, scn_key_text(k, scn));
      break;
    }
  }
  field_u64(f, "joins", SEC_TOTALS, s->joins);
  field_u64(f, "leaves", SEC_TOTALS, s->leaves);
  field_u64(f, "p2p_msgs", SEC_TOTALS, s->p2p_msgs);
  field_u64(f, "p2m_msgs", SEC_TOTALS, s->p2m_msgs);
  field_u64(f, "p2m_tx", SEC_TOTALS, s->p2m_tx);
  field_u64(f, "core_msgs", SEC_TOTALS, s->core_msgs);
  field_u64(f, "signalling_msgs", SEC_TOTALS, s->signalling_msgs);
  field_u64(f, "bytes", SEC_TOTALS, s->bytes);
  field_u64(f, "wraps", SEC_TOTALS, s->wraps);
  field_u64(f, "unwraps", SEC_TOTALS, s->unwraps);
  field_u64(f, "unwrap_failures", SEC_TOTALS, s->unwrap_failures);
  field_u64(f, "rejected_msgs", SEC_TOTALS, s->rejected_msgs);
  field_u64(f, "link_drops", SEC_TOTALS, s->link_drops);
  field_u64(f, "incomplete_rekeys", SEC_TOTALS, s->incomplete_rekeys);
  field_dbl(f, "latency_mean_s", SEC_TOTALS, "%.9f", s->latency_mean);
  field_dbl(f, "latency_p95_s", SEC_TOTALS, "%.9f", s->latency_p95);
  field_dbl(f, "latency_max_s", SEC_TOTALS, "%.9f", s->latency_max);
  field_u64(f, "fwd_violations", SEC_TOTALS, s->fwd_violations);
  field_u64(f, "bwd_exposures", SEC_TOTALS, s->bwd_exposures);
  field_u64(f, "data_sent", SEC_TOTALS, s->data_sent);
  field_u64(f, "data_undecryptable_by_members", SEC_TOTALS, s->data_undecryptable_by_members);
  field_u64(f, "data_leaked", SEC_TOTALS, s->data_leaked);
  field_u64(f, "final_members", SEC_TOTALS, s->final_members);
  field_dbl(f, "keys_per_ue", SEC_TOTALS, "%.6f", s->keys_per_ue);
  field_u64(f, "sim_events", SEC_TOTALS, s->sim_events);
  field_dbl(f, "sim_end_s", SEC_TOTALS, "%.6f", s->sim_end_s);
  if (scn->reliability_report) {
    field_u64(f, "retransmissions", SEC_TOTALS, s->loss.retransmissions);
    field_u64(f, "dch_lost", SEC_TOTALS, s->loss.dch_lost);
    field_u64(f, "common_losses", SEC_TOTALS, s->loss.common_losses);
    field_u64(f, "p2m_repeats", SEC_TOTALS, s->loss.p2m_repeats);
    field_u64(f, "key_requests", SEC_TOTALS, s->loss.key_requests);
    field_u64(f, "recovery_replies", SEC_TOTALS, s->loss.recovery_replies);
    field_u64(f, "recovery_bytes", SEC_TOTALS, s->loss.recovery_bytes);
    field_u64(f, "refused_requests", SEC_TOTALS, s->loss.refused_requests);
    field_u64(f, "recovery_abandoned", SEC_TOTALS, s->loss.recovery_abandoned);
    field_u64(f, "data_lost", SEC_TOTALS, s->loss.data_lost);
    field_u64(f, "members_without_current_key", SEC_TOTALS, s->loss.members_without_current_key);
  }
  if (scn->nas_report) {
    field_u64(f, "nas_retransmissions", SEC_TOTALS, s->loss.nas_retransmissions);
    field_u64(f, "nas_aborted", SEC_TOTALS, s->loss.nas_aborted);
  }
  if (scn->rounds_report) {
    field_u64(f, "round_tx", SEC_TOTALS, s->loss.round_tx);
    field_u64(f, "round_bytes", SEC_TOTALS, s->loss.round_bytes);
  }
  if (scn->mobility) {
    /* only with a [mobility] key, so that a scenario without one writes
     * what it wrote before mobility existed */
    field_dbl(f, "handover_rate", SEC_PARAMS, "%.9g", scn->handover_rate);
    field_dbl(f, "intra_rnc", SEC_PARAMS, "%.9g", scn->intra_rnc);
    field_dbl(f, "intra_sgsn", SEC_PARAMS, "%.9g", scn->intra_sgsn);
    field_str(f, "handover_rekey", SEC_PARAMS,
              scn->handover_rekey == KT_MOVE_LAZY ? "lazy" : "eager");
    double per_s = scn->duration > 0 ? 1.0 / scn->duration : 0.0;
    field_u64(f, "moves", SEC_TOTALS, s->moves);
    field_u64(f, "inter_rnc_moves", SEC_TOTALS, s->inter_rnc_moves);
    field_dbl(f, "rekey_msgs_per_move", SEC_TOTALS, "%.6f",
              s->moves ? (double)s->rekey_msgs_move / s->moves : 0.0);
    field_dbl(f, "rekey_msgs_per_s_join", SEC_TOTALS, "%.6f", s->rekey_msgs_join * per_s);
    field_dbl(f, "rekey_msgs_per_s_leave", SEC_TOTALS, "%.6f", s->rekey_msgs_leave * per_s);
    field_dbl(f, "rekey_msgs_per_s_move", SEC_TOTALS, "%.6f", s->rekey_msgs_move * per_s);
    field_dbl(f, "rekey_msgs_per_s", SEC_TOTALS, "%.6f",
              (s->rekey_msgs_join + s->rekey_msgs_leave + s->rekey_msgs_move) * per_s);
    field_dbl(f, "core_msgs_per_s", SEC_TOTALS, "%.6f", s->core_msgs * per_s);
  }
  return f;
}

char *report_summary_header(void) {
  Scenario scn = {.name = "", .scheme = ""};
  Summary sum = {0};
  GArray *f = summary_fields(&scn, &sum);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < f->len; i++)
    g_string_append_printf(s, "%s%s", i ? "," : "", g_array_index(f, Field, i).key);
  g_array_unref(f);
  return g_string_free(s, FALSE);
}

/* ---- file texts ------------------------------------------------------- */

static GString *summary_csv(GArray *f) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < f->len; i++)
    g_string_append_printf(s, "%s%s", i ? "," : "", g_array_index(f, Field, i).key);
  g_string_append_c(s, '\n');
  for (guint i = 0; i < f->len; i++)
    g_string_append_printf(s, "%s%s", i ? "," : "", g_array_index(f, Field, i).csv);
  g_string_append_c(s, '\n');
  return s;
}

static void json_members(GString *s, GArray *f, Section sec, const char *indent) {
  bool first = true;
  for (guint i = 0; i < f->len; i++) {
    const Field *x = &g_array_index(f, Field, i);
    if (x->section != sec)
      continue;
    g_string_append_printf(s, "%s\n%s\"%s\": %s", first ? "" : ",", indent, x->key, x->json);
    first = false;
  }
}

/* `prov`: the "provenance" object's members (app/provenance.h), deterministic. */
static GString *summary_json(GArray *f, const char *prov) {
  GString *s = g_string_new("{");
  json_members(s, f, SEC_TOP, "  ");
  g_string_append(s, ",\n  \"parameters\": {");
  json_members(s, f, SEC_PARAMS, "    ");
  g_string_append(s, "\n  },\n  \"totals\": {");
  json_members(s, f, SEC_TOTALS, "    ");
  g_string_append_printf(s, "\n  },\n  \"provenance\": {\n%s\n  }\n}\n", prov);
  return s;
}

/* With recovery figures (a [loss] or [reliability] key) four more columns;
 * with mobility (a [mobility] key) a last column from_cell: the cell a move
 * left (empty for joins and leaves). */
static void rekeys_header(GString *s, bool reliability, bool mobility) {
  g_string_append(s, "time_s,event,ue,rnc,cell,subgroup,p2p_msgs,p2m_msgs,p2m_tx,"
                     "core_msgs,bytes,latency_s");
  if (reliability)
    g_string_append(s, ",retransmissions,p2m_repeats,recovery_replies,recovery_bytes");
  g_string_append(s, mobility ? ",from_cell\n" : "\n");
}

static void rekeys_row(GString *s, const EventRecord *e, bool reliability, bool mobility) {
  static const char *const kinds[] = {[EV_JOIN] = "join", [EV_LEAVE] = "leave", [EV_MOVE] = "move"};
  append_double(s, "%.6f", e->time);
  g_string_append_printf(s, ",%s,%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",", kinds[e->kind], e->ue,
                         e->rnc, e->cell);
  /* empty when the event has no sub-group of its own (stars; events of a
   * batch other than its last) */
  if (e->subgroup != UINT32_MAX)
    g_string_append_printf(s, "%" PRIu32, e->subgroup);
  g_string_append_printf(s, ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",", e->p2p_msgs,
                         e->p2m_msgs, e->p2m_tx, e->core_msgs);
  append_u64(s, e->bytes);
  g_string_append_c(s, ',');
  /* an incomplete rekey has no latency: an empty cell, never a made-up 0 */
  if (!(e->group_changed && e->installs_expected > 0 && !metrics_event_complete(e)))
    append_double(s, "%.9f", snap_ns(metrics_event_latency(e)));
  if (reliability)
    g_string_append_printf(s, ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu64, e->retransmissions,
                           e->p2m_repeats, e->recovery_replies, e->recovery_bytes);
  if (mobility) {
    g_string_append_c(s, ',');
    if (e->from_cell != UINT32_MAX)
      g_string_append_printf(s, "%" PRIu32, e->from_cell);
  }
  g_string_append_c(s, '\n');
}

static GString *elements_csv(const Metrics *m) {
  GString *s = g_string_new("element,kind,index,msgs_sent,bytes_sent,msgs_recv,bytes_recv,"
                            "wraps,unwraps,unwrap_failures,rejected\n");
  guint n = metrics_n_elements(m);
  for (guint el = 0; el < n; el++) {
    uint32_t i;
    ElKind k = metrics_element_kind(m, el, &i);
    const ElCounters *c = &m->elements[el];
    if (k == EL_BMSC || k == EL_UE)
      g_string_append_printf(s, "%s,%s,%s", kind_name(k), kind_name(k), k == EL_BMSC ? "0" : "");
    else
      g_string_append_printf(s, "%s%" PRIu32 ",%s,%" PRIu32, kind_name(k), i, kind_name(k), i);
    const uint64_t v[] = {c->msgs_sent, c->bytes_sent, c->msgs_recv,       c->bytes_recv,
                          c->wraps,     c->unwraps,    c->unwrap_failures, c->rejected};
    for (size_t j = 0; j < G_N_ELEMENTS(v); j++) {
      g_string_append_c(s, ',');
      append_u64(s, v[j]);
    }
    g_string_append_c(s, '\n');
  }
  return s;
}

/* ---- the results folder ----------------------------------------------- */

static const char *const result_files[] = {"rekeys.csv",   "summary.csv",  "summary.json",
                                           "elements.csv", "scenario.ini", "provenance.json"};
/* What scripts/plot writes into <dir>/plots/. */
static const char *const plot_files[] = {
    "rekey_msgs.pdf",  "rekey_msgs.png",   "rekey_msgs.txt",   "latency_cdf.pdf", "latency_cdf.png",
    "latency_cdf.txt", "element_load.pdf", "element_load.png", "element_load.txt"};
#define PLOTS_DIR "plots"

/* core.pcap, iu.pcap, radio-rnc<r>.pcap ([trace] pcap, only then), r plain
 * decimal */
static bool is_trace(const char *name) {
  if (strcmp(name, "core.pcap") == 0 || strcmp(name, "iu.pcap") == 0)
    return true;
  const char *p = name + strlen("radio-rnc");
  if (strncmp(name, "radio-rnc", strlen("radio-rnc")) != 0 || !g_ascii_isdigit(*p) ||
      (*p == '0' && g_ascii_isdigit(p[1])))
    return false;
  while (g_ascii_isdigit(*p))
    p++;
  return strcmp(p, ".pcap") == 0;
}

static bool in_list(const char *name, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(name, list[i]) == 0)
      return true;
  return list == result_files && is_trace(name);
}

static gboolean io_error(GError **error, const char *path, int errsv) {
  g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s: %s", path, g_strerror(errsv));
  return FALSE;
}

/* Fault injection for the tests only (tests/test_report.c): with
 * MBMS_TEST_REPORT_KILL=<point> the process kills itself (SIGKILL, as a
 * crash or kill -9 would) at that point of report_write: "write" half-way
 * through summary.csv, "exchange" just after the new folder was swapped in
 * and before the old one is removed, "remove" after the first file of the
 * old folder was removed. */
static void fault_point(const char *point) {
  const char *want = g_getenv("MBMS_TEST_REPORT_KILL");
  if (want && strcmp(want, point) == 0)
    kill(getpid(), SIGKILL);
}

static gboolean write_file(const char *dir, const char *name, const char *text, size_t len,
                           GError **error) {
  char *path = g_build_filename(dir, name, NULL);
  gboolean ok = TRUE;
  FILE *f = fopen(path, "wb");
  if (!f) {
    ok = io_error(error, path, errno);
  } else if (strcmp(name, "summary.csv") == 0 && g_getenv("MBMS_TEST_REPORT_KILL")) {
    fwrite(text, 1, len / 2, f);
    fflush(f);
    fault_point("write");
    fwrite(text + len / 2, 1, len - len / 2, f);
    if (fclose(f) != 0)
      ok = io_error(error, path, errno);
  } else {
    if (len > 0 && fwrite(text, 1, len, f) != len) {
      int errsv = errno ? errno : EIO;
      ok = io_error(error, path, errsv);
    }
    if (fclose(f) != 0 && ok)
      ok = io_error(error, path, errno);
  }
  g_free(path);
  return ok;
}

static gboolean write_gstring(const char *dir, const char *name, GString *text, GError **error) {
  gboolean ok = write_file(dir, name, text->str, text->len, error);
  g_string_free(text, TRUE);
  return ok;
}

/* rekeys.csv, written as it is formatted, in blocks of REKEYS_BLOCK bytes:
 * one row per workload event (per move in a mobile run) never sits whole
 * in memory. Like every file of the results it goes into the temporary
 * folder, which becomes the results only once every file is complete. */
#define REKEYS_BLOCK 65536u
static gboolean write_rekeys(const char *dir, const Metrics *m, bool reliability, bool mobility,
                             GError **error) {
  g_autofree char *path = g_build_filename(dir, "rekeys.csv", NULL);
  FILE *f = fopen(path, "wb");
  if (!f)
    return io_error(error, path, errno);
  GString *s = g_string_sized_new(REKEYS_BLOCK + 1024u);
  rekeys_header(s, reliability, mobility);
  gboolean ok = TRUE;
  uint32_t n = metrics_n_events(m);
  for (uint32_t i = 0; ok && i <= n; i++) {
    if (i < n)
      rekeys_row(s, metrics_event_read(m, i), reliability, mobility);
    if ((s->len >= REKEYS_BLOCK || i == n) && s->len > 0) {
      if (fwrite(s->str, 1, s->len, f) != s->len)
        ok = io_error(error, path, errno ? errno : EIO);
      g_string_truncate(s, 0);
    }
  }
  g_string_free(s, TRUE);
  if (fclose(f) != 0 && ok)
    ok = io_error(error, path, errno);
  return ok;
}

/* Removes a folder made by this module: its regular files (and those of
 * plots/), then itself. Best effort; returns false if something remained. */
static bool remove_ours(const char *dir) {
  bool ok = true;
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *path = g_build_filename(dir, name, NULL);
      if (strcmp(name, PLOTS_DIR) == 0 && g_file_test(path, G_FILE_TEST_IS_DIR) &&
          !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
        ok = remove_ours(path) && ok;
      else if (unlink(path) != 0)
        ok = false;
      else
        fault_point("remove");
      g_free(path);
    }
    g_dir_close(d);
  }
  if (rmdir(dir) != 0)
    ok = false;
  return ok;
}

/* Checks that every entry of `dir` is one of `list` (regular files), or,
 * when `plots` is set, a plots/ folder of plot files. Sets *bad to the first
 * offending path. */
static gboolean only_ours(const char *dir, const char *const *list, size_t n, bool plots,
                          char **bad, GError **error) {
  GError *e = NULL;
  GDir *d = g_dir_open(dir, 0, &e);
  if (!d) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s: %s", dir, e->message);
    g_error_free(e);
    return FALSE;
  }
  const char *name;
  while (!*bad && (name = g_dir_read_name(d))) {
    char *path = g_build_filename(dir, name, NULL);
    struct stat st;
    if (lstat(path, &st) != 0) {
      int errsv = errno;
      g_dir_close(d);
      io_error(error, path, errsv);
      g_free(path);
      return FALSE;
    }
    bool ok;
    if (plots && strcmp(name, PLOTS_DIR) == 0 && S_ISDIR(st.st_mode)) {
      if (!only_ours(path, plot_files, G_N_ELEMENTS(plot_files), false, bad, error)) {
        g_dir_close(d);
        g_free(path);
        return FALSE;
      }
      ok = true;
    } else {
      ok = S_ISREG(st.st_mode) && in_list(name, list, n);
    }
    if (!ok && !*bad)
      *bad = g_strdup(path);
    g_free(path);
  }
  g_dir_close(d);
  return TRUE;
}

/* Every result file is there (a folder that was complete results). */
static bool complete(const char *dir) {
  for (size_t i = 0; i < G_N_ELEMENTS(result_files); i++) {
    g_autofree char *p = g_build_filename(dir, result_files[i], NULL);
    if (!g_file_test(p, G_FILE_TEST_IS_REGULAR))
      return false;
  }
  return true;
}

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* renameat2(RENAME_EXCHANGE): both names stay, their folders swapped in one
 * step. Through syscall() where glibc (before 2.28) has no wrapper. */
static int exchange(const char *a, const char *b) {
#ifdef SYS_renameat2
  return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
  (void)a;
  (void)b;
  errno = ENOSYS;
  return -1;
#endif
}

/* Moves the finished `tmp` to `dir`, replacing an existing results folder
 * only if it holds nothing foreign. `dir` always names a complete results
 * folder, even if the process is killed at any point: a new `dir` appears
 * by one rename; an existing one is exchanged with `tmp` in one step
 * (RENAME_EXCHANGE), after which `tmp` holds the old results and is
 * removed. A kill before the removal is done leaves "<dir>.tmp-*", which
 * the next run removes (clean_leftovers). Where the file system cannot
 * exchange (EINVAL, ENOSYS), the old two renames through "<dir>.old-*" are
 * used, and the next run puts a "<dir>.old-*" back if `dir` is missing. */
static gboolean swap_into_place(const char *tmp, const char *dir, GError **error) {
  struct stat st;
  if (lstat(dir, &st) != 0) {
    if (errno != ENOENT)
      return io_error(error, dir, errno);
    if (rename(tmp, dir) != 0)
      return io_error(error, dir, errno);
    return TRUE;
  }
  if (!S_ISDIR(st.st_mode)) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO,
                "%s: exists and is not a results folder; not replacing it", dir);
    return FALSE;
  }
  char *bad = NULL;
  if (!only_ours(dir, result_files, G_N_ELEMENTS(result_files), true, &bad, error))
    return FALSE;
  if (bad) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO,
                "results folder %s exists and holds files not written by mbms-sim (%s); "
                "not replacing it",
                dir, bad);
    g_free(bad);
    return FALSE;
  }
  if (exchange(tmp, dir) == 0) {
    fault_point("exchange");
    if (!remove_ours(tmp))
      g_warning("%s: previous results could not all be removed", tmp);
    return TRUE;
  }
  if (errno != EINVAL && errno != ENOSYS)
    return io_error(error, dir, errno);
  char *old = g_strconcat(dir, ".old-XXXXXX", NULL);
  if (!g_mkdtemp_full(old, 0755)) {
    io_error(error, old, errno);
    g_free(old);
    return FALSE;
  }
  /* rename onto an empty folder replaces it */
  if (rename(dir, old) != 0) {
    io_error(error, dir, errno);
    rmdir(old);
    g_free(old);
    return FALSE;
  }
  if (rename(tmp, dir) != 0) {
    io_error(error, dir, errno);
    if (rename(old, dir) != 0)
      g_warning("%s: could not move the previous results back from %s", dir, old);
    g_free(old);
    return FALSE;
  }
  if (!remove_ours(old))
    g_warning("%s: previous results could not all be removed", old);
  g_free(old);
  return TRUE;
}

/* True if `name` is "<base>.tmp-XXXXXX" or "<base>.old-XXXXXX" (the names
 * g_mkdtemp gives); *old tells which. */
static bool leftover_name(const char *name, const char *base, bool *old) {
  size_t n = strlen(base);
  if (strncmp(name, base, n) != 0)
    return false;
  const char *rest = name + n;
  if (strncmp(rest, ".tmp-", 5) != 0 && strncmp(rest, ".old-", 5) != 0)
    return false;
  *old = rest[1] == 'o';
  if (strlen(rest + 5) != 6)
    return false;
  for (const char *p = rest + 5; *p; p++)
    if (!g_ascii_isalnum(*p))
      return false;
  return true;
}

/* Leftovers of runs killed while writing `dir`: "<dir>.tmp-*" (a folder
 * being written, or old results being removed) and "<dir>.old-*" (old
 * results moved aside by the fallback path). One is ours only if it holds
 * nothing but our files and no live run holds its lock (a run keeps an
 * flock on its temporary folder until it is done). If `dir` is missing, a
 * "<dir>.old-*" holding every result file is put back as `dir` (those were
 * the complete results `dir` named); every other leftover of ours is
 * removed. Each step is said on stderr; problems only warn. */
static void clean_leftovers(const char *dir) {
  g_autofree char *parent = g_path_get_dirname(dir);
  g_autofree char *base = g_path_get_basename(dir);
  GDir *d = g_dir_open(parent, 0, NULL);
  if (!d)
    return;
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  bool old;
  while ((name = g_dir_read_name(d)))
    if (leftover_name(name, base, &old))
      g_ptr_array_add(names, g_strdup(name));
  g_dir_close(d);
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0); /* a fixed order */
  for (guint i = 0; i < names->len; i++) {
    const char *n = g_ptr_array_index(names, i);
    leftover_name(n, base, &old);
    g_autofree char *path = g_build_filename(parent, n, NULL);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      continue;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) { /* a live run's */
      close(fd);
      continue;
    }
    char *bad = NULL;
    GError *e = NULL;
    bool ours = only_ours(path, result_files, G_N_ELEMENTS(result_files), true, &bad, &e);
    g_clear_error(&e);
    if (!ours || bad) {
      fprintf(stderr, "mbms-sim: %s: left as it is (holds files not written by mbms-sim)\n", path);
      g_free(bad);
    } else if (old && lstat(dir, &st) != 0 && errno == ENOENT && complete(path) &&
               rename(path, dir) == 0) {
      fprintf(stderr,
              "mbms-sim: %s: recovered the previous results from %s (a run was killed while "
              "replacing them)\n",
              dir, path);
    } else if (remove_ours(path)) {
      fprintf(stderr, "mbms-sim: %s: removed, left by a run that was killed while writing %s\n",
              path, dir);
    } else {
      fprintf(stderr, "mbms-sim: %s: left by a killed run; could not remove it all\n", path);
    }
    close(fd);
  }
  g_ptr_array_unref(names);
}

/* Moves every trace file ([trace] pcap) of `from` into `to`. */
static gboolean move_traces(const char *from, const char *to, GError **error) {
  GError *e = NULL;
  GDir *d = g_dir_open(from, 0, &e);
  if (!d) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s: %s", from, e->message);
    g_error_free(e);
    return FALSE;
  }
  gboolean ok = TRUE;
  const char *name;
  while (ok && (name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".pcap"))
      continue;
    char *src = g_build_filename(from, name, NULL), *dst = g_build_filename(to, name, NULL);
    if (rename(src, dst) != 0)
      ok = io_error(error, src, errno);
    g_free(src);
    g_free(dst);
  }
  g_dir_close(d);
  return ok;
}

gboolean report_write(const char *dir_arg, const Scenario *scn, const Metrics *m, const Summary *s,
                      GError **error) {
  return report_write_full(dir_arg, scn, m, s, NULL, error);
}

gboolean report_write_full(const char *dir_arg, const Scenario *scn, const Metrics *m,
                           const Summary *s, const ReportExtras *extras, GError **error) {
  g_return_val_if_fail(dir_arg && scn && m && s, FALSE);
  /* "results/x/" must give "results/x.tmp-…", not "results/x/.tmp-…" */
  char *dir = g_strdup(dir_arg);
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/')
    dir[--len] = '\0';
  if (len == 0) {
    g_free(dir);
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "results folder name is empty");
    return FALSE;
  }

  gboolean ok = FALSE;
  char *tmp = NULL;
  int lock_fd = -1;
  char *parent = g_path_get_dirname(dir);
  if (g_mkdir_with_parents(parent, 0755) != 0) {
    io_error(error, parent, errno);
    goto out;
  }
  clean_leftovers(dir);
  tmp = g_strconcat(dir, ".tmp-XXXXXX", NULL);
  if (!g_mkdtemp_full(tmp, 0755)) {
    io_error(error, tmp, errno);
    g_clear_pointer(&tmp, g_free);
    goto out;
  }
  /* held until this run is done, so another run's clean_leftovers leaves
   * this folder alone (the lock dies with the process) */
  lock_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd >= 0)
    flock(lock_fd, LOCK_EX);

  char *ini = scn_to_ini(scn);
  if (!ini) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s: the effective configuration is missing", dir);
    goto fail;
  }
  ok = write_file(tmp, "scenario.ini", ini, strlen(ini), error);
  g_free(ini);
  if (!ok)
    goto fail;

  GString *prov = g_string_new(NULL);
  ok = prov_append_json(prov, scn, "    ", error);
  GArray *fields = summary_fields(scn, s);
  ok = ok &&
       write_rekeys(tmp, m, scn->reliability_report, scn->mobility, error) &&
       write_gstring(tmp, "summary.csv", summary_csv(fields), error) &&
       write_gstring(tmp, "summary.json", summary_json(fields, prov->str), error) &&
       write_gstring(tmp, "elements.csv", elements_csv(m), error);
  g_array_unref(fields);
  if (ok) { /* the same members, then what differs from run to run */
    GString *pj = g_string_new("{\n");
    ok = prov_append_json(pj, scn, "  ", error);
    prov_append_host_json(pj, extras ? extras->wall_s : -1.0, "  ");
    g_string_append(pj, "\n}\n");
    ok = write_gstring(tmp, "provenance.json", pj, error) && ok;
  }
  g_string_free(prov, TRUE);
  if (ok && extras && extras->trace_dir)
    ok = move_traces(extras->trace_dir, tmp, error);
  if (!ok)
    goto fail;

  ok = swap_into_place(tmp, dir, error);
  if (ok)
    goto out;
fail:
  ok = FALSE;
  remove_ours(tmp);
out:
  if (lock_fd >= 0)
    close(lock_fd);
  g_free(tmp);
  g_free(parent);
  g_free(dir);
  return ok;
}

/* ---- stdout table ----------------------------------------------------- */

void report_print(FILE *out, const Scenario *scn, const Summary *s) {
  char mean[REPORT_NUM_BUF], p95[REPORT_NUM_BUF], max[REPORT_NUM_BUF];
  char kpu[REPORT_NUM_BUF], end[REPORT_NUM_BUF];
  g_ascii_formatd(mean, sizeof mean, "%.3f", s->latency_mean * 1e3);
  g_ascii_formatd(p95, sizeof p95, "%.3f", s->latency_p95 * 1e3);
  g_ascii_formatd(max, sizeof max, "%.3f", s->latency_max * 1e3);
  g_ascii_formatd(kpu, sizeof kpu, "%.2f", s->keys_per_ue);
  g_ascii_formatd(end, sizeof end, "%.3f", s->sim_end_s);

  fprintf(out, "%-16s %s (seed %" G_GUINT64_FORMAT ", %s s simulated)\n", "scenario",
          scn->name ? scn->name : "", scn->seed, end);
  fprintf(out, "%-16s %s\n", "scheme", scn->scheme ? scn->scheme : "");
  fprintf(out, "%-16s %d\n", "embodiment", scn->embodiment);
  fprintf(out, "%-16s %s\n", "join-rekey", scn->join_rekey ? "on" : "off");
  fprintf(out, "%-16s %u / %u\n", "joins / leaves", s->joins, s->leaves);
  if (scn->mobility)
    fprintf(out, "%-16s %u (%u between RNCs)\n", "moves", s->moves, s->inter_rnc_moves);
  fprintf(out,
          "%-16s p2p %" G_GUINT64_FORMAT ", p2m %" G_GUINT64_FORMAT " (tx %" G_GUINT64_FORMAT
          "), core %" G_GUINT64_FORMAT "\n",
          "rekey messages", s->p2p_msgs, s->p2m_msgs, s->p2m_tx, s->core_msgs);
  fprintf(out, "%-16s %" G_GUINT64_FORMAT "\n", "signalling", s->signalling_msgs);
  fprintf(out, "%-16s %" G_GUINT64_FORMAT "\n", "rekey bytes", s->bytes);
  fprintf(out, "%-16s %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT "\n", "wraps / unwraps", s->wraps,
          s->unwraps);
  fprintf(out, "%-16s mean %s, p95 %s, max %s\n", "latency (ms)", mean, p95, max);
  fprintf(out, "%-16s forward %" G_GUINT64_FORMAT ", backward %" G_GUINT64_FORMAT "\n", "exposures",
          s->fwd_violations, s->bwd_exposures);
  if (scn->data_rate > 0)
    fprintf(out,
            "%-16s sent %" G_GUINT64_FORMAT ", undecryptable by members %" G_GUINT64_FORMAT
            ", leaked %" G_GUINT64_FORMAT "\n",
            "data packets", s->data_sent, s->data_undecryptable_by_members, s->data_leaked);
  if (scn->reliability_report)
    fprintf(out,
            "%-16s %" G_GUINT64_FORMAT " receptions lost, %" G_GUINT64_FORMAT
            " retransmitted, %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT
            " answers, %" G_GUINT64_FORMAT " refused; %u members without the current key\n",
            "loss/recovery", s->loss.common_losses, s->loss.retransmissions, s->loss.key_requests,
            s->loss.recovery_replies, s->loss.refused_requests,
            s->loss.members_without_current_key);
  if (scn->nas_report)
    fprintf(out,
            "%-16s %" G_GUINT64_FORMAT " context requests sent again, %" G_GUINT64_FORMAT
            " procedures aborted%s\n",
            "NAS", s->loss.nas_retransmissions, s->loss.nas_aborted,
            s->loss.nas_aborted ? " (WARNING: UE and network may disagree on membership)" : "");
  if (scn->rounds_report)
    fprintf(out, "%-16s %" G_GUINT64_FORMAT " transmissions, %" G_GUINT64_FORMAT " bytes\n",
            "multicast rounds", s->loss.round_tx, s->loss.round_bytes);
  fprintf(out, "%-16s %u (%s keys per UE)\n", "final members", s->final_members, kpu);
  if (s->rejected_msgs || s->link_drops || s->unwrap_failures || s->incomplete_rekeys)
    fprintf(out,
            "WARNING: %" G_GUINT64_FORMAT " rejected messages, %" G_GUINT64_FORMAT
            " link drops, %" G_GUINT64_FORMAT " unwrap failures, %u incomplete rekeys\n",
            s->rejected_msgs, s->link_drops, s->unwrap_failures, s->incomplete_rekeys);
}

/* ---- single files (sweeps) -------------------------------------------- */

gboolean report_write_file_atomic(const char *path, const char *text, size_t len, GError **error) {
  g_return_val_if_fail(path && text, FALSE);
  char *dir = g_path_get_dirname(path);
  char *base = g_path_get_basename(path);
  gboolean ok = FALSE;
  char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    io_error(error, dir, errno);
    goto out;
  }
  int fd = g_mkstemp_full(tmp, O_WRONLY, 0644);
  if (fd < 0) {
    io_error(error, tmp, errno);
    goto out;
  }
  close(fd);
  /* write_file takes a folder and a name: the temporary's own folder */
  char *tmp_base = g_path_get_basename(tmp);
  ok = write_file(dir, tmp_base, text, len, error);
  g_free(tmp_base);
  if (ok && rename(tmp, path) != 0)
    ok = io_error(error, path, errno);
  if (!ok)
    unlink(tmp);
out:
  g_free(tmp);
  g_free(base);
  g_free(dir);
  return ok;
}
