/* ue_pending.h — the wraps UEs keep waiting (docs/flows.md, "Wraps a UE
 * keeps waiting"): a wrap a UE received under a version of a key it does
 * not hold yet waits here until the UE opens it or drops it.
 *
 * Each UE's wraps are a list of its own, in arrival order: ue_pending_take
 * hands them back in that order, and a wrap added again after a take (it
 * still does not open) goes to the end, so the wraps kept again keep their
 * order among themselves. The order depends on nothing but that UE's own
 * history. Only UEs that keep a wrap have a list (no memory per UE
 * otherwise; a list is one block sized to its wraps: bursts of thousands of
 * UEs keeping one wrap each for a few milliseconds are common with LKH),
 * and every operation on one UE's wraps costs time in
 * proportion to that UE's wraps, not to every UE's.
 *
 * What a wrap means (whether it opens, whether to drop it) is the UE's
 * business (ue.c); the store only keeps the entries. Includes only
 * keytree/ and GLib.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "keytree/kt_wrap.h"

typedef struct UePending UePending;

/* One wrap kept waiting. */
typedef struct {
  uint32_t seq; /* the event of the message it came in */
  KtWrap wrap;
  double since;  /* when it first waited (kept when it waits again) */
  uint8_t asked; /* the key repair asked for it (once) */
} UePendingWrap;

/* A UE's wraps as ue_pending_take hands them over. */
typedef struct {
  guint len, cap;
  UePendingWrap w[]; /* in arrival order */
} UePendingList;

UePending *ue_pending_new(void);
void ue_pending_free(UePending *store);

/* `w` joins the end of `ue`'s list. */
void ue_pending_add(UePending *store, uint32_t ue, const UePendingWrap *w);
bool ue_pending_has(const UePending *store, uint32_t ue);
/* `ue`'s wraps in order (*n of them; NULL and 0 if none), to read or to
 * mark (`asked`); valid until the store next changes. */
UePendingWrap *ue_pending_of(UePending *store, uint32_t ue, guint *n);
/* Takes every wrap of `ue` out, in order (NULL if none): the caller owns
 * the list (g_free). */
UePendingList *ue_pending_take(UePending *store, uint32_t ue);

/* Whether a wrap is to be dropped; `ctx` is the caller's. */
typedef bool (*UePendingMatch)(const UePendingWrap *w, void *ctx);
/* Drops `ue`'s wraps that `match` (NULL: all); the others keep their
 * order. Returns how many of `ue`'s wraps are left. */
guint ue_pending_drop(UePending *store, uint32_t ue, UePendingMatch match, void *ctx);

/* Wraps kept, all UEs. */
guint ue_pending_count(const UePending *store);
/* Wraps kept by the UEs for which `counts` is true (time in proportion to
 * the UEs that keep wraps). */
typedef bool (*UePendingUeMatch)(uint32_t ue, const void *ctx);
guint ue_pending_count_of(const UePending *store, UePendingUeMatch counts, const void *ctx);
