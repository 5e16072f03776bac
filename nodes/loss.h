/* loss.h — the radio network's losses (nodes/loss.c): which receptions are
 * lost, decided per receiver, and which common-channel transmission a UE's
 * radio lost (docs/reliability.md).
 *
 * A common-channel transmission is one sim event; inside it the transport
 * asks loss_common_lost() once per receiving UE (independent outcomes, in
 * the receivers' order). Dedicated channels run RLC acknowledged mode in
 * sim/ (loss_set_dch), core and Iu links ns-3's RateErrorModel
 * (loss_set_link). Every draw comes from ns-3's generator, its run number
 * the scenario's seed, one stream number per use (below).
 *
 * Blocks: the transport numbers each key-assignment transmission on a cell
 * (a repetition keeps its original's number) and, with `blocks` on, queues
 * the numbers per cell in sending order; a cell's transmissions arrive in
 * that order (one serialised channel), so an arrival takes the head. This
 * is what a UE's radio knows of a block it lost (its place in the cell's
 * schedule, as RLC sequence numbers tell), never its content.
 *
 * Memory: nothing per UE here (gilbert-elliott's radio condition is sim/'s,
 * 16 bytes per node); with blocks, one queue per cell.
 * Includes only sim/ and GLib: the transport (below the elements) uses it.
 */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

typedef struct Loss Loss;

#define LOSS_MAX_BLOCK 0xffffffu

/* Seeds ns-3's generator with `seed` and makes the common and dedicated
 * models. `blocks`: number the key-assignment blocks of `n_cells` cells. */
Loss *loss_new(const SimLossParams *common, const SimLossParams *dch, const SimLossStates *states,
               uint64_t seed, bool blocks, uint32_t n_cells);
void loss_free(Loss *loss);
/* RLC AM with the dedicated model on RAN `ran` (if it is lossy). */
void loss_set_dch(Loss *loss, SimRanId ran, uint32_t max_retx);
/* Bernoulli loss `rate` (> 0) on link `link`, the next link's streams. */
void loss_set_link(Loss *loss, SimLinkId link, double rate);
/* Whether the reception at `node` of the transmission arriving now is lost
 * (false, and no draw, when the common model is none or loss is NULL). */
bool loss_common_lost(Loss *loss, SimNodeId node);
/* Blocks are numbered 1 .. LOSS_MAX_BLOCK, then from 1 again (a UE keeps
 * two numbers, 24 bits each); 0 when not numbered. loss_block_sent: a key
 * assignment (`block` its number, 0 for a new one: the number is returned)
 * or data (`key` false) handed to `cell`; loss_block_arrived: the number of
 * the transmission arriving at `cell` (0: data). */
uint32_t loss_block_sent(Loss *loss, uint32_t cell, bool key, uint32_t block);
uint32_t loss_block_arrived(Loss *loss, uint32_t cell);
