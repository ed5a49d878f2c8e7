// Integration tests for transport/io UdpRing over real loopback sockets: the feature probe, address
// parsing, and batched send/receive of thousands of datagrams with GSO/GRO on and forced off, every
// datagram's contents verified and each delivered exactly once.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "src/clock.hpp"
#include "transport/io/io_features.hpp"
#include "transport/io/socket_addr.hpp"
#include "transport/io/udp_ring.hpp"

namespace lh::xport::io {
namespace {

bool kernel_at_least(int major, int minor) {
  utsname u{};
  uname(&u);
  int ma = 0, mi = 0;
  std::sscanf(u.release, "%d.%d", &ma, &mi);
  return ma > major || (ma == major && mi >= minor);
}

// Byte k of datagram `seq`: a function of both, so a misplaced or mixed-up payload is detected.
uint8_t pattern(uint32_t seq, size_t k) { return static_cast<uint8_t>(seq * 131u + k * 7u + (k >> 8)); }

void fill(std::span<uint8_t> buf, uint32_t seq) {
  std::memcpy(buf.data(), &seq, sizeof(seq));
  for (size_t k = sizeof(seq); k < buf.size(); ++k) buf[k] = pattern(seq, k);
}

TEST(IoFeatures, ProbeReportsWhatThisKernelSupports) {
  const IoFeatures f = probe_io_features();
  ASSERT_TRUE(f.io_uring) << "io_uring unavailable: " << f.to_string();
  EXPECT_TRUE(f.op_sendmsg);
  EXPECT_TRUE(f.op_recvmsg);
  EXPECT_TRUE(f.op_timeout);
  if (kernel_at_least(5, 0)) {  // UDP_SEGMENT since 4.18, UDP_GRO since 5.0
    EXPECT_TRUE(f.udp_gso);
    EXPECT_TRUE(f.udp_gro);
  }
  if (kernel_at_least(5, 11)) {
    EXPECT_TRUE(f.ext_arg);
  }
  // The probe agrees with asking the kernel directly.
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  const int seg = 1000;
  EXPECT_EQ(f.udp_gso, setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)) == 0);
  close(fd);
  EXPECT_NE(f.to_string().find("sendmsg"), std::string::npos);
}

TEST(SocketAddr, ParsesAndFormatsV4AndV6) {
  EXPECT_EQ(SocketAddr::parse("127.0.0.1:9000").to_string(), "127.0.0.1:9000");
  EXPECT_EQ(SocketAddr::parse("[::1]:443").to_string(), "[::1]:443");
  EXPECT_EQ(SocketAddr::parse("[::1]:443").family(), AF_INET6);
  EXPECT_EQ(SocketAddr::parse("127.0.0.1:9000"), SocketAddr::parse("127.0.0.1:9000"));
  EXPECT_FALSE(SocketAddr::parse("127.0.0.1:9000") == SocketAddr::parse("127.0.0.1:9001"));
}

