// transport_random_loss_test.cpp — longhaul keeps the bottleneck under heavy random loss, in virtual
// time (issue 11). 100 Mbit/s, 100 ms RTT, 1-BDP drop-tail queue (the built-in wan-100mbit-100ms),
// 375 MB per run (30 s at line rate), Bernoulli loss p in both directions, 20 seeds per level:
// every seed ≥ 0.9 (1 − p) of the bottleneck for p ≤ 5%, ≥ 0.6 (1 − p) at 20%. Before the fix the
// model read (1 − p) × its sending rate as the bottleneck and a 20% loss rate as congestion: 0.05–0.10
// of (1 − p) at 20%, 0.83–0.88 at 5%. 1472-byte datagrams: the payload ceiling is 0.932 of the rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "tests/sim/transport_scenario.hpp"

namespace lh::sim::test {
namespace {

constexpr uint16_t kMtu = 1472;

struct LossLevel {
  double p;
  double efficiency;  // required goodput / ((1 − p) · rate)
};
void PrintTo(const LossLevel& l, std::ostream* os) { *os << "p=" << l.p; }

class RandomLoss : public ::testing::TestWithParam<LossLevel> {};

TEST_P(RandomLoss, EverySeedKeepsTheRate) {
  constexpr BitsPerSecond kRate{100'000'000};
  constexpr Nanos kOneWay = Nanos::from_ms(50);
  const LossLevel lv = GetParam();
  const LossConfig loss = lv.p == 0 ? LossConfig{NoLoss{}} : LossConfig{BernoulliLoss{.p = Probability::from_double(lv.p)}};
  double worst = 1e9, sum = 0;
  constexpr int kSeeds = 20;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    TransportScenario s({.a_to_b = path_direction(kRate, kOneWay, bdp(kRate, kOneWay), loss),
                         .b_to_a = path_direction(kRate, kOneWay, bdp(kRate, kOneWay), loss),
                         .seed = static_cast<uint64_t>(seed), .conn = {.max_udp_payload = kMtu},
                         .bytes_per_flow = 375'000'000, .write_size = 16ull << 20, .region_size = 64ull << 20});
    ASSERT_TRUE(s.run(Nanos::from_s(900))) << "seed " << seed;
    const FlowResult& r = s.result(0);
    ASSERT_TRUE(r.data_identical()) << "seed " << seed << ": " << figures(r, kRate);
    const double eff = r.goodput_bps() / ((1 - lv.p) * static_cast<double>(kRate.bps));
    worst = std::min(worst, eff);
    sum += eff;
    EXPECT_GE(eff, lv.efficiency) << "seed " << seed << ": " << figures(r, kRate);
  }
  std::printf("p=%g: goodput / ((1-p) rate) over %d seeds: worst %.4f, mean %.4f (required %.2f)\n", lv.p, kSeeds,
              worst, sum / kSeeds, lv.efficiency);
}

INSTANTIATE_TEST_SUITE_P(Levels, RandomLoss,
                         ::testing::Values(LossLevel{0, 0.9}, LossLevel{1e-3, 0.9}, LossLevel{1e-2, 0.9},
                                           LossLevel{5e-2, 0.9}, LossLevel{0.2, 0.6}),
                         [](const auto& i) {
                           return "p" + std::to_string(static_cast<int>(i.param.p * 1e4)) + "e_4";
                         });

}  // namespace
}  // namespace lh::sim::test
