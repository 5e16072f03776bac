/* scenario_keys.c — the table of scenario keys, their parsing and the few
 * checks a key's type and range cannot say (see scenario_keys.h). */
#include "app/scenario_keys.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "keytree/kt_data.h"
#include "nodes/msg.h"

/* ------------------------------------------------------------ bounds */

/* The bounds of real keys keep ns-3's arithmetic exact (see "Bounds" in
 * scenarios/README.md): ns-3's Time is an int64 count of nanoseconds (about
 * 9.2e9 s), and every time handed to it (an event at most `duration`, plus
 * delays, plus transmission times and the queues behind them) must stay far
 * inside that. */

/* Times: 1 ns (ns-3's resolution) to 10^9 s (31.7 years), a ninth of ns-3's
 * range; the rest is room for delays and queues. */
static const ScnBound time_bound = {1e-9, 1e9, false};
/* Delays (and switch-delay): at most 10^6 s each; a message crosses at most
 * a dozen of them, so delays add at most about 10^7 s to any event. */
static const ScnBound delay_bound = {1e-9, 1e6, false};
/* Radio rates: from 1 kbit/s, the largest message (MSG_MAX_BYTES = 2838,
 * or a 1466-byte data packet) takes at most 23 s, and the queue behind one
 * channel stays below 10^9 s for any run the other bounds allow (at most
 * 10^7 generated joins, 10^8 data packets and a 256 MiB events file give
 * well under 10^12 bytes on one channel: 8e12 bit / 1e3 bit/s = 8e9 s is the
 * far side, never reached in practice, and sim/ checks it all the same). Up
 * to 1 Tbit/s; a transmission under 1 ns rounds to 0. */
static const ScnBound radio_rate_bound = {1e3, 1e12, false};
/* Link rates: the same range, whole bit/s (ns-3's DataRate is an integer;
 * 1.5 would silently become 2). */
static const ScnBound link_rate_bound = {1e3, 1e12, true};
/* Other rates and times only enter double arithmetic, never ns-3. */
static const ScnBound join_rate_bound = {1e-9, 1e9, false};
static const ScnBound membership_bound = {1e-9, 1e12, false};
/* Probabilities. */
static const ScnBound probability_bound = {0, 1, false};
/* mobility.handover-rate: per member, like join-rate. */
static const ScnBound handover_rate_bound = {1e-9, 1e9, false};
/* data.rate: from 1 bit/s a packet interval is at most 1400 * 8 s. */
static const ScnBound data_rate_bound = {1, 1e12, false};

#define SCN_MAX_RNC 65536u
#define SCN_MAX_NAME 128u
/* Bound on join-rate x duration, so that a typo cannot ask for billions of
 * generated joins (the same bound as initial-members). */
#define SCN_MAX_EXPECTED_JOINS 1e7
/* Bound on expected moves (handover-rate x duration x the most members a
 * run can have: initial ones plus every generated join). */
#define SCN_MAX_EXPECTED_MOVES 1e8
/* Bound on data packets per run (rate x duration / packet bits), so that a
 * typo cannot ask for billions of packets. */
#define SCN_MAX_DATA_PACKETS 1e8

/* ------------------------------------------------------------ checks */

static bool safe_name(const char *s) {
  if (!*s || strlen(s) > SCN_MAX_NAME || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return false;
  for (; *s; s++)
    if (!g_ascii_isalnum(*s) && !strchr("._-", *s))
      return false;
  return true;
}

/* run.name: a folder name; by default the file's name without .ini. */
static char *check_name(Scenario *s, const ScnCheckIn *in) {
  if (in->given) {
    if (safe_name(s->name))
      return NULL;
    g_autofree char *q = scn_quote(s->name);
    return g_strdup_printf("'%s' is not a safe folder name ([A-Za-z0-9._-]+, at most %u "
                           "characters, not '.' or '..')",
                           q, SCN_MAX_NAME);
  }
  char *base = g_path_get_basename(in->path);
  if (g_str_has_suffix(base, ".ini"))
    base[strlen(base) - 4] = '\0';
  s->name = base;
  if (safe_name(base))
    return NULL;
  g_autofree char *q = scn_quote(base);
  return g_strdup_printf("the default name '%s' (the file name) is not a safe folder name "
                         "([A-Za-z0-9._-]+); set run.name",
                         q);
}

/* run.scheme (docs/schemes.md): a tree's scheme, or batch over batch-tree. */
static char *check_scheme(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  static const KtScheme kinds[] = {KT_SCHEME_PATENT, KT_SCHEME_UNICAST, KT_SCHEME_BROADCAST,
                                   KT_SCHEME_LKH,    KT_SCHEME_OFT,     KT_SCHEME_SD,
                                   KT_SCHEME_3GPP};
  bool known = false;
  for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
    if (strcmp(s->scheme, kt_scheme_name(kinds[i])) == 0) {
      s->scheme_kind = kinds[i];
      known = true;
    }
  }
  s->batch = strcmp(s->scheme, "batch") == 0;
  if (known || s->batch)
    return NULL;
  g_autofree char *q = scn_quote(s->scheme);
  return g_strdup_printf(
      "unknown scheme '%s' (known: patent, unicast, broadcast, lkh, oft, sd, 3gpp, batch)", q);
}

