// rate_queue_test.cpp — exact serialization arithmetic, queue limits (drop exactly the excess), RED.
#include <gtest/gtest.h>

#include "tests/unit/model/model_test_util.hpp"

namespace lh::emu {
namespace {

using test::packet;

TEST(RateStage, BackToBackSpacingIsExactOverAMillionPackets) {
  // 1500 B + 24 B overhead at 7 Gbit/s: 12192 bits → 1741.714285... ns per frame (not a whole ns).
  const uint64_t rate = 7'000'000'000;
  LinkDirection link({.rate = {.rate = BitsPerSecond{rate}}}, 1, 0, Nanos{0});
  const uint64_t bits = (1500 + 24) * 8;
  constexpr int kPackets = 1'000'000;
  int64_t first = 0, last = 0;
  for (int i = 1; i <= kPackets; ++i) {
    const Decision d = link.on_packet(packet(0));
    ASSERT_TRUE(d.delivered());
    // Finish of the i-th frame = floor(i · bits · 1e9 / rate): no rounding accumulates.
    const auto exact = static_cast<int64_t>(static_cast<unsigned __int128>(i) * bits * 1'000'000'000u / rate);
    ASSERT_EQ(d.depart.ns, exact) << "packet " << i;
    if (i == 1) first = d.depart.ns;
    last = d.depart.ns;
  }
  // Sum of spacings = total bits · 1e9 / rate (floored once, not per packet).
  EXPECT_EQ(last - first, 1'741'712'544);  // floor(1e6·12192e9/7e9) − floor(12192e9/7e9)
  EXPECT_EQ(last, static_cast<int64_t>(uint64_t{kPackets} * bits * 1'000'000'000u / rate));
}

TEST(RateStage, IdleLinkStartsAtArrivalAndUnlimitedAddsNothing) {
  LinkDirection link({.rate = {.rate = BitsPerSecond{1'000'000'000}, .overhead = Bytes{0}}}, 1, 0, Nanos{0});
  EXPECT_EQ(link.on_packet(packet(1'000, 125)).depart.ns, 2'000);   // 1000 bits at 1 Gbit/s = 1 µs
  EXPECT_EQ(link.on_packet(packet(1'500, 125)).depart.ns, 3'000);   // waits behind the first
  EXPECT_EQ(link.on_packet(packet(10'000, 125)).depart.ns, 11'000); // idle again
  LinkDirection unlimited({}, 1, 0, Nanos{0});
  EXPECT_EQ(unlimited.on_packet(packet(777)).depart.ns, 777);
  EXPECT_EQ(unlimited.current_rate().bps, 0u);
}

// A burst of N packets at one instant into an idle 1 Mbit/s link whose queue holds K: the first goes
// into service and counts as queued, so exactly K are admitted and N − K dropped.
void expect_burst_admits(const QueueConfig& queue, int burst, int admitted) {
  LinkDirection link({.rate = {.rate = BitsPerSecond{1'000'000}}, .queue = queue}, 1, 0, Nanos{0});
  int ok = 0;
  for (int i = 0; i < burst; ++i) {
    const Decision d = link.on_packet(packet(0));
    if (d.delivered()) {
      ++ok;
      EXPECT_EQ(ok, i + 1) << "only a prefix of the burst is admitted";
    } else {
      EXPECT_EQ(d.drop, DropCause::kQueueFull);
    }
  }
  EXPECT_EQ(ok, admitted);
  EXPECT_EQ(link.counters().dropped[static_cast<size_t>(DropCause::kQueueFull)], uint64_t(burst - admitted));
  const QueueDepth depth = link.queue_depth(Nanos{0});
  EXPECT_EQ(depth.packets, uint64_t(admitted));
  EXPECT_EQ(depth.bytes.n, uint64_t(admitted) * 1524);
  EXPECT_EQ(depth.time.ns, int64_t(admitted) * 12'192'000);
  // One frame time later exactly one slot has freed up.
  EXPECT_EQ(link.queue_depth(Nanos{12'192'000}).packets, uint64_t(admitted - 1));
  EXPECT_TRUE(link.on_packet(packet(12'192'000)).delivered());
  EXPECT_EQ(link.on_packet(packet(12'192'000)).drop, DropCause::kQueueFull);
}

TEST(Queue, PacketLimitDropsExactlyTheExcess) { expect_burst_admits({.limit_packets = 10}, 100, 10); }
TEST(Queue, ByteLimitDropsExactlyTheExcess) {
  expect_burst_admits({.limit_bytes = Bytes{10 * 1524}}, 100, 10);
  expect_burst_admits({.limit_bytes = Bytes{10 * 1524 + 1523}}, 100, 10);
}
TEST(Queue, TimeLimitDropsExactlyTheExcess) {
  expect_burst_admits({.limit_time = Nanos{10 * 12'192'000}}, 100, 10);
  expect_burst_admits({.limit_time = Nanos{11 * 12'192'000 - 1}}, 100, 10);
}

TEST(Queue, ConflictingLimitsAreRejected) {
  EXPECT_THROW(LinkDirection({.queue = {.limit_bytes = Bytes{1000}, .limit_packets = 3}}, 1, 0, Nanos{0}),
               std::invalid_argument);
}

DirectionConfig red_config(bool ecn) {
  return {.rate = {.rate = BitsPerSecond{10'000'000}},
          .queue = {.limit_packets = 1000,
                    .discipline = QueueDiscipline::kRed,
                    .red = {.min_threshold = Bytes{20 * 1524},
                            .max_threshold = Bytes{60 * 1524},
                            .max_p = Probability::from_double(0.1),
                            .weight = 0.02,
                            .ecn = ecn}}};
}

TEST(Red, OverloadMarksEctAndDropsNonEct) {
  // Offered load 2× the rate: the queue grows, RED acts. ECT packets get CE, non-ECT are dropped.
  for (const bool ect : {true, false}) {
    LinkDirection link(red_config(true), 3, 0, Nanos{0});
    const int64_t gap = 609'600;   // half a frame time at 10 Mbit/s
    uint64_t marked = 0, aqm = 0, full = 0;
    for (int i = 0; i < 4000; ++i) {
      const Decision d = link.on_packet(packet(int64_t{i} * gap, 1500, ect));
      marked += d.ecn_ce;
      aqm += d.drop == DropCause::kAqm;
      full += d.drop == DropCause::kQueueFull;
    }
    if (ect) {   // marking does not shed load (no sender reacts here): only the limit drops
      EXPECT_GT(marked, 100u);
      EXPECT_EQ(aqm, 0u);
      EXPECT_EQ(link.counters().ecn_marked, marked);
    } else {
      EXPECT_EQ(marked, 0u);
      EXPECT_GT(aqm, 100u);
      EXPECT_GT(aqm + full, 1000u);   // about half the offered packets must go
      // RED keeps the queue near its thresholds, far below the 1000-packet limit.
      EXPECT_LT(link.queue_depth(Nanos{4000 * gap}).packets, 100u);
    }
  }
}

TEST(Red, EcnOffDropsEctToo) {
  LinkDirection link(red_config(false), 3, 0, Nanos{0});
  uint64_t marked = 0, dropped = 0;
  for (int i = 0; i < 4000; ++i) {
    const Decision d = link.on_packet(packet(int64_t{i} * 609'600, 1500, true));
    marked += d.ecn_ce;
    dropped += !d.delivered();
  }
  EXPECT_EQ(marked, 0u);
  EXPECT_GT(dropped, 1000u);
}

TEST(Red, UnderloadNeverActs) {
  LinkDirection link(red_config(true), 3, 0, Nanos{0});
  for (int i = 0; i < 4000; ++i) {
    const Decision d = link.on_packet(packet(int64_t{i} * 2'000'000, 1500, false));   // 60% load
    ASSERT_TRUE(d.delivered());
    ASSERT_FALSE(d.ecn_ce);
  }
}

}  // namespace
}  // namespace lh::emu
