// cubic.hpp — CUBIC congestion control (RFC 9438), for comparison with the model-based default.
//
// Window in bytes; the cubic function is evaluated in segments and seconds as in the RFC
// (C = 0.4, beta = 0.7, fast convergence, Reno-friendly region). Slow start until the first loss.
// One multiplicative decrease per recovery period (losses of packets sent before the last decrease
// are part of the same event). Pacing at 2×cwnd/srtt in slow start, 1.2×cwnd/srtt after.
#pragma once

#include <cstdint>

#include "transport/proto/cc/cc_events.hpp"

namespace lh::xport::cc {

class Cubic {
 public:
  Cubic(Nanos initial_rtt, uint64_t mss);

  void on_packet_sent(const SentEvent&) {}
  void on_ack(const AckEvent& e);
  void on_loss(const LossEvent& e);
  void on_spurious_loss(uint64_t) {}  // no undo: the backoff stands (Reno-style, conservative)

  [[nodiscard]] BitsPerSecond pacing_rate() const;
  [[nodiscard]] uint64_t cwnd() const { return cwnd_; }
  [[nodiscard]] bool in_slow_start() const { return cwnd_ < ssthresh_; }
  [[nodiscard]] const char* name() const { return "cubic"; }
  [[nodiscard]] ControllerState state() const {
    return {.state = in_slow_start() ? "slow_start" : "congestion_avoidance"};
  }

 private:
  static constexpr double kC = 0.4;
  static constexpr double kBeta = 0.7;

  uint64_t mss_;
  uint64_t cwnd_;
  uint64_t ssthresh_ = UINT64_MAX;
  double w_max_ = 0;        // segments
  double w_est_ = 0;        // segments, Reno-friendly estimate
  double k_ = 0;            // seconds
  Nanos epoch_start_{-1};
  Nanos recovery_start_{INT64_MIN};
  Nanos srtt_;
};

}  // namespace lh::xport::cc
