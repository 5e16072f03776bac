/* unwrap_share.c — see unwrap_share.h. */
#include "nodes/unwrap_share.h"

#include <glib.h>
#include <string.h>

typedef struct {
  bool used;
  int rc; /* kt_unwrap's answer */
  KtWrap wrap;
  KtKey under;
  KtKey out; /* valid when rc == 0 */
} Slot;

/* wraps are compared with memcmp: no padding in them */
G_STATIC_ASSERT(sizeof(KtWrap) == 2 * sizeof(KtKeyRef) + KT_NONCEBYTES + KT_CTBYTES);

struct UnwrapShare {
  Slot slot[UNWRAP_SHARE_SLOTS];
  uint64_t hits;
};

UnwrapShare *unwrap_share_new(void) {
  return g_new0(UnwrapShare, 1);
}

static void slot_wipe(Slot *sl) {
  kt_key_wipe(&sl->under);
  kt_key_wipe(&sl->out);
  sl->used = false;
}

void unwrap_share_free(UnwrapShare *s) {
  if (!s)
    return;
  for (guint i = 0; i < UNWRAP_SHARE_SLOTS; i++)
    slot_wipe(&s->slot[i]);
  g_free(s);
}

static guint slot_of(const KtWrap *wrap, const KtKey *under) {
  uint64_t a, b;
  memcpy(&a, wrap->nonce, sizeof a);
  memcpy(&b, under->bytes, sizeof b);
  uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
  return (guint)(h >> 56) % UNWRAP_SHARE_SLOTS;
}

static bool same_key(const KtKey *a, const KtKey *b) {
  return kt_ref_equal(a->ref, b->ref) && memcmp(a->bytes, b->bytes, KT_KEYBYTES) == 0;
}

int unwrap_share_open(UnwrapShare *s, KtKey *out, const KtWrap *wrap, const KtKey *under) {
  Slot *sl = &s->slot[slot_of(wrap, under)];
  if (sl->used && same_key(&sl->under, under) && memcmp(&sl->wrap, wrap, sizeof *wrap) == 0) {
    s->hits++;
    if (sl->rc == 0)
      *out = sl->out;
    return sl->rc;
  }
  slot_wipe(sl);
  sl->rc = kt_unwrap(&sl->out, wrap, under);
  sl->wrap = *wrap;
  sl->under = *under;
  sl->used = true;
  if (sl->rc == 0)
    *out = sl->out;
  return sl->rc;
}

void unwrap_share_note_repeats(UnwrapShare *s, uint64_t n) {
  s->hits += n;
}

uint64_t unwrap_share_hits(const UnwrapShare *s) {
  return s ? s->hits : 0;
}
