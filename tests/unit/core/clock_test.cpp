// clock_test.cpp — ManualClock exactly; TscClock for monotonicity and agreement with the monotonic
// clock (a loose sanity check, not a timing assertion).
#include "src/clock.hpp"

#include <gtest/gtest.h>

namespace lh {
namespace {

static_assert(Clock<ManualClock> && Clock<MonotonicClock> && Clock<TscClock>);

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock c(Nanos::from_ms(5));
  EXPECT_EQ(c.now(), Nanos::from_ms(5));
  EXPECT_EQ(c.now(), Nanos::from_ms(5));
  c.advance(Nanos{250});
  EXPECT_EQ(c.now().ns, 5'000'250);
  c.set(Nanos::from_s(3));
  EXPECT_EQ(c.now(), Nanos::from_s(3));
}

TEST(MonotonicClock, NeverGoesBack) {
  MonotonicClock c;
  Nanos prev = c.now();
  for (int i = 0; i < 10'000; ++i) {
    const Nanos t = c.now();
    ASSERT_GE(t, prev);
    prev = t;
  }
}

class TscClockTest : public ::testing::Test {
 protected:
  static inline TscClock* clock_ = nullptr;
  static void SetUpTestSuite() { clock_ = new TscClock(Nanos::from_ms(20)); }
  static void TearDownTestSuite() { delete clock_; }
};

TEST_F(TscClockTest, IsMonotonic) {
  Nanos prev = clock_->now();
  for (int i = 0; i < 100'000; ++i) {
    const Nanos t = clock_->now();
    ASSERT_GE(t, prev);
    prev = t;
  }
}

TEST_F(TscClockTest, RoughlyMatchesTheMonotonicClock) {
  MonotonicClock mono;
  const Nanos m0 = mono.now(), t0 = clock_->now();
  // Same time base: within 50 ms of each other (generous for a loaded, virtualised box).
  EXPECT_LT(std::abs((t0 - m0).ns), Nanos::from_ms(50).ns);
  while (mono.now() - m0 < Nanos::from_ms(20)) {
  }
  const Nanos m1 = mono.now(), t1 = clock_->now();
  const double ratio = static_cast<double>((t1 - t0).ns) / static_cast<double>((m1 - m0).ns);
  EXPECT_NEAR(ratio, 1.0, 0.2);
}

TEST_F(TscClockTest, ConversionsRoundTrip) {
  EXPECT_GT(clock_->ticks_per_second(), 1'000'000u);
  for (int64_t d : {int64_t{0}, int64_t{1'000}, int64_t{1'000'000'007}, int64_t{86'400} * 1'000'000'000}) {
    const uint64_t ticks = clock_->ns_to_ticks(Nanos{d});
    EXPECT_LE(std::abs(clock_->ticks_to_ns(ticks).ns - d), 2 + d / 1'000'000'000) << d;
  }
  const Nanos t = clock_->now() + Nanos::from_ms(3);
  EXPECT_LE(std::abs(clock_->to_nanos(clock_->to_tsc(t)).ns - t.ns), 2);
  const Nanos before = clock_->now() - Nanos::from_s(1);
  EXPECT_LE(std::abs(clock_->to_nanos(clock_->to_tsc(before)).ns - before.ns), 2);
}

TEST(TscClock, RejectsZeroCalibration) { EXPECT_THROW(TscClock(Nanos{0}), std::invalid_argument); }

}  // namespace
}  // namespace lh
