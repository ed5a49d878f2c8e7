// queue_stage.cpp — the finish-time ring and RED (see queue_stage.hpp).
#include "emulator/model/queue_stage.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace lh::emu {

FinishRing::FinishRing(uint64_t min_capacity) {
  const uint64_t cap = std::bit_ceil(std::max<uint64_t>(min_capacity, 1));
  slots_.resize(cap);
  mask_ = cap - 1;
}

void FinishRing::count_at(int64_t now_ns, uint64_t& packets, uint64_t& bytes) const noexcept {
  // Finish times are non-decreasing from head to tail: find the first one still in the future.
  uint64_t lo = head_, hi = tail_;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (slots_[mid & mask_].finish_ns <= now_ns) lo = mid + 1;
    else hi = mid;
  }
  packets = tail_ - lo;
  bytes = 0;
  for (uint64_t i = lo; i < tail_; ++i) bytes += slots_[i & mask_].bytes;
}

void FinishRing::take_over(const FinishRing& prev) noexcept {
  head_ = tail_ = 0;
  bytes_ = 0;
  if (slots_.empty()) return;
  const uint64_t n = std::min(prev.tail_ - prev.head_, mask_ + 1);
  for (uint64_t i = prev.tail_ - n; i < prev.tail_; ++i) push(prev.slots_[i & prev.mask_].finish_ns,
                                                            prev.slots_[i & prev.mask_].bytes);
  untracked_ = prev.untracked_;
}

RedAqm::RedAqm(const RedConfig& cfg, Rng rng)
    : min_(static_cast<double>(cfg.min_threshold.n)),
      max_(static_cast<double>(cfg.max_threshold.n)),
      max_p_(cfg.max_p.value()),
      weight_(cfg.weight),
      inv_range_(cfg.max_threshold.n > cfg.min_threshold.n
                     ? 1.0 / static_cast<double>(cfg.max_threshold.n - cfg.min_threshold.n)
                     : 0.0),
      ecn_(cfg.ecn),
      rng_(rng) {}

AqmVerdict RedAqm::on_arrival(double backlog_bytes, int64_t idle_ns, double typical_tx_ns,
                              bool ect) noexcept {
  if (backlog_bytes <= 0.0 && idle_ns > 0 && avg_ > 0.0 && typical_tx_ns > 0.0) {
    // Floyd & Jacobson §4: while idle, decay as if m small packets had arrived to an empty queue.
    avg_ *= std::pow(1.0 - weight_, static_cast<double>(idle_ns) / typical_tx_ns);
  } else {
    avg_ += weight_ * (backlog_bytes - avg_);
  }
  const bool can_mark = ecn_ && ect;
  if (avg_ < min_) {
    count_ = -1;
    return AqmVerdict::kPass;
  }
  if (avg_ >= max_) {
    count_ = 0;
    return can_mark ? AqmVerdict::kMark : AqmVerdict::kForcedDrop;
  }
  ++count_;
  const double pb = max_p_ * (avg_ - min_) * inv_range_;
  const double denom = 1.0 - static_cast<double>(count_) * pb;
  const double pa = denom <= pb ? 1.0 : pb / denom;
  if (rng_.uniform() < pa) {
    count_ = 0;
    return can_mark ? AqmVerdict::kMark : AqmVerdict::kEarlyDrop;
  }
  return AqmVerdict::kPass;
}

}  // namespace lh::emu
