/* test_sweep_faults.c — a sweep's parent killed alone (issue 11, item 11):
 * its runs must not go on, re-parented, to completion, and running the
 * sweep again must give the results of a sweep never interrupted.
 *
 * This process makes itself a child subreaper, so the runs of a killed
 * sweep are re-parented to it (not to init) and it can wait for them and
 * see how they ended: killed (by the death signal the sweep arms in each
 * child) within a bound, not exited after finishing their simulation. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_files.h"

/* Two small runs, side by side. For the kill, --set makes them long (a day
 * of churn among 1500 members: minutes, however fast the simulator gets),
 * so that they are surely still running when the parent is killed. */
static const char *sweep_ini = "[run]\n"
                               "name = faults\n"
                               "duration = 20\n"
                               "[workload]\n"
                               "initial-members = 40\n"
                               "join-rate = 1\n"
                               "mean-membership = 30\n"
                               "[sweep]\n"
                               "replications = 2\n";

static const char *sim(void) {
  const char *s = g_getenv("MBMS_SIM");
  if (!s)
    g_test_skip("MBMS_SIM not set (run through meson test)");
  return s;
}

/* The pids whose parent is `parent`, from /proc. */
static GArray *children_of(pid_t parent) {
  GArray *a = g_array_new(FALSE, FALSE, sizeof(pid_t));
  GDir *d = g_dir_open("/proc", 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (!g_ascii_isdigit(name[0]))
      continue;
    char *path = g_build_filename("/proc", name, "stat", NULL), *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
      /* pid (comm) state ppid ...; comm may hold blanks, so after the last ')' */
      const char *rp = strrchr(text, ')');
      int ppid = 0;
      char state;
      if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
        pid_t pid = (pid_t)g_ascii_strtoll(name, NULL, 10);
        g_array_append_val(a, pid);
      }
    }
    g_free(text);
    g_free(path);
  }
  g_dir_close(d);
  return a;
}

static int run_in(const char *cwd, const char *const *argv) {
  int status = -1;
  GError *error = NULL;
  g_assert_true(g_spawn_sync(cwd, (char **)argv, NULL,
                             G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                             NULL, NULL, &status, &error));
  g_assert_no_error(error);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts the long sweep with --jobs 2 into `dir`/out, waits for its two
 * runs to start, kills the sweep's parent alone with `sig`, and wants both
 * runs killed (SIGKILL, the death signal) within one second. */
static void kill_parent(const char *dir, int sig) {
  const char *argv[] = {sim(),    "-q",
                        "--jobs", "2",
                        "--set",  "run.duration=86400",
                        "--set",  "workload.initial-members=1500",
                        "--set",  "workload.join-rate=5",
                        "-o",     "out",
                        "s.ini",  NULL};
  GPid parent;
  GError *error = NULL;
  g_assert_true(g_spawn_async(dir, (char **)argv, NULL,
                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                  G_SPAWN_STDERR_TO_DEV_NULL,
                              NULL, NULL, &parent, &error));
  g_assert_no_error(error);
  GArray *kids = NULL;
  for (guint t = 0; t < 1000; t++) { /* up to 10 s for the two runs to start */
    if (kids)
      g_array_unref(kids);
    kids = children_of(parent);
    if (kids->len == 2)
      break;
    g_usleep(10000);
  }
  g_assert_cmpuint(kids->len, ==, 2);
  g_usleep(200000); /* inside their simulations */
  g_assert_cmpint(kill(parent, sig), ==, 0);
  int status;
  g_assert_cmpint(waitpid(parent, &status, 0), ==, parent);
  g_assert_true(WIFSIGNALED(status));
  g_assert_cmpint(WTERMSIG(status), ==, sig);
  gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC;
  for (guint k = 0; k < kids->len; k++) {
    pid_t kid = g_array_index(kids, pid_t, k), r;
    /* re-parented to this subreaper: ours to wait for */
    while ((r = waitpid(kid, &status, WNOHANG)) == 0 && g_get_monotonic_time() < until)
      g_usleep(5000);
    if (r != kid) {
      kill(kid, SIGKILL);
      waitpid(kid, &status, 0);
      g_error("signal %d: run %d still running 1 s after its sweep's parent died", sig, (int)kid);
    }
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
      g_error("signal %d: run %d ended with status 0x%x, not killed with its parent", sig, (int)kid,
              status);
  }
  g_array_unref(kids);
}

static void test_parent_killed(void) {
  if (!sim())
    return;
  g_assert_cmpint(prctl(PR_SET_CHILD_SUBREAPER, 1), ==, 0);
  TmpScenario t = tmp_scenario(sweep_ini, NULL);
  kill_parent(t.dir, SIGTERM);
  kill_parent(t.dir, SIGINT);
  kill_parent(t.dir, SIGKILL);
  /* a sweep again into the folder the killed runs left (the same run
   * folders, made short): the results of one into a fresh folder */
  const char *again[] = {sim(), "-q", "--jobs", "2", "-o", "out", "s.ini", NULL};
  const char *clean[] = {sim(), "-q", "--jobs", "2", "-o", "clean", "s.ini", NULL};
  g_assert_cmpint(run_in(t.dir, again), ==, 0);
  g_assert_cmpint(run_in(t.dir, clean), ==, 0);
  const char *files[] = {"sweep.csv", "sweep-stats.csv"};
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    char *a = read_in(t.dir, "out", files[i]), *b = read_in(t.dir, "clean", files[i]);
    g_assert_cmpstr(a, ==, b);
    g_assert_cmpuint(strlen(a), >, 0);
    g_free(a);
    g_free(b);
  }
  tmp_free(&t);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/sweep-faults/parent-killed", test_parent_killed);
  return g_test_run();
}
