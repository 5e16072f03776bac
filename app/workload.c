/* workload.c — the joins and leaves of a run: the events CSV, validated by
 * replaying membership, and generated churn, merged in time order.
 *
 * Replay state is kept only for the UEs the CSV names (a hash table sized by
 * the CSV, not by the population); every other UE's state follows from the
 * initial placement. Generated churn draws from one GRand in a fixed order:
 * first one exponential stay per initial member (UE 0, 1, ...), then for
 * each Poisson join its inter-arrival time, its cell and its stay. A stay is
 * drawn even for an initial member the CSV names (and then discarded), so
 * editing the CSV never shifts the draws of other UEs. */
#include "app/workload.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_rng.h"

#define CSV_HEADER "time,action,ue,cell"

typedef enum { ORIGIN_CSV = 0, ORIGIN_GENERATED = 1 } Origin;

typedef struct {
  WlEvent ev;
  Origin origin;
  guint order; /* CSV: the line; generated: creation index */
} Tagged;

typedef struct {
  bool member;
  uint32_t cell;
  guint line; /* line of the last join/leave; 0 = initial state */
} UeState;

G_GNUC_PRINTF(5, 6)
static bool csv_fail(GError **error, const char *path, guint line, const char *column,
                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID, "%s:%u: %s: %s", path, line, column, what);
  return false;
}

static bool all_digits(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!g_ascii_isdigit(*s))
      return false;
  return true;
}

