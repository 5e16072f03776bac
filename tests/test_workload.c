/* test_workload.c — the workload: initial placement, the events CSV and each
 * of its errors (exact line and column), the replay rules, generated churn
 * (determinism, ids, Poisson and exponential counts within 5 sigma) and
 * the consistency of every generated workload, replayed independently. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "app/scenario.h"
#include "app/workload.h"

#include "test_files.h"

static char *tmpdir;

/* ------------------------------------------------------------ scaffolding */

static void chdir_to_srcdir(void) {
  const char *env = g_getenv("MBMS_SRCDIR");
  const char *candidates[] = {env ? env : ".", ".", "..", "../..", "../../.."};
  for (unsigned i = 0; i < G_N_ELEMENTS(candidates); i++) {
    g_autofree char *probe = g_build_filename(candidates[i], "tests", "data", "full.ini", NULL);
    if (g_file_test(probe, G_FILE_TEST_IS_REGULAR)) {
      g_assert_cmpint(chdir(candidates[i]), ==, 0);
      return;
    }
  }
  g_error("cannot find tests/data (set MBMS_SRCDIR to the source root)");
}

static char *write_tmp(const char *name, const char *text) {
  char *path = g_build_filename(tmpdir, name, NULL);
  GError *error = NULL;
  g_assert_true(g_file_set_contents(path, text, -1, &error));
  g_assert_no_error(error);
  return path;
}

/* A scenario of the default topology (16 cells) with the given [run] and
 * [workload] lines; `csv` (may be NULL) becomes <tmp>/events.csv. */
static Scenario *make_scn(const char *run, const char *workload, const char *csv) {
  g_autofree char *ini = g_strdup_printf("[run]\n%s\n[workload]\n%s\n%s", run, workload,
                                         csv ? "events = events.csv\n" : "");
  g_autofree char *path = write_tmp("s.ini", ini);
  if (csv)
    g_free(write_tmp("events.csv", csv));
  GError *error = NULL;
  Scenario *s = scn_load(path, NULL, &error);
  g_assert_no_error(error);
  return s;
}

static Workload *build_ok(const Scenario *s) {
  GError *error = NULL;
  Workload *wl = wl_build(s, &error);
  g_assert_no_error(error);
  g_assert_nonnull(wl);
  return wl;
}

static const WlEvent *ev(const Workload *wl, guint i) {
  return wl_event(wl, i);
}

/* The UE id of an event as the CSV names it (events carry internal
 * indices). */
static uint32_t id_of(const Workload *wl, const WlEvent *e) {
  return ue_ids_external(wl->ids, e->ue);
}

/* Replays a workload from its initial members and checks every rule: times
 * sorted and within [0, duration], joins of non-members into valid cells,
 * leaves of members from the cell they joined. */
static void check_consistent(const Scenario *s, const Workload *wl) {
  uint32_t n_cells = scn_n_cells(s);
  g_assert_cmpuint(wl->n_initial, ==, s->initial_members);
  g_assert_cmpuint(wl->ue_id_end, >=, wl->n_initial);
  uint32_t *cell = g_new(uint32_t, wl->ue_id_end ? wl->ue_id_end : 1);
  for (uint32_t u = 0; u < wl->ue_id_end; u++)
    cell[u] = u < wl->n_initial ? u % n_cells : WL_NO_CELL;
  double last = 0;
  for (guint i = 0; i < wl_n_events(wl); i++) {
    const WlEvent *e = ev(wl, i);
    g_assert_cmpfloat(e->time, >=, last);
    g_assert_cmpfloat(e->time, <=, s->duration);
    last = e->time;
    g_assert_cmpuint(e->ue, <, wl->ue_id_end);
    g_assert_cmpuint(e->cell, <, n_cells);
    if (e->action == WL_JOIN) {
      g_assert_cmpuint(cell[e->ue], ==, WL_NO_CELL);
      cell[e->ue] = e->cell;
    } else if (e->action == WL_MOVE) {
      /* a member, from the cell it is in, to another */
      g_assert_cmpuint(cell[e->ue], !=, WL_NO_CELL);
      g_assert_cmpuint(e->from, ==, cell[e->ue]);
      g_assert_cmpuint(e->cell, !=, e->from);
      cell[e->ue] = e->cell;
    } else {
      g_assert_cmpint(e->action, ==, WL_LEAVE);
      g_assert_cmpuint(cell[e->ue], ==, e->cell);
      cell[e->ue] = WL_NO_CELL;
    }
  }
  g_free(cell);
}

/* ------------------------------------------------------------ placement, CSV */

