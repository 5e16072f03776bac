/* sweep.c — sweeps: what is not yet split out of it. See sweep.h for the
 * rules and sweep_private.h for the layout. */
#include "app/sweep_private.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/report.h"
#include "app/scenario.h"

/* ------------------------------------------------------------ the plan */

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
  g_autofree char *rel = sweep_run_rel(plan, i);
  g_ptr_array_add(argv, g_strdup("--output"));
  g_ptr_array_add(argv, g_build_filename(plan->dir, rel, NULL));
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

gboolean sweep_spawn(const SweepPlan *plan, guint i, GPid *pid, GError **error) {
  g_autofree char *exe = self_exe();
  GPtrArray *argv = child_argv(plan, i, exe);
  GError *e = NULL;
  gboolean ok =
      g_spawn_async(NULL, (char **)argv->pdata, NULL,
                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, pid, &e);
  g_ptr_array_unref(argv);
  if (!ok) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "sweep: cannot start %s: %s", exe, e->message);
    g_error_free(e);
  }
  return ok;
}

/* Figure columns of sweep.csv after the summary.csv totals. */
static const char *const kinds[] = {"bmsc", "ggsn", "sgsn", "rnc", "ue"};
static const char *const per_event[] = {"p2p_msgs", "p2m_msgs", "p2m_tx", "core_msgs", "bytes"};
#define FIRST_TOTAL "joins"

static char *read_text(const char *dir, const char *name, GError **error) {
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  GError *e = NULL;
  if (!g_file_get_contents(path, &text, NULL, &e)) {
    g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s", e->message);
    g_error_free(e);
  }
  return text;
}

static gboolean bad_file(GError **error, const char *dir, const char *name, const char *what) {
  g_set_error(error, SCN_ERROR, SCN_ERROR_IO, "%s/%s: %s", dir, name, what);
  return FALSE;
}

static void append_mean(GString *s, double sum, guint n) {
  g_string_append_c(s, ',');
  if (n == 0)
    return;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, "%.6f", sum / n);
  g_string_append(s, buf);
}

/* The header of the figure columns (summary.csv's totals from "joins" on,
 * then per-event means and per-kind load). `totals_header` is summary.csv's
 * header from "joins" on. */
static char *figures_header(const char *totals_header) {
  GString *s = g_string_new(totals_header);
  const char *ev[] = {"join", "leave"};
  for (guint k = 0; k < 2; k++)
    for (guint j = 0; j < G_N_ELEMENTS(per_event); j++)
      g_string_append_printf(s, ",%s_per_%s", per_event[j], ev[k]);
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
    g_string_append_printf(s, ",%s_msgs,%s_bytes,%s_wraps", kinds[k], kinds[k], kinds[k]);
  return g_string_free(s, FALSE);
}

