// xport_endpoint.hpp — adapts an lh::xport::Connection (sans-IO) to lh::sim::Endpoint.
//
// Datagrams the connection writes become simulator packets to `peer`; packets that arrive (possibly
// bit-flipped by the link: the engine's CRC32C must catch that) go to on_datagram. Wire size is left
// to the topology (payload + 42 B Ethernet/IPv4/UDP headers).
#pragma once

#include <array>

#include "emulator/sim/endpoint.hpp"
#include "transport/proto/connection.hpp"

namespace lh::xport::test {

class ConnectionEndpoint final : public sim::Endpoint {
 public:
  explicit ConnectionEndpoint(Connection& c) : c_(c) {}
  void set_peer(sim::Address peer) { peer_ = peer; }

  void on_packet(const sim::Packet& p, Nanos now) override { c_.on_datagram(p.payload, now); }
  Nanos next_timeout() const override { return c_.next_timeout(); }
  void on_timeout(Nanos now) override { c_.on_timeout(now); }
  bool poll_transmit(Nanos now, sim::Packet& out) override {
    const size_t n = c_.poll_transmit(now, buf_);
    if (n == 0) return false;
    out.payload.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    out.dst = peer_;
    return true;
  }

 private:
  Connection& c_;
  sim::Address peer_ = sim::kNoAddress;
  std::array<uint8_t, 65'536> buf_{};
};

}  // namespace lh::xport::test
