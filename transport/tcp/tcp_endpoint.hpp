// tcp_endpoint.hpp — the TCP baseline behind the longhaul engine's verbs surface: registered memory,
// channels of N striped TCP streams taking one-sided WRITEs (with immediate), SENDs and RECVs, and
// one completion queue of the engine's own Completion records. So every workload (lh-xfer, lh-trace
// replay, the collectives) runs unchanged over kernel TCP, and the transport is compared with itself
// held fixed. Framing: tcp_frame.hpp. Congestion control is per socket (TCP_CONGESTION); buffers are
// 2 × BDP per socket when a size is given, else kernel autotuning (socket_tuning.hpp).
//
// One Asio io_context, driven by run_for() on the caller's thread (no threads of its own); payload
// is read straight into registered memory and written straight from the caller's buffer. A target
// acknowledges (STATUS) an operation only at the next run_for() after it completed, i.e. after the
// application polled the completion — as the engine acknowledges after the driver turn. Limits a
// stranger cannot exceed: channels (max_channels), streams per channel, operations in flight per
// channel (kMaxOps), SEND size, unmatched SENDs (kMaxEarlySends), HELLO deadline; a violation ends
// that channel. Setup errors throw TcpError; per-operation errors are completion statuses.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "src/units.hpp"
#include "transport/proto/connection.hpp"
#include "transport/proto/memory_registry.hpp"
#include "transport/proto/types.hpp"
#include "transport/tcp/socket_tuning.hpp"
#include "transport/tcp/tcp_error.hpp"

namespace lh::xport::tcp {

struct TcpEndpointConfig {
  uint32_t streams = 1;               // connect(): TCP connections per channel (1..kMaxStreams)
  std::string cc = "cubic";           // TCP_CONGESTION of every socket (set before connect/listen)
  uint64_t buffer_bytes = 0;          // SO_SNDBUF and SO_RCVBUF per socket (2 × BDP); 0 = autotuning
  Nanos hello_timeout = Nanos::from_s(10);  // an accepted socket must finish its channel by then
  uint32_t max_channels = 64;         // open channels (accepted or connected)
  uint64_t max_send = 64 * 1024;      // bytes of one SEND this endpoint accepts
  uint64_t seed = 0;                  // memory keys and channel nonces from a seeded stream (0: the kernel's CSPRNG)
};

struct TcpChannelCounters {
  uint64_t segments_sent = 0, retransmits = 0, bytes_sent = 0;  // tcp_info, summed over streams
  uint64_t write_bytes_acked = 0;     // WRITE payload the peer's TCP acknowledged (headers excluded)
  Nanos smoothed_rtt{0};              // of stream 0 (tcpi_rtt)
};

class TcpChannel {
 public:
  enum class State : uint8_t { kConnecting, kUp, kClosing, kClosed, kLost };
  virtual ~TcpChannel() = default;
  [[nodiscard]] virtual uint64_t id() const = 0;  // Completion::conn
  [[nodiscard]] virtual State state() const = 0;
  [[nodiscard]] virtual std::string peer() const = 0;
  [[nodiscard]] virtual const std::string& error() const = 0;  // why it was lost ("" otherwise)
  virtual PostResult post_write(const WriteRequest& w) = 0;
  virtual PostResult post_send(uint64_t wr_id, std::span<const uint8_t> message) = 0;
  virtual PostResult post_recv(uint64_t wr_id, std::span<uint8_t> buffer) = 0;
  // Graceful: outstanding operations finish, then every stream is shut down.
  virtual void close() = 0;
  [[nodiscard]] virtual TcpChannelCounters counters() const = 0;
  [[nodiscard]] virtual uint32_t streams() const = 0;
  // The protection domain whose regions this channel's peer may write (memory_registry.hpp).
  [[nodiscard]] virtual ProtectionDomain protection_domain() const = 0;
  virtual void set_protection_domain(ProtectionDomain pd) = 0;
};

class TcpEndpoint {
 public:
  static constexpr uint32_t kMaxOps = 256;        // operations in flight per channel and direction
  static constexpr uint32_t kMaxEarlySends = 64;  // SENDs held for a RECV not yet posted

  explicit TcpEndpoint(const TcpEndpointConfig& cfg);
  ~TcpEndpoint();
  TcpEndpoint(const TcpEndpoint&) = delete;
  TcpEndpoint& operator=(const TcpEndpoint&) = delete;

  // A server: binds ADDR:PORT (port 0: any) and accepts channels. Returns the bound port. Throws
  // TcpError(kConfig) naming the address and the system's reason.
  uint16_t listen(const std::string& addr);
  [[nodiscard]] std::string local() const;  // the bound ADDR:PORT
  // A channel of cfg.streams sockets to ADDR:PORT, connecting in the background (kConnecting until
  // every stream is connected; kLost with error() when one fails). Throws TcpError(kConfig) for a bad
  // address or congestion control, TcpError(kRefused) when max_channels are open.
  TcpChannel& connect(const std::string& to);
  // A channel a peer completed (every stream's HELLO arrived), once; nullptr when none is new.
  TcpChannel* poll_accept();
  // Frees a closed or lost channel (its completions were queued); the reference dies.
  void remove(TcpChannel& c);

  MemoryRegistry& memory();
  std::optional<Completion> poll_completion();

  // One driver turn: sends the statuses of completions polled since the last turn, runs every ready
  // handler, and waits at most `max_wait` for one if none was ready.
  void run_for(Nanos max_wait);
  // What the kernel granted for the listener's receive buffer (servers) / a socket's send buffer.
  [[nodiscard]] BufferGrant rcvbuf() const;
  [[nodiscard]] BufferGrant sndbuf() const;

  struct Impl;  // Asio lives in tcp_endpoint.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::xport::tcp
