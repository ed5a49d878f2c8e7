// cubic.cpp — RFC 9438 window updates. See cubic.hpp.
#include "transport/proto/cc/cubic.hpp"

#include <algorithm>
#include <cmath>

namespace lh::xport::cc {

Cubic::Cubic(Nanos initial_rtt, uint64_t mss) : mss_(mss), cwnd_(32 * mss), srtt_(initial_rtt) {}

BitsPerSecond Cubic::pacing_rate() const {
  const double gain = in_slow_start() ? 2.0 : 1.2;
  const double bps = gain * static_cast<double>(cwnd_) * 8e9 / static_cast<double>(std::max<int64_t>(srtt_.ns, 1000));
  return BitsPerSecond{std::max<uint64_t>(static_cast<uint64_t>(bps), 1'000'000)};
}

void Cubic::on_ack(const AckEvent& e) {
  if (e.srtt.ns > 0) srtt_ = e.srtt;
  if (e.acked_bytes == 0) return;
  if (in_slow_start()) {
    cwnd_ += e.acked_bytes;
    return;
  }
  const double mss = static_cast<double>(mss_);
  const double cwnd_seg = static_cast<double>(cwnd_) / mss;
  if (epoch_start_.ns < 0) {
    epoch_start_ = e.now;
    k_ = w_max_ > cwnd_seg ? std::cbrt((w_max_ - cwnd_seg) / kC) : 0.0;
    if (w_max_ < cwnd_seg) w_max_ = cwnd_seg;
    w_est_ = cwnd_seg;
  }
  const double t = (e.now - epoch_start_ + srtt_).seconds();
  const double target = std::clamp(kC * std::pow(t - k_, 3.0) + w_max_, cwnd_seg, 1.5 * cwnd_seg);
  const double acked_seg = static_cast<double>(e.acked_bytes) / mss;
  w_est_ += (3.0 * (1.0 - kBeta) / (1.0 + kBeta)) * acked_seg / cwnd_seg;
  const double next = std::max(cwnd_seg + (target - cwnd_seg) * acked_seg / cwnd_seg, w_est_);
  cwnd_ = std::max<uint64_t>(static_cast<uint64_t>(next * mss), cwnd_);
}

void Cubic::on_loss(const LossEvent& e) {
  if (e.persistent_congestion) {
    cwnd_ = 2 * mss_;
    epoch_start_ = Nanos{-1};
    recovery_start_ = e.now;
    return;
  }
  if (e.largest_lost_sent_time <= recovery_start_) return;  // same congestion event
  recovery_start_ = e.now;
  const double cwnd_seg = static_cast<double>(cwnd_) / static_cast<double>(mss_);
  // Fast convergence (RFC 9438 §4.7): release bandwidth when the window keeps shrinking.
  w_max_ = cwnd_seg < w_max_ ? cwnd_seg * (1.0 + kBeta) / 2.0 : cwnd_seg;
  cwnd_ = std::max<uint64_t>(static_cast<uint64_t>(static_cast<double>(cwnd_) * kBeta), 2 * mss_);
  ssthresh_ = cwnd_;
  epoch_start_ = Nanos{-1};
}

}  // namespace lh::xport::cc
