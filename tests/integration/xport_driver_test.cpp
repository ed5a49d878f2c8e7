// Integration tests for transport/io Driver: a window-limited counting client and an echo server,
// each driven by its own Driver thread over loopback, with GSO/GRO on and forced off; plus a timer
// engine that checks deadlines are honoured through io_uring waits (never early).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "transport/io/driver.hpp"

namespace lh::xport::io {
namespace {

uint8_t pattern(uint32_t seq, size_t k) { return static_cast<uint8_t>(seq * 29u + k * 13u + 5u); }

// Echoes every datagram back to its sender. Fixed-capacity queue: copies, never allocates.
class EchoEngine {
 public:
  void on_datagram(std::span<const uint8_t> in, const SocketAddr& from, Nanos) {
    if (count_ == kCap || in.size() > kMax) {
      ++dropped_;
      return;
    }
    Item& it = items_[(head_ + count_) % kCap];
    std::memcpy(it.bytes.data(), in.data(), in.size());
    it.len = in.size();
    it.to = from;
    ++count_;
  }
  size_t poll_transmit(Nanos, std::span<uint8_t> out, SocketAddr& to) {
    if (count_ == 0) return 0;
    Item& it = items_[head_];
    if (it.len > out.size()) return 0;
    std::memcpy(out.data(), it.bytes.data(), it.len);
    to = it.to;
    head_ = (head_ + 1) % kCap;
    --count_;
    return it.len;
  }
  Nanos next_timeout() const { return Nanos::max(); }
  void on_timeout(Nanos) {}
  uint64_t dropped() const { return dropped_; }

 private:
  static constexpr size_t kCap = 1024;
  static constexpr size_t kMax = 1472;
  struct Item {
    std::array<uint8_t, kMax> bytes;
    size_t len = 0;
    SocketAddr to;
  };
  std::vector<Item> items_ = std::vector<Item>(kCap);
  size_t head_ = 0, count_ = 0;
  uint64_t dropped_ = 0;
};

// Sends `total` numbered datagrams keeping at most `window` unechoed; verifies each echo.
class CountingClient {
 public:
  CountingClient(SocketAddr peer, uint32_t total, uint32_t window, size_t size)
      : peer_(peer), total_(total), window_(window), size_(size), seen_(total, 0) {}

  void on_datagram(std::span<const uint8_t> in, const SocketAddr& from, Nanos) {
    uint32_t seq = 0;
    if (in.size() != size_ || !(from == peer_)) {
      ++bad_;
      return;
    }
    std::memcpy(&seq, in.data(), sizeof(seq));
    if (seq >= total_ || seen_[seq]) {
      ++bad_;
      return;
    }
    for (size_t k = sizeof(seq); k < in.size(); ++k) {
      if (in[k] != pattern(seq, k)) {
        ++bad_;
        return;
      }
    }
    seen_[seq] = 1;
    ++echoed_;
  }
  size_t poll_transmit(Nanos, std::span<uint8_t> out, SocketAddr& to) {
    if (sent_ == total_ || sent_ - echoed_ >= window_ || out.size() < size_) return 0;
    const uint32_t seq = sent_++;
    std::memcpy(out.data(), &seq, sizeof(seq));
    for (size_t k = sizeof(seq); k < size_; ++k) out[k] = pattern(seq, k);
    to = peer_;
    return size_;
  }
  Nanos next_timeout() const { return Nanos::max(); }
  void on_timeout(Nanos) {}

  bool done() const { return echoed_ == total_; }
  uint32_t echoed() const { return echoed_; }
  uint32_t bad() const { return bad_; }

