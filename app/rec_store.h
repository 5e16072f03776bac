/* rec_store.h — an append-only array of fixed-size records kept out of the
 * process's resident memory: the metrics' event records and the workload's
 * events, one of each per workload event (a mobile run: per move).
 *
 * Records live in blocks of REC_STORE_BLOCK, each a shared mapping of its
 * own unlinked temporary file (in g_get_tmp_dir()): pointers stay valid
 * for the store's life, and a block the run has moved past is dropped from
 * the process's resident pages (madvise MADV_DONTNEED: its contents stay
 * in the file, and a later access reads them back). Resident at any time:
 * the block being appended to and the block accessed last (an event record
 * may still be updated long after its event: a key installed late, a
 * recovery reply). Where no temporary file can be made, blocks are
 * anonymous memory and stay resident (the same records, more memory). */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define REC_STORE_BLOCK 2048u

typedef struct RecStore RecStore;

RecStore *rec_store_new(size_t record_size);
void rec_store_free(RecStore *s);
uint32_t rec_store_len(const RecStore *s);
/* Appends a copy of the record at `rec`; returns its index. */
uint32_t rec_store_append(RecStore *s, const void *rec);
/* Record `i` (< len); valid until rec_store_free. */
void *rec_store_at(RecStore *s, uint32_t i);
