// connection.cpp — construction, handshake, posting work, timers, close and liveness. See connection.hpp.
//
// Handshake (transport/WIRE.md §Handshake): the client sends INIT (its connection id, MTU, features,
// initial window, idle timeout) until ACCEPT arrives, backing off exponentially; max_pto_count
// unanswered INITs fail pending work with kTimeout. The server answers every INIT with ACCEPT
// (negotiated: min MTU, feature intersection) and is established on the first non-handshake packet.
#include "transport/proto/connection.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace lh::xport {
namespace {

uint64_t fragment_size(uint16_t mtu, bool is_protected = false) {
  return mtu - wire::packet_overhead(is_protected) - wire::kDataFrameSize - wire::kDataLastExtra;
}

psp::Mode psp_mode(Protection p) { return p == Protection::kGmac ? psp::Mode::kGmac : psp::Mode::kAesGcm; }
uint8_t auth_mode(Protection p) { return p == Protection::kGmac ? 2 : 1; }

// The AUTH frame is the last frame of a handshake packet; its MAC covers every frame byte before it.
bool auth_verifies(const psp::ConnectionProtection& p, bool init, uint64_t context, std::span<const uint8_t> frames,
                   const wire::AuthFrame& a) {
  if (frames.size() < wire::kMacSize) return false;
  const auto mac = psp::handshake_mac(p.hs_key(), init ? psp::kInitLabel : psp::kAcceptLabel, context,
                                      frames.first(frames.size() - wire::kMacSize));
  return psp::mac_equal(mac, a.mac);
}

// Sent-packet ring: room for twice the largest window in full-size packets (ACK-only packets use
// packet numbers but no slot), so the window, not the ring, limits a healthy connection.
uint64_t ring_capacity(const ConnectionConfig& cfg) {
  const uint64_t mss = fragment_size(static_cast<uint16_t>(std::max<size_t>(cfg.max_udp_payload, wire::kMinUdpPayload)));
  return std::bit_ceil(std::max<uint64_t>(1024, 2 * cfg.max_window / mss));
}

}  // namespace

std::string_view to_string(Protection p) {
  switch (p) {
    case Protection::kNone: return "plaintext";
    case Protection::kAesGcm: return "aes-256-gcm";
    case Protection::kGmac: return "gmac";
  }
  return "unknown";
}

bool verify_init_auth(std::span<const uint8_t, 32> hs_key, std::span<const uint8_t> frames, const wire::AuthFrame& a) {
  if (frames.size() < wire::kMacSize) return false;
  const auto mac = psp::handshake_mac(hs_key, psp::kInitLabel, 0, frames.first(frames.size() - wire::kMacSize));
  return psp::mac_equal(mac, a.mac);
}

uint8_t auth_mode_of(Protection p) { return auth_mode(p); }

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kSuccess: return "success";
    case Status::kRemoteAccessError: return "remote access error";
    case Status::kTimeout: return "timeout";
    case Status::kConnectionLost: return "connection lost";
    case Status::kIntegrityError: return "integrity error";
    case Status::kLengthError: return "length error";
    case Status::kClosed: return "closed";
    case Status::kAuthFailed: return "authentication failed";
  }
  return "unknown";
}

