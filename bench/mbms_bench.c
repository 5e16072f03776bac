/* mbms_bench.c — the benchmark behind scripts/bench (not a test).
 *
 *   mbms-bench [--set SECTION.KEY=VALUE]... SCENARIO.ini
 *
 * Runs one scenario and measures, in the same process and so under the
 * same machine load, in CPU time of the process (the run is single-
 * threaded, so CPU time is what it costs, whatever else the shared machine
 * runs; wall time is printed beside it):
 *   - set-up (topology, provisioning of the initial members) and event loop;
 *   - the floor: one libsodium open (XChaCha20-Poly1305) of a wrapped
 *     32-byte key, exactly what a UE does to receive a key, timed over at
 *     least one second of CPU (calibrated: the count doubles until it takes
 *     1 s);
 *   - µs of event-loop CPU per member in scope per leave: loop CPU over the
 *     sum, over leaves, of the members that must install the leave's new
 *     group key (installs_expected; joins' cost is charged to the leaves
 *     too), and that over the floor;
 *   - peak RSS per UE (VmHWM of the whole process / UEs ever present);
 *   - bare ns-3 scheduling (empty events) in CPU time, for the events/s
 *     ratio.
 * The last line, "RESULT key=value ...", is for scripts/bench, which runs
 * one process per configuration (peak RSS is per process) and prints the
 * table of targets. Asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/run.h"
#include "keytree/kt_keygen.h"
#include "keytree/kt_wrap.h"
#include "sim/sim.h"

static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long kb = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && line[n] == ':')
      kb = strtol(line + n + 1, NULL, 10);
  fclose(f);
  return kb;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of one open of a wrapped key, the same wrap as a UE opens,
 * calibrated to at least `min_s` of CPU. */
static double unwrap_cpu_s(double min_s, unsigned long *opens) {
  kt_crypto_init();
  KtKeyGen *gen = kt_keygen_new(1);
  KtKey key, under, out;
  kt_keygen_fresh(gen, &key, (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, 0), 2});
  kt_keygen_fresh(gen, &under, (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, 0), 1});
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_nonce(gen, nonce);
  KtWrap w;
  kt_wrap(&w, &key, &under, nonce);
  unsigned long n = 1000;
  double s;
  for (;;) {
    double t0 = cpu_now();
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++)
      ok += kt_unwrap(&out, &w, &under) == 0;
    s = cpu_now() - t0;
    g_assert(ok == n);
    if (s >= min_s)
      break;
    n *= 2;
  }
  kt_keygen_free(gen);
  *opens = n;
  return s / n;
}

static double bare_rate_cpu(uint64_t n) {
  sim_init();
  double t0 = cpu_now();
  sim_bench_bare_events(n);
  double s = cpu_now() - t0;
  sim_destroy();
  return n / s;
}

static void usage(void) {
  fprintf(stderr, "usage: mbms-bench [--set SECTION.KEY=VALUE]... SCENARIO.ini\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *path = NULL;
  GPtrArray *sets = g_ptr_array_new();
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--set") == 0 && i + 1 < argc)
      g_ptr_array_add(sets, argv[++i]);
    else if (argv[i][0] == '-' || path)
      usage();
    else
      path = argv[i];
  }
  if (!path)
    path = "scenarios/bench.ini";
  g_ptr_array_add(sets, NULL);
  GError *error = NULL;
  Scenario *scn = scn_load(path, (const char *const *)sets->pdata, &error);
  if (!scn) {
    fprintf(stderr, "mbms-bench: %s\n", error->message);
    return 2;
  }
  long rss0 = status_kb("VmRSS");
  RunResult r;
  if (!run_scenario(scn, NULL, &r, &error)) {
    fprintf(stderr, "mbms-bench: %s\n", error->message);
    return 1;
  }
  long hwm = status_kb("VmHWM");
  const Summary *s = &r.summary;
  unsigned long opens;
  double floor_s = unwrap_cpu_s(1.0, &opens);
  double bare = bare_rate_cpu(s->sim_events > 1000000 ? s->sim_events : 1000000);

  /* members in scope at each leave: those that must install its new group
   * key (embodiment 1: the whole group; embodiment 2: the leaver's RNC) */
  double members_sum = 0;
  guint leaves = 0;
  for (guint i = 0; i < metrics_n_events(r.metrics); i++) {
    const EventRecord *e = metrics_event(r.metrics, i);
    if (e->kind == EV_LEAVE) {
      members_sum += e->installs_expected;
      leaves++;
    }
  }
  uint32_t ues = scn->initial_members + s->joins;
  double setup_cpu = r.cpu_s - r.sim_cpu_s, setup_wall = r.wall_s - r.sim_wall_s;
  double us_member = members_sum > 0 ? 1e6 * r.sim_cpu_s / members_sum : 0;
  double ratio = us_member / (1e6 * floor_s);
  double rss_per_ue = hwm * 1024.0 / ues;
  double ev_ratio = (s->sim_events / r.sim_cpu_s) / bare;
  bool adversaries = scn->record_before_join > 0;

  printf("mbms-bench: %s (%u initial members, %u joins, %u leaves, %u moves, %s, embodiment %d, "
         "joiners recording %s)\n",
         path, scn->initial_members, s->joins, s->leaves, s->moves, scn->scheme, scn->embodiment,
         adversaries ? "on" : "off");
  if (scn->reliability_report)
    printf("  loss and recovery     %llu receptions lost, %llu key requests, %llu answers, "
           "%u members without the current key\n",
           (unsigned long long)s->loss.common_losses, (unsigned long long)s->loss.key_requests,
           (unsigned long long)s->loss.recovery_replies, s->loss.members_without_current_key);
  printf("  set-up                %10.3f s CPU (%.3f s wall)\n", setup_cpu, setup_wall);
  printf("  event loop            %10.3f s CPU (%.3f s wall), %llu events\n", r.sim_cpu_s,
         r.sim_wall_s, (unsigned long long)s->sim_events);
  printf("  floor (one unwrap)    %10.4f us CPU (%lu opens in %.2f s CPU)\n", 1e6 * floor_s, opens,
         floor_s * opens);
  printf("  per member per leave  %10.4f us CPU = %.2f x floor (%.0f members in scope per "
         "leave)\n",
         us_member, ratio, leaves ? members_sum / leaves : 0);
  printf("  peak RSS              %10.0f B per UE (%ld KiB, %ld KiB before the run, %u UEs)\n",
         rss_per_ue, hwm, rss0, ues);
  printf("  events/s              %10.1f %% of bare ns-3 scheduling (both in CPU time)\n",
         100 * ev_ratio);
  printf("RESULT scheme=%s emb=%d members=%u adv=%s leaves=%u setup_cpu=%.3f loop_cpu=%.3f "
         "wall=%.3f us_member_leave=%.4f floor_us=%.4f ratio=%.3f rss_per_ue=%.0f\n",
         scn->scheme, scn->embodiment, scn->initial_members, adversaries ? "on" : "off", leaves,
         setup_cpu, r.sim_cpu_s, r.wall_s, us_member, 1e6 * floor_s, ratio, rss_per_ue);
  run_result_clear(&r);
  scn_free(scn);
  g_ptr_array_free(sets, TRUE);
  return 0;
}
