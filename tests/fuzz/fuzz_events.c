/* fuzz_events.c — libFuzzer harness of the events CSV reader (wl_build,
 * app/workload.c).
 *
 * The input is the events file. It is read under two fixed scenarios (one
 * with the CSV alone, one with generated churn on top), loaded once through
 * scn_load. Checked on every input: a refusal is one SCN_ERROR_INVALID line;
 * an accepted workload is in time order within [0, duration], every UE id
 * below ue_id_end, every cell in the topology, and replaying it from the
 * initial members never joins a member, leaves a non-member or leaves from
 * another cell than the member's. */
#include <stdint.h>

#include "app/workload.h"
#include "tests/fuzz/fuzz_common.h"

static const char *const scenarios[] = {
    "[run]\nduration = 100\n[workload]\ninitial-members = 8\nevents = events.csv\n",
    "[run]\nduration = 100\nseed = 7\n[workload]\ninitial-members = 4\njoin-rate = 0.2\n"
    "mean-membership = 30\nevents = events.csv\n",
    /* with generated moves on top (the CSV's UEs do not get any) */
    "[run]\nduration = 100\nseed = 3\n[workload]\ninitial-members = 4\njoin-rate = 0.2\n"
    "mean-membership = 30\nevents = events.csv\n[mobility]\nhandover-rate = 0.1\n",
};
static Scenario *scn[G_N_ELEMENTS(scenarios)];
static char *events_path;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  events_path = fuzz_path("events.csv");
  fuzz_write(events_path, "time,action,ue,cell\n", 20);
  for (unsigned i = 0; i < G_N_ELEMENTS(scenarios); i++) {
    g_autofree char *name = g_strdup_printf("events-%u.ini", i);
    g_autofree char *path = fuzz_path(name);
    fuzz_write(path, scenarios[i], strlen(scenarios[i]));
    GError *e = NULL;
    scn[i] = scn_load(path, NULL, &e);
    FUZZ_CHECK(scn[i], "%s", e->message);
  }
  return 0;
}

static void check_workload(const Scenario *s, const Workload *wl) {
  uint32_t cells = scn_n_cells(s);
  FUZZ_CHECK(wl->n_initial == s->initial_members, "n_initial %u", wl->n_initial);
  FUZZ_CHECK(wl->ue_id_end >= wl->n_initial && wl->ue_id_end <= WL_MAX_UE + 1u, "ue_id_end %u",
             wl->ue_id_end);
  GHashTable *cell_of = g_hash_table_new(g_direct_hash, g_direct_equal); /* ue+1 -> cell+1 */
  for (uint32_t ue = 0; ue < wl->n_initial; ue++)
    g_hash_table_insert(cell_of, GUINT_TO_POINTER(ue + 1), GUINT_TO_POINTER(ue % cells + 1));
  double last = 0;
  for (guint i = 0; i < wl_n_events(wl); i++) {
    const WlEvent *e = wl_event(wl, i);
    FUZZ_CHECK(e->time >= last && e->time <= s->duration, "event %u at %g after %g", i, e->time,
               last);
    last = e->time;
    FUZZ_CHECK(e->ue < wl->ue_id_end, "event %u: ue %u, ue_id_end %u", i, e->ue, wl->ue_id_end);
    FUZZ_CHECK(e->cell < cells, "event %u: cell %u of %u", i, e->cell, cells);
    gpointer key = GUINT_TO_POINTER(e->ue + 1);
    gpointer now = g_hash_table_lookup(cell_of, key);
    if (e->action == WL_JOIN) {
      FUZZ_CHECK(!now, "event %u: ue %u joins while a member", i, e->ue);
      g_hash_table_insert(cell_of, key, GUINT_TO_POINTER(e->cell + 1));
    } else if (e->action == WL_MOVE) {
      FUZZ_CHECK(now, "event %u: ue %u moves while not a member", i, e->ue);
      FUZZ_CHECK(GPOINTER_TO_UINT(now) - 1 == e->from && e->from != e->cell,
                 "event %u: ue %u moves from %u to %u, is in %u", i, e->ue, e->from, e->cell,
                 GPOINTER_TO_UINT(now) - 1);
      g_hash_table_insert(cell_of, key, GUINT_TO_POINTER(e->cell + 1));
    } else {
      FUZZ_CHECK(e->action == WL_LEAVE, "event %u: action %d", i, (int)e->action);
      FUZZ_CHECK(now, "event %u: ue %u leaves while not a member", i, e->ue);
      FUZZ_CHECK(GPOINTER_TO_UINT(now) - 1 == e->cell, "event %u: ue %u leaves cell %u, is in %u",
                 i, e->ue, e->cell, GPOINTER_TO_UINT(now) - 1);
      g_hash_table_remove(cell_of, key);
    }
  }
  g_hash_table_destroy(cell_of);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_write(events_path, data, size);
  for (unsigned i = 0; i < G_N_ELEMENTS(scn); i++) {
    GError *e = NULL;
    Workload *wl = wl_build(scn[i], &e);
    if (!wl) {
      fuzz_check_error(e, TRUE);
      g_error_free(e);
      continue;
    }
    FUZZ_CHECK(e == NULL, "accepted with an error");
    check_workload(scn[i], wl);
    wl_free(wl);
  }
  return 0;
}
