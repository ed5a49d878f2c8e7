// buffer_sizing_test.cpp — lh-emu's mempool sizing: mbufs = ceil(rate × (max delay + queue time) /
// frame) + duplicates + 1 + a fixed 4096 for PMD rings and bursts (the BDP rule of thumb, with the
// queue's worst case added). Pure arithmetic on DirectionConfig, no DPDK.
#include "emulator/dpdk/buffer_sizing.hpp"

#include <gtest/gtest.h>

namespace lh::emu {
namespace {

constexpr uint32_t kFrame = 1500 + 14 + 8;
constexpr uint64_t kFixed = 4096;

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

TEST(BufferSizing, UnlimitedRateUsesAssumedRateAndNoQueue) {
  DirectionConfig d;
  d.propagation.extra = Nanos::from_ms(10);
  const DirectionSizing s = size_direction(d, kFrame, BitsPerSecond{10'000'000'000});
  EXPECT_EQ(s.peak_rate.bps, 10'000'000'000u);
  EXPECT_EQ(s.max_delay.ns, Nanos::from_ms(10).ns);
  EXPECT_EQ(s.queue_time.ns, 0);
  EXPECT_EQ(s.in_flight.n, 12'500'000u);   // 10 Gbit/s × 10 ms / 8
  EXPECT_EQ(s.mbufs, ceil_div(12'500'000, kFrame) + 1 + kFixed);
}

TEST(BufferSizing, RateLimitedQueueAddsItsTime) {
  DirectionConfig d;
  d.rate.rate = BitsPerSecond{1'000'000'000};
  d.propagation.extra = Nanos::from_ms(20);
  d.queue.limit_time = Nanos::from_ms(5);
  const DirectionSizing s = size_direction(d, kFrame, BitsPerSecond{10'000'000'000});
  EXPECT_EQ(s.peak_rate.bps, 1'000'000'000u);   // the profile's rate, not the assumed one
  EXPECT_EQ(s.queue_time.ns, Nanos::from_ms(5).ns);
  EXPECT_EQ(s.in_flight.n, 3'125'000u);   // 1 Gbit/s × 25 ms / 8
  EXPECT_EQ(s.mbufs, ceil_div(3'125'000, kFrame) + 1 + kFixed);
}

TEST(BufferSizing, ScheduleRaisesPeakRateAndDelay) {
  DirectionConfig d;
  d.rate.rate = BitsPerSecond{100'000'000};
  d.queue.limit_time = Nanos::from_ms(1);
  ScheduleStep step;
  step.at = Nanos::from_s(1);
  step.rate = BitsPerSecond{400'000'000};
  step.extra_delay = Nanos::from_ms(30);
  d.schedule.push_back(step);
  const DirectionSizing s = size_direction(d, kFrame, BitsPerSecond{10'000'000'000});
  EXPECT_EQ(s.peak_rate.bps, 400'000'000u);
  EXPECT_EQ(s.max_delay.ns, Nanos::from_ms(30).ns);
  EXPECT_EQ(s.in_flight.n, 1'550'000u);   // 400 Mbit/s × 31 ms / 8
}

TEST(BufferSizing, PoolBytesGrowWithMbufsAndDescribeNamesTheDirection) {
  EXPECT_GT(pool_bytes(2000, 2176), pool_bytes(1000, 2176));
  EXPECT_GE(pool_bytes(1000, 2176), 1000u * 2176u);
  DirectionConfig d;
  d.propagation.extra = Nanos::from_ms(10);
  const std::string text = describe(size_direction(d, kFrame, BitsPerSecond{10'000'000'000}), "a_to_b");
  EXPECT_NE(text.find("a_to_b"), std::string::npos);
  EXPECT_NE(text.find("mbufs"), std::string::npos);
}

}  // namespace
}  // namespace lh::emu
