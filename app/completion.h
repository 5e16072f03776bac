/* completion.h — when a rekey is complete, for the latency column.
 *
 * An event that changes the group key to version v of its scope is complete
 * when every member of the scope at the time of its plan holds version v or
 * a newer one of the same group key. Two things make plain counting of
 * "installations of v" wrong under churn, and this module handles both:
 *   - a newer group key can overtake v (the next leave's key arrives first,
 *     and the UE then ignores the older one): installing v' > v counts for
 *     every pending version in between;
 *   - a member can leave before installing v: it is then no longer expected.
 * Per UE it keeps the scope's group key id and the last version counted
 * (8 bytes per UE); per scope, the event of each version (dense arrays).
 * It writes into the events' EventRecord through metrics_installed() and
 * metrics_install_not_expected().
 */
#pragma once
#include <stdint.h>

#include "app/metrics.h"
#include "keytree/kt_plan.h"

typedef struct RekeyCompletion RekeyCompletion;

/* UE ids are < ue_capacity. `metrics` is borrowed. */
RekeyCompletion *completion_new(uint32_t ue_capacity, Metrics *metrics);
void completion_free(RekeyCompletion *c);

/* A plan was made: seq is the event (NET_NO_SEQ / UINT32_MAX for an initial
 * member's provisioning, which changes no key). */
void completion_on_plan(RekeyCompletion *c, uint32_t seq, const KtPlan *plan,
                        uint32_t members_in_scope);
/* The UEs `ues` are about to install a key: their records are fetched
 * into the cache (a hint; changes nothing). */
void completion_prefetch(const RekeyCompletion *c, const uint32_t *ues, uint32_t n);
/* UE `ue` installed group key `ref` at `now`. */
void completion_on_install(RekeyCompletion *c, uint32_t ue, KtKeyRef ref, double now);
/* The UEs `ues` installed group key `ref` at `now`: as completion_on_install
 * for each (the installs that complete exactly the version of `ref` are
 * counted at once). */
void completion_on_installs(RekeyCompletion *c, const uint32_t *ues, uint32_t n, KtKeyRef ref,
                            double now);
