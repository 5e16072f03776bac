/* test_scenario.c — scenario files: defaults, every key, every kind of bad
 * input with its exact one-line error, --set overrides, the effective
 * configuration dump, and the shipped scenarios. Fixtures are in tests/data/
 * (paths relative to the source root, so that error lines can be asserted
 * as the user sees them); the many small cases are written to a temporary
 * folder. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/scenario.h"
#include "app/workload.h"

#include "test_files.h"

static char *tmpdir;

/* ------------------------------------------------------------ scaffolding */

/* Runs from the source root: $MBMS_SRCDIR (meson test), else the first
 * ancestor of the working directory holding tests/data. */
static void chdir_to_srcdir(void) {
  const char *env = g_getenv("MBMS_SRCDIR");
  const char *candidates[] = {env ? env : ".", ".", "..", "../..", "../../.."};
  for (unsigned i = 0; i < G_N_ELEMENTS(candidates); i++) {
    g_autofree char *probe = g_build_filename(candidates[i], "tests", "data", "full.ini", NULL);
    if (g_file_test(probe, G_FILE_TEST_IS_REGULAR)) {
      g_assert_cmpint(chdir(candidates[i]), ==, 0);
      return;
    }
  }
  g_error("cannot find tests/data (set MBMS_SRCDIR to the source root)");
}

static char *write_tmp(const char *name, const char *text) {
  char *path = g_build_filename(tmpdir, name, NULL);
  GError *error = NULL;
  g_assert_true(g_file_set_contents(path, text, -1, &error));
  g_assert_no_error(error);
  return path;
}

/* Loads and expects failure; returns the message (caller frees). */
static char *load_error(const char *path, const char *const *overrides, int code) {
  GError *error = NULL;
  Scenario *s = scn_load(path, overrides, &error);
  g_assert_null(s);
  g_assert_error(error, SCN_ERROR, code);
  g_assert_null(strchr(error->message, '\n'));
  char *msg = g_strdup(error->message);
  g_error_free(error);
  return msg;
}

static Scenario *load_ok(const char *path, const char *const *overrides) {
  GError *error = NULL;
  Scenario *s = scn_load(path, overrides, &error);
  g_assert_no_error(error);
  g_assert_nonnull(s);
  return s;
}

/* Writes `ini` to <tmp>/case.ini and checks the exact error: `want` is the
 * whole message if it starts with "--set", else what follows the path. */
static void expect_error(const char *ini, const char *const *overrides, const char *want) {
  g_autofree char *path = write_tmp("case.ini", ini);
  g_autofree char *msg = load_error(path, overrides, SCN_ERROR_INVALID);
  g_autofree char *full =
      g_str_has_prefix(want, "--set") ? g_strdup(want) : g_strconcat(path, want, NULL);
  g_assert_cmpstr(msg, ==, full);
}

/* ------------------------------------------------------------ good input */

static void assert_defaults_except_name(const Scenario *s) {
  g_assert_cmpuint(s->seed, ==, 1);
  g_assert_cmpfloat(s->duration, ==, 100.0);
  g_assert_cmpstr(s->scheme, ==, "patent");
  g_assert_cmpint(s->embodiment, ==, 1);
  g_assert_false(s->join_rekey);
  g_assert_cmpuint(s->ggsn, ==, 1);
  g_assert_cmpuint(s->sgsn_per_ggsn, ==, 2);
  g_assert_cmpuint(s->rnc_per_sgsn, ==, 2);
  g_assert_cmpuint(s->cells_per_rnc, ==, 4);
  g_assert_cmpuint(s->subgroup_size, ==, 8);
  g_assert_cmpint(s->subgroup_policy, ==, KT_POLICY_PER_CELL);
  g_assert_cmpfloat(s->core.rate, ==, 1e9);
  g_assert_cmpfloat(s->core.delay, ==, 0.005);
  g_assert_cmpfloat(s->iu.rate, ==, 1.55e8);
  g_assert_cmpfloat(s->iu.delay, ==, 0.002);
  g_assert_cmpfloat(s->dch.rate, ==, 384000);
  g_assert_cmpfloat(s->dch.delay, ==, 0.01);
  g_assert_cmpfloat(s->common.rate, ==, 128000);
  g_assert_cmpfloat(s->common.delay, ==, 0.02);
  g_assert_cmpuint(s->initial_members, ==, 0);
  g_assert_cmpfloat(s->join_rate, ==, 0);
  g_assert_cmpfloat(s->mean_membership, ==, 0);
  g_assert_null(s->events_path);
  /* the keys of the schemes, the adversaries and the data plane
   * (scenarios/README.md) */
  g_assert_cmpint(s->scheme_kind, ==, KT_SCHEME_PATENT);
  g_assert_false(s->batch);
  g_assert_cmpuint(s->lkh_degree, ==, 4);
  g_assert_cmpstr(s->batch_tree, ==, "patent");
  g_assert_cmpfloat(s->batch_interval, ==, 1.0);
  g_assert_false(s->eavesdrop_all_cells);
  g_assert_false(s->collusion);
  g_assert_cmpfloat(s->record_before_join, ==, 60.0);
  g_assert_cmpfloat(s->data_rate, ==, 0.0);
  g_assert_cmpuint(s->packet_size, ==, 512);
  g_assert_cmpfloat(s->switch_delay, ==, 0.0);
  g_assert_false(s->trace_pcap); /* [trace] pcap: off by default */
}