static void test_initial(void) {
  Scenario *s = make_scn("duration = 10", "initial-members = 20", NULL);
  Workload *wl = build_ok(s);
  g_assert_cmpuint(wl->n_initial, ==, 20);
  g_assert_cmpuint(wl->ue_id_end, ==, 20);
  g_assert_cmpuint(wl_n_events(wl), ==, 0);
  wl_free(wl);
  scn_free(s);
  /* Initial members are placed round-robin: UE 17 is in cell 1 of 16, so it
   * can leave from cell 1 and only from there. */
  s = make_scn("duration = 10", "initial-members = 20", "time,action,ue,cell\n1,leave,17,1\n");
  wl = build_ok(s);
  g_assert_cmpuint(wl_n_events(wl), ==, 1);
  g_assert_cmpuint(ev(wl, 0)->cell, ==, 1);
  wl_free(wl);
  scn_free(s);
  s = make_scn("duration = 10", "initial-members = 0", NULL);
  wl = build_ok(s);
  g_assert_cmpuint(wl->n_initial, ==, 0);
  g_assert_cmpuint(wl->ue_id_end, ==, 0);
  wl_free(wl);
  scn_free(s);
}

static void test_csv_parse(void) {
  /* A fixture with CRLF line ends, a comment and a blank line. */
  g_autofree char *cwd = g_get_current_dir();
  g_autofree char *ini = g_strdup_printf("[run]\nduration = 5\n[workload]\ninitial-members = 4\n"
                                         "events = %s/tests/data/crlf_events.csv\n",
                                         cwd);
  g_autofree char *path = write_tmp("crlf.ini", ini);
  GError *error = NULL;
  Scenario *s = scn_load(path, NULL, &error);
  g_assert_no_error(error);
  Workload *wl = build_ok(s);
  g_assert_cmpuint(wl_n_events(wl), ==, 3);
  g_assert_cmpuint(wl->ue_id_end, ==, 5); /* UEs 0..3 and 7 */
  const WlEvent want[] = {{1, WL_JOIN, 7, 3, WL_NO_CELL},
                          {2, WL_LEAVE, 2, 2, WL_NO_CELL},
                          {3, WL_JOIN, 2, 5, WL_NO_CELL}};
  for (guint i = 0; i < 3; i++) {
    g_assert_cmpfloat(ev(wl, i)->time, ==, want[i].time);
    g_assert_cmpint(ev(wl, i)->action, ==, want[i].action);
    g_assert_cmpuint(id_of(wl, ev(wl, i)), ==, want[i].ue);
    g_assert_cmpuint(ev(wl, i)->cell, ==, want[i].cell);
  }
  check_consistent(s, wl);
  wl_free(wl);
  scn_free(s);

  /* Rows out of time order are sorted; equal times keep file order; blanks
   * around fields are ignored; time may be the duration itself; a leave may
   * repeat the right cell. */
  s = make_scn("duration = 10", "initial-members = 2",
               "\xEF\xBB\xBFtime,action,ue,cell\n"
               "5, leave ,9,\n"
               "  # comment after blanks\n"
               "1,join,9,4\n"
               "3,join,20,0\n"
               "3,leave,20,0\n"
               "10,leave,0,0\n"
               "2.5e0,join,0x,1\n");
  GError *err = NULL;
  g_assert_null(wl_build(s, &err));
  g_assert_error(err, SCN_ERROR, SCN_ERROR_INVALID);
  g_assert_true(
      g_str_has_suffix(err->message, "events.csv:8: ue: '0x' is not an unsigned integer"));
  g_clear_error(&err);
  scn_free(s);

  s = make_scn("duration = 10", "initial-members = 2",
               "time,action,ue,cell\n"
               "5, leave ,9,\n"
               "1,join,9,4\n"
               "3,join,20,0\n"
               "3,leave,20,0\n"
               "10,leave,0,0\n");
  wl = build_ok(s);
  const WlEvent want2[] = {{1, WL_JOIN, 9, 4, WL_NO_CELL},
                           {3, WL_JOIN, 20, 0, WL_NO_CELL},
                           {3, WL_LEAVE, 20, 0, WL_NO_CELL},
                           {5, WL_LEAVE, 9, 4, WL_NO_CELL},
                           {10, WL_LEAVE, 0, 0, WL_NO_CELL}};
  g_assert_cmpuint(wl_n_events(wl), ==, G_N_ELEMENTS(want2));
  for (guint i = 0; i < G_N_ELEMENTS(want2); i++) {
    g_assert_cmpfloat(ev(wl, i)->time, ==, want2[i].time);
    g_assert_cmpint(ev(wl, i)->action, ==, want2[i].action);
    g_assert_cmpuint(id_of(wl, ev(wl, i)), ==, want2[i].ue);
    g_assert_cmpuint(ev(wl, i)->cell, ==, want2[i].cell);
  }
  g_assert_cmpuint(wl->ue_id_end, ==, 4); /* UEs 0, 1, 9, 20 */
  g_assert_cmpuint(ev(wl, 0)->ue, ==, 2); /* 9: the third id used */
  g_assert_cmpuint(ev(wl, 1)->ue, ==, 3); /* 20: the fourth */
  check_consistent(s, wl);
  wl_free(wl);
  scn_free(s);
}

