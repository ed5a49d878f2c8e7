// rate_stage.hpp — the bottleneck as a virtual FIFO server: serialization at the bottleneck rate.
//
// A packet occupies the link for (wire bytes + overhead) · 8 / rate seconds, starting when it arrives
// or when the previous packet finishes, whichever is later. The instant the link frees up is kept as
// whole ns plus a remainder `rem_` in units of 1/rate ns (0 ≤ rem_ < rate), so service times add up
// exactly: after N back-to-back packets of B bits the link is busy for exactly N·B·1e9/rate ns (the
// integer-time lesson of DPDK rte_sched: no drift, no accumulated rounding). Reported finish times
// are floor(exact finish). The division per packet is skipped while the packet size repeats.
// Rate 0 = unlimited: a packet finishes the instant it arrives.
#pragma once

#include <cstdint>

#include "src/units.hpp"

namespace lh::emu {

class RateStage {
 public:
  RateStage() = default;
  RateStage(BitsPerSecond rate, Bytes overhead) noexcept : rate_(rate.bps), overhead_(overhead.n) {}

  // Serves a packet arriving at `arrival_ns`; returns the whole ns in which its last bit leaves.
  int64_t serve(int64_t arrival_ns, uint32_t wire_bytes) noexcept {
    if (rate_ == 0) return arrival_ns;
    if (arrival_ns > busy_ns_) {  // idle: busy_ns_ + rem_/rate < busy_ns_ + 1 ≤ arrival
      busy_ns_ = arrival_ns;
      rem_ = 0;
    }
    const uint64_t bits = (wire_bytes + overhead_) * 8u;
    if (bits != cached_bits_) [[unlikely]] cache(bits);
    busy_ns_ += cached_q_;
    rem_ += cached_r_;
    if (rem_ >= rate_) {
      rem_ -= rate_;
      ++busy_ns_;
    }
    return busy_ns_;
  }

  // Work not yet served at `now`, in units of ns·(bit/s) (= 1e-9 bit): exact, no division.
  unsigned __int128 backlog_scaled(int64_t now_ns) const noexcept {
    if (rate_ == 0) return 0;
    if (busy_ns_ < now_ns || (busy_ns_ == now_ns && rem_ == 0)) return 0;
    return static_cast<unsigned __int128>(busy_ns_ - now_ns) * rate_ + rem_;
  }
  // Backlog at `now` as bytes (floor) and as time (ceil ns).
  double backlog_bytes_approx(int64_t now_ns) const noexcept {
    return static_cast<double>(backlog_scaled(now_ns)) * (1.0 / 8e9);
  }
  int64_t backlog_ns(int64_t now_ns) const noexcept {
    if (rate_ == 0 || busy_ns_ < now_ns) return 0;
    return busy_ns_ - now_ns + (rem_ > 0 ? 1 : 0);
  }
  // Service time of a frame in the same scaled units as backlog_scaled().
  unsigned __int128 service_scaled(uint32_t wire_bytes) const noexcept {
    return static_cast<unsigned __int128>((wire_bytes + overhead_) * 8u) * 1'000'000'000u;
  }

  // A rate change (schedule, trace): the link stays busy until the current finish, rounded up to a
  // whole ns (the remainder's unit changes with the rate).
  void set_rate(BitsPerSecond rate) noexcept {
    if (rate.bps == rate_) return;
    round_up();
    rate_ = rate.bps;
    cached_bits_ = 0;
  }
  // Live config swap: continue the previous link's busy period.
  void take_over(const RateStage& prev) noexcept {
    busy_ns_ = prev.busy_ns_;
    rem_ = prev.rem_;
    if (prev.rate_ != rate_) round_up();
  }
  // The link is busy at least until `t` (after a swap from a delivery-trace bottleneck).
  void hold_until(int64_t t) noexcept {
    if (t > busy_ns_) {
      busy_ns_ = t;
      rem_ = 0;
    }
  }

  uint64_t rate() const noexcept { return rate_; }
  uint64_t overhead() const noexcept { return overhead_; }
  int64_t busy_until() const noexcept { return busy_ns_; }   // floor of the exact free instant
  uint64_t remainder() const noexcept { return rem_; }

 private:
  void cache(uint64_t bits) noexcept {
    const uint64_t num = bits * 1'000'000'000u;   // < 2^64 for any frame up to 2 GB
    cached_bits_ = bits;
    cached_q_ = static_cast<int64_t>(num / rate_);
    cached_r_ = num % rate_;
  }
  void round_up() noexcept {
    if (rem_ > 0) {
      ++busy_ns_;
      rem_ = 0;
    }
  }

  uint64_t rate_ = 0;       // bit/s; 0 = unlimited
  uint64_t overhead_ = 24;  // bytes added to each frame
  int64_t busy_ns_ = INT64_MIN / 2;  // the link is free from busy_ns_ + rem_/rate_
  uint64_t rem_ = 0;
  uint64_t cached_bits_ = 0;
  int64_t cached_q_ = 0;
  uint64_t cached_r_ = 0;
};

}  // namespace lh::emu
