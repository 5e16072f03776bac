/* sweep.h — parameter sweeps: the plan, running its runs, sweep.csv and
 * sweep-stats.csv, shards and their merge.
 *
 * A sweep is the cross product of the value lists of its swept keys (the
 * scenario's [sweep] section, then `--set section.key=v1,v2` lists), times
 * `replications`. Run i is replication r = i mod R + 1 of point p = i div R;
 * points enumerate the cross product with the first swept key varying
 * slowest. Each run is a fresh child process of mbms-sim (ns-3's simulator is
 * a process-wide singleton) writing DIR/<point-slug>/rep-<r>/ as a single run
 * does; the parent then reads that folder back into one row of sweep.csv.
 * Rows and statistics are built from the run folders in run order only, so
 * the files are byte-identical whatever --jobs, --shard or MPI did.
 *
 * Seeds: replication 1 uses the point's run.seed itself (so it equals the
 * single run with the same keys); replication k >= 2 uses
 * splitmix64(run.seed + (k-1) * 0x9E3779B97F4A7C15), the (k-1)-th output of
 * SplitMix64 seeded with run.seed.
 *
 * Errors: GError in SCN_ERROR; SCN_ERROR_INVALID is a user mistake (exit 2,
 * nothing written), SCN_ERROR_IO a failure (exit 1). The SweepPlan owns all
 * of its strings; free with sweep_plan_free().
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct SweepPlan SweepPlan;

/* True if the scenario or the overrides ask for a sweep ([sweep] section,
 * a --set list or sweep.replications). false + error if unreadable. */
gboolean sweep_requested(const char *path, const char *const *overrides, gboolean *out,
                         GError **error);

/* Builds and validates every point (nothing is written). `output` is the
 * sweep folder, NULL for results/<run.name>. */
SweepPlan *sweep_plan_new(const char *path, const char *const *overrides, const char *output,
                          GError **error);
void sweep_plan_free(SweepPlan *plan);
guint sweep_plan_n_runs(const SweepPlan *plan);
/* Whether the sweep has a [sweep] ci-target. */
gboolean sweep_plan_has_ci_target(const SweepPlan *plan);
/* With [sweep] ci-target, after sweep_run: one line saying how many points
 * reached it and how many runs it took; NULL without ci-target. */
char *sweep_plan_ci_summary(const SweepPlan *plan);
/* Runs that sweep_run ran or read back (a shard's; with ci-target, those it needed). */
guint sweep_plan_n_done(const SweepPlan *plan);
/* Runs that sweep_run read back (--resume) instead of running them. */
guint sweep_plan_n_reused(const SweepPlan *plan);
const char *sweep_plan_dir(const SweepPlan *plan);

/* Seed of replication `rep` (1-based) of a point whose run.seed is `seed`. */
uint64_t sweep_seed(uint64_t seed, guint rep);
/* Two-sided 95 % Student-t quantile t(0.975, df), df >= 1. */
double sweep_t975(guint df);

typedef struct {
  gboolean progress;      /* on stderr, overwriting one line */
  guint jobs;             /* worker processes, >= 1 */
  guint shard_k, shard_n; /* 1-based part k of n; 0/0 = everything */
  gboolean resume;        /* reuse run folders that hold exactly their run */
} SweepOptions;

/* Runs the plan's runs (all, or a shard's) and writes sweep.csv and
 * sweep-stats.csv (or, for a shard, sweep-shard-K-of-N.csv). */
gboolean sweep_run(SweepPlan *plan, const SweepOptions *opt, GError **error);

/* Parses "K/N" (1 <= K <= N <= 1000000). */
gboolean sweep_parse_shard(const char *text, guint *k, guint *n, GError **error);

/* Combines the shard files found in `dirs` into sweep.csv and
 * sweep-stats.csv in `output` (NULL: the first dir). */
gboolean sweep_merge(const char *const *dirs, const char *output, GError **error);

/* ---- pieces shared with app/sweep_mpi.c ---- */

/* Starts run `i` in a child process (reap it with waitpid), and turns its
 * wait status into its figures (NULL + error if it failed). */
gboolean sweep_spawn(const SweepPlan *plan, guint i, GPid *pid, GError **error);
char *sweep_finish(const SweepPlan *plan, guint i, int status, GError **error);
/* Runs run `i` in a child process and returns its sweep.csv figures
 * (caller frees), NULL + error on failure. */
char *sweep_run_one(const SweepPlan *plan, guint i, GError **error);
/* TRUE if the sweep folder `dir` does not exist or holds, at its top,
 * nothing but folders and files a sweep writes (app/sweep_folder.c);
 * otherwise SCN_ERROR_INVALID naming the first foreign entry. */
gboolean sweep_folder_check(const char *dir, GError **error);
/* Writes sweep.json (provenance; after sweep.csv): `runs` run or read
 * back, wall_s the sweep's wall time. */
gboolean sweep_write_json(const SweepPlan *plan, guint runs, double wall_s, GError **error);
/* Writes sweep.csv and sweep-stats.csv from the figures of every run. */
gboolean sweep_write_results(const SweepPlan *plan, char **figures, GError **error);

/* Progress meter (no-op unless enabled). */
typedef struct SweepProgress SweepProgress;
SweepProgress *sweep_progress_new(gboolean enabled, guint total);
void sweep_progress_done(SweepProgress *p, const char *figures);
void sweep_progress_tick(SweepProgress *p);
void sweep_progress_free(SweepProgress *p);

/* MPI (app/sweep_mpi.c, only when built with MPI). */
gboolean sweep_mpi_launched(void);
int sweep_mpi_main(const char *path, const char *const *overrides, const char *output,
                   gboolean progress, gboolean quiet);
