/* sweep_json.c — sweep.json, the provenance of a sweep's sweep.csv: the
 * program and library versions, BLAKE2b-256 of the scenario file and of
 * its events file, the sweep's fingerprint (every point's effective
 * scenario and events contents, as in a shard file), the base seed, the
 * runs, those reused by --resume, the host and the wall time. It differs
 * from run to run (host, times), so it is not one of the files a resumed
 * or repeated sweep gives byte for byte. */
#include "app/sweep_private.h"

#include <string.h>

#include "app/provenance.h"
#include "app/report.h"
#include "app/scenario.h"

/* The first line of every sweep.json, which lets a later sweep recognise it. */
#define SWEEP_JSON_FIRST "{\n  \"format\": \"mbms-sim sweep provenance 1\","

gboolean sweep_json_is_ours(const char *text) {
  return g_str_has_prefix(text, SWEEP_JSON_FIRST);
}

gboolean sweep_write_json(const SweepPlan *plan, guint runs, double wall_s, GError **error) {
  Scenario *base = scn_load(plan->path, (const char *const *)plan->plain->pdata, error);
  if (!base)
    return FALSE;
  gsize len = 0;
  g_autofree char *file = scn_read_file(plan->path, &len, error);
  GString *j = g_string_new(SWEEP_JSON_FIRST "\n");
  gboolean ok = file && prov_append_json(j, base, "  ", error);
  scn_free(base);
  if (!ok) {
    g_string_free(j, TRUE);
    return FALSE;
  }
  g_autofree char *file_hash = prov_blake2b_hex(file, len);
  g_autofree char *path = prov_json_string(plan->path);
  g_string_append_printf(j,
                         ",\n  \"scenario_file\": %s,\n  \"scenario_file_blake2b\": \"%s\",\n"
                         "  \"fingerprint\": \"%s\",\n  \"points\": %u,\n  \"runs\": %u,\n"
                         "  \"reused_runs\": %u",
                         path, file_hash, plan->fingerprint, plan->n_points, runs, plan->reused);
  prov_append_host_json(j, wall_s, "  ");
  g_string_append(j, "\n}\n");
  g_autofree char *out = g_build_filename(plan->dir, "sweep.json", NULL);
  ok = report_write_file_atomic(out, j->str, j->len, error);
  g_string_free(j, TRUE);
  return ok;
}