typedef struct {
  const char *csv;
  const char *want; /* after "<events.csv>" */
} CsvCase;

static void test_csv_errors(void) {
  static const CsvCase cases[] = {
      {"", ":1: header: missing (expected 'time,action,ue,cell')"},
      {"# only a comment\n\n", ":1: header: missing (expected 'time,action,ue,cell')"},
      {"time,action,ue\n1,join,5\n",
       ":1: header: expected 'time,action,ue,cell', got 'time,action,ue'"},
      {"\n# c\nTime,Action,UE,Cell\n",
       ":3: header: expected 'time,action,ue,cell', got 'Time,Action,UE,Cell'"},
      {"time,action,ue,cell\n1,join,5\n",
       ":2: row: expected 4 fields (time,action,ue,cell), got 3"},
      {"time,action,ue,cell\n1,join,5,0,x\n",
       ":2: row: expected 4 fields (time,action,ue,cell), got 5"},
      {"time,action,ue,cell\nsoon,join,5,0\n", ":2: time: 'soon' is not a number"},
      {"time,action,ue,cell\n,join,5,0\n", ":2: time: '' is not a number"},
      {"time,action,ue,cell\ninf,join,5,0\n", ":2: time: 'inf' is not a number"},
      {"time,action,ue,cell\n1e999,join,5,0\n", ":2: time: '1e999' is not a number"},
      {"time,action,ue,cell\n-1,join,5,0\n", ":2: time: '-1' must be >= 0"},
      {"time,action,ue,cell\n10.5,join,5,0\n",
       ":2: time: '10.5' is after the end of the run (duration 10 s)"},
      {"time,action,ue,cell\n1,Join,5,0\n", ":2: action: 'Join' is not join, leave or move"},
      {"time,action,ue,cell\n1,,5,0\n", ":2: action: '' is not join, leave or move"},
      {"time,action,ue,cell\n1,join,x,0\n", ":2: ue: 'x' is not an unsigned integer"},
      {"time,action,ue,cell\n1,join,-5,0\n", ":2: ue: '-5' is not an unsigned integer"},
      {"time,action,ue,cell\n1,join,16777216,0\n",
       ":2: ue: '16777216' is out of range (0..16777215)"},
      {"time,action,ue,cell\n1,join,4294967295,0\n",
       ":2: ue: '4294967295' is out of range (0..16777215)"},
      {"time,action,ue,cell\n1,join,5,\n", ":2: cell: missing (a join needs a cell)"},
      {"time,action,ue,cell\n1,join,5,16\n", ":2: cell: '16' is out of range (0..15: 16 cells)"},
      {"time,action,ue,cell\n1,join,5,c3\n", ":2: cell: 'c3' is not an unsigned integer"},
      {"time,action,ue,cell\n1,leave,2,99\n", ":2: cell: '99' is out of range (0..15: 16 cells)"},
      /* Replay: initial members are UEs 0..3 in cells 0..3. */
      {"time,action,ue,cell\n1,join,2,0\n",
       ":2: ue: ue 2 is already a member (initially a member)"},
      {"time,action,ue,cell\n1,join,9,0\n# again\n2,join,9,1\n",
       ":4: ue: ue 9 is already a member (joined at line 2)"},
      {"time,action,ue,cell\n1,leave,9,\n", ":2: ue: ue 9 is not a member (never joined)"},
      {"time,action,ue,cell\n1,leave,3,\n2,leave,3,\n",
       ":3: ue: ue 3 is not a member (left at line 2)"},
      {"time,action,ue,cell\n1,leave,1,2\n", ":2: cell: ue 1 is in cell 1, not 2"},
      {"time,action,ue,cell\n1,join,9,7\n2,leave,9,6\n", ":3: cell: ue 9 is in cell 7, not 6"},
      /* Time order, not file order: the leave at t = 1 comes first. */
      {"time,action,ue,cell\n5,join,9,0\n1,leave,9,\n",
       ":3: ue: ue 9 is not a member (never joined)"},
      /* Equal times keep file order. */
      {"time,action,ue,cell\n1,leave,9,\n1,join,9,0\n",
       ":2: ue: ue 9 is not a member (never joined)"},
      /* Moves: only members, to another cell, which later rows must name. */
      {"time,action,ue,cell\n1,move,9,3\n",
       ":2: ue: ue 9 is not a member (never joined); only members move"},
      {"time,action,ue,cell\n1,leave,3,\n2,move,3,5\n",
       ":3: ue: ue 3 is not a member (left at line 2); only members move"},
      {"time,action,ue,cell\n1,move,2,\n", ":2: cell: missing (a move needs the cell it moves to)"},
      {"time,action,ue,cell\n1,move,2,2\n",
       ":2: cell: ue 2 is in cell 2 already (a move changes the cell)"},
      {"time,action,ue,cell\n1,move,2,16\n", ":2: cell: '16' is out of range (0..15: 16 cells)"},
      {"time,action,ue,cell\n1,move,1,5\n2,leave,1,1\n", ":3: cell: ue 1 is in cell 5, not 1"},
      {"time,action,ue,cell\n1,move,1,5\n2,move,1,5\n",
       ":3: cell: ue 1 is in cell 5 already (a move changes the cell)"},
      {"time,action,ue,cell\n1,Move,1,5\n", ":2: action: 'Move' is not join, leave or move"},
      /* Control characters are escaped, keeping the message on one line. */
      {"time,action,ue,cell\n1,jo\tin,5,0\n", ":2: action: 'jo\\tin' is not join, leave or move"},
  };
  for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
    if (g_test_verbose())
      g_test_message("case %u: %s", i, cases[i].want);
    Scenario *s = make_scn("duration = 10", "initial-members = 4", cases[i].csv);
    GError *error = NULL;
    g_assert_null(wl_build(s, &error));
    g_assert_error(error, SCN_ERROR, SCN_ERROR_INVALID);
    g_autofree char *want = g_strconcat(s->events_path, cases[i].want, NULL);
    g_assert_cmpstr(error->message, ==, want);
    g_error_free(error);
    scn_free(s);
  }

  /* A NUL byte: not a text file. */
  g_autofree char *path = write_tmp("nul.ini", "[workload]\nevents = nul.csv\n");
  g_autofree char *csv = g_build_filename(tmpdir, "nul.csv", NULL);
  g_assert_true(g_file_set_contents(csv, "time,action,ue,cell\n1,jo\0in,0,0\n", 33, NULL));
  GError *error = NULL;
  Scenario *s = scn_load(path, NULL, &error);
  g_assert_no_error(error);
  g_assert_null(wl_build(s, &error));
  g_autofree char *want = g_strconcat(csv, ":1: file: contains a NUL byte (not a text file)", NULL);
  g_assert_cmpstr(error->message, ==, want);
  g_clear_error(&error);
  /* The file vanished after the scenario was loaded. */
  g_unlink(csv);
  g_assert_null(wl_build(s, &error));
  g_assert_error(error, SCN_ERROR, SCN_ERROR_INVALID);
  g_autofree char *want_io = g_strconcat(csv, ": No such file or directory", NULL);
  g_assert_cmpstr(error->message, ==, want_io);
  g_clear_error(&error);
  scn_free(s);

  /* The fixture, by its relative path as the user sees it. */
  s = scn_load("tests/data/bad_events.ini", NULL, &error);
  g_assert_no_error(error);
  g_assert_null(wl_build(s, &error));
  g_assert_cmpstr(error->message, ==,
                  "tests/data/bad_events.csv:4: cell: ue 1 is in cell 1, not 2");
  g_clear_error(&error);
  scn_free(s);
}

