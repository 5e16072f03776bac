/* event_store.h — the metrics' event records (one per workload event),
 * kept out of the process's resident memory.
 *
 * A mobile run has one record per move (136 B each, two moves per member
 * over bench/mobile.ini's 200 s), and any record may still be updated late
 * (a key installed, a recovery reply), so none can be written out early.
 * The records live in blocks of EVENT_STORE_BLOCK, each a shared mapping
 * of its own unlinked temporary file (in g_get_tmp_dir()): pointers stay
 * valid for the store's life, and a block the run has moved past is
 * dropped from the process's resident pages (madvise MADV_DONTNEED: its
 * contents stay in the file, and a later access reads them back). Resident
 * at any time: the block being appended to and the block touched last.
 * Where no temporary file can be made, blocks are anonymous memory and
 * stay resident (the same records, only the memory differs). */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "app/metrics.h"

#define EVENT_STORE_BLOCK 2048u

typedef struct EventStore EventStore;

EventStore *event_store_new(void);
void event_store_free(EventStore *s);
uint32_t event_store_len(const EventStore *s);
/* Appends a copy of *e; returns its index. */
uint32_t event_store_append(EventStore *s, const EventRecord *e);
/* Record `i` (< len); valid until event_store_free. */
EventRecord *event_store_at(EventStore *s, uint32_t i);
