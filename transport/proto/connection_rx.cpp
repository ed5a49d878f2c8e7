// connection_rx.cpp — the receive path: packet validation, frame dispatch, placement, statuses.
//
// Placement (transport/WIRE.md §Data): the first fragment of an operation checks rkey and bounds of
// the WHOLE operation [base_off, base_off + total_len) before any byte is written (a short-form
// fragment of an operation not seen yet is dropped unacknowledged: it cannot be checked); every fragment
// re-resolves its own range (the region may have been deregistered meanwhile). A refused operation
// is answered with STATUS(remote access error) and nothing is placed. Coverage is an interval set,
// so duplicates and reordering cost nothing; when coverage is complete and the LAST fragment (with
// the sender's XXH3-64 checksum) has arrived, the hash of the placed bytes (streamed over the in-order
// prefix as it grows, the rest at the end; stream_hash.hpp) is compared with it: a mismatch
// fails the operation at both ends with kIntegrityError (no retransmission: corruption that passed
// CRC32C on every packet means a memory or sender-side bug, which a retry would not fix).
#include <cstring>

#include "transport/proto/connection.hpp"

namespace lh::xport {

void Connection::on_datagram(std::span<const uint8_t> datagram, Nanos now) {
  wire::Header hdr;
  std::span<const uint8_t> frames;
  if (wire::is_protected(datagram)) {
    if (wire::decode_protected(datagram, hdr, frames) != wire::DecodeError::kOk) {
      ++stats_.dropped_malformed;
      return;
    }
    on_protected(hdr, datagram, now);
    return;
  }
  const auto err = wire::decode_packet(datagram, hdr, frames);
  if (err == wire::DecodeError::kBadCrc) {
    ++stats_.dropped_bad_crc;
    return;
  }
  if (err != wire::DecodeError::kOk) {
    ++stats_.dropped_malformed;
    return;
  }
  on_packet(hdr, frames, datagram.size(), now);
}

void Connection::on_protected(const wire::Header& hdr, std::span<const uint8_t> datagram, Nanos now) {
  if (state_ == State::kLost || state_ == State::kClosed) {
    ++stats_.dropped_state;
    return;
  }
  if (psp_ == nullptr || !psp_->keyed()) {  // plaintext connection, or no handshake seen yet
    ++stats_.dropped_unprotected;
    return;
  }
  if (psp_->mode() == psp::Mode::kAesGcm && rx_plain_.size() < mtu_) rx_plain_.resize(mtu_);
  std::span<const uint8_t> frames;
  switch (psp_->open(hdr.pn, hdr.spi, datagram, rx_plain_, frames)) {
    case psp::ConnectionProtection::OpenResult::kOk: break;
    case psp::ConnectionProtection::OpenResult::kReplay: ++stats_.dropped_replay; return;
    case psp::ConnectionProtection::OpenResult::kOldKey: ++stats_.dropped_old_key; return;
    case psp::ConnectionProtection::OpenResult::kForged: ++stats_.dropped_auth; return;
  }
  on_packet(hdr, frames, datagram.size(), now);
}

void Connection::on_packet(const wire::Header& hdr, std::span<const uint8_t> frames, size_t datagram_len, Nanos now) {
  if (state_ == State::kLost || state_ == State::kClosed) {
    ++stats_.dropped_state;
    return;
  }
  seen_now_ = std::max(seen_now_, now);
  // Validate every frame before acting on any (a packet is accepted or dropped as a whole).
  bool eliciting = false, handshake_only = true;
  size_t n_frames = 0;
  wire::Frame f;
  wire::AuthFrame auth;
  bool has_auth = false;
  uint32_t close_reason = 0;
  bool has_token = false;
  for (wire::FrameReader r(frames); !r.done();) {
    if (r.next(f) != wire::DecodeError::kOk || has_auth) {  // AUTH, if any, is the last frame
      ++stats_.dropped_malformed;
      return;
    }
    ++n_frames;
    if (f.type == wire::FrameType::kAuth) auth = f.auth, has_auth = true;
    if (f.type == wire::FrameType::kClose) close_reason = f.close_reason;
    if (f.type == wire::FrameType::kToken) has_token = true;
    // INIT is answered by ACCEPT, not by an ACK; everything else but ACK itself elicits an ACK.
    eliciting = eliciting || (f.type != wire::FrameType::kAck && f.type != wire::FrameType::kInit &&
                              f.type != wire::FrameType::kAuth && f.type != wire::FrameType::kToken);
    handshake_only = handshake_only && (f.type == wire::FrameType::kInit || f.type == wire::FrameType::kAccept ||
                                        f.type == wire::FrameType::kAuth || f.type == wire::FrameType::kToken);
  }
  // AUTH ends an INIT/ACCEPT (after INIT's TOKEN, if any); a TOKEN rides alone (a retry) or after INIT.
  if ((has_auth && (!handshake_only || n_frames > 3 || hdr.is_protected)) ||
      (has_token && (!handshake_only || hdr.is_protected))) {
    ++stats_.dropped_malformed;
    return;
  }
  const bool for_us = hdr.dest_cid == local_cid_ || (hdr.dest_cid == 0 && handshake_only && role_ == Role::kServer);
  // A server's stateless refusal of our INIT (plaintext, a lone CLOSE with a protection reason).
  if (for_us && role_ == Role::kClient && state_ == State::kHandshaking && !hdr.is_protected && n_frames == 1 &&
      close_reason >= wire::kCloseAuthRequired && close_reason <= wire::kCloseModeMismatch) {
    fail_handshake(close_reason);
    return;
  }
  // A server's retry (a lone TOKEN: it wants our address validated): INIT again, echoing the token.
  if (for_us && role_ == Role::kClient && state_ == State::kHandshaking && n_frames == 1 && has_token) {
    if (retries_ >= kMaxRetries) {
      ++stats_.dropped_state;
      return;
    }
    ++retries_;
    wire::FrameReader r(frames);
    if (r.next(f) == wire::DecodeError::kOk) token_ = f.token;
    hs_send_pending_ = true;
    hs_attempts_ = 0;  // the next INIT's ACCEPT is an unambiguous RTT sample
    return;
  }
  if (psp_ != nullptr && !hdr.is_protected && !handshake_only) {  // no downgrade: plaintext after a keyed handshake
    ++stats_.dropped_unprotected;
    return;
  }
  if (!for_us || (state_ == State::kHandshaking && !handshake_only && role_ == Role::kClient)) {
    ++stats_.dropped_state;
    return;
  }
  if (any_recv_ && received_.contains(hdr.pn)) {
    ++stats_.dropped_duplicate;
    return;
  }
  if (state_ == State::kHandshaking && role_ == Role::kServer && !handshake_only) {
    if (peer_cid_ == 0) {
      ++stats_.dropped_state;
      return;
    }
    state_ = State::kEstablished;  // the client got our ACCEPT
    hs_send_pending_ = false;
    allocate_rings();
  }
  bool accepted = true;
  for (wire::FrameReader r(frames); !r.done() && r.next(f) == wire::DecodeError::kOk;) {
    switch (f.type) {
      case wire::FrameType::kInit:
      case wire::FrameType::kAccept: handle_handshake(f, has_auth ? &auth : nullptr, frames, now); break;
      case wire::FrameType::kAuth: break;   // checked with its INIT/ACCEPT
      case wire::FrameType::kToken: break;  // checked by Endpoint before this connection existed
      case wire::FrameType::kAck: handle_ack(f.ack, now); break;
      case wire::FrameType::kWrite:
      case wire::FrameType::kSend: accepted = handle_data(f.data, now) && accepted; break;
      case wire::FrameType::kStatus: handle_status(f.status); break;
      case wire::FrameType::kClose:
        close_ack_pending_ = true;
        close_requested_ = true;
        if (state_ == State::kEstablished) state_ = State::kClosing;
        break;
      case wire::FrameType::kCloseAck:
        if (close_attempts_ > 0) become_lost(Status::kClosed, now);
        break;
      case wire::FrameType::kPing: break;
    }
  }
  if (!accepted) return;  // not recorded: the peer will retransmit it
  last_recv_time_ = now;
  ++stats_.packets_received;
  stats_.bytes_received += datagram_len;
  if (state_ != State::kLost && state_ != State::kClosed) record_received(hdr.pn, eliciting, now);
}

// Only an ack-eliciting packet may trigger an immediate ACK (RFC 9000 §13.2.1): a reordered or gapped
// ACK-only packet answered at once would be answered back by the peer, an endless ACK ping-pong.
void Connection::record_received(uint64_t pn, bool ack_eliciting, Nanos now) {
  if (!any_recv_ || pn > largest_recv_) {
    if (ack_eliciting && any_recv_ && pn != largest_recv_ + 1) ack_now_ = true;  // a gap: tell the sender quickly
    largest_recv_ = pn;
    largest_recv_time_ = now;
    any_recv_ = true;
  } else if (ack_eliciting) {
    ack_now_ = true;  // reordered packet filled a hole
  }
  received_.insert_evicting(pn, pn + 1);
  if (!ack_eliciting) return;
  if (++unacked_eliciting_ >= cfg_.ack_every) ack_now_ = true;
  if (ack_deadline_ == Nanos::max()) ack_deadline_ = now + cfg_.max_ack_delay;
}

Connection::InOp* Connection::inbound_op(const wire::DataFrame& d, bool& drop) {
  drop = false;
  InOp& op = in_ops_[d.op_id % kMaxOps];
  const auto diff = static_cast<int32_t>(d.op_id - op.op_id);
  const bool is_short = (d.flags & wire::kDataFlagShort) != 0;
  if (op.phase != InOp::Phase::kFree && diff < 0) return nullptr;  // an old, finished operation
  if (op.phase != InOp::Phase::kFree && diff == 0) {
    if (op.phase == InOp::Phase::kDone) return nullptr;  // duplicate of a finished operation
    const bool agrees = is_short ? op.is_send == d.is_send && d.frag_off <= op.total &&
                                       op.total - d.frag_off >= d.payload.size()
                                 : op.is_send == d.is_send && op.key == d.key && op.base_off == d.base_off &&
                                       op.total == d.total_len;
    if (!agrees) {  // contradicts the operation's first fragment: neither placed nor acknowledged
      ++stats_.dropped_contradicting;
      drop = true;
      return nullptr;
    }
    return &op;
  }
  if (is_short) {  // the sender assumed we know an operation we never saw: not acknowledged, resent
    ++stats_.dropped_unannounced;
    drop = true;
    return nullptr;
  }
  // A newer operation in the slot of one still unfinished: the initiator keeps at most kMaxOps
  // outstanding, so it has given up on the old one (timed it out); so do we.
  if (op.phase == InOp::Phase::kActive) ++stats_.ops_abandoned;
  // A new operation: check access for the whole of it before placing anything.
  op.coverage.clear();
  op.hash.reset();
  op.op_id = d.op_id;
  op.is_send = d.is_send;
  op.key = d.key;
  op.base_off = d.base_off;
  op.total = d.total_len;
  op.received = 0;
  if (op.deferred) op.deferred = false, --deferred_;  // (only an initiator moving past it gets here)
  op.have_last = op.has_imm = op.status_queued = op.status_acked = false;
  op.dest = nullptr;
  op.phase = InOp::Phase::kActive;
  if (!d.is_send) {
    const auto access = memory_.resolve(d.key, d.base_off, d.total_len, op.dest, pd_);
    if (access != MemoryRegistry::Access::kOk) {
      ++(access == MemoryRegistry::Access::kBadKey ? stats_.dropped_bad_key : stats_.dropped_out_of_bounds);
      queue_status(op, Status::kRemoteAccessError);
      return nullptr;
    }
    return &op;
  }
  if (d.key >= recv_posted_) {  // no receive posted yet for this message: receiver not ready
    op.phase = InOp::Phase::kFree;
    ++stats_.dropped_no_recv;
    drop = true;
    return nullptr;
  }
  PostedRecv& r = recvs_[d.key % kMaxOps];
  if (r.done || d.key + kMaxOps < recv_posted_) {
    op.phase = InOp::Phase::kFree;
    ++stats_.dropped_malformed;
    return nullptr;
  }
  op.recv_wr_id = r.wr_id;
  op.dest = r.data;
  if (d.total_len > r.len) {
    r.done = true;
    cq_.push(Completion{.wr_id = r.wr_id, .conn = local_cid_, .kind = OpKind::kRecv, .status = Status::kLengthError});
    queue_status(op, Status::kLengthError);
    return nullptr;
  }
  return &op;
}

bool Connection::handle_data(const wire::DataFrame& d, Nanos now) {
  if (state_ != State::kEstablished && state_ != State::kClosing) {
    ++stats_.dropped_state;
    return false;
  }
  if ((d.flags & wire::kDataFlagShort) && !(features_ & kFeatureShortData)) {
    ++stats_.dropped_malformed;  // short form without having negotiated it
    return false;
  }
  bool drop = false;
  InOp* op = inbound_op(d, drop);
  if (op == nullptr) return !drop;
  uint8_t* dst = op->dest + d.frag_off;
  if (!d.is_send) {
    // Re-check this fragment's bytes against the region table (it may have been deregistered).
    const auto access = memory_.resolve(op->key, op->base_off + d.frag_off, d.payload.size(), dst, pd_);
    if (access != MemoryRegistry::Access::kOk) {
      ++(access == MemoryRegistry::Access::kBadKey ? stats_.dropped_bad_key : stats_.dropped_out_of_bounds);
      queue_status(*op, Status::kRemoteAccessError);
      return true;
    }
  }
  const int64_t fresh = op->coverage.insert(d.frag_off, d.frag_off + d.payload.size());
  if (fresh < 0) {  // too many holes in this operation right now: let the sender retransmit later
    ++stats_.dropped_window;
    return false;
  }
  if (fresh > 0) {
    std::memcpy(dst, d.payload.data(), d.payload.size());
    // Extend the running hash over the placed prefix while the bytes are still in cache (in-order
    // arrival: exactly this fragment; a retransmission filling the first hole: up to the next one).
    // A whole operation in one fragment is hashed in one shot at completion instead.
    const Interval& front = op->coverage[0];
    if (front.lo == 0 && front.hi > op->hash.hashed() && front.hi < op->total)
      op->hash.update(op->dest + op->hash.hashed(), static_cast<size_t>(front.hi - op->hash.hashed()));
  }
  op->received += static_cast<uint64_t>(fresh);
  stats_.placed_bytes += static_cast<uint64_t>(fresh);
  update_receive_window(d.payload.size(), now);
  data_since_probe_ = true;
  if (d.flags & wire::kDataFlagLast) {
    op->have_last = true;
    op->checksum = d.checksum;
    op->has_imm = (d.flags & wire::kDataFlagImm) != 0;
    op->imm = d.imm;
  }
  if (op->have_last && op->received == op->total) finish_inbound(*op);
  return true;
}

void Connection::finish_inbound(InOp& op) {
  uint64_t hash = 0;
  if (op.hash.hashed() == 0) {
    hash = xxh3_64(op.dest, op.total);
  } else {  // the tail (the last fragment, or bytes that arrived behind a hole) is hashed now
    op.hash.update(op.dest + op.hash.hashed(), static_cast<size_t>(op.total - op.hash.hashed()));
    hash = op.hash.digest();
  }
  const bool intact = hash == op.checksum;
  const Status s = intact ? Status::kSuccess : Status::kIntegrityError;
  if (!intact) ++stats_.integrity_errors;
  if (!op.is_send && at_completion_share()) {
    // The application has not polled this connection's share of the queue: hold the completion and
    // the STATUS until it does (deliver_deferred). The initiator, without STATUS, keeps the
    // operation — at kMaxOps of them its posts are refused: the backpressure reaches the peer.
    op.result = s;
    op.phase = InOp::Phase::kDone;
    op.deferred = true;
    ++deferred_;
    ++stats_.deferred_completions;
    return;
  }
  if (op.is_send) {
    recvs_[op.key % kMaxOps].done = true;
    cq_.push(Completion{.wr_id = op.recv_wr_id, .conn = local_cid_, .kind = OpKind::kRecv, .status = s,
                        .has_imm = false, .imm = 0, .byte_len = op.total});
  } else {
    cq_.push(Completion{.wr_id = 0, .conn = local_cid_, .kind = OpKind::kRemoteWrite, .status = s,
                        .has_imm = op.has_imm, .imm = op.imm, .byte_len = op.total, .rkey = op.key,
                        .remote_offset = op.base_off});
  }
  queue_status(op, s);
}

void Connection::deliver_deferred() {
  for (InOp& op : in_ops_) {
    if (deferred_ == 0 || at_completion_share()) return;
    if (!op.deferred) continue;
    op.deferred = false;
    --deferred_;
    cq_.push(Completion{.wr_id = 0, .conn = local_cid_, .kind = OpKind::kRemoteWrite, .status = op.result,
                        .has_imm = op.has_imm, .imm = op.imm, .byte_len = op.total, .rkey = op.key,
                        .remote_offset = op.base_off});
    queue_status(op, op.result);
  }
}

void Connection::queue_status(InOp& op, Status s) {
  op.result = s;
  op.phase = InOp::Phase::kDone;
  if (op.status_queued || status_count_ == status_queue_.size()) return;
  op.status_queued = true;
  status_queue_[(status_head_ + status_count_) % status_queue_.size()] = static_cast<uint16_t>(op.op_id % kMaxOps);
  ++status_count_;
}

void Connection::handle_status(const wire::StatusFrame& st) {
  const SendOp& op = ops_[st.op_id % kMaxOps];
  if (!op.active || op.op_id != st.op_id || op.is_send != (st.kind == 1)) return;  // duplicate or stale
  complete_send_op(st.op_id, static_cast<Status>(st.status));
}

}  // namespace lh::xport
