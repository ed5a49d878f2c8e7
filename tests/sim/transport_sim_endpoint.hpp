// transport_sim_endpoint.hpp — plugs a longhaul transport endpoint (lh::xport::Endpoint, the
// sans-IO engine) into the simulator's endpoint interface (lh::sim::Endpoint).
//
// The adapter is all the "driver" the engine needs in virtual time: a packet that reaches it is
// handed over with on_datagram(bytes, from, now) — the bytes exactly as the link delivered them,
// possibly bit-flipped, so the engine's own CRC has to catch corruption; poll_transmit(now) datagrams
// are copied into the pooled packet (its capacity is reused: no allocation after warm-up); next_timeout()
// arms the topology's timer. A simulator Address travels inside the engine's opaque PeerAddr.
#pragma once

#include <cstdint>
#include <cstddef>
#include <cstring>
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

class TransportSimEndpoint final : public Endpoint {
 public:
  // Datagrams are at most this long (the largest UDP payload the engine may negotiate).
  static constexpr size_t kMaxDatagram = 65'536;

  explicit TransportSimEndpoint(const xport::EndpointConfig& cfg) : ep_(cfg), scratch_(kMaxDatagram) {}

  xport::Endpoint& engine() noexcept { return ep_; }

  void on_packet(const Packet& p, Nanos now) override {
    ep_.on_datagram(p.payload, peer_of(p.src), now);
    ++datagrams_in_;
  }
  Nanos next_timeout() const override { return ep_.next_timeout(); }
  void on_timeout(Nanos now) override { ep_.on_timeout(now); }
  bool poll_transmit(Nanos now, Packet& out) override {
    xport::PeerAddr to;
    const size_t n = ep_.poll_transmit(now, scratch_, to);
    if (n == 0) return false;
    out.payload.assign(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(n));
    out.dst = address_of(to);
    ++datagrams_out_;
    return true;
  }

  uint64_t datagrams_in() const noexcept { return datagrams_in_; }
  uint64_t datagrams_out() const noexcept { return datagrams_out_; }

 private:
  xport::Endpoint ep_;
  std::vector<uint8_t> scratch_;  // poll_transmit writes here, then the datagram is copied out
  uint64_t datagrams_in_ = 0, datagrams_out_ = 0;
};

}  // namespace lh::sim::test
