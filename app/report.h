/* report.h — results files and the stdout summary.
 *
 * Writes rekeys.csv, summary.csv, summary.json, elements.csv and
 * scenario.ini (the effective configuration) into a results folder. Files are
 * first written into "<dir>.tmp-XXXXXX" beside it and the folder is renamed
 * into place only when every file is complete, so a failed run never leaves
 * half-written results (an existing <dir> is replaced only on success).
 * The swap is crash-safe (renameat2 RENAME_EXCHANGE): <dir> names a complete
 * folder at every instant, and leftovers of a killed run are cleaned up by
 * the next one (report.c). Numbers are formatted without locale in a fixed
 * format where it reads back exactly, else in the shortest exact %.17g
 * form, so the same run gives byte-identical files and every number reads
 * back as the value used.
 */
#pragma once
#include <glib.h>
#include <stdio.h>

#include "app/metrics.h"
#include "app/scenario.h"

/* Loss and recovery (docs/reliability.md), reported when the scenario uses
 * [loss] or [reliability]. The totals count every message, those that
 * belong to no event (key requests, a frame of a request sent again)
 * included, so they can exceed the sums of rekeys.csv's columns. */
typedef struct {
  uint64_t retransmissions, dch_lost, common_losses, p2m_repeats;
  uint64_t key_requests, recovery_replies, recovery_bytes, refused_requests;
  uint64_t recovery_abandoned, data_lost;
  guint members_without_current_key;
  uint64_t nas_retransmissions, nas_aborted; /* with Scenario.nas_report */
  uint64_t round_tx, round_bytes;            /* with Scenario.rounds_report */
} SummaryLoss;

typedef struct {
  guint joins, leaves;
  /* Mobility (reported when the scenario has a [mobility] key): moves, of
   * which between RNCs, and rekey messages (p2p + p2m + core) of the
   * events of each cause, and core messages of moves. */
  guint moves, inter_rnc_moves;
  uint64_t rekey_msgs_join, rekey_msgs_leave, rekey_msgs_move, core_msgs_move;
  uint64_t p2p_msgs, p2m_msgs, p2m_tx, core_msgs, signalling_msgs, bytes;
  uint64_t wraps, unwraps, unwrap_failures, rejected_msgs, link_drops;
  /* Rekeys (group key changed, installs expected) whose installations never
   * all happened: left out of the latency figures, reported apart. */
  guint incomplete_rekeys;
  /* Over events whose key changed and whose installations completed
   * (p95: nearest rank). 0 when there is none. */
  double latency_mean, latency_p95, latency_max;
  /* Security (app/adversary.h) and the data plane: the caller's. */
  uint64_t fwd_violations, bwd_exposures;
  uint64_t data_sent;                     /* packets the source sent */
  uint64_t data_undecryptable_by_members; /* (packet, member) receptions without the key */
  uint64_t data_leaked;                   /* packets a non-member opened */
  guint final_members;
  double keys_per_ue;  /* keys held per member UE at the end */
  uint64_t sim_events; /* ns-3 events executed */
  double sim_end_s;    /* simulated time at the end */
  SummaryLoss loss; /* the caller's */
} Summary;

/* Writes only the fields it computes from `m` (joins … latency_max,
 * incomplete_rekeys); the security and data counts, final_members,
 * keys_per_ue, sim_events and sim_end_s are the caller's and are left as
 * they are. */
void report_summarise(const Metrics *m, Summary *out);
/* Writes every file; false + error (SCN_ERROR_IO) if anything fails, in
 * which case `dir` is left as it was. Missing parent folders are created.
 * An existing `dir` is replaced only if it holds nothing but files this
 * module writes (and a plots/ folder of scripts/plot's figures); otherwise
 * it is an error, so that no foreign file is ever deleted.
 * In rekeys.csv, latency_s is empty for a rekey that never completed. */
gboolean report_write(const char *dir, const Scenario *scn, const Metrics *m, const Summary *s,
                      GError **error);
/* What a run adds besides its counts (main.c's single run). */
typedef struct {
  const char *trace_dir; /* pcap files ([trace] pcap) to move into the results, or NULL */
  double wall_s;         /* the run's wall time for provenance.json; < 0: unknown */
} ReportExtras;
/* report_write, plus `extras` (NULL: none). Every file report_write writes
 * also holds provenance: summary.json a "provenance" object (program and
 * library versions, scenario and events hashes, seed: the same for the same
 * build, scenario and seed), provenance.json the same members plus the host,
 * the wall time and the time of writing (which differ from run to run). */
gboolean report_write_full(const char *dir, const Scenario *scn, const Metrics *m, const Summary *s,
                           const ReportExtras *extras, GError **error);
/* summary.csv's header line (no newline); caller frees. */
char *report_summary_header(void);
void report_print(FILE *out, const Scenario *scn, const Summary *s);
/* Writes one file atomically: into "<path>.tmp-XXXXXX" beside it, renamed
 * onto `path` when complete (parents created). false + error (SCN_ERROR_IO)
 * leaves `path` as it was. Used for sweep.csv and sweep-stats.csv. */
gboolean report_write_file_atomic(const char *path, const char *text, size_t len, GError **error);
