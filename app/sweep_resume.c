/* sweep_resume.c — `--resume`: whether a run's folder already holds that
 * very run, so that its figures are read back instead of run again.
 *
 * A folder is reused when its summary.json's "provenance" object (program
 * and library versions, BLAKE2b of the effective scenario and of the events
 * file's contents, seed: app/provenance.h) is byte for byte the one this
 * build would write for the run, its scenario.ini is the run's effective
 * scenario, and its figures read back. A run folder is renamed into place
 * only when complete (report_write), so an interrupted run leaves no folder
 * that passes; anything else is simply run again. */
#include "app/sweep_private.h"

#include <string.h>

#include "app/provenance.h"
#include "app/scenario.h"

/* Run i's effective scenario, as its child process would load it. */
static Scenario *run_scenario_of(const SweepPlan *plan, guint i) {
  guint n = plan->dims->len;
  char **point = g_new0(char *, n + 2);
  const char **where = g_new0(const char *, n + 2);
  for (guint d = 0; d < n; d++) {
    SweepDim *dim = g_ptr_array_index(plan->dims, d);
    point[d] = g_strconcat(dim->key, "=", sweep_point_value(plan, i / plan->replications, d), NULL);
    where[d] = dim->where;
  }
  point[n] = g_strdup_printf("run.seed=%" G_GUINT64_FORMAT, sweep_run_seed(plan, i));
  where[n] = "--set";
  Scenario *s = scn_load_point(plan->path, (const char *const *)plan->plain->pdata,
                               (const char *const *)point, where, NULL);
  g_strfreev(point);
  g_free(where);
  return s;
}

static char *read_in(const char *dir, const char *name) {
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  return g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

char *sweep_run_reuse(const SweepPlan *plan, guint i) {
  g_autofree char *dir = sweep_run_dir(plan, i);
  g_autofree char *summary = read_in(dir, "summary.json");
  g_autofree char *ini = read_in(dir, "scenario.ini");
  if (!summary || !ini)
    return NULL;
  Scenario *s = run_scenario_of(plan, i);
  if (!s)
    return NULL;
  g_autofree char *want_ini = scn_to_ini(s);
  GString *prov = g_string_new("\n  \"provenance\": {\n");
  gboolean ok = prov_append_json(prov, s, "    ", NULL);
  g_string_append(prov, "\n  }\n}\n");
  scn_free(s);
  ok = ok && strcmp(ini, want_ini) == 0 && g_str_has_suffix(summary, prov->str);
  g_string_free(prov, TRUE);
  if (!ok)
    return NULL;
  return sweep_run_collect(dir, NULL);
}
