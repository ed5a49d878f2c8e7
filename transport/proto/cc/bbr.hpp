// bbr.hpp — model-based, loss-tolerant congestion control (BBR, Cardwell et al., ACM Queue 2016;
// loss handling after BBRv2's loss_thresh, draft-cardwell-iccrg-bbr-congestion-control).
//
// Model: max delivery rate over the last kBwWindowRounds rounds, min RTT over kMinRttWindow. States
// Startup (gain 2/ln2) → Drain → ProbeBW (gain cycle 1.25, 0.75, 1×6). Loss is a congestion signal
// only when a round's loss rate exceeds loss_thresh AND the RTT shows queueing (or the loss rate is
// far above the threshold): long-haul paths lose packets at random without any queue, and cutting the
// rate for that loss would waste the path. The response caps the rate model at beta·bw (bw_lo) until
// the next probe-up phase, and never below the rate actually delivered in that round (BBRv2's
// bw_latest), so a burst of losses cannot compound into a collapse. A standing queue while cruising
// (the max filter kept a delivery-rate sample that timing noise inflated, so pacing at 1.0 fills the
// bottleneck buffer a few percent per round) is drained once per gain cycle: the model is capped at
// the round's measured delivery rate (the bottleneck's rate, since the queue never emptied) and the
// 0.75 phase runs until the queue is gone. Rates bit/s, sizes bytes, times lh::Nanos.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "transport/proto/cc/cc_events.hpp"

namespace lh::xport::cc {

class Bbr {
 public:
  enum class Mode : uint8_t { kStartup, kDrain, kProbeBw };

  // min_cwnd_packets: the window never shrinks below this many MSS (default 4, Linux's floor). Keep it
  // above the receiver's ACK-every count: a window the receiver acknowledges only on its delayed-ACK
  // timer makes every round last max_ack_delay, the delivery rate (and so the BDP) collapse, and the
  // window stay at its floor — a self-sustaining trap.
  Bbr(BitsPerSecond initial_rate, Nanos initial_rtt, uint64_t mss, double loss_thresh, uint64_t min_cwnd_packets = 4);

  void on_packet_sent(const SentEvent& e);
  void on_ack(const AckEvent& e);
  void on_loss(const LossEvent& e);
  void on_spurious_loss(uint64_t bytes) { round_lost_ -= std::min(round_lost_, bytes); }

  [[nodiscard]] BitsPerSecond pacing_rate() const { return pacing_rate_; }
  [[nodiscard]] uint64_t cwnd() const { return cwnd_; }
  [[nodiscard]] Mode mode() const { return mode_; }
  [[nodiscard]] uint64_t max_bw() const;  // bit/s
  [[nodiscard]] const char* name() const { return "bbr"; }

 private:
  static constexpr size_t kBwWindowRounds = 10;
  static constexpr Nanos kMinRttWindow = Nanos::from_s(10);
  static constexpr double kStartupGain = 2.885;  // pacing gain, 2/ln 2
  static constexpr double kStartupCwndGain = 2.0; // BBRv2/v3: 2·BDP fits a path with a 1·BDP buffer
  static constexpr double kBeta = 0.7;           // rate cap after a congestive round
  static constexpr uint64_t kMinRoundPackets = 32;  // rounds with fewer packets: loss not judged
  static constexpr std::array<double, 8> kCycle = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
  // A standing queue while cruising: even the round's 10th-percentile RTT stands this far above
  // the path's base RTT (max of min_rtt/8 and this floor).
  static constexpr Nanos kStandingQueueFloor = Nanos::from_ms(2);

  void start_round(const AckEvent& e);
  void end_round_loss_check(Nanos now);
  void end_round_queue_check(Nanos now);
  void update_model_outputs(Nanos now, uint64_t in_flight, uint64_t acked);
  void update_ack_aggregation(Nanos now, uint64_t acked);
  uint64_t bdp(double gain) const;
  uint64_t model_bw() const;

  uint64_t mss_;
  uint64_t min_cwnd_;
  // ACK aggregation (Linux BBR's extra_acked): bytes acknowledged beyond what the rate model expects
  // since the epoch began, max over two 5-round slots; added to the window once the pipe is full so
  // bunched or delayed ACKs do not leave the sender cwnd-limited.
  static constexpr Nanos kMaxExtraAckedTime = Nanos::from_ms(100);
  static constexpr uint64_t kMaxEpochBytes = 16ull << 20;
  bool ack_epoch_valid_ = false;
  Nanos ack_epoch_start_{0};
  uint64_t ack_epoch_acked_ = 0;
  std::array<uint64_t, 2> extra_acked_{};
  size_t extra_idx_ = 0;
  uint32_t extra_rounds_ = 0;
  double loss_thresh_;
  BitsPerSecond initial_rate_;
  Mode mode_ = Mode::kStartup;
  std::array<uint64_t, kBwWindowRounds> bw_rounds_{};  // per-round max delivery rate (bit/s)
  uint64_t round_count_ = 0;
  uint64_t next_round_delivered_ = 0;
  uint64_t bw_lo_ = UINT64_MAX;
  Nanos min_rtt_{0}, min_rtt_stamp_{0};
  Nanos initial_rtt_;
  Nanos round_max_rtt_{0};
  Nanos srtt_{0};
  // The min-RTT filter takes, per round, the 10th-percentile RTT sample (capped at the kRttKeep-th
  // smallest): a few percent of packets or ACKs that overtook the others (netem-style reordering
  // sends some with no delay) must not shrink the BDP and cwnd for the next 10 s, while a real path
  // change shows in every sample. round_low_rtt_ holds the round's smallest samples, ascending.
  static constexpr size_t kRttKeep = 64;
  std::array<Nanos, kRttKeep> round_low_rtt_{};
  size_t round_low_count_ = 0;
  uint64_t round_rtt_samples_ = 0;
  uint64_t full_bw_ = 0;
  uint32_t full_bw_count_ = 0;
  size_t cycle_idx_ = 0;
  Nanos cycle_stamp_{0};
  bool queue_drained_this_cycle_ = false, draining_queue_ = false;
  uint64_t round_lost_ = 0, round_delivered_ = 0;
  Nanos round_start_{0};
  bool filled_pipe_ = false;
  uint64_t cwnd_;
  BitsPerSecond pacing_rate_;
  double pacing_gain_ = kStartupGain;
  double cwnd_gain_ = kStartupCwndGain;
};

}  // namespace lh::xport::cc
