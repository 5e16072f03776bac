/* main.c — the mbms-sim command line.
 *
 * Exit codes: 0 ok, 2 bad input or usage (one clear line on stderr, nothing
 * written), 1 failure during the run (e.g. results cannot be written). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/report.h"
#include "app/run.h"
#include "app/scenario.h"

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
    "Exit status: 0 ok; 2 bad scenario, events file or command line (one\n"
    "line 'file:line: key: what is wrong', nothing written); 1 failure\n"
    "during the run.";

int main(int argc, char **argv) {
  setlocale(LC_ALL, "C");
  g_autofree char *output = NULL;
  g_auto(GStrv) overrides = NULL;
  gboolean quiet = FALSE, print_config = FALSE, version = FALSE;
  GOptionEntry entries[] = {
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
       "Results folder (default: results/<run.name>)", "DIR"},
      {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
       "Override a scenario key (repeatable); wins over the file", "SECTION.KEY=VALUE"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing on success", NULL},
      {"print-config", 0, 0, G_OPTION_ARG_NONE, &print_config,
       "Print the effective configuration and exit without running", NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
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
    printf("mbms-sim 0.1.0\n");
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "mbms-sim: expected exactly one scenario file, got %d (try --help)\n",
            argc - 1);
    return EXIT_USAGE;
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
  if (!run_scenario(scn, NULL, &result, &error)) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    scn_free(scn);
    return error->domain == SCN_ERROR && error->code == SCN_ERROR_INVALID ? EXIT_USAGE : EXIT_RUN;
  }
  int status = 0;
  if (!report_write(dir, scn, result.metrics, &result.summary, &error)) {
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
