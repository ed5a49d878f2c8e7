// socket_tuning.hpp — per-socket TCP knobs of the baseline: congestion control, buffers, TCP_INFO.
//
// Plain file descriptors (no Asio), so tools and the lab can use them on any socket.
// Congestion control is chosen per socket with TCP_CONGESTION (tcp(7)); buffers are sized from the
// bandwidth-delay product (SO_SNDBUF/SO_RCVBUF = 2 × BDP, which also turns kernel autotuning off)
// and the kernel's cap (net.core.wmem_max / rmem_max) is reported, not hidden. Units: bytes, µs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "src/units.hpp"

namespace lh::xport::tcp {

// What the kernel granted for one buffer (SO_SNDBUF or SO_RCVBUF). Linux doubles the value it
// stores for bookkeeping overhead; `granted` is that stored value halved, comparable to `requested`.
struct BufferGrant {
  uint64_t requested = 0;  // bytes asked for (0: not set, kernel autotuning)
  uint64_t granted = 0;    // bytes the kernel stores for data (getsockopt / 2)
  bool capped() const { return requested != 0 && granted < requested; }
};

struct TcpInfoSample {
  uint32_t rtt_us = 0;            // smoothed RTT (tcpi_rtt)
  uint32_t rttvar_us = 0;
  uint32_t total_retrans = 0;     // segments retransmitted over the connection's life
  uint32_t segs_out = 0;
  uint64_t bytes_sent = 0;        // including retransmissions
  uint64_t bytes_acked = 0;       // stream bytes the peer's TCP has acknowledged (tcpi_bytes_acked)
  uint32_t snd_cwnd = 0;          // segments
};

// Per-socket buffer bytes for a path: 2 × BDP, BDP = rate × rtt / 8; 0 when either hint is 0.
uint64_t buffer_bytes_for(BitsPerSecond rate, Nanos rtt);

// The kernel's list (net.ipv4.tcp_available_congestion_control), e.g. "reno bbr cubic".
std::string available_congestion_controls();

// Sets TCP_CONGESTION on `fd` and reads it back. Throws TcpError(kConfig) naming the algorithm and
// what the kernel offers when it lacks it (ENOENT) or forbids it (EPERM).
void set_congestion_control(int fd, std::string_view name);
std::string congestion_control(int fd);

// Sets SO_SNDBUF (send) or SO_RCVBUF (!send) to `bytes` (if non-zero) and reports the grant.
// Call before connect()/listen() so the window scale is chosen for the final size.
BufferGrant size_buffer(int fd, bool send, uint64_t bytes);

// getsockopt(TCP_INFO); zeros when the socket has none (not connected, closed).
TcpInfoSample read_tcp_info(int fd);

}  // namespace lh::xport::tcp
