/* sweep_exec.c — running a sweep's runs: each run is a child process of
 * mbms-sim (a plain single run), --jobs of them at a time; their wait
 * statuses are turned into figures and the results written in run order. */
#include "app/sweep_private.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/scenario.h"

/* ------------------------------------------------------------ one run */

static char *self_exe(void) {
  char *exe = g_file_read_link("/proc/self/exe", NULL);
  return exe ? exe : g_strdup("mbms-sim");
}

/* argv of the child that performs run i: an ordinary single run. */
static GPtrArray *child_argv(const SweepPlan *plan, guint i, const char *exe) {
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_strdup(exe));
  g_ptr_array_add(argv, g_strdup("--single"));
  g_ptr_array_add(argv, g_strdup("--quiet"));
  g_ptr_array_add(argv, g_strdup("--output"));
  g_ptr_array_add(argv, sweep_run_dir(plan, i));
  for (guint k = 0; k + 1 < plan->plain->len; k++)
    g_ptr_array_add(argv, g_strconcat("--set=", g_ptr_array_index(plan->plain, k), NULL));
  for (guint d = 0; d < plan->dims->len; d++) {
    SweepDim *dim = g_ptr_array_index(plan->dims, d);
    g_ptr_array_add(argv, g_strconcat("--set=", dim->key, "=",
                                      sweep_point_value(plan, i / plan->replications, d), NULL));
  }
  g_ptr_array_add(argv,
                  g_strdup_printf("--set=run.seed=%" G_GUINT64_FORMAT, sweep_run_seed(plan, i)));
  g_ptr_array_add(argv, g_strdup("--"));
  g_ptr_array_add(argv, g_strdup(plan->path));
  g_ptr_array_add(argv, NULL);
  return argv;
}

/* In the child, between fork and exec: the child dies with the parent
 * (a sweep killed by TERM, INT or KILL must not leave its runs going on,
 * re-parented to init). The death signal is armed only from here on, so a
 * parent that died before it was set is caught by comparing getppid() with
 * the pid the parent passed. */
static void child_setup(gpointer parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)GPOINTER_TO_INT(parent))
    _exit(1);
}

gboolean sweep_spawn(const SweepPlan *plan, guint i, GPid *pid, GError **error) {
  g_autofree char *exe = self_exe();
  GPtrArray *argv = child_argv(plan, i, exe);
  GError *e = NULL;
  gboolean ok = g_spawn_async(NULL, (char **)argv->pdata, NULL,
                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN, child_setup,
                              GINT_TO_POINTER((int)getpid()), pid, &e);
  g_ptr_array_unref(argv);
  if (!ok) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "sweep: cannot start %s: %s", exe, e->message);
    g_error_free(e);
  }
  return ok;
}

static gboolean child_status(const SweepPlan *plan, guint i, int status, GError **error) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return TRUE;
  g_autofree char *rel = sweep_run_rel(plan, i);
  if (WIFEXITED(status))
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "sweep: run %s failed (exit status %d)", rel,
                WEXITSTATUS(status));
  else
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "sweep: run %s was killed by signal %d", rel,
                WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return FALSE;
}

char *sweep_finish(const SweepPlan *plan, guint i, int status, GError **error) {
  if (!child_status(plan, i, status, error))
    return NULL;
  g_autofree char *dir = sweep_run_dir(plan, i);
  return sweep_run_collect(dir, error);
}

char *sweep_run_one(const SweepPlan *plan, guint i, GError **error) {
  GPid pid;
  if (!sweep_spawn(plan, i, &pid, error))
    return NULL;
  int status = 0;
  pid_t r;
  while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
    ;
  int e = errno;
  g_spawn_close_pid(pid);
  if (r < 0) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "sweep: waitpid: %s", g_strerror(e));
    return NULL;
  }
  return sweep_finish(plan, i, status, error);
}

/* ------------------------------------------------------------ running */

/* Runs the runs of `todo` (indices), --jobs at a time, their figures into
 * figures[i]; with --resume a folder holding its very run is read back. */
