// coll_fabric.hpp — the collectives' per-peer Fabric (transport/coll/communicator.hpp) over the
// workload surface: each peer rank is reached through a channel of some TransportEndpoint (the
// longhaul engine's, or the TCP baseline's), so the same communicator runs over both transports, in
// the simulator and on sockets. Completions are matched to peers by channel id.
#pragma once

#include <vector>

#include "transport/coll/communicator.hpp"
#include "workload/common/transport.hpp"

namespace lh::workload {

class ChannelFabric final : public coll::Fabric {
 public:
  struct Link {
    TransportEndpoint* ep = nullptr;  // null: no link to that rank (itself, or not in any plan)
    Channel* ch = nullptr;
  };
  // links[p] reaches rank p. Endpoints may be shared by several links (a server accepting many).
  explicit ChannelFabric(std::vector<Link> links);

  xport::MemoryRegion register_for(uint32_t peer, std::span<uint8_t> bytes) override;
  xport::PostResult post_write(uint32_t peer, const xport::WriteRequest& w) override;
  xport::PostResult post_send(uint32_t peer, uint64_t wr_id, std::span<const uint8_t> message) override;
  xport::PostResult post_recv(uint32_t peer, uint64_t wr_id, std::span<uint8_t> buffer) override;
  std::optional<Event> poll() override;
  [[nodiscard]] std::string link_error(uint32_t peer) const override;

 private:
  [[nodiscard]] Channel* channel(uint32_t peer) const;

  std::vector<Link> links_;
  std::vector<TransportEndpoint*> endpoints_;  // distinct
  size_t next_ = 0;
};

}  // namespace lh::workload
