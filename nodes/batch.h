/* batch.h — batch rekeying (Li, Yang, Gouda, Lam 2001) at the holder of the
 * tree: the RNC in embodiment 2 (its own group), the BM-SC in 1.
 *
 * Joins and leaves are accepted at once (the context signalling is the same
 * as for the other schemes); the holder gathers them in its BatchBuffer and
 * sets its own timer for the first multiple of batch_interval after the
 * first op of a batch. On that timer it calls batch_plan, which asks the key
 * tree for one plan (kt_tree_batch) and applies its membership changes to
 * the radio bearers; the holder then carries the plan out (nodes/rnc.c,
 * nodes/bmsc.c).
 *
 * Every message of a batch carries the seq of the batch's last event, so
 * rekeys.csv shows the batch's whole cost on that event's row (and the
 * other events of the batch have no rekey messages).
 *
 * Includes only nodes/node.h; calls nodes/plan.h, nodes/radio.h, nodes/ue.h.
 */
#pragma once
#include "nodes/node.h"

typedef struct {
  GArray *ops;    /* KtBatchOp gathered */
  GArray *waited; /* uint32 UEs whose ops the last batch left for the next */
  uint32_t seq;   /* of the last op */
  uint8_t armed;  /* the holder's timer is set */
} BatchBuffer;

void batch_buffer_init(BatchBuffer *b);
void batch_buffer_fini(BatchBuffer *b);
/* Gathers one join or leave; true if the holder must now set its timer,
 * `*delay` seconds from now. */
bool batch_gather(BatchBuffer *b, uint32_t seq, bool join, uint32_t ue, uint32_t cell,
                  double interval, double *delay);
/* At the holder's timer: the plan of the batch for `scope` (owned by
 * net->plans under *seq), or NULL if there is nothing to carry out (no op,
 * or rejected at `holder` with a reason). */
const KtPlan *batch_plan(Net *net, BatchBuffer *b, NetElement holder, uint32_t scope,
                         uint32_t *seq);
/* After batch_plan: true if ops were left for the next batch (a mover's
 * join waiting for its leave elsewhere: one batch, but after the run's
 * duration a UE waiting at a second one has its ops dropped by batch_plan),
 * the holder then setting its timer `*delay` seconds from now (the next
 * multiple of the interval). */
bool batch_deferred(Net *net, BatchBuffer *b, NetElement holder, double interval, double *delay);