static gboolean run_batch(SweepPlan *plan, const SweepOptions *opt, GArray *all, char **figures,
                          SweepProgress *prog, GError **error) {
  GArray *todo = g_array_new(FALSE, FALSE, sizeof(guint));
  plan->done += all->len;
  for (guint k = 0; k < all->len; k++) {
    guint i = g_array_index(all, guint, k);
    if (opt->resume && (figures[i] = sweep_run_reuse(plan, i)) != NULL) {
      plan->reused++;
      sweep_progress_done(prog, figures[i]);
    } else {
      g_array_append_val(todo, i);
    }
  }
  GHashTable *running = g_hash_table_new(NULL, NULL); /* pid -> run index + 1 */
  guint next = 0;
  gboolean ok = TRUE;
  guint jobs = MAX(opt->jobs, 1u);
  while (g_hash_table_size(running) > 0 || (ok && next < todo->len)) {
    while (ok && next < todo->len && g_hash_table_size(running) < jobs) {
      guint i = g_array_index(todo, guint, next++);
      GPid pid;
      if (!sweep_spawn(plan, i, &pid, error)) {
        ok = FALSE;
        break;
      }
      g_hash_table_insert(running, GINT_TO_POINTER(pid), GUINT_TO_POINTER(i + 1));
    }
    if (g_hash_table_size(running) == 0)
      break;
    int status;
    pid_t pid = opt->progress ? waitpid(-1, &status, WNOHANG) : waitpid(-1, &status, 0);
    if (pid == 0) {
      sweep_progress_tick(prog);
      g_usleep(5000);
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      /* no child of ours is left to wait for: a system failure, not a
       * reason to abort without a word */
      int e = errno;
      if (ok)
        g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "sweep: waitpid: %s", g_strerror(e));
      ok = FALSE;
      break;
    }
    gpointer v = g_hash_table_lookup(running, GINT_TO_POINTER(pid));
    if (!v)
      continue;
    g_hash_table_remove(running, GINT_TO_POINTER(pid));
    guint i = GPOINTER_TO_UINT(v) - 1;
    if (!ok)
      continue; /* already failing: only reap */
    GError *e = NULL;
    figures[i] = sweep_finish(plan, i, status, &e);
    if (!figures[i]) {
      g_propagate_error(error, e);
      ok = FALSE;
      continue;
    }
    sweep_progress_done(prog, figures[i]);
  }
  g_hash_table_destroy(running);
  g_array_free(todo, TRUE);
  return ok;
}

/* ci-target: MIN replications of every point, then rounds of one more
 * replication of each point that has not reached the target and is below
 * MAX. A point's count is thus the first n >= MIN at which its first n
 * replications reach the target (or MAX), whatever --jobs: runs are
 * deterministic and the decision reads only finished runs. */
static gboolean run_ci(SweepPlan *plan, const SweepOptions *opt, char **figures,
                       SweepProgress *prog, GError **error) {
  guint np = plan->n_points, max = plan->replications;
  g_free(plan->point_n);
  g_free(plan->reached);
  plan->point_n = g_new0(guint, np);
  plan->reached = g_new0(gboolean, np);
  GArray *batch = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint p = 0; p < np; p++)
    for (guint r = 0; r < plan->rep_min; r++) {
      guint i = p * max + r;
      g_array_append_val(batch, i);
    }
  for (guint p = 0; p < np; p++)
    plan->point_n[p] = plan->rep_min;
  gboolean ok = TRUE;
  while (ok && batch->len > 0) {
    ok = run_batch(plan, opt, batch, figures, prog, error);
    g_array_set_size(batch, 0);
    for (guint p = 0; ok && p < np; p++) {
      if (plan->reached[p])
        continue;
      plan->reached[p] = sweep_ci_reached(plan, figures, p, plan->point_n[p]);
      if (!plan->reached[p] && plan->point_n[p] < max) {
        guint i = p * max + plan->point_n[p]++;
        g_array_append_val(batch, i);
      }
    }
  }
  g_array_free(batch, TRUE);
  return ok;
}

gboolean sweep_run(SweepPlan *plan, const SweepOptions *opt, GError **error) {
  /* before any run writes into it (and again when the files are written) */
  if (!sweep_folder_check(plan->dir, error))
    return FALSE;
  if (plan->ci_figure && opt->shard_n)
    return sweep_invalid(error, "--shard: not with sweep.ci-target (the replications a point "
                                "needs depend on its earlier runs)");
  guint k = opt->shard_n ? opt->shard_k : 1, n = opt->shard_n ? opt->shard_n : 1;
  gint64 t0 = g_get_monotonic_time();
  char **figures = g_new0(char *, plan->n_runs + 1);
  plan->reused = plan->done = 0;
  SweepProgress *prog = NULL;
  gboolean ok;
  if (plan->ci_figure) {
    prog = sweep_progress_new(opt->progress, plan->n_points * plan->rep_min);
    ok = run_ci(plan, opt, figures, prog, error);
  } else {
    GArray *all = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = k - 1; i < plan->n_runs; i += n)
      g_array_append_val(all, i);
    prog = sweep_progress_new(opt->progress, all->len);
    ok = run_batch(plan, opt, all, figures, prog, error);
    g_array_free(all, TRUE);
  }
  sweep_progress_free(prog);
  if (ok)
    ok = opt->shard_n
             ? sweep_write_shard(plan, k, n, figures, error)
             : sweep_write_results(plan, figures, error) &&
                   sweep_write_json(plan, plan->done, (g_get_monotonic_time() - t0) / 1e6, error);
  for (guint i = 0; i < plan->n_runs; i++) /* a shard leaves holes: not g_strfreev */
    g_free(figures[i]);
  g_free(figures);
  return ok;
}