Connection::Connection(Role role, const ConnectionConfig& cfg, ConnectionId local_cid, MemoryRegistry& memory,
                       CompletionQueue& cq, Nanos now)
    : role_(role),
      cfg_(cfg),
      seen_now_(now),
      local_cid_(local_cid),
      memory_(memory),
      cq_(cq),
      mtu_(static_cast<uint16_t>(std::clamp<size_t>(cfg.max_udp_payload, wire::kMinUdpPayload, wire::kMaxUdpPayload))),
      features_(cfg.features),
      mss_(fragment_size(mtu_, cfg.protection != Protection::kNone)),
      ops_(kMaxOps),
      sent_mask_(ring_capacity(cfg) - 1),
      lost_pns_(1024),
      rtt_(cfg.initial_rtt),
      cc_(cfg, fragment_size(mtu_)),
      peer_window_(cfg.initial_window),
      recvs_(kMaxOps),
      status_queue_(kMaxOps),
      local_window_(std::min(cfg.initial_window, cfg.max_window)),
      last_recv_time_(now),
      last_sent_time_(now) {
  hs_send_pending_ = role == Role::kClient;
  hs_deadline_ = role == Role::kClient ? now : Nanos::max();
  created_ = now;
  if (cfg.protection != Protection::kNone) {
    if (cfg.psk == nullptr || cfg.psk->size() < 16)
      throw std::invalid_argument("Connection: protected mode needs a pre-shared key of at least 16 bytes");
    psp_ = std::make_unique<psp::ConnectionProtection>(psp_mode(cfg.protection), cfg.psk, role == Role::kClient,
                                                       local_cid, cfg.rekey_packets);
  }
}

// ---- posting ----------------------------------------------------------------------------------

PostResult Connection::post_write(const WriteRequest& req) {
  if (state_ != State::kHandshaking && state_ != State::kEstablished) return PostResult::kClosed;
  if (close_requested_) return PostResult::kClosed;
  if (req.local.empty() || req.remote_offset > UINT64_MAX - req.local.size()) return PostResult::kInvalid;
  if (next_op_id_ - oldest_op_id_ >= kMaxOps || at_completion_share()) return PostResult::kQueueFull;
  return post_op(SendOp{.op_id = next_op_id_, .active = true, .is_send = false, .has_imm = req.imm.has_value(),
                        .imm = req.imm.value_or(0), .wr_id = req.wr_id, .key = req.rkey, .base_off = req.remote_offset,
                        .checksum = req.checksum ? *req.checksum : xxh3_64(req.local.data(), req.local.size()),
                        .data = req.local.data(), .len = req.local.size(), .next_off = 0},
                 req.timeout);
}

PostResult Connection::post_send(uint64_t wr_id, std::span<const uint8_t> message, Nanos timeout) {
  if (state_ != State::kHandshaking && state_ != State::kEstablished) return PostResult::kClosed;
  if (close_requested_) return PostResult::kClosed;
  if (message.empty()) return PostResult::kInvalid;
  if (next_op_id_ - oldest_op_id_ >= kMaxOps || at_completion_share()) return PostResult::kQueueFull;
  return post_op(SendOp{.op_id = next_op_id_, .active = true, .is_send = true, .has_imm = false, .imm = 0,
                        .wr_id = wr_id, .key = next_send_ordinal_++, .base_off = 0,
                        .checksum = xxh3_64(message.data(), message.size()), .data = message.data(),
                        .len = message.size(), .next_off = 0},
                 timeout);
}

PostResult Connection::post_op(const SendOp& op, Nanos timeout) {
  SendOp& slot = ops_[next_op_id_ % kMaxOps];
  slot = op;
  if (timeout <= Nanos{0}) timeout = cfg_.op_timeout;
  if (timeout > Nanos{0}) {
    slot.deadline = seen_now_ + timeout;
    op_deadline_ = std::min(op_deadline_, slot.deadline);
  }
  ++next_op_id_;
  return PostResult::kOk;
}

// Fails every operation whose deadline passed and recomputes the earliest one left.
void Connection::expire_ops(Nanos now) {
  if (now < op_deadline_) return;
  Nanos next = Nanos::max();
  for (uint32_t id = oldest_op_id_; id != next_op_id_; ++id) {
    const SendOp& op = ops_[id % kMaxOps];
    if (!op.active || op.op_id != id) continue;
    if (op.deadline <= now) {
      ++stats_.ops_timed_out;
      complete_send_op(id, Status::kTimeout);
    } else {
      next = std::min(next, op.deadline);
    }
  }
  op_deadline_ = next;
}

