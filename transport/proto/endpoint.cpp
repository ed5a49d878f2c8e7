// endpoint.cpp — connection-id demultiplexing and accept. See endpoint.hpp.
#include "transport/proto/endpoint.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace lh::xport {

Endpoint::Endpoint(const EndpointConfig& cfg)
    : cfg_(cfg),
      random_(cfg.random != nullptr ? cfg.random : std::make_shared<SeededRandom>(cfg.seed, 0x6370)),
      memory_(cfg.random != nullptr ? MemoryRegistry(cfg.random, cfg.max_regions) : MemoryRegistry(cfg.seed, cfg.max_regions)),
      cq_(cfg.cq_capacity) {
  // Each connection's share of the completion queue must hold what it can promise (an outstanding
  // operation and a posted receive per slot) with room for inbound operations.
  const size_t share = cfg.max_connections == 0 ? cfg.cq_capacity : cfg.cq_capacity / cfg.max_connections;
  if (share < kMinCompletionShare)
    throw std::invalid_argument("Endpoint: cq_capacity " + std::to_string(cfg.cq_capacity) + " leaves " +
                                std::to_string(share) + " completions per connection for " +
                                std::to_string(cfg.max_connections) + " connections; each needs at least " +
                                std::to_string(kMinCompletionShare));
  cq_.set_share(share);
  if (cfg.conn.protection != Protection::kNone) {
    if (cfg.conn.psk == nullptr || cfg.conn.psk->size() < 16)
      throw std::invalid_argument("Endpoint: protected mode needs a pre-shared key of at least 16 bytes");
    hs_key_ = psp::handshake_key(*cfg.conn.psk);
  }
  rejects_.reserve(kMaxRejects);
  conns_.reserve(cfg.max_connections);
  accepted_.reserve(cfg.max_connections);
}

ConnectionId Endpoint::new_cid() {
  for (;;) {
    const ConnectionId cid = random_->next_u64();
    if (cid != 0 && find(cid) == nullptr) return cid;
  }
}

Connection& Endpoint::connect(const PeerAddr& peer, Nanos now) {
  if (conns_.size() >= cfg_.max_connections)
    throw std::runtime_error("Endpoint::connect: " + std::to_string(cfg_.max_connections) + " connections open");
  auto c = std::make_unique<Connection>(Connection::Role::kClient, cfg_.conn, new_cid(), memory_, cq_, now);
  c->set_handshake_nonce(random_->next_u64());
  c->set_peer_addr(peer);
  conns_.push_back(std::move(c));
  return *conns_.back();
}

Connection* Endpoint::poll_accept() {
  if (accepted_.empty()) return nullptr;
  Connection* c = accepted_.front();
  accepted_.erase(accepted_.begin());
  return c;
}

Connection* Endpoint::find(ConnectionId cid) {
  for (auto& c : conns_)
    if (c->local_cid() == cid) return c.get();
  return nullptr;
}

bool Endpoint::remove(ConnectionId cid) {
  for (auto it = conns_.begin(); it != conns_.end(); ++it) {
    if ((*it)->local_cid() != cid) continue;
    std::erase(accepted_, it->get());
    conns_.erase(it);
    rr_ = 0;
    return true;
  }
  return false;
}

