/* sim_huge_pool.h — objects of one size, carved from chunks the kernel is
 * asked to back with transparent huge pages. C++ only, internal to sim/.
 *
 * Why: a UE's radio device is one of a million ns-3 objects spread over
 * malloc's 4 KiB pages; a downlink arrival reads it (sim_radio.cc), and at
 * that size each read missed the TLB, whose page walk a software prefetch
 * on a virtual machine waits for. In 2 MiB pages a few dozen TLB entries
 * cover them all. Chunks are never given back (a process runs one network
 * after another of about the same size); a released object is handed out
 * again first. Where the kernel gives no huge pages, ordinary pages.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace simint {

class HugePool {
public:
  /* Objects of at most `size` bytes. */
  explicit HugePool(size_t size);
  HugePool(const HugePool &) = delete;
  HugePool &operator=(const HugePool &) = delete;

  /* An object's memory (16-aligned, contents undefined); aborts when the
   * system has none. */
  void *Take();
  /* Hands back memory from Take(). */
  void Give(void *p);
  /* Bytes taken from the system so far. */
  size_t Reserved() const {
    return m_reserved;
  }

private:
  void AddChunk();

  struct Free {
    Free *next;
  };
  size_t m_size;
  Free *m_free = nullptr;
  char *m_next = nullptr, *m_end = nullptr; /* the current chunk's unused part */
  size_t m_reserved = 0;
};

} // namespace simint
