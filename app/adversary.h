/* adversary.h — security measured by really decrypting what adversaries hear.
 *
 * Adversaries live in the simulation:
 *   - every departed UE keeps every key it held when its leave reached the
 *     network, and listens to the common channels (its last cell, or all
 *     cells with eavesdrop = all-cells). Whatever it opens it keeps, so a key
 *     learned opens the next wraps under it. With collusion, all departed
 *     UEs pool their keys and their cells into one coalition;
 *   - every UE records the common-channel traffic of its cell (or of all
 *     cells) from record-before-join seconds before its join reaches the
 *     network (a rejoining UE: from its last leave on, if that is later);
 *     when it has its first keys as a member it tries them on what it
 *     recorded (and on what that opens, and so on).
 * Counts (each wrap or data packet counted once, whoever opens it):
 *   fwd_violations — wraps and data packets transmitted after a UE left that
 *                    it (or its coalition) opens; fwd_data of them are data
 *                    packets (= data_leaked);
 *   bwd_exposures  — wraps and data packets transmitted before a UE joined
 *                    that it opens after joining; bwd_data of them are data.
 * Every success is a libsodium decryption with a key the adversary holds;
 * the only shortcut is to try a key only on wraps and packets that name its
 * id and version (kt_unwrap/kt_data_open would fail on any other anyway).
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_data.h"
#include "keytree/kt_wrap.h"

typedef struct {
  bool all_cells;            /* eavesdrop = all-cells */
  bool collusion;            /* departed UEs pool keys and cells */
  double record_before_join; /* s; 0 = joiners record nothing */
  uint32_t n_cells;
  uint32_t n_ues; /* UE indices are below it: sizes the movers' table (0: it grows) */
} AdversaryConfig;

typedef struct {
  uint64_t fwd_violations, fwd_data;
  uint64_t bwd_exposures, bwd_data;
} AdversaryCounts;

typedef struct Adversaries Adversaries;

Adversaries *adversaries_new(const AdversaryConfig *config);
void adversaries_free(Adversaries *a);

/* UE `ue`'s leave reached the network at `now`; `keys` (KtKey) are all it
 * holds, `cell` its last cell. It becomes a listener. */
void adversaries_on_leave(Adversaries *a, uint32_t ue, uint32_t cell, const GArray *keys,
                          double now);
/* Mobility (docs/security.md, "Handover"). A move within the UE's group is
 * being applied: it keeps the interior keys it holds now (of `keys`; the
 * newest version of each), which join its listener when it leaves (a stale
 * sub-group key must open nothing sent after that). */
void adversaries_on_move(Adversaries *a, uint32_t ue, const GArray *keys);
/* Embodiment 2, a move to another RNC: the UE departs its old RNC's group
 * from `cell` at `now` with `keys` (and what it kept from earlier moves):
 * from now on it listens as a departed UE of that group, whatever group it
 * is a member of (its joins do not silence this listener). */
void adversaries_on_move_away(Adversaries *a, uint32_t ue, uint32_t cell, const GArray *keys,
                              double now);
/* UE `ue`'s join (into `cell`) reached the network at `now`: it stops being
 * a listener, and waits for its first keys to try on what it recorded.
 * `keys` (or NULL: none) are those it holds then: they are not the join's,
 * and its backward check does not try them. */
void adversaries_on_join(Adversaries *a, uint32_t ue, uint32_t cell, const GArray *keys,
                         double now);
/* Whether UE `ue` joined and has not yet had its backward check. */
bool adversaries_waiting(const Adversaries *a, uint32_t ue);
/* Whether any UE is adversaries_waiting (none: no UE need be asked). */
bool adversaries_any_waiting(const Adversaries *a);
/* UE `ue` has installed a group key; `keys` are all it holds now. The first
 * call after a join runs its backward check. */
void adversaries_on_member_keys(Adversaries *a, uint32_t ue, const GArray *keys);
/* Traffic transmitted on common channels at `now`. */
void adversaries_on_common_wraps(Adversaries *a, double now, const uint32_t *cells,
                                 uint32_t n_cells, const KtWrap *wraps, uint32_t n_wraps);
void adversaries_on_common_data(Adversaries *a, double now, const uint32_t *cells, uint32_t n_cells,
                                const KtData *d);

AdversaryCounts adversaries_counts(const Adversaries *a);