PostResult Connection::post_recv(uint64_t wr_id, std::span<uint8_t> buffer) {
  if (state_ != State::kHandshaking && state_ != State::kEstablished) return PostResult::kClosed;
  if (buffer.empty()) return PostResult::kInvalid;
  while (recv_oldest_ < recv_posted_ && recvs_[recv_oldest_ % kMaxOps].done) ++recv_oldest_;
  if (recv_posted_ - recv_oldest_ >= kMaxOps || at_completion_share()) return PostResult::kQueueFull;
  recvs_[recv_posted_ % kMaxOps] = PostedRecv{wr_id, buffer.data(), buffer.size(), false};
  ++recv_posted_;
  return PostResult::kOk;
}

// The rings (sent packets, retransmissions, inbound operations: megabytes at a large max_window) are
// allocated once the handshake completes, so a half-open connection — one spoofed INIT — costs
// only the connection object.
void Connection::allocate_rings() {
  if (!sent_.empty()) return;
  sent_ = std::vector<SentPacket>(sent_mask_ + 1);
  retx_ = std::vector<FragRef>(sent_mask_ + 1);
  in_ops_ = std::vector<InOp>(kMaxOps);  // InOp is not movable: built in place
}

Nanos Connection::server_handshake_deadline() const {
  return std::min(last_recv_time_ + cfg_.idle_timeout, created_ + cfg_.handshake_timeout);
}

void Connection::complete_send_op(uint32_t op_id, Status s) {
  SendOp& op = ops_[op_id % kMaxOps];
  if (!op.active || op.op_id != op_id) return;
  op.active = false;
  cq_.push(Completion{.wr_id = op.wr_id, .conn = local_cid_, .kind = op.is_send ? OpKind::kSend : OpKind::kWrite,
                      .status = s, .has_imm = false, .imm = 0, .byte_len = s == Status::kSuccess ? op.len : 0,
                      .rkey = op.is_send ? 0 : op.key, .remote_offset = op.base_off});
  while (oldest_op_id_ != next_op_id_ && !ops_[oldest_op_id_ % kMaxOps].active) ++oldest_op_id_;
  if (static_cast<int32_t>(cursor_op_id_ - oldest_op_id_) < 0) cursor_op_id_ = oldest_op_id_;
}

// ---- handshake ----------------------------------------------------------------------------------

void Connection::handle_handshake(const wire::Frame& f, const wire::AuthFrame* auth, std::span<const uint8_t> frames,
                                  Nanos now) {
  const wire::HandshakeFrame& hs = f.hs;
  const bool fits = hs.max_udp_payload >= wire::kMinUdpPayload;
  const bool prot = psp_ != nullptr;
  if (f.type == wire::FrameType::kInit && role_ == Role::kServer && fits) {
    // Endpoint refused (with a reason) any INIT whose protection does not match ours before making
    // this connection; a repeated INIT must carry the same, verified, nonce.
    if (prot != (auth != nullptr) ||
        (prot && (auth->mode != auth_mode(cfg_.protection) || !auth_verifies(*psp_, true, 0, frames, *auth) ||
                  (peer_cid_ != 0 && auth->nonce != psp_->peer_nonce())))) {
      ++stats_.dropped_auth;
      return;
    }
    if (peer_cid_ == 0) {
      peer_cid_ = hs.src_cid;
      mtu_ = std::min<uint16_t>(mtu_, hs.max_udp_payload);
      mss_ = fragment_size(mtu_, prot);
      features_ &= hs.features;
      peer_window_ = std::max<uint64_t>(hs.initial_window, 64 * mss_);
      if (prot) psp_->start(auth->nonce);
    }
    if (hs.src_cid == peer_cid_ && state_ == State::kHandshaking) hs_send_pending_ = true;  // (re)send ACCEPT
    return;
  }
  if (f.type == wire::FrameType::kAccept && role_ == Role::kClient && state_ == State::kHandshaking && fits &&
      hs.max_udp_payload <= mtu_ && (hs.features & ~features_) == 0) {
    if (prot && auth == nullptr) return fail_handshake(wire::kCloseNoKey);  // no downgrade
    if (prot != (auth != nullptr) ||
        (prot && !auth_verifies(*psp_, false, psp_->local_nonce(), frames, *auth))) {
      ++stats_.dropped_auth;  // forged (or a server that should have refused us): keep waiting
      return;
    }
    if (prot && auth->mode != auth_mode(cfg_.protection)) return fail_handshake(wire::kCloseModeMismatch);
    peer_cid_ = hs.src_cid;
    mtu_ = hs.max_udp_payload;
    mss_ = fragment_size(mtu_, prot);
    features_ = hs.features;
    peer_window_ = std::max<uint64_t>(hs.initial_window, 64 * mss_);
    if (prot) psp_->start(auth->nonce);
    if (hs_attempts_ == 1) rtt_.on_sample(now - hs_sent_time_, Nanos{0});  // Karn: only unambiguous samples
    state_ = State::kEstablished;
    allocate_rings();
    hs_send_pending_ = false;
    hs_deadline_ = Nanos::max();
    ack_now_ = true;  // our ACK of ACCEPT is what establishes the server
    return;
  }
  ++stats_.dropped_state;
}