/* Non-default values of those keys are read as given. */
static void test_scheme_security_data_keys(void) {
  g_autofree char *path =
      write_tmp("keys.ini", "[run]\nscheme = batch\nbatch-tree = lkh\nbatch-interval = 2.5\n"
                            "lkh-degree = 3\n[security]\neavesdrop = all-cells\ncollusion = true\n"
                            "record-before-join = 7\n[data]\nrate = 32000\npacket-size = 100\n"
                            "switch-delay = 0.25\n[trace]\npcap = true\n");
  GError *error = NULL;
  Scenario *s = scn_load(path, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(s->batch);
  g_assert_cmpint(s->scheme_kind, ==, KT_SCHEME_LKH);
  g_assert_cmpuint(s->lkh_degree, ==, 3);
  g_assert_cmpfloat(s->batch_interval, ==, 2.5);
  g_assert_true(s->eavesdrop_all_cells);
  g_assert_true(s->collusion);
  g_assert_cmpfloat(s->record_before_join, ==, 7.0);
  g_assert_cmpfloat(s->data_rate, ==, 32000.0);
  g_assert_cmpuint(s->packet_size, ==, 100);
  g_assert_cmpfloat(s->switch_delay, ==, 0.25);
  g_assert_true(s->trace_pcap);
  scn_free(s);
}

static void test_defaults(void) {
  const char *texts[] = {"", "# nothing but a comment\n",
                         "[run]\n[topology]\n[links]\n[workload]\n"};
  for (unsigned i = 0; i < G_N_ELEMENTS(texts); i++) {
    g_autofree char *path = write_tmp("my-run.v2.ini", texts[i]);
    Scenario *s = load_ok(path, NULL);
    g_assert_cmpstr(s->name, ==, "my-run.v2");
    g_assert_cmpstr(s->source_path, ==, path);
    assert_defaults_except_name(s);
    g_assert_cmpuint(scn_n_sgsn(s), ==, 2);
    g_assert_cmpuint(scn_n_rnc(s), ==, 4);
    g_assert_cmpuint(scn_n_cells(s), ==, 16);
    scn_free(s);
  }
  /* No .ini suffix: the whole basename. */
  g_autofree char *path = write_tmp("plain", "");
  Scenario *s = load_ok(path, NULL);
  g_assert_cmpstr(s->name, ==, "plain");
  scn_free(s);
}

static void test_every_key(void) {
  Scenario *s = load_ok("tests/data/full.ini", NULL);
  g_assert_cmpstr(s->name, ==, "full_1.x");
  g_assert_cmpuint(s->seed, ==, G_MAXUINT64);
  g_assert_cmpfloat(s->duration, ==, 250.5);
  g_assert_cmpstr(s->scheme, ==, "patent");
  g_assert_cmpint(s->embodiment, ==, 2);
  g_assert_true(s->join_rekey);
  g_assert_cmpuint(s->ggsn, ==, 2);
  g_assert_cmpuint(s->sgsn_per_ggsn, ==, 3);
  g_assert_cmpuint(s->rnc_per_sgsn, ==, 5);
  g_assert_cmpuint(s->cells_per_rnc, ==, 7);
  g_assert_cmpuint(s->subgroup_size, ==, 11);
  g_assert_cmpint(s->subgroup_policy, ==, KT_POLICY_PER_RNC);
  g_assert_cmpfloat(s->core.rate, ==, 2e9);
  g_assert_cmpfloat(s->core.delay, ==, 0.001);
  g_assert_cmpfloat(s->iu.rate, ==, 1e8);
  g_assert_cmpfloat(s->iu.delay, ==, 0);
  g_assert_cmpfloat(s->dch.rate, ==, 64000);
  g_assert_cmpfloat(s->dch.delay, ==, 0.03);
  g_assert_cmpfloat(s->common.rate, ==, 32000.5);
  g_assert_cmpfloat(s->common.delay, ==, 0.04);
  g_assert_cmpuint(s->initial_members, ==, 1234);
  g_assert_cmpfloat(s->join_rate, ==, 0.25);
  g_assert_cmpfloat(s->mean_membership, ==, 300);
  g_assert_cmpstr(s->events_path, ==, "tests/data/full_events.csv");
  g_assert_cmpuint(scn_n_sgsn(s), ==, 6);
  g_assert_cmpuint(scn_n_rnc(s), ==, 30);
  g_assert_cmpuint(scn_n_cells(s), ==, 210);
  scn_free(s);
}

static void test_lenient_syntax(void) {
  /* CRLF, blanks around '=' and values, leading blanks, comments. */
  g_autofree char *path = write_tmp("crlf.ini", "# c\r\n  [run]\r\n  seed =   7  \r\n"
                                                "\r\n[links]\r\ncore-rate=+1.5E3\r\n"
                                                "[topology]\r\nsubgroup-policy = per-cell \r\n");
  Scenario *s = load_ok(path, NULL);
  g_assert_cmpuint(s->seed, ==, 7);
  g_assert_cmpfloat(s->core.rate, ==, 1500);
  g_assert_cmpint(s->subgroup_policy, ==, KT_POLICY_PER_CELL);
  scn_free(s);
  /* Limits are inclusive; seed 0 is a seed; 64 x 64 x 16 RNCs is allowed. */
  g_autofree char *edge = write_tmp("edge.ini", "[run]\nseed = 0\nembodiment = 2\n"
                                                "[topology]\nggsn = 64\nsgsn-per-ggsn = 64\n"
                                                "rnc-per-sgsn = 16\ncells-per-rnc = 1024\n"
                                                "subgroup-size = 1000000\n"
                                                "[workload]\ninitial-members = 10000000\n"
                                                "join-rate = 0\nmean-membership = 0\n");
  s = load_ok(edge, NULL);
  g_assert_cmpuint(s->seed, ==, 0);
  g_assert_cmpuint(scn_n_rnc(s), ==, 65536);
  g_assert_cmpuint(scn_n_cells(s), ==, 65536u * 1024u);
  g_assert_cmpuint(s->initial_members, ==, 10000000);
  scn_free(s);
}

/* ------------------------------------------------------------ bad input */

static void test_fixture_errors(void) {
  g_autofree char *msg = load_error("tests/data/bad_seed.ini", NULL, SCN_ERROR_INVALID);
  g_assert_cmpstr(msg, ==, "tests/data/bad_seed.ini:3: run.seed: 'abc' is not an unsigned integer");
  g_free(msg);
  msg = load_error("tests/data/unknown_key.ini", NULL, SCN_ERROR_INVALID);
  g_assert_cmpstr(msg, ==,
                  "tests/data/unknown_key.ini:7: topology.cels-per-rnc: unknown key (known in "
                  "[topology]: ggsn, sgsn-per-ggsn, rnc-per-sgsn, cells-per-rnc, subgroup-size, "
                  "subgroup-policy)");
  g_free(msg);
  msg = load_error("tests/data/does-not-exist.ini", NULL, SCN_ERROR_INVALID); /* exit 2 */
  g_assert_cmpstr(msg, ==, "tests/data/does-not-exist.ini: No such file or directory");
  g_free(msg);
  /* A folder is not a scenario. */
  msg = load_error("tests/data", NULL, SCN_ERROR_INVALID);
  g_assert_cmpstr(msg, ==, "tests/data: Is a directory");
}

typedef struct {
  const char *ini;
  const char *want; /* after "<path>" */
} Case;

static void run_cases(const Case *cases, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    if (g_test_verbose())
      g_test_message("case %u: %s", i, cases[i].want);
    expect_error(cases[i].ini, NULL, cases[i].want);
  }
}

