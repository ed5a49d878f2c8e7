// connection_tx.cpp — the transmit path: handshake, ACK/control packets and paced data packets.
//
// Priorities per poll_transmit call: handshake, then control (ACK with SACK ranges, STATUS, CLOSE,
// PING — small, unpaced, outside the congestion window like pure ACKs in TCP), then one data
// packet: a queued retransmission before new data, gated by the pacer (earliest departure time),
// min(cwnd, peer flow-control window) and the sent-packet ring. Probes bypass the windows.
#include <algorithm>

#include "transport/proto/connection.hpp"

namespace lh::xport {

bool Connection::ack_due(Nanos now) const {
  return any_recv_ && (ack_now_ || now >= ack_deadline_);
}

bool Connection::has_control_to_send() const {
  return status_count_ > 0 || close_pending_ || close_ack_pending_ || ping_pending_ ||
         (probes_pending_ > 0 && !has_data_to_send());
}

// A queued retransmission counts only while its operation is live: an operation can complete (its
// "lost" packet was only reordered) with fragments still queued, and counting those stale entries
// would make next_timeout() say "now" while poll_transmit has nothing to send — a driver spin.
bool Connection::has_data_to_send() const {
  for (size_t i = 0; i < retx_count_; ++i) {
    const FragRef& f = retx_[(retx_head_ + i) % retx_.size()];
    const SendOp& op = ops_[f.op_id % kMaxOps];
    if (op.active && op.op_id == f.op_id) return true;
  }
  for (uint32_t id = cursor_op_id_; id != next_op_id_; ++id) {
    const SendOp& op = ops_[id % kMaxOps];
    if (op.active && op.op_id == id && op.next_off < op.len) return true;
  }
  return false;
}

bool Connection::can_send_eliciting(size_t size) const {
  const uint64_t limit = std::min(cc_.cwnd(), peer_window_);
  return in_flight_ + size <= limit && next_pn_ - oldest_unacked_pn_ < sent_.size();
}

size_t Connection::poll_transmit(Nanos now, std::span<uint8_t> buf) {
  if (state_ == State::kLost || state_ == State::kClosed || buf.size() < mtu_) return 0;
  seen_now_ = std::max(seen_now_, now);
  if (deferred_ > 0) deliver_deferred();
  if (eliciting_in_flight_ == 0) oldest_unacked_pn_ = next_pn_;
  if (hs_send_pending_) return send_handshake(now, buf);
  if (state_ == State::kHandshaking) return 0;
  if (state_ == State::kClosing) maybe_finish_close(now);
  drop_stale_retx();
  if (ack_due(now) || has_control_to_send()) return send_control(now, buf);
  if (!has_data_to_send()) {
    if (in_flight_ < cc_.cwnd()) app_limited_until_ = std::max<uint64_t>(delivered_ + in_flight_, 1);
    return 0;
  }
  if (probes_pending_ > 0) return send_data(now, buf, true);
  if (!pacer_.can_send(now) || !can_send_eliciting(mtu_)) return 0;
  return send_data(now, buf, false);
}

size_t Connection::send_handshake(Nanos now, std::span<uint8_t> buf) {
  const bool client = role_ == Role::kClient;
  const uint64_t pn = next_pn_++;
  wire::PacketWriter w(buf.first(mtu_), wire::Header{.dest_cid = client ? 0 : peer_cid_, .pn = pn});
  const wire::HandshakeFrame hs{.src_cid = local_cid_, .max_udp_payload = mtu_, .features = features_,
                                .initial_window = local_window_,
                                .idle_timeout_ms = static_cast<uint32_t>(cfg_.idle_timeout.ns / 1'000'000)};
  w.put_handshake(client ? wire::FrameType::kInit : wire::FrameType::kAccept, hs);
  if (client && token_) w.put_token(*token_);
  if (psp_ != nullptr) {  // AUTH: our nonce and mode, MAC'd with the handshake key (WIRE.md §Protected mode)
    w.put_auth(wire::AuthFrame{.nonce = psp_->local_nonce(), .mode = auth_mode_of(cfg_.protection)});
    const auto mac = psp::handshake_mac(psp_->hs_key(), client ? psp::kInitLabel : psp::kAcceptLabel,
                                        client ? 0 : psp_->peer_nonce(), w.covered());
    std::copy(mac.begin(), mac.end(), w.mac_slot().begin());
  }
  const size_t n = w.finish();
  hs_send_pending_ = false;
  if (client) {
    // INIT retransmission: initial_rtt·2, doubling per attempt (the handshake has no RTT sample yet).
    hs_sent_time_ = now;
    hs_deadline_ = now + cfg_.initial_rtt * 2 * (int64_t{1} << std::min<uint32_t>(hs_attempts_, 20));
    ++hs_attempts_;
  } else {
    // ACCEPT is not tracked in the rings (a half-open connection has none); the client's ACK of it
    // gives the server its first RTT sample (handle_ack).
    accept_pn_ = pn;
    hs_sent_time_ = now;
    ++hs_attempts_;
  }
  ++stats_.packets_sent;
  stats_.bytes_sent += n;
  last_sent_time_ = now;
  return n;
}

// Every packet after the handshake: protected (the next SPI, sealed by protect()) in protected mode.
wire::Header Connection::out_header(uint64_t pn) {
  if (psp_ == nullptr) return wire::Header{.dest_cid = peer_cid_, .pn = pn};
  return wire::Header{.dest_cid = peer_cid_, .pn = pn, .is_protected = true, .spi = psp_->next_tx_spi()};
}

size_t Connection::protect(uint64_t pn, std::span<uint8_t> buf, size_t n) {
  if (psp_ == nullptr || n == 0) return n;
  psp_->seal(pn, buf.first(n));
  stats_.key_rotations = psp_->rotations();
  return n;
}

void Connection::fill_ack(wire::AckFrame& ack, Nanos now) {
  ack.ack_delay_us = static_cast<uint32_t>(std::clamp<int64_t>((now - largest_recv_time_).ns / 1000, 0, UINT32_MAX));
  ack.window = local_window_;
  ack.range_count = 0;
  for (size_t i = received_.size(); i > 0 && ack.range_count < wire::kMaxAckRanges; --i) {
    const Interval& r = received_[i - 1];
    ack.ranges[ack.range_count++] = wire::PnRange{r.lo, r.hi - 1};
  }
}

size_t Connection::send_control(Nanos now, std::span<uint8_t> buf) {
  const uint64_t pn = next_pn_++;
  wire::PacketWriter w(buf.first(mtu_), out_header(pn));
  if (any_recv_) {
    wire::AckFrame ack;
    fill_ack(ack, now);
    w.put_ack(ack);
    ack_now_ = false;
    ack_deadline_ = Nanos::max();
    unacked_eliciting_ = 0;
    ++stats_.acks_sent;
  }
  uint32_t refs[kMaxStatusPerPacket];
  uint8_t n_status = 0;
  while (status_count_ > 0 && n_status < kMaxStatusPerPacket) {
    InOp& op = in_ops_[status_queue_[status_head_]];
    const wire::StatusFrame st{.kind = static_cast<uint8_t>(op.is_send ? 1 : 0),
                               .status = static_cast<uint8_t>(op.result), .op_id = op.op_id};
    if (op.phase == InOp::Phase::kDone && !op.status_acked) {
      if (!w.put_status(st)) break;
      refs[n_status++] = op.op_id;
    }
    op.status_queued = false;
    status_head_ = (status_head_ + 1) % status_queue_.size();
    --status_count_;
  }
  bool eliciting = n_status > 0;
  bool close_sent = false;
  if (close_pending_ && w.put_close(wire::FrameType::kClose, 0)) {
    close_pending_ = false;
    ++close_attempts_;
    close_sent = eliciting = true;
  }
  const bool close_ack = close_ack_pending_ && w.put_close(wire::FrameType::kCloseAck, 0);
  if (ping_pending_ || (probes_pending_ > 0 && !eliciting)) {
    if (w.put_ping()) {
      if (!ping_pending_) {
        --probes_pending_;
        ++stats_.probes_sent;
      }
      ping_pending_ = false;
      eliciting = true;
    }
  }
  if (data_since_probe_ && now >= rtt_probe_due_ && !eliciting && w.put_ping()) {
    data_since_probe_ = false;
    rtt_probe_due_ = now + rtt_.srtt();
    eliciting = true;
  }
  const size_t n = protect(pn, buf, w.finish());
  if (n == 0) return 0;
  if (eliciting) {
    SentPacket& p = track(pn, now, n);
    p.close = close_sent;
    p.n_status = n_status;
    std::copy(refs, refs + n_status, p.status);
  }
  ++stats_.packets_sent;
  stats_.bytes_sent += n;
  last_sent_time_ = now;
  if (close_ack) {
    close_ack_pending_ = false;
    become_lost(Status::kClosed, now);  // peer closed: flush our pending work
  }
  return n;
}

// Pops queued retransmissions of operations that completed meanwhile, so has_data_to_send() stays cheap.
void Connection::drop_stale_retx() {
  while (retx_count_ > 0) {
    const FragRef& f = retx_[retx_head_];
    const SendOp& op = ops_[f.op_id % kMaxOps];
    if (op.active && op.op_id == f.op_id) return;
    retx_head_ = (retx_head_ + 1) % retx_.size();
    --retx_count_;
  }
}

bool Connection::next_fragment(FragRef& f, bool& is_retx) {
  while (retx_count_ > 0) {
    f = retx_[retx_head_];
    retx_head_ = (retx_head_ + 1) % retx_.size();
    --retx_count_;
    const SendOp& op = ops_[f.op_id % kMaxOps];
    if (op.active && op.op_id == f.op_id) {
      is_retx = true;
      return true;
    }
  }
  for (; cursor_op_id_ != next_op_id_; ++cursor_op_id_) {
    SendOp& op = ops_[cursor_op_id_ % kMaxOps];
    if (!op.active || op.op_id != cursor_op_id_ || op.next_off >= op.len) continue;
    f = FragRef{cursor_op_id_, op.next_off, static_cast<uint32_t>(carve(op))};
    op.next_off += f.len;
    is_retx = false;
    return true;
  }
  return false;
}

// Payload bytes of the next new fragment of `op`. A fragment's length is fixed when it is carved
// (a retransmission resends the same bytes), in whichever form the operation is sent in now; the
// short form only ever follows the full one, so a fragment always fits its retransmission. Only the
// final fragment pays for the LAST trailer.
uint64_t Connection::carve(const SendOp& op) const {
  const uint8_t form = (op.announced && (features_ & kFeatureShortData)) ? wire::kDataFlagShort : 0;
  const uint64_t room = mtu_ - wire::packet_overhead(psp_ != nullptr) - wire::data_frame_overhead(form);
  const uint64_t rest = op.len - op.next_off;
  if (rest + wire::kDataLastExtra <= room) return rest;  // the final fragment, trailer included
  if (rest > room) return room;
  return room - wire::kDataLastExtra;  // leave the final few bytes for a fragment with the trailer
}

size_t Connection::send_data(Nanos now, std::span<uint8_t> buf, bool probe) {
  FragRef f;
  bool retx = false;
  if (!next_fragment(f, retx)) return 0;
  const SendOp& op = ops_[f.op_id % kMaxOps];
  uint8_t flags = 0;
  if (f.off + f.len == op.len) flags = wire::kDataFlagLast | (op.has_imm ? wire::kDataFlagImm : 0);
  const bool full = !op.announced || !(features_ & kFeatureShortData);
  if (!full) flags |= wire::kDataFlagShort;
  const wire::DataFrame d{.is_send = op.is_send, .flags = flags, .op_id = op.op_id, .key = op.key,
                          .base_off = op.base_off, .total_len = op.len, .frag_off = f.off,
                          .checksum = op.checksum, .imm = op.imm};
  const uint64_t pn = next_pn_++;
  wire::PacketWriter w(buf.first(mtu_), out_header(pn));
  const std::span<const uint8_t> payload(op.data + f.off, f.len);
  size_t n = 0;
  if (psp_ != nullptr && psp_->mode() == psp::Mode::kAesGcm) {
    // Encrypted straight from the operation's buffer into the packet: no copy before the seal.
    w.put_data_header(d, payload.size());
    n = w.finish();
    if (n > 0) {
      psp_->seal(pn, buf.first(n), payload);
      stats_.key_rotations = psp_->rotations();
    }
  } else {
    w.put_data(d, payload);
    n = protect(pn, buf, w.finish());
  }
  SentPacket& p = track(pn, now, n);
  p.has_frag = true;
  p.write_frag = !op.is_send;
  p.frag = f;
  p.full_frag = full;
  ++stats_.packets_sent;
  ++stats_.data_packets_sent;
  stats_.bytes_sent += n;
  if (retx) ++stats_.retransmits;
  if (probe) {
    --probes_pending_;
    ++stats_.probes_sent;
  }
  // The pacer may catch up 1 ms of sending a late wake-up missed (Linux TCP's ~1 ms TSO bursts at the
  // pacing rate, sk_pacing_shift = 10). A user-space driver on a shared host wakes hundreds of µs late
  // routinely; with a 200 µs allowance that lost time was lost rate, the delivery-rate samples fell
  // below the pacing rate and BBR's bandwidth estimate ratcheted down (180 of 500 Mbit/s, empty queue).
  const BitsPerSecond rate = cc_.pacing_rate();
  pacer_.on_sent(now, n, rate, std::max<uint64_t>(4ull * mtu_, bytes_in(Nanos::from_ms(1), rate).n));
  return n;
}

Connection::SentPacket& Connection::track(uint64_t pn, Nanos now, size_t size) {
  if (in_flight_ == 0) first_sent_time_ = delivered_time_ = now;
  // The ring is megabytes and written cyclically, so the slot is cold: fetch a later slot ahead for
  // writing, so its cache misses overlap with this packet's work instead of stalling the store.
  const uint8_t* ahead = reinterpret_cast<const uint8_t*>(&sent_[(pn + kTrackPrefetch) & sent_mask_]);
  __builtin_prefetch(ahead, 1);
  __builtin_prefetch(ahead + sizeof(SentPacket) - 1, 1);
  SentPacket& p = sent_[pn & sent_mask_];
  p = SentPacket{};
  p.pn = pn;
  p.sent_time = now;
  p.size = static_cast<uint32_t>(size);
  p.outstanding = true;
  p.delivered = delivered_;
  p.delivered_time = delivered_time_;
  p.first_sent_time = first_sent_time_;
  p.app_limited = app_limited_until_ > 0;
  in_flight_ += size;
  ++eliciting_in_flight_;
  last_eliciting_sent_ = now;
  last_sent_time_ = now;
  cc_.on_packet_sent(cc::SentEvent{.now = now, .bytes = size, .in_flight = in_flight_, .app_limited = p.app_limited});
  return p;
}

}  // namespace lh::xport
