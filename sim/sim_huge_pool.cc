/* sim_huge_pool.cc — see sim_huge_pool.h. */
#include "sim/sim_huge_pool.h"

#include "sim/sim_internal.h"

#include <sys/mman.h>

#include <algorithm>

namespace simint {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kFirstChunk = kHugePage;       /* a small network stays small */
constexpr size_t kLastChunk = size_t{64} << 20; /* chunks double up to this */
} // namespace

HugePool::HugePool(size_t size) : m_size((std::max(size, sizeof(Free)) + 15) & ~size_t{15}) {
  SIM_CHECK(m_size <= kFirstChunk, "pool objects of %zu bytes", size);
}

/* A new chunk, as large as all before it (from kFirstChunk to kLastChunk),
 * aligned to a huge page so that all of it can be backed by huge pages. */
void HugePool::AddChunk() {
  size_t len = m_reserved == 0 ? kFirstChunk : std::min(m_reserved, kLastChunk);
  size_t mapped = len + kHugePage;
  void *base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SIM_CHECK(base != MAP_FAILED, "out of memory mapping %zu bytes", mapped);
  uintptr_t start = (reinterpret_cast<uintptr_t>(base) + kHugePage - 1) & ~(kHugePage - 1);
  (void)madvise(reinterpret_cast<void *>(start), len, MADV_HUGEPAGE); /* a hint only */
  m_reserved += len;
  m_next = reinterpret_cast<char *>(start);
  m_end = m_next + len;
}

void *HugePool::Take() {
  if (m_free != nullptr) {
    Free *f = m_free;
    m_free = f->next;
    return f;
  }
  if (static_cast<size_t>(m_end - m_next) < m_size)
    AddChunk(); /* (the old chunk's tail, under one object, is left unused) */
  void *p = m_next;
  m_next += m_size;
  return p;
}

void HugePool::Give(void *p) {
  if (p == nullptr)
    return;
  Free *f = static_cast<Free *>(p);
  f->next = m_free;
  m_free = f;
}

} // namespace simint