/* run.sd-capacity: the leaves of a complete binary tree. */
static char *check_sd_capacity(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  if ((s->sd_capacity & (s->sd_capacity - 1)) != 0)
    return g_strdup_printf("%u is not a power of two", s->sd_capacity);
  return NULL;
}

/* run.batch-tree: the tree a batch rekeys. */
static char *check_batch_tree(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  if (strcmp(s->batch_tree, "patent") != 0 && strcmp(s->batch_tree, "lkh") != 0) {
    g_autofree char *q = scn_quote(s->batch_tree);
    return g_strdup_printf("'%s' is not patent or lkh", q);
  }
  if (s->batch)
    s->scheme_kind = strcmp(s->batch_tree, "lkh") == 0 ? KT_SCHEME_LKH : KT_SCHEME_PATENT;
  return NULL;
}

/* workload.events: resolved against the scenario's folder; empty = none. */
static char *check_events(Scenario *s, const ScnCheckIn *in) {
  char *events = s->events_path;
  s->events_path = NULL;
  if (!events || !*events) {
    g_free(events);
    return NULL;
  }
  g_autofree char *dir = g_path_get_dirname(in->path);
  if (g_path_is_absolute(events) || strcmp(dir, ".") == 0)
    s->events_path = g_strdup(events);
  else
    s->events_path = g_build_filename(dir, events, NULL);
  g_autofree char *q = scn_quote(events);
  g_autofree char *qp = scn_quote(s->events_path);
  g_free(events);
  if (!g_file_test(s->events_path, G_FILE_TEST_EXISTS))
    return g_strdup_printf("'%s' does not exist (looked for %s)", q, qp);
  if (!g_file_test(s->events_path, G_FILE_TEST_IS_REGULAR))
    return g_strdup_printf("'%s' is not a regular file (%s)", q, qp);
  if (g_access(s->events_path, R_OK) != 0) {
    int e = errno;
    return g_strdup_printf("'%s' cannot be read (%s: %s)", q, qp, g_strerror(e));
  }
  return NULL;
}

static char *rule_rnc_count(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  guint64 rncs = (guint64)s->ggsn * s->sgsn_per_ggsn * s->rnc_per_sgsn;
  /* 64 x 64 x 16 = 65536: only rnc-per-sgsn can tip it over. */
  if (rncs > SCN_MAX_RNC)
    return g_strdup_printf("%" G_GUINT64_FORMAT
                           " RNCs in all (ggsn x sgsn-per-ggsn x rnc-per-sgsn) exceed %u",
                           rncs, SCN_MAX_RNC);
  /* With at most 65536 RNCs of at most 1024 cells, the cells fit in 2^26. */
  g_assert(rncs * s->cells_per_rnc <= G_MAXUINT32);
  return NULL;
}

static char *rule_expected_joins(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  if (s->join_rate * s->duration > SCN_MAX_EXPECTED_JOINS)
    return g_strdup_printf("join-rate x duration = %g expected joins exceed %g",
                           s->join_rate * s->duration, SCN_MAX_EXPECTED_JOINS);
  return NULL;
}

/* Any [mobility] key given turns the run's mobility reporting on. */
static char *check_mobility_given(Scenario *s, const ScnCheckIn *in) {
  s->mobility |= in->given;
  return NULL;
}

