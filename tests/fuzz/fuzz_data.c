/* fuzz_data.c — libFuzzer harness of the data-packet decoder
 * (msg_decode_data, nodes/msg.c).
 *
 * Checked on every input: a refusal comes with a reason; an accepted packet
 * re-encodes to exactly the same bytes (the header's seq must equal the
 * body's packet number and the length field must match the body, so no byte
 * is canonicalised), and decoding those bytes again gives the same packet;
 * a control-message decoder refuses it. */
#include <stdint.h>
#include <string.h>

#include "nodes/msg.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  KtData d;
  const char *why = NULL;
  if (!msg_decode_data(&d, data, size, &why)) {
    FUZZ_CHECK(why && *why, "refused without a reason");
    return 0;
  }
  FUZZ_CHECK(why == NULL, "accepted with a reason: %s", why);
  FUZZ_CHECK(msg_is_data(data, size), "decoded as data, msg_is_data says no");
  FUZZ_CHECK(d.len <= KT_DATA_MAX_PAYLOAD, "payload of %u bytes", d.len);
  FUZZ_CHECK(size == MSG_DATA_OVERHEAD_BYTES + d.len && size <= MSG_DATA_MAX_BYTES,
             "%zu bytes for a payload of %u", size, d.len);
  static uint8_t out[MSG_DATA_MAX_BYTES];
  FUZZ_CHECK(msg_encode_data(&d, out, size - 1) == 0, "encoded into a buffer one byte short");
  size_t n = msg_encode_data(&d, out, sizeof out);
  FUZZ_CHECK(n == size, "re-encoded to %zu bytes, input %zu", n, size);
  FUZZ_CHECK(memcmp(out, data, size) == 0, "re-encoded bytes differ from the input");
  KtData again;
  FUZZ_CHECK(msg_decode_data(&again, out, n, &why), "re-encoded bytes refused: %s", why);
  FUZZ_CHECK(again.key.id == d.key.id && again.key.version == d.key.version &&
                 again.packet == d.packet && again.len == d.len &&
                 memcmp(again.nonce, d.nonce, KT_NONCEBYTES) == 0 &&
                 memcmp(again.ct, d.ct, (size_t)d.len + KT_TAGBYTES) == 0,
             "second decode differs");
  Msg m;
  FUZZ_CHECK(!msg_decode(&m, data, size, &why), "a data packet decoded as a control message");
  return 0;
}
