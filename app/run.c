/* run.c — drives one run: workload -> tree -> network -> events -> metrics.
 * The NetObserver implemented here is the one place where the network's
 * activity turns into counts (Metrics). */
#include "app/run.h"

#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "app/adversary.h"
#include "app/completion.h"
#include "keytree/kt_wrap.h"
#include "sim/sim.h"
#include "sim/sim_order.h"

typedef struct {
  const Scenario *scn;
  const Workload *wl;
  SimOrder wl_order; /* the workload events' places among equal-time events */
  Metrics *metrics;
  Net *net;
  const RunHooks *hooks;
  RekeyCompletion *completion;
  Adversaries *adversaries;
  GArray *scratch_keys; /* KtKey */
  uint64_t data_sent, data_undecryptable;
  SummaryLoss loss; /* the loss and recovery totals */
} RunCtx;

/* A copy of the keys UE `ue` holds now, in rc->scratch_keys (wiped by
 * wipe_scratch_keys). */
static const GArray *ue_keys(RunCtx *rc, uint32_t ue) {
  g_array_set_size(rc->scratch_keys, 0);
  net_ue_copy_keys(rc->net, ue, rc->scratch_keys);
  return rc->scratch_keys;
}

static void wipe_scratch_keys(RunCtx *rc) {
  for (guint i = 0; i < rc->scratch_keys->len; i++)
    kt_key_wipe(&g_array_index(rc->scratch_keys, KtKey, i));
  g_array_set_size(rc->scratch_keys, 0);
}

static guint element_index(const RunCtx *rc, NetElement e) {
  static const ElKind kinds[] = {[NET_BMSC] = EL_BMSC,
                                 [NET_GGSN] = EL_GGSN,
                                 [NET_SGSN] = EL_SGSN,
                                 [NET_RNC] = EL_RNC,
                                 [NET_UE] = EL_UE};
  return metrics_element(rc->metrics, kinds[e.kind], e.index);
}

static EventRecord *event_of(RunCtx *rc, uint32_t seq) {
  if (seq == NET_NO_SEQ || seq >= metrics_n_events(rc->metrics))
    return NULL;
  return metrics_event(rc->metrics, seq);
}

/* ---------------------------------------------------------- the observer */

static void obs_send(void *ctx, NetElement from, NetVia via, const Msg *msg, size_t len,
                     uint32_t n_tx) {
  RunCtx *rc = ctx;
  guint el = element_index(rc, from);
  metrics_sent(rc->metrics, el, len, n_tx);
  EventRecord *ev = event_of(rc, msg->seq);
  if (ev) {
    switch (msg->type) {
    case MSG_KEY_ASSIGNMENT:
      if (msg->mode == MSG_P2P) {
        ev->p2p_msgs++;
      } else {
        ev->p2m_msgs++;
        ev->p2m_tx += n_tx;
      }
      ev->bytes += (uint64_t)len * n_tx;
      break;
    case MSG_GROUP_KEY_CHANGE_REQ:
    case MSG_RAB_ASSIGNMENT_REQ:
    case MSG_MOVE_KEY_REQ:
      ev->core_msgs++;
      ev->bytes += len;
      break;
    case MSG_KEY_RECOVERY:
      ev->recovery_replies++;
      ev->recovery_bytes += len;
      break;
    default:
      ev->signalling_msgs++;
      break;
    }
  }
  /* recovery: counted whatever the event (a request belongs to none) */
  if (msg->type == MSG_KEY_REQUEST)
    rc->loss.key_requests++;
  if (msg->type == MSG_KEY_RECOVERY) {
    rc->loss.recovery_replies++;
    rc->loss.recovery_bytes += len;
  }
  if (rc->hooks && rc->hooks->on_send)
    rc->hooks->on_send(rc->hooks->ctx, sim_now(), from, via, msg, n_tx);
}

static void obs_receive(void *ctx, NetElement to, NetVia via, const Msg *msg, size_t len,
                        uint32_t n_receivers) {
  (void)via;
  (void)msg;
  RunCtx *rc = ctx;
  guint el = element_index(rc, to);
  metrics_received(rc->metrics, el, len, n_receivers);
}

