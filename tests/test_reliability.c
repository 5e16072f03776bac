/* test_reliability.c — lossy channels and key recovery end to end
 * (docs/reliability.md): lossless runs unchanged by the new sections, a
 * hand-built loss whose request, answer and latency follow from the link
 * parameters, a departed UE refused, every scheme after a churn trace with
 * 10 % loss ending with every member on the current key (the recovery
 * answers counted against the losses the test observes), and determinism
 * (same seed, any --jobs). */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "app/report.h"
#include "app/run.h"
#include "app/scenario.h"
#include "sim/sim.h"

#include "test_runs.h"

static char *read_file(const char *dir, const char *name) {
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

/* The CSV `text` (header + rows) as a table: column name -> values. */
static GHashTable *csv_columns(const char *text) {
  GHashTable *cols =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_auto(GStrv) head = g_strsplit(lines[0], ",", -1);
  for (guint i = 0; head[i]; i++)
    g_hash_table_insert(cols, g_strdup(head[i]), g_ptr_array_new_with_free_func(g_free));
  for (guint k = 1; lines[k] && *lines[k]; k++) {
    g_auto(GStrv) v = g_strsplit(lines[k], ",", -1);
    g_assert_cmpuint(g_strv_length(v), ==, g_strv_length(head));
    for (guint i = 0; head[i]; i++)
      g_ptr_array_add(g_hash_table_lookup(cols, head[i]), g_strdup(v[i]));
  }
  return cols;
}

/* ------------------------------------------------- lossless: unchanged */

static const char *small_ini =
    "[run]\nname = small\nseed = 5\nduration = 30\n"
    "[topology]\nggsn = 1\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 2\ncells-per-rnc = 2\n"
    "subgroup-size = 4\n"
    "[workload]\ninitial-members = 40\njoin-rate = 1\nmean-membership = 20\n"
    "[data]\nrate = 8000\n";

/* Runs the CLI on `ini` with `sets` (NULL-terminated "--set" values) into
 * dir/name. */
static void run_cli_into(const TmpScenario *t, const char *name, const char *const *sets,
                         const char *jobs) {
  const char *sim = g_getenv("MBMS_SIM");
  g_autofree char *out_dir = g_build_filename(t->dir, name, NULL);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)sim);
  g_ptr_array_add(argv, "-o");
  g_ptr_array_add(argv, out_dir);
  if (jobs) {
    g_ptr_array_add(argv, "-j");
    g_ptr_array_add(argv, (char *)jobs);
  }
  for (const char *const *s = sets; s && *s; s++) {
    g_ptr_array_add(argv, "--set");
    g_ptr_array_add(argv, (char *)*s);
  }
  g_ptr_array_add(argv, t->ini);
  g_ptr_array_add(argv, NULL);
  char *out = NULL, *err = NULL;
  int rc = run_cli((const char *const *)argv->pdata, &out, &err);
  if (rc != 0)
    g_printerr("%s", err);
  g_assert_cmpint(rc, ==, 0);
  g_free(out);
  g_free(err);
  g_ptr_array_free(argv, TRUE);
}

/* Without [loss] or [reliability] the files are those of before: the old
 * headers exactly, no new section in scenario.ini. With loss 0 given (and
 * recovery off or on) every count of the old columns is the same (with
 * recovery, sim_events aside: see below) and every new one is 0;
 * elements.csv is byte for byte the same. */
static void test_lossless_unchanged(void) {
  if (!g_getenv("MBMS_SIM")) {
    g_test_skip("MBMS_SIM not set (run through meson test)");
    return;
  }
  TmpScenario t = tmp_scenario(small_ini, NULL);
  run_cli_into(&t, "plain", NULL, NULL);
  const char *zero[] = {"loss.common=bernoulli", "loss.common-loss=0", NULL};
  run_cli_into(&t, "zero", zero, NULL);
  const char *zero_rec[] = {"loss.common=bernoulli", "loss.common-loss=0",
                            "reliability.recovery=true", NULL};
  run_cli_into(&t, "zero-recovery", zero_rec, NULL);

  g_autofree char *plain_dir = g_build_filename(t.dir, "plain", NULL);
  g_autofree char *rekeys = read_file(plain_dir, "rekeys.csv");
  g_assert_true(g_str_has_prefix(rekeys, "time_s,event,ue,rnc,cell,subgroup,p2p_msgs,p2m_msgs,"
                                         "p2m_tx,core_msgs,bytes,latency_s\n"));
  g_autofree char *summary = read_file(plain_dir, "summary.csv");
  g_assert_true(strstr(summary, ",sim_end_s\n") != NULL); /* the last column, as before */
  g_assert_null(strstr(summary, "key_requests"));
  g_autofree char *ini = read_file(plain_dir, "scenario.ini");
  g_assert_null(strstr(ini, "[loss]"));
  g_assert_null(strstr(ini, "[reliability]"));
  g_autofree char *plain_el = read_file(plain_dir, "elements.csv");

  const char *variants[] = {"zero", "zero-recovery"};
  for (guint v = 0; v < G_N_ELEMENTS(variants); v++) {
    g_autofree char *dir = g_build_filename(t.dir, variants[v], NULL);
    g_autofree char *el = read_file(dir, "elements.csv");
    g_assert_cmpstr(el, ==, plain_el);
    g_autofree char *vini = read_file(dir, "scenario.ini");
    g_assert_nonnull(strstr(vini, "[loss]"));
    const char *files[] = {"summary.csv", "rekeys.csv"};
    for (guint f = 0; f < G_N_ELEMENTS(files); f++) {
      g_autofree char *a_text = read_file(plain_dir, files[f]);
      g_autofree char *b_text = read_file(dir, files[f]);
      GHashTable *a = csv_columns(a_text), *b = csv_columns(b_text);
      GHashTableIter it;
      gpointer key, value;
      g_hash_table_iter_init(&it, b);
      guint compared = 0, added = 0;
      while (g_hash_table_iter_next(&it, &key, &value)) {
        GPtrArray *bv = value, *av = g_hash_table_lookup(a, key);
        if (!av) { /* a new column: all zero */
          for (guint i = 0; i < bv->len; i++)
            g_assert_cmpfloat(g_ascii_strtod(g_ptr_array_index(bv, i), NULL), ==, 0);
          added++;
          continue;
        }
        g_assert_cmpuint(av->len, ==, bv->len);
        compared++;
        /* with recovery on, a wrap that waits for a key racing it on the
         * dedicated channel sets the UE's recovery timer (one event more),
         * which finds nothing missing: no request */
        if (v == 1 && strcmp(key, "sim_events") == 0)
          continue;
        for (guint i = 0; i < av->len; i++) {
          if (strcmp(g_ptr_array_index(av, i), g_ptr_array_index(bv, i)) != 0)
            g_error("%s: %s row %u: %s != %s", variants[v], (char *)key, i,
                    (char *)g_ptr_array_index(av, i), (char *)g_ptr_array_index(bv, i));
        }
      }
      g_assert_cmpuint(compared, ==, g_hash_table_size(a));
      g_assert_cmpuint(added, ==, f == 0 ? 11 : 4);
      g_hash_table_destroy(a);
      g_hash_table_destroy(b);
    }
  }
  tmp_free(&t);
}