static int cmp_tagged(gconstpointer pa, gconstpointer pb) {
  const Tagged *a = pa, *b = pb;
  if (a->ev.time != b->ev.time)
    return a->ev.time < b->ev.time ? -1 : 1;
  if (a->origin != b->origin)
    return a->origin < b->origin ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

/* ------------------------------------------------------------ the CSV */

/* Parses one data row into *t (origin CSV, order = line). */
static bool parse_row(const Scenario *scn, uint32_t n_cells, const char *path, guint line,
                      char *text, Tagged *t, GError **error) {
  g_auto(GStrv) f = g_strsplit(text, ",", -1);
  guint n = g_strv_length(f);
  if (n != 4)
    return csv_fail(error, path, line, "row", "expected 4 fields (" CSV_HEADER "), got %u", n);
  for (guint i = 0; i < n; i++)
    g_strstrip(f[i]);
  g_autofree char *qt = scn_quote(f[0]), *qa = scn_quote(f[1]), *qu = scn_quote(f[2]),
                  *qc = scn_quote(f[3]);

  bool plain = *f[0] != '\0';
  for (const char *p = f[0]; *p; p++)
    if (!g_ascii_isdigit(*p) && !strchr("+-.eE", *p))
      plain = false;
  char *end = NULL;
  double time = plain ? g_ascii_strtod(f[0], &end) : 0.0;
  if (!plain || end == f[0] || *end != '\0' || !isfinite(time))
    return csv_fail(error, path, line, "time", "'%s' is not a number", qt);
  if (!(time >= 0))
    return csv_fail(error, path, line, "time", "'%s' must be >= 0", qt);
  if (time > scn->duration)
    return csv_fail(error, path, line, "time", "'%s' is after the end of the run (duration %g s)",
                    qt, scn->duration);

  WlAction action;
  if (strcmp(f[1], "join") == 0)
    action = WL_JOIN;
  else if (strcmp(f[1], "leave") == 0)
    action = WL_LEAVE;
  else if (strcmp(f[1], "move") == 0)
    action = WL_MOVE;
  else
    return csv_fail(error, path, line, "action", "'%s' is not join, leave or move", qa);

  guint64 ue;
  if (!all_digits(f[2]))
    return csv_fail(error, path, line, "ue", "'%s' is not an unsigned integer", qu);
  if (!g_ascii_string_to_unsigned(f[2], 10, 0, WL_MAX_UE, &ue, NULL))
    return csv_fail(error, path, line, "ue", "'%s' is out of range (0..%u)", qu, WL_MAX_UE);

  guint64 cell = WL_NO_CELL;
  if (*f[3] != '\0') {
    if (!all_digits(f[3]))
      return csv_fail(error, path, line, "cell", "'%s' is not an unsigned integer", qc);
    if (!g_ascii_string_to_unsigned(f[3], 10, 0, n_cells - 1, &cell, NULL))
      return csv_fail(error, path, line, "cell", "'%s' is out of range (0..%u: %u cells)", qc,
                      n_cells - 1, n_cells);
  } else if (action == WL_JOIN) {
    return csv_fail(error, path, line, "cell", "missing (a join needs a cell)");
  } else if (action == WL_MOVE) {
    return csv_fail(error, path, line, "cell", "missing (a move needs the cell it moves to)");
  }

  *t = (Tagged){.ev = {.time = time,
                       .action = action,
                       .ue = (uint32_t)ue,
                       .cell = (uint32_t)cell,
                       .from = WL_NO_CELL},
                .origin = ORIGIN_CSV,
                .order = line};
  return true;
}

/* Appends the CSV's events (cells of leaves not yet filled) to `out`. */
static bool parse_csv(const Scenario *scn, uint32_t n_cells, GArray *out, GError **error) {
  const char *path = scn->events_path;
  gsize len = 0;
  g_autofree char *text = scn_read_file(path, &len, error);
  if (!text)
    return false;
  if (memchr(text, '\0', len))
    return csv_fail(error, path, 1, "file", "contains a NUL byte (not a text file)");
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  bool header = false;
  for (guint i = 0; lines[i]; i++) {
    guint line = i + 1;
    char *s = lines[i];
    if (i == 0 && g_str_has_prefix(s, "\xEF\xBB\xBF")) /* UTF-8 byte order mark */
      s += 3;
    g_strstrip(s); /* also the trailing \r of CRLF files */
    if (*s == '\0' || *s == '#')
      continue;
    if (!header) {
      if (strcmp(s, CSV_HEADER) != 0) {
        g_autofree char *q = scn_quote(s);
        return csv_fail(error, path, line, "header", "expected '" CSV_HEADER "', got '%s'", q);
      }
      header = true;
      continue;
    }
    Tagged t;
    if (!parse_row(scn, n_cells, path, line, s, &t, error))
      return false;
    g_array_append_val(out, t);
  }
  if (!header)
    return csv_fail(error, path, 1, "header", "missing (expected '" CSV_HEADER "')");
  return true;
}

/* Replays the CSV events (sorted) from the initial membership; fills the
 * cell of each leave; records in `named` every UE the CSV names. */
static bool replay(const Scenario *scn, uint32_t n_cells, GArray *csv, GHashTable *named,
                   GError **error) {
  GArray *states = g_array_new(FALSE, FALSE, sizeof(UeState));
  bool ok = true;
  for (guint i = 0; i < csv->len && ok; i++) {
    Tagged *t = &g_array_index(csv, Tagged, i);
    WlEvent *e = &t->ev;
    gpointer slot = g_hash_table_lookup(named, GUINT_TO_POINTER(e->ue));
    if (!slot) {
      UeState init = {.member = e->ue < scn->initial_members, .cell = e->ue % n_cells};
      g_array_append_val(states, init);
      slot = GUINT_TO_POINTER(states->len);
      g_hash_table_insert(named, GUINT_TO_POINTER(e->ue), slot);
    }
    UeState *st = &g_array_index(states, UeState, GPOINTER_TO_UINT(slot) - 1);
    if (e->action == WL_JOIN) {
      if (st->member) {
        ok = st->line ? csv_fail(error, scn->events_path, t->order, "ue",
                                 "ue %u is already a member (joined at line %u)", e->ue, st->line)
                      : csv_fail(error, scn->events_path, t->order, "ue",
                                 "ue %u is already a member (initially a member)", e->ue);
        break;
      }
      *st = (UeState){.member = true, .cell = e->cell, .line = t->order};
    } else if (e->action == WL_MOVE) {
      if (!st->member) {
        ok = st->line ? csv_fail(error, scn->events_path, t->order, "ue",
                                 "ue %u is not a member (left at line %u); only members move",
                                 e->ue, st->line)
                      : csv_fail(error, scn->events_path, t->order, "ue",
                                 "ue %u is not a member (never joined); only members move", e->ue);
        break;
      }
      if (e->cell == st->cell) {
        ok = csv_fail(error, scn->events_path, t->order, "cell",
                      "ue %u is in cell %u already (a move changes the cell)", e->ue, e->cell);
        break;
      }
      e->from = st->cell;
      *st = (UeState){.member = true, .cell = e->cell, .line = t->order};
    } else {
      if (!st->member) {
        ok = st->line ? csv_fail(error, scn->events_path, t->order, "ue",
                                 "ue %u is not a member (left at line %u)", e->ue, st->line)
                      : csv_fail(error, scn->events_path, t->order, "ue",
                                 "ue %u is not a member (never joined)", e->ue);
        break;
      }
      if (e->cell != WL_NO_CELL && e->cell != st->cell) {
        ok = csv_fail(error, scn->events_path, t->order, "cell", "ue %u is in cell %u, not %u",
                      e->ue, st->cell, e->cell);
        break;
      }
      e->cell = st->cell;
      *st = (UeState){.member = false, .cell = st->cell, .line = t->order};
    }
  }
  g_array_free(states, TRUE);
  return ok;
}

/* ------------------------------------------------------------ churn */

/* An exponential variate of the given mean; 1 - u is in (0, 1]. */
static double draw_exp(GRand *r, double mean) {
  return -mean * log(1.0 - g_rand_double(r));
}

static void add_generated(GArray *out, guint *order, double time, WlAction action, uint32_t ue,
                          uint32_t cell) {
  Tagged t = {.ev = {.time = time, .action = action, .ue = ue, .cell = cell, .from = WL_NO_CELL},
              .origin = ORIGIN_GENERATED,
              .order = (*order)++};
  g_array_append_val(out, t);
}

/* ------------------------------------------------------------ mobility */

/* One membership of a UE the CSV does not name: [start, end) in `cell` at
 * first; its generated leave is out[leave] (-1: none before the end). */
typedef struct {
  double start, end;
  uint32_t ue, cell;
  gint64 leave;
} Membership;

static void note_membership(GArray *ms, double start, double end, uint32_t ue, uint32_t cell,
                            gint64 leave) {
  if (ms == NULL)
    return;
  Membership m = {start, end, ue, cell, leave};
  g_array_append_val(ms, m);
}

/* Candidates of move class `c` (0: other cells of the RNC, 1: cells of the
 * other RNCs of the SGSN, 2: cells of RNCs under other SGSNs) from `cell`;
 * the k-th of them if want_cell, else how many. */
static uint32_t move_class(const Scenario *scn, uint32_t cell, int c, uint32_t k, bool want_cell) {
  uint32_t cpr = scn->cells_per_rnc, rps = scn->rnc_per_sgsn, n_rnc = scn_n_rnc(scn);
  uint32_t rnc = cell / cpr, sgsn = rnc / rps;
  switch (c) {
  case 0: /* skip the UE's own cell */
    if (!want_cell)
      return cpr - 1;
    return rnc * cpr + k + (k >= cell % cpr ? 1u : 0u);
  case 1: {
    if (!want_cell)
      return (rps - 1) * cpr;
    uint32_t ord = k / cpr, r = sgsn * rps + ord + (ord >= rnc % rps ? 1u : 0u);
    return r * cpr + k % cpr;
  }
  default: {
    if (!want_cell)
      return (n_rnc - rps) * cpr;
    uint32_t ord = k / cpr, r = ord < sgsn * rps ? ord : ord + rps;
    return r * cpr + k % cpr;
  }
  }
}

/* The target of a move from `cell` (workload.h): class by u2, u3, the
 * first non-empty class from it in cyclic order, the cell by u4. */
static bool move_target(const Scenario *scn, uint32_t cell, double u2, double u3, double u4,
                        uint32_t *to) {
  int want = u2 < scn->intra_rnc ? 0 : u3 < scn->intra_sgsn ? 1 : 2;
  for (int i = 0; i < 3; i++) {
    int c = (want + i) % 3;
    uint32_t n = move_class(scn, cell, c, 0, false);
    if (n == 0)
      continue;
    uint32_t k = (uint32_t)(u4 * n);
    *to = move_class(scn, cell, c, k < n ? k : n - 1, true);
    return true;
  }
  return false; /* one cell in all */
}

/* The moves of every membership, in order (workload.h); a generated leave
 * takes the UE's last cell. */
static void generate_moves(const Scenario *scn, const GArray *ms, GArray *out, guint *order) {
  SimRng *rng = sim_rng_new(scn->seed, SIM_RNG_STREAM_MOBILITY);
  for (guint i = 0; i < ms->len; i++) {
    const Membership *m = &g_array_index(ms, Membership, i);
    uint32_t cell = m->cell;
    for (double t = m->start;;) {
      double u1 = sim_rng_uniform(rng), u2 = sim_rng_uniform(rng), u3 = sim_rng_uniform(rng),
             u4 = sim_rng_uniform(rng);
      t += -log(1.0 - u1) / scn->handover_rate;
      uint32_t to;
      if (!(t < m->end) || !move_target(scn, cell, u2, u3, u4, &to))
        break;
      Tagged mv = {.ev = {.time = t, .action = WL_MOVE, .ue = m->ue, .cell = to, .from = cell},
                   .origin = ORIGIN_GENERATED,
                   .order = (*order)++};
      g_array_append_val(out, mv);
      cell = to;
    }
    if (m->leave >= 0)
      g_array_index(out, Tagged, m->leave).ev.cell = cell;
  }
  sim_rng_free(rng);
}

static bool generate(const Scenario *scn, uint32_t n_cells, GHashTable *named, GArray *out,
                     uint32_t *id_end, GError **error) {
  guint32 seed[2] = {(guint32)scn->seed, (guint32)(scn->seed >> 32)};
  GRand *r = g_rand_new_with_seed_array(seed, 2);
  guint order = 0;
  bool ok = true;
  GArray *ms = scn->handover_rate > 0 ? g_array_new(FALSE, FALSE, sizeof(Membership)) : NULL;
  for (uint32_t ue = 0; ue < scn->initial_members; ue++) {
    double stay = scn->mean_membership > 0 ? draw_exp(r, scn->mean_membership) : scn->duration;
    if (g_hash_table_contains(named, GUINT_TO_POINTER(ue)))
      continue;
    gint64 leave = -1;
    if (stay < scn->duration) {
      leave = out->len;
      add_generated(out, &order, stay, WL_LEAVE, ue, ue % n_cells);
    }
    note_membership(ms, 0, stay < scn->duration ? stay : scn->duration, ue, ue % n_cells, leave);
  }
  if (scn->join_rate > 0) {
    uint64_t next = *id_end;
    for (double t = draw_exp(r, 1.0 / scn->join_rate); t < scn->duration;
         t += draw_exp(r, 1.0 / scn->join_rate)) {
      if (next > WL_MAX_UE) {
        g_set_error(error, SCN_ERROR, SCN_ERROR_INVALID,
                    "%s: workload.join-rate: generated UE ids would pass the largest UE id %u "
                    "(the events use ids up to %u)",
                    scn->source_path, WL_MAX_UE, *id_end - 1);
        ok = false;
        break;
      }
      uint32_t ue = (uint32_t)next++;
      uint32_t cell = (uint32_t)g_rand_int_range(r, 0, (gint32)n_cells);
      add_generated(out, &order, t, WL_JOIN, ue, cell);
      double end = scn->duration;
      gint64 leave_at = -1;
      if (scn->mean_membership > 0) {
        double leave = t + draw_exp(r, scn->mean_membership);
        if (leave < scn->duration) {
          leave_at = out->len;
          end = leave;
          add_generated(out, &order, leave, WL_LEAVE, ue, cell);
        }
      }
      note_membership(ms, t, end, ue, cell, leave_at);
    }
    if (ok)
      *id_end = (uint32_t)next;
  }
  g_rand_free(r);
  if (ok && ms)
    generate_moves(scn, ms, out, &order);
  if (ms)
    g_array_free(ms, TRUE);
  return ok;
}

/* ------------------------------------------------------------ public API */

Workload *wl_build(const Scenario *scn, GError **error) {
  g_return_val_if_fail(scn != NULL, NULL);
  uint32_t n_cells = scn_n_cells(scn);
  g_assert(n_cells > 0 && n_cells <= (uint32_t)G_MAXINT32);
  GArray *all = g_array_new(FALSE, FALSE, sizeof(Tagged));
  GHashTable *named = g_hash_table_new(g_direct_hash, g_direct_equal);
  UeIds *ids = ue_ids_new(scn->initial_members);
  bool ok = true;

  if (scn->events_path) {
    ok = parse_csv(scn, n_cells, all, error);
    if (ok) {
      g_array_sort(all, cmp_tagged); /* by time, ties in file order */
      ok = replay(scn, n_cells, all, named, error);
    }
    for (guint i = 0; ok && i < all->len; i++)
      ue_ids_note(ids, g_array_index(all, Tagged, i).ev.ue);
  }
  ue_ids_seal(ids);
  uint64_t first_generated = ue_ids_external_end(ids);
  uint32_t id_end = (uint32_t)first_generated; /* <= WL_MAX_UE + 1 */
  if (ok && (scn->join_rate > 0 || scn->mean_membership > 0 || scn->handover_rate > 0))
    ok = generate(scn, n_cells, named, all, &id_end, error);
  g_hash_table_destroy(named);
  if (!ok) {
    g_array_free(all, TRUE);
    ue_ids_free(ids);
    return NULL;
  }
  ue_ids_add_generated(ids, (uint32_t)(id_end - first_generated));

  g_array_sort(all, cmp_tagged);
  Workload *wl = g_new0(Workload, 1);
  wl->n_initial = scn->initial_members;
  wl->ids = ids;
  wl->ue_id_end = ue_ids_count(ids);
  wl->events = rec_store_new(sizeof(WlEvent));
  for (guint i = 0; i < all->len; i++) {
    WlEvent e = g_array_index(all, Tagged, i).ev;
    e.ue = ue_ids_internal(ids, e.ue); /* validated on ids, run on indices */
    rec_store_append(wl->events, &e);
  }
  g_array_free(all, TRUE);
  return wl;
}

void wl_free(Workload *wl) {
  if (!wl)
    return;
  rec_store_free(wl->events);
  ue_ids_free(wl->ids);
  g_free(wl);
}

uint32_t wl_n_events(const Workload *wl) {
  return rec_store_len(wl->events);
}

const WlEvent *wl_event(const Workload *wl, uint32_t i) {
  return rec_store_at(wl->events, i);
}
