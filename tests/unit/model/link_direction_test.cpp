// link_direction_test.cpp — the composed direction: determinism, live config swap (take_over),
// counters, decision log, config validation.
#include <gtest/gtest.h>

#include "tests/unit/model/model_test_util.hpp"

namespace lh::emu {
namespace {

using test::packet;

// Every stage on: rate, RED queue, Gilbert–Elliott, propagation, correlated normal jitter,
// duplicate, corrupt, an outage event.
DirectionConfig everything() {
  return {.rate = {.rate = BitsPerSecond{100'000'000}},
          .queue = {.limit_packets = 200,
                    .discipline = QueueDiscipline::kRed,
                    .red = {.min_threshold = Bytes{30'000}, .max_threshold = Bytes{90'000}}},
          .loss = GilbertElliottLoss{.p = Probability::from_double(0.01), .r = Probability::from_double(0.3),
                                     .loss_bad = Probability::from_double(0.8),
                                     .loss_good = Probability::from_double(0.001)},
          .propagation = {.distance = Km::from_km(1000)},
          .jitter = {.distribution = JitterDistribution::kNormal, .jitter = Nanos::from_us(300),
                     .correlation = 0.4, .duplicate = Probability::from_double(0.01),
                     .corrupt = Probability::from_double(0.01)},
          .events = {{.at = Nanos::from_ms(20), .duration = Nanos::from_ms(1)}}};
}

std::vector<LoggedDecision> run(uint64_t seed, size_t n) {
  LinkDirection link(everything(), seed, 3, Nanos{0});
  DecisionLog log(n);
  link.set_decision_log(&log);
  Rng traffic(99);   // the same packet sequence for every run
  int64_t t = 0;
  for (size_t i = 0; i < n; ++i) {
    t += static_cast<int64_t>(traffic.below(200'000));
    link.on_packet(packet(t, 64 + static_cast<uint32_t>(traffic.below(1437)), (i & 1) != 0));
  }
  EXPECT_EQ(log.overflowed(), 0u);
  return log.entries();
}

bool same(const LoggedDecision& a, const LoggedDecision& b) {
  const Decision& x = a.decision;
  const Decision& y = b.decision;
  return a.index == b.index && a.arrival == b.arrival && a.wire_bytes == b.wire_bytes && x.drop == y.drop &&
         x.ecn_ce == y.ecn_ce && x.corrupt == y.corrupt && x.duplicate == y.duplicate &&
         x.corrupt_bit == y.corrupt_bit && x.depart == y.depart && x.duplicate_depart == y.duplicate_depart;
}

TEST(Determinism, SameSeedSameDecisionsDifferentSeedDiffers) {
  constexpr size_t kN = 50'000;
  const auto a = run(1234, kN);
  const auto b = run(1234, kN);
  const auto c = run(1235, kN);
  ASSERT_EQ(a.size(), kN);
  ASSERT_EQ(b.size(), kN);
  for (size_t i = 0; i < kN; ++i) ASSERT_TRUE(same(a[i], b[i])) << "decision " << i << " differs";
  size_t differ = 0;
  for (size_t i = 0; i < kN; ++i) differ += !same(a[i], c[i]);
  EXPECT_GT(differ, kN / 2);
  // Sanity: the run exercised the stages it claims to.
  size_t loss = 0, outage = 0, dup = 0;
  for (const auto& e : a) {
    loss += e.decision.drop == DropCause::kLoss;
    outage += e.decision.drop == DropCause::kOutage;
    dup += e.decision.duplicate;
  }
  EXPECT_GT(loss, 100u);
  EXPECT_GT(outage, 0u);
  EXPECT_GT(dup, 100u);
}

TEST(DecisionLog, BoundedAndCountsOverflow) {
  LinkDirection link({}, 1, 0, Nanos{0});
  DecisionLog log(3);
  link.set_decision_log(&log);
  for (int i = 0; i < 5; ++i) link.on_packet(packet(i));
  EXPECT_EQ(log.entries().size(), 3u);
  EXPECT_EQ(log.overflowed(), 2u);
  EXPECT_EQ(log.entries()[2].index, 2u);
  link.set_decision_log(nullptr);
  link.on_packet(packet(9));
  EXPECT_EQ(log.overflowed(), 2u);
}

TEST(TakeOver, DelayDecreaseKeepsOrderAndDropsNothing) {
  // 50 ms → 10 ms live: packets sent after the swap would overtake those still in flight; the new
  // direction continues the old one's last departure and busy time instead.
  DirectionConfig before{.rate = {.rate = BitsPerSecond{1'000'000'000}},
                         .queue = {.limit_packets = 1000},
                         .propagation = {.extra = Nanos::from_ms(50)}};
  DirectionConfig after = before;
  after.propagation.extra = Nanos::from_ms(10);
  auto old_link = std::make_unique<LinkDirection>(before, 1, 0, Nanos{0});
  int64_t last = INT64_MIN;
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i, t += 20'000) {
    const Decision d = old_link->on_packet(packet(t));
    ASSERT_TRUE(d.delivered());
    last = d.depart.ns;
  }
  // A backlog at the swap: a burst the old link has not finished serializing.
  for (int i = 0; i < 50; ++i) last = old_link->on_packet(packet(t)).depart.ns;
  const int64_t busy = old_link->queue_depth(Nanos{t}).time.ns;
  ASSERT_GT(busy, 0);

  auto new_link = std::make_unique<LinkDirection>(after, 1, 0, Nanos{0});
  new_link->take_over(*old_link);
  EXPECT_EQ(new_link->counters().packets_in, 1050u);
  EXPECT_EQ(new_link->queue_depth(Nanos{t}).packets, old_link->queue_depth(Nanos{t}).packets);
  old_link.reset();
  for (int i = 0; i < 20'000; ++i, t += 20'000) {
    const Decision d = new_link->on_packet(packet(t));
    ASSERT_TRUE(d.delivered()) << i;
    ASSERT_GE(d.depart.ns, last) << "packet " << i << " after the swap overtook an earlier one";
    last = d.depart.ns;
  }
  // Once the old in-flight packets are out, the new delay is what packets see.
  const Decision d = new_link->on_packet(packet(t, 100));
  EXPECT_EQ(d.depart.ns - t, 10'000'000 + 992);   // 124 B at 1 Gbit/s = 992 ns
  EXPECT_EQ(new_link->counters().packets_in, 21'051u);
  EXPECT_EQ(new_link->counters().packets_delivered, 21'051u);
}

TEST(TakeOver, LossAndJitterStateCarryOver) {
  // An identical config swapped in mid-run makes the same decisions as no swap at all.
  const DirectionConfig cfg = [] {
    DirectionConfig c;
    c.loss = GilbertElliottLoss{.p = Probability::from_double(0.05), .r = Probability::from_double(0.2),
                                .loss_bad = Probability::from_double(1.0)};
    c.propagation.extra = Nanos::from_ms(5);
    c.jitter = {.distribution = JitterDistribution::kNormal, .jitter = Nanos::from_us(100), .correlation = 0.7};
    return c;
  }();
  LinkDirection reference(cfg, 7, 0, Nanos{0});
  LinkDirection first(cfg, 7, 0, Nanos{0});
  LinkDirection second(cfg, 8, 0, Nanos{0});   // a different seed: must not matter after take_over
  for (int i = 0; i < 30'000; ++i) {
    const PacketMeta p = packet(int64_t{i} * 10'000);
    const Decision want = reference.on_packet(p);
    if (i == 10'000) second.take_over(first);
    const Decision got = i < 10'000 ? first.on_packet(p) : second.on_packet(p);
    ASSERT_EQ(want.drop, got.drop) << i;
    ASSERT_EQ(want.depart, got.depart) << i;
  }
}

TEST(TakeOver, SwapBetweenRateAndDeliveryTraceKeepsTheBottleneckBusy) {
  // 1 Mbit/s: 10 packets of 1476 + 24 B queue 120 ms of work. A delivery trace swapped in must not
  // deliver anything before the rate stage's backlog would have drained, and back again.
  auto trace = std::make_shared<DeliveryTrace>(
      DeliveryTrace{.source = "test", .opportunities = {Nanos{0}}, .period = Nanos::from_ms(1)});
  LinkDirection rate({.rate = {.rate = BitsPerSecond{1'000'000}}}, 1, 0, Nanos{0});
  int64_t last = 0;
  for (int i = 0; i < 10; ++i) last = rate.on_packet(packet(0, 1476)).depart.ns;
  EXPECT_EQ(last, 120'000'000);
  LinkDirection mahi({.delivery = trace}, 1, 0, Nanos{0});
  mahi.take_over(rate);
  const int64_t d1 = mahi.on_packet(packet(1'000, 1000)).depart.ns;
  EXPECT_EQ(d1, 120'000'000);   // first opportunity at or after the old backlog's end
  LinkDirection back({.rate = {.rate = BitsPerSecond{1'000'000}, .overhead = Bytes{0}}}, 1, 0, Nanos{0});
  back.take_over(mahi);
  EXPECT_EQ(back.on_packet(packet(2'000, 125)).depart.ns, 120'000'000 + 1'000'000);
}

TEST(RateStep, MidBusyChangeRoundsTheRemainderUpOnce) {
  // 7 Gbit/s leaves a fractional finish; at the step the link stays busy to the next whole ns and
  // later packets serialize at the new rate.
  LinkDirection link({.rate = {.rate = BitsPerSecond{7'000'000'000}, .overhead = Bytes{0}},
                      .schedule = {{.at = Nanos{100}, .rate = BitsPerSecond{1'000'000'000}}}},
                     1, 0, Nanos{0});
  EXPECT_EQ(link.on_packet(packet(0, 1000)).depart.ns, 1142);   // 8000 bits / 7 Gbit/s = 1142.857 ns
  EXPECT_EQ(link.on_packet(packet(100, 125)).depart.ns, 1143 + 1000);
  EXPECT_EQ(link.current_rate().bps, 1'000'000'000u);
}

TEST(Counters, AddUpByCause) {
  LinkDirection link({.rate = {.rate = BitsPerSecond{1'000'000}},
                      .queue = {.limit_packets = 5},
                      .loss = BernoulliLoss{Probability::from_double(0.5)},
                      .events = {{.at = Nanos{1'000'000'000}, .duration = Nanos{1'000'000'000}}}},
                     1, 0, Nanos{0});
  for (int i = 0; i < 3000; ++i) link.on_packet(packet(int64_t{i} * 500'000, 100));   // 2× the rate
  const auto& c = link.counters();
  uint64_t dropped = 0;
  for (uint64_t v : c.dropped) dropped += v;
  EXPECT_EQ(c.packets_in, 3000u);
  EXPECT_EQ(c.bytes_in, 300'000u);
  EXPECT_EQ(c.packets_delivered + dropped, 3000u);
  EXPECT_EQ(c.bytes_delivered, c.packets_delivered * 100);
  EXPECT_EQ(c.dropped[static_cast<size_t>(DropCause::kOutage)], 1000u);
  EXPECT_GT(c.dropped[static_cast<size_t>(DropCause::kQueueFull)], 0u);
  EXPECT_GT(c.dropped[static_cast<size_t>(DropCause::kLoss)], 0u);
  EXPECT_STREQ(to_string(DropCause::kQueueFull), "queue_full");
  EXPECT_STREQ(to_string(DropCause::kAqm), "aqm");
}

TEST(Validation, InconsistentConfigsAreRejectedWithAReason) {
  const auto message = [](const DirectionConfig& c) -> std::string {
    try {
      LinkDirection link(c, 1, 0, Nanos{0});
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message({.queue = {.discipline = QueueDiscipline::kRed}}).find("min_threshold"), std::string::npos);
  EXPECT_NE(message({.jitter = {.correlation = 1.0}}).find("correlation"), std::string::npos);
  EXPECT_NE(message({.schedule = {{.at = Nanos{5}}, {.at = Nanos{4}}}}).find("schedule[1]"), std::string::npos);
  EXPECT_NE(message({.events = {{.duration = Nanos{10}, .repeat_every = Nanos{5}}}}).find("events[0]"),
            std::string::npos);
  auto empty = std::make_shared<DeliveryTrace>(DeliveryTrace{.source = "x.mahi"});
  EXPECT_NE(message({.delivery = empty}).find("x.mahi"), std::string::npos);
}

}  // namespace
}  // namespace lh::emu