static char *rule_expected_moves(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  double members = s->initial_members + s->join_rate * s->duration;
  double moves = s->handover_rate * s->duration * members;
  if (moves > SCN_MAX_EXPECTED_MOVES)
    return g_strdup_printf("handover-rate x duration x members = %g expected moves exceed %g",
                           moves, SCN_MAX_EXPECTED_MOVES);
  return NULL;
}

/* On the air a packet also carries its header, key ref, nonce and tag
 * (MSG_DATA_OVERHEAD_BYTES); more than the common channel can carry would
 * only grow its queue until the end of the run. */
static char *rule_data_on_air(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  double on_air =
      s->data_rate * (s->packet_size + (double)MSG_DATA_OVERHEAD_BYTES) / s->packet_size;
  if (on_air >= s->common.rate)
    return g_strdup_printf(
        "%g bit/s is %g bit/s on the air, not below links.common-rate (%g bit/s)", s->data_rate,
        on_air, s->common.rate);
  return NULL;
}

static char *rule_data_packets(Scenario *s, const ScnCheckIn *in) {
  (void)in;
  double packets = s->data_rate * s->duration / (8.0 * s->packet_size);
  if (packets > SCN_MAX_DATA_PACKETS)
    return g_strdup_printf("rate x duration = %g packets exceed %g", packets, SCN_MAX_DATA_PACKETS);
  return NULL;
}

/* Every key of [loss] and [reliability]: given, it turns the reporting of
 * loss and recovery on (Scenario.reliability_report). */
static char *note_reliability(Scenario *s, const ScnCheckIn *in) {
  if (in->given)
    s->reliability_report = true;
  return NULL;
}

/* A probability. */
static const ScnBound prob_bound = {1e-12, 1, false};
/* Rates of the radio condition's chain: at most 10^6 changes per second. */
static const ScnBound state_rate_bound = {1e-9, 1e6, false};

/* ------------------------------------------------------------ the table */

/* The field of a key, its type checked at compile time: _Generic has no
 * default, so a field of another type does not compile. */
/* (clang-format cannot lay out _Generic's associations) */
/* clang-format off */
#define FIELD(f, ...) \
  .offset = _Generic(((Scenario *)0)->f, __VA_ARGS__), .size = sizeof(((Scenario *)0)->f)
#define AT(f) offsetof(Scenario, f)
#define UINT(f, lo, hi) \
  .type = SCN_UINT, .min = (lo), .max = (hi), \
  FIELD(f, uint64_t: AT(f), uint32_t: AT(f), int: AT(f))
#define REAL(f, sign_, bound_) \
  .type = SCN_REAL, .sign = (sign_), .bound = (bound_), FIELD(f, double: AT(f))
#define BOOL(f) .type = SCN_BOOL, FIELD(f, bool: AT(f))
#define TEXT(f) .type = SCN_TEXT, FIELD(f, char *: AT(f))
#define CHOICE(f, ...) \
  .type = SCN_CHOICE, .choices = (const char *const[]){__VA_ARGS__, NULL}, \
  FIELD(f, bool: AT(f), KtSubgroupPolicy: AT(f), int: AT(f), KtMoveRekey: AT(f))
/* clang-format on */
/* in the summary's parameter block, at place `pos` */
#define SUMMARY(name, pos) .summary = (name), .summary_pos = (pos)
#define SUMMARY_REAL(name, pos, format) SUMMARY(name, pos), .summary_format = (format)

/* the choices' order is that of the enums they fill */
G_STATIC_ASSERT(KT_POLICY_PER_CELL == 0 && KT_POLICY_PER_RNC == 1);
G_STATIC_ASSERT(KT_MOVE_EAGER == 0 && KT_MOVE_LAZY == 1);