/* ------------------------------------------- one loss, by hand */

/* One RNC with one cell, embodiment 2, patent: UEs 0 and 1 share a
 * sub-group. UE 0 leaves at 1 s: UE 1 gets the new sub-group key
 * point-to-point and the new group key point-to-multipoint (1 wrap), which
 * it loses (common-loss 1). Its radio knows a block was lost: its timer
 * fires `timeout` later, it asks, the RNC answers. At 3 s the departed UE 0
 * asks too: refused. */
static const char *one_ini = "[run]\nname = one\nseed = 1\nduration = 5\nembodiment = 2\n"
                             "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\n"
                             "cells-per-rnc = 1\nsubgroup-size = 4\n"
                             "[workload]\ninitial-members = 2\nevents = events.csv\n"
                             "[loss]\ncommon = bernoulli\ncommon-loss = 1\n"
                             "[reliability]\nrecovery = true\ntimeout = 0.2\n";
static const char *one_csv = "time,action,ue,cell\n1,leave,0,\n";

typedef struct {
  Net *net;
  guint losses;
  uint32_t lost_by;
  bool ue0_holds_current, ue1_holds_current;
} OneCheck;

static void ask_as_departed(void *ctx, uint64_t ue) {
  OneCheck *c = ctx;
  net_ue_request_keys(c->net, (uint32_t)ue);
}

static void one_at_start(void *ctx, Net *net) {
  OneCheck *c = ctx;
  c->net = net;
  sim_schedule(3.0, ask_as_departed, c, 0);
}

static void one_on_loss(void *ctx, double now, uint32_t ue, const Msg *msg) {
  (void)now;
  OneCheck *c = ctx;
  g_assert_nonnull(msg);
  c->losses++;
  c->lost_by = ue;
}

static void one_at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  (void)wl;
  OneCheck *c = ctx;
  const KtKey *current = kt_tree_group_key(tree, 0);
  c->ue0_holds_current = net_ue_holds_group_key(net, 0, current);
  c->ue1_holds_current = net_ue_holds_group_key(net, 1, current);
}

/* Seconds on the air of `bytes` at `rate`, rounded to ns as sim/ does. */
static double air(double bytes, double rate) {
  return round(bytes * 8.0 / rate * 1e9) / 1e9;
}

static void test_one_loss(void) {
  OneCheck c = {0};
  RunHooks hooks = {
      .at_start = one_at_start, .on_common_loss = one_on_loss, .at_end = one_at_end, .ctx = &c};
  RunResult r = run_text(one_ini, one_csv, NULL, &hooks);
  assert_clean(&r);
  g_assert_cmpuint(c.losses, ==, 1);
  g_assert_cmpuint(c.lost_by, ==, 1);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(l->common_losses, ==, 1);
  g_assert_cmpuint(l->key_requests, ==, 2); /* UE 1's, and the departed UE 0's */
  g_assert_cmpuint(l->recovery_replies, ==, 1);
  g_assert_cmpuint(l->refused_requests, ==, 1);
  g_assert_cmpuint(l->members_without_current_key, ==, 0);
  g_assert_true(c.ue1_holds_current);
  g_assert_false(c.ue0_holds_current); /* recovery opened nothing to it */
  /* sizes from msg.h: the p2m key assignment 12 + 6 + 88 = 106 bytes, the
   * request 12 + 9 = 21, the answer (sub-group and group key under UE 1's
   * private key) 12 + 6 + 2 x 88 = 194 */
  const EventRecord *e = metrics_event(r.metrics, 0);
  g_assert_cmpuint(e->recovery_replies, ==, 1);
  g_assert_cmpuint(e->recovery_bytes, ==, 194);
  g_assert_cmpuint(l->recovery_bytes, ==, 194);
  g_assert_cmpuint(e->p2p_msgs, ==, 1);
  g_assert_cmpuint(e->p2m_msgs, ==, 1);
  /* latency from the request at the RNC: the p2m on the common channel
   * (128 kbit/s, 20 ms), the timeout, the request up and the answer down
   * the dedicated channel (384 kbit/s, 10 ms each way), both idle */
  double want = air(106, 128000) + 0.02 + 0.2 + air(21, 384000) + 0.01 + air(194, 384000) + 0.01;
  g_assert_cmpfloat(fabs(metrics_event_latency(e) - want), <, 2e-9);
  run_result_clear(&r);
}

/* ------------------------------------------- every scheme after churn */

typedef struct {
  GArray *left;       /* double per UE: when its leave reached the RNC; < 0 a member */
  GArray *recoveries; /* SentRecovery */
  GHashTable *missed; /* (ue << 16 | window) of a member's lost reception */
  guint replies_to_departed, departed_opened, members_checked;
  uint32_t pending, member_pending;
} ChurnCheck;

typedef struct {
  double time;
  uint32_t ue;
  KtWrap wrap;
} SentRecovery;

static double *left_slot(ChurnCheck *c, uint32_t ue) {
  while (c->left->len <= ue) {
    double member = -1;
    g_array_append_val(c->left, member);
  }
  return &g_array_index(c->left, double, ue);
}

static void churn_on_send(void *ctx, double now, NetElement from, NetVia via, const Msg *msg,
                          uint32_t n_tx) {
  (void)via;
  (void)n_tx;
  ChurnCheck *c = ctx;
  if (msg->type == MSG_DEACTIVATE_REQ && from.kind == NET_RNC)
    *left_slot(c, msg->ue) = now;
  if (msg->type == MSG_ACTIVATE_REQ && from.kind == NET_RNC)
    *left_slot(c, msg->ue) = -1;
  if (msg->type == MSG_KEY_RECOVERY) {
    if (*left_slot(c, msg->ue) >= 0)
      c->replies_to_departed++;
    for (uint8_t i = 0; i < msg->n_wraps; i++) {
      SentRecovery s = {now, msg->ue, msg->wraps[i]};
      g_array_append_val(c->recoveries, s);
    }
  }
}

/* Events every 2 s at odd seconds: each one's losses (and its recovery,
 * 0.2 s later plus a round trip) fall within [2k + 1, 2k + 2), so a member
 * that lost a reception in window k asks once, whatever it lost. */
static void churn_on_loss(void *ctx, double now, uint32_t ue, const Msg *msg) {
  ChurnCheck *c = ctx;
  g_assert_nonnull(msg); /* no data plane here */
  guint window = (guint)floor(now / 2.0);
  g_hash_table_add(c->missed, GUINT_TO_POINTER(ue << 16 | window));
}

static void churn_at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  ChurnCheck *c = ctx;
  c->members_checked += assert_members_hold_group_key(net, tree, wl);
  for (uint32_t ue = 0; ue < c->left->len; ue++) {
    double left = g_array_index(c->left, double, ue);
    if (left < 0 || kt_tree_is_member(tree, ue))
      continue;
    for (guint i = 0; i < c->recoveries->len; i++) {
      const SentRecovery *s = &g_array_index(c->recoveries, SentRecovery, i);
      if (s->time >= left)
        c->departed_opened += net_ue_can_open(net, ue, &s->wrap);
    }
  }
  c->pending = net_pending_wraps(net);
  c->member_pending = net_member_pending_wraps(net);
}

