/* run.h — one simulation run of a scenario, start to finish, in-process.
 *
 * run_scenario() builds the workload (validating it: nothing is simulated
 * or written if it is bad), the key tree, the simulation and the network,
 * provisions the initial members, fires every join and leave at its time,
 * runs until every message has been delivered, and fills a RunResult.
 * Writing files is the caller's job (report_write), so a failed run leaves
 * nothing behind.
 *
 * RunHooks let tests and the benchmark look inside without the app knowing
 * them: every message sent, and the network at the end, before teardown.
 */
#pragma once
#include <glib.h>

#include "app/metrics.h"
#include "app/report.h"
#include "app/scenario.h"
#include "app/workload.h"
#include "nodes/net.h"

typedef struct {
  void (*on_send)(void *ctx, double now, NetElement from, NetVia via, const Msg *msg,
                  uint32_t n_tx);
  /* the network once the initial members are provisioned, before the
   * first event (a test may schedule its own sim events on it) */
  void (*at_start)(void *ctx, Net *net);
  /* UE `ue` lost its reception of a common-channel key assignment `msg`
   * (NULL: a data packet) at `now` (docs/reliability.md) */
  void (*on_common_loss)(void *ctx, double now, uint32_t ue, const Msg *msg);
  /* the network after the last message, before it is freed */
  void (*at_end)(void *ctx, const Net *net, const KtTree *tree, const Workload *wl);
  void *ctx;
  /* check every data reception by real decryption too (slow; tests) */
  bool verify_data;
  /* with [trace] pcap = true: the existing folder the pcap files go into
   * (NULL: the run writes none) */
  const char *pcap_dir;
} RunHooks;

typedef struct {
  Metrics *metrics; /* owned by the result */
  Summary summary;
  double wall_s;     /* wall time of the whole run (set-up included) */
  double sim_wall_s; /* wall time of the event loop only (after provisioning) */
  /* the same two in CPU time of the process (the run is single-threaded):
   * what the benchmark reports, steady under a shared machine's load */
  double cpu_s, sim_cpu_s;
  /* with RunHooks.verify_data: receptions where bookkeeping and real
   * decryption disagreed (must be 0) */
  uint64_t data_verify_mismatches;
} RunResult;

/* Before anything is built, the memory the run needs is estimated from
 * measured per-object costs (run.c) and a run that cannot fit is refused
 * (SCN_ERROR_INVALID, exit 2) with the estimate and the memory available. */
double run_estimate_bytes(const Scenario *scn, uint32_t n_ue_ids);
double run_memory_available(const char **what);
gboolean run_scenario(const Scenario *scn, const RunHooks *hooks, RunResult *out, GError **error);
void run_result_clear(RunResult *r);
