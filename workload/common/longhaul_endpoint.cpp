// longhaul_endpoint.cpp — see longhaul_endpoint.hpp.
#include "workload/common/longhaul_endpoint.hpp"

#include <algorithm>

namespace lh::workload {

class LonghaulEndpoint::LonghaulChannel final : public Channel {
 public:
  LonghaulChannel(xport::Connection& c, std::string peer) : c_(c), peer_(std::move(peer)) {}
  uint64_t id() const override { return c_.local_cid(); }
  ChannelState state() const override {
    switch (c_.state()) {
      case xport::Connection::State::kHandshaking: return ChannelState::kConnecting;
      case xport::Connection::State::kEstablished:
      case xport::Connection::State::kClosing: return ChannelState::kUp;
      case xport::Connection::State::kClosed: return ChannelState::kClosed;
      case xport::Connection::State::kLost: return ChannelState::kLost;
    }
    return ChannelState::kLost;
  }
  std::string peer() const override { return peer_; }
  std::string error() const override {
    if (c_.state() != xport::Connection::State::kLost) return "";
    return c_.failure().empty() ? "no answer from the peer (connection timed out)" : c_.failure();
  }
  PostResult post_write(const WriteRequest& w) override { return c_.post_write(w); }
  PostResult post_send(uint64_t wr_id, std::span<const uint8_t> m) override { return c_.post_send(wr_id, m); }
  PostResult post_recv(uint64_t wr_id, std::span<uint8_t> b) override { return c_.post_recv(wr_id, b); }
  void close(Nanos now) override { c_.close(now); }
  ChannelCounters counters() const override {
    const xport::ConnectionStats& s = c_.stats();
    return ChannelCounters{.packets_sent = s.packets_sent, .retransmits = s.retransmits, .packets_lost = s.packets_lost,
                           .bytes_sent = s.bytes_sent, .write_bytes_acked = s.write_bytes_acked,
                           .smoothed_rtt = c_.rtt().srtt(), .latest_rtt = c_.rtt().latest()};
  }
  xport::Connection& connection() { return c_; }

 private:
  xport::Connection& c_;
  std::string peer_;
};

LonghaulEndpoint::LonghaulEndpoint(xport::Endpoint& ep, xport::PeerAddr peer, Describe describe)
    : ep_(ep), peer_(peer), describe_(std::move(describe)) {}

LonghaulEndpoint::~LonghaulEndpoint() = default;

MemoryRegion LonghaulEndpoint::register_region(std::span<uint8_t> bytes) { return ep_.memory().register_region(bytes); }

MemoryRegion LonghaulEndpoint::register_region(std::span<uint8_t> bytes, Channel& writer) {
  xport::Connection& c = connection_of(writer);
  if (c.protection_domain() == xport::kSharedDomain) c.set_protection_domain(ep_.memory().alloc_domain());
  return ep_.memory().register_region(bytes, c.protection_domain());
}

void LonghaulEndpoint::deregister(uint64_t rkey) { ep_.memory().deregister(rkey); }

Channel& LonghaulEndpoint::wrap(xport::Connection& c) {
  channels_.push_back(std::make_unique<LonghaulChannel>(c, describe_ ? describe_(c.peer_addr()) : std::string("peer")));
  return *channels_.back();
}

Channel& LonghaulEndpoint::connect(Nanos now) { return wrap(ep_.connect(peer_, now)); }

Channel* LonghaulEndpoint::poll_accept() {
  xport::Connection* c = ep_.poll_accept();
  return c == nullptr ? nullptr : &wrap(*c);
}

std::optional<Completion> LonghaulEndpoint::poll_completion() { return ep_.poll_completion(); }

void LonghaulEndpoint::forget(Channel& c) {
  const auto it = std::find_if(channels_.begin(), channels_.end(), [&](const auto& p) { return p.get() == &c; });
  if (it == channels_.end()) return;
  ep_.remove((*it)->id());
  channels_.erase(it);
}

xport::Connection& LonghaulEndpoint::connection_of(Channel& c) { return static_cast<LonghaulChannel&>(c).connection(); }

}  // namespace lh::workload