static ChurnCheck churn_check_new(void) {
  return (ChurnCheck){.left = g_array_new(FALSE, FALSE, sizeof(double)),
                      .recoveries = g_array_new(FALSE, FALSE, sizeof(SentRecovery)),
                      .missed = g_hash_table_new(g_direct_hash, g_direct_equal)};
}

static void churn_check_clear(ChurnCheck *c) {
  g_array_free(c->left, TRUE);
  g_array_free(c->recoveries, TRUE);
  g_hash_table_destroy(c->missed);
}

/* Recovery did its job: every member checked holds its scope's current
 * key, nothing waits at a member, no request was given up, no rekey is
 * incomplete, and no departed UE got or opened an answer. */
static void assert_all_recovered(const RunResult *r, const ChurnCheck *c) {
  g_assert_cmpuint(c->members_checked, ==, r->summary.final_members);
  g_assert_cmpuint(r->summary.loss.members_without_current_key, ==, 0);
  g_assert_cmpuint(r->summary.loss.recovery_abandoned, ==, 0);
  g_assert_cmpuint(c->member_pending, ==, 0);
  g_assert_cmpuint(r->summary.incomplete_rekeys, ==, 0);
  g_assert_cmpuint(c->replies_to_departed, ==, 0);
  g_assert_cmpuint(c->departed_opened, ==, 0);
}

/* A churn trace: 24 initial members on 8 cells, then at 1, 3, 5 … s a
 * leave of a random member or a join of a new UE in a random cell. */
static char *churn_csv(guint32 seed) {
  GRand *r = g_rand_new_with_seed(seed);
  GString *s = g_string_new("time,action,ue,cell\n");
  GArray *members = g_array_new(FALSE, FALSE, sizeof(uint32_t));
  for (uint32_t ue = 0; ue < 24; ue++)
    g_array_append_val(members, ue);
  uint32_t next = 24;
  for (guint k = 0; k < 24; k++) {
    if (g_rand_boolean(r) && members->len > 1) {
      guint i = (guint)g_rand_int_range(r, 0, (gint32)members->len);
      g_string_append_printf(s, "%u,leave,%u,\n", 2 * k + 1, g_array_index(members, uint32_t, i));
      g_array_remove_index(members, i);
    } else {
      g_string_append_printf(s, "%u,join,%u,%d\n", 2 * k + 1, next, g_rand_int_range(r, 0, 8));
      g_array_append_val(members, next);
      next++;
    }
  }
  g_array_free(members, TRUE);
  g_rand_free(r);
  return g_string_free(s, FALSE);
}

/* Extra keys of a churn run; `exact`: the answers are one per member and
 * window with a lost reception (no repetition, lossless dedicated
 * channels). */
typedef struct {
  const char *extra;
  bool exact;
} ChurnVariant;

static SummaryLoss run_lossy_churn_with(const char *scheme, int embodiment, ChurnVariant v,
                                        uint64_t *p2m_tx);

static void run_lossy_churn(const char *scheme, int embodiment) {
  run_lossy_churn_with(scheme, embodiment,
                       (ChurnVariant){"[loss]\ncommon = bernoulli\ncommon-loss = 0.1\n", true},
                       NULL);
}

static SummaryLoss run_lossy_churn_with(const char *scheme, int embodiment, ChurnVariant v,
                                        uint64_t *p2m_tx) {
  const char *tree = strchr(scheme, ':'); /* "batch:lkh" */
  g_autofree char *name = tree ? g_strndup(scheme, (gsize)(tree - scheme)) : g_strdup(scheme);
  g_autofree char *ini = g_strdup_printf(
      "[run]\nname = churn\nseed = %d\nduration = 60\nscheme = %s\nbatch-tree = %s\n"
      "batch-interval = 0.5\nembodiment = %d\nlkh-degree = 2\n"
      "[topology]\nggsn = 1\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 2\ncells-per-rnc = 2\n"
      "subgroup-size = 3\n"
      "[workload]\ninitial-members = 24\nevents = events.csv\n"
      "%s"
      "[reliability]\nrecovery = true\n",
      3 + embodiment, name, tree ? tree + 1 : "patent", embodiment, v.extra);
  g_autofree char *csv = churn_csv(17);
  ChurnCheck c = churn_check_new();
  RunHooks hooks = {
      .on_send = churn_on_send, .on_common_loss = churn_on_loss, .at_end = churn_at_end, .ctx = &c};
  RunResult r = run_text(ini, csv, NULL, &hooks);
  assert_clean(&r);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(c.pending, ==, 0);
  g_assert_cmpuint(c.members_checked, ==, r.summary.final_members);
  g_assert_cmpuint(l->members_without_current_key, ==, 0);
  g_assert_cmpuint(c.replies_to_departed, ==, 0);
  g_assert_cmpuint(c.departed_opened, ==, 0);
  g_assert_cmpuint(l->refused_requests, ==, 0);
  g_assert_cmpuint(l->recovery_abandoned, ==, 0);
  /* one answer per member and window with a lost reception */
  if (v.exact)
    g_assert_cmpuint(l->recovery_replies, ==, g_hash_table_size(c.missed));
  /* every request is answered by unicast, unless it joined a round */
  if (strstr(v.extra, "multicast-rounds"))
    g_assert_cmpuint(l->key_requests, >=, l->recovery_replies);
  else
    g_assert_cmpuint(l->key_requests, ==, l->recovery_replies);
  if (strcmp(name, "unicast") != 0)
    g_assert_cmpuint(l->common_losses, >, 0); /* something was lost */
  SummaryLoss out = *l;
  if (p2m_tx)
    *p2m_tx = r.summary.p2m_tx;
  g_test_message("%s e%d: %" G_GUINT64_FORMAT " receptions lost, %" G_GUINT64_FORMAT
                 " recovery answers, %u members",
                 scheme, embodiment, l->common_losses, l->recovery_replies, c.members_checked);
  run_result_clear(&r);
  churn_check_clear(&c);
  return out;
}

/* ------------------------------------------- sd: stateless under loss */

/* sd (docs/schemes.md, "sd"; docs/reliability.md): every rekey carries the
 * whole group key to every member, so a member that missed earlier rekeys
 * opens the latest with its labels alone. 24 members on 2 RNCs (embodiment
 * 1), 10 leaves 0.3 s apart, 30 % of common receptions lost. The test
 * records every lost reception (member, event) and derives:
 *   - recovery off: the UEs holding the current group key at the end are
 *     exactly the members that did not lose the last rekey, whatever they
 *     lost before;
 *   - recovery on, the timeout (5 s) after the last rekey: key requests
 *     come only from the members that lost the last rekey, one each.
 * Both runs must contain members that lost an earlier rekey and not the
 * last one (else the test shows nothing). */
static const char *sd_loss_ini = "[run]\nname = sdloss\nseed = 5\nduration = 12\nscheme = sd\n"
                                 "embodiment = 1\n"
                                 "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\n"
                                 "cells-per-rnc = 2\n"
                                 "[workload]\ninitial-members = 24\nevents = events.csv\n"
                                 "[loss]\ncommon = bernoulli\ncommon-loss = 0.3\n";
#define SD_LEAVES 10u

