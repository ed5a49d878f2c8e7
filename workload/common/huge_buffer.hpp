// huge_buffer.hpp — a large, uninitialised byte buffer backed by transparent huge pages where allowed.
//
// lh-xfer's source slots and the server's target region are hundreds of MiB that every byte of a
// transfer passes through (pattern, XXH3, copies, verification). With 4 KiB pages each pass takes a
// TLB miss per page — costly under a hypervisor (two-level page walks) and for the pattern's one
// store per 4 KiB block. The buffer is aligned to 2 MiB and advised MADV_HUGEPAGE (THP "madvise"
// mode); where THP is off the advice is ignored and it behaves like plain memory. Pages fault in
// (zeroed by the kernel) on first write, or all at once with populate().
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace lh::workload {

class HugeBuffer {
 public:
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugeBuffer() = default;
  explicit HugeBuffer(size_t bytes) { reset(bytes); }
  ~HugeBuffer() { std::free(data_); }
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;

  // Replaces the buffer with an uninitialised one of `bytes` bytes. Throws std::bad_alloc.
  void reset(size_t bytes) {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
    if (bytes == 0) return;
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    data_ = static_cast<uint8_t*>(std::aligned_alloc(kHugePage, rounded));
    if (data_ == nullptr) throw std::bad_alloc();
    (void)madvise(data_, rounded, MADV_HUGEPAGE);  // advice only: failure leaves normal pages
    size_ = bytes;
  }
  // Faults every page in now (zeroed), like an RDMA memory registration pins its pages, so the
  // first writes into the buffer do not pay for page faults and clearing. MADV_POPULATE_WRITE
  // (Linux 5.14) where available, else one store per 4 KiB page.
  void populate() {
    if (size_ == 0) return;
#ifdef MADV_POPULATE_WRITE
    if (madvise(data_, size_, MADV_POPULATE_WRITE) == 0) return;
#endif
    for (size_t off = 0; off < size_; off += 4096) data_[off] = 0;
  }
  uint8_t* get() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace lh::workload
