/* loss.c — see loss.h. */
#include "nodes/loss.h"

/* Fixed stream numbers (sim.h: one per use, so that adding a model never
 * shifts another's draws). Links take two each (one per direction), from
 * STREAM_LINKS on in the order they are set. */
enum {
  STREAM_COMMON = 1,
  STREAM_DCH = 2,
  STREAM_STATES = 3,
  STREAM_LINKS = 16,
};

struct Loss {
  SimLossId common, dch;
  bool common_lossy, dch_lossy;
  int64_t next_link_stream;
  GQueue *blocks; /* per global cell, with blocks: uint32 block numbers */
  uint32_t n_cells;
  uint32_t next_block;
};

Loss *loss_new(const SimLossParams *common, const SimLossParams *dch, const SimLossStates *states,
               uint64_t seed, bool blocks, uint32_t n_cells) {
  Loss *loss = g_new0(Loss, 1);
  sim_loss_seed(seed);
  if (common->model == SIM_LOSS_GILBERT_ELLIOTT || dch->model == SIM_LOSS_GILBERT_ELLIOTT)
    sim_loss_set_states(states, STREAM_STATES);
  loss->common = sim_loss_new(common, STREAM_COMMON);
  loss->common_lossy = common->model != SIM_LOSS_NONE;
  loss->dch = sim_loss_new(dch, STREAM_DCH);
  loss->dch_lossy = dch->model != SIM_LOSS_NONE;
  loss->next_link_stream = STREAM_LINKS;
  if (blocks) {
    loss->n_cells = n_cells;
    loss->blocks = g_new0(GQueue, n_cells ? n_cells : 1);
    for (uint32_t i = 0; i < n_cells; i++)
      g_queue_init(&loss->blocks[i]);
  }
  return loss;
}

void loss_free(Loss *loss) {
  if (!loss)
    return;
  for (uint32_t i = 0; loss->blocks && i < loss->n_cells; i++)
    g_queue_clear(&loss->blocks[i]); /* transmissions still on their way */
  g_free(loss->blocks);
  g_free(loss);
}

void loss_set_dch(Loss *loss, SimRanId ran, uint32_t max_retx) {
  if (loss->dch_lossy)
    sim_ran_set_dch_loss(ran, loss->dch, max_retx);
}

void loss_set_link(Loss *loss, SimLinkId link, double rate) {
  sim_link_set_loss(link, rate, loss->next_link_stream);
  loss->next_link_stream += 2;
}

bool loss_common_lost(Loss *loss, SimNodeId node) {
  return loss && loss->common_lossy && sim_loss_lost(loss->common, node);
}

uint32_t loss_block_sent(Loss *loss, uint32_t cell, bool key, uint32_t block) {
  if (!loss || !loss->blocks)
    return 0;
  g_assert(cell < loss->n_cells);
  if (!key)
    block = 0;
  else if (block == 0)
    block = loss->next_block = loss->next_block % LOSS_MAX_BLOCK + 1;
  g_queue_push_tail(&loss->blocks[cell], GUINT_TO_POINTER(block));
  return block;
}

uint32_t loss_block_arrived(Loss *loss, uint32_t cell) {
  if (!loss || !loss->blocks)
    return 0;
  g_assert(cell < loss->n_cells && !g_queue_is_empty(&loss->blocks[cell]));
  return GPOINTER_TO_UINT(g_queue_pop_head(&loss->blocks[cell]));
}
