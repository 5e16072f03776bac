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
 */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "app/scenario.h"
#include "app/ue_ids.h"

#define WL_NO_CELL UINT32_MAX
/* Largest UE id a workload may use (CSV or generated). Ids are external:
 * the workload maps them to dense internal indices (app/ue_ids.h), so a
 * large id costs what a small one does. It is below KT_KEY_INDEX_MAX, the
 * limit of a private key's index. */
#define WL_MAX_UE ((1u << 24) - 1u)

typedef enum { WL_JOIN, WL_LEAVE } WlAction;

typedef struct {
  double time;
  WlAction action;
  uint32_t ue;   /* internal index (dense); ue_ids_external(wl->ids, ue) is its id */
  uint32_t cell; /* global cell; for a leave, filled with the UE's cell */
} WlEvent;

typedef struct {
  uint32_t n_initial; /* UEs 0..n_initial-1 are members at time 0 (index = id) */
  uint32_t ue_id_end; /* number of internal indices (UEs used): one past the largest */
  GArray *events;     /* WlEvent, sorted by time, initial members excluded */
  UeIds *ids;         /* external id <-> internal index */
} Workload;

Workload *wl_build(const Scenario *scn, GError **error);
void wl_free(Workload *wl);