TEST(SocketAddr, RefusesBadTextWithReason) {
  auto error_of = [](const char* text) -> std::string {
    try {
      SocketAddr::parse(text);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "<no error>";
  };
  EXPECT_NE(error_of("127.0.0.1").find("missing \":PORT\""), std::string::npos);
  EXPECT_NE(error_of("127.0.0.1:70000").find("port must be"), std::string::npos);
  EXPECT_NE(error_of("::1:80").find("brackets"), std::string::npos);
  EXPECT_NE(error_of("[::1:80").find("unclosed"), std::string::npos);
  EXPECT_NE(error_of(":80").find("empty host"), std::string::npos);
}

struct Case {
  bool gso;
  bool gro;
  bool ipv6;
  bool multishot = true;
};

class UdpRingLoopback : public ::testing::TestWithParam<Case> {};

TEST_P(UdpRingLoopback, BatchedDatagramsArriveIntactExactlyOnce) {
  const Case c = GetParam();
  const char* any = c.ipv6 ? "[::1]:0" : "127.0.0.1:0";
  UdpRing rx_ring({.bind = SocketAddr::parse(any), .max_datagram = 1472, .tx_slots = 8, .rx_buffers = 64,
                   .allow_gso = c.gso, .allow_gro = c.gro, .allow_multishot = c.multishot});
  UdpRing tx_ring({.bind = SocketAddr::parse(any), .max_datagram = 1472, .tx_slots = 256, .rx_buffers = 4,
                   .allow_gso = c.gso, .allow_gro = c.gro, .allow_multishot = c.multishot});
  if (!c.multishot) {
    ASSERT_FALSE(rx_ring.multishot_active());
  } else if (kernel_at_least(6, 0)) {
    ASSERT_TRUE(rx_ring.multishot_active());
  }
  ASSERT_EQ(tx_ring.gso_active(), c.gso && tx_ring.features().udp_gso);
  ASSERT_EQ(rx_ring.gro_active(), c.gro && rx_ring.features().udp_gro);
  const SocketAddr dest = rx_ring.local();
  ASSERT_NE(dest.port(), 0);

  constexpr uint32_t kTotal = 4000;
  constexpr uint32_t kChunk = 64;  // sent before draining the receiver: stays far below SO_RCVBUF
  // Mostly 1200-byte datagrams (GSO runs); every 37th is short, which must end a GSO batch.
  auto size_of = [](uint32_t seq) -> size_t { return seq % 37 == 36 ? 300 + seq % 100 : 1200; };
  std::vector<uint8_t> seen(kTotal, 0);
  uint32_t next = 0, received = 0, bad = 0;
  MonotonicClock clock;
  const Nanos deadline = clock.now() + Nanos::from_s(10);
  while (received < kTotal && clock.now() < deadline) {
    if (next < kTotal && next - received < kChunk * 2) {
      for (uint32_t k = 0; k < kChunk && next < kTotal && !tx_ring.tx_buffer().empty(); ++k, ++next) {
        std::span<uint8_t> buf = tx_ring.tx_buffer().first(size_of(next));
        fill(buf, next);
        tx_ring.tx_commit(buf.size(), dest);
      }
      tx_ring.flush();
    }
    tx_ring.poll(Nanos{0});
    for (const RxDatagram& d : rx_ring.poll(Nanos::from_ms(1))) {
      uint32_t seq = 0;
      ASSERT_GE(d.data.size(), sizeof(seq));
      std::memcpy(&seq, d.data.data(), sizeof(seq));
      ASSERT_LT(seq, kTotal);
      EXPECT_EQ(seen[seq], 0) << "duplicate " << seq;
      seen[seq] = 1;
      ++received;
      if (d.data.size() != size_of(seq)) ++bad;
      for (size_t k = sizeof(seq); k < d.data.size(); ++k) {
        if (d.data[k] != pattern(seq, k)) {
          ++bad;
          break;
        }
      }
      EXPECT_EQ(*d.from, tx_ring.local());
    }
    rx_ring.release_received();
  }
  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(bad, 0u);
  const UdpRingStats& ts = tx_ring.stats();
  const UdpRingStats& rs = rx_ring.stats();
  EXPECT_EQ(ts.tx_datagrams, kTotal);
  EXPECT_EQ(ts.tx_errors, 0u);
  EXPECT_EQ(rs.rx_datagrams, kTotal);
  EXPECT_EQ(rs.rx_truncated, 0u);
  EXPECT_EQ(rs.rx_errors, 0u);
  if (tx_ring.gso_active()) {
    EXPECT_GT(ts.tx_gso_batches, 0u);
    EXPECT_LT(ts.tx_sendmsg, kTotal / 4) << "GSO should batch runs of equal-size datagrams";
  } else {
    EXPECT_EQ(ts.tx_gso_batches, 0u);
    EXPECT_EQ(ts.tx_sendmsg, kTotal);
  }
  if (rx_ring.gro_active() && tx_ring.gso_active()) {
    // Loopback hands a GSO super-datagram to a GRO socket whole: the ring must split it.
    EXPECT_GT(rs.rx_gro_coalesced, 0u);
    EXPECT_LT(rs.rx_completions, kTotal);
  } else if (!rx_ring.gro_active()) {
    EXPECT_EQ(rs.rx_gro_coalesced, 0u);
    EXPECT_EQ(rs.rx_completions, kTotal);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, UdpRingLoopback,
                         ::testing::Values(Case{true, true, false}, Case{false, true, false}, Case{true, false, false},
                                           Case{false, false, false}, Case{true, true, true},
                                           Case{true, true, false, false}, Case{false, false, false, false}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.gso ? "Gso" : "NoGso") + (param_info.param.gro ? "Gro" : "NoGro") +
                                  (param_info.param.ipv6 ? "V6" : "V4") + (param_info.param.multishot ? "" : "SingleShot");
                         });

TEST(UdpRing, BindFailureNamesTheAddress) {
  UdpRing first({.bind = SocketAddr::parse("127.0.0.1:0")});
  try {
    UdpRing second({.bind = first.local()});
    FAIL() << "second bind to the same port succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bind(" + first.local().to_string() + ")"), std::string::npos) << e.what();
  }
}

TEST(UdpRing, ReleasesItsPortWhenDestroyed) {
  SocketAddr addr;
  {
    UdpRing first({.bind = SocketAddr::parse("127.0.0.1:0")});
    addr = first.local();
  }
  // Without a synchronous teardown the kernel frees the socket later, asynchronously (EADDRINUSE).
  UdpRing second({.bind = addr});
  EXPECT_EQ(second.local(), addr);
}

}  // namespace
}  // namespace lh::xport::io
