/* fuzz_msg.c — libFuzzer harness of the control-message decoder
 * (msg_decode, nodes/msg.c).
 *
 * Checked on every input: a refusal comes with a reason; an accepted input
 * re-encodes to exactly the same bytes (msg.h: the decoder accepts exactly
 * the byte strings msg_encode() can write, so no byte is canonicalised),
 * and decoding those bytes again gives the same message. */
#include <stdint.h>
#include <string.h>

#include "nodes/msg.h"
#include "tests/fuzz/fuzz_common.h"

static void check_same(const Msg *a, const Msg *b) {
  FUZZ_CHECK(a->type == b->type && a->seq == b->seq && a->ue == b->ue && a->cell == b->cell &&
                 a->scope == b->scope && a->mode == b->mode && a->n_wraps == b->n_wraps,
             "second decode differs");
  for (unsigned i = 0; i < a->n_wraps; i++) {
    const KtWrap *x = &a->wraps[i], *y = &b->wraps[i];
    FUZZ_CHECK(x->key.id == y->key.id && x->key.version == y->key.version &&
                   x->under.id == y->under.id && x->under.version == y->under.version &&
                   memcmp(x->nonce, y->nonce, KT_NONCEBYTES) == 0 &&
                   memcmp(x->ct, y->ct, KT_CTBYTES) == 0,
               "wrap %u differs on the second decode", i);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Msg m;
  const char *why = NULL;
  if (!msg_decode(&m, data, size, &why)) {
    FUZZ_CHECK(why && *why, "refused without a reason");
    return 0;
  }
  FUZZ_CHECK(why == NULL, "accepted with a reason: %s", why);
  FUZZ_CHECK(!msg_is_data(data, size), "a data packet decoded as a control message");
  FUZZ_CHECK(m.n_wraps <= MSG_MAX_WRAPS, "%u wraps", m.n_wraps);
  FUZZ_CHECK(msg_encoded_size(&m) == size, "encoded size %zu, input %zu", msg_encoded_size(&m),
             size);
  FUZZ_CHECK(size <= MSG_MAX_BYTES, "%zu bytes accepted, more than MSG_MAX_BYTES", size);
  uint8_t out[MSG_MAX_BYTES];
  FUZZ_CHECK(msg_encode(&m, out, size - 1) == 0, "encoded into a buffer one byte short");
  size_t n = msg_encode(&m, out, sizeof out);
  FUZZ_CHECK(n == size, "re-encoded to %zu bytes, input %zu", n, size);
  FUZZ_CHECK(memcmp(out, data, size) == 0, "re-encoded bytes differ from the input");
  Msg again;
  FUZZ_CHECK(msg_decode(&again, out, n, &why), "re-encoded bytes refused: %s", why);
  check_same(&m, &again);
  KtData d;
  FUZZ_CHECK(!msg_decode_data(&d, data, size, &why), "a control message decoded as data");
  return 0;
}