static void test_structure_errors(void) {
  static const Case cases[] = {
      {"[run]\nseed = 1\n\n[bogus]\nx = 1\n",
       ":4: bogus: unknown section (known: run, topology, "
       "links, workload, security, data, loss, reliability, mobility, trace, sweep)"},
      {"[Run]\n", ":1: Run: unknown section (known: run, topology, links, workload, security, "
                  "data, loss, reliability, mobility, trace, sweep)"},
      {"[run]\nsed = 1\n",
       ":2: run.sed: unknown key (known in [run]: name, seed, duration, scheme, embodiment, "
       "join-rekey, lkh-degree, sd-capacity, msk-on-leave, msk-period, mtk-period, batch-tree, "
       "batch-interval, crypto)"},
      {"[links]\ncore-rate = 1\ncore_delay = 1\n",
       ":3: links.core_delay: unknown key (known in [links]: core-rate, core-delay, iu-rate, "
       "iu-delay, dch-rate, dch-delay, common-rate, common-delay)"},
      {"[workload]\nevents[fr] = x.csv\n",
       ":2: workload.events[fr]: unknown key (known in [workload]: initial-members, join-rate, "
       "mean-membership, events)"},
      {"[run]\nseed = 1\n# again\nseed = 2\n",
       ":4: run.seed: duplicate key (first given at line 2)"},
      /* A section given twice is one section: a key in both is a duplicate. */
      {"[run]\nseed = 1\n[links]\n[run]\nseed = 2\n",
       ":5: run.seed: duplicate key (first given at line 2)"},
      /* Syntax errors come from GKeyFile, on the whole file. */
      {"[run]\nseed\n", ": Key file contains line \xE2\x80\x9C"
                        "seed\xE2\x80\x9D which is not a key-value pair, group, or comment"},
      {"seed = 1\n", ": Key file does not start with a group"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_value_errors(void) {
  static const Case cases[] = {
      /* [security], [data] */
      {"[security]\neavesdrop = neighbours\n",
       ":2: security.eavesdrop: 'neighbours' is not own-cell or all-cells"},
      {"[security]\ncollusion = yes\n",
       ":2: security.collusion: 'yes' is not a boolean (true|false)"},
      {"[trace]\npcap = 1\n", ":2: trace.pcap: '1' is not a boolean (true|false)"},
      {"[trace]\npcapng = true\n", ":2: trace.pcapng: unknown key (known in [trace]: pcap)"},
      {"[security]\nrecord-before-join = -1\n",
       ":2: security.record-before-join: '-1' must be >= 0"},
      {"[data]\npacket-size = 8\n", ":2: data.packet-size: '8' is out of range (16..1400)"},
      {"[run]\nduration = 1e6\n[links]\ncommon-rate = 1e12\n[data]\nrate = 1e9\n",
       ":6: data.rate: rate x duration = 2.44141e+11 packets exceed 1e+08"},
      {"[data]\nrate = 120000\npacket-size = 500\n",
       ":2: data.rate: 120000 bit/s is 135840 bit/s on the air, not below links.common-rate "
       "(128000 bit/s)"},
      /* [run] */
      {"[run]\nname = ../up\n",
       ":2: run.name: '../up' is not a safe folder name ([A-Za-z0-9._-]+, at most 128 "
       "characters, not '.' or '..')"},
      {"[run]\nname = a b\n",
       ":2: run.name: 'a b' is not a safe folder name ([A-Za-z0-9._-]+, at most 128 "
       "characters, not '.' or '..')"},
      {"[run]\nname = ..\n",
       ":2: run.name: '..' is not a safe folder name ([A-Za-z0-9._-]+, at most 128 "
       "characters, not '.' or '..')"},
      {"[run]\nname =\n",
       ":2: run.name: '' is not a safe folder name ([A-Za-z0-9._-]+, at most 128 "
       "characters, not '.' or '..')"},
      {"[run]\nseed = abc\n", ":2: run.seed: 'abc' is not an unsigned integer"},
      {"[run]\nseed = -1\n", ":2: run.seed: '-1' is not an unsigned integer"},
      {"[run]\nseed = 1.5\n", ":2: run.seed: '1.5' is not an unsigned integer"},
      {"[run]\nseed =\n", ":2: run.seed: '' is not an unsigned integer"},
      {"[run]\nseed = 18446744073709551616\n",
       ":2: run.seed: '18446744073709551616' is out of range (0..18446744073709551615)"},
      {"[run]\nduration = 0\n", ":2: run.duration: '0' must be > 0"},
      {"[run]\nduration = -3\n", ":2: run.duration: '-3' must be > 0"},
      {"[run]\nduration = 1e400\n", ":2: run.duration: '1e400' is not a finite number"},
      {"[run]\nduration = inf\n", ":2: run.duration: 'inf' is not a number"},
      {"[run]\nduration = 0x10\n", ":2: run.duration: '0x10' is not a number"},
      {"[run]\nduration = 1,5\n", ":2: run.duration: '1,5' is not a number"},
      {"[run]\nduration = 1e\n", ":2: run.duration: '1e' is not a number"},
      {"[run]\nscheme = lkx\n", ":2: run.scheme: unknown scheme 'lkx' (known: patent, unicast, "
                                "broadcast, lkh, oft, sd, 3gpp, batch)"},
      {"[run]\nscheme = lkh\nlkh-degree = 1\n",
       ":3: run.lkh-degree: '1' is out of range (2..1024)"},

      {"[run]\nbatch-tree = star\n", ":2: run.batch-tree: 'star' is not patent or lkh"},
      {"[run]\nbatch-interval = 0\n", ":2: run.batch-interval: '0' must be > 0"},
      {"[run]\nembodiment = 3\n", ":2: run.embodiment: '3' is out of range (1..2)"},
      {"[run]\nembodiment = 0\n", ":2: run.embodiment: '0' is out of range (1..2)"},
      {"[run]\nembodiment = one\n", ":2: run.embodiment: 'one' is not an unsigned integer"},
      {"[run]\njoin-rekey = yes\n", ":2: run.join-rekey: 'yes' is not a boolean (true|false)"},
      {"[run]\njoin-rekey = True\n", ":2: run.join-rekey: 'True' is not a boolean (true|false)"},
      {"[run]\njoin-rekey = 1\n", ":2: run.join-rekey: '1' is not a boolean (true|false)"},
      /* [topology] */
      {"[topology]\nggsn = two\n", ":2: topology.ggsn: 'two' is not an unsigned integer"},
      {"[topology]\nggsn = 0\n", ":2: topology.ggsn: '0' is out of range (1..64)"},
      {"[topology]\nggsn = 65\n", ":2: topology.ggsn: '65' is out of range (1..64)"},
      {"[topology]\nsgsn-per-ggsn = 0\n",
       ":2: topology.sgsn-per-ggsn: '0' is out of range (1..64)"},
      {"[topology]\nsgsn-per-ggsn = 65\n",
       ":2: topology.sgsn-per-ggsn: '65' is out of range (1..64)"},
      {"[topology]\nrnc-per-sgsn = 0\n", ":2: topology.rnc-per-sgsn: '0' is out of range (1..256)"},
      {"[topology]\nrnc-per-sgsn = 257\n",
       ":2: topology.rnc-per-sgsn: '257' is out of range (1..256)"},
      {"[topology]\ncells-per-rnc = 0\n",
       ":2: topology.cells-per-rnc: '0' is out of range (1..1024)"},
      {"[topology]\ncells-per-rnc = 1025\n",
       ":2: topology.cells-per-rnc: '1025' is out of range (1..1024)"},
      {"[topology]\nsubgroup-size = 0\n",
       ":2: topology.subgroup-size: '0' is out of range (1..1000000)"},
      {"[topology]\nsubgroup-size = 1000001\n",
       ":2: topology.subgroup-size: '1000001' is out of range (1..1000000)"},
      {"[topology]\nsubgroup-policy = per-ue\n",
       ":2: topology.subgroup-policy: 'per-ue' is not per-cell or per-rnc"},
      {"[topology]\nggsn = 64\nsgsn-per-ggsn = 64\nrnc-per-sgsn = 17\n",
       ":4: topology.rnc-per-sgsn: 69632 RNCs in all (ggsn x sgsn-per-ggsn x rnc-per-sgsn) "
       "exceed 65536"},
      /* [links] */
      {"[links]\ncore-rate = fast\n", ":2: links.core-rate: 'fast' is not a number"},
      {"[links]\ncore-rate = 0\n", ":2: links.core-rate: '0' must be > 0"},
      {"[links]\ncore-delay = -0.001\n", ":2: links.core-delay: '-0.001' must be >= 0"},
      {"[links]\niu-rate = -1\n", ":2: links.iu-rate: '-1' must be > 0"},
      {"[links]\niu-delay = -1\n", ":2: links.iu-delay: '-1' must be >= 0"},
      {"[links]\ndch-rate = 0\n", ":2: links.dch-rate: '0' must be > 0"},
      {"[links]\ndch-delay = -1e-9\n", ":2: links.dch-delay: '-1e-9' must be >= 0"},
      {"[links]\ncommon-rate = -0\n", ":2: links.common-rate: '-0' must be > 0"},
      {"[links]\ncommon-delay = nan\n", ":2: links.common-delay: 'nan' is not a number"},
      {"[links]\ncommon-delay = -5\n", ":2: links.common-delay: '-5' must be >= 0"},
      /* [workload] */
      {"[workload]\ninitial-members = 10000001\n",
       ":2: workload.initial-members: '10000001' is out of range (0..10000000)"},
      {"[workload]\ninitial-members = many\n",
       ":2: workload.initial-members: 'many' is not an unsigned integer"},
      {"[workload]\njoin-rate = -1\n", ":2: workload.join-rate: '-1' must be >= 0"},
      {"[workload]\nmean-membership = -1\n", ":2: workload.mean-membership: '-1' must be >= 0"},
      {"[run]\nduration = 1000\n[workload]\njoin-rate = 20000\n",
       ":4: workload.join-rate: join-rate x duration = 2e+07 expected joins exceed 1e+07"},
  };
  run_cases(cases, G_N_ELEMENTS(cases));
  /* Long values are cut; bytes that are not UTF-8 are escaped. */
  g_autofree char *longname = g_strdup_printf("[run]\nname = %0200d\n", 0);
  g_autofree char *want_long = g_strdup_printf(
      ":2: run.name: '%057d...' is not a safe folder name ([A-Za-z0-9._-]+, at most 128 "
      "characters, not '.' or '..')",
      0);
  expect_error(longname, NULL, want_long);
  expect_error("[run]\nseed = \xff"
               "1\n",
               NULL, ":2: run.seed: '\\3771' is not an unsigned integer");
  /* The first failing key is reported, in section then key order. */
  expect_error("[links]\ncore-rate = 0\n[run]\nseed = x\n", NULL,
               ":4: run.seed: 'x' is not an unsigned integer");
}

/* The bounds of scenarios/README.md ("Bounds of times and rates") are
 * inclusive: each edge loads, and reads back as given. */
static void test_bound_edges(void) {
  g_autofree char *path = write_tmp(
      "edges.ini", "[run]\nduration = 1e9\nbatch-interval = 1e-9\n[links]\ncore-rate = 1000\n"
                   "iu-rate = 1e12\ndch-rate = 1e3\ncommon-rate = 1e12\ncore-delay = 1e-9\n"
                   "iu-delay = 1e6\ndch-delay = 0\ncommon-delay = 1e6\n[workload]\n"
                   "join-rate = 1e-9\nmean-membership = 1e12\n[security]\n"
                   "record-before-join = 1e9\n[data]\nswitch-delay = 1e6\nrate = 1\n");
  Scenario *s = load_ok(path, NULL);
  g_assert_cmpfloat(s->duration, ==, 1e9);
  g_assert_cmpfloat(s->batch_interval, ==, 1e-9);
  g_assert_cmpfloat(s->core.rate, ==, 1000);
  g_assert_cmpfloat(s->iu.rate, ==, 1e12);
  g_assert_cmpfloat(s->dch.rate, ==, 1000);
  g_assert_cmpfloat(s->common.rate, ==, 1e12);
  g_assert_cmpfloat(s->core.delay, ==, 1e-9);
  g_assert_cmpfloat(s->iu.delay, ==, 1e6);
  g_assert_cmpfloat(s->dch.delay, ==, 0);
  g_assert_cmpfloat(s->common.delay, ==, 1e6);
  g_assert_cmpfloat(s->join_rate, ==, 1e-9);
  g_assert_cmpfloat(s->mean_membership, ==, 1e12);
  g_assert_cmpfloat(s->record_before_join, ==, 1e9);
  g_assert_cmpfloat(s->switch_delay, ==, 1e6);
  g_assert_cmpfloat(s->data_rate, ==, 1);
  scn_free(s);
  /* just past each edge */
  expect_error("[run]\nduration = 1.000001e9\n", NULL,
               ":2: run.duration: '1.000001e9' is out of range (1e-09 .. 1e+09 s)");
  expect_error("[links]\ncore-rate = 999\n", NULL,
               ":2: links.core-rate: '999' is out of range (1000 .. 1e+12 bit/s)");
  expect_error("[links]\niu-delay = 1000001\n", NULL,
               ":2: links.iu-delay: '1000001' is out of range (0 or 1e-09 .. 1e+06 s)");
  expect_error("[links]\ndch-delay = 9e-10\n", NULL,
               ":2: links.dch-delay: '9e-10' is out of range (0 or 1e-09 .. 1e+06 s)");
  /* a whole rate in exponent form is whole */
  expect_error("[links]\ncore-rate = 1.0005e3\n", NULL,
               ":2: links.core-rate: '1.0005e3' is not a whole number of bit/s");
}

/* A UTF-8 byte order mark is accepted, as in events files; a NUL byte is
 * refused at its line, and a FIFO is refused without being opened for a
 * blocking read (the test would hang). */
static void test_bom_nul_fifo(void) {
  g_autofree char *path = write_tmp("bom.ini", "\xEF\xBB\xBF[run]\nseed = 7\n");
  Scenario *s = load_ok(path, NULL);
  g_assert_cmpuint(s->seed, ==, 7);
  scn_free(s);
  g_autofree char *nul = g_build_filename(tmpdir, "nul.ini", NULL);
  GError *error = NULL;
  g_assert_true(g_file_set_contents(nul, "[run]\n\nseed = 1\0\n", 17, &error));
  g_autofree char *msg = load_error(nul, NULL, SCN_ERROR_INVALID);
  g_autofree char *want = g_strconcat(nul, ":3: contains a NUL byte (not a text file)", NULL);
  g_assert_cmpstr(msg, ==, want);
  g_autofree char *fifo = g_build_filename(tmpdir, "fifo.ini", NULL);
  g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
  g_autofree char *m2 = load_error(fifo, NULL, SCN_ERROR_INVALID);
  g_autofree char *w2 = g_strconcat(fifo, ": not a regular file (a FIFO, device or socket)", NULL);
  g_assert_cmpstr(m2, ==, w2);
  g_unlink(fifo);
}

static void test_default_name_unsafe(void) {
  g_autofree char *path = write_tmp("my scenario.ini", "");
  g_autofree char *msg = load_error(path, NULL, SCN_ERROR_INVALID);
  g_autofree char *want = g_strconcat(path,
                                      ": run.name: the default name 'my scenario' (the file name) "
                                      "is not a safe folder name ([A-Za-z0-9._-]+); set run.name",
                                      NULL);
  g_assert_cmpstr(msg, ==, want);
  /* With a [run] section, at its line; an explicit name fixes it. */
  g_autofree char *path2 = write_tmp("my scenario 2.ini", "\n[run]\nseed = 2\n");
  g_autofree char *msg2 = load_error(path2, NULL, SCN_ERROR_INVALID);
  g_assert_true(g_str_has_prefix(msg2, path2));
  g_assert_true(g_str_has_prefix(msg2 + strlen(path2), ":2: run.name: the default name"));
  const char *fix[] = {"run.name=ok", NULL};
  Scenario *s = load_ok(path2, fix);
  g_assert_cmpstr(s->name, ==, "ok");
  scn_free(s);
}

static void test_events_key(void) {
  g_autofree char *csv = write_tmp("ev.csv", "time,action,ue,cell\n");
  g_autofree char *sub = g_build_filename(tmpdir, "sub", NULL);
  g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
  /* Relative to the scenario's folder, not the working directory. */
  g_autofree char *path = write_tmp("ev.ini", "[workload]\nevents = ev.csv\n");
  Scenario *s = load_ok(path, NULL);
  g_assert_cmpstr(s->events_path, ==, csv);
  scn_free(s);
  /* Absolute paths are kept; an empty value means no events. */
  g_autofree char *abs_ini = g_strdup_printf("[workload]\nevents = %s\n", csv);
  g_autofree char *path2 = write_tmp("ev2.ini", abs_ini);
  s = load_ok(path2, NULL);
  g_assert_cmpstr(s->events_path, ==, csv);
  scn_free(s);
  const char *none[] = {"workload.events=", NULL};
  s = load_ok(path, none);
  g_assert_null(s->events_path);
  scn_free(s);

  g_autofree char *want = g_strdup_printf(
      ":3: workload.events: 'nope.csv' does not exist (looked for %s/nope.csv)", tmpdir);
  expect_error("[workload]\ninitial-members = 3\nevents = nope.csv\n", NULL, want);
  g_autofree char *want_dir =
      g_strdup_printf(":2: workload.events: 'sub' is not a regular file (%s/sub)", tmpdir);
  expect_error("[workload]\nevents = sub\n", NULL, want_dir);
  /* Overridden: relative to the scenario's folder too, reported as --set. */
  const char *ov[] = {"workload.events=missing.csv", NULL};
  g_autofree char *want_set = g_strdup_printf(
      "--set: workload.events: 'missing.csv' does not exist (looked for %s/missing.csv)", tmpdir);
  expect_error("[workload]\nevents = ev.csv\n", ov, want_set);
}

/* ------------------------------------------------------------ overrides */

static void test_overrides(void) {
  g_autofree char *path = write_tmp("ov.ini", "[run]\nseed = 5\nduration = 10\n");
  const char *ov[] = {"run.seed=9",
                      "topology.subgroup-policy=per-rnc",
                      "links.dch-rate=1e6",
                      "run.seed=11", /* the last one wins */
                      "workload.initial-members = 3",
                      NULL};
  Scenario *s = load_ok(path, ov);
  g_assert_cmpuint(s->seed, ==, 11);
  g_assert_cmpfloat(s->duration, ==, 10);
  g_assert_cmpint(s->subgroup_policy, ==, KT_POLICY_PER_RNC);
  g_assert_cmpfloat(s->dch.rate, ==, 1e6);
  g_assert_cmpuint(s->initial_members, ==, 3);
  scn_free(s);
  s = load_ok(path, NULL);
  g_assert_cmpuint(s->seed, ==, 5);
  scn_free(s);

  struct {
    const char *ov;
    const char *want;
  } bad[] = {
      {"run.seed=x", "--set: run.seed: 'x' is not an unsigned integer"},
      {"run.seed=", "--set: run.seed: '' is not an unsigned integer"},
      {"xyz", "--set: 'xyz': expected section.key=value"},
      {"run.seed", "--set: 'run.seed': expected section.key=value"},
      {"seed=3", "--set: 'seed=3': expected section.key=value"},
      {".seed=3", "--set: '.seed=3': expected section.key=value"},
      {"run.=3", "--set: 'run.=3': expected section.key=value"},
      {"=3", "--set: '=3': expected section.key=value"},
      {"runs.seed=3", "--set: runs.seed: unknown section 'runs' (known: run, topology, links, "
                      "workload, security, data, loss, reliability, mobility, trace, sweep)"},
      {"run.sed=3",
       "--set: run.sed: unknown key (known in [run]: name, seed, duration, scheme, embodiment, "
       "join-rekey, lkh-degree, sd-capacity, msk-on-leave, msk-period, mtk-period, batch-tree, "
       "batch-interval, crypto)"},
      {"run.seed.x=3",
       "--set: run.seed.x: unknown key (known in [run]: name, seed, duration, scheme, "
       "embodiment, join-rekey, lkh-degree, sd-capacity, msk-on-leave, msk-period, mtk-period, "
       "batch-tree, batch-interval, crypto)"},
      {"topology.ggsn=0", "--set: topology.ggsn: '0' is out of range (1..64)"},
      {"run.join-rekey=no", "--set: run.join-rekey: 'no' is not a boolean (true|false)"},
      {"run.duration=a\nb", "--set: run.duration: 'a\\nb' is not a number"},
  };
  for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
    const char *one[] = {bad[i].ov, NULL};
    g_autofree char *msg = load_error(path, one, SCN_ERROR_INVALID);
    g_assert_cmpstr(msg, ==, bad[i].want);
  }
  /* A bad file value overridden by a good one is fine; a good file value
   * overridden by a bad one is reported at --set, not at the file line. */
  g_autofree char *badfile = write_tmp("ovbad.ini", "[run]\nseed = oops\n");
  const char *fix[] = {"run.seed=4", NULL};
  s = load_ok(badfile, fix);
  g_assert_cmpuint(s->seed, ==, 4);
  scn_free(s);
  /* Unknown keys in the file are errors even if overrides are fine. */
  g_autofree char *unknown = write_tmp("ovunk.ini", "[run]\nbogus = 1\n");
  g_autofree char *msg = load_error(unknown, fix, SCN_ERROR_INVALID);
  g_assert_true(g_str_has_suffix(
      msg, ":2: run.bogus: unknown key (known in [run]: name, seed, "
           "duration, scheme, embodiment, join-rekey, lkh-degree, sd-capacity, msk-on-leave, "
           "msk-period, mtk-period, batch-tree, batch-interval, crypto)"));
}

/* ------------------------------------------------------------ the dump */

static void test_to_ini(void) {
  Scenario *s = load_ok("tests/data/full.ini", NULL);
  g_autofree char *ini = scn_to_ini(s);
  g_autofree char *again = scn_to_ini(s);
  g_assert_cmpstr(ini, ==, again);
  g_assert_nonnull(strstr(ini, "[run]\nname=full_1.x\nseed=18446744073709551615\n"
                               "duration=250.5\nscheme=patent\nembodiment=2\njoin-rekey=true\n"));
  g_assert_nonnull(strstr(ini, "core-rate=2000000000\ncore-delay=0.001\n"));
  g_assert_nonnull(strstr(ini, "common-rate=32000.5\n"));
  g_assert_nonnull(strstr(ini, "events=tests/data/full_events.csv\n"));

  /* Every key of every section is there, and the dump loads back (from the
   * working directory, where the events path was resolved) to the same. */
  g_autofree char *path = g_build_filename(tmpdir, "dump.ini", NULL);
  g_assert_true(g_file_set_contents(path, ini, -1, NULL));
  GKeyFile *kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(kf, ini, (gsize)-1, G_KEY_FILE_NONE, NULL));
  gsize n_groups = 0, n_keys = 0;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, &n_groups);
  for (gsize i = 0; i < n_groups; i++) {
    gsize n = 0;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], &n, NULL);
    n_keys += n;
  }
  g_key_file_free(kf);
  g_assert_cmpuint(n_groups, ==, 7);
  g_assert_cmpuint(n_keys, ==, 14 + 6 + 8 + 4 + 3 + 3 + 1);

  g_autofree char *cwd = g_get_current_dir();
  g_autofree char *abs_events = g_build_filename(cwd, "tests/data/full_events.csv", NULL);
  g_autofree char *ov_events = g_strconcat("workload.events=", abs_events, NULL);
  const char *ov[] = {ov_events, NULL};
  Scenario *r = load_ok(path, ov);
  g_free(r->events_path);
  r->events_path = g_strdup(s->events_path);
  g_autofree char *ini2 = scn_to_ini(r);
  g_assert_cmpstr(ini, ==, ini2);
  scn_free(r);
  scn_free(s);

  /* Defaults dump with exact, short numbers. */
  g_autofree char *dpath = write_tmp("d.ini", "");
  s = load_ok(dpath, NULL);
  g_autofree char *dini = scn_to_ini(s);
  g_assert_nonnull(strstr(dini, "[links]\ncore-rate=1000000000\ncore-delay=0.005\n"
                                "iu-rate=155000000\niu-delay=0.002\ndch-rate=384000\n"
                                "dch-delay=0.01\ncommon-rate=128000\ncommon-delay=0.02\n"));
  g_assert_nonnull(strstr(dini, "[workload]\ninitial-members=0\njoin-rate=0\n"
                                "mean-membership=0\nevents=\n"));
  scn_free(s);

  /* A value needing all 17 digits survives the trip. */
  const char *ov2[] = {"run.duration=0.1000000000000000055511151231257827", NULL};
  s = load_ok(dpath, ov2);
  g_autofree char *tricky = scn_to_ini(s);
  g_assert_nonnull(strstr(tricky, "duration=0.1\n"));
  scn_free(s);
  const char *ov3[] = {"run.duration=0.30000000000000004", NULL};
  s = load_ok(dpath, ov3);
  g_autofree char *tricky3 = scn_to_ini(s);
  g_assert_nonnull(strstr(tricky3, "duration=0.30000000000000004\n"));
  scn_free(s);
}