 private:
  SocketAddr peer_;
  uint32_t total_, window_;
  size_t size_;
  std::vector<uint8_t> seen_;
  uint32_t sent_ = 0, echoed_ = 0, bad_ = 0;
};

static_assert(DatagramEngine<EchoEngine>);
static_assert(DatagramEngine<CountingClient>);

struct Modes {
  bool gso;
  bool gro;
  bool multishot = true;
};

class DriverLoopback : public ::testing::TestWithParam<Modes> {};

TEST_P(DriverLoopback, EchoesEveryDatagramIntact) {
  const Modes m = GetParam();
  const UdpRingConfig base{.bind = SocketAddr::parse("127.0.0.1:0"), .tx_slots = 256, .rx_buffers = 64,
                           .allow_gso = m.gso, .allow_gro = m.gro, .allow_multishot = m.multishot};
  // A ring belongs to the thread that builds it: the echo server builds and drives its own.
  std::atomic<bool> stop{false};
  std::atomic<uint16_t> server_port{0};
  EchoEngine echo;
  DriverStats server_stats;
  UdpRingStats server_ring_stats;
  bool server_gro = false;
  std::thread server_thread([&] {
    UdpRing server_ring(base);
    Driver<EchoEngine> server(server_ring, echo);
    server_port = server_ring.local().port();
    server.run_until([&] { return stop.load(); }, server.now() + Nanos::from_s(20));
    server_stats = server.stats();
    server_ring_stats = server_ring.stats();
    server_gro = server_ring.gro_active();
  });
  MonotonicClock clock;
  const Nanos start_deadline = clock.now() + Nanos::from_s(5);
  while (server_port.load() == 0 && clock.now() < start_deadline) std::this_thread::yield();
  ASSERT_NE(server_port.load(), 0) << "server ring did not come up";

  UdpRing client_ring(base);
  constexpr uint32_t kTotal = 20000;
  CountingClient client(SocketAddr::parse("127.0.0.1:" + std::to_string(server_port.load())), kTotal, 128, 1400);
  Driver<CountingClient> driver(client_ring, client);
  const bool finished = driver.run_until([&] { return client.done(); }, driver.now() + Nanos::from_s(15));
  stop = true;
  server_thread.join();

  EXPECT_TRUE(finished) << "echoed " << client.echoed() << " of " << kTotal;
  EXPECT_EQ(client.bad(), 0u);
  EXPECT_EQ(echo.dropped(), 0u);
  EXPECT_EQ(driver.stats().datagrams_out, kTotal);
  EXPECT_EQ(server_stats.datagrams_in, kTotal);
  if (client_ring.gso_active()) {
    EXPECT_GT(client_ring.stats().tx_gso_batches, 0u);
  } else {
    EXPECT_EQ(client_ring.stats().tx_sendmsg, kTotal);
  }
  if (!server_gro) {
    EXPECT_EQ(server_ring_stats.rx_gro_coalesced, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(All, DriverLoopback,
                         ::testing::Values(Modes{true, true}, Modes{false, false}, Modes{true, false},
                                           Modes{true, true, false}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.gso ? "Gso" : "NoGso") + (param_info.param.gro ? "Gro" : "NoGro") +
                                  (param_info.param.multishot ? "" : "SingleShot");
                         });

// Asks for a timeout every `period`; records how late (never early) each one fires.
class TimerEngine {
 public:
  explicit TimerEngine(Nanos first, Nanos period) : deadline_(first), period_(period) {}
  void on_datagram(std::span<const uint8_t>, const SocketAddr&, Nanos) {}
  size_t poll_transmit(Nanos, std::span<uint8_t>, SocketAddr&) { return 0; }
  Nanos next_timeout() const { return deadline_; }
  void on_timeout(Nanos now) {
    if (now < deadline_) {
      ++early_;
      return;
    }
    ++fired_;
    deadline_ = now + period_;
  }
  uint32_t fired_ = 0, early_ = 0;

 private:
  Nanos deadline_;
  Nanos period_;
};

TEST(Driver, SleepsUntilTheEngineDeadlineAndFiresIt) {
  UdpRing ring({.bind = SocketAddr::parse("127.0.0.1:0"), .tx_slots = 4, .rx_buffers = 4});
  MonotonicClock clock;
  TimerEngine timers(clock.now() + Nanos::from_ms(2), Nanos::from_ms(2));
  Driver<TimerEngine> driver(ring, timers);
  const bool ok = driver.run_until([&] { return timers.fired_ >= 20; }, clock.now() + Nanos::from_s(10));
  EXPECT_TRUE(ok);
  EXPECT_EQ(timers.early_, 0u);
  // The loop slept in io_uring rather than spinning: far fewer turns than a busy loop would make.
  EXPECT_LT(driver.stats().turns, 2000u);
}

}  // namespace
}  // namespace lh::xport::io
