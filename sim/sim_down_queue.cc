/* sim_down_queue.cc — see sim_down_queue.h. */
#include "sim/sim_down_queue.h"

#include <cstdlib>
#include <cstring>

namespace simint {

static_assert(sizeof(DownFrame) == 192, "a frame's slot is three cache lines");

DownQueue::~DownQueue() {
  Clear();
  std::free(m_spare);
}

DownQueue::Block *DownQueue::NewBlock() {
  Block *b = m_spare;
  m_spare = nullptr;
  if (b == nullptr) {
    b = static_cast<Block *>(std::malloc(sizeof(Block)));
    SIM_CHECK(b != nullptr, "out of memory queueing downlink frames");
  }
  b->next = nullptr;
  return b;
}

const DownFrame &DownQueue::At(size_t i) const {
  SIM_CHECK(i < m_size, "frame %zu of a downlink queue of %zu", i, m_size);
  const Block *b = m_head;
  size_t at = m_headAt + i;
  while (at >= kPerBlock) {
    b = b->next;
    at -= kPerBlock;
  }
  return b->slots[at];
}

DownFrame &DownQueue::Push(const OrderKey &key, const uint8_t *bytes, uint32_t len) {
  SIM_CHECK(bytes != nullptr || len == 0, "null bytes");
  if (m_tail == nullptr) {
    m_head = m_tail = NewBlock();
    m_headAt = m_tailAt = 0;
  } else if (m_tailAt == kPerBlock) {
    m_tail->next = NewBlock();
    m_tail = m_tail->next;
    m_tailAt = 0;
  }
  DownFrame &f = m_tail->slots[m_tailAt++];
  f.key = key;
  f.len = len;
  f.attempt = 0;
  f.no = DchSeqNo{0, 0};
  f.protocol = 0;
  f.numbered = false;
  f.heap = nullptr;
  uint8_t *to = f.inline_bytes;
  if (len > DownFrame::kInline) {
    f.heap = static_cast<uint8_t *>(std::malloc(len));
    SIM_CHECK(f.heap != nullptr, "out of memory queueing a %u-byte frame", len);
    to = f.heap;
  }
  if (len > 0)
    std::memcpy(to, bytes, len);
  m_size++;
  return f;
}

void DownQueue::Pop() {
  SIM_CHECK(m_size > 0, "pop from an empty downlink queue");
  DownFrame &f = m_head->slots[m_headAt++];
  std::free(f.heap);
  m_size--;
  if (m_headAt < kPerBlock && m_size > 0)
    return;
  /* the front block is drained (or the queue is empty: it restarts at the
   * start of its block) */
  Block *drained = m_head;
  m_head = m_size > 0 ? drained->next : nullptr;
  m_headAt = 0;
  if (m_head == nullptr)
    m_tail = nullptr;
  if (m_spare == nullptr)
    m_spare = drained;
  else
    std::free(drained);
}

void DownQueue::Clear() {
  while (m_size > 0)
    Pop();
}

} // namespace simint