void Connection::fail_handshake(uint32_t reason) {
  switch (reason) {
    case wire::kCloseAuthRequired:
      failure_ = "the peer requires protected mode (a pre-shared key, --psk) and this side has none";
      break;
    case wire::kCloseAuthFailed:
      failure_ = "the peer could not verify the handshake: the two sides have different pre-shared keys";
      break;
    case wire::kCloseNoKey:
      failure_ = "the peer has no pre-shared key (it runs in plaintext); a side with a key refuses plaintext peers";
      break;
    case wire::kCloseModeMismatch:
      failure_ = "the peers' protection modes differ (encrypted on one side, --auth-only on the other)";
      break;
    default: failure_ = "the handshake was refused"; break;
  }
  become_lost(Status::kAuthFailed, seen_now_);
}

// ---- liveness, close -----------------------------------------------------------------------------

void Connection::become_lost(Status why, Nanos) {
  if (state_ == State::kLost || state_ == State::kClosed) return;
  state_ = why == Status::kClosed ? State::kClosed : State::kLost;
  for (uint32_t id = oldest_op_id_; id != next_op_id_; ++id) complete_send_op(id, why);
  for (; recv_oldest_ < recv_posted_; ++recv_oldest_) {
    PostedRecv& r = recvs_[recv_oldest_ % kMaxOps];
    if (r.done) continue;
    r.done = true;
    cq_.push(Completion{.wr_id = r.wr_id, .conn = local_cid_, .kind = OpKind::kRecv, .status = why});
  }
  retx_count_ = 0;
  in_flight_ = 0;
  eliciting_in_flight_ = 0;
  hs_deadline_ = Nanos::max();
  ack_deadline_ = Nanos::max();
  loss_time_ = Nanos::max();
}

void Connection::close(Nanos now) {
  if (state_ == State::kLost || state_ == State::kClosed || close_requested_) return;
  close_requested_ = true;
  if (state_ == State::kHandshaking) {
    become_lost(Status::kClosed, now);
    return;
  }
  state_ = State::kClosing;
  maybe_finish_close(now);
}

void Connection::maybe_finish_close(Nanos) {
  if (!close_requested_ || close_pending_ || close_attempts_ > 0) return;
  if (oldest_op_id_ != next_op_id_ || status_count_ > 0 || eliciting_in_flight_ > 0) return;
  close_pending_ = true;  // all work done: send CLOSE (retransmitted by the probe timer)
}

// ---- flow control -------------------------------------------------------------------------------

