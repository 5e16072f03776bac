/* sweep_progress.c — the one-line progress meter of a sweep on stderr
 * (runs done, simulated seconds, events/s, elapsed, ETA); a no-op when
 * disabled. */
#include "app/sweep_private.h"

#include <stdio.h>
#include <string.h>

struct SweepProgress {
  gboolean enabled;
  guint total, done;
  double sim_s, events;
  gint64 start, last;
};

SweepProgress *sweep_progress_new(gboolean enabled, guint total) {
  SweepProgress *p = g_new0(SweepProgress, 1);
  p->enabled = enabled;
  p->total = total;
  p->start = g_get_monotonic_time();
  return p;
}

static void progress_draw(SweepProgress *p) {
  if (!p->enabled)
    return;
  double el = (g_get_monotonic_time() - p->start) / 1e6;
  char eta[32] = "--:--";
  if (p->done > 0 && p->done < p->total) {
    guint s = (guint)(el / p->done * (p->total - p->done) + 0.5);
    g_snprintf(eta, sizeof eta, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  } else if (p->done == p->total) {
    g_strlcpy(eta, "0:00:00", sizeof eta);
  }
  fprintf(stderr,
          "\r\033[Ksweep: %u/%u runs, %.6g s simulated, %.3g events/s, %.0f s elapsed, ETA %s",
          p->done, p->total, p->sim_s, el > 0 ? p->events / el : 0.0, el, eta);
  fflush(stderr);
  p->last = g_get_monotonic_time();
}

/* sim_events and sim_end_s from a figures string. */
static void figure_pair(const char *figures, double *events, double *end) {
  *events = *end = 0;
  const char *sep = strchr(figures, SWEEP_FIG_SEP);
  if (!sep)
    return;
  g_autofree char *h = g_strndup(figures, (gsize)(sep - figures));
  g_auto(GStrv) hs = g_strsplit(h, ",", -1);
  g_auto(GStrv) vs = g_strsplit(sep + 1, ",", -1);
  for (guint k = 0; hs[k] && vs[k]; k++) {
    if (strcmp(hs[k], "sim_events") == 0)
      *events = g_ascii_strtod(vs[k], NULL);
    else if (strcmp(hs[k], "sim_end_s") == 0)
      *end = g_ascii_strtod(vs[k], NULL);
  }
}

void sweep_progress_done(SweepProgress *p, const char *figures) {
  double ev, end;
  figure_pair(figures, &ev, &end);
  p->done++;
  p->events += ev;
  p->sim_s += end;
  progress_draw(p);
}

void sweep_progress_tick(SweepProgress *p) {
  if (p->enabled && g_get_monotonic_time() - p->last > 500000)
    progress_draw(p);
}

void sweep_progress_free(SweepProgress *p) {
  if (!p)
    return;
  if (p->enabled) {
    progress_draw(p);
    fputc('\n', stderr);
  }
  g_free(p);
}
