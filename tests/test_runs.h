/* test_runs.h — the checks shared by the tests that run whole scenarios
 * (plus the scaffolding of test_files.h). */
#pragma once
#include "app/run.h"
#include "app/scenario.h"
#include "keytree/kt_tree.h"
#include "test_files.h"

/* Nothing went wrong in the run: no bad bytes, no failed unwrap, no drop,
 * every rekey completed. */
/* Runs the scenario `ini` (with events file `csv`, or NULL) under
 * `overrides` (NULL-terminated, or NULL) and `hooks`, asserting it loads and
 * runs. */
static inline RunResult run_text(const char *ini, const char *csv, const char *const *overrides,
                                 const RunHooks *hooks) {
  TmpScenario t = tmp_scenario(ini, csv);
  GError *error = NULL;
  Scenario *scn = scn_load(t.ini, overrides, &error);
  g_assert_no_error(error);
  RunResult r;
  g_assert_true(run_scenario(scn, hooks, &r, &error));
  g_assert_no_error(error);
  scn_free(scn);
  tmp_free(&t);
  return r;
}

static inline void assert_clean(const RunResult *r) {
  g_assert_cmpuint(r->summary.rejected_msgs, ==, 0);
  g_assert_cmpuint(r->summary.unwrap_failures, ==, 0);
  g_assert_cmpuint(r->summary.link_drops, ==, 0);
  g_assert_cmpuint(r->summary.incomplete_rekeys, ==, 0);
}

/* Every member of the run's end (the key server's view) holds the current
 * group key of the scope it is in, by its own key ring; returns how many
 * members were checked. */
static inline guint assert_members_hold_group_key(const Net *net, const KtTree *tree,
                                                  const Workload *wl) {
  guint checked = 0;
  for (uint32_t ue = 0; ue < wl->ue_id_end; ue++) {
    if (!kt_tree_is_member(tree, ue))
      continue;
    uint32_t scope =
        kt_tree_scope_of_rnc(tree, kt_tree_ue_cell(tree, ue) / kt_tree_config(tree)->cells_per_rnc);
    g_assert_true(net_ue_holds_group_key(net, ue, kt_tree_group_key(tree, scope)));
    checked++;
  }
  return checked;
}

/* One event's rekey messages, as the rules give them. */
typedef struct {
  uint32_t p2p, p2m, p2m_tx, core;
} Counts;

static inline void assert_counts(const EventRecord *e, Counts want) {
  g_assert_cmpuint(e->p2p_msgs, ==, want.p2p);
  g_assert_cmpuint(e->p2m_msgs, ==, want.p2m);
  g_assert_cmpuint(e->p2m_tx, ==, want.p2m_tx);
  g_assert_cmpuint(e->core_msgs, ==, want.core);
}

/* Members at the end of a workload, replayed from its events alone (not
 * from the key tree): the initial members, then every join and leave. */
static inline guint members_replayed(const Workload *wl) {
  guint8 *in = g_new0(guint8, wl->ue_id_end ? wl->ue_id_end : 1);
  guint n = 0;
  for (uint32_t ue = 0; ue < wl->n_initial; ue++, n++)
    in[ue] = 1;
  for (guint i = 0; i < wl_n_events(wl); i++) {
    const WlEvent *e = wl_event(wl, i);
    if (e->action == WL_MOVE)
      continue; /* a member stays one */
    bool join = e->action == WL_JOIN;
    g_assert_cmpuint(in[e->ue], !=, join);
    in[e->ue] = join;
    n = join ? n + 1 : n - 1;
  }
  g_free(in);
  return n;
}

/* UEs whose own key ring holds the current group key of some scope: at the
 * end of a run these must be exactly the members (a departed UE holding one
 * would read the session). */
static inline guint ring_holders_of_current_keys(const Net *net, const KtTree *tree,
                                                 const Workload *wl) {
  guint n = 0;
  for (uint32_t ue = 0; ue < wl->ue_id_end; ue++) {
    for (uint32_t s = 0; s < kt_tree_n_scopes(tree); s++) {
      if (net_ue_holds_group_key(net, ue, kt_tree_group_key(tree, s))) {
        n++;
        break;
      }
    }
  }
  return n;
}