static void obs_reject(void *ctx, NetElement to, const char *why) {
  RunCtx *rc = ctx;
  metrics_rejected(rc->metrics, element_index(rc, to));
  g_debug("message rejected at element kind %d index %u: %s", to.kind, to.index, why);
}

static void obs_wrap(void *ctx, NetElement by, uint32_t seq, uint32_t n) {
  RunCtx *rc = ctx;
  metrics_wrapped(rc->metrics, element_index(rc, by), event_of(rc, seq) ? seq : UINT32_MAX, n);
}

static void obs_unwrap(void *ctx, NetElement by, bool ok) {
  RunCtx *rc = ctx;
  metrics_unwrapped(rc->metrics, element_index(rc, by), ok);
}

static void obs_ue_unwraps(void *ctx, uint32_t ok, uint32_t failed) {
  RunCtx *rc = ctx;
  metrics_unwrapped_n(rc->metrics, metrics_element(rc->metrics, EL_UE, 0), ok, failed);
}

static void obs_request(void *ctx, uint32_t seq) {
  RunCtx *rc = ctx;
  if (event_of(rc, seq))
    metrics_request_reached_network(rc->metrics, seq, sim_now());
}

static void obs_plan(void *ctx, uint32_t seq, const KtPlan *plan, uint32_t members_in_scope) {
  RunCtx *rc = ctx;
  EventRecord *ev = event_of(rc, seq);
  /* An event with two plans (a move to another RNC in embodiment 2: leave
   * and join; with batch rekeying, the two batches that gather it) waits
   * for the first plan's new group key only: its latency is that of the
   * old group's new key (docs/flows.md, "Handover"); two plans expecting
   * installs under one number would count them against each other. */
  bool waited = ev && ev->group_changed;
  if (ev) {
    ev->subgroup = plan->subgroup;
    ev->group_changed |= plan->group_changed;
  }
  completion_on_plan(rc->completion, ev && !waited ? seq : UINT32_MAX, plan, members_in_scope);
}

/* Adversaries change with membership as the network sees it (the request
 * accepted at the RNC), not with the rekey: with batch rekeying, a leaver
 * keeps listening with its old keys until the batch, which is the exposure
 * window batching opens. */
static void obs_membership(void *ctx, uint32_t ue, uint32_t cell, bool join) {
  RunCtx *rc = ctx;
  if (join) {
    adversaries_on_join(rc->adversaries, ue, cell, ue_keys(rc, ue), sim_now());
    wipe_scratch_keys(rc);
  } else {
    adversaries_on_leave(rc->adversaries, ue, cell, ue_keys(rc, ue), sim_now());
    wipe_scratch_keys(rc);
  }
}

static void obs_move(void *ctx, uint32_t ue, uint32_t from_cell, uint32_t to_cell,
                     bool leaves_scope) {
  (void)to_cell;
  RunCtx *rc = ctx;
  if (leaves_scope)
    adversaries_on_move_away(rc->adversaries, ue, from_cell, ue_keys(rc, ue), sim_now());
  else
    adversaries_on_move(rc->adversaries, ue, ue_keys(rc, ue));
  wipe_scratch_keys(rc);
}

static void obs_install(void *ctx, uint32_t ue, uint32_t seq, KtKeyRef ref) {
  (void)seq; /* a newer key may complete older events too: see completion.h */
  RunCtx *rc = ctx;
  completion_on_install(rc->completion, ue, ref, sim_now());
  if (adversaries_waiting(rc->adversaries, ue)) {
    adversaries_on_member_keys(rc->adversaries, ue, ue_keys(rc, ue));
    wipe_scratch_keys(rc);
  }
}

static void obs_group_installs(void *ctx, const uint32_t *ues, uint32_t n, uint32_t seq,
                               KtKeyRef ref) {
  (void)seq;
  RunCtx *rc = ctx;
  completion_on_installs(rc->completion, ues, n, ref, sim_now());
  for (uint32_t i = 0; i < n && adversaries_any_waiting(rc->adversaries); i++)
    if (adversaries_waiting(rc->adversaries, ues[i])) {
      adversaries_on_member_keys(rc->adversaries, ues[i], ue_keys(rc, ues[i]));
      wipe_scratch_keys(rc);
    }
}

static void obs_common_reach(void *ctx, const uint32_t *ues, uint32_t n) {
  RunCtx *rc = ctx;
  completion_prefetch(rc->completion, ues, n);
}