// Receiver side: measure the arrival rate over one smoothed-RTT interval; advertise
// window_bdp_multiple × (max rate × srtt), never below the initial window and never shrinking.
void Connection::update_receive_window(uint64_t bytes, Nanos now) {
  window_bytes_ += bytes;
  const Nanos rtt = rtt_.srtt();  // not min_rtt: a stale handshake sample must not shrink the window
  const Nanos elapsed = now - window_start_;
  if (elapsed < std::max(rtt, Nanos::from_ms(1))) return;
  const uint64_t rate = static_cast<uint64_t>(static_cast<unsigned __int128>(window_bytes_) * 1'000'000'000u /
                                              static_cast<uint64_t>(elapsed.ns));
  max_rate_bytes_per_s_ = std::max(max_rate_bytes_per_s_, rate);
  const uint64_t bdp = static_cast<uint64_t>(static_cast<unsigned __int128>(max_rate_bytes_per_s_) *
                                             static_cast<uint64_t>(rtt.ns) / 1'000'000'000u);
  local_window_ = std::clamp<uint64_t>(bdp * cfg_.window_bdp_multiple, local_window_, cfg_.max_window);
  window_bytes_ = 0;
  window_start_ = now;
}

ConnectionMetrics Connection::metrics() const {
  const cc::ControllerState cs = cc_.state();
  return ConnectionMetrics{.cc_state = cs.state, .pacing_bps = cc_.pacing_rate().bps, .bandwidth_bps = cs.bandwidth_bps,
                           .random_loss = cs.random_loss, .cwnd = cc_.cwnd(), .bytes_in_flight = in_flight_,
                           .peer_window = peer_window_, .min_rtt = rtt_.min_rtt(), .smoothed_rtt = rtt_.srtt(),
                           .latest_rtt = rtt_.latest(), .rtt_variance = rtt_.rttvar(),
                           .packets_sent = stats_.packets_sent, .packets_lost = stats_.packets_lost,
                           .retransmits = stats_.retransmits, .pto_count = stats_.rto_count};
}

// ---- timers -------------------------------------------------------------------------------------

Nanos Connection::next_timeout() const {
  if (state_ == State::kLost || state_ == State::kClosed) return Nanos::max();
  if (hs_send_pending_) return Nanos{INT64_MIN};
  if (state_ == State::kHandshaking)
    return role_ == Role::kClient ? hs_deadline_ : server_handshake_deadline();
  Nanos t = std::min({ack_deadline_, loss_time_, pto_deadline(), last_recv_time_ + cfg_.idle_timeout, op_deadline_});
  if (state_ == State::kEstablished) t = std::min(t, std::max(last_recv_time_, last_sent_time_) + cfg_.keepalive);
  const bool data = has_data_to_send();
  // "Now" (the past) for work that is ready: an immediate ACK, control frames, a probe.
  if (ack_now_ || has_control_to_send() || (probes_pending_ > 0 && data)) return Nanos{INT64_MIN};
  if (data && can_send_eliciting(mtu_)) t = std::min(t, pacer_.release_time());
  return t;
}

void Connection::on_timeout(Nanos now) {
  if (state_ == State::kLost || state_ == State::kClosed) return;
  seen_now_ = std::max(seen_now_, now);
  expire_ops(now);
  if (state_ == State::kHandshaking) {
    if (role_ == Role::kClient && now >= hs_deadline_) {
      if (hs_attempts_ >= cfg_.max_pto_count) return become_lost(Status::kTimeout, now);
      hs_send_pending_ = true;
    }
    if (role_ == Role::kServer && now >= server_handshake_deadline()) become_lost(Status::kTimeout, now);
    return;
  }
  if (now - last_recv_time_ >= cfg_.idle_timeout) return become_lost(Status::kConnectionLost, now);
  if (now >= loss_time_) {
    cc::LossEvent loss{.now = now};
    detect_losses(now, loss);
    if (loss.lost_bytes > 0) {
      loss.in_flight = in_flight_;
      cc_.on_loss(loss);
    }
  }
  if (now >= pto_deadline()) on_pto(now);
  if (state_ == State::kEstablished && now - std::max(last_recv_time_, last_sent_time_) >= cfg_.keepalive)
    ping_pending_ = true;
}

}  // namespace lh::xport
