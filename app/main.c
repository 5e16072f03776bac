/* main.c — the mbms-sim command line.
 *
 * Exit codes: 0 ok, 2 bad input or usage (one clear line on stderr, nothing
 * written), 1 failure during the run (e.g. results cannot be written). */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "app/provenance.h"
#include "app/report.h"
#include "app/run.h"
#include "app/scenario.h"
#include "app/sweep.h"
#include "app/sweep_table.h"
#include "sim/sim.h"

#define EXIT_USAGE 2
#define EXIT_RUN 1

static const char *const summary_text =
    "Runs a scenario of MBMS group-key management (key tree of sub-group and\n"
    "group keys over BM-SC, GGSN, SGSN, RNC and UE ns-3 nodes) and writes\n"
    "rekeys.csv, summary.csv, summary.json, elements.csv and scenario.ini into\n"
    "the results folder (results/<run.name> unless -o is given).\n"
    "\n"
    "Scenario keys are documented in scenarios/README.md. Overrides are laid\n"
    "over the file: --set topology.subgroup-size=8 --set run.embodiment=2.\n"
    "\n"
    "Sweeps: a [sweep] section or --set section.key=v1,v2,v3 runs the cross\n"
    "product (times sweep.replications), one child process per run, --jobs at\n"
    "a time, and writes DIR/<point>/rep-<r>/ per run plus sweep.csv and\n"
    "sweep-stats.csv. Under mpirun the runs are spread over the ranks.\n"
    "  mbms-sim merge [-o OUT] DIR...   combines the files of --shard parts.\n"
    "\n"
    "Exit status: 0 ok; 2 bad scenario, events file or command line (one\n"
    "line 'file:line: key: what is wrong', nothing written); 1 failure\n"
    "during the run.";

/* Progress of a single run on stderr (a terminal, not --quiet), driven by
 * the message hook: simulated time against the duration, events/s, ETA. */
typedef struct {
  double duration;
  gint64 start, last;
  guint calls;
  gboolean drawn;
} RunProgress;

static void run_progress_send(void *ctx, double now, NetElement from, NetVia via, const Msg *msg,
                              uint32_t n_tx) {
  (void)from;
  (void)via;
  (void)msg;
  (void)n_tx;
  RunProgress *p = ctx;
  if (++p->calls % 1024 != 0)
    return;
  gint64 t = g_get_monotonic_time();
  if (t - p->last < 500000)
    return;
  p->last = t;
  double el = (t - p->start) / 1e6, frac = p->duration > 0 ? now / p->duration : 0;
  char eta[32] = "--:--";
  if (frac > 0 && frac <= 1) {
    guint left = (guint)(el / frac * (1 - frac) + 0.5);
    g_snprintf(eta, sizeof eta, "%u:%02u:%02u", left / 3600, left / 60 % 60, left % 60);
  }
  fprintf(stderr, "\r\033[Krun: %.6g of %.6g s simulated, %.3g events/s, %.0f s elapsed, ETA %s",
          now, p->duration, el > 0 ? (double)sim_events_executed() / el : 0.0, el, eta);
  fflush(stderr);
  p->drawn = TRUE;
}

/* -o names the results folder itself, which is written beside as
 * "DIR.tmp-*" and swapped into place: "." or ".." (or a path ending so)
 * names a folder that holds the user's other files and cannot be swapped. */
static gboolean output_ok(const char *output) {
  g_autofree char *base = g_path_get_basename(output);
  if (!*output || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
    g_autofree char *q = scn_quote(output);
    fprintf(stderr,
            "mbms-sim: -o '%s': give the results folder itself (e.g. -o results/x), not the "
            "current or a parent folder\n",
            q);
    return FALSE;
  }
  return TRUE;
}

/* The folder the pcap traces are written into during the run, beside the
 * results folder (same file system: report_write_full moves them in). It is
 * named as report.c's temporary folders, "DIR.tmp-XXXXXX", and locked the
 * same way until the run is done, so that the next run into DIR removes it
 * if this one is killed, and no run (this one included) removes it before. */
static int trace_lock = -1;

