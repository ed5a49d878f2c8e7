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

uint64_t Bbr::max_bw() const { return *std::max_element(bw_rounds_.begin(), bw_rounds_.end()); }

uint64_t Bbr::model_bw() const {
  const uint64_t bw = max_bw();
  return bw == 0 ? initial_rate_.bps : std::min(bw, bw_lo_);
}

uint64_t Bbr::bdp(double gain) const {
  const Nanos rtt = min_rtt_.ns > 0 ? min_rtt_ : initial_rtt_;
  return static_cast<uint64_t>(gain * static_cast<double>(bytes_in(rtt, BitsPerSecond{model_bw()}).n));
}

void Bbr::on_packet_sent(const SentEvent&) {}

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

void Bbr::end_round_loss_check(Nanos now) {
  const uint64_t total = round_lost_ + round_delivered_;
  // Judge a round's loss only over enough packets: the first rounds of a connection carry a handful,
  // and a few reordered packets there would read as a high loss rate.
  if (total >= kMinRoundPackets * mss_ && round_lost_ > 0) {
    const double loss_rate = static_cast<double>(round_lost_) / static_cast<double>(total);
    // Queueing: the smoothed RTT (not one sample: reordering and ACK bunching make single samples
    // noisy) stands 25% above the path's base RTT.
    const bool queueing = min_rtt_.ns > 0 && srtt_ > min_rtt_ + min_rtt_ / 4;
    if (loss_rate > loss_thresh_ && (queueing || loss_rate > 4 * loss_thresh_)) {
      const uint64_t bw = max_bw() == 0 ? initial_rate_.bps : max_bw();
      // BBRv2's bw_latest: the best delivery-rate sample of this round.
      const uint64_t bw_latest = bw_rounds_[round_count_ % kBwWindowRounds];
      if (mode_ == Mode::kStartup) {
        // The pipe is full: stop growing and drain the queue. The rate model is kept (BBRv2 bounds
        // inflight here, not bandwidth): startup's estimate is the best one there is.
        mode_ = Mode::kDrain;
        filled_pipe_ = true;
        pacing_gain_ = 1.0 / kStartupGain;
      } else {
        const auto cut = static_cast<uint64_t>(kBeta * static_cast<double>(std::min(bw, bw_lo_)));
        bw_lo_ = std::max(cut, std::min(bw_latest, bw));
      }
    }
  }
  round_lost_ = 0;
  round_delivered_ = 0;
  round_max_rtt_ = Nanos{0};
  round_start_ = now;
}

void Bbr::end_round_queue_check(Nanos now) {
  if (mode_ != Mode::kProbeBw || kCycle[cycle_idx_] != 1.0 || queue_drained_this_cycle_ || min_rtt_.ns == 0 ||
      round_rtt_samples_ < 10 || round_low_count_ == 0 || now <= round_start_) {
    return;
  }
  const Nanos low = round_low_rtt_[std::min<uint64_t>(round_rtt_samples_ / 10, round_low_count_ - 1)];
  if (low <= min_rtt_ + std::max(min_rtt_ / 8, kStandingQueueFloor)) return;
  const auto delivered_bps = static_cast<uint64_t>(static_cast<double>(round_delivered_) * 8e9 /
                                                   static_cast<double>((now - round_start_).ns));
  if (delivered_bps == 0) return;
  bw_lo_ = std::min(bw_lo_, delivered_bps);
  cycle_idx_ = 1;  // the 0.75 phase, until in flight is down to the (corrected) BDP
  cycle_stamp_ = now;
  queue_drained_this_cycle_ = draining_queue_ = true;
}

void Bbr::start_round(const AckEvent& e) {
  end_round_queue_check(e.now);  // before the loss check resets the round's counters
  end_round_loss_check(e.now);
  // A round with fewer than 10 samples cannot tell an outlier from the base RTT: it only refreshes an
  // expired filter.
  if (round_low_count_ > 0 && (round_rtt_samples_ >= 10 || e.now - min_rtt_stamp_ > kMinRttWindow)) {
    const size_t rank = std::min<uint64_t>(round_rtt_samples_ / 10, round_low_count_ - 1);
    const Nanos candidate = round_low_rtt_[rank];
    round_rtt_samples_ = 0;
    if (candidate <= min_rtt_ || e.now - min_rtt_stamp_ > kMinRttWindow) {
      min_rtt_ = candidate;
      min_rtt_stamp_ = e.now;
    }
  }
  round_low_count_ = 0;
  round_rtt_samples_ = 0;
  next_round_delivered_ = e.delivered_total;
  ++round_count_;
  if (++extra_rounds_ >= 5) {
    extra_rounds_ = 0;
    extra_idx_ ^= 1;
    extra_acked_[extra_idx_] = 0;
  }
  bw_rounds_[round_count_ % kBwWindowRounds] = 0;
  if (mode_ == Mode::kStartup && !e.rs.app_limited) {
    const uint64_t bw = max_bw();
    if (bw >= full_bw_ + full_bw_ / 4) {
      full_bw_ = bw;
      full_bw_count_ = 0;
    } else if (++full_bw_count_ >= 3) {
      mode_ = Mode::kDrain;
      filled_pipe_ = true;
      pacing_gain_ = 1.0 / kStartupGain;
    }
  }
}

void Bbr::on_ack(const AckEvent& e) {
  round_delivered_ += e.acked_bytes;
  if (e.srtt.ns > 0) srtt_ = e.srtt;
  if (e.latest_rtt.ns > 0) {
    round_max_rtt_ = std::max(round_max_rtt_, e.latest_rtt);
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
  auto& slot = bw_rounds_[round_count_ % kBwWindowRounds];
  if (sample > 0 && (!e.rs.app_limited || sample >= max_bw())) slot = std::max(slot, sample);
  if (e.rs.interval.ns > 0 && e.rs.prior_delivered >= next_round_delivered_) start_round(e);
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
  const BitsPerSecond rate{std::max<uint64_t>(static_cast<uint64_t>(pacing_gain_ * static_cast<double>(bw)), 1'000'000)};
  // Until the pipe is full the pacing rate only grows (Linux bbr_set_pacing_rate): the first
  // delivery-rate samples cover a few packets sent at the initial rate and underestimate it.
  if (filled_pipe_ || rate > pacing_rate_) pacing_rate_ = rate;
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