/* The sections and keys that are written only when used ([loss],
 * [reliability], the NAS and round keys, [mobility]) read back as
 * themselves: the dump of the dump is the dump. A written `[loss] dch`
 * used to read back as given and turn the NAS keys on (found by the
 * scenario fuzzer on examples/zhang-loss.ini). */
static void test_to_ini_reads_back(void) {
  const char *texts[] = {
      "[loss]\ncommon = bernoulli\ncommon-loss = 0.1\n",
      "[loss]\ndch = none\n",
      "[loss]\ndch = bernoulli\ndch-loss = 0.1\n",
      "[reliability]\nrecovery = true\nt3380 = 5\n",
      "[reliability]\nrecovery = true\nmulticast-rounds = 2\n",
      "[mobility]\nhandover-rate = 0.01\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
    g_autofree char *path = write_tmp("rb.ini", texts[i]);
    Scenario *s = load_ok(path, NULL);
    g_autofree char *ini = scn_to_ini(s);
    scn_free(s);
    g_autofree char *path2 = write_tmp("rb2.ini", ini);
    s = load_ok(path2, NULL);
    g_autofree char *ini2 = scn_to_ini(s);
    scn_free(s);
    g_assert_cmpstr(ini, ==, ini2);
  }
}

/* ------------------------------------------------------------ shipped files */

