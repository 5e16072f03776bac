/* scenario.h — scenario files (GLib key files) and --set overrides.
 *
 * A scenario is read in three steps, as ns-3 does with its command line:
 * the file is loaded, the `--set section.key=value` overrides are laid over
 * it, then every key is validated into a Scenario. Every user-facing error
 * is one GError (domain SCN_ERROR) whose message is a single line
 *   "<file>:<line>: <section>.<key>: <what is wrong>"
 * (for an override: "--set: <section>.<key>: ..."; for a whole-file problem:
 * "<file>: ..."). Nothing is written anywhere before validation succeeds.
 * Every key, its type, range and default is documented in
 * scenarios/README.md; unknown sections and keys are errors.
 *
 * The Scenario owns its strings; free with scn_free().
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_tree.h"

#define SCN_ERROR (scn_error_quark())
GQuark scn_error_quark(void);
/* INVALID: the user's input (scenario, events CSV, command line; also an
 * input file that cannot be read): exit code 2. IO: a failure while running
 * or writing results: exit code 1. */
typedef enum { SCN_ERROR_INVALID = 1, SCN_ERROR_IO = 2 } ScnErrorCode;
/* The exit status for `error`: 2 for the user's input, else 1. */
int scn_exit_status(const GError *error);

typedef struct {
  /* [run] */
  char *name;            /* default: the file's basename without .ini */
  uint64_t seed;         /* default 1 */
  double duration;       /* s, default 100 */
  char *scheme;          /* "patent" (default) | "unicast" | "broadcast" | "lkh" */
  KtScheme scheme_kind;  /* the tree: for batch, that of batch-tree */
  bool batch;            /* scheme batch */
  uint32_t lkh_degree;   /* >= 2, default 4 */
  char *batch_tree;      /* "patent" (default) | "lkh"; for scheme batch */
  double batch_interval; /* s, > 0, default 1; for scheme batch */
  int embodiment;        /* 1 | 2, default 1 */
  bool join_rekey;       /* default false */
  /* [topology] */
  uint32_t ggsn, sgsn_per_ggsn, rnc_per_sgsn, cells_per_rnc; /* defaults 1, 2, 2, 4 */
  uint32_t subgroup_size;                                    /* default 8 */
  KtSubgroupPolicy subgroup_policy;                          /* default per-cell */
  /* [links]: rates in bit/s, delays in s */
  double core_rate, core_delay, iu_rate, iu_delay;
  double dch_rate, dch_delay, common_rate, common_delay;
  /* [workload] */
  uint32_t initial_members;
  double join_rate;       /* 1/s, 0 = no generated joins */
  double mean_membership; /* s, 0 = members never leave by themselves */
  char *events_path;      /* resolved against the scenario's folder, or NULL */
  /* [security]: the adversaries (see app/adversary.h) */
  bool eavesdrop_all_cells;  /* eavesdrop = own-cell (default) | all-cells */
  bool collusion;            /* departed UEs pool their keys; default false */
  double record_before_join; /* s, default 60 */
  /* [data]: the MBMS session stream (see docs/flows.md) */
  double data_rate;     /* bit/s of payload; 0 (default) = no data plane */
  uint32_t packet_size; /* payload bytes per packet, default 512 */
  double switch_delay;  /* s after the new group key is sent; default 0 */
  /* [trace] */
  bool trace_pcap; /* pcap files beside the results; default false */
  /* where it came from, for error messages and the effective-config dump */
  char *source_path;
} Scenario;

/* Loads `path`, applies `overrides` (NULL-terminated "section.key=value"
 * strings, may be NULL) and validates. NULL + error on any problem. */
Scenario *scn_load(const char *path, const char *const *overrides, GError **error);

/* Sweeps (app/sweep.h). A [sweep] section is accepted and ignored by
 * scn_load; its entries, in file order, come from scn_sweep_entries (NULL +
 * error on an unreadable or malformed file; the rest is not validated).
 * scn_load_point lays `point` ("section.key=value", NULL-terminated) over
 * the overrides; a problem with point[i] is reported at point_where[i]
 * ("file:line" or "--set") instead of the key's place. */
typedef struct {
  char *key;   /* as written: "section.key" or "replications" */
  char *value; /* stripped */
  guint line;
} ScnSweepEntry;
GPtrArray *scn_sweep_entries(const char *path, GError **error);
Scenario *scn_load_point(const char *path, const char *const *overrides, const char *const *point,
                         const char *const *point_where, GError **error);
/* True if `section`.`key` is a scenario key (the [sweep] section has none). */
bool scn_known_key(const char *section, const char *key);
void scn_free(Scenario *scn);

/* Shared with the events CSV reader (workload.c). */
/* A value fit for a one-line message: control characters escaped, values
 * longer than 60 characters cut. Caller frees. */
char *scn_quote(const char *value);
/* Bound on an input file (scenario or events CSV): 256 MiB, about 10^7
 * CSV rows, and no more than a run could hold in memory anyway. */
#define SCN_MAX_INPUT_BYTES (256u << 20)
/* The whole file; NULL + SCN_ERROR_INVALID "<path>: <reason>" if it cannot
 * be read (an input file is the user's), is not a regular file (a FIFO or
 * a device is never opened for blocking reads) or exceeds
 * SCN_MAX_INPUT_BYTES. */
char *scn_read_file(const char *path, gsize *len, GError **error);

/* Derived topology sizes. */
uint32_t scn_n_sgsn(const Scenario *scn);
uint32_t scn_n_rnc(const Scenario *scn);
uint32_t scn_n_cells(const Scenario *scn);

/* The effective configuration as a key file text (every key, defaults
 * included), written beside the results. Caller frees. */
char *scn_to_ini(const Scenario *scn);