typedef struct {
  uint32_t last_seq;     /* the last rekey's event (the highest p2m seq) */
  GHashTable *lost;      /* (ue << 16 | seq) of each lost reception */
  guint per_rnc_last[2]; /* the last rekey's p2m messages per RNC */
  guint holders, expect_holders, lost_last, lost_earlier_only;
} SdLoss;

static void sd_on_send(void *ctx, double now, NetElement from, NetVia via, const Msg *msg,
                       uint32_t n_tx) {
  (void)now;
  (void)n_tx;
  SdLoss *c = ctx;
  if (from.kind != NET_RNC || via != NET_VIA_COMMON || msg->type != MSG_KEY_ASSIGNMENT)
    return;
  if (msg->seq != c->last_seq && (c->last_seq == UINT32_MAX || msg->seq > c->last_seq)) {
    c->last_seq = msg->seq;
    c->per_rnc_last[0] = c->per_rnc_last[1] = 0;
  }
  if (msg->seq == c->last_seq)
    c->per_rnc_last[from.index]++;
}

static void sd_on_loss(void *ctx, double now, uint32_t ue, const Msg *msg) {
  (void)now;
  SdLoss *c = ctx;
  if (msg)
    g_hash_table_add(c->lost, GUINT_TO_POINTER(ue << 16 | msg->seq));
}

static void sd_at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  SdLoss *c = ctx;
  const KtKey *current = kt_tree_group_key(tree, 0);
  for (uint32_t ue = 0; ue < wl->ue_id_end; ue++) {
    c->holders += net_ue_holds_group_key(net, ue, current);
    if (!kt_tree_is_member(tree, ue))
      continue;
    bool last = g_hash_table_contains(c->lost, GUINT_TO_POINTER(ue << 16 | c->last_seq));
    bool earlier = false;
    for (uint32_t seq = 0; seq < c->last_seq; seq++)
      earlier |= g_hash_table_contains(c->lost, GUINT_TO_POINTER(ue << 16 | seq));
    c->lost_last += last;
    c->expect_holders += !last;
    c->lost_earlier_only += earlier && !last;
  }
}

static SdLoss run_sd_loss(bool recovery, RunResult *r) {
  GString *csv = g_string_new("time,action,ue,cell\n");
  for (guint k = 0; k < SD_LEAVES; k++) /* UEs 0, 2, 4, ...: on every cell */
    g_string_append_printf(csv, "%.1f,leave,%u,\n", 1.0 + 0.3 * k, 2 * k);
  g_autofree char *ini = g_strdup_printf(
      "%s%s", sd_loss_ini, recovery ? "[reliability]\nrecovery = true\ntimeout = 5\n" : "");
  SdLoss c = {.last_seq = UINT32_MAX, .lost = g_hash_table_new(g_direct_hash, g_direct_equal)};
  RunHooks hooks = {
      .on_send = sd_on_send, .on_common_loss = sd_on_loss, .at_end = sd_at_end, .ctx = &c};
  *r = run_text(ini, csv->str, NULL, &hooks);
  g_string_free(csv, TRUE);
  g_hash_table_destroy(c.lost);
  c.lost = NULL;
  g_assert_cmpuint(r->summary.rejected_msgs, ==, 0);
  g_assert_cmpuint(r->summary.unwrap_failures, ==, 0);
  g_assert_cmpuint(r->summary.link_drops, ==, 0);
  g_assert_cmpuint(r->summary.final_members, ==, 24 - SD_LEAVES);
  /* one message per RNC carries the last rekey (docs/schemes.md, "sd"), so
   * a member received it or lost it */
  g_assert_cmpuint(c.per_rnc_last[0], ==, 1);
  g_assert_cmpuint(c.per_rnc_last[1], ==, 1);
  g_assert_cmpuint(c.lost_earlier_only, >, 0);
  g_assert_cmpuint(c.lost_last, >, 0);
  g_test_message("sd, recovery %s: %u members lost the last rekey, %u only earlier ones",
                 recovery ? "on" : "off", c.lost_last, c.lost_earlier_only);
  return c;
}

static void test_sd_stateless_loss(void) {
  RunResult r;
  SdLoss off = run_sd_loss(false, &r);
  g_assert_cmpuint(r.summary.loss.key_requests, ==, 0);
  g_assert_cmpuint(off.holders, ==, off.expect_holders);
  /* a rekey is complete once its members hold its key or a newer one
   * (docs/flows.md, "Latency"): only the last can be left incomplete */
  g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 1);
  g_assert_cmpuint(r.summary.loss.members_without_current_key, ==, off.lost_last);
  run_result_clear(&r);
  SdLoss on = run_sd_loss(true, &r);
  g_assert_cmpuint(r.summary.loss.key_requests, ==, on.lost_last);
  g_assert_cmpuint(r.summary.loss.recovery_replies, ==, on.lost_last);
  g_assert_cmpuint(r.summary.loss.members_without_current_key, ==, 0);
  g_assert_cmpuint(on.holders, ==, 24 - SD_LEAVES);
  g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
  run_result_clear(&r);
}

/* The extreme: every common-channel reception lost. Every key a member
 * gets point-to-multipoint it gets by recovery instead, and still every
 * member ends on the current key. */
static void test_total_loss(void) {
  const char *schemes[] = {"patent", "lkh"};
  for (guint i = 0; i < G_N_ELEMENTS(schemes); i++)
    for (int e = 1; e <= 2; e++)
      run_lossy_churn_with(schemes[i], e,
                           (ChurnVariant){"[loss]\ncommon = bernoulli\ncommon-loss = 1\n", true},
                           NULL);
}

/* repeat = 3: every p2m transmission is followed by two more, so
 * p2m_repeats = 2 x p2m_tx exactly; a member now misses a key only if it
 * loses all three copies (0.1^3 instead of 0.1), so far fewer ask. */
static void test_repeat(void) {
  const char *loss = "[loss]\ncommon = bernoulli\ncommon-loss = 0.1\n";
  uint64_t tx1 = 0, tx3 = 0;
  SummaryLoss once = run_lossy_churn_with("patent", 1, (ChurnVariant){loss, true}, &tx1);
  g_autofree char *rep =
      g_strdup_printf("%s[reliability]\nrepeat = 3\nrepeat-interval = 0.01\n", loss);
  SummaryLoss thrice = run_lossy_churn_with("patent", 1, (ChurnVariant){rep, false}, &tx3);
  g_assert_cmpuint(once.p2m_repeats, ==, 0);
  g_assert_cmpuint(tx3, ==, tx1); /* repetitions are not counted as transmissions */
  g_assert_cmpuint(thrice.p2m_repeats, ==, 2 * tx3);
  g_assert_cmpuint(once.key_requests, >, 20);
  g_assert_cmpuint(thrice.key_requests * 5, <, once.key_requests);
}

/* Lossy dedicated channels too (RLC AM, 20 % per frame, 8 retransmissions:
 * a frame is lost for good with probability 0.2^9, about 5e-7), and
 * Zhang et al.'s two classes on the common channels: frames are sent again,
 * and every member still ends on the current key. */
