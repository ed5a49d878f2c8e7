// jitter_test.cpp — propagation exactness, jitter distributions (KS), AR(1) correlation, ordering,
// reorder / duplicate / corrupt.
#include <gtest/gtest.h>

#include <numeric>

#include "emulator/model/propagation.hpp"
#include "tests/unit/model/model_test_util.hpp"

namespace lh::emu {
namespace {

using test::packet;

constexpr int64_t kBase = 100'000'000;   // 100 ms base delay: jitter never hits the zero-delay clip

TEST(Propagation, DistanceTimesPerKmIsExact) {
  LinkDirection link({.propagation = {.distance = Km::from_km(4000)}}, 1, 0, Nanos{0});
  EXPECT_EQ(link.base_delay().ns, 19'600'000);
  EXPECT_EQ(link.on_packet(packet(123)).depart.ns, 123 + 19'600'000);
  // 1234.567 km at 4.9 µs/km = 6,049,378.3 ns → 6,049,378; plus 1 ms extra.
  LinkDirection odd({.propagation = {.distance = Km{1'234'567'000}, .extra = Nanos::from_ms(1)}}, 1, 0, Nanos{0});
  EXPECT_EQ(odd.base_delay().ns, 6'049'378 + 1'000'000);
  EXPECT_EQ(fiber_delay_ns(Km::from_km(20'000), Nanos{5'000}), 100'000'000);
}

// Jitter values (ns) of n packets through an unlimited link in reordering mode (no FIFO floor).
std::vector<double> jitter_sample(JitterDistribution dist, int64_t scale, double rho, size_t n,
                                  uint64_t seed = 7) {
  LinkDirection link({.propagation = {.extra = Nanos{kBase}},
                      .jitter = {.distribution = dist, .jitter = Nanos{scale}, .correlation = rho,
                                 .mode = JitterMode::kReordering}},
                     seed, 0, Nanos{0});
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t t = static_cast<int64_t>(i) * 1000;
    out[i] = static_cast<double>(link.on_packet(packet(t)).depart.ns - t - kBase);
  }
  return out;
}

TEST(Jitter, UniformMatchesItsDistribution) {
  const int64_t half = 10'000'000;   // ±10 ms
  const auto s = jitter_sample(JitterDistribution::kUniform, half, 0.0, 200'000);
  const double d = test::ks_statistic(s, [&](double x) { return std::clamp((x + half) / (2.0 * half), 0.0, 1.0); });
  EXPECT_LT(d, test::ks_critical_0001(s.size()));
  EXPECT_GE(*std::min_element(s.begin(), s.end()), -half);
  EXPECT_LE(*std::max_element(s.begin(), s.end()), half);
}

TEST(Jitter, NormalMatchesItsDistribution) {
  const double sigma = 5'000'000;
  const auto s = jitter_sample(JitterDistribution::kNormal, 5'000'000, 0.0, 200'000);
  const double d = test::ks_statistic(s, [&](double x) { return 0.5 * std::erfc(-x / (sigma * std::sqrt(2.0))); });
  EXPECT_LT(d, test::ks_critical_0001(s.size()));
  // Tail quantiles too (KS is weak in the tails): P(|x| > 3σ) = 0.0027, binomial 99.9% interval.
  const double beyond = static_cast<double>(std::count_if(s.begin(), s.end(), [&](double x) { return std::abs(x) > 3 * sigma; }));
  const double expect = 0.0026998 * s.size();
  EXPECT_NEAR(beyond, expect, 3.2905 * std::sqrt(expect));
}

TEST(Jitter, ParetoFollowsNetemDefinition) {
  // x = (U^(-1/3) − 1.5)·4/3 ⇒ P(x ≤ v) = 1 − (0.75·v + 1.5)^(−3) for v ≥ −2/3 (unit scale).
  const double scale = 1'000'000;
  const auto s = jitter_sample(JitterDistribution::kPareto, 1'000'000, 0.0, 200'000);
  std::vector<double> body;
  for (double x : s) body.push_back(x / scale);
  constexpr double kClip = 32767.0 / 8192.0;   // netem's table clip: an atom of mass 4.5^−3 there
  const double d = test::ks_statistic_below(body, [](double v) {
    return v < -2.0 / 3.0 ? 0.0 : 1.0 - std::pow(0.75 * v + 1.5, -3.0);
  }, kClip - 1e-5);
  EXPECT_LT(d, test::ks_critical_0001(s.size()));
  const double atom = static_cast<double>(std::count_if(body.begin(), body.end(), [](double v) { return v >= kClip - 1e-5; }));
  const double expect = std::pow(0.75 * kClip + 1.5, -3.0) * body.size();
  EXPECT_NEAR(atom, expect, 3.2905 * std::sqrt(expect));
}

TEST(Jitter, ParetoNormalIsNetemsComonotoneMix) {
  // iproute2 paretonormal.c: value(u) = 0.25·Φ⁻¹(u) + 0.75·pareto(1 − u) from one quantile index u,
  // increasing in u, so P(x ≤ v) = g⁻¹(v): invert g by bisection and compare with KS.
  const auto g = [](double u) {
    return 0.25 * normal_quantile(u) + 0.75 * (1.0 / std::cbrt(1.0 - u) - 1.5) * (4.0 / 3.0);
  };
  const auto cdf = [&](double v) {
    double lo = 1e-12, hi = 1 - 1e-12;
    for (int i = 0; i < 50; ++i) {
      const double mid = 0.5 * (lo + hi);
      (g(mid) <= v ? lo : hi) = mid;
    }
    return lo;
  };
  const double scale = 1'000'000;
  const auto s = jitter_sample(JitterDistribution::kParetoNormal, 1'000'000, 0.0, 20'000);
  std::vector<double> unit;
  for (double x : s) unit.push_back(x / scale);
  const double d = test::ks_statistic_below(unit, cdf, 32767.0 / 8192.0 - 1e-5);
  EXPECT_LT(d, test::ks_critical_0001(unit.size()));
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
}

TEST(Jitter, Lag1CorrelationMatchesConfigured) {
  // For AR(1) the sample lag-1 autocorrelation has standard error ≈ sqrt((1 − ρ²)/n).
  constexpr size_t kN = 1'000'000;
  for (const double rho : {0.5, 0.9}) {
    for (const auto dist : {JitterDistribution::kNormal, JitterDistribution::kUniform}) {
      const auto s = jitter_sample(dist, 1'000'000, rho, kN);
      const double mean = std::accumulate(s.begin(), s.end(), 0.0) / kN;
      double num = 0, den = 0;
      for (size_t i = 0; i < kN; ++i) {
        den += (s[i] - mean) * (s[i] - mean);
        if (i > 0) num += (s[i] - mean) * (s[i - 1] - mean);
      }
      const double se = std::sqrt((1 - rho * rho) / kN);
      EXPECT_NEAR(num / den, rho, 5 * se) << "rho " << rho << " dist " << static_cast<int>(dist);
    }
  }
}

TEST(Jitter, OrderPreservedInDefaultModeUnderHeavyJitter) {
  // σ = 20 ms jitter on packets 1 µs apart: without the FIFO floor nearly every packet would cross.
  LinkDirection link({.rate = {.rate = BitsPerSecond{10'000'000'000}},
                      .propagation = {.extra = Nanos::from_ms(1)},
                      .jitter = {.distribution = JitterDistribution::kNormal, .jitter = Nanos::from_ms(20)}},
                     9, 0, Nanos{0});
  int64_t last = INT64_MIN;
  for (int i = 0; i < 200'000; ++i) {
    const int64_t t = i * 1000;
    const Decision d = link.on_packet(packet(t));
    ASSERT_TRUE(d.delivered());
    ASSERT_GE(d.depart.ns, last) << "packet " << i << " overtook its predecessor";
    ASSERT_GE(d.depart.ns, t + 1219);   // never before its own serialization (1524 B at 10 Gbit/s)
    last = d.depart.ns;
  }
  EXPECT_EQ(link.counters().reordered, 0u);
}

TEST(Jitter, ReorderingModeLetsPacketsCross) {
  LinkDirection link({.propagation = {.extra = Nanos::from_ms(1)},
                      .jitter = {.distribution = JitterDistribution::kNormal, .jitter = Nanos::from_ms(1),
                                 .mode = JitterMode::kReordering}},
                     9, 0, Nanos{0});
  for (int i = 0; i < 10'000; ++i) link.on_packet(packet(i * 1000));
  EXPECT_GT(link.counters().reordered, 1000u);
}

TEST(Jitter, ReorderSendsAFractionAtOnce) {
  // netem reorder: the chosen packets skip the delay (sent at once), the rest take the full delay.
  const double p = 0.25;
  LinkDirection link({.propagation = {.extra = Nanos::from_ms(10)},
                      .jitter = {.mode = JitterMode::kReordering, .reorder = Probability::from_double(p)}},
                     5, 0, Nanos{0});
  constexpr int kN = 100'000;
  int immediate = 0;
  for (int i = 0; i < kN; ++i) {
    const int64_t t = i * 1000;
    const Decision d = link.on_packet(packet(t));
    if (d.depart.ns == t) ++immediate;
    else ASSERT_EQ(d.depart.ns, t + 10'000'000);
  }
  EXPECT_NEAR(immediate, kN * p, 3.2905 * std::sqrt(kN * p * (1 - p)));
  EXPECT_THROW(LinkDirection({.jitter = {.reorder = Probability::from_double(0.1)}}, 1, 0, Nanos{0}),
               std::invalid_argument);
}

TEST(Jitter, DuplicateAndCorrupt) {
  const double p = 0.1;
  LinkDirection link({.propagation = {.extra = Nanos::from_ms(1)},
                      .jitter = {.duplicate = Probability::from_double(p), .corrupt = Probability::from_double(p)}},
                     5, 0, Nanos{0});
  constexpr int kN = 100'000;
  int dups = 0, corrupt = 0;
  for (int i = 0; i < kN; ++i) {
    const uint32_t bytes = 64 + static_cast<uint32_t>(i % 1400);
    const Decision d = link.on_packet(packet(i * 1000, bytes));
    if (d.duplicate) {
      ++dups;
      EXPECT_GE(d.duplicate_depart.ns, d.depart.ns);   // order-preserving: the copy trails
    }
    if (d.corrupt) {
      ++corrupt;
      EXPECT_LT(d.corrupt_bit, bytes * 8);
    }
  }
  const double half = 3.2905 * std::sqrt(kN * p * (1 - p));
  EXPECT_NEAR(dups, kN * p, half);
  EXPECT_NEAR(corrupt, kN * p, half);
  EXPECT_EQ(link.counters().duplicated, uint64_t(dups));
  EXPECT_EQ(link.counters().corrupted, uint64_t(corrupt));
}

}  // namespace
}  // namespace lh::emu
