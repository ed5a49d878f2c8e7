// coll_fabric.cpp — see coll_fabric.hpp.
#include "workload/common/coll_fabric.hpp"

#include <algorithm>
#include <stdexcept>

namespace lh::workload {

ChannelFabric::ChannelFabric(std::vector<Link> links) : links_(std::move(links)) {
  for (const Link& l : links_) {
    if (l.ep != nullptr && std::find(endpoints_.begin(), endpoints_.end(), l.ep) == endpoints_.end())
      endpoints_.push_back(l.ep);
  }
}

Channel* ChannelFabric::channel(uint32_t peer) const { return peer < links_.size() ? links_[peer].ch : nullptr; }

xport::MemoryRegion ChannelFabric::register_for(uint32_t peer, std::span<uint8_t> bytes) {
  Channel* ch = channel(peer);
  if (ch == nullptr) throw std::invalid_argument("collectives: no link to rank " + std::to_string(peer));
  return links_[peer].ep->register_region(bytes, *ch);
}

xport::PostResult ChannelFabric::post_write(uint32_t peer, const xport::WriteRequest& w) {
  Channel* ch = channel(peer);
  return ch == nullptr ? xport::PostResult::kInvalid : ch->post_write(w);
}

xport::PostResult ChannelFabric::post_send(uint32_t peer, uint64_t wr_id, std::span<const uint8_t> message) {
  Channel* ch = channel(peer);
  return ch == nullptr ? xport::PostResult::kInvalid : ch->post_send(wr_id, message);
}

xport::PostResult ChannelFabric::post_recv(uint32_t peer, uint64_t wr_id, std::span<uint8_t> buffer) {
  Channel* ch = channel(peer);
  return ch == nullptr ? xport::PostResult::kInvalid : ch->post_recv(wr_id, buffer);
}

std::optional<coll::Fabric::Event> ChannelFabric::poll() {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    TransportEndpoint* ep = endpoints_[(next_ + i) % endpoints_.size()];
    while (auto c = ep->poll_completion()) {
      for (uint32_t p = 0; p < links_.size(); ++p) {
        if (links_[p].ep == ep && links_[p].ch != nullptr && links_[p].ch->id() == c->conn) {
          next_ = (next_ + i + 1) % endpoints_.size();
          return Event{.peer = p, .c = *c};
        }
      }
      // A completion of a channel that is not one of ours: not the communicator's.
    }
  }
  return std::nullopt;
}

std::string ChannelFabric::link_error(uint32_t peer) const {
  const Channel* ch = channel(peer);
  if (ch == nullptr || !ended(ch->state())) return "";
  const std::string e = ch->error();
  return e.empty() ? (ch->state() == ChannelState::kClosed ? "closed" : "lost") : e;
}

}  // namespace lh::workload
