/* workload.h — the ordered list of joins and leaves a run executes.
 *
 * Built from a Scenario: initial members (UE i in cell i mod cells, at time
 * 0, provisioned without rekey), the events CSV (`time,action,ue,cell`,
 * relative to the scenario file), and generated churn (Poisson joins at
 * join-rate into a uniformly drawn cell, each member — initial ones
 * included — staying an exponential time of mean mean-membership; a leave
 * after `duration` is not generated). Generated UEs take ids after every id
 * used by initial members and the CSV. All draws come from a GRand seeded
 * by the scenario seed.
 *
 * The events are validated by replaying membership in time order: a join of
 * a member, a leave of a non-member, a leave naming the wrong cell, a time
 * outside [0, duration], a bad number, action or cell: one GError
 * "<events.csv>:<line>: <column>: <what is wrong>" (SCN_ERROR).
 * Events at equal times keep file order; generated events sort after CSV
 * events at the same time.
 *
 * Mobility (`[mobility]`, docs/flows.md "Handover"): a `move` row
 * (`time,move,ue,cell`) moves a member to another cell; it must name a
 * member and a cell other than its own. With handover-rate > 0 each
 * membership of a UE the CSV does not name (initial members, generated
 * joiners) is cut into exponential dwell times of mean 1/handover-rate,
 * each ended by a move (none at or after its leave or the end of the run),
 * whose target is drawn from ns-3's stream SIM_RNG_STREAM_MOBILITY of the
 * scenario seed (sim/sim_rng.h), never from the churn's GRand, so a static
 * run draws exactly what it drew before: per move, in the order of the
 * memberships (initial members by id, then generated joiners in order of
 * their join), four uniforms u1..u4: the dwell -ln(1 - u1) / rate; u2 <
 * intra-rnc: another cell of its RNC; else u3 < intra-sgsn: a cell of
 * another RNC under its SGSN; else a cell of an RNC under another SGSN
 * (u4 picks the cell uniformly among the candidates, RNCs in order, cells
 * in order). A class with no candidate falls back to the next (another
 * RNC of the SGSN, then any other RNC, then another cell of the RNC); with
 * one cell in all there are no moves. A generated leave names the UE's
 * last cell.
 */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "app/rec_store.h"
#include "app/scenario.h"
#include "app/ue_ids.h"

#define WL_NO_CELL UINT32_MAX
/* Largest UE id a workload may use (CSV or generated). Ids are external:
 * the workload maps them to dense internal indices (app/ue_ids.h), so a
 * large id costs what a small one does. It is below KT_KEY_INDEX_MAX, the
 * limit of a private key's index. */
#define WL_MAX_UE ((1u << 24) - 1u)

typedef enum { WL_JOIN, WL_LEAVE, WL_MOVE } WlAction;

typedef struct {
  double time;
  WlAction action;
  uint32_t ue;   /* internal index (dense); ue_ids_external(wl->ids, ue) is its id */
  uint32_t cell; /* global cell; for a leave, filled with the UE's cell; a move: its new cell */
  uint32_t from; /* a move: the cell it leaves (filled); else WL_NO_CELL */
} WlEvent;

typedef struct {
  uint32_t n_initial; /* UEs 0..n_initial-1 are members at time 0 (index = id) */
  uint32_t ue_id_end; /* number of internal indices (UEs used): one past the largest */
  RecStore *events;   /* WlEvent, sorted by time, initial members excluded: wl_event */
  UeIds *ids;         /* external id <-> internal index */
} Workload;

Workload *wl_build(const Scenario *scn, GError **error);
void wl_free(Workload *wl);
uint32_t wl_n_events(const Workload *wl);
/* Event `i` (< wl_n_events), valid until wl_free. The events are kept in a
 * RecStore (app/rec_store.h): a run reads them in order, and the ones
 * behind it leave its resident memory (one per move in a mobile run). */
const WlEvent *wl_event(const Workload *wl, uint32_t i);