static void test_dch_and_zhang(void) {
  const char *extra = "[loss]\ncommon = gilbert-elliott\ncommon-loss-good = 0.02\n"
                      "common-loss-bad = 0.2\nbad-fraction = 0.2\n"
                      "dch = bernoulli\ndch-loss = 0.2\ndch-max-retx = 8\n";
  for (int e = 1; e <= 2; e++) {
    SummaryLoss l = run_lossy_churn_with("patent", e, (ChurnVariant){extra, false}, NULL);
    g_assert_cmpuint(l.retransmissions, >, 0);
    g_assert_cmpuint(l.dch_lost, ==, 0);
  }
}

/* Multicast rounds on a churn trace (docs/reliability.md, "Reactive
 * multicast rounds"): a round sends the group key under the asker's lowest
 * key, which helps only a UE that holds that key's current version. An LKH
 * member that missed a node key is not helped by any round, and a rekey
 * comes every 2 s in this trace: counting rounds per group key version
 * sent such a UE to a new round after every rekey and never to the unicast
 * answer, and it gave up with wraps waiting. An oft member that took a
 * round's group key had no path to compute the next one and ended without
 * it. Every member must end on the current key, with nothing waiting and
 * no request given up. */
static void test_rounds_churn(void) {
  const char *schemes[] = {"patent", "lkh", "oft"};
  for (guint m = 1; m <= 3; m += 2)
    for (guint i = 0; i < G_N_ELEMENTS(schemes); i++)
      for (int e = 1; e <= 2; e++) {
        g_autofree char *extra = g_strdup_printf("[loss]\ncommon = bernoulli\ncommon-loss = 0.2\n"
                                                 "[reliability]\nmulticast-rounds = %u\n",
                                                 m);
        SummaryLoss l = run_lossy_churn_with(schemes[i], e, (ChurnVariant){extra, false}, NULL);
        /* oft joins no round (its members need their path, not the group
         * key alone): every request is answered by unicast */
        if (strcmp(schemes[i], "oft") == 0)
          g_assert_cmpuint(l.round_tx, ==, 0);
        else
          g_assert_cmpuint(l.round_tx, >, 0);
      }
}

/* oft under loss, embodiment 1 (a random campaign's case): wraps made
 * under a node key that a later event deleted, reaching a member that
 * never held that key, can never open; kept, they made the member ask in
 * vain until it gave up, and were counted as waiting at the end. They are
 * dropped (docs/reliability.md, "Detection"). Every member ends on the
 * current key, nothing waits, nothing is given up. */
static void test_oft_vanished_node(void) {
  const char *ini = "[run]\nname = oftvanish\nseed = 408341\nduration = 20\nscheme = oft\n"
                    "join-rekey = true\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\ncells-per-rnc = 3\n"
                    "subgroup-size = 1\nsubgroup-policy = per-rnc\n"
                    "[workload]\ninitial-members = 5\njoin-rate = 3\nmean-membership = 20\n"
                    "[security]\ncollusion = true\n"
                    "[loss]\ncommon = bernoulli\ncommon-loss = 0.2\n"
                    "[reliability]\nrecovery = true\n";
  ChurnCheck c = churn_check_new();
  RunHooks hooks = {.on_send = churn_on_send, .at_end = churn_at_end, .ctx = &c};
  RunResult r = run_text(ini, NULL, NULL, &hooks);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(l->key_requests, >, 0);
  assert_all_recovered(&r, &c);
  run_result_clear(&r);
  churn_check_clear(&c);
}

/* Patent, embodiment 1, lossy dedicated channels (a random campaign's
 * case: scripts/campaign --runs 2000 --seed 20): a UE moved between the
 * cells of its RNC twice within 25 ms (per-cell sub-groups); the first
 * move's key assignment (its new sub-group key) lost a frame on the
 * dedicated channel and, sent again, would reach the UE 20 ms after the
 * second move's, so the older sub-group key took the UE's one sub-group
 * slot and the member ended without the current group key, never asking
 * for it. RLC AM hands frames up in sequence (docs/reliability.md,
 * "Dedicated channels"): the second key assignment waits for the first,
 * and every member ends on the current key with nothing waiting and
 * nothing held in the channel. */
static void dch_order_at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  churn_at_end(ctx, net, tree, wl);
  g_assert_cmpuint(sim_dch_frames_held(), ==, 0);
}

static void test_dch_in_sequence_moves(void) {
  const char *ini = "[run]\nname = dchorder\nseed = 778228\nduration = 20\nscheme = patent\n"
                    "embodiment = 1\njoin-rekey = false\n"
                    "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\ncells-per-rnc = 2\n"
                    "subgroup-size = 3\nsubgroup-policy = per-cell\n"
                    "[links]\ncore-rate = 1e9\ncore-delay = 0.005\niu-rate = 1.55e8\n"
                    "iu-delay = 0.002\ndch-rate = 384000\ndch-delay = 0.01\n"
                    "common-rate = 128000\ncommon-delay = 0.02\n"
                    "[workload]\ninitial-members = 1\njoin-rate = 3\nmean-membership = 50\n"
                    "[mobility]\nhandover-rate = 0.3\nhandover-rekey = lazy\nintra-rnc = 0.5\n"
                    "[security]\ncollusion = true\n"
                    "[loss]\ncommon = bernoulli\ncommon-loss = 0.2\ndch = bernoulli\n"
                    "dch-loss = 0.2\n"
                    "[reliability]\nrecovery = true\nrepeat = 3\n";
  ChurnCheck c = churn_check_new();
  RunHooks hooks = {.on_send = churn_on_send, .at_end = dch_order_at_end, .ctx = &c};
  RunResult r = run_text(ini, NULL, NULL, &hooks);
  g_assert_cmpuint(r.summary.moves, >, 0);
  g_assert_cmpuint(r.summary.loss.retransmissions, >, 0);
  assert_all_recovered(&r, &c);
  run_result_clear(&r);
  churn_check_clear(&c);
}

static void test_lossy_churn(gconstpointer scheme) {
  for (int e = 1; e <= 2; e++)
    run_lossy_churn(scheme, e);
}

/* Embodiment 2, members moving between RNCs under common-channel loss with
 * recovery on (docs/reliability.md, "Detection"; docs/flows.md,
 * "Handover"): a move to another RNC is a leave of the old group and a join
 * of the new one, so what the UE saw of its old group's key versions no
 * longer says anything about its new group's. Once this UE compared them
 * and asked its new RNC for ever (a run that never ended, every scheme);
 * and an answer that brings nothing new must not make it ask for ever
 * either. The run is generated (Poisson joins, exponential memberships and
 * dwells, every move between RNCs) from a seed found by a random campaign.
 * It must end within the recovery's bound after its last event (the
 * timeout, then at most 8 tries `retry` apart, each a round trip), with
 * every member on its group's current key, no request given up, nothing
 * waiting at a member. */
