/* plan.h — the life cycle of a rekey plan in the network, in one place.
 *
 * A plan is made where the request (or the batch) is handled and carried
 * out in parts by the elements that hold the keys it needs:
 *   embodiment 2: the RNC does everything at once: plan_begin, execute,
 *     plan_close;
 *   embodiment 1: plan_begin at the RNC (the BM-SC for a batch), then
 *     plan_await counts the parts still to come: the BM-SC's (group key
 *     change), one per RNC with group-stage work (on the RAB assignment
 *     request) and, for a join, the joiner's keys (on the accept). Each
 *     element calls plan_part_done after its part; the last frees the plan.
 * Only this file counts parts.
 *
 * The book also keeps what the key server knows of departed members: for
 * each shared key id the newest version a leaver held (plan_note_leavers),
 * so that a point-to-multipoint wrap under that version, which the leaver
 * could open, is withheld (nodes/rnc.c).
 *
 * Includes only keytree/.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_plan.h"

typedef struct PlanBook PlanBook;

PlanBook *plan_book_new(void);
void plan_book_free(PlanBook *book);

/* A new, empty plan for event `seq` (owned by the book); NULL if a plan for
 * `seq` is already in flight. */
KtPlan *plan_begin(PlanBook *book, uint32_t seq);
/* The plan of `seq` in flight, or NULL. */
const KtPlan *plan_get(const PlanBook *book, uint32_t seq);
/* Drops the plan of `seq` (carried out at once, or never made). */
void plan_close(PlanBook *book, uint32_t seq);
/* Embodiment 1: the plan now waits for its parts (see above), of `n_rnc`
 * RNCs; the caller's own part is one of them (it calls plan_part_done). */
void plan_await(PlanBook *book, uint32_t seq, uint32_t n_rnc);
/* One part of `seq` done (nothing if no such plan); frees the last. */
void plan_part_done(PlanBook *book, uint32_t seq);
/* Embodiment 1: true the first time RNC `rnc` asks for `seq` (in flight),
 * false afterwards. A plan whose new node keys do not fit one request
 * reaches each RNC in several RAB assignment requests, and the RNC carries
 * out its part (and counts it done) on the first only (docs/schemes.md,
 * lkh: "a request holds at most 31 node keys"). */
bool plan_rnc_first(PlanBook *book, uint32_t seq, uint32_t rnc);
/* Embodiment 1, join rekey: the group key version UE `ue`'s join made,
 * while that join's plan is in flight (its new group key still in the
 * core); 0 otherwise. An older group key is one from before its join: no
 * delivery may give it to the UE meanwhile (nodes/rnc.c). */
uint32_t plan_joining_floor(const PlanBook *book, uint32_t ue);

/* Whether delivery `d` of `plan` is the joiner's own keys (sent after the
 * accept in embodiment 1). */
bool plan_is_joiner_delivery(const KtPlan *plan, const KtDelivery *d);
/* Whether the plan has group-stage work other than the joiner's keys at
 * `rnc` (any RNC if rnc == UINT32_MAX). */
bool plan_has_group_work(const KtPlan *plan, uint32_t rnc);
/* The RNCs with group-stage work other than the joiner's keys, appended
 * to `out` (uint32, ascending, each once). */
void plan_group_work_rncs(const KtPlan *plan, GArray *out);
/* The new value of the group key if the plan changed it, else NULL. */
const KtKey *plan_new_group_key(const KtPlan *plan);

/* Records the old versions of the shared keys a leave's (or a batch's)
 * plan replaced: the leavers held them (a move's: the interior keys the
 * mover held, not the group key, which it keeps). */
void plan_note_leavers(PlanBook *book, const KtPlan *plan);
/* The newest version of shared key `id` a leaver held; 0 if none. */
uint32_t plan_leaked_version(const PlanBook *book, KtKeyId id);
