// rtt_estimator.hpp — smoothed RTT, RTT variance, minimum RTT and the probe timeout (RFC 9002 §5–6).
//
// The peer's ACK delay is subtracted from a sample when that keeps it above min_rtt. A sample below
// 5/8 of srtt is taken as a packet or ACK that overtook the others (netem-style reordering sends some
// with no propagation delay) and is ignored unless kConfirmations such samples arrive in a row (a real
// path change shows in every sample): one early ACK must not shrink srtt, min_rtt, the PTO or the loss
// time threshold. All lh::Nanos.
#pragma once

#include <algorithm>

#include "src/units.hpp"

namespace lh::xport {

class RttEstimator {
 public:
  explicit RttEstimator(Nanos initial_rtt) : srtt_(initial_rtt), rttvar_(initial_rtt / 2) {}

  // Returns false when the sample was rejected as a reordering outlier (not applied).
  bool on_sample(Nanos latest, Nanos ack_delay) {
    if (latest.ns <= 0) latest = Nanos{1};
    if (has_sample_ && latest * 8 < srtt_ * 5) {
      if (++low_run_ < kConfirmations) return false;  // the run, once confirmed, is taken as it goes on
    } else {
      low_run_ = 0;
    }
    latest_ = latest;
    if (!has_sample_) {
      has_sample_ = true;
      min_ = latest;
      max_recent_ = latest;
      srtt_ = latest;
      rttvar_ = latest / 2;
      return true;
    }
    min_ = std::min(min_, latest);
    // Slowly decaying maximum (1/64 of the excess per sample): keeps the loss time threshold above
    // the RTT most packets see even when a few percent of samples are short (netem-style reordering
    // that sends some packets with no delay would otherwise drag srtt down and fake losses).
    max_recent_ = latest >= max_recent_ ? latest : max_recent_ - (max_recent_ - latest) / 64;
    Nanos adjusted = latest;
    if (latest >= min_ + ack_delay) adjusted = latest - ack_delay;
    const Nanos diff = srtt_ > adjusted ? srtt_ - adjusted : adjusted - srtt_;
    rttvar_ = (rttvar_ * 3 + diff) / 4;
    srtt_ = (srtt_ * 7 + adjusted) / 8;
    return true;
  }

  [[nodiscard]] bool has_sample() const { return has_sample_; }
  [[nodiscard]] Nanos srtt() const { return srtt_; }
  [[nodiscard]] Nanos rttvar() const { return rttvar_; }
  [[nodiscard]] Nanos min_rtt() const { return has_sample_ ? min_ : srtt_; }
  [[nodiscard]] Nanos latest() const { return latest_; }
  // Probe timeout before backoff: srtt + max(4·rttvar, 1 ms) + max_ack_delay.
  [[nodiscard]] Nanos pto(Nanos max_ack_delay) const {
    return srtt_ + std::max(rttvar_ * 4, Nanos::from_ms(1)) + max_ack_delay;
  }
  // RACK time threshold: 9/8 · max(srtt, latest, decaying max), at least 1 ms.
  [[nodiscard]] Nanos loss_delay() const {
    return std::max((std::max({srtt_, latest_, max_recent_}) * 9) / 8, Nanos::from_ms(1));
  }

 private:
  Nanos srtt_, rttvar_;
  static constexpr uint32_t kConfirmations = 16;
  Nanos min_{0}, latest_{0}, max_recent_{0};
  uint32_t low_run_ = 0;
  bool has_sample_ = false;
};

}  // namespace lh::xport