/* ------------------------------------------------------------ churn */

static bool same_events(const Workload *a, const Workload *b) {
  if (wl_n_events(a) != wl_n_events(b) || a->ue_id_end != b->ue_id_end)
    return false;
  for (guint i = 0; i < wl_n_events(a); i++) {
    const WlEvent *x = ev(a, i), *y = ev(b, i);
    if (x->time != y->time || x->action != y->action || x->ue != y->ue || x->cell != y->cell)
      return false;
  }
  return true;
}

static Workload *churn(guint64 seed) {
  g_autofree char *run = g_strdup_printf("seed = %" G_GUINT64_FORMAT "\nduration = 100", seed);
  Scenario *s = make_scn(run, "initial-members = 50\njoin-rate = 2\nmean-membership = 40", NULL);
  Workload *wl = build_ok(s);
  check_consistent(s, wl);
  scn_free(s);
  return wl;
}

static void test_determinism(void) {
  Workload *a = churn(1), *b = churn(1), *c = churn(2), *d = churn(1ull + (1ull << 32));
  g_assert_cmpuint(wl_n_events(a), >, 100);
  g_assert_true(same_events(a, b));
  g_assert_false(same_events(a, c));
  g_assert_false(same_events(a, d)); /* the high half of the seed counts too */
  wl_free(a);
  wl_free(b);
  wl_free(c);
  wl_free(d);
}

