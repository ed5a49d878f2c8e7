// tcp_xfer_test.cpp — the TCP baseline over loopback: lh-xfer's sessions (workload/xfer) on two live
// TCP transports (workload/common/live_transport.hpp) turned by one thread. 256 MiB over 1 and 8
// streams with cubic and bbr arrives with every shard verified (16 MiB shards through a 4-slot ring,
// so slots are reused); the JSON summary has lh-xfer's fields with sane values; an unknown congestion
// control, an unreachable or silent peer and a refused ring are clear errors; SO_SNDBUF requests
// above net.core.wmem_max are reported as capped; the target flags a wrong checksum (integrity
// error) and a misplaced shard (the server's pattern check), closes on a chunk outside its
// operation and refuses one outside the region; a transfer stopped by the duration limit (a
// receiver that stops reading) reports the payload delivered so far, incomplete. Bounded: every wait
// has a deadline.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "transport/tcp/tcp_endpoint.hpp"
#include "transport/tcp/tcp_frame.hpp"
#include "workload/common/live_transport.hpp"
#include "workload/common/shard_pattern.hpp"
#include "workload/xfer/xfer_session.hpp"

namespace lh::workload {
namespace {

using xport::tcp::Frame;
using xport::tcp::FrameType;
using xport::tcp::TcpError;

constexpr uint64_t kMiB = 1ull << 20;

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

// An lh-xfer server and client over the TCP baseline, both turned here (no threads).
struct Transfer {
  XferSummary summary;
  std::vector<XferServerResult> server;
  bool refused = false;
  std::string error;
  XferClient::Phase phase{};
};

Transfer run_transfer(const TransportSpec& spec, const XferClientConfig& cfg, uint64_t max_region = 4ull << 30,
                      uint64_t buffer_bytes = 0) {
  std::unique_ptr<LiveTransport> srv = open_live_transport(
      {.transport = spec, .listen = "127.0.0.1:0", .tcp_buffer_bytes = buffer_bytes});
  std::unique_ptr<LiveTransport> cli = open_live_transport(
      {.transport = spec, .peer = srv->local(), .tcp_buffer_bytes = buffer_bytes});
  VectorRegions regions;
  XferServer server(srv->endpoint(), {.max_region = max_region}, regions);
  std::vector<uint8_t> source(source_bytes(cfg));
  prepare_source(source, cfg);
  InlineShards shards(cfg.seed);
  Channel& ch = cli->endpoint().connect(cli->now());
  XferClient client(cli->endpoint(), ch, cfg, source, shards);
  Transfer t;
  const Nanos deadline = cli->now() + Nanos::from_s(60);
  bool closing = false;
  while (cli->now() < deadline) {
    client.poll(cli->now());
    server.poll(srv->now());
    for (auto& r : server.take_finished()) t.server.push_back(r);
    const auto p = client.phase();
    if (!closing && (p == XferClient::Phase::kDone || p == XferClient::Phase::kFailed)) {
      closing = true;
      ch.close(cli->now());
    }
    if (closing && !t.server.empty()) break;
    cli->turn(Nanos{0});
    srv->turn(Nanos::from_us(200));
  }
  client.fill(t.summary, cli->now());
  cli->annotate(t.summary);
  t.refused = client.refused();
  t.error = client.error();
  t.phase = client.phase();
  return t;
}

struct Case {
  uint32_t streams;
  const char* cc;
};

class TcpXferTransfer : public ::testing::TestWithParam<Case> {};

TEST_P(TcpXferTransfer, QuarterGibArrivesVerifiedWithSaneSummary) {
  const Case c = GetParam();
  const TransportSpec spec = parse_transport_spec("tcp-" + std::string(c.cc) + "-x" + std::to_string(c.streams));
  Transfer t = run_transfer(spec, {.size = 256 * kMiB, .shard = 16 * kMiB, .slots = 4}, 256 * kMiB);
  ASSERT_EQ(t.phase, XferClient::Phase::kDone) << t.error;
  XferSummary& s = t.summary;
  EXPECT_TRUE(s.complete);
  EXPECT_TRUE(s.server_report);
  EXPECT_EQ(s.bytes, 256 * kMiB);
  EXPECT_EQ(s.shards, 16u);
  EXPECT_EQ(s.verified_shards, 16u);
  EXPECT_EQ(s.bad_shards, 0u);
  EXPECT_EQ(s.shard_ns.size(), 16u);
  ASSERT_EQ(t.server.size(), 1u);
  EXPECT_TRUE(t.server[0].ok());
  EXPECT_TRUE(t.server[0].closed);
  EXPECT_EQ(t.server[0].verified, 16u);
  EXPECT_EQ(t.server[0].verified_bytes, 256 * kMiB);

  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j.at("transport"), spec.name());
  EXPECT_EQ(j.at("cc"), c.cc);
  EXPECT_EQ(j.at("streams"), c.streams);
  EXPECT_EQ(j.at("bytes"), 256 * kMiB);
  EXPECT_GT(j.at("seconds").get<double>(), 0.0);
  EXPECT_GT(j.at("bits_per_second").get<double>(), 0.0);
  ASSERT_TRUE(j.at("retransmits").is_number_unsigned());
  EXPECT_GT(j.at("packets_sent").get<uint64_t>(), 0u);
  EXPECT_GE(j.at("bytes_sent").get<uint64_t>(), 256 * kMiB);
  const nlohmann::json& rtt = j.at("rtt_us");
  ASSERT_GT(rtt.at("count").get<uint64_t>(), 0u);
  EXPECT_GT(rtt.at("min").get<double>(), 0.0);
  EXPECT_LE(rtt.at("min").get<double>(), rtt.at("p50").get<double>());
  EXPECT_LE(rtt.at("p50").get<double>(), rtt.at("p90").get<double>());
  EXPECT_LE(rtt.at("p90").get<double>(), rtt.at("p95").get<double>());
  EXPECT_LE(rtt.at("p95").get<double>(), rtt.at("p99").get<double>());
  EXPECT_LE(rtt.at("p99").get<double>(), rtt.at("max").get<double>());
  const nlohmann::json& sh = j.at("shard_us");
  EXPECT_EQ(sh.at("count"), 16u);
  EXPECT_LE(sh.at("p50").get<double>(), sh.at("max").get<double>());
  EXPECT_GT(sh.at("min").get<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(StreamsAndCc, TcpXferTransfer,
                         ::testing::Values(Case{1, "cubic"}, Case{8, "cubic"}, Case{1, "bbr"}, Case{8, "bbr"}),
                         [](const auto& p) { return std::string(p.param.cc) + "_" + std::to_string(p.param.streams); });

TEST(TcpXfer, UnknownCongestionControlIsAClearConfigErrorBeforeConnecting) {
  // Nothing listens there: the congestion-control check must come first.
  xport::tcp::TcpEndpoint ep({.cc = "nosuchcc"});
  try {
    ep.connect("127.0.0.1:" + std::to_string(closed_port()));
    FAIL() << "expected TcpError";
  } catch (const TcpError& e) {
    EXPECT_EQ(e.kind(), TcpError::Kind::kConfig);
    EXPECT_NE(std::string(e.what()).find("\"nosuchcc\" is not available in this kernel (available: "), std::string::npos)
        << e.what();
  }
}

TEST(TcpXfer, MoreChannelsThanTheCompletionQueueHoldsIsAConfigError) {
  try {
    xport::tcp::TcpEndpoint ep({.max_channels = 100});
    FAIL() << "expected TcpError";
  } catch (const TcpError& e) {
    EXPECT_EQ(e.kind(), TcpError::Kind::kConfig);
    EXPECT_STREQ(e.what(), "max_channels must be from 1 to 85 (each channel may hold 768 of the 65536 completion records)");
  }
  EXPECT_NO_THROW(xport::tcp::TcpEndpoint({.max_channels = 85}));
}

TEST(TcpXfer, RefusedConnectionIsUnreachable) {
  const std::string to = "127.0.0.1:" + std::to_string(closed_port());
  xport::tcp::TcpEndpoint ep({});
  xport::tcp::TcpChannel& c = ep.connect(to);
  const auto t0 = std::chrono::steady_clock::now();
  while (c.state() == xport::tcp::TcpChannel::State::kConnecting && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    ep.run_for(Nanos::from_ms(10));
  }
  EXPECT_EQ(c.state(), xport::tcp::TcpChannel::State::kLost);
  EXPECT_EQ(c.error(), "connect to " + to + ": Connection refused");
}

TEST(TcpXfer, SilentPeerNeverBringsTheChannelUp) {
  // A listener that never accepts: connect succeeds through the backlog, but no endpoint answers the
  // HELLOs, so the channel stays connecting and the tool's connect deadline ends it (lh-xfer exits 2
  // with "no answer from ... within ...": tests/integration/tcp_xfer_cli.sh).
  uint16_t port = 0;
  const int fd = listen_loopback(16, port);
  ASSERT_NE(port, 0);
  xport::tcp::TcpEndpoint ep({.streams = 2});
  xport::tcp::TcpChannel& c = ep.connect("127.0.0.1:" + std::to_string(port));
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(300)) ep.run_for(Nanos::from_ms(10));
  EXPECT_EQ(c.state(), xport::tcp::TcpChannel::State::kConnecting);
  close(fd);
}

TEST(TcpXfer, ReceiverRefusesARingAboveMaxRegion) {
  Transfer t = run_transfer(parse_transport_spec("tcp-cubic-x2"), {.size = 8 * kMiB, .shard = 2 * kMiB, .slots = 2}, kMiB);
  EXPECT_TRUE(t.refused);
  EXPECT_NE(t.error.find("exceeds its --max-region"), std::string::npos) << t.error;
  ASSERT_EQ(t.server.size(), 1u);
  EXPECT_FALSE(t.server[0].ok());
}

TEST(TcpXfer, SendBufferAboveWmemMaxIsReportedCapped) {
  const uint64_t wmem_max = read_sysctl_u64("/proc/sys/net/core/wmem_max");
  ASSERT_GT(wmem_max, 64 * 1024u);
  {
    Transfer t = run_transfer(parse_transport_spec("tcp"), {.size = 4 * kMiB, .shard = kMiB}, 4ull << 30, wmem_max * 4);
    EXPECT_TRUE(t.summary.complete) << t.error;
    EXPECT_EQ(t.summary.sndbuf_requested, wmem_max * 4);
    EXPECT_EQ(t.summary.sndbuf_granted, wmem_max);
    EXPECT_EQ(to_json(t.summary).at("sndbuf_capped"), true);
    ASSERT_EQ(t.server.size(), 1u);
    EXPECT_TRUE(t.server[0].ok());
  }
  {
    Transfer t = run_transfer(parse_transport_spec("tcp"), {.size = 4 * kMiB, .shard = kMiB}, 4ull << 30, 64 * 1024);
    EXPECT_TRUE(t.summary.complete) << t.error;
    EXPECT_EQ(t.summary.sndbuf_granted, 64 * 1024u);
    EXPECT_EQ(to_json(t.summary).at("sndbuf_capped"), false);
    ASSERT_EQ(t.server.size(), 1u);
    EXPECT_TRUE(t.server[0].ok());
  }
}

TEST(TcpXfer, OddSizesAndMoreStreamsThanPagesStillVerify) {
  // 5 shards of 12 KiB + a 1001-byte tail; 8 streams share 3 pages per shard (some stripes empty).
  Transfer t = run_transfer(parse_transport_spec("tcp-cubic-x8"), {.size = 5 * 12288 + 1001, .shard = 12288, .slots = 2});
  EXPECT_TRUE(t.summary.complete) << t.error;
  EXPECT_EQ(t.summary.verified_shards, 6u);
  EXPECT_EQ(t.summary.bad_shards, 0u);
  ASSERT_EQ(t.server.size(), 1u);
  EXPECT_EQ(t.server[0].verified_bytes, 5 * 12288u + 1001u);
}

// A hand-driven peer on a raw socket speaking tcp_frame.hpp (5 s receive deadline): to show the
// target's checks, and to be a receiver that stops reading.
class RawStream {
 public:
  explicit RawStream(int fd) : fd_(fd) {
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  static std::unique_ptr<RawStream> connect_to(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd);
      return nullptr;
    }
    return std::make_unique<RawStream>(fd);
  }
  ~RawStream() { close(fd_); }
  RawStream(const RawStream&) = delete;
  RawStream& operator=(const RawStream&) = delete;

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
  bool recv_all(void* p, size_t n) {
    auto* b = static_cast<uint8_t*>(p);
    while (n > 0) {
      const ssize_t r = ::recv(fd_, b, n, 0);
      if (r <= 0) return false;
      b += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  // The next frame (its payload, if any, in `payload`), or nullopt on EOF / error / deadline.
  std::optional<Frame> recv_frame(std::vector<uint8_t>* payload = nullptr) {
    Frame f;
    if (!recv_all(&f, sizeof f)) return std::nullopt;
    std::vector<uint8_t> p(f.len);
    if (f.len > 0 && !recv_all(p.data(), p.size())) return std::nullopt;
    if (payload != nullptr) *payload = std::move(p);
    return f;
  }
  bool send_frame(const Frame& f, std::span<const uint8_t> payload = {}) {
    return send_all(&f, sizeof f) && (payload.empty() || send_all(payload.data(), payload.size()));
  }
  bool send_message(uint32_t op, const ControlMessage& m) {
    const EncodedMessage e = encode(m);
    return send_frame(Frame{.type = FrameType::kSend, .op = op, .len = static_cast<uint32_t>(e.size)}, e.span());
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

constexpr uint64_t kSeed = 42;
constexpr uint64_t kShard = 8192;

// A client stream of a one-stream channel to an lh-xfer server: HELLO, then HELLO (two 8 KiB shards
// through one slot) as a SEND; returns the stream and the region's rkey from READY.
std::unique_ptr<RawStream> handshake(uint16_t port, uint64_t& rkey) {
  auto s = RawStream::connect_to(port);
  EXPECT_TRUE(s != nullptr);
  if (!s) return s;
  EXPECT_TRUE(s->send_frame(Frame{.type = FrameType::kHello, .stream = 0, .rkey = 0x1234, .total = 1}));
  const auto answer = s->recv_frame();
  EXPECT_TRUE(answer && answer->type == FrameType::kHello && answer->rkey == 0x1234) << "no HELLO answer";
  EXPECT_TRUE(s->send_message(1, XferHello{.total_bytes = 2 * kShard, .shard_bytes = kShard, .seed = kSeed, .slots = 1}));
  // STATUS of our SEND, then READY (a SEND to us), in either order.
  for (int i = 0; i < 2; ++i) {
    std::vector<uint8_t> payload;
    const auto f = s->recv_frame(&payload);
    EXPECT_TRUE(f.has_value());
    if (!f) break;
    if (f->type == FrameType::kSend) {
      const auto r = decode_as<XferReady>(payload);
      EXPECT_TRUE(r.ok && r.value.status == ReadyStatus::kOk) << r.error;
      rkey = r.value.rkey;
      EXPECT_TRUE(s->send_frame(Frame{.type = FrameType::kStatus, .flags = xport::tcp::kFlagSend, .op = f->op}));
    }
  }
  return s;
}

bool send_write(RawStream& s, uint32_t op, uint64_t rkey, uint64_t base, const std::vector<uint8_t>& data, uint64_t hash,
                uint32_t imm) {
  return s.send_frame(Frame{.type = FrameType::kWrite, .flags = xport::tcp::kFlagImm, .op = op,
                            .len = static_cast<uint32_t>(data.size()), .rkey = rkey, .base_off = base,
                            .total = data.size(), .chunk_off = 0, .checksum = hash, .imm = imm},
                      data);
}

// The next STATUS on the stream (skipping nothing else: the server sends only those here).
std::optional<Frame> next_status(RawStream& s) {
  auto f = s.recv_frame();
  if (f && f->type != FrameType::kStatus) return std::nullopt;
  return f;
}

// A server to turn on its own thread while a raw peer talks to it.
class ServerThread {
 public:
  explicit ServerThread(uint64_t max_region = 4ull << 30) {
    t_ = open_live_transport({.transport = parse_transport_spec("tcp"), .listen = "127.0.0.1:0"});
    port_ = static_cast<uint16_t>(std::stoi(t_->local().substr(t_->local().rfind(':') + 1)));
    server_ = std::make_unique<XferServer>(t_->endpoint(), XferServerConfig{.max_region = max_region}, regions_);
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        t_->turn(Nanos::from_ms(1));
        server_->poll(t_->now());
        for (auto& r : server_->take_finished()) finished_.push_back(r);
        count_.store(finished_.size());
      }
    });
  }
  ~ServerThread() { stop(); }
  uint16_t port() const { return port_; }
  // Waits (10 s at most) for `n` ended transfers, then stops the thread.
  const std::vector<XferServerResult>& wait_finished(size_t n) {
    const auto t0 = std::chrono::steady_clock::now();
    while (count_.load() < n && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a test thread waiting on another, bounded
    }
    stop();
    return finished_;
  }

 private:
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::unique_ptr<LiveTransport> t_;
  VectorRegions regions_;
  std::unique_ptr<XferServer> server_;
  std::vector<XferServerResult> finished_;
  std::atomic<size_t> count_{0};
  std::atomic<bool> stop_{false};
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(TcpXferReceiver, FlagsAChecksumMismatchAndMisplacedShard) {
  ServerThread srv;
  uint64_t rkey = 0;
  auto s = handshake(srv.port(), rkey);
  ASSERT_TRUE(s && rkey != 0);
  std::vector<uint8_t> data(kShard);
  fill_shard(data, 0, kSeed);
  // Shard 0 with a checksum that is not its own: the bytes are right, the sender's hash disagrees.
  ASSERT_TRUE(send_write(*s, 2, rkey, 0, data, XXH3_64bits(data.data(), data.size()) ^ 1, 0));
  auto st = next_status(*s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->op, 2u);
  EXPECT_EQ(st->status, static_cast<uint32_t>(xport::Status::kIntegrityError));
  // Shard 1 carrying shard 0's pattern with a matching hash: the transport accepts it, the server's
  // placement pattern catches it.
  ASSERT_TRUE(send_write(*s, 3, rkey, 0, data, XXH3_64bits(data.data(), data.size()), 1));
  st = next_status(*s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->op, 3u);
  EXPECT_EQ(st->status, static_cast<uint32_t>(xport::Status::kSuccess));
  ASSERT_TRUE(s->send_message(4, XferDone{.shards = 2}));
  std::optional<XferReport> report;
  for (int i = 0; i < 2 && !report; ++i) {
    std::vector<uint8_t> payload;
    const auto f = s->recv_frame(&payload);
    ASSERT_TRUE(f.has_value());
    if (f->type == FrameType::kSend) report = decode_as<XferReport>(payload).value;
  }
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->verified_shards, 0u);
  EXPECT_EQ(report->bad_shards, 2u);
  s.reset();
  const auto& r = srv.wait_finished(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].ok());
  EXPECT_EQ(r[0].bad, 2u);
}

TEST(TcpXferReceiver, ClosesOnAChunkOutsideItsOperationAndRefusesOneOutsideTheRegion) {
  ServerThread srv;
  std::vector<uint8_t> data(kShard);
  {
    uint64_t rkey = 0;
    auto s = handshake(srv.port(), rkey);
    ASSERT_TRUE(s);
    // A chunk that runs past its operation: a protocol error, the channel is closed.
    ASSERT_TRUE(s->send_frame(Frame{.type = FrameType::kWrite, .op = 2, .len = static_cast<uint32_t>(kShard),
                                    .rkey = rkey, .total = kShard, .chunk_off = 4096},
                              data));
    EXPECT_FALSE(s->recv_frame().has_value()) << "the target must close the channel";
  }
  {
    uint64_t rkey = 0;
    auto s = handshake(srv.port(), rkey);
    ASSERT_TRUE(s);
    // A WRITE beyond the registered region: the bytes are dropped and the initiator gets the error.
    ASSERT_TRUE(send_write(*s, 2, rkey, kShard / 2, data, XXH3_64bits(data.data(), data.size()), 0));
    const auto st = next_status(*s);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->status, static_cast<uint32_t>(xport::Status::kRemoteAccessError));
  }
  const auto& r = srv.wait_finished(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].ok());
  EXPECT_FALSE(r[1].ok());
}