static const ScnKey keys[] = {
    /* name is the run's identity in the summary, not a parameter (report.c) */
    {"run", "name", TEXT(name), .check = check_name},
    {"run", "seed", UINT(seed, 0, G_MAXUINT64), .def = "1", SUMMARY("seed", 4)},
    {"run", "duration", REAL(duration, SCN_POSITIVE, &time_bound), .unit = "s", .def = "100",
     SUMMARY_REAL("duration_s", 5, "%.6f")},
    {"run", "scheme", TEXT(scheme), .def = "patent", .check = check_scheme, SUMMARY("scheme", 1)},
    {"run", "embodiment", UINT(embodiment, 1, 2), .def = "1", SUMMARY("embodiment", 2)},
    {"run", "join-rekey", BOOL(join_rekey), .def = "false", SUMMARY("join_rekey", 3)},
    {"run", "lkh-degree", UINT(lkh_degree, 2, 1024), .unit = "children", .def = "4",
     .after = "scheme"},
    {"run", "sd-capacity", UINT(sd_capacity, 2, 1u << 24), .unit = "leaves", .def = "1048576",
     .after = "scheme", .check = check_sd_capacity},
    {"run", "msk-on-leave", BOOL(msk_on_leave), .def = "true", .after = "scheme"},
    {"run", "msk-period", REAL(msk_period, SCN_NON_NEGATIVE, &time_bound), .unit = "s", .def = "0",
     .after = "scheme"},
    {"run", "mtk-period", REAL(mtk_period, SCN_NON_NEGATIVE, &time_bound), .unit = "s", .def = "0",
     .after = "scheme"},
    {"run", "batch-tree", TEXT(batch_tree), .def = "patent", .after = "scheme",
     .check = check_batch_tree},
    {"run", "batch-interval", REAL(batch_interval, SCN_POSITIVE, &time_bound), .unit = "s",
     .def = "1", .after = "scheme"},
    {"run", "crypto", CHOICE(crypto_per_ue, "shared", "per-ue"), .def = "shared"},

    {"topology", "ggsn", UINT(ggsn, 1, 64), .def = "1", SUMMARY("ggsn", 6)},
    {"topology", "sgsn-per-ggsn", UINT(sgsn_per_ggsn, 1, 64), .def = "2",
     SUMMARY("sgsn_per_ggsn", 7)},
    {"topology", "rnc-per-sgsn", UINT(rnc_per_sgsn, 1, 256), .def = "2",
     SUMMARY("rnc_per_sgsn", 8)},
    {"topology", "cells-per-rnc", UINT(cells_per_rnc, 1, 1024), .def = "4",
     SUMMARY("cells_per_rnc", 9)},
    {"topology", "subgroup-size", UINT(subgroup_size, 1, 1000000), .unit = "UEs", .def = "8",
     SUMMARY("subgroup_size", 10)},
    {"topology", "subgroup-policy", CHOICE(subgroup_policy, "per-cell", "per-rnc"),
     .def = "per-cell", SUMMARY("subgroup_policy", 11)},

    {"links", "core-rate", REAL(core.rate, SCN_POSITIVE, &link_rate_bound), .unit = "bit/s",
     .def = "1e9"},
    {"links", "core-delay", REAL(core.delay, SCN_NON_NEGATIVE, &delay_bound), .unit = "s",
     .def = "0.005"},
    {"links", "iu-rate", REAL(iu.rate, SCN_POSITIVE, &link_rate_bound), .unit = "bit/s",
     .def = "1.55e8"},
    {"links", "iu-delay", REAL(iu.delay, SCN_NON_NEGATIVE, &delay_bound), .unit = "s",
     .def = "0.002"},
    {"links", "dch-rate", REAL(dch.rate, SCN_POSITIVE, &radio_rate_bound), .unit = "bit/s",
     .def = "384000"},
    {"links", "dch-delay", REAL(dch.delay, SCN_NON_NEGATIVE, &delay_bound), .unit = "s",
     .def = "0.01"},
    {"links", "common-rate", REAL(common.rate, SCN_POSITIVE, &radio_rate_bound), .unit = "bit/s",
     .def = "128000"},
    {"links", "common-delay", REAL(common.delay, SCN_NON_NEGATIVE, &delay_bound), .unit = "s",
     .def = "0.02"},

    {"workload", "initial-members", UINT(initial_members, 0, 10000000), .unit = "UEs", .def = "0",
     SUMMARY("initial_members", 12)},
    {"workload", "join-rate", REAL(join_rate, SCN_NON_NEGATIVE, &join_rate_bound), .unit = "1/s",
     .def = "0", SUMMARY_REAL("join_rate", 13, "%.9g")},
    {"workload", "mean-membership", REAL(mean_membership, SCN_NON_NEGATIVE, &membership_bound),
     .unit = "s", .def = "0", SUMMARY_REAL("mean_membership", 14, "%.9g")},
    /* absent or empty: no events file */
    {"workload", "events", TEXT(events_path), .check = check_events},

    {"security", "eavesdrop", CHOICE(eavesdrop_all_cells, "own-cell", "all-cells"),
     .def = "own-cell", SUMMARY("eavesdrop", 15)},
    {"security", "collusion", BOOL(collusion), .def = "false", SUMMARY("collusion", 16)},
    {"security", "record-before-join", REAL(record_before_join, SCN_NON_NEGATIVE, &time_bound),
     .unit = "s", .def = "60", SUMMARY_REAL("record_before_join_s", 17, "%.9g")},

    {"data", "rate", REAL(data_rate, SCN_NON_NEGATIVE, &data_rate_bound), .unit = "bit/s",
     .def = "0", SUMMARY_REAL("data_rate", 18, "%.9g")},
    {"data", "packet-size", UINT(packet_size, 16, KT_DATA_MAX_PAYLOAD), .unit = "bytes",
     .def = "512", SUMMARY("packet_size", 19)},
    {"data", "switch-delay", REAL(switch_delay, SCN_NON_NEGATIVE, &delay_bound), .unit = "s",
     .def = "0", SUMMARY_REAL("switch_delay_s", 20, "%.9g")},

#define LOSS_MODEL(f) CHOICE(f, "none", "bernoulli", "gilbert-elliott")
#define REL .check = note_reliability
    {"loss", "common", LOSS_MODEL(common_loss.model), .def = "none", REL},
    {"loss", "common-loss", REAL(common_loss.loss, SCN_NON_NEGATIVE, &prob_bound), .unit = "",
     .def = "0", REL},
    {"loss", "common-loss-good", REAL(common_loss.loss_good, SCN_NON_NEGATIVE, &prob_bound),
     .unit = "", .def = "0", REL},
    {"loss", "common-loss-bad", REAL(common_loss.loss_bad, SCN_NON_NEGATIVE, &prob_bound),
     .unit = "", .def = "0", REL},
    {"loss", "dch", LOSS_MODEL(dch_loss.model), .def = "none", REL},
    {"loss", "dch-loss", REAL(dch_loss.loss, SCN_NON_NEGATIVE, &prob_bound), .unit = "", .def = "0",
     REL},
    {"loss", "dch-loss-good", REAL(dch_loss.loss_good, SCN_NON_NEGATIVE, &prob_bound), .unit = "",
     .def = "0", REL},
    {"loss", "dch-loss-bad", REAL(dch_loss.loss_bad, SCN_NON_NEGATIVE, &prob_bound), .unit = "",
     .def = "0", REL},
    {"loss", "dch-max-retx", UINT(dch_max_retx, 0, 64), .unit = "retransmissions", .def = "8", REL},
    {"loss", "good-to-bad", REAL(good_to_bad, SCN_NON_NEGATIVE, &state_rate_bound), .unit = "1/s",
     .def = "0", REL},
    {"loss", "bad-to-good", REAL(bad_to_good, SCN_NON_NEGATIVE, &state_rate_bound), .unit = "1/s",
     .def = "0", REL},
    {"loss", "bad-fraction", REAL(bad_fraction, SCN_NON_NEGATIVE, &prob_bound), .unit = "",
     .def = "0", REL},
    {"loss", "core-loss", REAL(core_loss, SCN_NON_NEGATIVE, &prob_bound), .unit = "", .def = "0",
     REL},
    {"loss", "iu-loss", REAL(iu_loss, SCN_NON_NEGATIVE, &prob_bound), .unit = "", .def = "0", REL},

    {"reliability", "recovery", BOOL(recovery), .def = "false", REL},
    {"reliability", "timeout", REAL(recovery_timeout, SCN_POSITIVE, &delay_bound), .unit = "s",
     .def = "0.2", REL},
    {"reliability", "retry", REAL(recovery_retry, SCN_POSITIVE, &delay_bound), .unit = "s",
     .def = "1", REL},
    {"reliability", "repeat", UINT(repeat, 1, 16), .unit = "transmissions", .def = "1", REL},
    {"reliability", "repeat-interval", REAL(repeat_interval, SCN_POSITIVE, &delay_bound),
     .unit = "s", .def = "0.02", REL},
#undef REL
#undef LOSS_MODEL

    {"mobility", "handover-rate", REAL(handover_rate, SCN_NON_NEGATIVE, &handover_rate_bound),
     .unit = "1/s", .def = "0", .check = check_mobility_given},
    {"mobility", "intra-rnc", REAL(intra_rnc, SCN_NON_NEGATIVE, &probability_bound),
     .unit = "probability", .def = "0.5", .check = check_mobility_given},
    {"mobility", "intra-sgsn", REAL(intra_sgsn, SCN_NON_NEGATIVE, &probability_bound),
     .unit = "probability", .def = "0.5", .check = check_mobility_given},
    {"mobility", "handover-rekey", CHOICE(handover_rekey, "eager", "lazy"), .def = "eager",
     .check = check_mobility_given},

    {"trace", "pcap", BOOL(trace_pcap), .def = "false"},
};