static void test_regroup_recovery(gconstpointer scheme) {
  g_autofree char *ini = g_strdup_printf(
      "[run]\nname = regroup\nseed = 638633\nduration = 40\nscheme = %s\nembodiment = 2\n"
      "join-rekey = true\n"
      "[topology]\nggsn = 1\nsgsn-per-ggsn = 2\nrnc-per-sgsn = 2\ncells-per-rnc = 3\n"
      "subgroup-size = 2\nsubgroup-policy = per-rnc\n"
      "[workload]\ninitial-members = 2\njoin-rate = 1\nmean-membership = 50\n"
      "[mobility]\nhandover-rate = 1\nhandover-rekey = lazy\nintra-rnc = 0\n"
      "[loss]\ncommon = bernoulli\ncommon-loss = 0.2\n"
      "[reliability]\nrecovery = true\n",
      (const char *)scheme);
  ChurnCheck c = churn_check_new();
  RunHooks hooks = {.on_send = churn_on_send, .at_end = churn_at_end, .ctx = &c};
  RunResult r = run_text(ini, NULL, NULL, &hooks);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(r.summary.moves, >, 0);
  if (strcmp(scheme, "unicast") != 0)
    g_assert_cmpuint(l->common_losses, >, 0); /* unicast sends nothing p2m */
  /* default timeout 0.2 s, retry 1 s; a round trip on idle links is well
   * under 1 s */
  g_assert_cmpfloat(r.summary.sim_end_s, <, 40 + 0.2 + 8 * 1.0 + 1.0);
  assert_all_recovered(&r, &c);
  g_assert_cmpuint(r.summary.unwrap_failures, ==, 0);
  run_result_clear(&r);
  churn_check_clear(&c);
}

/* Edges with every common-channel reception lost, both embodiments: a UE
 * that leaves and rejoins under another RNC at once, a rejoin in its old
 * cell, a new UE, two leaves at the same instant, the last member of a
 * cell leaving. Every member still ends on the current key, no request is
 * refused, nothing waits at a member. */
static void test_edges(void) {
  const char *csv = "time,action,ue,cell\n"
                    "1,leave,0,\n1.001,join,0,3\n"  /* rejoin under the other RNC */
                    "3,leave,1,\n5,join,1,1\n"      /* rejoin in its old cell */
                    "7,join,8,2\n"                  /* a new UE */
                    "9,leave,2,\n9,leave,5,\n"      /* simultaneous leaves */
                    "11,leave,6,\n11.5,leave,8,\n"; /* cell 2 empties (UEs 2, 6, 8 were its) */
  for (int e = 1; e <= 2; e++) {
    g_autofree char *ini = g_strdup_printf(
        "[run]\nname = edges\nduration = 20\nembodiment = %d\n"
        "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 2\ncells-per-rnc = 2\n"
        "subgroup-size = 2\n"
        "[workload]\ninitial-members = 8\nevents = events.csv\n"
        "[loss]\ncommon = bernoulli\ncommon-loss = 1\n[reliability]\nrecovery = true\n",
        e);
    ChurnCheck c = churn_check_new();
    RunHooks hooks = {.on_send = churn_on_send, .at_end = churn_at_end, .ctx = &c};
    RunResult r = run_text(ini, csv, NULL, &hooks);
    /* UE 0 rejoins elsewhere faster than its deactivation's round trip:
     * the old RNC's accept cannot reach it (docs/flows.md, "A UE rejoins
     * anywhere"), the one rejection of the run */
    g_assert_cmpuint(r.summary.rejected_msgs, ==, 1);
    g_assert_cmpuint(r.summary.unwrap_failures, ==, 0);
    g_assert_cmpuint(r.summary.link_drops, ==, 0);
    g_assert_cmpuint(r.summary.incomplete_rekeys, ==, 0);
    /* 8 - 1 + 1 (UE 0) - 1 + 1 (UE 1) + 1 (UE 8) - 2 (UEs 2, 5) - 2 (6, 8) */
    g_assert_cmpuint(r.summary.final_members, ==, 5);
    g_assert_cmpuint(c.members_checked, ==, 5);
    g_assert_cmpuint(c.pending, ==, 0);
    g_assert_cmpuint(c.replies_to_departed, ==, 0);
    g_assert_cmpuint(c.departed_opened, ==, 0);
    g_assert_cmpuint(r.summary.loss.members_without_current_key, ==, 0);
    g_assert_cmpuint(r.summary.loss.refused_requests, ==, 0);
    g_assert_cmpuint(r.summary.loss.recovery_replies, >, 0);
    run_result_clear(&r);
    churn_check_clear(&c);
  }
}

/* ------------------------------------------- core and Iu links */

/* Every frame lost on the Iu links (iu-loss 1), embodiment 2, one join:
 * the RNC plans and delivers the join at once, then forwards the
 * activation request to its SGSN over Iu, where it is lost: one drop, and
 * nothing reaches the core. With core-loss 1 instead, the request crosses
 * Iu and is lost on the SGSN-GGSN link: one drop again. Nothing re-sends a
 * lost core frame (docs/reliability.md). */
static void test_link_loss(void) {
  const char *links[] = {"iu-loss", "core-loss"};
  for (guint i = 0; i < G_N_ELEMENTS(links); i++) {
    g_autofree char *ini = g_strdup_printf(
        "[run]\nname = links\nduration = 5\nembodiment = 2\n"
        "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\ncells-per-rnc = 1\n"
        "[workload]\ninitial-members = 2\nevents = events.csv\n"
        "[loss]\n%s = 1\n",
        links[i]);
    RunResult r = run_text(ini, "time,action,ue,cell\n1,join,2,0\n", NULL, NULL);
    g_assert_cmpuint(r.summary.link_drops, ==, 1);
    g_assert_cmpuint(r.summary.joins, ==, 1);
    g_assert_cmpuint(r.summary.final_members, ==, 3); /* the RNC accepted it */
    run_result_clear(&r);
  }
}

/* ------------------------------------------- determinism */

static const char *const files[] = {"rekeys.csv", "summary.csv", "summary.json", "elements.csv",
                                    "scenario.ini"};

static void assert_same_files(const char *a_dir, const char *b_dir) {
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *a = read_file(a_dir, files[i]);
    g_autofree char *b = read_file(b_dir, files[i]);
    g_assert_cmpstr(a, ==, b);
  }
}

/* The same lossy scenario and seed twice: the same files; another seed:
 * other losses. A sweep over loss with replications: the same sweep.csv
 * and runs with -j 1 and -j 2. */
