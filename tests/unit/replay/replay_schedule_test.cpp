// replay_schedule_test.cpp — the pure replay schedule (traces/replay_schedule.hpp) with manual time:
// compute dependencies, round ordering, step chaining, intra-site transfers, per-step figures.
#include "traces/replay_schedule.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace lh::traces {
namespace {

constexpr Nanos ms(int64_t v) { return Nanos::from_ms(v); }

// A 2-site, 2-ranks-per-site trace header; events added by the tests.
GradientTrace trace(uint32_t steps, std::optional<Nanos> step_compute, uint32_t sites = 2) {
  GradientTrace t;
  t.provenance = Provenance{.source = "generated", .tool = "replay_schedule_test", .world_size = sites * 2,
                            .sites = sites, .ranks_per_site = 2, .step_compute = step_compute, .steps = steps};
  return t;
}

TraceEvent ev(uint32_t step, uint32_t src_site, uint32_t dst_site, uint64_t bytes, uint32_t bucket, uint32_t round,
              Nanos after, Nanos t = Nanos{0}) {
  return TraceEvent{.t = t, .step = step, .src = {src_site, 0}, .dst = {dst_site, 0}, .bytes = bytes,
                    .op = CollectiveOp::kAllReduce, .bucket = bucket, .round = round, .after_compute = after};
}

std::vector<uint32_t> drain(ReplaySchedule& s, Nanos now) {
  std::vector<uint32_t> ids;
  while (auto id = s.poll_issue(now)) ids.push_back(*id);
  return ids;
}

TEST(ReplaySchedule, TransferWaitsForItsComputeAndHiddenCommIsNotExposed) {
  GradientTrace t = trace(1, ms(100));
  t.events.push_back(ev(0, 0, 1, 1000, 0, 0, ms(10), ms(10)));
  ReplaySchedule s(t, {});
  s.start(ms(1000));
  EXPECT_TRUE(drain(s, ms(1000)).empty());
  EXPECT_EQ(s.next_wakeup(), ms(1010));
  EXPECT_TRUE(drain(s, ms(1009)).empty());
  const auto ids = drain(s, ms(1010));
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(s.transfers()[ids[0]].dir, ReplayDirection::kForward);
  EXPECT_EQ(s.in_flight(), 1u);
  EXPECT_FALSE(s.done());
  s.on_complete(ids[0], ms(1030));
  ASSERT_TRUE(s.done());
  const StepResult& r = s.results().at(0);
  EXPECT_EQ(r.compute_start, ms(0));
  EXPECT_EQ(r.compute, ms(100));
  EXPECT_EQ(r.first_issue, ms(10));
  EXPECT_EQ(r.last_completion, ms(30));
  EXPECT_EQ(r.comm, ms(20));
  EXPECT_EQ(r.end, ms(100));
  EXPECT_EQ(r.exposed, ms(0));
  EXPECT_DOUBLE_EQ(r.slowdown, 1.0);
  EXPECT_EQ(r.bytes_forward, 1000u);
  EXPECT_EQ(r.bytes_reverse, 0u);
}

TEST(ReplaySchedule, LateCompletionIsExposedAndDelaysTheNextStep) {
  GradientTrace t = trace(2, ms(100));
  t.events.push_back(ev(0, 0, 1, 1000, 0, 0, ms(50), ms(50)));
  t.events.push_back(ev(1, 1, 0, 2000, 0, 0, ms(0), ms(100)));
  ReplaySchedule s(t, {});
  s.start(ms(0));
  const auto a = drain(s, ms(50));
  ASSERT_EQ(a.size(), 1u);
  // Step 1's transfer (after 0 ms of its compute) must wait for step 0 to end.
  EXPECT_TRUE(drain(s, ms(140)).empty());
  EXPECT_EQ(s.next_wakeup(), Nanos::max());
  s.on_complete(a[0], ms(150));
  ASSERT_EQ(s.results().size(), 1u);
  EXPECT_EQ(s.results()[0].end, ms(150));
  EXPECT_EQ(s.results()[0].exposed, ms(50));
  EXPECT_DOUBLE_EQ(s.results()[0].slowdown, 1.5);
  const auto b = drain(s, ms(150));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(s.transfers()[b[0]].dir, ReplayDirection::kReverse);
  s.on_complete(b[0], ms(170));
  ASSERT_TRUE(s.done());
  const StepResult& r1 = s.results()[1];
  EXPECT_EQ(r1.compute_start, ms(150));
  EXPECT_EQ(r1.end, ms(250));  // compute 100 ms from 150 ms; the transfer hid behind it
  EXPECT_EQ(r1.comm, ms(20));
  EXPECT_EQ(r1.bytes_reverse, 2000u);
}

TEST(ReplaySchedule, RoundStartsOnlyAfterEveryEarlierRoundOfItsBucketEnded) {
  GradientTrace t = trace(1, ms(10));
  t.events.push_back(ev(0, 0, 1, 100, 7, 0, ms(0)));
  t.events.push_back(ev(0, 1, 0, 100, 7, 0, ms(0)));
  t.events.push_back(ev(0, 0, 1, 100, 7, 1, ms(0)));
  t.events.push_back(ev(0, 0, 1, 100, 8, 0, ms(0)));  // another bucket: independent
  ReplaySchedule s(t, {});
  s.start(ms(0));
  auto first = drain(s, ms(0));
  ASSERT_EQ(first.size(), 3u);
  for (uint32_t id : first) EXPECT_EQ(s.transfers()[id].round, 0u);
  s.on_complete(first[0], ms(5));
  EXPECT_TRUE(drain(s, ms(5)).empty());
  // Completing bucket 8 does not release bucket 7's round 1.
  for (uint32_t id : first) {
    if (s.transfers()[id].bucket == 8) s.on_complete(id, ms(6));
  }
  EXPECT_TRUE(drain(s, ms(6)).empty());
  for (uint32_t id : first) {
    if (s.transfers()[id].bucket == 7 && id != first[0]) s.on_complete(id, ms(8));
  }
  const auto second = drain(s, ms(8));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(s.transfers()[second[0]].round, 1u);
  s.on_complete(second[0], ms(30));
  ASSERT_TRUE(s.done());
  EXPECT_EQ(s.results()[0].comm, ms(30));
  EXPECT_EQ(s.results()[0].transfers, 4u);
  EXPECT_EQ(s.results()[0].end, ms(30));
  EXPECT_DOUBLE_EQ(s.results()[0].slowdown, 3.0);
}

TEST(ReplaySchedule, IntraSiteTransfersAreInstantButStillOrderRounds) {
  GradientTrace t = trace(1, ms(100), 3);
  t.events.push_back(ev(0, 0, 0, 100, 0, 0, ms(20)));  // intra-site (round 0)
  t.events.push_back(ev(0, 1, 2, 100, 0, 0, ms(30)));  // another site pair: not replayed
  t.events.push_back(ev(0, 0, 1, 100, 0, 1, ms(0)));   // round 1: after both, so at 30 ms
  ReplaySchedule s(t, {.site_a = 0, .site_b = 1});
  s.start(ms(0));
  EXPECT_TRUE(drain(s, ms(25)).empty());
  EXPECT_EQ(s.next_wakeup(), ms(30));
  const auto ids = drain(s, ms(31));
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(s.transfers()[ids[0]].round, 1u);
  EXPECT_EQ(s.results().size(), 0u);
  s.on_complete(ids[0], ms(40));
  ASSERT_TRUE(s.done());
  EXPECT_EQ(s.results()[0].transfers, 1u);  // only the network transfer counts
  EXPECT_EQ(s.results()[0].comm, ms(9));    // issued at 31 (the driver's now), done at 40
}

TEST(ReplaySchedule, StepsWithoutNetworkTransfersChainByComputeAlone) {
  GradientTrace t = trace(4, ms(10));
  t.events.push_back(ev(3, 0, 1, 100, 0, 0, ms(5), ms(35)));
  ReplaySchedule s(t, {});
  s.start(ms(0));
  EXPECT_EQ(s.results().size(), 3u);
  EXPECT_EQ(s.results()[2].end, ms(30));
  EXPECT_EQ(s.next_wakeup(), ms(35));
  const auto ids = drain(s, ms(35));
  ASSERT_EQ(ids.size(), 1u);
  s.on_complete(ids[0], ms(36));
  ASSERT_TRUE(s.done());
  EXPECT_EQ(s.results()[3].end, ms(40));
}

TEST(ReplaySchedule, ComputeIsDerivedFromTheIdealScheduleWhenTheHeaderHasNone) {
  GradientTrace t = trace(5, std::nullopt);
  t.events.push_back(ev(0, 0, 1, 100, 0, 0, ms(30), ms(30)));   // step 0 starts at 0
  t.events.push_back(ev(1, 0, 1, 100, 0, 0, ms(40), ms(140)));  // step 1 starts at 100
  t.events.push_back(ev(3, 0, 1, 100, 0, 0, ms(80), ms(380)));  // step 3 starts at 300
  ReplaySchedule s(t, {});
  EXPECT_EQ(s.compute_of(0), ms(100));
  EXPECT_EQ(s.compute_of(1), ms(100));
  EXPECT_EQ(s.compute_of(2), ms(100));
  EXPECT_EQ(s.compute_of(3), ms(100));
  EXPECT_EQ(s.compute_of(4), ms(100));
  ReplaySchedule limited(t, {.max_steps = 2});
  EXPECT_EQ(limited.step_count(), 2u);
  EXPECT_EQ(limited.transfers().size(), 2u);
}

TEST(ReplaySchedule, ComputeNeverBelowTheLargestAfterCompute) {
  GradientTrace t = trace(1, ms(10));
  t.events.push_back(ev(0, 0, 1, 100, 0, 0, ms(25), ms(25)));
  ReplaySchedule s(t, {});
  EXPECT_EQ(s.compute_of(0), ms(25));
}

TEST(ReplaySchedule, BadScopeAndBadCompletionsAreErrors) {
  GradientTrace t = trace(1, ms(10));
  t.events.push_back(ev(0, 0, 1, 100, 0, 0, ms(0)));
  EXPECT_THROW(ReplaySchedule(t, {.site_a = 1, .site_b = 1}), std::invalid_argument);
  EXPECT_THROW(ReplaySchedule(t, {.site_a = 0, .site_b = 2}), std::invalid_argument);
  EXPECT_THROW(ReplaySchedule(t, {.max_steps = 0}), std::invalid_argument);
  ReplaySchedule s(t, {});
  s.start(ms(0));
  EXPECT_THROW(s.on_complete(0, ms(1)), std::logic_error);  // not issued yet
  const auto ids = drain(s, ms(0));
  ASSERT_EQ(ids.size(), 1u);
  s.on_complete(ids[0], ms(1));
  EXPECT_THROW(s.on_complete(ids[0], ms(2)), std::logic_error);  // twice
  EXPECT_THROW(s.start(ms(3)), std::logic_error);
}

TEST(ReplaySchedule, ConcurrentTransfersOfAStepAllCountTowardsItsCommTime) {
  GradientTrace t = trace(1, ms(50));
  for (uint32_t b = 0; b < 4; ++b) {
    t.events.push_back(ev(0, 0, 1, 1000, b, 0, ms(10 * b)));
    t.events.push_back(ev(0, 1, 0, 500, b, 0, ms(10 * b)));
  }
  ReplaySchedule s(t, {});
  s.start(ms(0));
  std::vector<uint32_t> all;
  for (int64_t now = 0; now <= 30; now += 10) {
    EXPECT_EQ(s.next_wakeup(), ms(now));
    for (uint32_t id : drain(s, ms(now))) all.push_back(id);
  }
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(s.next_wakeup(), Nanos::max());
  for (size_t i = 0; i < all.size(); ++i) s.on_complete(all[i], ms(40 + static_cast<int64_t>(i)));
  ASSERT_TRUE(s.done());
  const StepResult& r = s.results()[0];
  EXPECT_EQ(r.comm, ms(47));
  EXPECT_EQ(r.bytes_forward, 4000u);
  EXPECT_EQ(r.bytes_reverse, 2000u);
  EXPECT_EQ(r.end, ms(50));
  EXPECT_EQ(r.exposed, ms(0));
}

}  // namespace
}  // namespace lh::traces