static void obs_common_keys(void *ctx, uint32_t rnc, const uint32_t *cells, uint32_t n_cells,
                            const Msg *msg) {
  (void)rnc;
  RunCtx *rc = ctx;
  adversaries_on_common_wraps(rc->adversaries, sim_now(), cells, n_cells, msg->wraps, msg->n_wraps);
}

static void obs_data_sent(void *ctx) {
  RunCtx *rc = ctx;
  rc->data_sent++;
}

static void obs_data_members(void *ctx, uint32_t members, uint32_t undecryptable) {
  (void)members;
  RunCtx *rc = ctx;
  rc->data_undecryptable += undecryptable;
}

static void obs_common_data(void *ctx, uint32_t rnc, const uint32_t *cells, uint32_t n_cells,
                            const KtData *d) {
  (void)rnc;
  RunCtx *rc = ctx;
  adversaries_on_common_data(rc->adversaries, sim_now(), cells, n_cells, d);
}

static void obs_common_loss(void *ctx, uint32_t ue, const Msg *msg) {
  RunCtx *rc = ctx;
  if (msg)
    rc->loss.common_losses++;
  else
    rc->loss.data_lost++;
  if (rc->hooks && rc->hooks->on_common_loss)
    rc->hooks->on_common_loss(rc->hooks->ctx, sim_now(), ue, msg);
}

static void obs_dch_loss(void *ctx, uint32_t ue, const Msg *msg, bool lost_for_good) {
  (void)ue;
  RunCtx *rc = ctx;
  if (lost_for_good) {
    rc->loss.dch_lost++;
    return;
  }
  rc->loss.retransmissions++;
  EventRecord *ev = event_of(rc, msg->seq);
  if (ev)
    ev->retransmissions++;
}

static void obs_repeat(void *ctx, uint32_t rnc, const Msg *msg, size_t len, uint32_t n_tx) {
  (void)rnc;
  (void)len;
  RunCtx *rc = ctx;
  rc->loss.p2m_repeats += n_tx;
  EventRecord *ev = event_of(rc, msg->seq);
  if (ev)
    ev->p2m_repeats += n_tx;
}

static void obs_round(void *ctx, uint32_t rnc, const Msg *msg, size_t len, uint32_t n_tx) {
  (void)rnc;
  (void)msg;
  RunCtx *rc = ctx;
  rc->loss.round_tx += n_tx;
  rc->loss.round_bytes += (uint64_t)len * n_tx;
}

static void obs_refused(void *ctx, uint32_t rnc, uint32_t ue) {
  (void)rnc;
  (void)ue;
  RunCtx *rc = ctx;
  rc->loss.refused_requests++;
}

/* Members at the end that do not hold their scope's current group key
 * (the key server's): 0 whenever nothing was lost for good. */
static guint members_without_current_key(const Net *net, const KtTree *tree, uint32_t n_ue,
                                         uint32_t cells_per_rnc) {
  guint n = 0;
  for (uint32_t ue = 0; ue < n_ue; ue++) {
    if (!kt_tree_is_member(tree, ue))
      continue;
    uint32_t rnc = kt_tree_ue_cell(tree, ue) / cells_per_rnc;
    const KtKey *current = kt_tree_group_key(tree, kt_tree_scope_of_rnc(tree, rnc));
    if (!net_ue_holds_group_key(net, ue, current))
      n++;
  }
  return n;
}

/* ------------------------------------------------------------ memory */

/* Peak resident memory per object, measured with /usr/bin/time -v (maximum
 * resident set size) on runs of this program (release build, default
 * [security] and [links], duration 1 s, no data plane), as differences
 * between sizes so that the fixed cost cancels:
 *   per UE id: initial-members 100 000 -> 124 168 kB, 400 000 -> 460 716 kB
 *     = 1 149 B per UE (its ns-3 node and radio device, key ring, tree leaf,
 *     workload and metrics rows); 10^5 generated joins instead (join-rate
 *     10^4 for 10 s) gave 116 920 kB, the same cost per id;
 *   per cell: sgsn-per-ggsn 64, rnc-per-sgsn 64 (4 096 RNCs), cells-per-rnc
 *     1 -> 1024: 36 076 -> 599 512 kB = 138 B per cell (136 B at 256 RNCs);
 *   per RNC: rnc-per-sgsn 4 -> 64 at one cell each (256 -> 4 096 RNCs):
 *     14 460 -> 36 076 kB = 5 764 B per RNC (its node, Iu link, key-tree
 *     sub-groups);
 *   fixed: 12 720 kB with no UE at the default topology.
 * Rounded up (1 250, 160, 6 400 B, 16 MB) for what these runs did not
 * exercise (churn, queues, the adversaries' recording window). */
