// delivery_stage.hpp — a Mahimahi packet-delivery trace as the bottleneck (replaces the rate stage).
//
// Mahimahi mm-link (Netravali et al., "Mahimahi: Accurate Record-and-Replay for HTTP", USENIX ATC
// 2015; src/packet/link_queue.cc): each trace line is a delivery opportunity for up to
// bytes_per_opportunity bytes; the trace repeats with its period. Packets are served FIFO, byte by
// byte: a packet takes what room is left in the current opportunity and continues in the next ones,
// and departs at the opportunity that carries its last byte. An opportunity that passes while the
// queue is empty is wasted. So a packet departs at the first opportunity with room at or after its
// arrival, behind every earlier packet. Sizes are wire bytes without the per-frame overhead (as
// Mahimahi counts IP datagrams).
#pragma once

#include <algorithm>
#include <cstdint>

#include "src/link_profile.hpp"

namespace lh::emu {

class DeliveryStage {
 public:
  DeliveryStage() = default;
  // `trace` must outlive this (owned by the config); times relative to `epoch_ns`.
  // Throws std::invalid_argument on an empty/unsorted trace or a period shorter than the trace.
  DeliveryStage(const DeliveryTrace* trace, int64_t epoch_ns);

  bool enabled() const noexcept { return opps_ != nullptr; }

  // Serves a packet of `bytes` arriving at `arrival_ns` (absolute); returns its departure.
  int64_t serve(int64_t arrival_ns, uint32_t bytes) noexcept {
    const int64_t t = std::max(arrival_ns, floor_ns_);
    if (current_ns_ < t) {
      seek(t);
      left_ = per_opp_;
    } else if (left_ == 0) {
      step();
      left_ = per_opp_;
    }
    uint64_t remaining = bytes;
    while (remaining > left_) {
      remaining -= left_;
      step();
      left_ = per_opp_;
    }
    left_ -= remaining;
    return current_ns_;
  }

  int64_t last_departure() const noexcept { return current_ns_; }
  // Live swap: continue behind the previous bottleneck's last departure.
  void hold_until(int64_t t) noexcept { floor_ns_ = std::max(floor_ns_, t); }
  void take_over(const DeliveryStage& prev) noexcept;
  // Mean delivery rate of the trace (bit/s), for reports.
  uint64_t mean_rate_bps() const noexcept;

 private:
  void seek(int64_t t) noexcept;   // to the first opportunity at or after t
  void step() noexcept {           // to the next opportunity
    if (++idx_ == count_) {
      idx_ = 0;
      base_ns_ += period_;
    }
    current_ns_ = base_ns_ + opps_[idx_].ns;
  }

  const Nanos* opps_ = nullptr;
  size_t count_ = 0;
  int64_t period_ = 0;
  uint64_t per_opp_ = 0;
  int64_t epoch_ns_ = 0;
  int64_t base_ns_ = 0;                 // absolute start of the current cycle
  size_t idx_ = 0;
  int64_t current_ns_ = INT64_MIN;      // absolute time of the current opportunity
  uint64_t left_ = 0;                   // room left in it
  int64_t floor_ns_ = INT64_MIN;
};

}  // namespace lh::emu
