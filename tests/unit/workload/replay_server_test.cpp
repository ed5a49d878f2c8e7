// replay_server_test.cpp — the replay server (workload/replay) facing a hostile client, over an
// in-memory transport: a START asking for 2^62 bytes, or more STARTs than a client can have in
// flight, is refused, costs no memory and ends the session; the server never posts a WRITE for it.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "workload/common/control_codec.hpp"
#include "workload/replay/replay_session.hpp"

namespace lh::workload {
namespace {

// A transport whose peer is the test: it hands the server channels, delivers messages into the
// receives the server posted, and records what the server posts.
class FakeChannel final : public Channel {
 public:
  explicit FakeChannel(uint64_t id) : id_(id) {}
  uint64_t id() const override { return id_; }
  ChannelState state() const override { return state_; }
  std::string peer() const override { return "fake"; }
  std::string error() const override { return ""; }
  PostResult post_write(const WriteRequest&) override {
    if (full) return PostResult::kQueueFull;
    ++writes;
    return PostResult::kOk;
  }
  PostResult post_send(uint64_t, std::span<const uint8_t> m) override {
    sent.emplace_back(m.begin(), m.end());
    return PostResult::kOk;
  }
  PostResult post_recv(uint64_t wr_id, std::span<uint8_t> buffer) override {
    recvs.emplace(wr_id, buffer);
    return PostResult::kOk;
  }
  void close(Nanos) override { state_ = ChannelState::kClosed; }
  ChannelCounters counters() const override { return {}; }

  uint64_t id_;
  ChannelState state_ = ChannelState::kUp;
  std::multimap<uint64_t, std::span<uint8_t>> recvs;  // posted, not yet consumed
  std::vector<std::vector<uint8_t>> sent;
  uint64_t writes = 0;
  bool full = false;  // refuse WRITEs as a full send queue does
};

class FakeTransport final : public TransportEndpoint {
 public:
  MemoryRegion register_region(std::span<uint8_t> bytes) override { return {.rkey = ++keys, .base = bytes.data(), .length = bytes.size()}; }
  MemoryRegion register_region(std::span<uint8_t> bytes, Channel&) override { return register_region(bytes); }
  void deregister(uint64_t) override {}
  Channel& connect(Nanos) override { throw std::runtime_error("server only"); }
  Channel* poll_accept() override {
    if (next_accept >= channels.size()) return nullptr;
    return channels[next_accept++].get();
  }
  std::optional<Completion> poll_completion() override {
    if (completions.empty()) return std::nullopt;
    Completion c = completions.front();
    completions.erase(completions.begin());
    return c;
  }
  void forget(Channel&) override {}

  FakeChannel& open() {
    channels.push_back(std::make_unique<FakeChannel>(channels.size() + 1));
    return *channels.back();
  }
  // Delivers `m` into a receive the server posted on `c` (the lowest wr_id); false if none is posted.
  bool deliver(FakeChannel& c, const EncodedMessage& m) {
    if (c.recvs.empty()) return false;
    auto it = c.recvs.begin();
    if (it->second.size() < m.size) return false;
    std::memcpy(it->second.data(), m.bytes.data(), m.size);
    completions.push_back({.wr_id = it->first, .conn = c.id(), .kind = OpKind::kRecv, .status = Status::kSuccess,
                           .byte_len = m.size});
    c.recvs.erase(it);
    return true;
  }

  std::vector<std::unique_ptr<FakeChannel>> channels;
  size_t next_accept = 0;
  std::vector<Completion> completions;
  uint64_t keys = 0;
};

// A session past READY: data and control channels, both HELLOs delivered.
struct Session {
  Session() : server(t, {.max_region = 1 << 20}), data(t.open()), ctrl(t.open()) {
    server.poll(Nanos{0});
    EXPECT_TRUE(t.deliver(data, encode(ReplayHelloData{.nonce = 5, .client_rkey = 9, .client_region_bytes = 4096,
                                                        .forward_chunk_bytes = 4096})));
    EXPECT_TRUE(t.deliver(ctrl, encode(ReplayHelloCtrl{.nonce = 5})));
    server.poll(Nanos{1});
    EXPECT_EQ(data.sent.size(), 1u);  // READY
  }
  FakeTransport t;
  ReplayServer server;
  FakeChannel& data;
  FakeChannel& ctrl;
};

TEST(ReplayServer, AStartForTwoToTheSixtySecondBytesIsRefusedAndEndsTheSession) {
  Session s;
  ASSERT_TRUE(s.t.deliver(s.ctrl, encode(ReplayStart{.transfer = 1, .bytes = 1ull << 62})));
  s.server.poll(Nanos{2});
  EXPECT_EQ(s.server.stats().refused, 1u);
  EXPECT_EQ(s.data.writes, 0u);
  EXPECT_EQ(s.data.state(), ChannelState::kClosed);
  EXPECT_EQ(s.ctrl.state(), ChannelState::kClosed);
}

TEST(ReplayServer, StartsBeyondWhatAClientCanHaveInFlightAreRefused) {
  Session s;
  s.data.full = true;  // nothing drains: every START waits in the backlog
  uint32_t refused_at = 0;
  for (uint32_t i = 1; i <= 1000 && refused_at == 0; ++i) {
    ASSERT_TRUE(s.t.deliver(s.ctrl, encode(ReplayStart{.transfer = i, .bytes = 1ull << 30})));
    s.server.poll(Nanos{2 + i});
    if (s.server.stats().refused > 0) refused_at = i;
  }
  // A client keeps at most 128 STARTs in flight; the server holds 256 and refuses the next.
  EXPECT_EQ(refused_at, 257u);
  EXPECT_EQ(s.data.state(), ChannelState::kClosed);
  EXPECT_EQ(s.data.writes, 0u);
}

}  // namespace
}  // namespace lh::workload