static void test_generated_ids(void) {
  /* The CSV uses UE 500; initial members are 0..99; generated joins take
   * 501, 502, ... in time order, with nothing skipped. */
  Scenario *s = make_scn("duration = 50", "initial-members = 100\njoin-rate = 3",
                         "time,action,ue,cell\n10,join,500,3\n");
  Workload *wl = build_ok(s);
  check_consistent(s, wl);
  uint32_t next = 501;
  guint generated = 0;
  for (guint i = 0; i < wl_n_events(wl); i++) {
    const WlEvent *e = ev(wl, i);
    if (id_of(wl, e) == 500) {
      g_assert_cmpuint(e->ue, ==, 100); /* the first index after the initial members */
      continue;
    }
    g_assert_cmpint(e->action, ==, WL_JOIN); /* mean-membership 0: nobody leaves */
    g_assert_cmpuint(id_of(wl, e), ==, next);
    g_assert_cmpuint(e->ue, ==, next - 400); /* indices 101, 102, ...: no gap */
    g_assert_cmpfloat(e->time, <, s->duration);
    next++;
    generated++;
  }
  g_assert_cmpuint(generated, >, 50);
  g_assert_cmpuint(wl->ue_id_end, ==, next - 400); /* 100 initial, UE 500, the generated */
  wl_free(wl);
  scn_free(s);

  /* Without a CSV, generated ids start at initial-members. */
  s = make_scn("duration = 50", "initial-members = 7\njoin-rate = 1", NULL);
  wl = build_ok(s);
  g_assert_cmpuint(wl_n_events(wl), >, 0);
  g_assert_cmpuint(id_of(wl, ev(wl, 0)), ==, 7);
  g_assert_cmpuint(ev(wl, 0)->ue, ==, 7);
  wl_free(wl);
  scn_free(s);
}

/* A scenario with a [mobility] section (after the events line). */
static Scenario *make_mobile(const char *run, const char *workload, const char *mobility,
                             const char *topology) {
  g_autofree char *ini = g_strdup_printf("[run]\n%s\n[topology]\n%s\n[workload]\n%s\n"
                                         "[mobility]\n%s\n",
                                         run, topology, workload, mobility);
  g_autofree char *path = write_tmp("m.ini", ini);
  GError *error = NULL;
  Scenario *s = scn_load(path, NULL, &error);
  g_assert_no_error(error);
  return s;
}

static void test_csv_moves(void) {
  /* Initial members 0..3 in cells 0..3; UE 1 moves to 5, then 6, leaves
   * from 6 (the leave's cell may be left out: it is filled). */
  Scenario *s = make_scn("duration = 10", "initial-members = 4",
                         "time,action,ue,cell\n1,move,1,5\n2,move,1,6\n3,leave,1,\n"
                         "4,join,9,2\n5,move,9,3\n");
  Workload *wl = build_ok(s);
  check_consistent(s, wl);
  g_assert_cmpuint(wl_n_events(wl), ==, 5);
  const WlEvent want[] = {{1, WL_MOVE, 1, 5, 1},
                          {2, WL_MOVE, 1, 6, 5},
                          {3, WL_LEAVE, 1, 6, WL_NO_CELL},
                          {4, WL_JOIN, 9, 2, WL_NO_CELL},
                          {5, WL_MOVE, 9, 3, 2}};
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    g_assert_cmpint(ev(wl, i)->action, ==, want[i].action);
    g_assert_cmpuint(id_of(wl, ev(wl, i)), ==, want[i].ue);
    g_assert_cmpuint(ev(wl, i)->cell, ==, want[i].cell);
    g_assert_cmpuint(ev(wl, i)->from, ==, want[i].from);
  }
  wl_free(wl);
  scn_free(s);
}

/* Per move the class is drawn as workload.h says; over many moves the
 * counts are binomial: moves ~ Poisson(members x rate x duration), the
 * share within the RNC ~ intra-rnc, of the rest the share within the SGSN
 * ~ intra-sgsn (default topology: 2 SGSNs of 2 RNCs of 4 cells, so every
 * class has candidates), each within 5 sigma. */
