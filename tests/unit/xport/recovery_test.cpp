// recovery_test.cpp — SACK generation and processing, RACK-style loss detection (packet threshold 3
// and the time threshold with its timer), probe timeouts with exponential backoff, and a vanished or
// idle peer reported as connection-lost on pending work, the driver contract (poll_transmit returned 0
// => next_timeout() in the future) with a stale retransmission queued, and the RTT estimator's
// rejection of reordering outliers. Fixed-rate CC keeps bursts predictable.
#include <gtest/gtest.h>

#include "tests/unit/xport/xport_harness.hpp"
#include "transport/proto/rtt_estimator.hpp"

namespace lh::xport::test {
namespace {

ConnectionConfig fixed_cfg() {
  return ConnectionConfig{.cc = CcKind::kFixed, .fixed_rate = BitsPerSecond{1'000'000'000}};
}

struct RecoveryFixture : ::testing::Test {
  Pair p{fixed_cfg(), fixed_cfg()};
  std::vector<uint8_t> region = std::vector<uint8_t>(1 << 20, 0);
  MemoryRegion mr = p.b.mem.register_region(region);
  std::vector<uint8_t> src = pattern(64 * 1024, 1);

  // Captures client datagrams, advancing time in small steps, until `n` data packets were sent.
  std::vector<Datagram> data_packets(size_t n) {
    std::vector<Datagram> out;
    for (int i = 0; i < 1000 && out.size() < n; ++i) {
      for (auto& d : capture(p.client(), p.now, n - out.size())) out.push_back(d);
      p.now += Nanos::from_us(10);
    }
    return out;
  }
  static uint64_t pn_of(const Datagram& d) {
    wire::Header h;
    frames_of(d, &h);
    return h.pn;
  }
  static uint64_t frag_of(const Datagram& d) {
    for (const auto& f : frames_of(d))
      if (f.type == wire::FrameType::kWrite) return f.data.frag_off;
    return UINT64_MAX;
  }
  // The latest ACK frame the server sends now.
  std::optional<wire::AckFrame> server_ack(std::vector<Datagram>* raw = nullptr) {
    std::optional<wire::AckFrame> ack;
    for (auto& d : capture(p.server(), p.now)) {
      if (raw) raw->push_back(d);
      for (const auto& f : frames_of(d))
        if (f.type == wire::FrameType::kAck) ack = f.ack;
    }
    return ack;
  }
};

TEST_F(RecoveryFixture, SackRangesDescribeExactlyWhatArrived) {
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  auto pkts = data_packets(10);
  ASSERT_EQ(pkts.size(), 10u);
  // Deliver all but #3 and #6: the server sees two holes.
  for (size_t i = 0; i < pkts.size(); ++i)
    if (i != 3 && i != 6) inject(p.server(), pkts[i], p.now);
  auto ack = server_ack();
  ASSERT_TRUE(ack.has_value());  // a gap forces an immediate ACK
  // Expect three ranges, newest first: [#7, #9], [#4, #5], [.., #2].
  ASSERT_EQ(ack->range_count, 3);
  EXPECT_EQ(ack->ranges[0].hi, pn_of(pkts[9]));
  EXPECT_EQ(ack->ranges[0].lo, pn_of(pkts[7]));
  EXPECT_EQ(ack->ranges[1].hi, pn_of(pkts[5]));
  EXPECT_EQ(ack->ranges[1].lo, pn_of(pkts[4]));
  EXPECT_EQ(ack->ranges[2].hi, pn_of(pkts[2]));
  EXPECT_LE(ack->ranges[2].lo, pn_of(pkts[0]));
  EXPECT_GE(ack->window, p.server().advertised_window());
}

TEST_F(RecoveryFixture, PacketThresholdDeclaresLossAndRetransmitsOnlyTheHole) {
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  auto pkts = data_packets(10);
  for (size_t i = 0; i < pkts.size(); ++i)
    if (i != 3) inject(p.server(), pkts[i], p.now);
  std::vector<Datagram> acks;
  server_ack(&acks);
  for (auto& a : acks) inject(p.client(), a, p.now);
  // #3 has >= 3 later packets acknowledged: lost at once, no timer needed. Selective repeat: the next
  // data packet is exactly #3's fragment under a new packet number, not a go-back-N resend of 3..9.
  EXPECT_EQ(p.client().stats().packets_lost, 1u);
  auto next = data_packets(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(frag_of(next[0]), frag_of(pkts[3]));
  EXPECT_GT(pn_of(next[0]), pn_of(pkts[9]));
  EXPECT_EQ(p.client().stats().retransmits, 1u);
}

TEST_F(RecoveryFixture, TimeThresholdArmsTheLossTimer) {
  // Exactly five fragments, so that afterwards only the loss timer is pending (no more data to pace).
  const size_t frag = p.client().max_udp_payload() - wire::kHeaderSize - wire::kCrcSize - wire::kDataFrameSize -
                      wire::kDataLastExtra;
  src.resize(5 * frag);
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  auto pkts = data_packets(5);
  const Nanos sent_at = p.now - Nanos::from_us(10);  // all five left in the first burst
  // #3 is missing but only one later packet (#4) arrived: below the packet threshold.
  for (size_t i = 0; i < pkts.size(); ++i)
    if (i != 3) inject(p.server(), pkts[i], p.now);
  std::vector<Datagram> acks;
  server_ack(&acks);
  for (auto& a : acks) inject(p.client(), a, p.now);
  EXPECT_EQ(p.client().stats().packets_lost, 0u);
  // The server's ACK carried a PING (its RTT probe); let the client's delayed ACK for it go out.
  p.now += ConnectionConfig{}.max_ack_delay;
  capture(p.client(), p.now);
  // The loss timer fires 9/8 · max(srtt, latest_rtt) (at least 1 ms) after #3 was sent.
  const Nanos deadline = p.client().next_timeout();
  EXPECT_EQ(deadline, sent_at + p.client().rtt().loss_delay());
  EXPECT_GT(deadline, p.now);
  p.now = deadline - Nanos{1};
  p.client().on_timeout(p.now);
  EXPECT_EQ(p.client().stats().packets_lost, 0u);  // not a nanosecond early
  p.now = deadline;
  p.client().on_timeout(p.now);
  EXPECT_EQ(p.client().stats().packets_lost, 1u);
  auto next = data_packets(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(frag_of(next[0]), frag_of(pkts[3]));
}

TEST_F(RecoveryFixture, ProbeTimeoutBacksOffExponentially) {
  std::vector<uint8_t> small = pattern(2000, 2);  // two packets, both sent at once
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = small, .rkey = mr.rkey}), PostResult::kOk);
  ASSERT_EQ(data_packets(2).size(), 2u);  // ... and lost
  Nanos sent = p.now - Nanos::from_us(10);  // data_packets() stepped 10 us past the send
  Nanos prev_interval{0};
  for (uint32_t k = 0; k < 4; ++k) {
    const Nanos t = p.client().next_timeout();
    const Nanos interval = t - sent;
    if (k == 0) {
      EXPECT_EQ(interval, p.client().rtt().pto(ConnectionConfig{}.max_ack_delay));
    } else {
      EXPECT_EQ(interval, prev_interval * 2) << "timeout " << k;
    }
    prev_interval = interval;
    p.now = t;
    p.client().on_timeout(p.now);
    EXPECT_EQ(p.client().pto_count(), k + 1);
    auto probes = capture(p.client(), p.now);
    ASSERT_EQ(probes.size(), k == 0 ? 1u : 2u);  // one tail-loss probe first, then two per timeout
    sent = p.now;
  }
  EXPECT_EQ(p.client().stats().probes_sent, 7u);
  // An ACK for the probes resets the backoff and reveals the original packets as lost.
  for (auto& d : capture(p.client(), p.now)) inject(p.server(), d, p.now);
  p.now += Nanos::from_ms(1);
  exchange(p, deliver_all(), [&] { return !p.a.cq.empty(); });
  EXPECT_EQ(p.client().pto_count(), 0u);
  auto done = p.a.completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status, Status::kSuccess);
}

// A fragment queued for retransmission goes stale when its "lost" packet was only reordered and the
// operation completes; a probe timeout then finds nothing but that stale entry. The driver contract:
// once poll_transmit returns 0, next_timeout() lies in the future — else the driver spins at `now`.
TEST_F(RecoveryFixture, StaleRetransmissionNeverLeavesTheDriverSpinning) {
  std::vector<uint8_t> second = pattern(3000, 2);
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = std::span(src).first(6000), .rkey = mr.rkey}), PostResult::kOk);
  ASSERT_EQ(p.client().post_write({.wr_id = 2, .local = second, .rkey = mr.rkey, .remote_offset = 100'000}),
            PostResult::kOk);
  std::vector<Datagram> first_op, second_op;
  auto op_of = [](const Datagram& d) -> int64_t {
    for (const auto& f : frames_of(d))
      if (f.type == wire::FrameType::kWrite) return f.data.op_id;
    return -1;
  };
  int64_t first_id = -1;
  for (auto& d : data_packets(20)) {
    const int64_t id = op_of(d);
    ASSERT_GE(id, 0);
    if (first_id < 0) first_id = id;
    (id == first_id ? first_op : second_op).push_back(d);
  }
  ASSERT_GE(first_op.size(), 4u);
  ASSERT_GE(second_op.size(), 1u);
  // The first op's first packet is overtaken by the rest: the client declares it lost (3 later acked).
  p.now += Nanos::from_ms(10);
  for (size_t i = 1; i < first_op.size(); ++i) inject(p.server(), first_op[i], p.now);
  for (auto& a : capture(p.server(), p.now)) inject(p.client(), a, p.now + Nanos::from_ms(10));
  p.now += Nanos::from_ms(10);
  ASSERT_GE(p.client().stats().packets_lost, 1u);
  // It arrives after all: the server completes the op and tells the client, which acks that STATUS
  // (one datagram) — the retransmission stays queued but its operation is gone.
  inject(p.server(), first_op[0], p.now);
  p.now += Nanos::from_ms(10);
  for (auto& a : capture(p.server(), p.now)) inject(p.client(), a, p.now + Nanos::from_ms(10));
  p.now += Nanos::from_ms(10);
  ASSERT_EQ(p.client().stats().spurious_losses, p.client().stats().packets_lost);
  ASSERT_EQ(p.a.completions().size(), 1u);
  EXPECT_EQ(capture(p.client(), p.now, 1).size(), 1u);
  // The second op's packets never arrive: the probe timeout fires while the stale entry is queued.
  // At every step, after on_timeout and a full poll, the next deadline must be in the future.
  p.now += Nanos::from_ms(200);
  for (int step = 0; step < 4; ++step) {
    p.now = std::max(p.now, p.client().next_timeout());
    p.client().on_timeout(p.now);
    if (step == 0) {
      ASSERT_EQ(p.client().pto_count(), 1u);
    }
    capture(p.client(), p.now);
      ASSERT_GT(p.client().next_timeout(), p.now) << "step " << step << ": poll_transmit returned 0 but the timer is due";
  }
  EXPECT_GE(p.client().pto_count(), 1u);
  EXPECT_GE(p.client().stats().probes_sent, 1u);
}

// An ACK or packet that overtook the others (netem reorder: no propagation delay) yields a sample far
// below the path's RTT; isolated ones must not move srtt, min_rtt or the loss threshold, while a real
// path change (every sample low) is adopted after a few confirmations.
TEST(RttEstimator, IsolatedEarlySamplesAreIgnoredARealPathChangeIsNot) {
  RttEstimator rtt(Nanos::from_ms(100));
  for (int i = 0; i < 50; ++i) rtt.on_sample(Nanos::from_ms(50), Nanos{0});
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(rtt.on_sample(i % 2 == 0 ? Nanos::from_us(100) : Nanos::from_ms(25), Nanos{0}));
    for (int k = 0; k < 3; ++k) EXPECT_TRUE(rtt.on_sample(Nanos::from_ms(50), Nanos{0}));
  }
  EXPECT_EQ(rtt.min_rtt(), Nanos::from_ms(50));
  EXPECT_EQ(rtt.srtt(), Nanos::from_ms(50));
  EXPECT_GE(rtt.loss_delay(), Nanos::from_ms(56));
  int rejected = 0;
  for (int i = 0; i < 40; ++i) rejected += rtt.on_sample(Nanos::from_ms(10), Nanos{0}) ? 0 : 1;
  EXPECT_EQ(rejected, 15);
  EXPECT_EQ(rtt.min_rtt(), Nanos::from_ms(10));
  EXPECT_LT(rtt.srtt(), Nanos::from_ms(20));
}

