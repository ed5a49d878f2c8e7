// histogram_test.cpp — lh::Histogram against exact order statistics of the same data.
#include "src/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "src/rng.hpp"

namespace lh {
namespace {

// Nearest-rank percentile of sorted data (the definition Histogram::percentile follows).
int64_t exact_percentile(const std::vector<int64_t>& sorted, double p) {
  if (p <= 0) return sorted.front();
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()) * (1 - 1e-12)));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Log-uniform values over 1 ns .. 10 s: every bucket of the histogram gets exercised.
std::vector<int64_t> random_values(uint64_t seed, size_t n) {
  Rng rng(seed);
  std::vector<int64_t> v(n);
  for (auto& x : v) x = static_cast<int64_t>(std::exp(rng.uniform() * std::log(1e10)));
  return v;
}

constexpr double kPercentiles[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

TEST(Histogram, PercentilesWithinOneTenthPercentOfExact) {
  auto values = random_values(11, 100'000);
  Histogram h;
  for (auto v : values) h.record(v);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  for (double p : kPercentiles) {
    const int64_t exact = exact_percentile(values, p);
    const int64_t got = h.percentile(p);
    EXPECT_LE(std::abs(got - exact), static_cast<int64_t>(static_cast<double>(exact) * 0.001))
        << "p" << p << " exact " << exact << " got " << got;
  }
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int64_t v = 0; v < 2048; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 1023);
  EXPECT_EQ(h.percentile(100), 2047);
  EXPECT_EQ(h.lowest_equivalent(1500), 1500);
  EXPECT_EQ(h.highest_equivalent(1500), 1500);
}

TEST(Histogram, BucketWidthIsBelowOneTenthPercentEverywhere) {
  Histogram h;
  for (int64_t v = 2048; v < Histogram::kDefaultHighest; v = v * 3 / 2 + 7) {
    const int64_t lo = h.lowest_equivalent(v), hi = h.highest_equivalent(v);
    ASSERT_LE(lo, v);
    ASSERT_GE(hi, v);
    ASSERT_LT(static_cast<double>(hi - lo), 0.001 * static_cast<double>(lo)) << v;
  }
}

TEST(Histogram, MeanIsExact) {
  Histogram h;
  h.record(1);
  h.record(2);
  h.record_n(1'000'000'007, 2);
  EXPECT_DOUBLE_EQ(h.mean(), (1 + 2 + 2 * 1'000'000'007.0) / 4);
  EXPECT_EQ(h.count(), 4u);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  const auto a = random_values(1, 30'000), b = random_values(2, 50'000);
  Histogram ha, hb, all;
  for (auto v : a) ha.record(v), all.record(v);
  for (auto v : b) hb.record(v), all.record(v);
  hb.record(-5);
  all.record(-5);
  ha.merge(hb);
  EXPECT_EQ(ha.to_json(), all.to_json());
  for (double p = 0; p <= 100; p += 0.5) EXPECT_EQ(ha.percentile(p), all.percentile(p)) << p;
  std::vector<int64_t> merged_buckets, all_buckets;
  ha.for_each_bucket([&](int64_t lo, int64_t, uint64_t n) { merged_buckets.insert(merged_buckets.end(), {lo, static_cast<int64_t>(n)}); });
  all.for_each_bucket([&](int64_t lo, int64_t, uint64_t n) { all_buckets.insert(all_buckets.end(), {lo, static_cast<int64_t>(n)}); });
  EXPECT_EQ(merged_buckets, all_buckets);
}

TEST(Histogram, MergeIntoEmptyAndOfEmpty) {
  Histogram empty, h;
  h.record(500);
  h.record(700);
  Histogram copy = h;
  copy.merge(empty);
  EXPECT_EQ(copy.to_json(), h.to_json());
  empty.merge(h);
  EXPECT_EQ(empty.min(), 500);
  EXPECT_EQ(empty.max(), 700);
}

TEST(Histogram, MergeOfDifferentRangesThrows) {
  Histogram a, b(1'000'000);
  EXPECT_THROW(a.merge(b), std::invalid_argument);
  EXPECT_THROW(Histogram(100), std::invalid_argument);
}

TEST(Histogram, OutOfRangeValuesAreClampedAndCounted) {
  Histogram h(1'000'000);
  h.record(-3);
  h.record(5'000'000);
  h.record(10);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.clamped(), 2u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 1'000'000);
  EXPECT_EQ(h.percentile(100), 1'000'000);
  EXPECT_EQ(h.percentile(50), 10);
}

TEST(Histogram, HugeValuesClampToDefaultRange) {
  Histogram h;
  h.record(INT64_MAX);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.max(), Histogram::kDefaultHighest);
}

TEST(Histogram, EmptyAndReset) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0);
  EXPECT_EQ(h.mean(), 0.0);
  const auto j = h.to_json();
  EXPECT_EQ(j["count"], 0);
  EXPECT_TRUE(j["p99"].is_null());
  h.record(42);
  h.record_n(43, 0);
  EXPECT_EQ(h.count(), 1u);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.clamped(), 0u);
  int buckets = 0;
  h.for_each_bucket([&](int64_t, int64_t, uint64_t) { ++buckets; });
  EXPECT_EQ(buckets, 0);
  h.record(7);
  EXPECT_EQ(h.min(), 7);
  EXPECT_EQ(h.max(), 7);
}

TEST(Histogram, JsonHasTheSummary) {
  Histogram h;
  for (int64_t v = 1; v <= 1000; ++v) h.record(v * 1000);
  const auto j = h.to_json();
  EXPECT_EQ(j["count"], 1000);
  EXPECT_EQ(j["min"], 1000);
  EXPECT_EQ(j["max"], 1'000'000);
  EXPECT_DOUBLE_EQ(j["mean"].get<double>(), 500'500.0);
  EXPECT_NEAR(j["p50"].get<double>(), 500'000, 500);
  EXPECT_NEAR(j["p99"].get<double>(), 990'000, 990);
  EXPECT_NEAR(j["p999"].get<double>(), 999'000, 999);
  EXPECT_EQ(j["p9999"], 1'000'000);
}

}  // namespace
}  // namespace lh