/* The figures of one run folder: "header\nvalues" parts returned apart. */
static gboolean run_figures(const char *dir, char **header, char **values, GError **error) {
  g_autofree char *summary = read_text(dir, "summary.csv", error);
  if (!summary)
    return FALSE;
  g_auto(GStrv) lines = g_strsplit(summary, "\n", 3);
  if (!lines[0] || !lines[1])
    return bad_file(error, dir, "summary.csv", "want a header and a row");
  g_auto(GStrv) h = g_strsplit(lines[0], ",", -1);
  guint first = 0, n_h = g_strv_length(h);
  while (first < n_h && strcmp(h[first], FIRST_TOTAL) != 0)
    first++;
  if (first == n_h)
    return bad_file(error, dir, "summary.csv", "no column " FIRST_TOTAL);
  /* fields before the totals may be quoted strings: count from the end */
  g_auto(GStrv) v = g_strsplit(lines[1], ",", -1);
  guint n_v = g_strv_length(v);
  if (n_v < n_h)
    return bad_file(error, dir, "summary.csv", "short row");
  GString *hs = g_string_new(NULL), *vs = g_string_new(NULL);
  for (guint k = first; k < n_h; k++) {
    g_string_append_printf(hs, "%s%s", k > first ? "," : "", h[k]);
    g_string_append_printf(vs, "%s%s", k > first ? "," : "", v[n_v - n_h + k]);
  }

  g_autofree char *rekeys = read_text(dir, "rekeys.csv", error);
  g_autofree char *elements = rekeys ? read_text(dir, "elements.csv", error) : NULL;
  if (!elements) {
    g_string_free(hs, TRUE);
    g_string_free(vs, TRUE);
    return FALSE;
  }
  double sum[2][G_N_ELEMENTS(per_event)] = {{0}};
  guint count[2] = {0, 0};
  g_auto(GStrv) rl = g_strsplit(rekeys, "\n", -1);
  for (guint k = 1; rl[k]; k++) {
    if (!*rl[k])
      continue;
    g_auto(GStrv) f = g_strsplit(rl[k], ",", -1);
    if (g_strv_length(f) != 12)
      continue;
    guint ev = strcmp(f[1], "leave") == 0;
    count[ev]++;
    for (guint j = 0; j < G_N_ELEMENTS(per_event); j++)
      sum[ev][j] += g_ascii_strtod(f[6 + j], NULL);
  }
  for (guint ev = 0; ev < 2; ev++)
    for (guint j = 0; j < G_N_ELEMENTS(per_event); j++)
      append_mean(vs, sum[ev][j], count[ev]);
  guint64 load[G_N_ELEMENTS(kinds)][3] = {{0}};
  g_auto(GStrv) el = g_strsplit(elements, "\n", -1);
  for (guint k = 1; el[k]; k++) {
    g_auto(GStrv) f = g_strsplit(el[k], ",", -1);
    if (g_strv_length(f) != 11)
      continue;
    for (guint j = 0; j < G_N_ELEMENTS(kinds); j++) {
      if (strcmp(f[1], kinds[j]) != 0)
        continue;
      load[j][0] += g_ascii_strtoull(f[3], NULL, 10) + g_ascii_strtoull(f[5], NULL, 10);
      load[j][1] += g_ascii_strtoull(f[4], NULL, 10) + g_ascii_strtoull(f[6], NULL, 10);
      load[j][2] += g_ascii_strtoull(f[7], NULL, 10);
    }
  }
  for (guint j = 0; j < G_N_ELEMENTS(kinds); j++)
    g_string_append_printf(vs, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT,
                           load[j][0], load[j][1], load[j][2]);
  *header = figures_header(hs->str);
  g_string_free(hs, TRUE);
  *values = g_string_free(vs, FALSE);
  return TRUE;
}

char *sweep_run_collect(const SweepPlan *plan, guint i, GError **error) {
  g_autofree char *rel = sweep_run_rel(plan, i);
  g_autofree char *dir = g_build_filename(plan->dir, rel, NULL);
  char *h, *v;
  if (!run_figures(dir, &h, &v, error))
    return NULL;
  char *out = g_strdup_printf("%s%c%s", h, SWEEP_FIG_SEP, v);
  g_free(h);
  g_free(v);
  return out;
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
  return sweep_run_collect(plan, i, error);
}

char *sweep_run_one(const SweepPlan *plan, guint i, GError **error) {
  GPid pid;
  if (!sweep_spawn(plan, i, &pid, error))
    return NULL;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_spawn_close_pid(pid);
  if (!child_status(plan, i, status, error))
    return NULL;
  return sweep_run_collect(plan, i, error);
}

/* ------------------------------------------------------------ running */

gboolean sweep_run(SweepPlan *plan, const SweepOptions *opt, GError **error) {
  guint k = opt->shard_n ? opt->shard_k : 1, n = opt->shard_n ? opt->shard_n : 1;
  GArray *todo = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint i = k - 1; i < plan->n_runs; i += n)
    g_array_append_val(todo, i);
  char **figures = g_new0(char *, plan->n_runs + 1);
  GHashTable *running = g_hash_table_new(NULL, NULL); /* pid -> run index + 1 */
  SweepProgress *prog = sweep_progress_new(opt->progress, todo->len);
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
      g_error("sweep: waitpid: %s", g_strerror(errno));
    }
    gpointer v = g_hash_table_lookup(running, GINT_TO_POINTER(pid));
    if (!v)
      continue;
    g_hash_table_remove(running, GINT_TO_POINTER(pid));
    guint i = GPOINTER_TO_UINT(v) - 1;
    if (!ok)
      continue; /* already failing: only reap */
    GError *e = NULL;
    if (child_status(plan, i, status, &e))
      figures[i] = sweep_run_collect(plan, i, &e);
    if (!figures[i]) {
      g_propagate_error(error, e);
      ok = FALSE;
      continue;
    }
    sweep_progress_done(prog, figures[i]);
  }
  sweep_progress_free(prog);
  g_hash_table_destroy(running);
  if (ok)
    ok = opt->shard_n ? sweep_write_shard(plan, k, n, figures, error)
                      : sweep_write_results(plan, figures, error);
  g_array_free(todo, TRUE);
  for (guint i = 0; i < plan->n_runs; i++) /* a shard leaves holes: not g_strfreev */
    g_free(figures[i]);
  g_free(figures);
  return ok;
}
