// idle_policy_test.cpp — when lh-emu's worker sleeps between polls (emulator/dpdk/idle_policy.hpp).
#include "emulator/dpdk/idle_policy.hpp"

#include <gtest/gtest.h>

namespace lh::emu {
namespace {

constexpr uint64_t kNone = UINT64_MAX;
// Ticks are ns here: 50 µs sleeps, 20 µs wake margin, 5 µs minimum, forced yield after 500 µs.
const IdlePolicyConfig kConfig{.max_sleep = 50'000, .wake_margin = 20'000, .min_sleep = 5'000, .max_busy = 500'000};

TEST(IdlePolicy, BusyPollingWhenDisabled) {
  IdlePolicy p(IdlePolicyConfig{});
  for (uint64_t t = 0; t < 10'000'000; t += 1'000) EXPECT_EQ(p.after_poll(t, false, kNone), 0u);
  EXPECT_EQ(p.idle_sleeps(), 0u);
  EXPECT_EQ(p.forced_yields(), 0u);
}

TEST(IdlePolicy, IdleWithNothingQueuedSleepsTheLongestSleep) {
  IdlePolicy p(kConfig);
  EXPECT_EQ(p.after_poll(1'000, false, kNone), 50'000u);
  EXPECT_EQ(p.idle_sleeps(), 1u);
}

TEST(IdlePolicy, NeverSleepsRightAfterReceiving) {
  IdlePolicy p(kConfig);
  EXPECT_EQ(p.after_poll(1'000, true, kNone), 0u);
  EXPECT_EQ(p.after_poll(2'000, true, 10'000'000), 0u);
}

TEST(IdlePolicy, KeepsPollingShortlyAfterAFrame) {
  IdlePolicyConfig c = kConfig;
  c.spin_after_rx = 10'000;
  IdlePolicy p(c);
  EXPECT_EQ(p.after_poll(100'000, true, kNone), 0u);
  EXPECT_EQ(p.after_poll(105'000, false, kNone), 0u);         // 5 µs after the last frame: spin
  EXPECT_EQ(p.after_poll(109'999, false, kNone), 0u);
  EXPECT_EQ(p.after_poll(110'000, false, kNone), 50'000u);    // 10 µs without a frame: sleep
  EXPECT_EQ(p.idle_sleeps(), 1u);
}

TEST(IdlePolicy, WakesAMarginBeforeTheNextDeparture) {
  IdlePolicy p(kConfig);
  // Departure in 30 µs: sleep 10 µs, waking 20 µs before it.
  EXPECT_EQ(p.after_poll(100'000, false, 130'000), 10'000u);
  // Departure in 24 µs: a 4 µs sleep is below the minimum, spin.
  EXPECT_EQ(p.after_poll(200'000, false, 224'000), 0u);
  // Departure due or overdue (TX queue refused frames): spin.
  EXPECT_EQ(p.after_poll(300'000, false, 300'000), 0u);
  EXPECT_EQ(p.after_poll(400'000, false, 0), 0u);
  // Far away: capped at the longest sleep.
  EXPECT_EQ(p.after_poll(500'000, false, 900'000), 50'000u);
}

TEST(IdlePolicy, ContinuousWorkIsInterruptedByOneYield) {
  IdlePolicy p(kConfig);
  uint64_t t = 0;
  uint64_t busy = 0, slept = 0;
  // Line rate: every poll receives. Over 100 ms the worker must still be idle for more than 5% of the
  // time (what RT throttling needs to leave it alone) and yield at most every 500 µs of work.
  while (t < 100'000'000) {
    const uint64_t s = p.after_poll(t, true, 0);
    if (s != 0) {
      slept += s;
      t += s;
    } else {
      busy += 1'000;
      t += 1'000;
    }
  }
  EXPECT_GT(static_cast<double>(slept) / static_cast<double>(t), 0.05);
  EXPECT_LT(static_cast<double>(slept) / static_cast<double>(t), 0.15);
  EXPECT_GE(p.forced_yields(), 100'000'000u / 550'000u);
  EXPECT_EQ(p.idle_sleeps(), 0u);
  EXPECT_GT(busy, 0u);
}

TEST(IdlePolicy, IdleSleepsResetTheBusyStretch) {
  IdlePolicy p(kConfig);
  // Alternating work and idle polls: the idle sleeps already leave the core, no forced yield.
  uint64_t t = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(p.after_poll(t, true, kNone), 0u);
    t += 100'000;
    const uint64_t s = p.after_poll(t, false, kNone);
    EXPECT_EQ(s, 50'000u);
    t += s;
  }
  EXPECT_EQ(p.forced_yields(), 0u);
  EXPECT_EQ(p.idle_sleeps(), 1000u);
}

}  // namespace
}  // namespace lh::emu