#define RUN_BYTES_PER_UE 1250.0
#define RUN_BYTES_PER_CELL 160.0
#define RUN_BYTES_PER_RNC 6400.0
#define RUN_BYTES_FIXED (16.0 * 1024 * 1024)
#define RUN_MEMORY_SHARE 0.8

double run_estimate_bytes(const Scenario *scn, uint32_t n_ue_ids) {
  return RUN_BYTES_FIXED + RUN_BYTES_PER_UE * n_ue_ids + RUN_BYTES_PER_CELL * scn_n_cells(scn) +
         RUN_BYTES_PER_RNC * scn_n_rnc(scn);
}

/* Lowers *avail to `limit` (if known and lower), naming it. */
static void lower_to(double *avail, const char **what, double limit, const char *name) {
  if (limit > 0 && (*avail <= 0 || limit < *avail)) {
    *avail = limit;
    *what = name;
  }
}

/* A number of bytes in file `path`; 0 if absent, "max" or unlimited (cgroup
 * v1 writes a huge number for none). */
static double limit_file(const char *path) {
  g_autofree char *text = NULL;
  guint64 v;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return 0;
  g_strstrip(text);
  if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT64, &v, NULL) || v >= (1ull << 62))
    return 0;
  return (double)v;
}

/* The memory limit of this process's cgroup: v2 memory.max of the group
 * named on the "0::" line of /proc/self/cgroup, or v1
 * memory.limit_in_bytes of the ":memory:" one; 0 if none or unknown. */
static double cgroup_limit(void) {
  g_autofree char *cg = NULL;
  if (!g_file_get_contents("/proc/self/cgroup", &cg, NULL, NULL))
    return 0;
  double limit = 0;
  g_auto(GStrv) lines = g_strsplit(cg, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    const char *v1 = strstr(lines[i], ":memory:");
    g_autofree char *path = NULL;
    if (g_str_has_prefix(lines[i], "0::"))
      path = g_build_filename("/sys/fs/cgroup", lines[i] + 3, "memory.max", NULL);
    else if (v1)
      path = g_build_filename("/sys/fs/cgroup/memory", v1 + 8, "memory.limit_in_bytes", NULL);
    double l = path ? limit_file(path) : 0;
    if (l > 0 && (limit <= 0 || l < limit))
      limit = l;
  }
  return limit;
}

/* The memory this process may use: MemAvailable of /proc/meminfo (else
 * physical memory from sysconf), lowered to the address-space limit
 * (ulimit -v), the cgroup's memory.max and MBMS_SIM_MEMORY (bytes), where
 * set. *what names where the figure came from. 0 if nothing is known. */
double run_memory_available(const char **what) {
  double avail = 0;
  *what = "MemAvailable";
  g_autofree char *info = NULL;
  if (g_file_get_contents("/proc/meminfo", &info, NULL, NULL)) {
    const char *p = strstr(info, "MemAvailable:");
    if (p)
      avail = g_ascii_strtod(p + strlen("MemAvailable:"), NULL) * 1024.0;
  }
  if (avail <= 0) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    *what = "physical memory";
    avail = pages > 0 && size > 0 ? (double)pages * (double)size : 0;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    lower_to(&avail, what, (double)rl.rlim_cur, "the address-space limit, ulimit -v");
  lower_to(&avail, what, cgroup_limit(), "the cgroup's memory.max");
  const char *cap = g_getenv("MBMS_SIM_MEMORY");
  guint64 c;
  if (cap && g_ascii_string_to_unsigned(cap, 10, 1, G_MAXUINT64, &c, NULL))
    lower_to(&avail, what, (double)c, "MBMS_SIM_MEMORY");
  return avail;
}

