// endpoint.hpp — the interface between the simulator and a packet-level protocol engine (sans-IO).
//
// The engine never reads a clock and never owns a socket: the topology hands it packets and the
// current virtual time, asks when it next needs to be woken, and collects what it wants to send.
// Call order, for one endpoint, all at the current virtual time `now`:
//   on_packet(p, now)   a packet addressed to it arrived
//   on_timeout(now)     now >= next_timeout() (the topology arms one timer per endpoint)
//   poll_transmit(now, out) is then called until it returns false (also right after
//     Dumbbell::add_endpoint and Dumbbell::wake), and next_timeout() is read to re-arm the timer.
// A pacing sender returns false from poll_transmit until its next send time and reports that time
// from next_timeout(). Nanos::max() means "no timer". The interface is virtual on purpose: a topology
// holds heterogeneous engines chosen by the test; the link model behind it stays statically bound.
//
// Adapting a transport engine with on_datagram / poll_transmit / next_timeout (e.g. lh::xport):
//
//   class ConnectionEndpoint final : public lh::sim::Endpoint {
//    public:
//     ConnectionEndpoint(lh::xport::Connection& c, lh::sim::Address peer) : c_(c), peer_(peer) {}
//     void on_packet(const lh::sim::Packet& p, lh::Nanos now) override {
//       c_.on_datagram(p.payload, now);           // the bytes, possibly bit-flipped by the link
//     }
//     lh::Nanos next_timeout() const override { return c_.next_timeout(); }
//     void on_timeout(lh::Nanos now) override { c_.on_timeout(now); }
//     bool poll_transmit(lh::Nanos now, lh::sim::Packet& out) override {
//       auto d = c_.poll_transmit(now);          // optional datagram
//       if (!d) return false;
//       out.payload.assign(d->bytes.begin(), d->bytes.end());   // slot capacity is reused
//       out.dst = peer_;                          // size 0: payload + UDP/IP/Ethernet headers
//       return true;
//     }
//    private:
//     lh::xport::Connection& c_;
//     lh::sim::Address peer_;
//   };
//
// After the test changes the engine from outside (e.g. posts a write), call Dumbbell::wake(addr) so
// the new work is polled at the current time.
#pragma once

#include "emulator/sim/packet.hpp"
#include "src/units.hpp"

namespace lh::sim {

class Endpoint {
 public:
  // A packet addressed to this endpoint arrived at `now`. `packet` is valid only during the call.
  virtual void on_packet(const Packet& packet, Nanos now) = 0;
  // The earliest time this endpoint wants on_timeout; Nanos::max() for none.
  virtual Nanos next_timeout() const = 0;
  // Called when now >= next_timeout().
  virtual void on_timeout(Nanos now) = 0;
  // Fills `out` (a cleared pooled packet: set payload and/or size, dst, optionally flow_hash and
  // ect) and returns true to send it now; returns false when there is nothing to send now.
  virtual bool poll_transmit(Nanos now, Packet& out) = 0;

 protected:
  ~Endpoint() = default;
};

// An endpoint that accepts and discards everything (a CBR sink; statistics live in the topology).
class NullSink final : public Endpoint {
 public:
  void on_packet(const Packet&, Nanos) override { ++received_; }
  Nanos next_timeout() const override { return Nanos::max(); }
  void on_timeout(Nanos) override {}
  bool poll_transmit(Nanos, Packet&) override { return false; }
  uint64_t received() const noexcept { return received_; }

 private:
  uint64_t received_ = 0;
};

}  // namespace lh::sim
