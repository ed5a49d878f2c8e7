// schedule_test.cpp — time-varying behaviour at exact ns: schedule steps, events (outage, protection
// switch, reroute, repeating, injected), link traces, Mahimahi delivery traces.
#include <gtest/gtest.h>

#include "tests/unit/model/model_test_util.hpp"

namespace lh::emu {
namespace {

using test::packet;

constexpr int64_t kEpoch = 1'000'000'000;   // schedule times are relative to this
constexpr int64_t kMs = 1'000'000;

int64_t delay_of(LinkDirection& link, int64_t t) {
  const Decision d = link.on_packet(packet(t));
  EXPECT_TRUE(d.delivered()) << "at " << t;
  return d.depart.ns - t;
}

TEST(Schedule, StepTakesEffectExactlyAtItsNanosecond) {
  LinkDirection link({.propagation = {.extra = Nanos{1 * kMs}},
                      .schedule = {{.at = Nanos{5 * kMs}, .extra_delay = Nanos{3 * kMs}},
                                   {.at = Nanos{8 * kMs}, .rate = BitsPerSecond{1'000'000'000}}}},
                     1, 0, Nanos{kEpoch});
  EXPECT_EQ(delay_of(link, kEpoch), 1 * kMs);
  EXPECT_EQ(delay_of(link, kEpoch + 5 * kMs - 1), 1 * kMs);   // at − 1 ns: old value
  EXPECT_EQ(delay_of(link, kEpoch + 5 * kMs), 3 * kMs);       // at: new value
  EXPECT_EQ(link.base_delay().ns, 3 * kMs);
  EXPECT_EQ(link.current_rate().bps, 0u);
  // The rate step: 125 B + 24 B at 1 Gbit/s = 1192 ns of serialization from 8 ms on.
  EXPECT_EQ(delay_of(link, kEpoch + 8 * kMs - 1), 3 * kMs);
  const Decision d = link.on_packet(packet(kEpoch + 8 * kMs, 125));
  EXPECT_EQ(d.depart.ns - (kEpoch + 8 * kMs), 3 * kMs + 1192);
  EXPECT_EQ(link.current_rate().bps, 1'000'000'000u);
}

TEST(Schedule, LossStepReplacesTheModel) {
  LinkDirection link({.schedule = {{.at = Nanos{10}, .loss = Probability::from_double(1.0)},
                                   {.at = Nanos{20}, .loss = Probability::from_double(0.0)}}},
                     1, 0, Nanos{0});
  EXPECT_TRUE(link.on_packet(packet(9)).delivered());
  EXPECT_EQ(link.on_packet(packet(10)).drop, DropCause::kLoss);
  EXPECT_EQ(link.on_packet(packet(19)).drop, DropCause::kLoss);
  EXPECT_TRUE(link.on_packet(packet(20)).delivered());
}

TEST(Events, OutageDropsEveryPacketInItsWindowAndNoneOutside) {
  const int64_t at = 10 * kMs, duration = 2 * kMs;
  LinkDirection link({.events = {{.at = Nanos{at}, .kind = LinkEventKind::kOutage, .duration = Nanos{duration}}}},
                     1, 0, Nanos{kEpoch});
  uint64_t dropped = 0;
  for (int64_t rel = 0; rel < 20 * kMs; rel += 997) {   // 997 ns steps hit neither edge evenly
    const Decision d = link.on_packet(packet(kEpoch + rel));
    const bool inside = rel >= at && rel < at + duration;
    ASSERT_EQ(d.drop, inside ? DropCause::kOutage : DropCause::kNone) << "rel " << rel;
    dropped += inside;
  }
  // The edges themselves.
  EXPECT_TRUE(link.on_packet(packet(kEpoch + 20 * kMs)).delivered());
  LinkDirection edge({.events = {{.at = Nanos{at}, .duration = Nanos{duration}}}}, 1, 0, Nanos{kEpoch});
  EXPECT_TRUE(edge.on_packet(packet(kEpoch + at - 1)).delivered());
  EXPECT_EQ(edge.on_packet(packet(kEpoch + at)).drop, DropCause::kOutage);
  EXPECT_EQ(edge.on_packet(packet(kEpoch + at + duration - 1)).drop, DropCause::kOutage);
  EXPECT_TRUE(edge.on_packet(packet(kEpoch + at + duration)).delivered());
  EXPECT_EQ(link.counters().dropped[static_cast<size_t>(DropCause::kOutage)], dropped);
}

TEST(Events, RepeatingOutageRecursForItsCount) {
  // Every 5 ms, 3 occurrences of a 1 ms outage from 2 ms: [2,3) [7,8) [12,13) ms; not [17,18).
  LinkDirection link({.events = {{.at = Nanos{2 * kMs}, .duration = Nanos{1 * kMs},
                                  .repeat_every = Nanos{5 * kMs}, .repeat_count = 3}}},
                     1, 0, Nanos{0});
  for (int64_t rel = 0; rel < 25 * kMs; rel += 250'000) {
    const int64_t phase = rel % (5 * kMs);
    const bool inside = rel < 15 * kMs && phase >= 2 * kMs && phase < 3 * kMs;
    EXPECT_EQ(link.on_packet(packet(rel)).drop, inside ? DropCause::kOutage : DropCause::kNone) << rel;
  }
  // Forever, with a long idle gap jumped in one step.
  LinkDirection flap({.events = {{.at = Nanos{0}, .duration = Nanos{1 * kMs}, .repeat_every = Nanos{10 * kMs}}}},
                     1, 0, Nanos{0});
  EXPECT_EQ(flap.on_packet(packet(0)).drop, DropCause::kOutage);
  EXPECT_TRUE(flap.on_packet(packet(5 * kMs)).delivered());
  EXPECT_EQ(flap.on_packet(packet(3'600'000 * kMs + 999'999)).drop, DropCause::kOutage);
  EXPECT_TRUE(flap.on_packet(packet(3'600'000 * kMs + 1 * kMs)).delivered());
}

TEST(Events, ProtectionSwitchIsOutageThenDelayChange) {
  LinkDirection link({.propagation = {.extra = Nanos{20 * kMs}},
                      .events = {{.at = Nanos{100 * kMs}, .kind = LinkEventKind::kProtectionSwitch,
                                  .duration = Nanos{50 * kMs}, .delay_delta = Nanos{3 * kMs}}}},
                     1, 0, Nanos{0});
  EXPECT_EQ(delay_of(link, 100 * kMs - 1), 20 * kMs);
  EXPECT_EQ(link.on_packet(packet(100 * kMs)).drop, DropCause::kOutage);
  EXPECT_EQ(link.on_packet(packet(150 * kMs - 1)).drop, DropCause::kOutage);
  // After the switch: the protect path is 3 ms longer. Order-preserving floor does not interfere
  // (the delay grew).
  EXPECT_EQ(delay_of(link, 150 * kMs), 23 * kMs);
  EXPECT_EQ(link.base_delay().ns, 23 * kMs);
}

TEST(Events, RerouteChangesDelayAtItsInstantWithoutLoss) {
  LinkDirection link({.propagation = {.extra = Nanos{20 * kMs}},
                      .events = {{.at = Nanos{100 * kMs}, .kind = LinkEventKind::kReroute,
                                  .duration = Nanos{5 * kMs}, .delay_delta = Nanos{7 * kMs}}}},
                     1, 0, Nanos{0});
  EXPECT_EQ(delay_of(link, 100 * kMs - 1), 20 * kMs);
  EXPECT_EQ(delay_of(link, 100 * kMs), 27 * kMs);
  EXPECT_EQ(link.counters().dropped[static_cast<size_t>(DropCause::kOutage)], 0u);
}

TEST(Events, InjectedOutageAppliesAtItsAbsoluteTime) {
  LinkDirection link({}, 1, 0, Nanos{kEpoch});
  EXPECT_TRUE(link.on_packet(packet(kEpoch + 10)).delivered());
  ASSERT_TRUE(link.inject_event({.at = Nanos{kEpoch + 100}, .duration = Nanos{50}}));
  EXPECT_TRUE(link.on_packet(packet(kEpoch + 99)).delivered());
  EXPECT_EQ(link.on_packet(packet(kEpoch + 100)).drop, DropCause::kOutage);
  EXPECT_EQ(link.on_packet(packet(kEpoch + 149)).drop, DropCause::kOutage);
  EXPECT_TRUE(link.on_packet(packet(kEpoch + 150)).delivered());
  EXPECT_FALSE(link.inject_event({.at = Nanos{0}, .duration = Nanos{-1}}));   // malformed
  size_t accepted = 1;
  while (link.inject_event({.at = Nanos{kEpoch + 1'000'000}, .duration = Nanos{1}})) ++accepted;
  EXPECT_EQ(accepted, EventTimeline::kMaxInjected);   // fixed capacity, then refused
}

TEST(LinkTrace, PointsApplyAtTheirTimesAndLoop) {
  auto trace = std::make_shared<LinkTrace>(LinkTrace{
      .source = "test",
      .points = {{.at = Nanos{0}, .rate = BitsPerSecond{0}, .delay = Nanos{1 * kMs}},
                 {.at = Nanos{1 * kMs}, .rate = BitsPerSecond{0}, .delay = Nanos{2 * kMs}},
                 {.at = Nanos{2 * kMs}, .rate = BitsPerSecond{0}, .delay = Nanos{5 * kMs},
                  .loss = Probability::from_double(1.0)}},
      .period = Nanos{3 * kMs}});
  LinkDirection link({.trace = trace}, 1, 0, Nanos{kEpoch});
  EXPECT_EQ(delay_of(link, kEpoch), 1 * kMs);
  EXPECT_EQ(delay_of(link, kEpoch + 1 * kMs - 1), 1 * kMs);
  EXPECT_EQ(delay_of(link, kEpoch + 1 * kMs), 2 * kMs);
  EXPECT_EQ(link.on_packet(packet(kEpoch + 2 * kMs)).drop, DropCause::kLoss);
  EXPECT_EQ(link.on_packet(packet(kEpoch + 3 * kMs - 1)).drop, DropCause::kLoss);
  EXPECT_EQ(delay_of(link, kEpoch + 6 * kMs), 1 * kMs);   // second loop, point 0
  EXPECT_EQ(delay_of(link, kEpoch + 300 * kMs + 1 * kMs + 5), 2 * kMs);   // jump many loops
  auto bad = std::make_shared<LinkTrace>(LinkTrace{.source = "bad.trace", .points = {{.at = Nanos{5}}}});
  EXPECT_THROW(LinkDirection({.trace = bad}, 1, 0, Nanos{0}), std::invalid_argument);
}

TEST(DeliveryTrace, MahimahiOpportunitiesCarryBytesInOrder) {
  // Opportunities at 0, 1, 2 ms, repeating every 3 ms; 1504 B each.
  auto trace = std::make_shared<DeliveryTrace>(DeliveryTrace{
      .source = "test", .opportunities = {Nanos{0}, Nanos{1 * kMs}, Nanos{2 * kMs}}, .period = Nanos{3 * kMs}});
  LinkDirection link({.delivery = trace}, 1, 0, Nanos{0});
  EXPECT_EQ(link.on_packet(packet(0, 1000)).depart.ns, 0);          // fits in the 0 ms opportunity
  EXPECT_EQ(link.on_packet(packet(0, 1000)).depart.ns, 1 * kMs);    // 504 B left: spills into 1 ms
  EXPECT_EQ(link.on_packet(packet(10, 1000)).depart.ns, 1 * kMs);   // 1008 B left at 1 ms: fits
  EXPECT_EQ(link.on_packet(packet(20, 1000)).depart.ns, 2 * kMs);   // 8 B left: spills into 2 ms
  EXPECT_EQ(link.on_packet(packet(2 * kMs + 1, 100)).depart.ns, 3 * kMs);  // 2 ms passed: wasted, next loop
  EXPECT_EQ(link.on_packet(packet(3 * kMs, 1404)).depart.ns, 3 * kMs);     // exactly fills it
  EXPECT_EQ(link.on_packet(packet(3 * kMs, 1)).depart.ns, 4 * kMs);
  EXPECT_EQ(link.on_packet(packet(9 * kMs, 4000)).depart.ns, 11 * kMs);    // spans 3 opportunities
  EXPECT_EQ(link.current_rate().bps, 3u * 1504 * 8 * 1000 / 3);
}

TEST(DeliveryTrace, PacketLimitAppliesToTheTraceQueue) {
  auto trace = std::make_shared<DeliveryTrace>(
      DeliveryTrace{.source = "test", .opportunities = {Nanos{1 * kMs}}, .period = Nanos{1 * kMs}});
  LinkDirection link({.queue = {.limit_packets = 4}, .delivery = trace}, 1, 0, Nanos{0});
  int ok = 0;
  for (int i = 0; i < 10; ++i) ok += link.on_packet(packet(0, 1500)).delivered();
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(link.queue_depth(Nanos{0}).packets, 4u);
}

}  // namespace
}  // namespace lh::emu
