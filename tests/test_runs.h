/* test_runs.h — the checks shared by the tests that run whole scenarios
 * (plus the scaffolding of test_files.h). */
#pragma once
#include "app/run.h"
#include "test_files.h"

/* Nothing went wrong in the run: no bad bytes, no failed unwrap, no drop,
 * every rekey completed. */
static inline void assert_clean(const RunResult *r) {
  g_assert_cmpuint(r->summary.rejected_msgs, ==, 0);
  g_assert_cmpuint(r->summary.unwrap_failures, ==, 0);
  g_assert_cmpuint(r->summary.link_drops, ==, 0);
  g_assert_cmpuint(r->summary.incomplete_rekeys, ==, 0);
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
