// tcp_xfer_test.cpp — the TCP baseline over loopback: run_tcp_receiver on a thread, run_tcp_sender
// here. 256 MiB over 1 and 8 streams with cubic and bbr arrives with every shard verified (16 MiB
// shards through a 4-slot ring, so slots are reused); the JSON summary has lh-xfer's fields with sane
// values; an unknown congestion control, an unreachable or silent peer and a refused ring are clear
// errors; SO_SNDBUF requests above net.core.wmem_max are reported as capped; the receiver flags a
// wrong checksum or misplaced shard and closes on out-of-bounds chunks; a transfer stopped by the
// duration limit (a receiver that stops reading) reports the payload delivered so far, incomplete. Bounded: every wait has
// a deadline (connect timeout, duration limit, receiver stop flag).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include <xxhash.h>

#include <vector>

#include "transport/tcp/tcp_wire.hpp"
#include "transport/tcp/tcp_xfer.hpp"
#include "transport/tools/xfer_pattern.hpp"

namespace lh::xport::tcp {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

// A receiver on 127.0.0.1:<any> on its own thread; stopped and joined by the destructor.
class ReceiverThread {
 public:
  explicit ReceiverThread(TcpReceiverOptions o) : opt_(std::move(o)) {
    opt_.listen = "127.0.0.1:0";
    opt_.quiet = true;
    opt_.stop = &stop_;
    opt_.on_listening = [this](uint16_t port, const BufferGrant&) {
      std::lock_guard lk(mu_);
      port_ = port;
      cv_.notify_all();
    };
    thread_ = std::thread([this] {
      try {
        result_ = run_tcp_receiver(opt_);
      } catch (const std::exception& e) {
        std::lock_guard lk(mu_);
        error_ = e.what();
      }
      std::lock_guard lk(mu_);
      ended_ = true;
      cv_.notify_all();
    });
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, std::chrono::seconds(10), [this] { return port_ != 0 || !error_.empty(); });
  }
  ~ReceiverThread() { stop(); }
  ReceiverThread(const ReceiverThread&) = delete;
  ReceiverThread& operator=(const ReceiverThread&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }
  // For a `once` receiver: waits (10 s at most) until it returns by itself, then stops and joins.
  const TcpReceiverResult& wait_done() {
    {
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, std::chrono::seconds(10), [this] { return ended_; });
    }
    return stop();
  }
  // Stops (if still running) and joins; the result of the receiver's run.
  const TcpReceiverResult& stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  TcpReceiverOptions opt_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint16_t port_ = 0;
  bool ended_ = false;
  std::string error_;
  TcpReceiverResult result_;
  std::thread thread_;
};