static const ScnRule rules[] = {
    {"topology", "rnc-per-sgsn", "subgroup-policy", rule_rnc_count},
    {"workload", "join-rate", "mean-membership", rule_expected_joins},
    {"data", "rate", "switch-delay", rule_data_on_air},
    {"data", "rate", "switch-delay", rule_data_packets},
    {"mobility", "handover-rate", "handover-rekey", rule_expected_moves},
};

const ScnKey *scn_keys(size_t *n) {
  *n = G_N_ELEMENTS(keys);
  return keys;
}

const ScnRule *scn_rules(size_t *n) {
  *n = G_N_ELEMENTS(rules);
  return rules;
}

const ScnKey *scn_key_find(const char *section, const char *key) {
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
    if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
      return &keys[i];
  return NULL;
}

const ScnKey *scn_summary_key(unsigned pos) {
  for (size_t i = 0; pos && i < G_N_ELEMENTS(keys); i++)
    if (keys[i].summary_pos == pos)
      return &keys[i];
  return NULL;
}

/* ------------------------------------------------------------ fields */

static void *field(const ScnKey *k, Scenario *s) {
  return (char *)s + k->offset;
}

static const void *cfield(const ScnKey *k, const Scenario *s) {
  return (const char *)s + k->offset;
}

guint64 scn_key_uint(const ScnKey *k, const Scenario *s) {
  g_assert(k->type == SCN_UINT);
  if (k->size == sizeof(guint64)) {
    guint64 x;
    memcpy(&x, cfield(k, s), sizeof x);
    return x;
  }
  g_assert(k->size == sizeof(uint32_t)); /* uint32_t, or an int holding 0 .. max */
  uint32_t x;
  memcpy(&x, cfield(k, s), sizeof x);
  return x;
}