TEST(Liveness, VanishedPeerFailsPendingWorkAsConnectionLost) {
  ConnectionConfig cfg = fixed_cfg();
  cfg.max_pto_count = 4;
  cfg.idle_timeout = Nanos::from_s(60);
  Pair p(cfg, cfg);
  std::vector<uint8_t> src = pattern(5000, 3), rbuf(100);
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = 1234}), PostResult::kOk);
  ASSERT_EQ(p.client().post_recv(2, rbuf), PostResult::kOk);
  // The server is gone: nothing the client sends is ever answered.
  for (int i = 0; i < 100 && p.client().state() == Connection::State::kEstablished; ++i) {
    capture(p.client(), p.now);
    p.now = std::max(p.now, p.client().next_timeout());
    p.client().on_timeout(p.now);
  }
  EXPECT_EQ(p.client().state(), Connection::State::kLost);
  EXPECT_EQ(p.client().pto_count(), 5u);
  auto done = p.a.completions();
  ASSERT_EQ(done.size(), 2u);
  for (const auto& c : done) EXPECT_EQ(c.status, Status::kConnectionLost);
  EXPECT_EQ(p.client().next_timeout(), Nanos::max());
  EXPECT_EQ(capture(p.client(), p.now).size(), 0u);
}

TEST(Liveness, IdleTimeoutWithoutTraffic) {
  ConnectionConfig cfg{.idle_timeout = Nanos::from_s(1), .keepalive = Nanos::from_s(30)};
  Pair p(cfg, cfg);
  std::vector<uint8_t> rbuf(100);
  ASSERT_EQ(p.server().post_recv(5, rbuf), PostResult::kOk);
  const Nanos t = p.server().next_timeout();
  EXPECT_LE(t, p.now + Nanos::from_s(1));
  p.now = t;
  p.server().on_timeout(p.now);
  EXPECT_EQ(p.server().state(), Connection::State::kLost);
  auto done = p.b.completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].wr_id, 5u);
  EXPECT_EQ(done[0].status, Status::kConnectionLost);
}

TEST(Liveness, KeepaliveKeepsAQuietConnectionAlive) {
  ConnectionConfig cfg{.idle_timeout = Nanos::from_s(3), .keepalive = Nanos::from_s(1)};
  Pair p(cfg, cfg);
  exchange(p, deliver_all(), [] { return false; }, 10'000);  // 10 s of silence but for keepalives
  EXPECT_TRUE(p.client().established());
  EXPECT_TRUE(p.server().established());
}

}  // namespace
}  // namespace lh::xport::test
