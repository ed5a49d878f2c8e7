// connection_ack.cpp — ACK processing, RACK-style loss detection, probe timeouts (RFC 9002 §6, RACK
// RFC 8985, delivery-rate sampling per draft-cheng-iccrg-delivery-rate-estimation).
//
// A packet is lost when a packet sent >= 3 packet numbers later was acknowledged (only until reordering
// has been seen), or when it was sent more than 9/8·max(srtt, latest_rtt) + reo_wnd before now while a
// later packet was acknowledged (reo_wnd: RACK's adaptive reordering window); otherwise the
// loss timer is armed for the earliest such deadline. Lost data fragments go to the retransmission
// queue (selective repeat: SACKed packets are never resent). The probe timeout fires after
// srtt + 4·rttvar + max_ack_delay without any ACK, doubling on each consecutive expiry; the first is a
// tail-loss probe (one packet), later ones send two; more than max_pto_count means the peer vanished.
#include <algorithm>

#include "transport/proto/connection.hpp"

namespace lh::xport {

void Connection::handle_ack(const wire::AckFrame& ack, Nanos now) {
  ++stats_.acks_received;
  peer_window_ = std::max<uint64_t>(ack.window, 4ull * mtu_);
  const uint64_t largest = ack.ranges[0].hi;
  if (largest >= next_pn_) {
    ++stats_.dropped_malformed;  // acknowledges a packet we never sent
    return;
  }
  if (accept_pn_ != UINT64_MAX) {  // a server's ACCEPT: the first RTT sample, if it went out once (Karn)
    for (uint8_t i = 0; i < ack.range_count; ++i) {
      if (ack.ranges[i].lo > accept_pn_ || accept_pn_ > ack.ranges[i].hi) continue;
      if (hs_attempts_ == 1) rtt_.on_sample(now - hs_sent_time_, std::min(Nanos::from_us(ack.ack_delay_us), cfg_.max_ack_delay));
      accept_pn_ = UINT64_MAX;
      break;
    }
  }
  cc::AckEvent ev{.now = now};
  SentPacket* newest = nullptr;
  Nanos newest_sent{INT64_MIN};
  Nanos largest_sent_time{-1};
  for (uint8_t i = 0; i < ack.range_count; ++i) {
    const uint64_t lo = std::max(ack.ranges[i].lo, oldest_unacked_pn_);
    for (uint64_t pn = lo; pn <= ack.ranges[i].hi && pn < next_pn_; ++pn) {
      SentPacket& p = sent_[pn & sent_mask_];
      if (p.pn != pn || !p.outstanding) continue;
      if (pn == largest) largest_sent_time = p.sent_time;
      on_packet_acked(p, now, ev, newest_sent);
      if (p.sent_time == newest_sent) newest = &p;
    }
  }
  if (lost_count_ > 0) check_spurious(ack, now);
  if (largest_acked_ == UINT64_MAX || largest > largest_acked_) largest_acked_ = largest;
  // Packet numbers are never reused, so every sample is unambiguous (Karn). A sample the estimator
  // rejects as a reordering outlier is not passed to the congestion controller either.
  if (largest_sent_time.ns >= 0) {
    const Nanos delay = std::min(Nanos::from_us(ack.ack_delay_us), cfg_.max_ack_delay);
    if (rtt_.on_sample(now - largest_sent_time, delay)) ev.latest_rtt = now - largest_sent_time;
  } else if (newest != nullptr) {
    // The largest acknowledged packet was an untracked ACK-only packet (typical for a receiver): take
    // the sample from the newest ack-eliciting packet this ACK covers; its ACK delay is unknown (0).
    if (rtt_.on_sample(now - newest_sent, Nanos{0})) ev.latest_rtt = now - newest_sent;
  }
  if (ev.acked_bytes == 0) return;
  pto_count_ = 0;
  if (newest != nullptr) {
    // Delivery-rate sample from the most recently sent packet this ACK covers.
    ev.rs.delivered = delivered_ - newest->delivered;
    ev.rs.prior_delivered = newest->delivered;
    ev.rs.app_limited = newest->app_limited;
    const Nanos send_elapsed = newest->sent_time - newest->first_sent_time;
    const Nanos ack_elapsed = delivered_time_ - newest->delivered_time;
    ev.rs.interval = std::max(send_elapsed, ack_elapsed);
    if (ev.rs.interval < rtt_.min_rtt()) ev.rs.interval = Nanos{0};  // ACK compression: no sample
    first_sent_time_ = newest->sent_time;
  }
  if (app_limited_until_ > 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
  cc::LossEvent loss{.now = now};
  detect_losses(now, loss);
  if (loss.lost_bytes > 0) {
    loss.in_flight = in_flight_;
    cc_.on_loss(loss);
  }
  ev.in_flight = in_flight_;
  ev.delivered_total = delivered_;
  ev.min_rtt = rtt_.min_rtt();
  ev.srtt = rtt_.srtt();
  cc_.on_ack(ev);
  maybe_finish_close(now);
}

void Connection::on_packet_acked(SentPacket& p, Nanos now, cc::AckEvent& ev, Nanos& newest_sent) {
  p.outstanding = false;
  in_flight_ -= p.size;
  --eliciting_in_flight_;
  delivered_ += p.size;
  delivered_time_ = now;
  ev.acked_bytes += p.size;
  newest_sent = std::max(newest_sent, p.sent_time);
  if (p.has_frag && p.write_frag) stats_.write_bytes_acked += p.frag.len;
  if (p.has_frag) {  // every fragment acknowledged: the STATUS must follow within status_timeout
    SendOp& op = ops_[p.frag.op_id % kMaxOps];
    if (op.active && op.op_id == p.frag.op_id && (op.acked += p.frag.len) >= op.len &&
        cfg_.status_timeout > Nanos{0} && now + cfg_.status_timeout < op.deadline) {
      op.deadline = now + cfg_.status_timeout;
      op_deadline_ = std::min(op_deadline_, op.deadline);
    }
  }
  if (p.full_frag) {
    SendOp& op = ops_[p.frag.op_id % kMaxOps];
    if (op.active && op.op_id == p.frag.op_id) op.announced = true;
  }
  for (uint8_t i = 0; i < p.n_status; ++i) {
    InOp& op = in_ops_[p.status[i] % kMaxOps];
    if (op.op_id == p.status[i]) op.status_acked = true;
  }
}

void Connection::on_packet_lost(SentPacket& p, cc::LossEvent& loss) {
  p.outstanding = false;
  in_flight_ -= p.size;
  --eliciting_in_flight_;
  ++stats_.packets_lost;
  if (lost_count_ == lost_pns_.size()) {  // forget the oldest suspect
    lost_head_ = (lost_head_ + 1) % lost_pns_.size();
    --lost_count_;
  }
  lost_pns_[(lost_head_ + lost_count_) % lost_pns_.size()] = p.pn;
  ++lost_count_;
  loss.lost_bytes += p.size;
  loss.largest_lost_sent_time = std::max(loss.largest_lost_sent_time, p.sent_time);
  if (p.has_frag) {
    const SendOp& op = ops_[p.frag.op_id % kMaxOps];
    if (op.active && op.op_id == p.frag.op_id) {
      if (retx_count_ < retx_.size()) {
        retx_[(retx_head_ + retx_count_) % retx_.size()] = p.frag;
        ++retx_count_;
      }
    }
  }
  for (uint8_t i = 0; i < p.n_status; ++i) {
    InOp& op = in_ops_[p.status[i] % kMaxOps];
    if (op.op_id == p.status[i] && !op.status_acked) queue_status(op, op.result);
  }
  if (p.close && state_ == State::kClosing) close_pending_ = true;
}

void Connection::detect_losses(Nanos now, cc::LossEvent& loss) {
  loss_time_ = Nanos::max();
  if (largest_acked_ == UINT64_MAX) return;
  const Nanos delay = rtt_.loss_delay() + reo_wnd();
  for (uint64_t pn = oldest_unacked_pn_; pn < largest_acked_; ++pn) {
    SentPacket& p = sent_[pn & sent_mask_];
    if (p.pn != pn || !p.outstanding) continue;
    if ((!reordering_seen_ && largest_acked_ - pn >= 3) || p.sent_time + delay <= now) {
      on_packet_lost(p, loss);
    } else {
      loss_time_ = std::min(loss_time_, p.sent_time + delay);
    }
  }
  advance_oldest();
}

// Two-pointer walk: suspects ascending, ACK ranges descending. A suspect inside a range was not lost;
// one below the lowest range can no longer be judged and is dropped; the rest stay suspects.
// Each spurious loss found widens the reordering window (at most once per srtt) and is handed back to
// the congestion controller, which must not count it as congestion (RFC 8985 §6.2, undo).
void Connection::check_spurious(const wire::AckFrame& ack, Nanos now) {
  const size_t cap = lost_pns_.size();
  int r = ack.range_count - 1;
  size_t kept = 0;
  uint64_t spurious_bytes = 0;
  for (size_t i = 0; i < lost_count_; ++i) {
    const uint64_t pn = lost_pns_[(lost_head_ + i) % cap];
    while (r >= 0 && ack.ranges[r].hi < pn) --r;
    if (r >= 0 && pn >= ack.ranges[r].lo) {
      ++stats_.spurious_losses;
      reordering_seen_ = true;
      spurious_bytes += mtu_;
      continue;
    }
    if (pn < ack.ranges[ack.range_count - 1].lo) continue;
    lost_pns_[(lost_head_ + kept) % cap] = pn;
    ++kept;
  }
  lost_count_ = kept;
  if (spurious_bytes == 0) return;
  cc_.on_spurious_loss(spurious_bytes);
  if (now - reo_wnd_stamp_ > rtt_.srtt() && reo_wnd_mult_ < kMaxReoWndMult) {
    ++reo_wnd_mult_;
    reo_wnd_stamp_ = now;
  }
}

// RACK reordering window (RFC 8985 §6.2): zero until reordering was seen, then min_rtt/4 times a
// multiplier that grows with each round that found spurious losses, never above srtt.
Nanos Connection::reo_wnd() const {
  if (!reordering_seen_) return Nanos{0};
  return std::min(rtt_.min_rtt() / 4 * static_cast<int64_t>(reo_wnd_mult_), rtt_.srtt());
}

void Connection::advance_oldest() {
  while (oldest_unacked_pn_ < next_pn_) {
    const SentPacket& p = sent_[oldest_unacked_pn_ & sent_mask_];
    if (p.pn == oldest_unacked_pn_ && p.outstanding) break;
    ++oldest_unacked_pn_;
  }
}

Nanos Connection::pto_deadline() const {
  if (eliciting_in_flight_ == 0) return Nanos::max();
  return last_eliciting_sent_ + rtt_.pto(cfg_.max_ack_delay) * (int64_t{1} << std::min<uint32_t>(pto_count_, 20));
}

void Connection::on_pto(Nanos now) {
  ++pto_count_;
  ++stats_.rto_count;
  if (pto_count_ > cfg_.max_pto_count) return become_lost(Status::kConnectionLost, now);
  if (state_ == State::kClosing && close_attempts_ > 0) {
    if (close_attempts_ >= 3) return become_lost(Status::kClosed, now);
    close_pending_ = true;
  }
  probes_pending_ = pto_count_ == 1 ? 1 : 2;
  // Restart the timer from now, so the backed-off deadline counts from this expiry.
  last_eliciting_sent_ = now;
}

}  // namespace lh::xport