static void test_generated_moves(void) {
  Scenario *s = make_mobile("seed = 5\nduration = 100", "initial-members = 1000",
                            "handover-rate = 0.1\nintra-rnc = 0.3\nintra-sgsn = 0.6", "");
  Workload *wl = build_ok(s);
  check_consistent(s, wl);
  double n = wl_n_events(wl);
  g_assert_cmpfloat(fabs(n - 10000), <=, 5 * 100);
  guint intra_rnc = 0, intra_sgsn = 0;
  for (guint i = 0; i < wl_n_events(wl); i++) {
    const WlEvent *e = ev(wl, i);
    g_assert_cmpint(e->action, ==, WL_MOVE);
    uint32_t fr = e->from / 4, tr = e->cell / 4;
    if (fr == tr)
      intra_rnc++;
    else if (fr / 2 == tr / 2)
      intra_sgsn++;
  }
  g_assert_cmpfloat(fabs(intra_rnc - 0.3 * n), <=, 5 * sqrt(n * 0.3 * 0.7));
  double rest = n - intra_rnc;
  g_assert_cmpfloat(fabs(intra_sgsn - 0.6 * rest), <=, 5 * sqrt(rest * 0.6 * 0.4));
  wl_free(wl);
  scn_free(s);

  /* With churn: the joins and leaves are those of the static run (the
   * moves draw from their own stream), each leave from the UE's last cell. */
  const char *churn = "initial-members = 50\njoin-rate = 2\nmean-membership = 30";
  Scenario *st = make_mobile("seed = 8\nduration = 100", churn, "handover-rate = 0", "");
  Scenario *mo = make_mobile("seed = 8\nduration = 100", churn, "handover-rate = 0.2", "");
  Workload *a = build_ok(st), *b = build_ok(mo);
  check_consistent(mo, b);
  guint j = 0, moves = 0;
  for (guint i = 0; i < wl_n_events(b); i++) {
    const WlEvent *e = ev(b, i);
    if (e->action == WL_MOVE) {
      moves++;
      continue;
    }
    g_assert_cmpuint(j, <, wl_n_events(a));
    g_assert_cmpfloat(e->time, ==, ev(a, j)->time);
    g_assert_cmpint(e->action, ==, ev(a, j)->action);
    g_assert_cmpuint(e->ue, ==, ev(a, j)->ue);
    if (e->action == WL_JOIN)
      g_assert_cmpuint(e->cell, ==, ev(a, j)->cell);
    j++;
  }
  g_assert_cmpuint(j, ==, wl_n_events(a));
  g_assert_cmpuint(moves, >, 0);
  wl_free(a), wl_free(b);
  scn_free(st), scn_free(mo);

  /* One cell in all: nowhere to go. One cell per RNC: intra-rnc = 1 falls
   * back to another RNC of the SGSN. */
  s = make_mobile("duration = 100", "initial-members = 10", "handover-rate = 1",
                  "sgsn-per-ggsn = 1\nrnc-per-sgsn = 1\ncells-per-rnc = 1");
  wl = build_ok(s);
  g_assert_cmpuint(wl_n_events(wl), ==, 0);
  wl_free(wl);
  scn_free(s);
  s = make_mobile("duration = 10", "initial-members = 10", "handover-rate = 1\nintra-rnc = 1",
                  "sgsn-per-ggsn = 1\ncells-per-rnc = 1");
  wl = build_ok(s);
  check_consistent(s, wl);
  g_assert_cmpuint(wl_n_events(wl), >, 0);
  for (guint i = 0; i < wl_n_events(wl); i++)
    g_assert_cmpuint(ev(wl, i)->cell, ==, 1 - ev(wl, i)->from); /* the other of 2 RNCs */
  wl_free(wl);
  scn_free(s);
}

static void test_poisson_count(void) {
  /* 10/s over 1000 s: 10000 joins expected, sigma = 100. */
  Scenario *s = make_scn("seed = 12345\nduration = 1000", "join-rate = 10", NULL);
  Workload *wl = build_ok(s);
  double n = wl_n_events(wl);
  g_assert_cmpfloat(fabs(n - 10000), <=, 5 * 100);
  /* Cells uniform over the 16: each near 625 (sigma ~24). */
  guint per_cell[16] = {0};
  for (guint i = 0; i < wl_n_events(wl); i++)
    per_cell[ev(wl, i)->cell]++;
  for (unsigned c = 0; c < 16; c++)
    g_assert_cmpfloat(fabs(per_cell[c] - n / 16), <=, 5 * sqrt(n / 16 * 15 / 16));
  wl_free(wl);
  scn_free(s);

  /* Exponential stays of the initial members: 20000 members of mean stay
   * 1000 s over 1000 s leave with p = 1 - 1/e. */
  s = make_scn("seed = 99\nduration = 1000", "initial-members = 20000\nmean-membership = 1000",
               NULL);
  wl = build_ok(s);
  double p = 1 - exp(-1), mean = 20000 * p, sigma = sqrt(20000 * p * (1 - p));
  g_assert_cmpfloat(fabs(wl_n_events(wl) - mean), <=, 5 * sigma);
  for (guint i = 0; i < wl_n_events(wl); i++)
    g_assert_cmpint(ev(wl, i)->action, ==, WL_LEAVE);
  check_consistent(s, wl);
  wl_free(wl);
  scn_free(s);
}

