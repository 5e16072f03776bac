/* sweep_mpi.c — a sweep spread over MPI ranks (built only when MPI is found).
 *
 * Dynamic assignment: rank 0 is the master. It hands out run indices, in
 * run order, to whichever rank asks next, and runs runs itself too (one at a
 * time, between serving requests), so that `-np K` keeps K runs going. Each
 * other rank asks for a run, performs it in a child process (as --jobs does),
 * sends back its figures and asks again; a long run therefore never holds up
 * the short ones behind it. Rank 0 writes sweep.csv and sweep-stats.csv from
 * the figures in run order, byte for byte as a serial sweep. Every rank
 * writes its runs' folders under the sweep folder, which on a cluster should
 * be on a shared file system. */
#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "app/scenario.h"
#include "app/sweep.h"
#include "app/sweep_table.h"

enum { TAG_READY = 1, TAG_RESULT = 2, TAG_WORK = 3 };

gboolean sweep_mpi_launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
         getenv("PMI_SIZE");
}

/* A result message: "<index>\t<code>\t<figures or error message>";
 * code 0 ok, else the exit status to report. */
static void send_result(guint i, int code, const char *text) {
  char *msg = g_strdup_printf("%u\t%d\t%s", i, code, text);
  MPI_Send(msg, (int)strlen(msg) + 1, MPI_CHAR, 0, TAG_RESULT, MPI_COMM_WORLD);
  g_free(msg);
}

