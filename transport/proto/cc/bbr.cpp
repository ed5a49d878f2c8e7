// bbr.cpp — BBR state machine and loss-tolerant congestion response. See bbr.hpp.
#include "transport/proto/cc/bbr.hpp"

#include <algorithm>

namespace lh::xport::cc {

Bbr::Bbr(BitsPerSecond initial_rate, Nanos initial_rtt, uint64_t mss, double loss_thresh, uint64_t min_cwnd_packets)
    : mss_(mss),
      min_cwnd_(std::max<uint64_t>(min_cwnd_packets, 4) * mss),
      loss_thresh_(loss_thresh),
      initial_rate_(initial_rate),
      initial_rtt_(initial_rtt),
      cwnd_(std::max<uint64_t>(32 * mss, 2 * bytes_in(initial_rtt, initial_rate).n)),
      pacing_rate_(initial_rate) {}

ControllerState Bbr::state() const {
  const char* name = restarting_                ? "restart"
                     : mode_ == Mode::kStartup  ? "startup"
                     : mode_ == Mode::kDrain    ? "drain"
                     : pacing_gain_ > 1.0       ? "probe_bw:up"
                     : pacing_gain_ < 1.0       ? "probe_bw:down"
                                                : "probe_bw:cruise";
  return {.state = name, .bandwidth_bps = model_bw(), .random_loss = random_loss_};
}

uint64_t Bbr::max_bw() const { return *std::max_element(bw_rounds_.begin(), bw_rounds_.end()); }

uint64_t Bbr::compensate(uint64_t bps) const {
  return static_cast<uint64_t>(static_cast<double>(bps) / (1.0 - random_loss_));
}

// Until the pipe is first filled the estimate never falls below the initial rate: the first samples
// (a handshake, a ping) are application-limited lower bounds, not the bottleneck.
uint64_t Bbr::bw_estimate() const {
  const uint64_t bw = compensate(max_bw());
  return filled_pipe_ ? (bw == 0 ? initial_rate_.bps : bw) : std::max(bw, initial_rate_.bps);
}

uint64_t Bbr::model_bw() const { return std::min(bw_estimate(), bw_lo_); }

uint64_t Bbr::bdp(double gain) const {
  const Nanos rtt = min_rtt_.ns > 0 ? min_rtt_ : initial_rtt_;
  return static_cast<uint64_t>(gain * static_cast<double>(bytes_in(rtt, BitsPerSecond{model_bw()}).n));
}

void Bbr::on_packet_sent(const SentEvent& e) {
  // The first packet after an idle spell: pace this round at the model's rate, not the mode's gain.
  if (e.app_limited && e.in_flight == e.bytes && !restarting_) {
    restarting_ = true;
    // Whatever capped the model before the idle spell (a competitor's burst, a queue) has drained.
    bw_lo_ = UINT64_MAX;
    pacing_rate_ = BitsPerSecond{std::max<uint64_t>(model_bw(), 1'000'000)};
  }
}

void Bbr::on_loss(const LossEvent& e) {
  round_lost_ += e.lost_bytes;
  if (e.persistent_congestion) {  // the path vanished for > 3 PTOs: restart the model
    bw_rounds_.fill(0);
    bw_lo_ = UINT64_MAX;
    mode_ = Mode::kStartup;
    full_bw_ = 0;
    full_bw_count_ = 0;
    filled_pipe_ = false;
    pacing_gain_ = kStartupGain;
    cwnd_gain_ = kStartupCwndGain;
  }
}

Nanos Bbr::round_low_rtt() const {
  return round_low_rtt_[std::min<uint64_t>(round_rtt_samples_ / 10, round_low_count_ - 1)];
}

Bbr::RoundVerdict Bbr::judge_round() const {
  RoundVerdict v;
  if (min_rtt_.ns > 0 && round_rtt_samples_ >= 10 && round_low_count_ > 0) {
    v.queue = round_low_rtt() > min_rtt_ + std::max(min_rtt_ / 8, kStandingQueueFloor);
  }
  const uint64_t total = round_lost_ + round_delivered_;
  // Judge a round's loss only over enough packets: the first rounds of a connection carry a handful,
  // and a few reordered packets there would read as a high loss rate.
  if (total < kMinRoundPackets * mss_) return v;
  v.judged = true;
  v.loss_rate = static_cast<double>(round_lost_) / static_cast<double>(total);
  const double excess = v.loss_rate - random_loss_;
  // Queueing: the smoothed RTT (not one sample: reordering and ACK bunching make single samples
  // noisy) stood 25% above the path's base RTT during the round.
  const bool queueing = min_rtt_.ns > 0 && round_max_srtt_ > min_rtt_ + min_rtt_ / 4;
  v.congestive = round_lost_ > 0 && excess > loss_thresh_ && (queueing || v.queue || excess > kSevereExcess);
  return v;
}

// p̂: rounds whose losses cannot be our own queue's overflow (no queue in the RTT, not congestive).
void Bbr::update_random_loss(const RoundVerdict& v) {
  if (!v.judged || v.queue || v.congestive) return;
  random_loss_ = std::min(kMaxRandomLoss, random_loss_ + kRandomLossGain * (v.loss_rate - random_loss_));
}

void Bbr::on_congestive_round(Nanos) {
  if (mode_ == Mode::kStartup) {
    // The pipe is full: stop growing and drain the queue. The rate model is kept (BBRv2 bounds
    // inflight here, not bandwidth): startup's estimate is the best one there is.
    enter_drain();
    return;
  }
  const uint64_t bw = bw_estimate();
  const auto cut = static_cast<uint64_t>(kBeta * static_cast<double>(std::min(bw, bw_lo_)));
  bw_lo_ = std::max(cut, std::min(compensate(round_best_), bw));
}

void Bbr::on_clean_round() {
  if (bw_lo_ == UINT64_MAX) return;
  const auto raised = static_cast<uint64_t>(kCapRecovery * static_cast<double>(bw_lo_));
  bw_lo_ = raised >= bw_estimate() ? UINT64_MAX : raised;
}

void Bbr::enter_drain() {
  mode_ = Mode::kDrain;
  filled_pipe_ = true;
  pacing_gain_ = 1.0 / kStartupGain;
}

Nanos Bbr::startup_delay_threshold() const {
  return std::clamp(min_rtt_ / 8, kStartupDelayMin, kStartupDelayMax);
}

void Bbr::check_startup_exit(const AckEvent& e) {
  if (mode_ != Mode::kStartup) return;
  const uint64_t bw = max_bw();
  const bool grew = bw >= full_bw_ + full_bw_ / 4;
  if (grew) {
    full_bw_ = bw;
    full_bw_count_ = 0;
  }
  if (!grew && !e.rs.app_limited && round_loaded_ && ++full_bw_count_ >= 3) enter_drain();
}

// A standing queue while cruising, judged only from a round the sender kept loaded throughout (no
// application-limited sample: a transfer's tail delivers below the bottleneck): the round then
// delivered at the bottleneck's rate (the queue never emptied), so the model is capped there.
void Bbr::end_round_queue_check(Nanos now, const RoundVerdict& v) {
  if (mode_ != Mode::kProbeBw || kCycle[cycle_idx_] != 1.0 || queue_drained_this_cycle_ || restarting_ ||
      !round_loaded_ || round_app_limited_ || !v.queue || v.congestive || now <= round_start_) {
    return;
  }
  const auto delivered_bps = static_cast<uint64_t>(static_cast<double>(round_delivered_) * 8e9 /
                                                   static_cast<double>((now - round_start_).ns));
  if (delivered_bps == 0) return;
  bw_lo_ = std::min(bw_lo_, compensate(delivered_bps));
  cycle_idx_ = 1;  // the 0.75 phase, until in flight is down to the (corrected) BDP
  cycle_stamp_ = now;
  queue_drained_this_cycle_ = draining_queue_ = true;
}

void Bbr::start_round(const AckEvent& e) {
  const RoundVerdict v = judge_round();
  end_round_queue_check(e.now, v);
  if (v.congestive) {
    on_congestive_round(e.now);
  } else if (v.judged && !v.queue && round_loaded_) {
    on_clean_round();
  }
  update_random_loss(v);
  check_startup_exit(e);
  // A round with fewer than 10 samples cannot tell an outlier from the base RTT: it only refreshes an
  // expired filter.
  if (round_low_count_ > 0 && (round_rtt_samples_ >= 10 || e.now - min_rtt_stamp_ > kMinRttWindow)) {
    const Nanos candidate = round_low_rtt();
    if (candidate <= min_rtt_ || e.now - min_rtt_stamp_ > kMinRttWindow) {
      min_rtt_ = candidate;
      min_rtt_stamp_ = e.now;
    }
  }
  // Only a loaded round ages the bandwidth filter: idle rounds (keepalives, statuses) say nothing
  // about the bottleneck, and ten of them would otherwise empty it.
  if (round_loaded_) {
    ++bw_slot_;
    bw_rounds_[bw_slot_ % kBwWindowRounds] = 0;
  }
  round_loaded_ = round_app_limited_ = false;
  round_best_ = 0;
  round_max_srtt_ = Nanos{0};
  round_lost_ = 0;
  round_delivered_ = 0;
  round_start_ = e.now;
  round_low_count_ = 0;
  round_rtt_samples_ = 0;
  next_round_delivered_ = e.delivered_total;
  ++round_count_;
  restarting_ = false;
  if (++extra_rounds_ >= 5) {
    extra_rounds_ = 0;
    extra_idx_ ^= 1;
    extra_acked_[extra_idx_] = 0;
  }
}

void Bbr::on_ack(const AckEvent& e) {
  // A packet sent after the round began was acknowledged: the round ended with the previous ACK.
  // Judge it before this ACK's samples count (they belong to the new round).
  if (e.rs.interval.ns > 0 && e.rs.prior_delivered >= next_round_delivered_) start_round(e);
  round_delivered_ += e.acked_bytes;
  if (e.srtt.ns > 0) round_max_srtt_ = std::max(round_max_srtt_, e.srtt);
  if (e.latest_rtt.ns > 0) {
    if (min_rtt_.ns == 0) {  // bootstrap from the first sample
      min_rtt_ = e.latest_rtt;
      min_rtt_stamp_ = e.now;
    }
    ++round_rtt_samples_;
    size_t k = std::min(round_low_count_, kRttKeep - 1);  // insertion into the sorted low samples
    if (round_low_count_ < kRttKeep || e.latest_rtt < round_low_rtt_[k]) {
      while (k > 0 && round_low_rtt_[k - 1] > e.latest_rtt) {
        round_low_rtt_[k] = round_low_rtt_[k - 1];
        --k;
      }
      round_low_rtt_[k] = e.latest_rtt;
      round_low_count_ = std::min(round_low_count_ + 1, kRttKeep);
    }
  }
  const uint64_t sample = e.rs.bps();
  if (sample > 0) {
    round_best_ = std::max(round_best_, sample);
    (e.rs.app_limited ? round_app_limited_ : round_loaded_) = true;
    auto& slot = bw_rounds_[bw_slot_ % kBwWindowRounds];
    if (!e.rs.app_limited || sample >= max_bw()) slot = std::max(slot, sample);
  }
  // Startup's delay exit within the round (HyStart++ checks per ACK once a round has a few samples):
  // when even the round's smallest RTT stands above the base, the pipe is full and the queue grows by
  // 1.9 BDP per round at startup's gain — waiting for the round's end would fill a 1-BDP buffer.
  if (mode_ == Mode::kStartup && min_rtt_.ns > 0 && round_rtt_samples_ >= kStartupDelaySamples &&
      round_low_count_ > 0 && round_low_rtt_[0] >= min_rtt_ + startup_delay_threshold()) {
    enter_drain();
  }
  update_ack_aggregation(e.now, e.acked_bytes);
  update_model_outputs(e.now, e.in_flight, e.acked_bytes);
}

void Bbr::update_ack_aggregation(Nanos now, uint64_t acked) {
  if (acked == 0) return;
  const BitsPerSecond bw{model_bw()};
  uint64_t expected = ack_epoch_valid_ ? bytes_in(now - ack_epoch_start_, bw).n : 0;
  // A new epoch when the ACKs fell behind the model (no aggregation) or after a very long one.
  if (!ack_epoch_valid_ || ack_epoch_acked_ <= expected || ack_epoch_acked_ + acked >= kMaxEpochBytes) {
    ack_epoch_valid_ = true;
    ack_epoch_start_ = now;
    ack_epoch_acked_ = 0;
    expected = 0;
  }
  ack_epoch_acked_ += acked;
  const uint64_t cap = std::min(cwnd_, bytes_in(kMaxExtraAckedTime, bw).n);
  const uint64_t extra = std::min(ack_epoch_acked_ - std::min(ack_epoch_acked_, expected), cap);
  extra_acked_[extra_idx_] = std::max(extra_acked_[extra_idx_], extra);
}

void Bbr::update_model_outputs(Nanos now, uint64_t in_flight, uint64_t acked) {
  if (mode_ == Mode::kDrain && in_flight <= bdp(1.0)) {
    mode_ = Mode::kProbeBw;
    cycle_idx_ = 2;  // start cruising; the probe-up phase comes after a few min-RTTs
    cycle_stamp_ = now;
    cwnd_gain_ = 2.0;
  }
  if (mode_ == Mode::kProbeBw) {
    const Nanos rtt = min_rtt_.ns > 0 ? min_rtt_ : initial_rtt_;
    bool advance = now - cycle_stamp_ > rtt;
    if (kCycle[cycle_idx_] > 1.0 && advance) advance = in_flight >= bdp(kCycle[cycle_idx_]) || now - cycle_stamp_ > rtt * 2;
    if (kCycle[cycle_idx_] < 1.0) advance = advance || in_flight <= bdp(1.0);
    // Draining a standing queue takes as long as the queue needs (at most 4 RTTs), not one RTT.
    if (draining_queue_) advance = in_flight <= bdp(1.0) || now - cycle_stamp_ > rtt * 4;
    if (advance) {
      cycle_idx_ = (cycle_idx_ + 1) % kCycle.size();
      cycle_stamp_ = now;
      draining_queue_ = false;
      if (cycle_idx_ == 0) {  // probe up: forget the last congestion cap
        bw_lo_ = UINT64_MAX;
        queue_drained_this_cycle_ = false;
      }
    }
    pacing_gain_ = kCycle[cycle_idx_];
  }
  const uint64_t bw = model_bw();
  const double gain = restarting_ ? 1.0 : pacing_gain_;
  const BitsPerSecond rate{std::max<uint64_t>(static_cast<uint64_t>(gain * static_cast<double>(bw)), 1'000'000)};
  // Until the pipe is full the pacing rate only grows (Linux bbr_set_pacing_rate): the first
  // delivery-rate samples cover a few packets sent at the initial rate and underestimate it.
  if (filled_pipe_ || restarting_ || rate > pacing_rate_) pacing_rate_ = rate;
  // cwnd moves towards the target by at most the bytes just acknowledged; while the pipe is still
  // being filled it only grows (BBR's "cwnd += acked" in Startup).
  uint64_t target = bdp(cwnd_gain_) + 3 * mss_;
  if (filled_pipe_) target += std::max(extra_acked_[0], extra_acked_[1]);
  if (filled_pipe_) {
    cwnd_ = std::min(cwnd_ + acked, target);
  } else if (cwnd_ < target) {
    cwnd_ += acked;
  }
  cwnd_ = std::max(cwnd_, min_cwnd_);
}

}  // namespace lh::xport::cc