static gboolean check_memory(const Scenario *scn, const Workload *wl, GError **error) {
  const char *what;
  double need = run_estimate_bytes(scn, wl->ue_id_end), have = run_memory_available(&what);
  /* a fifth is left to the system and whatever else runs (the estimate is
   * of this run alone) */
  if (have <= 0 || need <= RUN_MEMORY_SHARE * have)
    return TRUE;
  g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
              "%s: needs about %.2f GB of memory (%u UE ids, %u cells, %u RNCs), more than 80%% "
              "of this machine's %.2f GB (%s)",
              scn->source_path ? scn->source_path : scn->name, need / 1e9, wl->ue_id_end,
              scn_n_cells(scn), scn_n_rnc(scn), have / 1e9, what);
  return FALSE;
}

/* Scheme sd: every UE of the workload may join any scope once, so each
 * scope's tree needs a leaf per UE; and the subset key ids must fit
 * (n_scopes x 2 x sd-capacity <= 2^30, keytree/kt_sd.c). */
static gboolean check_sd(const Scenario *scn, const Workload *wl, const KtConfig *kc,
                         GError **error) {
  const char *where = scn->source_path ? scn->source_path : scn->name;
  if (kc->sd_capacity < wl->ue_id_end) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                "%s: run.sd-capacity: %u leaves are fewer than the workload's %u UEs", where,
                kc->sd_capacity, wl->ue_id_end);
    return FALSE;
  }
  if (!kt_sd_capacity_fits(kc)) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                "%s: run.sd-capacity: %u leaves per tree for %u trees exceed 2^30 key ids "
                "(trees x 2 x sd-capacity)",
                where, kc->sd_capacity, kc->embodiment == 1 ? 1u : kc->n_rnc);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------ the events */

static void fire_event(void *ctx, uint64_t index);

/* Schedules workload event `index` in the place sim_order reserved for it
 * (fire_event schedules the next: one workload event pending at a time,
 * each running exactly where it would if all had been scheduled at the
 * start). */
static void schedule_event(RunCtx *rc, uint64_t index) {
  if (index < wl_n_events(rc->wl))
    sim_order_schedule(&rc->wl_order, index, wl_event(rc->wl, index)->time, fire_event, rc, index);
}

static void fire_event(void *ctx, uint64_t index) {
  RunCtx *rc = ctx;
  schedule_event(rc, index + 1);
  const WlEvent *e = wl_event(rc->wl, index);
  uint32_t rnc = e->cell / rc->scn->cells_per_rnc;
  static const EvKind kinds[] = {[WL_JOIN] = EV_JOIN, [WL_LEAVE] = EV_LEAVE, [WL_MOVE] = EV_MOVE};
  /* the network runs on internal indices; rekeys.csv names the UE's id */
  uint32_t seq = metrics_event_new(rc->metrics, e->time, kinds[e->action],
                                   ue_ids_external(rc->wl->ids, e->ue), e->cell, rnc);
  g_assert(seq == index); /* events fire in workload order (ties keep insertion order) */
  if (e->action == WL_JOIN) {
    net_ue_join(rc->net, e->ue, e->cell, seq);
  } else if (e->action == WL_LEAVE) {
    net_ue_leave(rc->net, e->ue, seq);
  } else {
    EventRecord *ev = metrics_event(rc->metrics, seq);
    ev->from_cell = e->from;
    ev->inter_rnc = e->from / rc->scn->cells_per_rnc != rnc;
    net_ue_move(rc->net, e->ue, e->cell, seq);
  }
}