// A loopback TCP listener on an ephemeral port: returns the socket, `port` gets its number.
int listen_loopback(int backlog, uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(listen(fd, backlog), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  port = ntohs(a.sin_port);
  return fd;
}

// A loopback port with nothing listening: open a listener on an ephemeral port, then close it.
uint16_t closed_port() {
  uint16_t port = 0;
  close(listen_loopback(1, port));
  return port;
}

uint64_t read_sysctl_u64(const char* path) {
  std::ifstream in(path);
  uint64_t v = 0;
  in >> v;
  return v;
}

struct Case {
  uint32_t streams;
  const char* cc;
};

class TcpXferTransfer : public ::testing::TestWithParam<Case> {};

TEST_P(TcpXferTransfer, QuarterGibArrivesVerifiedWithSaneSummary) {
  const Case c = GetParam();
  ReceiverThread rx({.once = true, .max_region = 256 * kMiB});
  ASSERT_TRUE(rx.error().empty()) << rx.error();
  ASSERT_NE(rx.port(), 0);

  TcpSenderOptions o{.to = rx.address(), .size = 256 * kMiB, .shard = 16 * kMiB, .slots = 4,
                     .streams = c.streams, .cc = c.cc, .duration_limit = Nanos::from_s(60)};
  TcpSenderResult r = run_tcp_sender(o);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.timed_out);
  const tools::XferSummary& s = r.summary;
  EXPECT_TRUE(s.complete);
  EXPECT_TRUE(s.server_report);
  EXPECT_EQ(s.bytes, 256 * kMiB);
  EXPECT_EQ(s.shards, 16u);
  EXPECT_EQ(s.verified_shards, 16u);
  EXPECT_EQ(s.bad_shards, 0u);
  EXPECT_EQ(s.shard_ns.size(), 16u);

  const TcpReceiverResult& rr = rx.wait_done();
  EXPECT_EQ(rr.transfers, 1u);
  EXPECT_EQ(rr.transfers_ok, 1u);
  EXPECT_EQ(rr.verified_shards, 16u);
  EXPECT_EQ(rr.verified_bytes, 256 * kMiB);

  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j.at("transport"), "tcp");
  EXPECT_EQ(j.at("cc"), c.cc);
  EXPECT_EQ(j.at("streams"), c.streams);
  EXPECT_EQ(j.at("bytes"), 256 * kMiB);
  EXPECT_GT(j.at("seconds").get<double>(), 0.0);
  EXPECT_GT(j.at("bits_per_second").get<double>(), 0.0);
  ASSERT_TRUE(j.at("retransmits").is_number_unsigned());
  EXPECT_GT(j.at("packets_sent").get<uint64_t>(), 0u);
  EXPECT_GE(j.at("bytes_sent").get<uint64_t>(), 256 * kMiB);
  const auto& rtt = j.at("rtt_us");
  ASSERT_GT(rtt.at("count").get<uint64_t>(), 0u);
  EXPECT_GT(rtt.at("min").get<double>(), 0.0);
  EXPECT_LE(rtt.at("min").get<double>(), rtt.at("p50").get<double>());
  EXPECT_LE(rtt.at("p50").get<double>(), rtt.at("p90").get<double>());
  EXPECT_LE(rtt.at("p90").get<double>(), rtt.at("p95").get<double>());
  EXPECT_LE(rtt.at("p95").get<double>(), rtt.at("p99").get<double>());
  EXPECT_LE(rtt.at("p99").get<double>(), rtt.at("max").get<double>());
  const auto& sh = j.at("shard_us");
  EXPECT_EQ(sh.at("count"), 16u);
  EXPECT_LE(sh.at("p50").get<double>(), sh.at("max").get<double>());
  EXPECT_GT(sh.at("min").get<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(StreamsAndCc, TcpXferTransfer,
                         ::testing::Values(Case{1, "cubic"}, Case{8, "cubic"}, Case{1, "bbr"}, Case{8, "bbr"}),
                         [](const auto& p) { return std::string(p.param.cc) + "_" + std::to_string(p.param.streams); });

TEST(TcpXfer, UnknownCongestionControlIsAClearConfigErrorBeforeConnecting) {
  // Nothing listens there: the congestion-control check must come first.
  TcpSenderOptions o{.to = "127.0.0.1:" + std::to_string(closed_port()), .size = kMiB, .shard = kMiB, .cc = "nosuchcc"};
  try {
    run_tcp_sender(o);
    FAIL() << "expected TcpError";
  } catch (const TcpError& e) {
    EXPECT_EQ(e.kind(), TcpError::Kind::kConfig);
    EXPECT_NE(std::string(e.what()).find("\"nosuchcc\" is not available in this kernel (available: "), std::string::npos)
        << e.what();
  }
}

TEST(TcpXfer, RefusedConnectionIsUnreachable) {
  const std::string to = "127.0.0.1:" + std::to_string(closed_port());
  TcpSenderOptions o{.to = to, .size = kMiB, .shard = kMiB, .connect_timeout = Nanos::from_s(2)};
  try {
    run_tcp_sender(o);
    FAIL() << "expected TcpError";
  } catch (const TcpError& e) {
    EXPECT_EQ(e.kind(), TcpError::Kind::kUnreachable);
    EXPECT_EQ(std::string(e.what()), "connect to " + to + ": Connection refused");
  }
}

TEST(TcpXfer, SilentPeerTimesOutAtTheConnectDeadline) {
  // A listener that never accepts: connect succeeds through the backlog, READY never comes.
  uint16_t port = 0;
  const int fd = listen_loopback(16, port);
  ASSERT_NE(port, 0);
  TcpSenderOptions o{.to = "127.0.0.1:" + std::to_string(port), .size = kMiB, .shard = kMiB,
                     .streams = 2, .connect_timeout = Nanos::from_ms(300)};
  const auto t0 = std::chrono::steady_clock::now();
  try {
    run_tcp_sender(o);
    FAIL() << "expected TcpError";
  } catch (const TcpError& e) {
    EXPECT_EQ(e.kind(), TcpError::Kind::kUnreachable);
    EXPECT_NE(std::string(e.what()).find("no answer from " + o.to + " within 300ms (0 of 2 streams ready)"),
              std::string::npos)
        << e.what();
  }
  // The deadline bounds the wait (generous margin for a loaded CI box; not a performance claim).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  close(fd);
}

TEST(TcpXfer, ReceiverRefusesARingAboveMaxRegion) {
  ReceiverThread rx({.once = true, .max_region = kMiB});
  ASSERT_NE(rx.port(), 0) << rx.error();
  TcpSenderOptions o{.to = rx.address(), .size = 8 * kMiB, .shard = 2 * kMiB, .slots = 2, .streams = 2};
  try {
    run_tcp_sender(o);
    FAIL() << "expected TcpError";
  } catch (const TcpError& e) {
    EXPECT_EQ(e.kind(), TcpError::Kind::kRefused);
    EXPECT_NE(std::string(e.what()).find("exceeds its --max-region"), std::string::npos) << e.what();
  }
  const TcpReceiverResult& rr = rx.wait_done();
  EXPECT_EQ(rr.transfers, 1u);
  EXPECT_EQ(rr.transfers_ok, 0u);
}

TEST(TcpXfer, SendBufferAboveWmemMaxIsReportedCapped) {
  const uint64_t wmem_max = read_sysctl_u64("/proc/sys/net/core/wmem_max");
  ASSERT_GT(wmem_max, 64 * 1024u);
  {
    ReceiverThread rx({.once = true});
    ASSERT_NE(rx.port(), 0) << rx.error();
    TcpSenderOptions big{.to = rx.address(), .size = 4 * kMiB, .shard = kMiB, .buffer_bytes = wmem_max * 4};
    TcpSenderResult r = run_tcp_sender(big);
    EXPECT_TRUE(r.summary.complete) << r.error;
    EXPECT_EQ(r.sndbuf.requested, wmem_max * 4);
    EXPECT_TRUE(r.sndbuf.capped());
    EXPECT_EQ(r.sndbuf.granted, wmem_max);
    EXPECT_EQ(to_json(r).at("sndbuf_capped"), true);
    EXPECT_EQ(rx.wait_done().transfers_ok, 1u);
  }
  {
    ReceiverThread rx({.once = true});
    ASSERT_NE(rx.port(), 0) << rx.error();
    TcpSenderOptions small{.to = rx.address(), .size = 4 * kMiB, .shard = kMiB, .buffer_bytes = 64 * 1024};
    TcpSenderResult r = run_tcp_sender(small);
    EXPECT_TRUE(r.summary.complete) << r.error;
    EXPECT_FALSE(r.sndbuf.capped());
    EXPECT_EQ(r.sndbuf.granted, 64 * 1024u);
    EXPECT_EQ(to_json(r).at("sndbuf_capped"), false);
    EXPECT_EQ(rx.wait_done().transfers_ok, 1u);
  }
}

TEST(TcpXfer, OddSizesAndMoreStreamsThanPagesStillVerify) {
  ReceiverThread rx({.once = true});
  ASSERT_NE(rx.port(), 0) << rx.error();
  // 5 shards of 12 KiB + a 1001-byte tail; 8 streams share 3 pages per shard (some stripes empty).
  TcpSenderOptions o{.to = rx.address(), .size = 5 * 12288 + 1001, .shard = 12288, .slots = 2, .streams = 8};
  TcpSenderResult r = run_tcp_sender(o);
  EXPECT_TRUE(r.summary.complete) << r.error;
  EXPECT_EQ(r.summary.verified_shards, 6u);
  EXPECT_EQ(r.summary.bad_shards, 0u);
  EXPECT_EQ(rx.wait_done().verified_bytes, 5 * 12288u + 1001u);
}

// A hand-driven sender on a raw socket (5 s receive deadline), to show the receiver's checks.
class RawStream {
 public:
  explicit RawStream(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawStream() { close(fd_); }
  RawStream(const RawStream&) = delete;
  RawStream& operator=(const RawStream&) = delete;

  bool connected() const { return connected_; }
  bool send_all(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    while (n > 0) {
      const ssize_t w = ::send(fd_, b, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      b += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  // The next frame, or nullopt on EOF / error / deadline.
  std::optional<Frame> recv_frame() {
    Frame f;
    auto* b = reinterpret_cast<uint8_t*>(&f);
    size_t got = 0;
    while (got < sizeof(f)) {
      const ssize_t r = ::recv(fd_, b + got, sizeof(f) - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return f;
  }

 private:
  int fd_;
  bool connected_ = false;
};

constexpr uint64_t kSeed = 42;
constexpr uint64_t kShard = 8192;

// One stream, two 8 KiB shards through one slot; returns the stream after READY.
std::unique_ptr<RawStream> handshake(uint16_t port) {
  auto s = std::make_unique<RawStream>(port);
  EXPECT_TRUE(s->connected());
  const Frame hello{.type = FrameType::kHello, .x = 0, .y = 1, .z = 1, .a = 2 * kShard, .b = kShard, .c = kSeed, .d = 7};
  EXPECT_TRUE(s->send_all(&hello, sizeof(hello)));
  const auto ready = s->recv_frame();
  EXPECT_TRUE(ready && ready->type == FrameType::kReady && ready->x == 0) << "no READY";
  return s;
}

void send_chunk(RawStream& s, uint64_t shard, const std::vector<uint8_t>& data, uint64_t hash) {
  const Frame chunk{.type = FrameType::kChunk, .a = shard, .b = 0, .c = data.size(), .d = hash};
  ASSERT_TRUE(s.send_all(&chunk, sizeof(chunk)));
  ASSERT_TRUE(s.send_all(data.data(), data.size()));
}

TEST(TcpXferReceiver, FlagsAChecksumMismatchAndMisplacedShard) {
  ReceiverThread rx({.once = true});
  ASSERT_NE(rx.port(), 0) << rx.error();
  auto s = handshake(rx.port());
  std::vector<uint8_t> data(kShard);
  tools::fill_shard(data, 0, kSeed);
  // Shard 0 with a checksum that is not its own: the bytes are right, the sender's hash disagrees.
  send_chunk(*s, 0, data, XXH3_64bits(data.data(), data.size()) ^ 1);
  auto done = s->recv_frame();
  ASSERT_TRUE(done && done->type == FrameType::kShardDone);
  EXPECT_EQ(done->a, 0u);
  EXPECT_EQ(done->x, static_cast<uint32_t>(ShardStatus::kChecksumMismatch));
  // Shard 1 carrying shard 0's pattern with a matching hash: the placement pattern catches it.
  send_chunk(*s, 1, data, XXH3_64bits(data.data(), data.size()));
  done = s->recv_frame();
  ASSERT_TRUE(done && done->type == FrameType::kShardDone);
  EXPECT_EQ(done->a, 1u);
  EXPECT_EQ(done->x, static_cast<uint32_t>(ShardStatus::kPatternMismatch));
  const auto report = s->recv_frame();
  ASSERT_TRUE(report && report->type == FrameType::kReport);
  EXPECT_EQ(report->a, 0u);
  EXPECT_EQ(report->b, 2u);
  s.reset();
  const TcpReceiverResult& rr = rx.wait_done();
  EXPECT_EQ(rr.transfers, 1u);
  EXPECT_EQ(rr.transfers_ok, 0u);
  EXPECT_EQ(rr.bad_shards, 2u);
}

TEST(TcpXferReceiver, ClosesOnAChunkOutsideItsShardOrSlot) {
  ReceiverThread rx({.once = false});
  ASSERT_NE(rx.port(), 0) << rx.error();
  std::vector<uint8_t> data(kShard);
  {
    auto s = handshake(rx.port());
    const Frame chunk{.type = FrameType::kChunk, .a = 0, .b = 4096, .c = kShard, .d = 0};  // runs past the shard
    ASSERT_TRUE(s->send_all(&chunk, sizeof(chunk)));
    EXPECT_FALSE(s->recv_frame().has_value()) << "the receiver must close the transfer";
  }
  {
    auto s = handshake(rx.port());
    send_chunk(*s, 1, data, 0);  // shard 1 shares slot 0 with shard 0, which is not done
    EXPECT_FALSE(s->recv_frame().has_value()) << "the receiver must close the transfer";
  }
  const TcpReceiverResult& rr = rx.stop();
  EXPECT_EQ(rr.transfers, 2u);
  EXPECT_EQ(rr.transfers_ok, 0u);
}

// A receiver that answers READY, reads `take` bytes of chunks and then stops reading (no SHARD_DONE):
// the sender can only end by its duration limit. Blocking sockets, every wait bounded by poll().
class StallingReceiver {
 public:
  explicit StallingReceiver(uint64_t take) : take_(take) {
    listen_fd_ = listen_loopback(4, port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~StallingReceiver() {
    done_.store(true);
    thread_.join();
    if (conn_ >= 0) close(conn_);
    close(listen_fd_);
  }
  StallingReceiver(const StallingReceiver&) = delete;
  StallingReceiver& operator=(const StallingReceiver&) = delete;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint64_t taken() const { return taken_.load(); }

 private:
  bool wait_readable(int fd) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    for (int i = 0; i < 200 && !done_.load(); ++i) {   // 10 s at most
      if (poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }
  bool read_exact(void* dst, size_t n) {
    auto* b = static_cast<uint8_t*>(dst);
    while (n > 0) {
      if (!wait_readable(conn_)) return false;
      const ssize_t r = ::recv(conn_, b, n, 0);
      if (r <= 0) return false;
      b += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  void serve() {
    if (!wait_readable(listen_fd_)) return;
    conn_ = accept(listen_fd_, nullptr, nullptr);
    Frame hello;
    if (conn_ < 0 || !read_exact(&hello, sizeof(hello))) return;
    const Frame ready{.type = FrameType::kReady, .x = 0, .z = hello.z, .a = hello.z * hello.b};
    if (::send(conn_, &ready, sizeof(ready), MSG_NOSIGNAL) != sizeof(ready)) return;
    std::vector<uint8_t> sink(64 * 1024);
    while (taken_.load() < take_) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(sink.size(), take_ - taken_.load()));
      if (!read_exact(sink.data(), n)) return;
      taken_ += n;
    }
    while (!done_.load()) wait_readable(-1);   // hold the connection open, reading nothing more
  }

  const uint64_t take_;
  int listen_fd_ = -1, conn_ = -1;
  uint16_t port_ = 0;
  std::atomic<uint64_t> taken_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST(TcpXfer, DurationLimitReportsThePayloadDeliveredSoFar) {
  // The receiver reads 3 MiB + 100 KiB of the first 16 MiB shard and never completes a shard.
  const uint64_t take = 3 * kMiB + 100 * 1024;
  StallingReceiver rx(take);
  TcpSenderOptions o{.to = rx.address(), .size = 64 * kMiB, .shard = 16 * kMiB, .slots = 1, .streams = 1,
                     .buffer_bytes = 256 * 1024, .duration_limit = Nanos::from_ms(800)};
  TcpSenderResult r = run_tcp_sender(o);
  EXPECT_TRUE(r.timed_out);
  ASSERT_EQ(rx.taken(), take);
  const tools::XferSummary& s = r.summary;
  EXPECT_FALSE(s.complete);
  EXPECT_EQ(r.completed_shard_bytes, 0u);
  // Everything the receiver read was acknowledged; its frame headers (one per MiB chunk) are not payload.
  EXPECT_GE(s.bytes, take - 4 * sizeof(Frame));
  EXPECT_LT(s.bytes, 16 * kMiB);   // the rest of the first shard never left the (small) socket buffers
  EXPECT_GE(s.seconds, 0.8);
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j.at("complete"), false);
  EXPECT_EQ(j.at("timed_out"), true);
  EXPECT_EQ(j.at("bytes"), s.bytes);
  EXPECT_EQ(j.at("completed_shard_bytes"), 0u);
  EXPECT_DOUBLE_EQ(j.at("bits_per_second").get<double>(), static_cast<double>(s.bytes) * 8 / s.seconds);
}

}  // namespace
}  // namespace lh::xport::tcp