static void test_deterministic(void) {
  if (!g_getenv("MBMS_SIM")) {
    g_test_skip("MBMS_SIM not set (run through meson test)");
    return;
  }
  TmpScenario t = tmp_scenario(small_ini, NULL);
  const char *lossy[] = {
      "loss.common=gilbert-elliott", "loss.common-loss-good=0.02", "loss.common-loss-bad=0.2",
      "loss.bad-fraction=0.2",       "loss.dch=bernoulli",         "loss.dch-loss=0.05",
      "reliability.recovery=true",   "reliability.repeat=2",       NULL};
  run_cli_into(&t, "a", lossy, NULL);
  run_cli_into(&t, "b", lossy, NULL);
  g_autofree char *a = g_build_filename(t.dir, "a", NULL);
  g_autofree char *b = g_build_filename(t.dir, "b", NULL);
  assert_same_files(a, b);
  g_autofree char *sum = read_file(a, "summary.csv");
  GHashTable *cols = csv_columns(sum);
  GPtrArray *lost = g_hash_table_lookup(cols, "common_losses");
  GPtrArray *retx = g_hash_table_lookup(cols, "retransmissions");
  GPtrArray *rep = g_hash_table_lookup(cols, "p2m_repeats");
  GPtrArray *wo = g_hash_table_lookup(cols, "members_without_current_key");
  g_assert_cmpuint(g_ascii_strtoull(g_ptr_array_index(lost, 0), NULL, 10), >, 0);
  g_assert_cmpuint(g_ascii_strtoull(g_ptr_array_index(retx, 0), NULL, 10), >, 0);
  g_assert_cmpuint(g_ascii_strtoull(g_ptr_array_index(rep, 0), NULL, 10), >, 0);
  g_assert_cmpstr(g_ptr_array_index(wo, 0), ==, "0");
  g_hash_table_destroy(cols);

  const char *sweep[] = {"loss.common=bernoulli", "loss.common-loss=0.05,0.1",
                         "reliability.recovery=true", NULL};
  g_autofree char *ini = g_strdup_printf("%s[sweep]\nreplications = 2\n", small_ini);
  g_assert_true(g_file_set_contents(t.ini, ini, -1, NULL));
  run_cli_into(&t, "j1", sweep, "1");
  run_cli_into(&t, "j2", sweep, "2");
  g_autofree char *j1 = g_build_filename(t.dir, "j1", NULL);
  g_autofree char *j2 = g_build_filename(t.dir, "j2", NULL);
  g_autofree char *s1 = read_file(j1, "sweep.csv");
  g_autofree char *s2 = read_file(j2, "sweep.csv");
  g_assert_cmpstr(s1, ==, s2);
  g_assert_nonnull(strstr(s1, "members_without_current_key"));
  const char *runs[] = {"common-loss-0.05/rep-1", "common-loss-0.1/rep-2"};
  for (guint i = 0; i < G_N_ELEMENTS(runs); i++) {
    g_autofree char *r1 = g_build_filename(j1, runs[i], NULL);
    g_autofree char *r2 = g_build_filename(j2, runs[i], NULL);
    assert_same_files(r1, r2);
  }
  tmp_free(&t);
}

/* ------------------------------------------------- lost signalling (NAS)
 *
 * One RNC, one cell, embodiment 2, patent, no join rekey: UE 0 a member,
 * UE 1 joins at 1 s (one sub-group). Dedicated channels Gilbert-Elliott
 * with loss 0 when good and 1 when bad, RLC AM with no retransmission
 * (dch-max-retx = 0: every frame drawn bad is lost for good). The UE's
 * radio condition is drawn at its first frame (bad with probability
 * bad-fraction), then follows the chain: with a rate of 10^6 per second
 * it has left its first state 10^-5 s later with probability 1 -
 * e^-10, and stays in the other state when the way back has rate 0. */
static const char *nas_ini = "[run]\nname = nas\nseed = 1\nduration = 60\nembodiment = 2\n"
                             "[topology]\nggsn = 1\nsgsn-per-ggsn = 1\nrnc-per-sgsn = 1\n"
                             "cells-per-rnc = 1\nsubgroup-size = 4\n"
                             "[workload]\ninitial-members = 1\nevents = events.csv\n"
                             "[loss]\ndch = gilbert-elliott\ndch-loss-good = 0\ndch-loss-bad = 1\n"
                             "dch-max-retx = 0\n"
                             "[reliability]\nt3380 = 2\nt3390 = 2\nnas-retx = 2\n";

typedef struct {
  bool ue1_in_tree, ue1_holds_current;
} NasCheck;

static void nas_at_end(void *ctx, const Net *net, const KtTree *tree, const Workload *wl) {
  (void)wl;
  NasCheck *c = ctx;
  c->ue1_in_tree = kt_tree_is_member(tree, 1);
  c->ue1_holds_current = net_ue_holds_group_key(net, 1, kt_tree_group_key(tree, 0));
}

static RunResult run_nas(const char *csv, const char *const *sets, NasCheck *c) {
  RunHooks hooks = {.at_end = nas_at_end, .ctx = c};
  return run_text(nas_ini, csv, sets, &hooks);
}

/* Starts bad, turns good: UE 1's activation (its first frame) is lost for
 * good; T3380 (2 s) expires at 3 s, the request is sent again and gets
 * through (the UE is good by then): one loss, one NAS retransmission, and
 * UE 1 ends a member holding the current group key. */
static void test_nas_recovers(void) {
  const char *sets[] = {"loss.bad-fraction=1", "loss.bad-to-good=1e6", NULL};
  NasCheck c = {0};
  RunResult r = run_nas("time,action,ue,cell\n1,join,1,0\n", sets, &c);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(l->dch_lost, ==, 1);
  g_assert_cmpuint(l->nas_retransmissions, ==, 1);
  g_assert_cmpuint(l->nas_aborted, ==, 0);
  g_assert_cmpuint(r.summary.rejected_msgs, ==, 0);
  g_assert_cmpuint(l->members_without_current_key, ==, 0);
  g_assert_true(c.ue1_in_tree);
  g_assert_true(c.ue1_holds_current);
  g_assert_cmpuint(r.summary.final_members, ==, 2);
  run_result_clear(&r);
}

/* Starts good, turns bad for good: UE 1's activation (first frame) gets
 * through and the RNC takes it in the tree, but everything after is lost:
 * the key assignment to UE 1 and the accept (2 frames down), then the 2
 * requests sent again at the T3380 expiries (3 s, 5 s). At the third
 * expiry (7 s) the join is aborted: counted, not silent. */
static void test_nas_aborted(void) {
  const char *sets[] = {"loss.bad-fraction=0", "loss.good-to-bad=1e6", NULL};
  NasCheck c = {0};
  RunResult r = run_nas("time,action,ue,cell\n1,join,1,0\n", sets, &c);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(l->dch_lost, ==, 2 + 2);
  g_assert_cmpuint(l->nas_retransmissions, ==, 2);
  g_assert_cmpuint(l->nas_aborted, ==, 1);
  g_assert_true(c.ue1_in_tree); /* the network took it in; the UE gave up */
  g_assert_false(c.ue1_holds_current);
  run_result_clear(&r);
}

/* Starts bad, turns good, T3380 long (100 s): UE 1's activation is lost
 * for good, and it leaves at 2 s, before T3380 expires. The RNC finds no
 * context for the deactivation and accepts it (no rekey, nothing
 * rejected); the join's timer is stale: nothing is sent again. */
static void test_nas_leave_replaces_join(void) {
  const char *sets[] = {"loss.bad-fraction=1", "loss.bad-to-good=1e6", "reliability.t3380=100",
                        NULL};
  NasCheck c = {0};
  RunResult r = run_nas("time,action,ue,cell\n1,join,1,0\n2,leave,1,\n", sets, &c);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(l->dch_lost, ==, 1);
  g_assert_cmpuint(l->nas_retransmissions, ==, 0);
  g_assert_cmpuint(l->nas_aborted, ==, 0);
  g_assert_cmpuint(r.summary.rejected_msgs, ==, 0);
  g_assert_false(c.ue1_in_tree);
  g_assert_cmpuint(r.summary.final_members, ==, 1);
  run_result_clear(&r);
}

