/* sim_down_queue.h — the downlink frames of one RAN that are on their way,
 * in the order they arrive. C++ only, internal to sim/: sim_radio.cc is its
 * one user.
 *
 * Why: a unicast rekey of a large group puts one dedicated-channel frame
 * per member in flight at once (125 000 at 1 M members in embodiment 2).
 * Held as ns-3 objects (an event, a Packet, its buffer: ~350 B in four
 * heap blocks each) they are long cold by the time they arrive, and every
 * arrival missed the cache on each block. Here a frame is one 192-byte
 * slot of a FIFO, its bytes inline (a longer frame's bytes are in one heap
 * block of its own), written and read in order; its ns-3 Packet is made
 * when it arrives (sim_radio.cc).
 *
 * Each frame keeps the place in ns-3's order its arrival event would have
 * had (OrderKey); the queue holds only frames whose keys increase, so the
 * front is the one due first.
 */
#pragma once

#include "sim/sim_dch_seq.h"
#include "sim/sim_internal.h"

#include <cstddef>
#include <cstdint>

namespace simint {

struct DownFrame {
  static constexpr uint32_t kInline = 144; /* bytes kept in the slot */
  OrderKey key;                            /* key.context: the UE's node */
  uint32_t len;
  uint32_t attempt; /* 0: first transmission; k: k-th retransmission */
  DchSeqNo no;      /* its place in sequence, if numbered */
  uint16_t protocol;
  bool numbered;
  uint8_t *heap; /* the bytes when len > kInline, else null */
  uint8_t inline_bytes[kInline];

  const uint8_t *Bytes() const {
    return heap != nullptr ? heap : inline_bytes;
  }
};

/* A FIFO of DownFrames in blocks of 64 KiB: memory follows what is in
 * flight (a drained block is freed, one spare kept), and a frame is never
 * moved once queued. */
class DownQueue {
public:
  DownQueue() = default;
  DownQueue(const DownQueue &) = delete;
  DownQueue &operator=(const DownQueue &) = delete;
  ~DownQueue();

  bool Empty() const {
    return m_size == 0;
  }
  size_t Size() const {
    return m_size;
  }
  /* The i-th frame from the front (i < Size()); a walk of i / 340 blocks. */
  const DownFrame &At(size_t i) const;
  const DownFrame &Front() const {
    return m_head->slots[m_headAt];
  }
  const DownFrame &Back() const {
    return m_tail->slots[m_tailAt - 1];
  }
  /* Appends a frame with a copy of `bytes`; the caller fills in the
   * remaining fields of the returned slot. */
  DownFrame &Push(const OrderKey &key, const uint8_t *bytes, uint32_t len);
  /* Drops the front frame. */
  void Pop();
  void Clear();

  static constexpr size_t kPerBlock = 340; /* 340 * 192 B + the link: 64 KiB */

private:
  struct Block {
    Block *next;
    DownFrame slots[kPerBlock];
  };
  Block *NewBlock();

  Block *m_head = nullptr, *m_tail = nullptr;
  size_t m_headAt = 0; /* the front's slot in m_head */
  size_t m_tailAt = 0; /* the slot after the back's in m_tail */
  size_t m_size = 0;
  Block *m_spare = nullptr; /* one drained block kept for the next */
};

} // namespace simint
