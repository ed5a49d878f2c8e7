// window_sender.cpp — fixed-window reliable sender (see window_sender.hpp).
#include "emulator/sim/window_sender.hpp"

#include <algorithm>
#include <stdexcept>

#include "emulator/sim/window_segment.hpp"

namespace lh::sim {

WindowSender::WindowSender(const WindowSenderConfig& config) : config_(config), rto_(config.initial_rto) {
  if ((config.window_packets == 0) == (config.window_bytes.n == 0)) {
    throw std::invalid_argument("WindowSender: set exactly one of window_packets and window_bytes");
  }
  if (config.payload_bytes < kSegmentHeaderBytes || config.payload_bytes > 65000) {
    throw std::invalid_argument("WindowSender: payload_bytes must be in 17..65000");
  }
  if (config.min_rto.ns <= 0 || config.initial_rto < config.min_rto || config.max_rto < config.initial_rto) {
    throw std::invalid_argument("WindowSender: need 0 < min_rto <= initial_rto <= max_rto");
  }
  if (config.dupack_threshold == 0) throw std::invalid_argument("WindowSender: dupack_threshold must be > 0");
  const uint64_t w = config.window_packets != 0
                         ? config.window_packets
                         : std::max<uint64_t>(1, config.window_bytes.n / config.payload_bytes);
  if (w > (uint64_t{1} << 24)) throw std::invalid_argument("WindowSender: window above 2^24 packets");
  window_ = static_cast<uint32_t>(w);
  sent_at_.assign(window_, Nanos{0});
  retransmitted_.assign(window_, 0);
}

Nanos WindowSender::next_timeout() const {
  if (packets_sent_ == 0 && !done()) return config_.start;
  return rto_deadline_;
}

void WindowSender::on_timeout(Nanos now) {
  if (now < rto_deadline_ || snd_una_ >= snd_nxt_) return;
  ++timeouts_;
  rtx_pending_ = true;
  in_recovery_ = true;
  recover_ = snd_nxt_;
  dupacks_ = 0;
  rto_ = std::min(rto_ * 2, config_.max_rto);   // RFC 6298 §5.5
  rto_deadline_ = now + rto_;
}

void WindowSender::on_packet(const Packet& packet, Nanos now) {
  const auto seg = decode_segment(packet.payload);
  if (!seg || seg->kind != SegmentKind::kAck) {
    ++bad_acks_;
    return;
  }
  on_ack(seg->number, now);
}

void WindowSender::on_ack(uint64_t ack, Nanos now) {
  if (ack > snd_nxt_) {
    ++bad_acks_;
    return;
  }
  if (ack > snd_una_) {
    const size_t last = (ack - 1) % window_;
    if (retransmitted_[last] == 0) {   // Karn: no samples from retransmitted packets
      const Nanos r = now - sent_at_[last];
      if (!have_rtt_) {
        srtt_ = r;
        rttvar_ = r / 2;
        have_rtt_ = true;
      } else {
        const Nanos diff = srtt_ > r ? srtt_ - r : r - srtt_;
        rttvar_ = (rttvar_ * 3 + diff) / 4;
        srtt_ = (srtt_ * 7 + r) / 8;
      }
      rto_ = std::clamp(srtt_ + std::max(Nanos{1}, rttvar_ * 4), config_.min_rto, config_.max_rto);
    }
    snd_una_ = ack;
    dupacks_ = 0;
    if (in_recovery_) {
      if (ack >= recover_) in_recovery_ = false;
      else rtx_pending_ = true;   // partial ACK: the next hole is lost too
    }
    if (done() && done_at_ == Nanos::max()) done_at_ = now;
    rto_deadline_ = snd_una_ < snd_nxt_ ? now + rto_ : Nanos::max();   // RFC 6298 §5.3
    return;
  }
  if (ack == snd_una_ && snd_una_ < snd_nxt_ && ++dupacks_ == config_.dupack_threshold && !in_recovery_) {
    rtx_pending_ = true;
    in_recovery_ = true;
    recover_ = snd_nxt_;
  }
}

bool WindowSender::poll_transmit(Nanos now, Packet& out) {
  if (now < config_.start) return false;
  if (rtx_pending_) {
    rtx_pending_ = false;
    if (snd_una_ < snd_nxt_) {
      send(snd_una_, true, now, out);
      return true;
    }
  }
  const bool more = config_.total_packets == 0 || snd_nxt_ < config_.total_packets;
  if (more && snd_nxt_ < snd_una_ + window_) {
    send(snd_nxt_++, false, now, out);
    return true;
  }
  return false;
}

void WindowSender::send(uint64_t seq, bool retransmit, Nanos now, Packet& out) {
  encode_segment(Segment{.kind = SegmentKind::kData, .number = seq}, config_.payload_bytes, out.payload);
  out.dst = config_.dst;
  const size_t slot = seq % window_;
  sent_at_[slot] = now;
  retransmitted_[slot] = retransmit ? 1 : 0;
  ++packets_sent_;
  if (retransmit) ++retransmits_;
  if (rto_deadline_ == Nanos::max()) rto_deadline_ = now + rto_;
}

}  // namespace lh::sim
