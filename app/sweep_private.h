/* sweep_private.h — what the sweep files share and nothing else sees:
 * the plan's layout, the figures string, the result rows and the helpers
 * that cross file boundaries. The public API is app/sweep.h.
 *
 *   sweep_plan.c     the plan: [sweep] and --set lists, cross product,
 *                    slugs, seeds, fingerprint
 *   sweep_exec.c     child runs: argv, spawn, wait, the --jobs loop
 *   sweep_figures.c  a run folder read back into its figures string
 *   sweep_progress.c the progress line on stderr
 *   sweep_stats.c    sweep.csv and sweep-stats.csv (mean, sd, Student-t CI)
 *   sweep_merge.c    shard files and `mbms-sim merge`
 *   sweep_folder.c   whether a sweep may write into its folder
 *
 * Errors as in sweep.h. Strings returned by functions here are owned by the
 * caller unless said otherwise.
 */
#pragma once
#include "app/sweep.h"

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_RUNS 1000000u

/* The figures of a run are stored as "header\x1fvalues" so that the header
 * travels with them (shards, MPI) and sweep.csv's header needs no extra run. */
#define SWEEP_FIG_SEP '\x1f'

/* ------------------------------------------------------ the plan (plan.c) */

typedef struct {
  char *key;   /* "section.key" */
  char *where; /* "file:line" or "--set" */
  GPtrArray *values;
} SweepDim;

struct SweepPlan {
  char *path;
  GPtrArray *plain; /* char*, NULL-terminated: the --set overrides that are not lists */
  GPtrArray *dims;  /* SweepDim* in canonical order */
  guint replications;
  guint n_points, n_runs;
  char *dir;
  char **slug;    /* per point */
  uint64_t *seed; /* per point: its run.seed */
  char *fingerprint;
  guint reused; /* runs read back by --resume instead of run (sweep_run) */
  guint done;   /* runs sweep_run ran or read back */
  /* [sweep] ci-target = FIGURE:REL (NULL: none) with replications =
   * MIN..MAX: `replications` is MAX (run i is still replication i mod MAX
   * + 1 of point i div MAX, so folders and seeds keep their rule), rep_min
   * is MIN; without ci-target rep_min = replications. */
  char *ci_figure; /* a sweep.csv figure column (the target's name less "_mean") */
  double ci_rel;   /* > 0 */
  guint rep_min;
  char *rep_where;   /* where replications was given ("file:line", "--set") */
  guint *point_n;    /* after sweep_run with ci_figure: replications run per point */
  gboolean *reached; /* ... and whether the point reached the target */
};

/* Checksums and fingerprints: BLAKE2b-256 (libsodium's crypto_generichash,
 * no key), written as 64 lowercase hex digits. */
#define SWEEP_HASH_BYTES 32u
#define SWEEP_HASH_HEX (2u * SWEEP_HASH_BYTES + 1u)
void sweep_hash_hex(const void *data, size_t len, char out[SWEEP_HASH_HEX]);

/* Sets a SCN_ERROR_INVALID error from a format; always returns FALSE. */
gboolean sweep_invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Value of swept key `d` at point `p` (owned by the plan). */
const char *sweep_point_value(const SweepPlan *plan, guint p, guint d);
/* "<point-slug>/rep-<r>", run i's folder relative to the sweep folder. */
char *sweep_run_rel(const SweepPlan *plan, guint i);
/* Run i's folder: the sweep folder joined with sweep_run_rel. */
char *sweep_run_dir(const SweepPlan *plan, guint i);
/* The seed of run i. */
uint64_t sweep_run_seed(const SweepPlan *plan, guint i);

/* -------------------------------------------- ci-target (sweep_stats.c) */

/* Whether the first n replications of point p (figures of runs p * MAX ..)
 * reach the plan's ci-target: at least 2 non-empty values of the figure
 * and a 95 % CI half-width below ci_rel x |mean|, or 0 (all values equal). */
gboolean sweep_ci_reached(const SweepPlan *plan, char **figures, guint p, guint n);
/* The figure columns of sweep.csv, comma-separated (caller frees). */
char *sweep_figures_header(void);

/* ---------------------------------------------------- sweep.json (json.c) */

/* Whether `text` is a sweep.json this program writes. */
gboolean sweep_json_is_ours(const char *text);

/* ------------------------------------------------------ --resume (resume.c) */

/* Run i's figures read back from its folder if that folder holds exactly
 * this run (same effective scenario, seed, events contents, program and
 * library versions); NULL if it must be run (again). */
char *sweep_run_reuse(const SweepPlan *plan, guint i);

/* ----------------------------------------------------- figures (figures.c) */

/* Reads a run folder back into its figures string, NULL + error. */
char *sweep_run_collect(const char *run_dir, GError **error);

/* -------------------------------------------------- result rows (stats.c) */

/* What the result files need, whether from a plan or from shard files. */
typedef struct {
  guint n_dims, replications, n_runs;
  char **dim_keys;   /* n_dims */
  char **dim_values; /* n_runs x n_dims, escaped CSV cells */
  char **run_prefix; /* per run: "replication,seed,run" cells */
  char **figures;    /* per run: "header\x1fvalues" */
  /* ci-target only (NULL otherwise): runs of each point, in order, and
   * whether the point reached the target (a column ci_target_reached) */
  guint n_points;
  const guint *point_n;
  const gboolean *reached;
} SweepRows;

/* Fills `t` from the plan; `figures` is borrowed (not freed by clear). */
void sweep_rows_from_plan(const SweepPlan *plan, char **figures, SweepRows *t);
/* Frees what sweep_rows_from_plan (or merge) allocated, except figures. */
void sweep_rows_clear(SweepRows *t);
/* Writes `dir`/sweep.csv and `dir`/sweep-stats.csv atomically. */
gboolean sweep_rows_write(const char *dir, const SweepRows *t, GError **error);

/* -------------------------------------------------------- shards (merge.c) */

/* Writes `plan->dir`/sweep-shard-K-of-N.csv from the shard's figures. */
gboolean sweep_write_shard(const SweepPlan *plan, guint k, guint n, char **figures, GError **error);