static void test_churn_consistent(void) {
  /* Many seeds, with CSV events mixed in: every generated leave is of a
   * member, no leave precedes its join, every join and leave of a newcomer
   * pairs up. */
  for (guint64 seed = 1; seed <= 40; seed++) {
    g_autofree char *run = g_strdup_printf("seed = %" G_GUINT64_FORMAT "\nduration = 60", seed);
    Scenario *s = make_scn(run, "initial-members = 30\njoin-rate = 1.5\nmean-membership = 20",
                           "time,action,ue,cell\n"
                           "0,leave,3,\n"
                           "5,join,3,9\n"
                           "7,join,40,2\n"
                           "60,leave,40,2\n");
    Workload *wl = build_ok(s);
    check_consistent(s, wl);
    for (guint i = 0; i < wl_n_events(wl); i++) {
      const WlEvent *e = ev(wl, i);
      /* Generated churn leaves UEs named by the CSV alone. */
      if (id_of(wl, e) == 3)
        g_assert_true((e->time == 0 && e->action == WL_LEAVE) ||
                      (e->time == 5 && e->action == WL_JOIN));
      if (id_of(wl, e) == 40)
        g_assert_true(e->time == 7 || e->time == 60);
      if (id_of(wl, e) > 40) {
        g_assert_cmpfloat(e->time, <, 60);
      }
    }
    wl_free(wl);
    scn_free(s);
  }
}

static void test_csv_does_not_shift_draws(void) {
  /* The generated events of UEs the CSV does not name are the same with and
   * without the CSV: stays are drawn for every initial member. */
  Scenario *a =
      make_scn("seed = 5\nduration = 100", "initial-members = 40\nmean-membership = 50", NULL);
  Scenario *b = make_scn("seed = 5\nduration = 100", "initial-members = 40\nmean-membership = 50",
                         "time,action,ue,cell\n1,leave,3,\n");
  Workload *wa = build_ok(a), *wb = build_ok(b);
  guint ia = 0, ib = 0, compared = 0;
  while (ia < wl_n_events(wa) && ib < wl_n_events(wb)) {
    if (ev(wa, ia)->ue == 3) {
      ia++;
      continue;
    }
    if (ev(wb, ib)->ue == 3) {
      ib++;
      continue;
    }
    g_assert_cmpfloat(ev(wa, ia)->time, ==, ev(wb, ib)->time);
    g_assert_cmpuint(ev(wa, ia)->ue, ==, ev(wb, ib)->ue);
    ia++, ib++, compared++;
  }
  g_assert_cmpuint(compared, >, 20);
  wl_free(wa);
  wl_free(wb);
  scn_free(a);
  scn_free(b);
}

static void test_tie_order(void) {
  /* A CSV event at exactly the time of a generated one sorts before it. The
   * generated times do not depend on the CSV, so take one from a run
   * without it and put a CSV join at that time (%.17g reads back exactly). */
  Scenario *s = make_scn("seed = 3\nduration = 20", "join-rate = 5", NULL);
  Workload *wl = build_ok(s);
  g_assert_cmpuint(wl_n_events(wl), >, 10);
  double t = ev(wl, 10)->time;
  wl_free(wl);
  scn_free(s);
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(num, sizeof num, "%.17g", t);
  g_autofree char *csv = g_strdup_printf("time,action,ue,cell\n%s,join,0,5\n", num);
  s = make_scn("seed = 3\nduration = 20", "join-rate = 5", csv);
  wl = build_ok(s);
  check_consistent(s, wl);
  /* Generated ids now start at 1; the CSV join of UE 0 comes first. */
  g_assert_cmpfloat(ev(wl, 10)->time, ==, t);
  g_assert_cmpfloat(ev(wl, 11)->time, ==, t);
  g_assert_cmpuint(id_of(wl, ev(wl, 10)), ==, 0);
  g_assert_cmpuint(ev(wl, 10)->cell, ==, 5);
  g_assert_cmpuint(id_of(wl, ev(wl, 11)), ==, 11);
  wl_free(wl);
  scn_free(s);
}

/* ------------------------------------------------------------ sparse ids */

/* The trace of the sparse-id tests: initial members 0..5, UE 8 and UE
 * `big` join, leave and rejoin; UE 2 leaves and rejoins. */
static char *sparse_csv(uint32_t big) {
  return g_strdup_printf("time,action,ue,cell\n"
                         "1,join,%u,3\n"
                         "2,leave,2,\n"
                         "3,join,8,5\n"
                         "4,leave,%u,\n"
                         "5,join,2,1\n"
                         "6,join,%u,0\n"
                         "7,leave,8,5\n",
                         big, big, big);
}

/* rekeys.csv with its `ue` column blanked. */
static char *without_ue_column(const char *csv) {
  g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
  g_auto(GStrv) head = g_strsplit(lines[0], ",", -1);
  int col = -1;
  for (int i = 0; head[i]; i++)
    if (strcmp(head[i], "ue") == 0)
      col = i;
  g_assert_cmpint(col, >=, 0);
  GString *out = g_string_new(NULL);
  for (guint l = 0; lines[l]; l++) {
    g_auto(GStrv) f = g_strsplit(lines[l], ",", -1);
    if (g_strv_length(f) > (guint)col && l > 0) {
      g_free(f[col]);
      f[col] = g_strdup("");
    }
    g_autofree char *row = g_strjoinv(",", f);
    g_string_append_printf(out, "%s\n", row);
  }
  return g_string_free(out, FALSE);
}