/* ------------------------------------------ multicast rounds (Zhang et al.)
 *
 * The "one-loss" case with multicast-rounds = m (round-length 0.1 s):
 * every common-channel reception lost. UE 1 loses the group key (106
 * bytes p2m) and asks 0.2 s later; its first m requests each open a round
 * of the RNC, whose multicast of the group key under UE 1's sub-group key
 * (106 bytes, one cell) is lost too; its retry (1 s) asks again; request
 * m + 1 is answered by unicast (194 bytes). Hence m + 1 requests, m round
 * transmissions, one unicast answer, 1 + m lost receptions, and a latency
 * m retries longer than "one-loss"'s. */
static void test_rounds_lost(void) {
  for (guint m = 1; m <= 2; m++) {
    g_autofree char *rounds = g_strdup_printf("reliability.multicast-rounds=%u", m);
    const char *sets[] = {rounds, "reliability.round-length=0.1", NULL};
    RunResult r = run_text(one_ini, one_csv, sets, NULL);
    assert_clean(&r);
    const SummaryLoss *l = &r.summary.loss;
    g_assert_cmpuint(l->key_requests, ==, m + 1);
    g_assert_cmpuint(l->round_tx, ==, m);
    g_assert_cmpuint(l->round_bytes, ==, 106 * m);
    g_assert_cmpuint(l->recovery_replies, ==, 1);
    g_assert_cmpuint(l->recovery_bytes, ==, 194);
    g_assert_cmpuint(l->common_losses, ==, 1 + m);
    g_assert_cmpuint(l->members_without_current_key, ==, 0);
    double want =
        air(106, 128000) + 0.02 + 0.2 + m * 1.0 + air(21, 384000) + 0.01 + air(194, 384000) + 0.01;
    g_assert_cmpfloat(fabs(metrics_event_latency(metrics_event(r.metrics, 0)) - want), <, 2e-9);
    run_result_clear(&r);
  }
}

/* The same with the common channel Gilbert-Elliott, loss 1 when bad and 0
 * when good, UE 1 bad at its first reception (the group key) and good
 * 10^-5 s later with probability 1 - e^-10 (rate 10^6 back, none away):
 * the round's multicast reaches it. One request, one round transmission,
 * no unicast answer, no second request (a newer group key heard on the
 * cell answers it); the latency ends with the round's arrival. */
static void test_rounds_served(void) {
  const char *sets[] = {"loss.common=gilbert-elliott",  "loss.common-loss-good=0",
                        "loss.common-loss-bad=1",       "loss.bad-fraction=1",
                        "loss.bad-to-good=1e6",         "reliability.multicast-rounds=1",
                        "reliability.round-length=0.1", NULL};
  RunResult r = run_text(one_ini, one_csv, sets, NULL);
  assert_clean(&r);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(l->common_losses, ==, 1);
  g_assert_cmpuint(l->key_requests, ==, 1);
  g_assert_cmpuint(l->round_tx, ==, 1);
  g_assert_cmpuint(l->recovery_replies, ==, 0);
  g_assert_cmpuint(l->members_without_current_key, ==, 0);
  double want =
      air(106, 128000) + 0.02 + 0.2 + air(21, 384000) + 0.01 + 0.1 + air(106, 128000) + 0.02;
  g_assert_cmpfloat(fabs(metrics_event_latency(metrics_event(r.metrics, 0)) - want), <, 2e-9);
  run_result_clear(&r);
}

/* A bystander loses a round's answer: "rounds-lost" with m = 1 and UE 2
 * joining at 1.1 s, after the leave's rekey and before UE 1's round (its
 * keys come point-to-point on its lossless dedicated channel, no join
 * rekey). The round's multicast (the group key, so every listener of the
 * cell receives it) is lost at UE 1 and at UE 2. UE 2 asked nothing: the
 * answer is not a numbered key-assignment block (node.h,
 * net_send_common_answer), so its loss is nothing UE 2 missed, and UE 2
 * sends no request. Hence UE 1's 2 requests only, 1 round transmission,
 * 1 unicast answer, and 1 + 2 lost receptions (UE 1: the rekey and the
 * round; UE 2: the round). Before the rule, each bystander's loss of an
 * answer made a request, whose round made more such losses: a storm. */
static void test_rounds_bystander(void) {
  const char *sets[] = {"reliability.multicast-rounds=1", "reliability.round-length=0.1", NULL};
  RunResult r = run_text(one_ini, "time,action,ue,cell\n1,leave,0,\n1.1,join,2,0\n", sets, NULL);
  assert_clean(&r);
  const SummaryLoss *l = &r.summary.loss;
  g_assert_cmpuint(r.summary.joins, ==, 1);
  g_assert_cmpuint(l->key_requests, ==, 2);
  g_assert_cmpuint(l->round_tx, ==, 1);
  g_assert_cmpuint(l->recovery_replies, ==, 1);
  g_assert_cmpuint(l->common_losses, ==, 3);
  g_assert_cmpuint(l->members_without_current_key, ==, 0);
  run_result_clear(&r);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/reliability/lossless-unchanged", test_lossless_unchanged);
  g_test_add_func("/reliability/one-loss", test_one_loss);
  static const char *const schemes[] = {"patent", "unicast",      "broadcast",
                                        "lkh",    "batch:patent", "batch:lkh"};
  for (guint i = 0; i < G_N_ELEMENTS(schemes); i++) {
    g_autofree char *path = g_strdup_printf("/reliability/churn/%s", schemes[i]);
    g_test_add_data_func(path, schemes[i], test_lossy_churn);
  }
  /* every scheme; oft too, since its members compute each version of a
   * path key whose inputs they hold (docs/schemes.md, oft): before, one
   * of its members ended without the current key here */
  static const char *const all_schemes[] = {"patent", "unicast", "broadcast", "lkh",
                                            "oft",    "sd",      "3gpp",      "batch"};
  for (guint i = 0; i < G_N_ELEMENTS(all_schemes); i++) {
    g_autofree char *path = g_strdup_printf("/reliability/regroup-recovery/%s", all_schemes[i]);
    g_test_add_data_func(path, all_schemes[i], test_regroup_recovery);
  }
  g_test_add_func("/reliability/total-loss", test_total_loss);
  g_test_add_func("/reliability/sd-stateless", test_sd_stateless_loss);
  g_test_add_func("/reliability/link-loss", test_link_loss);
  g_test_add_func("/reliability/edges", test_edges);
  g_test_add_func("/reliability/repeat", test_repeat);
  g_test_add_func("/reliability/dch-and-zhang", test_dch_and_zhang);
  g_test_add_func("/reliability/deterministic", test_deterministic);
  g_test_add_func("/reliability/nas-recovers", test_nas_recovers);
  g_test_add_func("/reliability/rounds-lost", test_rounds_lost);
  g_test_add_func("/reliability/rounds-served", test_rounds_served);
  g_test_add_func("/reliability/rounds-bystander", test_rounds_bystander);
  g_test_add_func("/reliability/rounds-churn", test_rounds_churn);
  g_test_add_func("/reliability/oft-vanished-node", test_oft_vanished_node);
  g_test_add_func("/reliability/dch-in-sequence-moves", test_dch_in_sequence_moves);
  g_test_add_func("/reliability/nas-aborted", test_nas_aborted);
  g_test_add_func("/reliability/nas-leave-replaces-join", test_nas_leave_replaces_join);
  return g_test_run();
}
