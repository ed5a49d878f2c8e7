// transport_sim_endpoint.hpp — the one adapter between the longhaul engine (sans-IO) and the
// simulator's endpoint interface (lh::sim::Endpoint): EngineSimEndpoint drives anything with the
// engine's datagram surface — on_datagram(bytes, from, now), poll_transmit(now, buf, to),
// next_timeout(), on_timeout(now) — which lh::xport::Endpoint has, and ConnectionEngine gives a bare
// lh::xport::Connection (tests that build and handshake connections by hand).
//
// A packet that reaches the adapter is handed over with on_datagram — the bytes exactly as the link
// delivered them, possibly bit-flipped, so the engine's own CRC has to catch corruption;
// poll_transmit datagrams are copied into the pooled packet (its capacity is reused: no allocation
// after warm-up); next_timeout() arms the topology's timer. A simulator Address travels inside the
// engine's opaque PeerAddr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "emulator/sim/endpoint.hpp"
#include "emulator/sim/packet.hpp"
#include "transport/proto/endpoint.hpp"

namespace lh::sim::test {

inline xport::PeerAddr peer_of(Address a) {
  xport::PeerAddr p;
  std::memcpy(p.raw.data(), &a, sizeof a);
  p.len = sizeof a;
  return p;
}

inline Address address_of(const xport::PeerAddr& p) {
  Address a = kNoAddress;
  if (p.len == sizeof a) std::memcpy(&a, p.raw.data(), sizeof a);
  return a;
}

// A bare connection with the engine's datagram surface: everything it sends goes to `peer`.
class ConnectionEngine {
 public:
  explicit ConnectionEngine(xport::Connection& c) : c_(c) {}
  void set_peer(Address peer) { peer_ = peer_of(peer); }
  void on_datagram(std::span<const uint8_t> d, const xport::PeerAddr&, Nanos now) { c_.on_datagram(d, now); }
  size_t poll_transmit(Nanos now, std::span<uint8_t> buf, xport::PeerAddr& to) {
    to = peer_;
    return c_.poll_transmit(now, buf);
  }
  Nanos next_timeout() const { return c_.next_timeout(); }
  void on_timeout(Nanos now) { c_.on_timeout(now); }

 private:
  xport::Connection& c_;
  xport::PeerAddr peer_;
};

template <typename Engine>
class EngineSimEndpoint : public Endpoint {
 public:
  // Datagrams are at most this long (the largest UDP payload the engine may negotiate).
  static constexpr size_t kMaxDatagram = 65'536;

  explicit EngineSimEndpoint(Engine& e) : e_(e), scratch_(kMaxDatagram) {}

  void on_packet(const Packet& p, Nanos now) override {
    e_.on_datagram(p.payload, peer_of(p.src), now);
    ++datagrams_in_;
  }
  Nanos next_timeout() const override { return e_.next_timeout(); }
  void on_timeout(Nanos now) override { e_.on_timeout(now); }
  bool poll_transmit(Nanos now, Packet& out) override {
    xport::PeerAddr to;
    const size_t n = e_.poll_transmit(now, scratch_, to);
    if (n == 0) return false;
    out.payload.assign(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(n));
    out.dst = address_of(to);
    ++datagrams_out_;
    return true;
  }

  uint64_t datagrams_in() const noexcept { return datagrams_in_; }
  uint64_t datagrams_out() const noexcept { return datagrams_out_; }

 private:
  Engine& e_;
  std::vector<uint8_t> scratch_;  // poll_transmit writes here, then the datagram is copied out
  uint64_t datagrams_in_ = 0, datagrams_out_ = 0;
};

namespace detail {
struct OwnedEndpoint {
  explicit OwnedEndpoint(const xport::EndpointConfig& cfg) : ep(cfg) {}
  xport::Endpoint ep;
};
}  // namespace detail

// A longhaul Endpoint (owned) on the simulator.
class TransportSimEndpoint final : private detail::OwnedEndpoint, public EngineSimEndpoint<xport::Endpoint> {
 public:
  explicit TransportSimEndpoint(const xport::EndpointConfig& cfg)
      : detail::OwnedEndpoint(cfg), EngineSimEndpoint<xport::Endpoint>(ep) {}
  xport::Endpoint& engine() noexcept { return ep; }
};

}  // namespace lh::sim::test