static char *read_result(const char *dir, const char *name) {
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  GError *error = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, &error));
  g_assert_no_error(error);
  return text;
}

/* Runs the trace with UE `big` through mbms-sim; results in tmp folder *dir. */
static void run_sparse(const char *sim, uint32_t big, TmpScenario *t, char **out_dir) {
  g_autofree char *csv = sparse_csv(big);
  *t = tmp_scenario("[run]\nduration = 10\n[workload]\ninitial-members = 6\n"
                    "mean-membership = 30\nevents = events.csv\n"
                    "[data]\nrate = 16000\n",
                    csv);
  *out_dir = g_build_filename(t->dir, "out", NULL);
  const char *argv[] = {sim, "-q", "-o", *out_dir, t->ini, NULL};
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(run_cli(argv, &out, &err), ==, 0);
  g_assert_cmpstr(err, ==, "");
}

/* A large UE id costs one internal index, as a small one does, and the
 * results are those of the same trace with the id renumbered small (the
 * order of ids kept): identical files but for rekeys.csv's ue column,
 * which keeps the ids of the events file. */
static void test_sparse_ids(void) {
  uint32_t bigs[] = {16777215u, WL_MAX_UE};
  for (guint b = 0; b < G_N_ELEMENTS(bigs); b++) {
    g_autofree char *csv = sparse_csv(bigs[b]);
    Scenario *s = make_scn("duration = 10", "initial-members = 6", csv);
    Workload *wl = build_ok(s);
    check_consistent(s, wl);
    g_assert_cmpuint(wl->ue_id_end, ==, 8); /* 0..5, 8, big */
    g_assert_cmpuint(ev(wl, 0)->ue, ==, 7);
    g_assert_cmpuint(id_of(wl, ev(wl, 0)), ==, bigs[b]);
    g_assert_cmpuint(ev(wl, 2)->ue, ==, 6); /* UE 8 */
    wl_free(wl);
    scn_free(s);
  }

  const char *sim = g_getenv("MBMS_SIM");
  if (!sim) {
    g_test_skip("MBMS_SIM not set (run through meson test)");
    return;
  }
  TmpScenario small, big;
  g_autofree char *small_out = NULL, *big_out = NULL;
  run_sparse(sim, 9, &small, &small_out);
  run_sparse(sim, 16777215u, &big, &big_out);
  const char *same[] = {"summary.csv", "summary.json", "elements.csv"};
  for (guint i = 0; i < G_N_ELEMENTS(same); i++) {
    g_autofree char *x = read_result(small_out, same[i]), *y = read_result(big_out, same[i]);
    /* summary.json's provenance names the inputs (the events files' hashes
     * differ): everything before it must be the same */
    char *px = strstr(x, ",\n  \"provenance\": {"), *py = strstr(y, ",\n  \"provenance\": {");
    g_assert_true((px == NULL) == (py == NULL));
    if (px)
      *px = *py = '\0';
    g_assert_cmpstr(x, ==, y);
  }
  g_autofree char *rx = read_result(small_out, "rekeys.csv"),
                  *ry = read_result(big_out, "rekeys.csv");
  g_assert_cmpstr(rx, !=, ry); /* the ue column names the ids of each file */
  g_assert_nonnull(strstr(ry, ",16777215,"));
  g_assert_null(strstr(rx, ",16777215,"));
  g_autofree char *bx = without_ue_column(rx), *by = without_ue_column(ry);
  g_assert_cmpstr(bx, ==, by);
  g_assert_cmpuint(strlen(bx), >, 100); /* there were rows to compare */
  tmp_free(&small);
  tmp_free(&big);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  chdir_to_srcdir();
  GError *error = NULL;
  tmpdir = g_dir_make_tmp("mbms-wl-XXXXXX", &error);
  g_assert_no_error(error);
  g_test_add_func("/workload/initial", test_initial);
  g_test_add_func("/workload/csv-parse", test_csv_parse);
  g_test_add_func("/workload/csv-errors", test_csv_errors);
  g_test_add_func("/workload/determinism", test_determinism);
  g_test_add_func("/workload/csv-moves", test_csv_moves);
  g_test_add_func("/workload/generated-moves", test_generated_moves);
  g_test_add_func("/workload/generated-ids", test_generated_ids);
  g_test_add_func("/workload/poisson-count", test_poisson_count);
  g_test_add_func("/workload/churn-consistent", test_churn_consistent);
  g_test_add_func("/workload/csv-does-not-shift-draws", test_csv_does_not_shift_draws);
  g_test_add_func("/workload/tie-order", test_tie_order);
  g_test_add_func("/workload/sparse-ids", test_sparse_ids);
  int status = g_test_run();
  rm_rf(tmpdir);
  g_free(tmpdir);
  return status;
}
