// fixed_rate.hpp — a constant pacing rate for dedicated links (e.g. "fixed:900mbit").
//
// No congestion response at all: the operator asserts the path carries `rate`. The window is only a
// safety net sized to twice the bandwidth-delay product (from the smoothed RTT), so a stalled peer
// cannot make the sender hold unbounded data in flight.
#pragma once

#include <algorithm>

#include "transport/proto/cc/cc_events.hpp"

namespace lh::xport::cc {

class FixedRate {
 public:
  FixedRate(BitsPerSecond rate, Nanos initial_rtt, uint64_t mss) : rate_(rate), srtt_(initial_rtt), mss_(mss) {}

  void on_packet_sent(const SentEvent&) {}
  void on_ack(const AckEvent& e) {
    if (e.srtt.ns > 0) srtt_ = e.srtt;
  }
  void on_loss(const LossEvent&) {}
  void on_spurious_loss(uint64_t) {}

  [[nodiscard]] BitsPerSecond pacing_rate() const { return rate_; }
  [[nodiscard]] uint64_t cwnd() const { return std::max<uint64_t>(2 * bytes_in(srtt_, rate_).n, 64 * mss_); }
  [[nodiscard]] const char* name() const { return "fixed"; }
  [[nodiscard]] ControllerState state() const { return {.state = "fixed", .bandwidth_bps = rate_.bps}; }

 private:
  BitsPerSecond rate_;
  Nanos srtt_;
  uint64_t mss_;
};

}  // namespace lh::xport::cc