static void test_shipped_scenarios(void) {
  Scenario *s = load_ok("scenarios/default.ini", NULL);
  g_assert_cmpstr(s->name, ==, "default");
  g_assert_cmpuint(s->seed, ==, 1);
  g_assert_cmpfloat(s->duration, ==, 200);
  g_assert_cmpint(s->embodiment, ==, 1);
  g_assert_false(s->join_rekey);
  g_assert_cmpuint(scn_n_rnc(s), ==, 4);
  g_assert_cmpuint(scn_n_cells(s), ==, 16);
  g_assert_cmpuint(s->subgroup_size, ==, 8);
  g_assert_cmpuint(s->initial_members, ==, 200);
  g_assert_cmpfloat(s->join_rate, ==, 0.5);
  g_assert_cmpfloat(s->mean_membership, ==, 200);
  scn_free(s);

  const char *dirs[] = {"scenarios", "scenarios/examples"};
  unsigned loaded = 0;
  for (unsigned d = 0; d < G_N_ELEMENTS(dirs); d++) {
    GDir *dir = g_dir_open(dirs[d], 0, NULL);
    g_assert_nonnull(dir);
    const char *name;
    while ((name = g_dir_read_name(dir))) {
      if (!g_str_has_suffix(name, ".ini"))
        continue;
      g_autofree char *path = g_build_filename(dirs[d], name, NULL);
      s = load_ok(path, NULL);
      GError *error = NULL;
      Workload *wl = wl_build(s, &error);
      g_assert_no_error(error);
      g_assert_nonnull(wl);
      wl_free(wl);
      scn_free(s);
      loaded++;
    }
    g_dir_close(dir);
  }
  g_assert_cmpuint(loaded, >=, 5);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  chdir_to_srcdir();
  GError *error = NULL;
  tmpdir = g_dir_make_tmp("mbms-scn-XXXXXX", &error);
  g_assert_no_error(error);
  g_test_add_func("/scenario/scheme-security-data-keys", test_scheme_security_data_keys);
  g_test_add_func("/scenario/defaults", test_defaults);
  g_test_add_func("/scenario/every-key", test_every_key);
  g_test_add_func("/scenario/lenient-syntax", test_lenient_syntax);
  g_test_add_func("/scenario/fixture-errors", test_fixture_errors);
  g_test_add_func("/scenario/structure-errors", test_structure_errors);
  g_test_add_func("/scenario/value-errors", test_value_errors);
  g_test_add_func("/scenario/bound-edges", test_bound_edges);
  g_test_add_func("/scenario/bom-nul-fifo", test_bom_nul_fifo);
  g_test_add_func("/scenario/default-name-unsafe", test_default_name_unsafe);
  g_test_add_func("/scenario/events-key", test_events_key);
  g_test_add_func("/scenario/overrides", test_overrides);
  g_test_add_func("/scenario/to-ini", test_to_ini);
  g_test_add_func("/scenario/to-ini-reads-back", test_to_ini_reads_back);
  g_test_add_func("/scenario/shipped", test_shipped_scenarios);
  int status = g_test_run();
  rm_rf(tmpdir);
  g_free(tmpdir);
  return status;
}