static void set_uint(const ScnKey *k, Scenario *s, guint64 x) {
  if (k->size == sizeof(guint64)) {
    memcpy(field(k, s), &x, sizeof x);
    return;
  }
  g_assert(k->size == sizeof(uint32_t) && k->max <= G_MAXINT32);
  uint32_t y = (uint32_t)x;
  memcpy(field(k, s), &y, sizeof y);
}

double scn_key_real(const ScnKey *k, const Scenario *s) {
  g_assert(k->type == SCN_REAL);
  double x;
  memcpy(&x, cfield(k, s), sizeof x);
  return x;
}

bool scn_key_bool(const ScnKey *k, const Scenario *s) {
  g_assert(k->type == SCN_BOOL);
  bool x;
  memcpy(&x, cfield(k, s), sizeof x);
  return x;
}

static unsigned choice_index(const ScnKey *k, const Scenario *s) {
  if (k->size == sizeof(bool)) {
    bool x;
    memcpy(&x, cfield(k, s), sizeof x);
    return x;
  }
  g_assert(k->size == sizeof(int));
  int x;
  memcpy(&x, cfield(k, s), sizeof x);
  return (unsigned)x;
}

static void set_choice(const ScnKey *k, Scenario *s, unsigned i) {
  if (k->size == sizeof(bool)) {
    g_assert(i <= 1);
    bool x = i;
    memcpy(field(k, s), &x, sizeof x);
    return;
  }
  g_assert(k->size == sizeof(int));
  int x = (int)i;
  memcpy(field(k, s), &x, sizeof x);
}

const char *scn_key_text(const ScnKey *k, const Scenario *s) {
  if (k->type == SCN_CHOICE) {
    unsigned i = choice_index(k, s);
    g_assert(i < g_strv_length((char **)k->choices));
    return k->choices[i];
  }
  g_assert(k->type == SCN_TEXT);
  const char *x;
  memcpy(&x, cfield(k, s), sizeof x);
  return x ? x : "";
}

