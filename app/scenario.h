/* scenario.h — scenario files (GLib key files) and --set overrides.
 *
 * A scenario is read in three steps, as ns-3 does with its command line:
 * the file is loaded, the `--set section.key=value` overrides are laid over
 * it, then every key is validated into a Scenario. Every user-facing error
 * is one GError (domain SCN_ERROR) whose message is a single line
 *   "<file>:<line>: <section>.<key>: <what is wrong>"
 * (for an override: "--set: <section>.<key>: ..."; for a whole-file problem:
 * "<file>: ..."). Nothing is written anywhere before validation succeeds.
 * Every key, its type, range and default is one row of the table in
 * app/scenario_keys.c (documented in scenarios/README.md); unknown sections
 * and keys are errors.
 *
 * The Scenario owns its strings; free with scn_free().
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/scenario_input.h"
#include "keytree/kt_tree.h"
#include "sim/sim.h"

/* One channel class of [links]: sim/'s parameter set (sim/sim.h), filled
 * by the keys of the class and handed to nodes/ and sim/ whole. */
typedef SimChannel ScnChannel;

/* One radio channel class of [loss]: its model (SimLossModel's order:
 * none, bernoulli, gilbert-elliott) and parameters. */
typedef struct {
  int model;
  double loss;                /* bernoulli */
  double loss_good, loss_bad; /* gilbert-elliott, per state */
} ScnLoss;

/* The fields the keys fill. Each key's type, range and default are in the
 * table app/scenario_keys.c (documented in scenarios/README.md); the
 * comments here say only what a field means where its key does not. */
typedef struct {
  /* [run] */
  char *name;
  uint64_t seed;
  double duration; /* s */
  char *scheme;
  KtScheme scheme_kind; /* the tree: for batch, that of batch-tree */
  bool batch;           /* scheme batch */
  uint32_t lkh_degree;
  uint32_t sd_capacity;          /* scheme sd: leaves per tree, a power of two */
  bool msk_on_leave;             /* scheme 3gpp: a new MSK on each leave */
  double msk_period, mtk_period; /* scheme 3gpp: s, 0 = none */
  char *batch_tree;              /* for scheme batch */
  double batch_interval;         /* s; for scheme batch */
  bool crypto_per_ue;             /* [run] crypto = per-ue: no shared opens (reference) */
  int embodiment;
  bool join_rekey;
  /* [topology] */
  uint32_t ggsn, sgsn_per_ggsn, rnc_per_sgsn, cells_per_rnc;
  uint32_t subgroup_size;
  KtSubgroupPolicy subgroup_policy;
  /* [links]: core (BM-SC-GGSN, GGSN-SGSN), iu (SGSN-RNC), the dedicated
   * (dch) and the common radio channel */
  ScnChannel core, iu, dch, common;
  /* [workload] */
  uint32_t initial_members;
  double join_rate;       /* 1/s, 0 = no generated joins */
  double mean_membership; /* s, 0 = members never leave by themselves */
  char *events_path;      /* resolved against the scenario's folder, or NULL */
  /* [security]: the adversaries (see app/adversary.h) */
  bool eavesdrop_all_cells;  /* eavesdrop = all-cells */
  bool collusion;            /* departed UEs pool their keys */
  double record_before_join; /* s */
  /* [data]: the MBMS session stream (see docs/flows.md) */
  double data_rate;     /* bit/s of payload; 0 = no data plane */
  uint32_t packet_size; /* payload bytes per packet */
  double switch_delay;  /* s after the new group key is sent */
  /* [loss] and [reliability] (docs/reliability.md) */
  ScnLoss common_loss, dch_loss;
  uint32_t dch_max_retx;
  double good_to_bad, bad_to_good, bad_fraction;
  double core_loss, iu_loss;
  bool recovery;
  double recovery_timeout, recovery_retry;
  uint32_t repeat;
  double repeat_interval;
  double t3380, t3390; /* NAS timers, s (lossy dedicated channels) */
  uint32_t nas_retx;
  uint32_t multicast_rounds; /* Zhang et al.'s reactive rounds, 0 = none */
  double round_length;       /* s */
  /* a key of [loss] or [reliability] was given (file, --set or sweep): the
   * run reports the loss and recovery figures, and scenario.ini lists
   * these sections; otherwise both are left out, so that results of
   * scenarios that do not use them stay exactly as before */
  bool reliability_report;
  /* [loss] dch or a NAS key was given: the NAS figures are reported too */
  bool nas_report;
  /* a multicast-rounds or round-length key was given: round figures too */
  bool rounds_report;
  /* [mobility] (docs/flows.md, "Handover") */
  double handover_rate; /* 1/s per member; 0 = static */
  double intra_rnc;     /* probability a move stays under its RNC */
  double intra_sgsn;    /* of the rest, probability it stays under its SGSN */
  KtMoveRekey handover_rekey;
  /* a [mobility] key was given (file, --set or sweep): the run reports its
   * mobility columns and writes the section in scenario.ini; a scenario
   * without one writes exactly what it wrote before mobility existed */
  bool mobility;
  /* [trace] */
  bool trace_pcap; /* pcap files beside the results */
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

/* Derived topology sizes. */
uint32_t scn_n_sgsn(const Scenario *scn);
uint32_t scn_n_rnc(const Scenario *scn);
uint32_t scn_n_cells(const Scenario *scn);

/* The effective configuration as a key file text (every key, defaults
 * included), written beside the results. Caller frees. */
char *scn_to_ini(const Scenario *scn);
