// longhaul_endpoint.hpp — the longhaul engine (lh::xport::Endpoint, sans-IO) behind the workload
// surface (workload/common/transport.hpp). Pure like the engine: whoever drives the engine — the
// io_uring Driver in the tools, the simulator in tests — drives the sessions on top, so lh-xfer and
// lh-trace replay run in virtual time with the code that runs on sockets.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transport/proto/endpoint.hpp"
#include "workload/common/transport.hpp"

namespace lh::workload {

class LonghaulEndpoint final : public TransportEndpoint {
 public:
  using Describe = std::function<std::string(const xport::PeerAddr&)>;
  // `peer`: where connect() goes (a client); `describe` turns a peer address into text for
  // messages (the drivers' sockaddr printer; default: "peer"). `ep` must outlive this.
  explicit LonghaulEndpoint(xport::Endpoint& ep, xport::PeerAddr peer = {}, Describe describe = {});
  ~LonghaulEndpoint() override;

  MemoryRegion register_region(std::span<uint8_t> bytes) override;
  MemoryRegion register_region(std::span<uint8_t> bytes, Channel& writer) override;
  void deregister(uint64_t rkey) override;
  Channel& connect(Nanos now) override;
  Channel* poll_accept() override;
  std::optional<Completion> poll_completion() override;
  void forget(Channel& c) override;

  // The engine connection behind a channel of this endpoint (for engine-level figures).
  static xport::Connection& connection_of(Channel& c);
  xport::Endpoint& engine() { return ep_; }

 private:
  class LonghaulChannel;
  Channel& wrap(xport::Connection& c);

  xport::Endpoint& ep_;
  xport::PeerAddr peer_;
  Describe describe_;
  std::vector<std::unique_ptr<LonghaulChannel>> channels_;
};

}  // namespace lh::workload
