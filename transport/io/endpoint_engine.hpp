// endpoint_engine.hpp — adapts lh::xport::Endpoint (the sans-IO engine) to the io Driver's concept.
//
// The engine keeps peer addresses as opaque bytes (PeerAddr, up to sizeof(sockaddr_in6)); the driver
// speaks SocketAddr. Converting is a bounded memcpy each way, so the adapter adds no allocation and,
// being a template argument, no indirect call on the per-datagram path.
#pragma once

#include <cstring>
#include <span>

#include "transport/io/driver.hpp"
#include "transport/io/qlog_writer.hpp"
#include "transport/io/socket_addr.hpp"
#include "transport/proto/endpoint.hpp"

namespace lh::xport::io {

inline PeerAddr to_peer(const SocketAddr& a) {
  PeerAddr p;
  p.len = a.len() <= p.raw.size() ? a.len() : 0;
  std::memcpy(p.raw.data(), a.sa(), p.len);
  return p;
}

inline SocketAddr from_peer(const PeerAddr& p) {
  return SocketAddr(reinterpret_cast<const sockaddr*>(p.raw.data()), p.len);
}

class EndpointEngine {
 public:
  explicit EndpointEngine(Endpoint& ep) : ep_(ep) {}

  void on_datagram(std::span<const uint8_t> in, const SocketAddr& from, Nanos now) {
    ep_.on_datagram(in, to_peer(from), now);
  }
  size_t poll_transmit(Nanos now, std::span<uint8_t> out, SocketAddr& to) {
    const size_t n = ep_.poll_transmit(now, out, peer_);
    if (n > 0) {
      // sockaddr_in/in6 bytes as stored by to_peer(); SocketAddr re-validates the family.
      to = SocketAddr(reinterpret_cast<const sockaddr*>(peer_.raw.data()), peer_.len);
    }
    return n;
  }
  Nanos next_timeout() const { return ep_.next_timeout(); }
  void on_timeout(Nanos now) { ep_.on_timeout(now); }
  // The driver's end of a turn: hands every connection's state to the qlog recorder, if one is set
  // (at most once per kObserveEvery; the recorder itself writes at most every 10 ms per connection).
  void after_turn(Nanos now) {
    if (qlog_ == nullptr || now - observed_ < kObserveEvery) return;
    observed_ = now;
    ep_.for_each_connection([&](const Connection& c) { qlog_->sample(now, c.local_cid(), c.metrics()); });
  }

  Endpoint& endpoint() { return ep_; }
  // Not owned; nullptr stops recording.
  void set_qlog(QlogWriter* q) { qlog_ = q; }

 private:
  static constexpr Nanos kObserveEvery = Nanos::from_ms(1);
  Endpoint& ep_;
  PeerAddr peer_;
  QlogWriter* qlog_ = nullptr;
  Nanos observed_{INT64_MIN / 2};
};

static_assert(DatagramEngine<EndpointEngine>);

}  // namespace lh::xport::io
