/* test_bad_input.c — the bad-input promise, as a table: every row is a
 * scenario (and events file, command line, environment) that mbms-sim must
 * refuse with the given exit code and one line on stderr holding the given
 * text, writing nothing (no results folder, no DIR.tmp-*, nothing on
 * stdout). The rows cover issue 11 (items 2, 3, 4, 5, 7, 13) and the exit-2
 * promises of README.md and scenarios/README.md. The expected messages come
 * from the documented rules (scenarios/README.md: ranges, "Bounds of times
 * and rates", "Memory", the events CSV), not from the program's output.
 *
 * Special inputs: an `ini` or `csv` of "@fifo" is a FIFO with no writer
 * (must not hang: the test would time out), "@big" a sparse file past the
 * 256 MiB bound; a `path` replaces the scenario path ("@dir": the
 * scenario's folder).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_files.h"

typedef struct {
  const char *name;
  const char *ini;  /* s.ini; may hold NUL bytes (ini_len) */
  size_t ini_len;   /* 0: strlen */
  const char *csv;  /* events.csv, or NULL */
  const char *path; /* the scenario argument instead of s.ini */
  const char *args[4];
  const char *env; /* "NAME=value" */
  int status;
  const char *want; /* substring of the one stderr line */
} BadCase;

/* issue 11's example: a NUL used to switch the unknown-section and
 * duplicate-key checks off (it ran with seed 6) */
#define NUL_INI "[run]\nseed = 1\0\n[bogus]\nx = 1\n[run]\nseed = 5\nseed = 6\n"
#define NUL_CSV "time,action,ue,cell\n1,jo\0in,1,0\n"
/* 63 characters: shown as its first 57 and "..." (scn_quote) */
#define LONG60 "this-is-a-very-long-name-that-goes-well-past-sixty-characters-x"

