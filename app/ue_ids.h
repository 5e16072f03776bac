/* ue_ids.h — external UE ids (as the events CSV and the outputs name them)
 * and the dense internal indices every per-UE array is indexed by.
 *
 * A workload uses: the initial members 0..n_initial-1, the ids the events
 * CSV names, and the generated joiners, whose ids follow every other id.
 * Internal indices number these in increasing order of external id, with
 * no gaps: the initial members keep their ids, a CSV id is its rank among
 * the ids used, the generated ids follow. So one CSV join of UE 16777215
 * costs one index, as UE n_initial would, and a workload whose ids have no
 * gaps maps every id to itself (its results are those of dense ids). The
 * order is kept, so renumbering ids without changing their order changes
 * nothing but the ids written.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct UeIds UeIds;

/* The ids 0..n_initial-1, before any other is noted. */
UeIds *ue_ids_new(uint32_t n_initial);
void ue_ids_free(UeIds *ids);
/* External id `ue` is used by the events CSV (noting one twice is fine).
 * Only before ue_ids_seal. */
void ue_ids_note(UeIds *ids, uint32_t ue);
/* Ends noting: from now on the ids map. */
void ue_ids_seal(UeIds *ids);
/* One past the largest external id noted or initial (the first generated
 * id); 0 if none. */
uint64_t ue_ids_external_end(const UeIds *ids);
/* `n` generated ids follow: external_end .. external_end + n - 1. Once. */
void ue_ids_add_generated(UeIds *ids, uint32_t n);
/* Number of internal indices (one past the largest). */
uint32_t ue_ids_count(const UeIds *ids);
/* The internal index of a used external id (g_assert if it is not used). */
uint32_t ue_ids_internal(const UeIds *ids, uint32_t ue);
/* The external id of internal index `ix` (< ue_ids_count). */
uint32_t ue_ids_external(const UeIds *ids, uint32_t ix);