/* CPU time of the process so far, s. */
static double cpu_now(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

gboolean run_scenario(const Scenario *scn, const RunHooks *hooks, RunResult *out, GError **error) {
  memset(out, 0, sizeof *out);
  kt_crypto_init();
  Workload *wl = wl_build(scn, error);
  if (!wl)
    return FALSE;
  if (!check_memory(scn, wl, error)) {
    wl_free(wl);
    return FALSE;
  }

  KtConfig kc = {.n_rnc = scn_n_rnc(scn),
                 .cells_per_rnc = scn->cells_per_rnc,
                 .subgroup_size = scn->subgroup_size,
                 .policy = scn->subgroup_policy,
                 .embodiment = scn->embodiment,
                 .seed = scn->seed,
                 .scheme = scn->scheme_kind,
                 .lkh_degree = scn->lkh_degree,
                 .sd_capacity = scn->sd_capacity,
                 .msk_on_leave = scn->msk_on_leave,
                 .msk_period = scn->msk_period,
                 .mtk_period = scn->mtk_period};
  if (kc.scheme == KT_SCHEME_SD && !check_sd(scn, wl, &kc, error)) {
    wl_free(wl);
    return FALSE;
  }
  NetConfig nc = {.embodiment = scn->embodiment,
                  .join_rekey = scn->join_rekey,
                  .handover_rekey = scn->handover_rekey,
                  .ggsn = scn->ggsn,
                  .sgsn_per_ggsn = scn->sgsn_per_ggsn,
                  .rnc_per_sgsn = scn->rnc_per_sgsn,
                  .cells_per_rnc = scn->cells_per_rnc,
                  .core = scn->core,
                  .iu = scn->iu,
                  .dch = scn->dch,
                  .common = scn->common,
                  .ue_capacity = wl->ue_id_end,
                  .batch = scn->batch,
                  .batch_interval = scn->batch_interval,
                  .data_rate = scn->data_rate,
                  .packet_size = scn->packet_size,
                  .switch_delay = scn->switch_delay,
                  .data_until = scn->duration,
                  .verify_data = hooks && hooks->verify_data,
                  .crypto_per_ue = scn->crypto_per_ue,
                  .loss = {.common = {.model = (SimLossModel)scn->common_loss.model,
                                      .rate = scn->common_loss.loss,
                                      .loss_good = scn->common_loss.loss_good,
                                      .loss_bad = scn->common_loss.loss_bad},
                           .dch = {.model = (SimLossModel)scn->dch_loss.model,
                                   .rate = scn->dch_loss.loss,
                                   .loss_good = scn->dch_loss.loss_good,
                                   .loss_bad = scn->dch_loss.loss_bad},
                           .states = {.good_to_bad = scn->good_to_bad,
                                      .bad_to_good = scn->bad_to_good,
                                      .bad_fraction = scn->bad_fraction},
                           .dch_max_retx = scn->dch_max_retx,
                           .core = scn->core_loss,
                           .iu = scn->iu_loss,
                           .seed = scn->seed,
                           .recovery = scn->recovery,
                           .timeout = scn->recovery_timeout,
                           .retry = scn->recovery_retry,
                           .repeat = scn->repeat,
                           .repeat_interval = scn->repeat_interval,
                           .nas = (SimLossModel)scn->dch_loss.model != SIM_LOSS_NONE,
                           .t3380 = scn->t3380,
                           .t3390 = scn->t3390,
                           .nas_retx = scn->nas_retx,
                           .multicast_rounds = scn->multicast_rounds,
                           .round_length = scn->round_length}};

  gint64 t0 = g_get_monotonic_time();
  double c0 = cpu_now();
  sim_init();
  KtTree *tree = kt_tree_new(&kc);
  RunCtx rc = {.scn = scn, .wl = wl, .hooks = hooks};
  rc.metrics = metrics_new(scn->ggsn, scn_n_sgsn(scn), scn_n_rnc(scn));
  rc.completion = completion_new(wl->ue_id_end, rc.metrics);
  AdversaryConfig ac = {.all_cells = scn->eavesdrop_all_cells,
                        .collusion = scn->collusion,
                        .record_before_join = scn->record_before_join,
                        .n_cells = scn_n_cells(scn),
                        .n_ues = wl->ue_id_end};
  rc.adversaries = adversaries_new(&ac);
  rc.scratch_keys = g_array_new(FALSE, FALSE, sizeof(KtKey));
  NetObserver obs = {.on_send = obs_send,
                     .on_receive = obs_receive,
                     .on_reject = obs_reject,
                     .on_wrap = obs_wrap,
                     .on_unwrap = obs_unwrap,
                     .on_request = obs_request,
                     .on_group_install = obs_install,
                     .on_ue_unwraps = obs_ue_unwraps,
                     .on_group_installs = obs_group_installs,
                     .on_common_reach = obs_common_reach,
                     .on_plan = obs_plan,
                     .on_membership = obs_membership,
                     .on_move = obs_move,
                     .on_common_keys = obs_common_keys,
                     .on_common_data = obs_common_data,
                     .on_data_sent = obs_data_sent,
                     .on_data_members = obs_data_members,
                     .on_common_loss = obs_common_loss,
                     .on_dch_loss = obs_dch_loss,
                     .on_repeat = obs_repeat,
                     .on_round = obs_round,
                     .on_refused = obs_refused,
                     .ctx = &rc};
  rc.net = net_new(&nc, tree, &obs);
  bool traced = scn->trace_pcap && hooks && hooks->pcap_dir;
  char *trace_failed = NULL;
  if (traced && !net_trace_pcap(rc.net, hooks->pcap_dir, &trace_failed))
    traced = false;

  uint32_t n_cells = scn_n_cells(scn);
  for (uint32_t ue = 0; ue < wl->n_initial; ue++)
    net_provision(rc.net, ue, ue % n_cells);
  net_provision_done(rc.net);
  if (hooks && hooks->at_start)
    hooks->at_start(hooks->ctx, rc.net);
  rc.wl_order = sim_order_reserve(wl_n_events(wl));
  schedule_event(&rc, 0);
  gint64 t_loop = g_get_monotonic_time();
  double c_loop = cpu_now();
  if (!trace_failed)
    sim_run(0);
  out->sim_wall_s = (g_get_monotonic_time() - t_loop) / 1e6;
  out->sim_cpu_s = cpu_now() - c_loop;

  Summary *s = &out->summary;
  rc.metrics->link_drops = sim_link_drops();
  s->final_members = kt_tree_members(tree);
  uint64_t keys = 0;
  for (uint32_t ue = 0; ue < wl->ue_id_end; ue++)
    if (kt_tree_is_member(tree, ue))
      keys += net_ue_keys_held(rc.net, ue);
  s->keys_per_ue = s->final_members ? (double)keys / s->final_members : 0.0;
  AdversaryCounts adv = adversaries_counts(rc.adversaries);
  s->fwd_violations = adv.fwd_violations;
  s->bwd_exposures = adv.bwd_exposures;
  s->data_leaked = adv.fwd_data;
  s->data_sent = rc.data_sent;
  s->data_undecryptable_by_members = rc.data_undecryptable;
  out->data_verify_mismatches = net_data_verify_mismatches(rc.net);
  s->sim_events = sim_events_executed();
  s->sim_end_s = sim_now();
  s->loss = rc.loss;
  s->loss.recovery_abandoned = net_recovery_abandoned(rc.net);
  s->loss.nas_retransmissions = net_nas_retransmissions(rc.net);
  s->loss.nas_aborted = net_nas_aborted(rc.net);
  s->loss.members_without_current_key =
      members_without_current_key(rc.net, tree, wl->ue_id_end, scn->cells_per_rnc);
  /* (a departed UE that lost a key before it left may still wait for it:
   * only members' are a fault; without loss there are no others) */
  if (net_member_pending_wraps(rc.net) > 0)
    g_warning("%u key wraps never found their key at a member UE",
              net_member_pending_wraps(rc.net));
  if (net_ue_actions_waiting(rc.net) > 0)
    g_warning("%u UE actions never started (waiting behind a handover that did not end)",
              net_ue_actions_waiting(rc.net));

  if (hooks && hooks->at_end && !trace_failed)
    hooks->at_end(hooks->ctx, rc.net, tree, wl);
  if (traced && !sim_pcap_close())
    trace_failed = g_strdup(hooks->pcap_dir);

  net_free(rc.net);
  sim_destroy();
  kt_tree_free(tree);
  completion_free(rc.completion);
  adversaries_free(rc.adversaries);
  g_array_free(rc.scratch_keys, TRUE);
  wl_free(wl);
  /* after the network is freed: its latency samples (one per rekey) do not
   * add to the run's peak memory */
  report_summarise(rc.metrics, s);
  out->metrics = rc.metrics;
  out->wall_s = (g_get_monotonic_time() - t0) / 1e6;
  out->cpu_s = cpu_now() - c0;
  if (trace_failed) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s: pcap trace could not be written",
                trace_failed);
    g_free(trace_failed);
    run_result_clear(out);
    return FALSE;
  }
  return TRUE;
}

void run_result_clear(RunResult *r) {
  metrics_free(r->metrics);
  r->metrics = NULL;
}
