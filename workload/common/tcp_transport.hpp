// tcp_transport.hpp — the TCP baseline (transport/tcp/tcp_endpoint.hpp) behind the workload surface
// (workload/common/transport.hpp): the same sessions that run over the longhaul engine run over N
// striped kernel TCP connections. Driven by TcpEndpoint::run_for() on the caller's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transport/tcp/tcp_endpoint.hpp"
#include "workload/common/transport.hpp"

namespace lh::workload {

class TcpTransport final : public TransportEndpoint {
 public:
  // `peer`: ADDR:PORT connect() goes to (a client). `ep` must outlive this.
  explicit TcpTransport(xport::tcp::TcpEndpoint& ep, std::string peer = {});
  ~TcpTransport() override;

  MemoryRegion register_region(std::span<uint8_t> bytes) override;
  MemoryRegion register_region(std::span<uint8_t> bytes, Channel& writer) override;
  void deregister(uint64_t rkey) override;
  Channel& connect(Nanos now) override;
  Channel* poll_accept() override;
  std::optional<Completion> poll_completion() override;
  void forget(Channel& c) override;

  static xport::tcp::TcpChannel& channel_of(Channel& c);

 private:
  class TcpChannelAdapter;
  Channel& wrap(xport::tcp::TcpChannel& c);

  xport::tcp::TcpEndpoint& ep_;
  std::string peer_;
  std::vector<std::unique_ptr<TcpChannelAdapter>> channels_;
};

}  // namespace lh::workload
