/* test_resume.c — `mbms-sim --resume` (issue 14): a sweep cut short at any
 * point and resumed gives the sweep.csv and sweep-stats.csv of a sweep never
 * interrupted, byte for byte; exactly the run folders that hold their very
 * run are reused (the count printed is the number of folders left intact,
 * known here by construction), and a folder whose scenario, seed or events
 * file differs is run again. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_files.h"

/* 2 points x 3 replications = 6 runs, a few tenths of a second in all. */
static const char *sweep_ini = "[run]\n"
                               "name = resume\n"
                               "duration = 20\n"
                               "[workload]\n"
                               "initial-members = 40\n"
                               "join-rate = 1\n"
                               "mean-membership = 30\n"
                               "events = events.csv\n"
                               "[sweep]\n"
                               "run.embodiment = 1, 2\n"
                               "replications = 3\n";
static const char *events_csv = "time,action,ue,cell\n1,leave,3,\n";
static const char *const slugs[] = {"embodiment-1", "embodiment-2"};
#define N_RUNS 6

static const char *sim(void) {
  const char *s = g_getenv("MBMS_SIM");
  g_assert_nonnull(s);
  return s;
}

/* Run i's folder, relative to the sweep folder (README: run i is
 * replication i mod 3 + 1 of point i div 3). */
static char *run_dir(const char *sweep, guint i) {
  return g_strdup_printf("%s/%s/rep-%u", sweep, slugs[i / 3], i % 3 + 1);
}

static void assert_results_equal(const char *dir, const char *a, const char *b) {
  const char *files[] = {"sweep.csv", "sweep-stats.csv"};
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    char *x = read_in(dir, a, files[i]), *y = read_in(dir, b, files[i]);
    g_assert_cmpstr(x, ==, y);
    g_assert_cmpuint(strlen(x), >, 0);
    g_free(x);
    g_free(y);
  }
}

/* Resumes `out` and checks the count printed and the files. */
static void resume_and_check(const char *dir, guint want_reused) {
  const char *args[] = {"--jobs", "2", "--resume", "-o", "out", "s.ini", NULL};
  char *out = NULL;
  g_assert_cmpint(run_sim_in(dir, args, &out), ==, 0);
  g_autofree char *want =
      g_strdup_printf("resume: %u runs reused, %u run\n", want_reused, N_RUNS - want_reused);
  if (!strstr(out, want))
    g_error("wanted '%s' in:\n%s", want, out);
  g_free(out);
  assert_results_equal(dir, "out", "clean");
}

static void remove_run(const char *dir, guint i) {
  g_autofree char *rel = run_dir("out", i);
  g_autofree char *p = g_build_filename(dir, rel, NULL);
  rm_rf(p);
}

/* The folders a sweep cut at any point leaves: every prefix of the runs in
 * run order, and (with --jobs the runs finish out of order) every subset. */
static void test_every_cut(void) {
  TmpScenario t = tmp_scenario(sweep_ini, events_csv);
  const char *clean[] = {"-q", "--jobs", "2", "-o", "clean", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, clean, NULL), ==, 0);
  const char *full[] = {"-q", "--jobs", "2", "-o", "out", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, full, NULL), ==, 0);
  /* nothing to do: every folder reused */
  resume_and_check(t.dir, N_RUNS);
  for (guint mask = 0; mask < (1u << N_RUNS); mask++) {
    guint kept = 0;
    for (guint i = 0; i < N_RUNS; i++) {
      if (mask & (1u << i))
        kept++;
      else
        remove_run(t.dir, i);
    }
    /* the result files of the interrupted sweep are not there either */
    g_autofree char *csv = g_build_filename(t.dir, "out", "sweep.csv", NULL);
    g_autofree char *stats = g_build_filename(t.dir, "out", "sweep-stats.csv", NULL);
    g_unlink(csv);
    g_unlink(stats);
    resume_and_check(t.dir, kept);
    /* after which every folder is there again */
  }
  tmp_free(&t);
}