static char *trace_dir_new(const char *dir, GError **error) {
  g_autofree char *base = g_strdup(dir);
  size_t n = strlen(base);
  while (n > 1 && base[n - 1] == '/')
    base[--n] = '\0';
  g_autofree char *parent = g_path_get_dirname(base);
  char *tmp = g_strconcat(base, ".tmp-XXXXXX", NULL);
  if (g_mkdir_with_parents(parent, 0755) != 0 || !g_mkdtemp_full(tmp, 0755)) {
    int e = errno;
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s: %s", tmp, g_strerror(e));
    g_free(tmp);
    return NULL;
  }
  trace_lock = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (trace_lock >= 0)
    flock(trace_lock, LOCK_EX);
  return tmp;
}

/* Removes the trace folder and whatever the run left in it (NULL: none). */
static void trace_dir_remove(const char *tmp) {
  if (!tmp)
    return;
  GDir *d = g_dir_open(tmp, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(tmp, name, NULL);
    unlink(p);
  }
  if (d)
    g_dir_close(d);
  rmdir(tmp);
  if (trace_lock >= 0)
    close(trace_lock);
  trace_lock = -1;
}

/* mbms-sim merge [-o OUT] DIR... */
static int main_merge(int argc, char **argv) {
  g_autofree char *output = NULL;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
       "Where to write sweep.csv and sweep-stats.csv (default: the first DIR)", "OUT"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing on success", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  g_autoptr(GOptionContext) ctx = g_option_context_new("DIR... - combine the shards of a sweep");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "mbms-sim merge: %s (try --help)\n", error->message);
    return EXIT_USAGE;
  }
  if (!sweep_merge((const char *const *)argv + 1, output, &error)) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    return scn_exit_status(error);
  }
  if (!quiet)
    printf("results: %s\n", output ? output : argv[1]);
  return 0;
}

static int main_sweep(const char *path, const char *const *overrides, const char *output,
                      guint jobs, const char *shard, gboolean quiet, gboolean resume) {
  g_autoptr(GError) error = NULL;
  SweepOptions opt = {.progress = !quiet && isatty(2), .jobs = jobs, .resume = resume};
  if (shard && !sweep_parse_shard(shard, &opt.shard_k, &opt.shard_n, &error)) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    return EXIT_USAGE;
  }
  SweepPlan *plan = sweep_plan_new(path, overrides, output, &error);
  if (!plan) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    return scn_exit_status(error);
  }
  int status = 0;
  if (!sweep_run(plan, &opt, &error)) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    status = scn_exit_status(error);
  } else if (!quiet) {
    if (!opt.shard_n && !sweep_print_table(stdout, sweep_plan_dir(plan), &error)) {
      fprintf(stderr, "mbms-sim: %s\n", error->message);
      status = 1;
    }
    g_autofree char *ci = sweep_plan_ci_summary(plan);
    if (ci)
      printf("%s\n", ci);
    else
      printf("sweep: %u runs%s\n", sweep_plan_n_runs(plan),
             opt.shard_n ? " (this shard: every one whose index is K-1 mod N)" : "");
    if (resume)
      printf("resume: %u runs reused, %u run\n", sweep_plan_n_reused(plan),
             sweep_plan_n_done(plan) - sweep_plan_n_reused(plan));
    printf("results: %s\n", sweep_plan_dir(plan));
  }
  sweep_plan_free(plan);
  return status;
}