void scn_key_clear(const ScnKey *k, Scenario *s) {
  if (k->type != SCN_TEXT)
    return;
  char *x;
  memcpy(&x, field(k, s), sizeof x);
  g_free(x);
  x = NULL;
  memcpy(field(k, s), &x, sizeof x);
}

/* ------------------------------------------------------------ parsing */

static char *parse_uint(const ScnKey *k, const char *v, Scenario *s) {
  g_autofree char *q = scn_quote(v);
  bool digits = *v != '\0';
  for (const char *p = v; *p; p++)
    if (!g_ascii_isdigit(*p))
      digits = false;
  if (!digits)
    return g_strdup_printf("'%s' is not an unsigned integer", q);
  guint64 x;
  if (!g_ascii_string_to_unsigned(v, 10, k->min, k->max, &x, NULL))
    return g_strdup_printf("'%s' is out of range (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ")", q,
                           k->min, k->max);
  set_uint(k, s, x);
  return NULL;
}

static char *parse_real(const ScnKey *k, const char *v, Scenario *s) {
  const ScnBound *b = k->bound;
  g_autofree char *q = scn_quote(v);
  /* Plain decimal notation only: no hex, inf or nan. */
  bool plain = *v != '\0';
  for (const char *p = v; *p; p++)
    if (!g_ascii_isdigit(*p) && !strchr("+-.eE", *p))
      plain = false;
  char *end = NULL;
  double x = plain ? g_ascii_strtod(v, &end) : 0.0;
  if (!plain || end == v || *end != '\0')
    return g_strdup_printf("'%s' is not a number", q);
  if (!isfinite(x))
    return g_strdup_printf("'%s' is not a finite number", q);
  if (k->sign == SCN_POSITIVE && !(x > 0))
    return g_strdup_printf("'%s' must be > 0", q);
  if (k->sign == SCN_NON_NEGATIVE && !(x >= 0))
    return g_strdup_printf("'%s' must be >= 0", q);
  if (x != 0 && (x < b->min || x > b->max))
    return g_strdup_printf("'%s' is out of range (%s%g .. %g%s%s)", q,
                           k->sign == SCN_NON_NEGATIVE ? "0 or " : "", b->min, b->max,
                           k->unit && *k->unit ? " " : "",
                           k->unit ? k->unit : ""); /* a probability has no unit */
  if (b->whole && x != floor(x))
    return g_strdup_printf("'%s' is not a whole number of %s", q, k->unit);
  x = x == 0 ? 0.0 : x; /* no -0 */
  memcpy(field(k, s), &x, sizeof x);
  return NULL;
}

static char *parse_bool(const ScnKey *k, const char *v, Scenario *s) {
  if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
    bool x = v[0] == 't';
    memcpy(field(k, s), &x, sizeof x);
    return NULL;
  }
  g_autofree char *q = scn_quote(v);
  return g_strdup_printf("'%s' is not a boolean (true|false)", q);
}

static char *parse_choice(const ScnKey *k, const char *v, Scenario *s) {
  for (unsigned i = 0; k->choices[i]; i++) {
    if (strcmp(v, k->choices[i]) == 0) {
      set_choice(k, s, i);
      return NULL;
    }
  }
  /* "a or b", "a, b or c" */
  GString *known = g_string_new(NULL);
  for (unsigned i = 0; k->choices[i]; i++)
    g_string_append_printf(known, "%s%s",
                           i == 0              ? ""
                           : k->choices[i + 1] ? ", "
                                               : " or ",
                           k->choices[i]);
  g_autofree char *q = scn_quote(v);
  char *problem = g_strdup_printf("'%s' is not %s", q, known->str);
  g_string_free(known, TRUE);
  return problem;
}

char *scn_key_parse(const ScnKey *k, const char *text, Scenario *s) {
  switch (k->type) {
  case SCN_UINT:
    return parse_uint(k, text, s);
  case SCN_REAL:
    return parse_real(k, text, s);
  case SCN_BOOL:
    return parse_bool(k, text, s);
  case SCN_CHOICE:
    return parse_choice(k, text, s);
  case SCN_TEXT: {
    scn_key_clear(k, s);
    char *x = g_strdup(text);
    memcpy(field(k, s), &x, sizeof x);
    return NULL;
  }
  }
  g_assert_not_reached();
}