static int worker(const SweepPlan *plan) {
  int ready = 0, i;
  MPI_Send(&ready, 1, MPI_INT, 0, TAG_READY, MPI_COMM_WORLD);
  for (;;) {
    MPI_Recv(&i, 1, MPI_INT, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (i < 0)
      return 0;
    GError *error = NULL;
    char *fig = sweep_run_one(plan, (guint)i, &error);
    if (fig) {
      send_result((guint)i, 0, fig);
      g_free(fig);
    } else {
      send_result((guint)i, scn_exit_status(error), error->message);
      g_error_free(error);
    }
  }
}

typedef struct {
  const SweepPlan *plan;
  char **figures;
  guint next, n_runs;
  char *error; /* first failure */
  int code;
  gint64 t0; /* wall clock at the start, for sweep.json */
} Master;

static int next_run(Master *m) {
  return !m->error && m->next < m->n_runs ? (int)m->next++ : -1;
}

static void record(Master *m, guint i, int code, char *text, SweepProgress *prog) {
  if (code == 0 && i < m->n_runs && !m->figures[i]) {
    m->figures[i] = text;
    sweep_progress_done(prog, text);
    return;
  }
  if (!m->error) {
    m->error = code ? text : g_strdup("MPI: a run was reported twice");
    m->code = code ? code : 1;
    if (!code)
      g_free(text);
  } else {
    g_free(text);
  }
}

static int master(const SweepPlan *plan, int size, gboolean progress, gboolean quiet) {
  Master m = {.plan = plan, .n_runs = sweep_plan_n_runs(plan), .t0 = g_get_monotonic_time()};
  m.figures = g_new0(char *, m.n_runs + 1);
  SweepProgress *prog = sweep_progress_new(progress, m.n_runs);
  int stopped = 0;
  /* a folder holding foreign files: no run starts (the workers are still
   * answered, with no work, so that every rank ends) */
  GError *fe = NULL;
  if (!sweep_folder_check(sweep_plan_dir(plan), &fe)) {
    m.error = g_strdup(fe->message);
    m.code = scn_exit_status(fe);
    g_error_free(fe);
  }
  GPid own = 0;
  guint own_i = 0;
  while (stopped < size - 1 || own || (!m.error && m.next < m.n_runs)) {
    gboolean busy = FALSE;
    int flag;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag) {
      busy = TRUE;
      if (st.MPI_TAG == TAG_READY) {
        int dummy;
        MPI_Recv(&dummy, 1, MPI_INT, st.MPI_SOURCE, TAG_READY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else {
        int len;
        MPI_Get_count(&st, MPI_CHAR, &len);
        char *buf = g_malloc((gsize)len + 1);
        MPI_Recv(buf, len, MPI_CHAR, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        buf[len] = '\0';
        char **parts = g_strsplit(buf, "\t", 3);
        if (g_strv_length(parts) == 3)
          record(&m, (guint)g_ascii_strtoull(parts[0], NULL, 10), atoi(parts[1]),
                 g_strdup(parts[2]), prog);
        g_strfreev(parts);
        g_free(buf);
      }
      int i = next_run(&m);
      MPI_Send(&i, 1, MPI_INT, st.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
      if (i < 0)
        stopped++;
    }
    if (!own) {
      int i = next_run(&m);
      if (i >= 0) {
        GError *e = NULL;
        if (sweep_spawn(plan, (guint)i, &own, &e)) {
          own_i = (guint)i;
        } else {
          own = 0;
          record(&m, (guint)i, 1, g_strdup(e->message), prog);
          g_error_free(e);
        }
        busy = TRUE;
      }
    } else {
      int status = 0;
      pid_t r = waitpid(own, &status, WNOHANG);
      if (r < 0 && errno != EINTR) {
        /* the child is gone without a status: a failure of this run, not a
         * reason to wait for it forever */
        int err = errno;
        g_spawn_close_pid(own);
        own = 0;
        record(&m, own_i, 1, g_strdup_printf("sweep: waitpid: %s", g_strerror(err)), prog);
        busy = TRUE;
      } else if (r == own) {
        g_spawn_close_pid(own);
        own = 0;
        GError *e = NULL;
        char *fig = sweep_finish(plan, own_i, status, &e);
        if (fig) {
          record(&m, own_i, 0, fig, prog);
        } else {
          record(&m, own_i, scn_exit_status(e), g_strdup(e->message), prog);
          g_error_free(e);
        }
        busy = TRUE;
      }
    }
    if (!busy) {
      sweep_progress_tick(prog);
      g_usleep(1000);
    }
  }
  sweep_progress_free(prog);
  int status = 0;
  GError *error = NULL;
  if (m.error) {
    fprintf(stderr, "mbms-sim: %s\n", m.error);
    status = m.code;
  } else if (!sweep_write_results(plan, m.figures, &error) ||
             !sweep_write_json(plan, m.n_runs, (g_get_monotonic_time() - m.t0) / 1e6, &error)) {
    fprintf(stderr, "mbms-sim: %s\n", error->message);
    g_error_free(error);
    status = 1;
  } else if (!quiet) {
    /* the same comparison table as a serial sweep */
    if (!sweep_print_table(stdout, sweep_plan_dir(plan), &error)) {
      fprintf(stderr, "mbms-sim: %s\n", error->message);
      g_error_free(error);
      status = 1;
    }
    printf("sweep: %u runs on %d MPI ranks\nresults: %s\n", m.n_runs, size, sweep_plan_dir(plan));
  }
  g_free(m.error);
  for (guint i = 0; i < m.n_runs; i++) /* holes after a failure: not g_strfreev */
    g_free(m.figures[i]);
  g_free(m.figures);
  return status;
}

int sweep_mpi_main(const char *path, const char *const *overrides, const char *output,
                   gboolean progress, gboolean quiet) {
  MPI_Init(NULL, NULL);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  GError *error = NULL;
  /* every rank builds the same plan (deterministic); only rank 0 speaks */
  SweepPlan *plan = sweep_plan_new(path, overrides, output, &error);
  int status;
  if (plan && sweep_plan_has_ci_target(plan)) { /* the master hands out a fixed list */
    sweep_plan_free(plan);
    plan = NULL;
    g_set_error(&error, SCN_ERROR, SCN_ERROR_INVALID,
                "%s: sweep.ci-target: not under MPI (run the sweep with --jobs)", path);
  }
  if (!plan) {
    if (rank == 0)
      fprintf(stderr, "mbms-sim: %s\n", error->message);
    status = scn_exit_status(error);
    g_error_free(error);
  } else {
    status = rank == 0 ? master(plan, size, progress, quiet) : worker(plan);
  }
  sweep_plan_free(plan);
  MPI_Finalize();
  return status;
}