// A receiver that completes the handshake, answers READY, reads `take` bytes of WRITE frames and then
// stops reading (no STATUS): the sender can only end by its duration limit. Blocking sockets, every
// wait bounded by poll().
class StallingReceiver {
 public:
  explicit StallingReceiver(uint64_t take) : take_(take) {
    listen_fd_ = listen_loopback(4, port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~StallingReceiver() {
    done_.store(true);
    thread_.join();
    close(listen_fd_);
  }
  StallingReceiver(const StallingReceiver&) = delete;
  StallingReceiver& operator=(const StallingReceiver&) = delete;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint64_t taken() const { return taken_.load(); }

 private:
  bool wait_readable(int fd) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    for (int i = 0; i < 200 && !done_.load(); ++i) {  // 10 s at most
      if (poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }
  void serve() {
    if (!wait_readable(listen_fd_)) return;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    RawStream s(fd);
    const auto hello = s.recv_frame();
    if (!hello || !s.send_frame(*hello)) return;  // the HELLO answer: the channel is up
    std::vector<uint8_t> payload;
    const auto h = s.recv_frame(&payload);
    const auto m = decode_as<XferHello>(payload);
    if (!h || !m.ok) return;
    s.send_frame(Frame{.type = FrameType::kStatus, .flags = xport::tcp::kFlagSend, .op = h->op});
    s.send_message(1, XferReady{.status = ReadyStatus::kOk, .slots = m.value.slots, .rkey = 99,
                                .region_bytes = uint64_t{m.value.slots} * m.value.shard_bytes});
    std::vector<uint8_t> sink(64 * 1024);
    while (taken_.load() < take_) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(sink.size(), take_ - taken_.load()));
      if (!wait_readable(fd) || !s.recv_all(sink.data(), n)) return;
      taken_ += n;
    }
    while (!done_.load()) wait_readable(-1);  // hold the connection open, reading nothing more
  }

  const uint64_t take_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<uint64_t> taken_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST(TcpXfer, DurationLimitReportsThePayloadDeliveredSoFar) {
  // The receiver reads 3 MiB + 100 KiB (its READY's STATUS, then WRITE frames) of the first 16 MiB
  // shard and never completes a shard.
  const uint64_t take = 3 * kMiB + 100 * 1024;
  StallingReceiver rx(take);
  std::unique_ptr<LiveTransport> cli = open_live_transport(
      {.transport = parse_transport_spec("tcp"), .peer = rx.address(), .tcp_buffer_bytes = 256 * 1024});
  const XferClientConfig cfg{.size = 64 * kMiB, .shard = 16 * kMiB, .slots = 1};
  std::vector<uint8_t> source(source_bytes(cfg));
  prepare_source(source, cfg);
  InlineShards shards(cfg.seed);
  Channel& ch = cli->endpoint().connect(cli->now());
  XferClient client(cli->endpoint(), ch, cfg, source, shards);
  Nanos limit = Nanos::max();
  while (cli->now() < limit) {
    client.poll(cli->now());
    if (client.phase() == XferClient::Phase::kTransfer && limit == Nanos::max()) {
      limit = client.started_at() + Nanos::from_ms(800);
    }
    ASSERT_NE(client.phase(), XferClient::Phase::kFailed) << "client: " << client.error();
    cli->turn(Nanos::from_ms(5));
  }
  ASSERT_EQ(rx.taken(), take);
  XferSummary s;
  client.fill(s, cli->now());
  s.timed_out = true;
  cli->annotate(s);
  EXPECT_FALSE(s.complete);
  EXPECT_EQ(s.completed_shard_bytes, 0u);
  // Everything the receiver read was acknowledged; its frame headers (one per MiB chunk, and the
  // control frames before) are not payload.
  EXPECT_GE(s.bytes, take - 6 * sizeof(Frame) - 64);
  EXPECT_LT(s.bytes, 16 * kMiB);  // the rest of the first shard never left the (small) socket buffers
  EXPECT_GE(s.seconds, 0.8);
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j.at("complete"), false);
  EXPECT_EQ(j.at("timed_out"), true);
  EXPECT_EQ(j.at("bytes"), s.bytes);
  EXPECT_EQ(j.at("completed_shard_bytes"), 0u);
  EXPECT_DOUBLE_EQ(j.at("bits_per_second").get<double>(), static_cast<double>(s.bytes) * 8 / s.seconds);
}

}  // namespace
}  // namespace lh::workload
