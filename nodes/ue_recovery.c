/* ue_recovery.c — see ue_recovery.h. */
#include "nodes/ue_recovery.h"

enum {
  REC_TIMER = 1,    /* a recovery timer is set */
  REC_AWAITING = 2, /* a request was sent and not answered yet */
  REC_MISSED = 4,   /* a loss that no repetition can make good */
  REC_DCH = 8,      /* a dedicated frame lost for good (never superseded) */
};

/* Block numbers are 24 bits (loss.h: they wrap from 2^24 - 1 to 1). */
typedef struct {
  uint32_t seen;            /* newest version of its group key seen in the clear */
  uint32_t lost_block : 24; /* the last lost key-assignment block, 0: none */
  uint32_t flags : 8;
  uint32_t got_block : 24; /* the last one received, 0: none */
  uint32_t tries : 8;      /* requests in a row unanswered, or answered in vain */
} RecState;
G_STATIC_ASSERT(sizeof(RecState) == 12);

struct UeRecovery {
  RecState *ue;
  uint32_t capacity;
  uint64_t abandoned;
};

UeRecovery *ue_recovery_new(uint32_t ue_capacity) {
  UeRecovery *rec = g_new0(UeRecovery, 1);
  rec->ue = g_new0(RecState, ue_capacity ? ue_capacity : 1);
  rec->capacity = ue_capacity;
  return rec;
}

void ue_recovery_free(UeRecovery *rec) {
  if (!rec)
    return;
  g_free(rec->ue);
  g_free(rec);
}

static RecState *st(UeRecovery *rec, uint32_t ue) {
  g_assert(ue < rec->capacity);
  return &rec->ue[ue];
}

static void arm(Net *net, RecState *s, uint32_t ue, double delay) {
  if (s->flags & REC_TIMER)
    return;
  s->flags |= REC_TIMER;
  net_set_timer(net, (NetElement){NET_UE, ue}, delay, UE_TIMER_RECOVERY);
}

void ue_recovery_block(Net *net, UeRecovery *rec, uint32_t ue, uint32_t block, bool lost) {
  RecState *s = st(rec, ue);
  if (!lost) {
    if (block != 0 && block == s->lost_block)
      s->lost_block = 0; /* a repetition of the block it lost */
    s->got_block = block;
    return;
  }
  if (block != 0 && block == s->got_block)
    return; /* a repetition of the block it just received */
  /* only the last lost block can be made good by a repetition: an earlier
   * one, or a discarded dedicated frame, needs a request */
  if (block == 0 || (s->lost_block != 0 && s->lost_block != block))
    s->flags |= REC_MISSED;
  if (block == 0)
    s->flags |= REC_DCH;
  if (block != 0)
    s->lost_block = block;
  arm(net, s, ue, net->cfg.loss.timeout);
}

void ue_recovery_waiting(Net *net, UeRecovery *rec, uint32_t ue) {
  arm(net, st(rec, ue), ue, net->cfg.loss.timeout);
}

void ue_recovery_seen(Net *net, UeRecovery *rec, uint32_t ue, KtKeyRef group) {
  RecState *s = st(rec, ue);
  if (group.version > s->seen)
    s->seen = group.version;
  arm(net, s, ue, net->cfg.loss.timeout);
}

void ue_recovery_reset(UeRecovery *rec, uint32_t ue) {
  RecState *s = st(rec, ue);
  uint32_t timer = s->flags & REC_TIMER; /* a timer set stays set */
  *s = (RecState){0};
  s->flags = timer;
}

void ue_recovery_superseded(UeRecovery *rec, uint32_t ue) {
  RecState *s = st(rec, ue);
  if (s->flags & REC_DCH)
    return;
  s->lost_block = 0;
  s->flags &= ~(uint32_t)REC_MISSED;
}

void ue_recovery_answered(UeRecovery *rec, uint32_t ue, bool still_waiting) {
  RecState *s = st(rec, ue);
  s->flags &= ~(uint32_t)REC_AWAITING;
  if (!still_waiting)
    s->tries = 0;
}

bool ue_recovery_due(Net *net, UeRecovery *rec, uint32_t ue, bool member, KtKeyRef held,
                     bool waiting) {
  RecState *s = st(rec, ue);
  s->flags &= ~(uint32_t)REC_TIMER;
  if (!member) { /* a departed UE asks for nothing */
    *s = (RecState){0};
    return false;
  }
  bool newer = s->seen > held.version;
  bool missing = (s->flags & (REC_MISSED | REC_AWAITING)) || s->lost_block != 0 || waiting || newer;
  if (!missing)
    return false;
  if (s->tries >= RECOVERY_MAX_TRIES) {
    rec->abandoned++;
    *s = (RecState){0};
    return false;
  }
  s->tries++;
  s->flags = REC_AWAITING;
  s->lost_block = 0;
  arm(net, s, ue, net->cfg.loss.retry);
  return true;
}

uint64_t ue_recovery_abandoned(const UeRecovery *rec) {
  return rec ? rec->abandoned : 0;
}
