/* sweep_table.c — see sweep_table.h. */
#include "app/sweep_table.h"

#include <string.h>

/* The figures shown, as (column in sweep-stats.csv, heading, scale). */
static const struct {
  const char *column, *heading;
  double scale;
} shown[] = {
    {"p2p_msgs_per_leave_mean", "p2p/leave", 1},
    {"p2m_msgs_per_leave_mean", "p2m/leave", 1},
    {"p2m_tx_per_leave_mean", "tx/leave", 1},
    {"p2p_msgs_per_join_mean", "p2p/join", 1},
    {"p2m_msgs_per_join_mean", "p2m/join", 1},
    {"core_msgs_mean", "core", 1},
    {"wraps_mean", "wraps", 1},
    {"latency_mean_s_mean", "lat ms", 1e3},
    {"fwd_violations_mean", "fwd viol", 1},
    {"bwd_exposures_mean", "bwd exp", 1},
    {"data_leaked_mean", "leaked", 1},
};

static int column_of(char **header, const char *name) {
  for (int i = 0; header[i]; i++)
    if (strcmp(header[i], name) == 0)
      return i;
  return -1;
}

gboolean sweep_print_table(FILE *out, const char *dir, GError **error) {
  g_autofree char *path = g_build_filename(dir, "sweep-stats.csv", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  if (!lines[0])
    return TRUE;
  /* swept keys and replication values hold no commas in practice; a
   * quoted cell would only shift this display, never the files */
  g_auto(GStrv) header = g_strsplit(lines[0], ",", -1);
  int n_dims = column_of(header, "replications");
  if (n_dims < 0)
    return TRUE;
  int cols[G_N_ELEMENTS(shown)];
  for (guint f = 0; f < G_N_ELEMENTS(shown); f++)
    cols[f] = column_of(header, shown[f].column);

  for (int d = 0; d < n_dims; d++)
    fprintf(out, "%-14s ", header[d]);
  for (guint f = 0; f < G_N_ELEMENTS(shown); f++)
    if (cols[f] >= 0)
      fprintf(out, "%10s ", shown[f].heading);
  fputc('\n', out);
  for (int l = 1; lines[l] && *lines[l]; l++) {
    g_auto(GStrv) v = g_strsplit(lines[l], ",", -1);
    guint n = g_strv_length(v);
    for (int d = 0; d < n_dims && (guint)d < n; d++)
      fprintf(out, "%-14s ", v[d]);
    for (guint f = 0; f < G_N_ELEMENTS(shown); f++) {
      if (cols[f] < 0)
        continue;
      if ((guint)cols[f] >= n || !*v[cols[f]]) {
        fprintf(out, "%10s ", "-");
        continue;
      }
      fprintf(out, "%10.4g ", g_ascii_strtod(v[cols[f]], NULL) * shown[f].scale);
    }
    fputc('\n', out);
  }
  fprintf(out, "(means over the replications; sd and 95%% CI of every figure in %s)\n", path);
  return TRUE;
}
