/* ue_nas.c — see ue_nas.h. */
#include "nodes/ue_nas.h"

typedef struct {
  uint32_t seq;
  uint16_t gen; /* of the timer armed last: older ones are stale */
  uint8_t proc; /* UeNasProc */
  uint8_t sent; /* retransmissions so far */
} NasState;

struct UeNas {
  GHashTable *proc; /* ue -> NasState*, only UEs with a procedure in flight */
  uint16_t next_gen;
  uint64_t retransmissions, aborted;
};

UeNas *ue_nas_new(void) {
  UeNas *nas = g_new0(UeNas, 1);
  nas->proc = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  return nas;
}

void ue_nas_free(UeNas *nas) {
  if (!nas)
    return;
  g_hash_table_destroy(nas->proc);
  g_free(nas);
}

static void arm(Net *net, UeNas *nas, uint32_t ue, NasState *s) {
  s->gen = nas->next_gen++;
  double t = s->proc == UE_NAS_JOIN ? net->cfg.loss.t3380 : net->cfg.loss.t3390;
  net_set_timer(net, (NetElement){NET_UE, ue}, t, UE_TIMER_NAS | (uint32_t)s->gen << 8);
}

void ue_nas_start(Net *net, UeNas *nas, uint32_t ue, UeNasProc proc, uint32_t seq) {
  NasState *s = g_hash_table_lookup(nas->proc, GUINT_TO_POINTER(ue));
  if (!s) {
    s = g_new0(NasState, 1);
    g_hash_table_insert(nas->proc, GUINT_TO_POINTER(ue), s);
  }
  *s = (NasState){.seq = seq, .proc = (uint8_t)proc};
  arm(net, nas, ue, s);
}

void ue_nas_done(UeNas *nas, uint32_t ue, UeNasProc proc) {
  NasState *s = g_hash_table_lookup(nas->proc, GUINT_TO_POINTER(ue));
  if (s && s->proc == proc)
    g_hash_table_remove(nas->proc, GUINT_TO_POINTER(ue));
}

UeNasDue ue_nas_due(Net *net, UeNas *nas, uint32_t ue, uint32_t timer, UeNasProc *proc,
                    uint32_t *seq) {
  NasState *s = g_hash_table_lookup(nas->proc, GUINT_TO_POINTER(ue));
  if (!s || s->gen != (uint16_t)(timer >> 8))
    return UE_NAS_NOTHING;
  *proc = (UeNasProc)s->proc;
  *seq = s->seq;
  if (s->sent >= net->cfg.loss.nas_retx) {
    nas->aborted++;
    g_hash_table_remove(nas->proc, GUINT_TO_POINTER(ue));
    return UE_NAS_ABORT;
  }
  s->sent++;
  nas->retransmissions++;
  arm(net, nas, ue, s);
  return UE_NAS_RESEND;
}

uint64_t ue_nas_retransmissions(const UeNas *nas) {
  return nas ? nas->retransmissions : 0;
}

uint64_t ue_nas_aborted(const UeNas *nas) {
  return nas ? nas->aborted : 0;
}
