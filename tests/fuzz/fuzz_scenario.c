/* fuzz_scenario.c — libFuzzer harness of the scenario loader (scn_load,
 * --set overrides, [sweep] entries and the sweep plan; app/scenario.c,
 * app/sweep_plan.c).
 *
 * Input: the scenario file, then any number of "\n--set " markers each
 * followed by one override "section.key=value" (at most 8 are used). The
 * file's folder also holds events.csv, worked_example.csv, full_events.csv
 * and bad_events.csv (one valid join and leave), so that `events =` keys of
 * real scenarios resolve.
 *
 * Checked on every input: a refusal is one SCN_ERROR_INVALID line; a file
 * holding a NUL byte is refused (issue 11 item 7: GKeyFile and the line
 * scan would read different texts); an accepted scenario written out by scn_to_ini loads again to the same text
 * (nothing read is lost or changed on the way to the results folder); if a
 * sweep is asked for and its cross product has at most 256 points (counted
 * from the lists; larger ones only take longer, not another path), the
 * sweep plan is built and is refused with one line or has at least one run. */
#include <stdint.h>

#include "app/sweep.h"
#include "tests/fuzz/fuzz_common.h"

#define MAX_OVERRIDES 8
#define MAX_SWEEP_POINTS 256
#define SET_MARK "\n--set "

static char *scn_path, *again_path, *sweep_out;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  static const char events[] = "time,action,ue,cell\n1,join,24,0\n2,leave,24,\n";
  static const char *const names[] = {"events.csv", "worked_example.csv", "full_events.csv",
                                      "bad_events.csv"};
  for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *p = fuzz_path(names[i]);
    fuzz_write(p, events, sizeof events - 1);
  }
  scn_path = fuzz_path("scenario.ini");
  again_path = fuzz_path("again.ini");
  sweep_out = fuzz_path("sweep-out");
  return 0;
}

/* Points of the sweep the file and overrides ask for, counted as
 * sweep_plan_new will: each list's comma-separated values, a --set list
 * replacing the file's list of its key, a single --set value taking it out. */
static guint64 sweep_points(const char *const *overrides) {
  GPtrArray *entries = scn_sweep_entries(scn_path, NULL);
  if (!entries)
    return 0;
  GHashTable *size = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < entries->len; i++) {
    const ScnSweepEntry *e = g_ptr_array_index(entries, i);
    g_auto(GStrv) parts = g_strsplit(e->value, ",", -1);
    g_hash_table_insert(size, g_strdup(e->key), GUINT_TO_POINTER(g_strv_length(parts)));
  }
  g_ptr_array_unref(entries);
  for (guint i = 0; overrides[i]; i++) {
    const char *eq = strchr(overrides[i], '=');
    if (!eq)
      continue;
    g_autofree char *key = g_strstrip(g_strndup(overrides[i], (gsize)(eq - overrides[i])));
    g_auto(GStrv) parts = g_strsplit(eq + 1, ",", -1);
    g_hash_table_insert(size, g_strdup(key), GUINT_TO_POINTER(g_strv_length(parts)));
  }
  guint64 points = 1;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, size);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (strcmp(k, "replications") != 0 && strcmp(k, "sweep.replications") != 0)
      points = MIN(points * MAX(GPOINTER_TO_UINT(v), 1u), (guint64)G_MAXUINT32);
  g_hash_table_destroy(size);
  return points;
}

static void check_round_trip(const Scenario *s) {
  g_autofree char *ini = scn_to_ini(s);
  fuzz_write(again_path, ini, strlen(ini));
  GError *e = NULL;
  Scenario *again = scn_load(again_path, NULL, &e);
  FUZZ_CHECK(again, "the effective configuration is refused: %s\n%s", e->message, ini);
  g_autofree char *ini2 = scn_to_ini(again);
  FUZZ_CHECK(strcmp(ini, ini2) == 0, "the effective configuration reads back otherwise:\n%s\n%s",
             ini, ini2);
  scn_free(again);
}

static void check_sweep(const char *const *overrides) {
  gboolean asked = FALSE;
  GError *e = NULL;
  if (!sweep_requested(scn_path, overrides, &asked, &e)) {
    fuzz_check_error(e, TRUE);
    g_error_free(e);
    return;
  }
  if (!asked || sweep_points(overrides) > MAX_SWEEP_POINTS)
    return;
  SweepPlan *plan = sweep_plan_new(scn_path, overrides, sweep_out, &e);
  if (!plan) {
    fuzz_check_error(e, TRUE);
    g_error_free(e);
    return;
  }
  FUZZ_CHECK(fuzz_skip_reported() || sweep_plan_n_runs(plan) >= 1, "a sweep plan of no run");
  FUZZ_CHECK(strcmp(sweep_plan_dir(plan), sweep_out) == 0, "sweep folder %s",
             sweep_plan_dir(plan));
  sweep_plan_free(plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* the text up to the first marker is the file; NULs are kept in it */
  g_autofree char *text = g_strndup((const char *)data, size); /* stops at a NUL: markers only */
  const char *mark = strstr(text, SET_MARK);
  size_t file_len = mark ? (size_t)(mark - text) : size;
  fuzz_write(scn_path, data, file_len);
  g_autoptr(GPtrArray) overrides = g_ptr_array_new_with_free_func(g_free);
  while (mark && overrides->len < MAX_OVERRIDES) {
    const char *start = mark + strlen(SET_MARK);
    mark = strstr(start, SET_MARK);
    g_ptr_array_add(overrides, mark ? g_strndup(start, (gsize)(mark - start)) : g_strdup(start));
  }
  g_ptr_array_add(overrides, NULL);
  const char *const *ov = (const char *const *)overrides->pdata;

  GError *e = NULL;
  Scenario *s = scn_load(scn_path, ov, &e);
  if (s) {
    FUZZ_CHECK(e == NULL, "accepted with an error");
    FUZZ_CHECK(fuzz_skip_reported() || !memchr(data, '\0', file_len),
               "a scenario holding a NUL byte accepted");
    check_round_trip(s);
    scn_free(s);
  } else {
    fuzz_check_error(e, TRUE);
    g_clear_error(&e);
  }
  check_sweep(ov);
  return 0;
}