int main(int argc, char **argv) {
  setlocale(LC_ALL, "C");
  g_autofree char *output = NULL;
  g_auto(GStrv) overrides = NULL;
  gboolean quiet = FALSE, print_config = FALSE, version = FALSE;
  gboolean sweep = FALSE, single = FALSE, resume = FALSE;
  gint jobs = -1;
  g_autofree char *shard = NULL;
  if (argc > 1 && strcmp(argv[1], "merge") == 0)
    return main_merge(argc - 1, argv + 1);
  GOptionEntry entries[] = {
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
       "Results folder (default: results/<run.name>)", "DIR"},
      /* raw bytes, not converted from the locale (in the C locale any
       * non-ASCII byte would fail with a message naming no key); the
       * scenario loader checks each value is UTF-8 and names the key */
      {"set", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &overrides,
       "Override a scenario key (repeatable); wins over the file", "SECTION.KEY=VALUE"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing on success", NULL},
      {"print-config", 0, 0, G_OPTION_ARG_NONE, &print_config,
       "Print the effective configuration and exit without running", NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
      {"sweep", 0, 0, G_OPTION_ARG_NONE, &sweep,
       "Run as a sweep (also implied by a [sweep] section or a --set list)", NULL},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
       "Runs of a sweep at a time (default: the number of cores)", "N"},
      {"shard", 0, 0, G_OPTION_ARG_STRING, &shard,
       "Run only part K of N of a sweep (then: mbms-sim merge DIR)", "K/N"},
      {"resume", 0, 0, G_OPTION_ARG_NONE, &resume,
       "Sweep: reuse every run folder that holds exactly its run (same effective scenario, seed, "
       "events file and program version) instead of running it again",
       NULL},
      {"single", 0, 0, G_OPTION_ARG_NONE, &single,
       "One run with the file's own values: ignore its [sweep] section (runs of a sweep are "
       "such runs)",
       NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO.ini");
  g_option_context_set_summary(ctx, summary_text);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "mbms-sim: %s (try --help)\n", error->message);
    return EXIT_USAGE;
  }
  if (version) {
    g_autofree char *v = prov_version_text();
    fputs(v, stdout);
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "mbms-sim: expected exactly one scenario file, got %d (try --help)\n",
            argc - 1);
    return EXIT_USAGE;
  }

  if (output && !output_ok(output))
    return EXIT_USAGE;
  if (jobs == 0 || jobs < -1) {
    fprintf(stderr, "mbms-sim: --jobs: '%d' must be at least 1\n", jobs);
    return EXIT_USAGE;
  }
  if (single && resume) {
    fprintf(stderr, "mbms-sim: --resume: only a sweep is resumed, not a --single run\n");
    return EXIT_USAGE;
  }
  if (!single && !print_config) {
    if (sweep_mpi_launched() && resume) {
      fprintf(stderr, "mbms-sim: --resume: not available under MPI (run the sweep without "
                      "mpirun, or with --shard, to resume it)\n");
      return EXIT_USAGE;
    }
    if (sweep_mpi_launched())
      return sweep_mpi_main(argv[1], (const char *const *)overrides, output, !quiet && isatty(2),
                            quiet);
    gboolean requested = sweep || shard != NULL;
    if (!requested &&
        !sweep_requested(argv[1], (const char *const *)overrides, &requested, &error)) {
      fprintf(stderr, "mbms-sim: %s\n", error->message);
      return scn_exit_status(error);
    }
    if (!requested && resume) {
      fprintf(stderr, "mbms-sim: --resume: only a sweep is resumed (this scenario is a single "
                      "run)\n");
      return EXIT_USAGE;
    }
    if (requested)
      return main_sweep(argv[1], (const char *const *)overrides, output,
                        jobs > 0 ? (guint)jobs : g_get_num_processors(), shard, quiet, resume);
  }

  Scenario *scn = scn_load(argv[1], (const char *const *)overrides, &error);
  if (!scn) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    return EXIT_USAGE;
  }
  g_autofree char *ini = scn_to_ini(scn);
  if (print_config) {
    fputs(ini, stdout);
    scn_free(scn);
    return 0;
  }
  g_autofree char *dir = output ? g_strdup(output) : g_build_filename("results", scn->name, NULL);

  RunResult result;
  RunProgress progress = {.duration = scn->duration, .start = g_get_monotonic_time()};
  progress.last = progress.start;
  RunHooks hooks = {.on_send = !quiet && isatty(2) ? run_progress_send : NULL, .ctx = &progress};
  g_autofree char *trace_dir = NULL;
  if (scn->trace_pcap && !(trace_dir = trace_dir_new(dir, &error))) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    scn_free(scn);
    return EXIT_RUN;
  }
  hooks.pcap_dir = trace_dir;
  gboolean ok = run_scenario(scn, &hooks, &result, &error);
  if (progress.drawn)
    fputs("\r\033[K", stderr);
  if (!ok) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    trace_dir_remove(trace_dir);
    scn_free(scn);
    return scn_exit_status(error);
  }
  int status = 0;
  ReportExtras extras = {.trace_dir = trace_dir, .wall_s = result.wall_s};
  gboolean written = report_write_full(dir, scn, result.metrics, &result.summary, &extras, &error);
  trace_dir_remove(trace_dir);
  if (!written) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    status = EXIT_RUN;
  } else if (!quiet) {
    report_print(stdout, scn, &result.summary);
    printf("results: %s\n", dir);
  }
  run_result_clear(&result);
  scn_free(scn);
  return status;
}
