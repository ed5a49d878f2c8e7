// delay_queue.hpp — where packets wait for their departure time inside lh-emu.
//
// Two shapes, picked once per direction from the profile (sch_netem's idea: a FIFO fast path, a
// tree only when jitter makes departures non-monotonic):
//  - DelayRing: a power-of-two FIFO of (packet, departure TSC) for order-preserving profiles, where
//    departures never decrease, so the head is always the next packet due. O(1).
//  - DelayHeap: a binary min-heap on (departure, sequence) for reordering profiles; the sequence
//    number makes equal departures leave in arrival order. O(log n).
// Both are preallocated at setup to the direction's mbuf count and never allocate afterwards.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace lh::emu {

struct Queued {
  void* pkt = nullptr;        // struct rte_mbuf*
  uint64_t depart_tsc = 0;    // intended departure
  uint64_t arrival_tsc = 0;   // the RX burst's timestamp
  uint64_t seq = 0;           // arrival order (heap tie-break)
  uint32_t len = 0;           // frame bytes (read before TX: the PMD may free the mbuf at once)
};

class DelayRing {
 public:
  explicit DelayRing(uint64_t min_capacity)
      : slots_(std::bit_ceil(min_capacity < 2 ? uint64_t{2} : min_capacity)), mask_(slots_.size() - 1) {}

  bool push(const Queued& q) noexcept {
    if (tail_ - head_ == slots_.size()) return false;
    slots_[tail_++ & mask_] = q;
    return true;
  }
  bool empty() const noexcept { return head_ == tail_; }
  uint64_t size() const noexcept { return tail_ - head_; }
  const Queued& top() const noexcept { return slots_[head_ & mask_]; }
  void pop() noexcept { ++head_; }

 private:
  std::vector<Queued> slots_;
  uint64_t mask_;
  uint64_t head_ = 0, tail_ = 0;
};

class DelayHeap {
 public:
  explicit DelayHeap(uint64_t capacity) : heap_(capacity < 1 ? 1 : capacity) {}

  bool push(const Queued& q) noexcept {
    if (size_ == heap_.size()) return false;
    uint64_t i = size_++;
    while (i > 0) {
      const uint64_t parent = (i - 1) / 2;
      if (!before(q, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = q;
    return true;
  }
  bool empty() const noexcept { return size_ == 0; }
  uint64_t size() const noexcept { return size_; }
  const Queued& top() const noexcept { return heap_[0]; }
  void pop() noexcept {
    const Queued last = heap_[--size_];
    uint64_t i = 0;
    for (;;) {
      uint64_t child = 2 * i + 1;
      if (child >= size_) break;
      if (child + 1 < size_ && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], last)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    if (size_ > 0) heap_[i] = last;
  }

 private:
  static bool before(const Queued& a, const Queued& b) noexcept {
    return a.depart_tsc != b.depart_tsc ? a.depart_tsc < b.depart_tsc : a.seq < b.seq;
  }
  std::vector<Queued> heap_;
  uint64_t size_ = 0;
};

}  // namespace lh::emu
