// socket_tuning.cpp — see socket_tuning.hpp. <linux/tcp.h> (not glibc's <netinet/tcp.h>) for the
// full struct tcp_info (segs_out, bytes_sent).
#include "transport/tcp/socket_tuning.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <string>

#include "transport/tcp/tcp_error.hpp"

namespace lh::xport::tcp {
namespace {

constexpr size_t kCaNameMax = 16;  // TCP_CA_NAME_MAX of the kernel (not exported to user space)

std::string read_proc_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return in ? line : std::string("unknown");
}

}  // namespace

uint64_t buffer_bytes_for(BitsPerSecond rate, Nanos rtt) {
  if (rate.bps == 0 || rtt.ns <= 0) return 0;
  const unsigned __int128 bits = static_cast<unsigned __int128>(rate.bps) * static_cast<uint64_t>(rtt.ns);
  return static_cast<uint64_t>(bits / 8 / 1'000'000'000) * 2;
}

std::string available_congestion_controls() {
  return read_proc_line("/proc/sys/net/ipv4/tcp_available_congestion_control");
}

void set_congestion_control(int fd, std::string_view name) {
  if (name.empty() || name.size() >= kCaNameMax) {
    throw TcpError(TcpError::Kind::kConfig, "TCP congestion control \"" + std::string(name) +
                                                "\": a name of 1 to 15 characters, e.g. cubic, bbr or reno");
  }
  const std::string n(name);
  if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, n.data(), static_cast<socklen_t>(n.size())) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      throw TcpError(TcpError::Kind::kConfig, "TCP congestion control \"" + n + "\" is not available in this kernel (available: " +
                                                  available_congestion_controls() + ")");
    }
    if (err == EPERM) {
      throw TcpError(TcpError::Kind::kConfig,
                     "TCP congestion control \"" + n + "\" is not allowed for this user (allowed: " +
                         read_proc_line("/proc/sys/net/ipv4/tcp_allowed_congestion_control") + ")");
    }
    throw TcpError(TcpError::Kind::kConfig, "setsockopt(TCP_CONGESTION, " + n + "): " + std::strerror(err));
  }
  const std::string got = congestion_control(fd);
  if (got != n) {
    throw TcpError(TcpError::Kind::kConfig, "TCP congestion control \"" + n + "\" requested but the socket uses \"" + got + "\"");
  }
}

std::string congestion_control(int fd) {
  char buf[kCaNameMax] = {};
  socklen_t len = sizeof(buf);
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf, &len) != 0) return {};
  return std::string(buf, strnlen(buf, len));
}

BufferGrant size_buffer(int fd, bool send, uint64_t bytes) {
  const int opt = send ? SO_SNDBUF : SO_RCVBUF;
  const char* name = send ? "SO_SNDBUF" : "SO_RCVBUF";
  BufferGrant g{.requested = bytes};
  if (bytes != 0) {
    // The kernel takes an int and doubles it; larger requests are clamped to what it can store.
    const int v = bytes > static_cast<uint64_t>(INT_MAX / 2) ? INT_MAX / 2 : static_cast<int>(bytes);
    if (setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)) != 0) {
      throw TcpError(TcpError::Kind::kConfig, std::string("setsockopt(") + name + ", " + std::to_string(bytes) +
                                                  "): " + std::strerror(errno));
    }
  }
  int got = 0;
  socklen_t len = sizeof(got);
  if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) != 0) {
    throw TcpError(TcpError::Kind::kConfig, std::string("getsockopt(") + name + "): " + std::strerror(errno));
  }
  g.granted = static_cast<uint64_t>(got) / 2;
  return g;
}

TcpInfoSample read_tcp_info(int fd) {
  struct tcp_info ti;
  std::memset(&ti, 0, sizeof(ti));
  socklen_t len = sizeof(ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return {};
  return {.rtt_us = ti.tcpi_rtt, .rttvar_us = ti.tcpi_rttvar, .total_retrans = ti.tcpi_total_retrans,
          .segs_out = ti.tcpi_segs_out, .bytes_sent = ti.tcpi_bytes_sent,
          .bytes_acked = ti.tcpi_bytes_acked, .snd_cwnd = ti.tcpi_snd_cwnd};
}

}  // namespace lh::xport::tcp