/* A folder that does not hold its very run is run again. */
static void test_mismatch_reruns(void) {
  TmpScenario t = tmp_scenario(sweep_ini, events_csv);
  const char *clean[] = {"-q", "-o", "clean", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, clean, NULL), ==, 0);
  const char *full[] = {"-q", "-o", "out", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, full, NULL), ==, 0);

  /* run 0's scenario.ini edited; run 4's summary.json provenance with
   * another seed: two runs again */
  g_autofree char *r0 = run_dir("out", 0);
  g_autofree char *ini = g_build_filename(t.dir, r0, "scenario.ini", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(ini, &text, NULL, NULL));
  g_autofree char *edited = g_strconcat(text, "# edited\n", NULL);
  g_assert_true(g_file_set_contents(ini, edited, -1, NULL));
  g_autofree char *r4 = run_dir("out", 4);
  g_autofree char *js = g_build_filename(t.dir, r4, "summary.json", NULL);
  g_autofree char *jtext = NULL;
  g_assert_true(g_file_get_contents(js, &jtext, NULL, NULL));
  char *seed = g_strrstr(jtext, "\n    \"seed\": "); /* the provenance one, last */
  g_assert_nonnull(seed);
  char *digit = seed + strlen("\n    \"seed\": ");
  *digit = *digit == '9' ? '8' : '9';
  g_assert_true(g_file_set_contents(js, jtext, -1, NULL));
  resume_and_check(t.dir, N_RUNS - 2);

  /* the events file's contents changed (same path): every run again, and
   * the results are those of the new file */
  g_autofree char *ev = g_build_filename(t.dir, "events.csv", NULL);
  g_assert_true(g_file_set_contents(ev, "time,action,ue,cell\n1,leave,4,\n", -1, NULL));
  const char *clean2[] = {"-q", "-o", "clean", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, clean2, NULL), ==, 0);
  resume_and_check(t.dir, 0);

  /* --resume is for sweeps only */
  const char *single[] = {"--single", "--resume", "-o", "one", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, single, NULL), ==, 2);
  tmp_free(&t);
}

/* A real interruption: the sweep's parent killed (its runs die with it)
 * once a first run folder is there; resumed, it completes. */
static void test_killed_then_resumed(void) {
  TmpScenario t = tmp_scenario(sweep_ini, events_csv);
  const char *clean[] = {"-q", "--set", "run.duration=200", "-o", "clean", "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, clean, NULL), ==, 0);
  const char *argv[] = {sim(), "-q",  "--jobs", "1", "--set", "run.duration=200",
                        "-o",  "out", "s.ini",  NULL};
  GPid parent;
  GError *error = NULL;
  g_assert_true(g_spawn_async(t.dir, (char **)argv, NULL,
                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                  G_SPAWN_STDERR_TO_DEV_NULL,
                              NULL, NULL, &parent, &error));
  g_assert_no_error(error);
  g_autofree char *first = run_dir("out", 0);
  g_autofree char *first_summary = g_build_filename(t.dir, first, "summary.json", NULL);
  for (guint k = 0; k < 2000 && !g_file_test(first_summary, G_FILE_TEST_EXISTS); k++)
    g_usleep(5000);
  kill(parent, SIGKILL);
  int status;
  g_assert_cmpint(waitpid(parent, &status, 0), ==, parent);
  g_usleep(100000); /* its run dies of the parent-death signal */
  g_autofree char *csv = g_build_filename(t.dir, "out", "sweep.csv", NULL);
  gboolean finished = g_file_test(csv, G_FILE_TEST_EXISTS);
  const char *resume[] = {"-q", "--resume", "--set", "run.duration=200",
                          "-o", "out",      "s.ini", NULL};
  g_assert_cmpint(run_sim_in(t.dir, resume, NULL), ==, 0);
  if (finished)
    g_test_message("the sweep had finished before it was killed");
  assert_results_equal(t.dir, "out", "clean");
  tmp_free(&t);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/resume/every-cut", test_every_cut);
  g_test_add_func("/resume/mismatch", test_mismatch_reruns);
  g_test_add_func("/resume/killed", test_killed_then_resumed);
  return g_test_run();
}