void Endpoint::on_datagram(std::span<const uint8_t> datagram, const PeerAddr& from, Nanos now) {
  wire::Header hdr;
  std::span<const uint8_t> frames;
  const bool sealed = wire::is_protected(datagram);
  const auto err = sealed ? wire::decode_protected(datagram, hdr, frames) : wire::decode_packet(datagram, hdr, frames);
  if (err != wire::DecodeError::kOk) {
    ++(err == wire::DecodeError::kBadCrc ? stats_.dropped_bad_crc : stats_.dropped_malformed);
    return;
  }
  if (hdr.dest_cid != 0) {
    Connection* c = find(hdr.dest_cid);
    if (c == nullptr) {
      ++stats_.dropped_unknown_cid;
      return;
    }
    if (!(c->peer_addr() == from)) {
      ++stats_.dropped_wrong_addr;
      return;
    }
    if (sealed) {
      c->on_protected(hdr, datagram, now);
    } else {
      c->on_packet(hdr, frames, datagram.size(), now);
    }
    return;
  }
  // Destination 0: a plaintext INIT, alone or (protected mode) followed by its AUTH.
  wire::FrameReader r(frames);
  wire::Frame f;
  if (sealed || r.next(f) != wire::DecodeError::kOk || f.type != wire::FrameType::kInit) {
    ++stats_.dropped_malformed;
    return;
  }
  const wire::HandshakeFrame init = f.hs;
  wire::AuthFrame auth;
  bool has_auth = false;
  std::optional<std::array<uint8_t, wire::kTokenSize>> token;
  while (!r.done()) {  // then an optional TOKEN, then an optional AUTH (last)
    if (r.next(f) != wire::DecodeError::kOk || has_auth || (f.type == wire::FrameType::kToken && token) ||
        (f.type != wire::FrameType::kToken && f.type != wire::FrameType::kAuth)) {
      ++stats_.dropped_malformed;
      return;
    }
    if (f.type == wire::FrameType::kToken) token = f.token;
    if (f.type == wire::FrameType::kAuth) auth = f.auth, has_auth = true;
  }
  for (auto& c : conns_) {
    if (c->role() == Connection::Role::kServer && c->peer_cid() == init.src_cid && c->peer_addr() == from) {
      c->on_packet(hdr, frames, datagram.size(), now);  // repeated INIT: answer with ACCEPT again
      return;
    }
  }
  if (!cfg_.accept || conns_.size() >= cfg_.max_connections) {
    ++stats_.refused;
    return;
  }
  const auto half_open = std::count_if(conns_.begin(), conns_.end(), [](const auto& k) {
    return k->role() == Connection::Role::kServer && k->state() == Connection::State::kHandshaking;
  });
  // Address validation before any state (and before the costlier AUTH check): a sender that cannot
  // receive at the address it claims never gets past this.
  const bool need_token = cfg_.address_tokens == AddressTokens::kAlways ||
                          (cfg_.address_tokens == AddressTokens::kUnderLoad &&
                           static_cast<size_t>(half_open) >= std::max<size_t>(1, cfg_.max_half_open / 2));
  if (need_token) {
    if (!token_key_set_) {
      for (size_t i = 0; i < token_key_.size(); i += 8) {
        const uint64_t k = random_->next_u64();
        std::memcpy(token_key_.data() + i, &k, 8);
      }
      token_key_set_ = true;
    }
    if (!token || !token_valid(*token, from, init.src_cid, now)) {
      if (rejects_.size() < kMaxRejects)
        rejects_.push_back(Reject{.to = from, .dest = init.src_cid, .retry = true, .token = make_token(from, init.src_cid, now)});
      ++stats_.retries_sent;
      return;
    }
    ++stats_.tokens_validated;
  }
  // Protection must match before any state exists (no downgrade either way; a stranger without the
  // key gets one small stateless answer per INIT, never a connection).
  const Protection mine = cfg_.conn.protection;
  uint32_t refusal = 0;
  if (mine != Protection::kNone && !has_auth) refusal = wire::kCloseAuthRequired;
  else if (mine == Protection::kNone && has_auth) refusal = wire::kCloseNoKey;
  else if (has_auth && !verify_init_auth(hs_key_, frames, auth)) refusal = wire::kCloseAuthFailed;
  else if (has_auth && auth.mode != auth_mode_of(mine)) refusal = wire::kCloseModeMismatch;
  if (refusal != 0) {
    ++stats_.refused_auth;
    reject(from, init.src_cid, refusal);
    return;
  }
  if (static_cast<size_t>(half_open) >= cfg_.max_half_open) {
    ++stats_.refused_half_open;
    return;
  }
  auto c = std::make_unique<Connection>(Connection::Role::kServer, cfg_.conn, new_cid(), memory_, cq_, now);
  c->set_handshake_nonce(random_->next_u64());
  c->set_peer_addr(from);
  c->on_packet(hdr, frames, datagram.size(), now);
  ++stats_.accepted;
  accepted_.push_back(c.get());
  conns_.push_back(std::move(c));
}

