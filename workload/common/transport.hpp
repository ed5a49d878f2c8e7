// transport.hpp — what a workload session (lh-xfer, lh-trace replay, later the collectives) uses of
// a transport: the verbs-like post/poll surface of the longhaul engine, which the TCP baseline
// offers too. One endpoint holds registered memory, connections ("channels", queue pairs) and one
// completion queue; a channel takes one-sided WRITEs (with immediate data), SENDs and RECVs.
// Completion records are the engine's own (lh::xport::Completion): the initiator's kWrite / kSend,
// the target's kRemoteWrite (with the immediate) and kRecv, and the statuses of transport/proto/types.hpp.
//
// Sessions are written against this surface and are sans-IO: they never read a clock, open a socket
// or block — the driver (io_uring loop, Asio loop or the simulator) turns the transport and calls
// the session's poll(now). Calls are per operation, never per packet, so the virtual dispatch is free.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "src/units.hpp"
#include "transport/proto/connection.hpp"
#include "transport/proto/memory_registry.hpp"
#include "transport/proto/types.hpp"

namespace lh::workload {

using xport::Completion;
using xport::MemoryRegion;
using xport::OpKind;
using xport::PostResult;
using xport::Status;
using xport::WriteRequest;

enum class ChannelState : uint8_t { kConnecting, kUp, kClosed, kLost };

// What summaries report of a channel. Longhaul: packets; TCP: segments (tcp_info), summed over streams.
struct ChannelCounters {
  uint64_t packets_sent = 0, retransmits = 0, packets_lost = 0, bytes_sent = 0;
  uint64_t write_bytes_acked = 0;  // initiator: WRITE payload the target has acknowledged
  Nanos smoothed_rtt{0}, latest_rtt{0};
};

class Channel {
 public:
  virtual ~Channel() = default;
  [[nodiscard]] virtual uint64_t id() const = 0;  // Completion::conn of this channel's completions
  [[nodiscard]] virtual ChannelState state() const = 0;
  [[nodiscard]] virtual std::string peer() const = 0;  // for messages: "10.77.0.2:7000"
  // Why a lost channel was lost, for messages ("connect to 10.0.0.2:9: Connection refused"; "" if unknown).
  [[nodiscard]] virtual std::string error() const = 0;
  [[nodiscard]] virtual uint32_t streams() const { return 1; }  // TCP connections striped (TCP baseline)
  // The buffers stay the caller's and must not change until the operation's completion.
  virtual PostResult post_write(const WriteRequest& w) = 0;
  virtual PostResult post_send(uint64_t wr_id, std::span<const uint8_t> message) = 0;
  virtual PostResult post_recv(uint64_t wr_id, std::span<uint8_t> buffer) = 0;
  // Graceful: outstanding operations finish first.
  virtual void close(Nanos now) = 0;
  [[nodiscard]] virtual ChannelCounters counters() const = 0;
};

class TransportEndpoint {
 public:
  virtual ~TransportEndpoint() = default;
  // A region in the shared protection domain: any channel's peer holding its key may write it.
  virtual MemoryRegion register_region(std::span<uint8_t> bytes) = 0;
  // A region only `writer`'s peer may write: the channel gets a protection domain of its own on
  // first use, and a WRITE with this key over any other channel fails with kRemoteAccessError.
  virtual MemoryRegion register_region(std::span<uint8_t> bytes, Channel& writer) = 0;
  virtual void deregister(uint64_t rkey) = 0;
  // A new channel to the endpoint's peer (a client endpoint; throws std::runtime_error when it cannot).
  virtual Channel& connect(Nanos now) = 0;
  // A channel a peer opened (a server endpoint), once per channel; nullptr when none is new.
  virtual Channel* poll_accept() = 0;
  virtual std::optional<Completion> poll_completion() = 0;
  // The session is done with a closed or lost channel: the endpoint may free it (the reference dies).
  virtual void forget(Channel& c) = 0;
};

[[nodiscard]] inline bool ended(ChannelState s) { return s == ChannelState::kClosed || s == ChannelState::kLost; }

}  // namespace lh::workload
