// bbr.hpp — model-based, loss-tolerant congestion control (BBR, Cardwell et al., ACM Queue 2016;
// loss handling after BBRv2/v3, draft-cardwell-ccwg-bbr; startup's delay exit after HyStart++,
// RFC 9406).
//
// Model: the bottleneck rate is the max delivery rate over the last kBwWindowRounds *loaded* rounds
// (a round in which the sender was not application-limited; idle rounds — a training job's compute
// gap, with only keepalives and statuses acknowledged — never age the filter), divided by (1 − p̂)
// where p̂ is the loss rate measured in rounds without a queue: a packet lost at random after the
// bottleneck still used its capacity, so delivering at max_bw means sending at max_bw / (1 − p̂).
// min RTT over kMinRttWindow. States Startup (gain 2/ln2) → Drain → ProbeBW (1.25, 0.75, 1×6).
//
// Congestion: a round is congestive when its loss exceeds p̂ by loss_thresh and the RTT shows a
// queue (or exceeds it by kSevereExcess): the rate model is capped at beta·bw (bw_lo), never below
// the round's best delivery rate; each later round that is clean (no excess loss, no queue) raises
// the cap by 1/4, so a transient burst (an overflow, an outage, a competitor's burst) is left behind
// within a few RTTs instead of a gain cycle. A standing queue while cruising (a noisy max sample) is
// drained once per gain cycle, judged only from rounds the sender kept loaded.
// Restart after idle: the first round after nothing was in flight is paced at 1× the model (as
// Linux BBR's idle restart), so a step's first flight never bursts into the bottleneck queue.
// Rates bit/s, sizes bytes, times lh::Nanos.
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
  [[nodiscard]] uint64_t max_bw() const;  // bit/s, the filter's raw delivery-rate max
  [[nodiscard]] double random_loss() const { return random_loss_; }
  [[nodiscard]] const char* name() const { return "bbr"; }
  [[nodiscard]] ControllerState state() const;

 private:
  static constexpr size_t kBwWindowRounds = 10;
  static constexpr Nanos kMinRttWindow = Nanos::from_s(10);
  static constexpr double kStartupGain = 2.885;  // pacing gain, 2/ln 2
  static constexpr double kStartupCwndGain = 2.0; // BBRv2/v3: 2·BDP fits a path with a 1·BDP buffer
  static constexpr double kBeta = 0.7;           // rate cap after a congestive round
  static constexpr double kCapRecovery = 1.25;   // cap growth per clean round after a congestive one
  static constexpr double kSevereExcess = 0.25;  // excess loss that is congestion even without a queue
  static constexpr double kMaxRandomLoss = 0.3;  // p̂ cap: the model sends at most 1/0.7 of max_bw
  static constexpr double kRandomLossGain = 0.25;  // EWMA weight of one round's loss rate in p̂
  static constexpr uint64_t kMinRoundPackets = 32;  // rounds with fewer packets: loss not judged
  static constexpr std::array<double, 8> kCycle = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
  // A standing queue while cruising: even the round's 10th-percentile RTT stands this far above
  // the path's base RTT (max of min_rtt/8 and this floor).
  static constexpr Nanos kStandingQueueFloor = Nanos::from_ms(2);
  // Startup's delay exit (RFC 9406's clamp): once a round has kStartupDelaySamples RTT samples and
  // even its smallest stands min_rtt/8 (4..16 ms) above the base, the pipe is full and a queue builds.
  static constexpr Nanos kStartupDelayMin = Nanos::from_ms(4), kStartupDelayMax = Nanos::from_ms(16);
  static constexpr uint64_t kStartupDelaySamples = 16;

  // The round that just ended, as the checks at its end see it.
  struct RoundVerdict {
    bool judged = false;        // enough packets to judge its loss rate
    double loss_rate = 0;
    bool queue = false;         // its 10th-percentile RTT stood above the base (kStandingQueueFloor rule)
    bool congestive = false;
  };

  void start_round(const AckEvent& e);
  RoundVerdict judge_round() const;
  void on_congestive_round(Nanos now);
  void on_clean_round();
  void update_random_loss(const RoundVerdict& v);
  void check_startup_exit(const AckEvent& e);
  void end_round_queue_check(Nanos now, const RoundVerdict& v);
  void enter_drain();
  void update_model_outputs(Nanos now, uint64_t in_flight, uint64_t acked);
  void update_ack_aggregation(Nanos now, uint64_t acked);
  [[nodiscard]] Nanos round_low_rtt() const;
  [[nodiscard]] Nanos startup_delay_threshold() const;
  [[nodiscard]] uint64_t bdp(double gain) const;
  [[nodiscard]] uint64_t bw_estimate() const;  // max_bw / (1 − p̂)
  [[nodiscard]] uint64_t model_bw() const;     // min(bw_estimate, bw_lo)
  [[nodiscard]] uint64_t compensate(uint64_t bps) const;

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
  std::array<uint64_t, kBwWindowRounds> bw_rounds_{};  // per loaded round: max delivery rate (bit/s)
  uint64_t bw_slot_ = 0;          // filter slot of the current loaded round (advances per loaded round)
  bool round_loaded_ = false;     // this round had a sample from a packet sent while not app-limited
  bool round_app_limited_ = false;  // ... and one from a packet sent while app-limited
  uint64_t round_best_ = 0;       // this round's best delivery-rate sample (bit/s): BBRv2's bw_latest
  uint64_t round_count_ = 0;
  uint64_t next_round_delivered_ = 0;
  uint64_t bw_lo_ = UINT64_MAX;   // congestion cap on the model (compensated units)
  double random_loss_ = 0;        // p̂
  Nanos min_rtt_{0}, min_rtt_stamp_{0};
  Nanos initial_rtt_;
  Nanos round_max_srtt_{0};      // the largest smoothed RTT seen during this round
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
  // Idle restart: set when a packet leaves with nothing else in flight after an app-limited spell;
  // the round it starts runs at pacing gain 1.
  bool restarting_ = false;
  uint64_t cwnd_;
  BitsPerSecond pacing_rate_;
  double pacing_gain_ = kStartupGain;
  double cwnd_gain_ = kStartupCwndGain;
};

}  // namespace lh::xport::cc