// An address token: issue time (ms, little-endian) ‖ HMAC-SHA256(token key, label ‖ time ‖ address ‖
// client cid)[0..16). Only this endpoint can make one, and only for that address and connection.
std::array<uint8_t, wire::kTokenSize> Endpoint::make_token(const PeerAddr& to, ConnectionId client_cid, Nanos now) const {
  const uint64_t issued_ms = static_cast<uint64_t>(std::max<int64_t>(now.ns, 0) / 1'000'000);
  uint8_t data[sizeof(to.raw) + 8];
  std::memcpy(data, to.raw.data(), to.len);
  std::memcpy(data + to.len, &client_cid, 8);
  const auto mac = psp::handshake_mac(token_key_, "longhaul address token", issued_ms, std::span(data, to.len + 8));
  std::array<uint8_t, wire::kTokenSize> t{};
  std::memcpy(t.data(), &issued_ms, 8);
  std::memcpy(t.data() + 8, mac.data(), mac.size());
  return t;
}

bool Endpoint::token_valid(std::span<const uint8_t, wire::kTokenSize> token, const PeerAddr& from,
                           ConnectionId client_cid, Nanos now) const {
  uint64_t issued_ms = 0;
  std::memcpy(&issued_ms, token.data(), 8);
  const uint64_t now_ms = static_cast<uint64_t>(std::max<int64_t>(now.ns, 0) / 1'000'000);
  if (issued_ms > now_ms || now_ms - issued_ms > static_cast<uint64_t>(cfg_.token_lifetime.ns / 1'000'000)) return false;
  const auto expect = make_token(from, client_cid, Nanos{static_cast<int64_t>(issued_ms) * 1'000'000});
  return psp::mac_equal(std::span<const uint8_t, 16>(expect.data() + 8, 16), token.subspan<8, 16>());
}

void Endpoint::reject(const PeerAddr& to, ConnectionId client_cid, uint32_t reason) {
  if (rejects_.size() < kMaxRejects) rejects_.push_back(Reject{.to = to, .dest = client_cid, .reason = reason});
}

size_t Endpoint::poll_transmit(Nanos now, std::span<uint8_t> buf, PeerAddr& to) {
  // 27 (CLOSE) or 47 (retry) bytes each, smaller than the INIT it answers (no amplification).
  while (!rejects_.empty()) {
    const Reject rj = rejects_.back();
    rejects_.pop_back();
    wire::PacketWriter w(buf, wire::Header{.dest_cid = rj.dest, .pn = 0});
    if (!(rj.retry ? w.put_token(rj.token) : w.put_close(wire::FrameType::kClose, rj.reason))) continue;
    const size_t n = w.finish();
    if (n == 0) continue;
    to = rj.to;
    ++stats_.rejects_sent;
    return n;
  }
  const size_t n_conns = conns_.size();
  for (size_t i = 0; i < n_conns; ++i) {
    Connection& c = *conns_[(rr_ + i) % n_conns];
    const size_t n = c.poll_transmit(now, buf);
    if (n > 0) {
      to = c.peer_addr();
      rr_ = (rr_ + i + 1) % n_conns;
      return n;
    }
  }
  return 0;
}

Nanos Endpoint::next_timeout() const {
  if (!rejects_.empty()) return Nanos{INT64_MIN};
  Nanos t = Nanos::max();
  for (const auto& c : conns_) t = std::min(t, c->next_timeout());
  return t;
}

void Endpoint::on_timeout(Nanos now) {
  for (auto& c : conns_)
    if (c->next_timeout() <= now) c->on_timeout(now);
}

}  // namespace lh::xport