/* one row per case reads better than one field per line */
// clang-format off
static const BadCase cases[] = {
    /* item 2: rates below what sim/ accepts */
    {"core-rate-half", "[links]\ncore-rate = 0.5\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: links.core-rate: '0.5' is out of range (1000 .. 1e+12 bit/s)"},
    {"iu-rate-below-1", "[links]\niu-rate = 0.99\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: links.iu-rate: '0.99' is out of range"},
    {"iu-rate-tiny", "[links]\niu-rate = 1e-300\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: links.iu-rate: '1e-300' is out of range"},
    {"iu-rate-fraction", "[links]\niu-rate = 1500.5\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: links.iu-rate: '1500.5' is not a whole number of bit/s"},
    {"core-rate-huge", "[links]\ncore-rate = 2e12\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "links.core-rate: '2e12' is out of range"},
    /* item 3: times, delays and rates inside ns-3's range */
    {"duration-1e12", "[run]\nduration = 1e12\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: run.duration: '1e12' is out of range (1e-09 .. 1e+09 s)"},
    {"duration-sub-ns", "[run]\nduration = 1e-12\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "run.duration: '1e-12' is out of range"},
    {"dch-delay-1e12", "[links]\ndch-delay = 1e12\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: links.dch-delay: '1e12' is out of range (0 or 1e-09 .. 1e+06 s)"},
    {"core-delay-1e300", "[links]\ncore-delay = 1e300\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "links.core-delay: '1e300' is out of range"},
    {"common-delay-sub-ns", "[links]\ncommon-delay = 1e-12\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "links.common-delay: '1e-12' is out of range"},
    {"dch-rate-1e-12", "[links]\ndch-rate = 1e-12\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "links.dch-rate: '1e-12' is out of range (1000 .. 1e+12 bit/s)"},
    {"common-rate-500", "[links]\ncommon-rate = 500\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "links.common-rate: '500' is out of range"},
    {"batch-interval-1e10", "[run]\nscheme = batch\nbatch-interval = 1e10\n", 0, NULL, NULL,
     {NULL}, NULL, 2, "s.ini:3: run.batch-interval: '1e10' is out of range"},
    {"switch-delay-1e7", "[data]\nswitch-delay = 1e7\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "data.switch-delay: '1e7' is out of range"},
    {"record-1e10", "[security]\nrecord-before-join = 1e10\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "security.record-before-join: '1e10' is out of range"},
    {"membership-1e13", "[workload]\nmean-membership = 1e13\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "workload.mean-membership: '1e13' is out of range"},
    {"join-rate-tiny", "[workload]\njoin-rate = 1e-300\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "workload.join-rate: '1e-300' is out of range"},
    {"data-rate-half", "[data]\nrate = 0.5\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "data.rate: '0.5' is out of range"},
    {"set-duration", "[run]\n", 0, NULL, NULL, {"--set", "run.duration=1e10", NULL}, NULL, 2,
     "--set: run.duration: '1e10' is out of range"},
    {"event-after-duration", "[run]\nduration = 10\n[workload]\nevents = events.csv\n", 0,
     "time,action,ue,cell\n11,join,1,0\n", NULL, {NULL}, NULL, 2,
     "events.csv:2: time: '11' is after the end of the run"},
    /* item 4: regular files only, bounded */
    {"scenario-fifo", "@fifo", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini: not a regular file (a FIFO, device or socket)"},
    {"scenario-dev-zero", "[run]\n", 0, NULL, "/dev/zero", {NULL}, NULL, 2,
     "/dev/zero: not a regular file"},
    {"scenario-folder", "[run]\n", 0, NULL, "@dir", {NULL}, NULL, 2, ": Is a directory"},
    {"scenario-too-big", "@big", 0, NULL, NULL, {NULL}, NULL, 2,
     "bytes; an input file may hold at most 268435456"},
    {"single-fifo", "@fifo", 0, NULL, NULL, {"--single", NULL}, NULL, 2, "not a regular file"},
    {"events-fifo", "[workload]\nevents = events.csv\n", 0, "@fifo", NULL, {NULL}, NULL, 2,
     "workload.events: 'events.csv' is not a regular file"},
    {"events-too-big", "[workload]\nevents = events.csv\n", 0, "@big", NULL, {NULL}, NULL, 2,
     "events.csv: 268435457 bytes; an input file may hold at most 268435456"},
    /* item 5: more memory than the machine has */
    {"memory", "[workload]\ninitial-members = 100000\n", 0, NULL, NULL, {NULL},
     "MBMS_SIM_MEMORY=10000000", 2,
     "s.ini: needs about 0.14 GB of memory (100000 UE ids, 16 cells, 4 RNCs), more than 80% of "
     "this machine's 0.01 GB (MBMS_SIM_MEMORY)"},
    /* the largest topology allowed (67 M cells; ran here in 36 s, 9.4 GB)
     * refused before it is built where it cannot fit: 16 MiB + 160 B x
     * 67 108 864 cells + 6 400 B x 65 536 RNCs = 11.17 GB */
    {"memory-largest-topology",
     "[topology]\nggsn = 64\nsgsn-per-ggsn = 64\nrnc-per-sgsn = 16\ncells-per-rnc = 1024\n", 0,
     NULL, NULL, {NULL}, "MBMS_SIM_MEMORY=8000000000", 2,
     "needs about 11.17 GB of memory (0 UE ids, 67108864 cells, 65536 RNCs), more than 80% of "
     "this machine's 8.00 GB (MBMS_SIM_MEMORY)"},
    /* item 7: NUL bytes */
    {"nul-scenario", NUL_INI, sizeof NUL_INI - 1, NULL,
     NULL, {NULL}, NULL, 2, "s.ini:2: contains a NUL byte (not a text file)"},
    {"nul-events", "[workload]\nevents = events.csv\n", 0, "@nul",
     NULL, {NULL}, NULL, 2, "events.csv:1: file: contains a NUL byte"},
    /* item 13: the right line, the right names */
    {"long-key", "[run]\nseed = 1\n[links]\n" LONG60 " = 1\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:4: links.this-is-a-very-long-name-that-goes-well-past-sixty-charac...: unknown key"},
    {"control-key", "[run]\nseed = 1\n[links]\nbad\001key = 1\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:4: links.bad\\001key: unknown key"},
    {"long-section", "[run]\nseed = 1\n[" LONG60 "]\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:3: this-is-a-very-long-name-that-goes-well-past-sixty-charac...: unknown section"},
    {"non-utf8-section", "[run]\nseed = 1\n[sec\xff]\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:3: sec\\377: unknown section"},
    {"set-non-utf8", "[run]\n", 0, NULL, NULL, {"--set", "run.name=caf\xe9", NULL}, NULL, 2,
     "--set: run.name: 'caf\\351' is not valid UTF-8"},
    {"set-non-ascii", "[run]\n", 0, NULL, NULL, {"--set", "run.name=caf\xc3\xa9", NULL}, NULL, 2,
     "--set: run.name: 'caf\xc3\xa9' is not a safe folder name"},
    {"output-dot", "[run]\n", 0, NULL, NULL, {"-o", ".", NULL}, NULL, 2,
     "-o '.': give the results folder itself"},
    {"output-dotdot", "[run]\n", 0, NULL, NULL, {"-o", "x/..", NULL}, NULL, 2,
     "-o 'x/..': give the results folder itself"},
    {"ue-past-limit", "[workload]\nevents = events.csv\n", 0,
     "time,action,ue,cell\n1,join,16777216,0\n", NULL, {NULL}, NULL, 2,
     "events.csv:2: ue: '16777216' is out of range (0..16777215)"},
    /* found by fuzz_scenario: a key swept over nothing (a sweep of no
     * run, which crashed), and user bytes quoted into one printable line */
    {"sweep-empty-list", "[sweep]\nrun.scheme =\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "sweep.run.scheme: empty list (give at least one value)"},
    {"sweep-key-control-char", "[sweep]\nrun.x\x1b[31m = 1, 2\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "run.x\\033[31m"},
    {"set-sweep-key-control-char", "[run]\n", 0, NULL, NULL, {"--set", "sweep.x\x1by=2", NULL},
     NULL, 2, "--set: sweep.x\\033y: unknown key"},
    /* [loss] and [reliability] (docs/reliability.md) */
    {"loss-above-one", "[loss]\ncommon = bernoulli\ncommon-loss = 1.5\n", 0, NULL, NULL, {NULL},
     NULL, 2, "s.ini:3: loss.common-loss: '1.5' is out of range (0 or 1e-12 .. 1)"},
    {"loss-model", "[loss]\ncommon = lossy\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: loss.common: 'lossy' is not none, bernoulli or gilbert-elliott"},
    {"set-repeat-zero", "[run]\n", 0, NULL, NULL, {"--set", "reliability.repeat=0", NULL}, NULL, 2,
     "--set: reliability.repeat: '0' is out of range (1..16)"},
    {"timeout-zero", "[reliability]\ntimeout = 0\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: reliability.timeout: '0' must be > 0"},
    /* the exit-2 promises that held before */
    {"unknown-section", "[run]\n[bogus]\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: bogus: unknown section (known: run, topology, links, workload, security, data, "
     "loss, reliability, mobility, trace, sweep)"},
    {"duplicate-key", "[run]\nseed = 5\nseed = 6\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:3: run.seed: duplicate key (first given at line 2)"},
    {"bad-seed", "[run]\nseed = abc\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: run.seed: 'abc' is not an unsigned integer"},
    {"set-ggsn", "[run]\n", 0, NULL, NULL, {"--set", "topology.ggsn=0", NULL}, NULL, 2,
     "--set: topology.ggsn: '0' is out of range (1..64)"},
    {"set-malformed", "[run]\n", 0, NULL, NULL, {"--set", "xyz", NULL}, NULL, 2,
     "--set: 'xyz': expected section.key=value"},
    {"missing-file", "[run]\n", 0, NULL, "@missing", {NULL}, NULL, 2, "No such file or directory"},
    {"syntax", "[run\n", 0, NULL, NULL, {NULL}, NULL, 2, "s.ini: "},
    {"events-header", "[workload]\nevents = events.csv\n", 0, "time,ue\n", NULL, {NULL}, NULL, 2,
     "events.csv:1: header: expected 'time,action,ue,cell'"},
    {"events-member", "[workload]\ninitial-members = 4\nevents = events.csv\n", 0,
     "time,action,ue,cell\n1,join,2,0\n", NULL, {NULL}, NULL, 2,
     "events.csv:2: ue: ue 2 is already a member (initially a member)"},
    {"events-missing", "[workload]\nevents = nope.csv\n", 0, NULL, NULL, {NULL}, NULL, 2,
     "s.ini:2: workload.events: 'nope.csv' does not exist"},
    {"jobs-zero", "[run]\n", 0, NULL, NULL, {"--jobs", "0", NULL}, NULL, 2,
     "--jobs: '0' must be at least 1"},
};
// clang-format on

/* A FIFO with no writer at `path`. */
static void make_fifo(const char *path) {
  g_unlink(path);
  g_assert_cmpint(mkfifo(path, 0644), ==, 0);
}

/* A sparse file one byte past the 256 MiB bound (no disk space used). */
static void make_big(const char *path) {
  int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(ftruncate(fd, (256 << 20) + 1), ==, 0);
  close(fd);
}

static void test_case(gconstpointer data) {
  const BadCase *c = data;
  GError *error = NULL;
  char *dir = g_dir_make_tmp("mbms-bad-XXXXXX", &error);
  g_assert_no_error(error);
  char *ini = g_build_filename(dir, "s.ini", NULL);
  char *csv = g_build_filename(dir, "events.csv", NULL);
  if (strcmp(c->ini, "@fifo") == 0)
    make_fifo(ini);
  else if (strcmp(c->ini, "@big") == 0)
    make_big(ini);
  else
    g_assert_true(g_file_set_contents(ini, c->ini, c->ini_len ? (gssize)c->ini_len : -1, &error));
  if (c->csv && strcmp(c->csv, "@fifo") == 0)
    make_fifo(csv);
  else if (c->csv && strcmp(c->csv, "@big") == 0)
    make_big(csv);
  else if (c->csv && strcmp(c->csv, "@nul") == 0)
    g_assert_true(g_file_set_contents(csv, NUL_CSV, sizeof NUL_CSV - 1, &error));
  else if (c->csv)
    g_assert_true(g_file_set_contents(csv, c->csv, -1, &error));
  g_assert_no_error(error);
  char *before = listing(dir);

  const char *path = ini;
  char *missing = g_build_filename(dir, "missing.ini", NULL);
  if (c->path && strcmp(c->path, "@dir") == 0)
    path = dir;
  else if (c->path && strcmp(c->path, "@missing") == 0)
    path = missing;
  else if (c->path)
    path = c->path;
  char *out = g_build_filename(dir, "out", NULL);
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)g_getenv("MBMS_SIM"));
  bool has_o = false;
  for (int i = 0; c->args[i]; i++)
    has_o = has_o || strcmp(c->args[i], "-o") == 0;
  if (!has_o) {
    g_ptr_array_add(argv, "-o");
    g_ptr_array_add(argv, out);
  }
  for (int i = 0; c->args[i]; i++)
    g_ptr_array_add(argv, (gpointer)c->args[i]);
  g_ptr_array_add(argv, (gpointer)path);
  g_ptr_array_add(argv, NULL);

  char **envp = g_get_environ();
  if (c->env) {
    char **kv = g_strsplit(c->env, "=", 2);
    envp = g_environ_setenv(envp, kv[0], kv[1], TRUE);
    g_strfreev(kv);
  }
  char *sout = NULL, *serr = NULL;
  int status = -1;
  /* the working folder is the scenario's, so that "-o ." would name it */
  g_assert_true(g_spawn_sync(dir, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, &sout,
                             &serr, &status, &error));
  g_assert_no_error(error);
  g_test_message("%s: stderr: %s", c->name, serr);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, c->status);
  /* one line, holding the expected text */
  g_assert_nonnull(strstr(serr, c->want));
  g_assert_true(g_str_has_suffix(serr, "\n"));
  g_assert_cmpuint(strchr(serr, '\n') - serr + 1, ==, strlen(serr));
  g_assert_cmpstr(sout, ==, "");
  /* nothing written: the folder holds what it held */
  char *after = listing(dir);
  g_assert_cmpstr(after, ==, before);

  g_free(after);
  g_free(before);
  g_free(sout);
  g_free(serr);
  g_strfreev(envp);
  g_ptr_array_free(argv, TRUE);
  g_free(out);
  g_free(missing);
  rm_rf(dir);
  g_free(csv);
  g_free(ini);
  g_free(dir);
}

/* The value of column `key` in summary.csv of `dir`. */
static double summary_value(const char *dir, const char *key) {
  char *path = g_build_filename(dir, "summary.csv", NULL);
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  char **lines = g_strsplit(text, "\n", -1);
  char **keys = g_strsplit(lines[0], ",", -1), **vals = g_strsplit(lines[1], ",", -1);
  double v = -1;
  bool found = false;
  for (guint i = 0; keys[i] && vals[i]; i++)
    if (strcmp(keys[i], key) == 0) {
      v = g_ascii_strtod(vals[i], NULL);
      found = true;
    }
  g_assert_true(found);
  g_strfreev(keys);
  g_strfreev(vals);
  g_strfreev(lines);
  g_free(text);
  g_free(path);
  return v;
}

/* The far edges of the bounds run and give sane figures (and, in the
 * ASan+UBSan build, no overflow): duration 1e9 s with a leave at 1e9 s,
 * every delay 1e6 s, every rate 1000 bit/s. The rekey's latency counts
 * from the request reaching the network: up Iu, core, core; down core,
 * core, Iu; then the common channel: 7 delays of 1e6 s, plus the
 * transmissions of a few messages of at most a few hundred bytes at
 * 1000 bit/s (well under 100 s). */
static void test_far_edges_run(void) {
  GError *error = NULL;
  char *dir = g_dir_make_tmp("mbms-edge-XXXXXX", &error);
  g_assert_no_error(error);
  char *ini = g_build_filename(dir, "s.ini", NULL), *csv = g_build_filename(dir, "e.csv", NULL);
  g_assert_true(g_file_set_contents(
      ini,
      "[run]\nduration = 1e9\n[links]\ncore-delay = 1e6\niu-delay = 1e6\ndch-delay = 1e6\n"
      "common-delay = 1e6\ncore-rate = 1000\niu-rate = 1000\ndch-rate = 1000\n"
      "common-rate = 1000\n[workload]\ninitial-members = 20\nevents = e.csv\n",
      -1, &error));
  g_assert_true(g_file_set_contents(csv, "time,action,ue,cell\n1e9,leave,3,\n", -1, &error));
  char *out = g_build_filename(dir, "out", NULL);
  const char *argv[] = {g_getenv("MBMS_SIM"), "-q", "-o", out, ini, NULL};
  char *sout = NULL, *serr = NULL;
  g_assert_cmpint(run_cli(argv, &sout, &serr), ==, 0);
  g_assert_cmpstr(serr, ==, "");
  double lat = summary_value(out, "latency_max_s"), end = summary_value(out, "sim_end_s");
  g_assert_cmpfloat(lat, >=, 7e6);
  g_assert_cmpfloat(lat, <, 7e6 + 100);
  g_assert_cmpfloat(end, >=, 1e9 + 7e6);
  g_assert_cmpfloat(end, <, 1e9 + 1.2e7); /* no path holds more than a dozen delays */
  g_free(sout);
  g_free(serr);
  g_free(out);
  g_free(csv);
  g_free(ini);
  rm_rf(dir);
  g_free(dir);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_assert_nonnull(g_getenv("MBMS_SIM"));
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *path = g_strconcat("/bad-input/", cases[i].name, NULL);
    g_test_add_data_func(path, &cases[i], test_case);
    g_free(path);
  }
  g_test_add_func("/edges/far-edges-run", test_far_edges_run);
  return g_test_run();
}
