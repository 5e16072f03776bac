/* mbms_bench.c — the benchmark behind scripts/bench (not a test).
 *
 * Runs a scenario (scenarios/bench.ini: 100 000 members, about 1 000 joins
 * and leaves) and measures, in the same process and so under the same
 * machine load:
 *   - our simulated events/s against bare ns-3 scheduling (empty events);
 *   - wall time per leave against its floor: the members in scope times the
 *     wall time of one libsodium unwrap (each member must decrypt the new
 *     group key at least once);
 *   - peak RSS per UE (VmHWM of the whole process / UEs).
 * Prints the figures and the ratios against the design targets; asserts
 * nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Unwraps per second with libsodium, on the same wrap as a UE opens. */
static double unwrap_rate(void) {
  kt_crypto_init();
  KtKeyGen *gen = kt_keygen_new(1);
  KtKey key, under, out;
  kt_keygen_fresh(gen, &key, (KtKeyRef){KT_KEY_ID(KT_KEY_GROUP, 0), 2});
  kt_keygen_fresh(gen, &under, (KtKeyRef){KT_KEY_ID(KT_KEY_SUBGROUP, 0), 1});
  unsigned char nonce[KT_NONCEBYTES];
  kt_keygen_nonce(gen, nonce);
  KtWrap w;
  kt_wrap(&w, &key, &under, nonce);
  const int n = 200000;
  gint64 t0 = g_get_monotonic_time();
  int ok = 0;
  for (int i = 0; i < n; i++)
    ok += kt_unwrap(&out, &w, &under) == 0;
  double s = (g_get_monotonic_time() - t0) / 1e6;
  g_assert(ok == n);
  kt_keygen_free(gen);
  return n / s;
}

static double bare_rate(uint64_t n) {
  sim_init();
  double s = sim_bench_bare_events(n);
  sim_destroy();
  return n / s;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "scenarios/bench.ini";
  GError *error = NULL;
  Scenario *scn = scn_load(path, NULL, &error);
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
  double events_per_s = s->sim_events / r.sim_wall_s;
  /* the bare rate is measured after the run, with the same number of events */
  double bare = bare_rate(s->sim_events > 1000000 ? s->sim_events : 1000000);
  double unwraps = unwrap_rate();

  /* scope members at each leave, on average (embodiment 1: the whole group) */
  double members_sum = 0;
  guint leaves = 0;
  uint64_t in_scope = scn->initial_members;
  for (guint i = 0; i < r.metrics->events->len; i++) {
    const EventRecord *e = metrics_event(r.metrics, i);
    if (e->kind == EV_MOVE)
      continue; /* no member in or out */
    if (e->kind == EV_JOIN) {
      in_scope++;
    } else {
      in_scope--;
      members_sum += e->installs_expected;
      leaves++;
    }
  }
  double per_leave = leaves ? r.sim_wall_s / leaves : 0; /* joins' cost charged to leaves too */
  double floor_per_leave = leaves ? (members_sum / leaves) / unwraps : 0;
  uint32_t ues = scn->initial_members + s->joins;

  printf("mbms-bench: %s (%u initial members, %u joins, %u leaves, %u moves, embodiment %d)\n",
         path, scn->initial_members, s->joins, s->leaves, s->moves, scn->embodiment);
  printf("  wall time             %10.3f s (event loop %.3f s)\n", r.wall_s, r.sim_wall_s);
  printf("  simulated events      %10llu  -> %.0f events/s\n", (unsigned long long)s->sim_events,
         events_per_s);
  printf("  bare ns-3 scheduling  %10.0f events/s\n", bare);
  printf("  libsodium unwrap      %10.0f unwraps/s\n", unwraps);
  printf("  peak RSS              %10ld KiB (before run %ld KiB) over %u UEs\n", hwm, rss0, ues);
  /* Real decryption is part of every simulated event that delivers a key:
   * the crypto floor is what libsodium alone needs for the run's unwraps and
   * wraps (a wrap costs about an unwrap). Events/s net of it shows the cost
   * of the simulator itself against bare ns-3 scheduling. */
  double crypto_s = (double)(s->unwraps + s->wraps) / unwraps;
  double net_s = r.sim_wall_s - crypto_s;
  double net_events_per_s = net_s > 0 ? s->sim_events / net_s : 0;
  double ev_ratio = events_per_s / bare, net_ratio = net_events_per_s / bare;
  double leave_ratio = per_leave / floor_per_leave, rss_per_ue = hwm * 1024.0 / ues;
  printf("  crypto floor          %10.3f s (%llu unwraps + %llu wraps at the rate above)\n",
         crypto_s, (unsigned long long)s->unwraps, (unsigned long long)s->wraps);
  printf("\n  %-46s %10s %10s  %s\n", "target", "measured", "target", "met");
  printf("  %-46s %8.1f %% %10s  %s\n", "events/s / bare ns-3 events/s", 100 * ev_ratio, ">= 50 %",
         ev_ratio >= 0.5 ? "yes" : "no");
  printf("  %-46s %8.1f %% %10s  %s\n", "  same, event-loop time net of crypto floor",
         100 * net_ratio, "(info)", "");
  printf("  %-46s %8.2f x %10s  %s\n", "wall per leave / (members x one unwrap)", leave_ratio,
         "<= 2 x", leave_ratio <= 2.0 ? "yes" : "no");
  printf("  %-46s %8.0f B %10s  %s\n", "peak RSS per UE", rss_per_ue, "<= 2048 B",
         rss_per_ue <= 2048 ? "yes" : "no");
  run_result_clear(&r);
  scn_free(scn);
  return 0;
}
