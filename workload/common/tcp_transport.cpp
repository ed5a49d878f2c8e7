// tcp_transport.cpp — see tcp_transport.hpp.
#include "workload/common/tcp_transport.hpp"

#include <algorithm>

namespace lh::workload {

class TcpTransport::TcpChannelAdapter final : public Channel {
 public:
  explicit TcpChannelAdapter(xport::tcp::TcpChannel& c) : c_(c) {}
  uint64_t id() const override { return c_.id(); }
  ChannelState state() const override {
    using S = xport::tcp::TcpChannel::State;
    switch (c_.state()) {
      case S::kConnecting: return ChannelState::kConnecting;
      case S::kUp:
      case S::kClosing: return ChannelState::kUp;
      case S::kClosed: return ChannelState::kClosed;
      case S::kLost: return ChannelState::kLost;
    }
    return ChannelState::kLost;
  }
  std::string peer() const override { return c_.peer(); }
  std::string error() const override { return c_.error(); }
  uint32_t streams() const override { return c_.streams(); }
  PostResult post_write(const WriteRequest& w) override { return c_.post_write(w); }
  PostResult post_send(uint64_t wr_id, std::span<const uint8_t> m) override { return c_.post_send(wr_id, m); }
  PostResult post_recv(uint64_t wr_id, std::span<uint8_t> b) override { return c_.post_recv(wr_id, b); }
  void close(Nanos) override { c_.close(); }
  ChannelCounters counters() const override {
    const xport::tcp::TcpChannelCounters k = c_.counters();
    return ChannelCounters{.packets_sent = k.segments_sent, .retransmits = k.retransmits, .bytes_sent = k.bytes_sent,
                           .write_bytes_acked = k.write_bytes_acked, .smoothed_rtt = k.smoothed_rtt,
                           .latest_rtt = k.smoothed_rtt};
  }
  xport::tcp::TcpChannel& channel() { return c_; }

 private:
  xport::tcp::TcpChannel& c_;
};

TcpTransport::TcpTransport(xport::tcp::TcpEndpoint& ep, std::string peer) : ep_(ep), peer_(std::move(peer)) {}

TcpTransport::~TcpTransport() = default;

MemoryRegion TcpTransport::register_region(std::span<uint8_t> bytes) { return ep_.memory().register_region(bytes); }

MemoryRegion TcpTransport::register_region(std::span<uint8_t> bytes, Channel& writer) {
  xport::tcp::TcpChannel& c = channel_of(writer);
  if (c.protection_domain() == xport::kSharedDomain) c.set_protection_domain(ep_.memory().alloc_domain());
  return ep_.memory().register_region(bytes, c.protection_domain());
}

void TcpTransport::deregister(uint64_t rkey) { ep_.memory().deregister(rkey); }

Channel& TcpTransport::wrap(xport::tcp::TcpChannel& c) {
  channels_.push_back(std::make_unique<TcpChannelAdapter>(c));
  return *channels_.back();
}

Channel& TcpTransport::connect(Nanos) { return wrap(ep_.connect(peer_)); }

Channel* TcpTransport::poll_accept() {
  xport::tcp::TcpChannel* c = ep_.poll_accept();
  return c == nullptr ? nullptr : &wrap(*c);
}

std::optional<Completion> TcpTransport::poll_completion() { return ep_.poll_completion(); }

void TcpTransport::forget(Channel& c) {
  const auto it = std::find_if(channels_.begin(), channels_.end(), [&](const auto& p) { return p.get() == &c; });
  if (it == channels_.end()) return;
  ep_.remove((*it)->channel());
  channels_.erase(it);
}

xport::tcp::TcpChannel& TcpTransport::channel_of(Channel& c) { return static_cast<TcpChannelAdapter&>(c).channel(); }

}  // namespace lh::workload
