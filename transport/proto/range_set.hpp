// range_set.hpp — a fixed-capacity set of disjoint half-open uint64 intervals [lo, hi).
//
// Used for received packet numbers (SACK generation) and for per-operation byte coverage at the
// target. No allocation: capacity is a template parameter. Invariant: ranges_[0..size_) are sorted,
// disjoint and non-adjacent (touching intervals are merged). Insertion is O(size) by shifting, which
// is cheap because real traffic keeps the set small (holes ≈ loss rate × packets per RTT).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace lh::xport {

struct Interval {
  uint64_t lo = 0, hi = 0;  // [lo, hi)
};

template <size_t N>
class RangeSet {
 public:
  static constexpr size_t kCapacity = N;

  // Adds [lo, hi). Returns the number of values newly covered, or -1 (set unchanged) if the new
  // interval would need a slot and the set is full.
  int64_t insert(uint64_t lo, uint64_t hi) {
    if (lo >= hi) return 0;
    // First range whose hi >= lo (could touch or overlap). New values are almost always at or near
    // the highest range (packet numbers, in-order fragments): check the top first, else binary search
    // (a retransmission fills an old hole deep in a large set).
    size_t i = size_;
    if (i > 0 && ranges_[i - 1].hi >= lo) {
      i = static_cast<size_t>(std::partition_point(ranges_.begin(), ranges_.begin() + static_cast<std::ptrdiff_t>(size_),
                                                   [lo](const Interval& r) { return r.hi < lo; }) -
                              ranges_.begin());
    }
    if (i == size_ || ranges_[i].lo > hi) {  // disjoint: needs a new slot at i
      if (size_ == N) return -1;
      for (size_t k = size_; k > i; --k) ranges_[k] = ranges_[k - 1];
      ranges_[i] = {lo, hi};
      ++size_;
      return static_cast<int64_t>(hi - lo);
    }
    // Merge [lo, hi) with ranges i..j-1 that it touches.
    uint64_t covered_before = 0;
    size_t j = i;
    uint64_t new_lo = lo < ranges_[i].lo ? lo : ranges_[i].lo;
    uint64_t new_hi = hi;
    while (j < size_ && ranges_[j].lo <= hi) {
      covered_before += overlap(ranges_[j], lo, hi);
      if (ranges_[j].hi > new_hi) new_hi = ranges_[j].hi;
      ++j;
    }
    ranges_[i] = {new_lo, new_hi};
    const size_t removed = j - i - 1;
    for (size_t k = i + 1; k + removed < size_; ++k) ranges_[k] = ranges_[k + removed];
    size_ -= removed;
    return static_cast<int64_t>((hi - lo) - covered_before);
  }

  // Inserts, evicting the lowest interval when full (for packet-number tracking, where the oldest
  // information matters least). Returns values newly covered.
  uint64_t insert_evicting(uint64_t lo, uint64_t hi) {
    int64_t r = insert(lo, hi);
    while (r < 0) {
      erase_front();
      r = insert(lo, hi);
    }
    return static_cast<uint64_t>(r);
  }

  bool contains(uint64_t v) const {
    for (size_t i = size_; i > 0; --i) {
      if (v >= ranges_[i - 1].hi) return false;
      if (v >= ranges_[i - 1].lo) return true;
    }
    return false;
  }

  // True if [lo, hi) is entirely covered.
  bool covers(uint64_t lo, uint64_t hi) const {
    for (size_t i = 0; i < size_; ++i)
      if (ranges_[i].lo <= lo && hi <= ranges_[i].hi) return true;
    return false;
  }

  void erase_front() {
    for (size_t k = 1; k < size_; ++k) ranges_[k - 1] = ranges_[k];
    if (size_ > 0) --size_;
  }
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }
  const Interval& operator[](size_t i) const { return ranges_[i]; }
  const Interval& back() const { return ranges_[size_ - 1]; }

 private:
  static uint64_t overlap(const Interval& r, uint64_t lo, uint64_t hi) {
    const uint64_t a = r.lo > lo ? r.lo : lo;
    const uint64_t b = r.hi < hi ? r.hi : hi;
    return b > a ? b - a : 0;
  }

  std::array<Interval, N> ranges_{};
  size_t size_ = 0;
};

}  // namespace lh::xport
