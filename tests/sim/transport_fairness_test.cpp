// transport_fairness_test.cpp — two longhaul connections (BBR) sharing one 1 Gbit/s, 50 ms RTT
// bottleneck with a one-BDP drop-tail queue (virtual time, fixed seed). They start together; after a
// startup allowance of kStartup (40 RTTs) and until the first of them finishes, each must get 40–60%
// of the bytes delivered to the two receivers. Each flow writes kBytesPerFlow (in the printed
// figures), so the measured window spans several seconds of shared bottleneck.
#include <gtest/gtest.h>

#include <string>

#include "tests/sim/transport_scenario.hpp"

namespace lh::sim::test {
namespace {

constexpr BitsPerSecond kRate{1'000'000'000};
constexpr Nanos kOneWay = Nanos::from_ms(25);
constexpr uint64_t kBytesPerFlow = 512ull << 20;
constexpr Nanos kStartup = Nanos::from_s(2);

TEST(Fairness, TwoConnectionsOneBottleneck512MiBEach) {
  const Bytes queue = bdp(kRate, kOneWay);
  TransportScenario s({.a_to_b = path_direction(kRate, kOneWay, queue),
                       .b_to_a = path_direction(kRate, kOneWay, queue),
                       .seed = 61,
                       .flows = 2,
                       .bytes_per_flow = kBytesPerFlow});
  const bool finished = s.run(Nanos::from_s(120));
  const FlowResult& a = s.result(0);
  const FlowResult& b = s.result(1);
  const std::string fig = "flow 0: " + figures(a, kRate) + "\nflow 1: " + figures(b, kRate);

  const Nanos from = kStartup, to = std::min(a.last_completion, b.last_completion);
  const uint64_t da = s.placed_at(0, to) - s.placed_at(0, from), db = s.placed_at(1, to) - s.placed_at(1, from);
  const double share_a = da + db > 0 ? static_cast<double>(da) / static_cast<double>(da + db) : 0.0;
  const double total_rate = static_cast<double>(da + db) * 8e9 / static_cast<double>((to - from).ns);
  const std::string shares = fmt::format("window [{:.3f}s, {:.3f}s): flow 0 {} B ({:.1f}%), flow 1 {} B ({:.1f}%), "
                                         "together {:.1f} Mbit/s",
                                         from.seconds(), to.seconds(), da, share_a * 100, db, (1 - share_a) * 100,
                                         total_rate * 1e-6);
  std::printf("[two_flows, %s each] %s\n%s\n", mib(kBytesPerFlow).c_str(), shares.c_str(), fig.c_str());

  ASSERT_TRUE(finished) << fig;
  EXPECT_TRUE(a.data_identical()) << fig;
  EXPECT_TRUE(b.data_identical()) << fig;
  ASSERT_GT(to - from, Nanos::from_s(2)) << "measurement window too short; " << shares;
  EXPECT_GE(share_a, 0.4) << shares << "\n" << fig;
  EXPECT_LE(share_a, 0.6) << shares << "\n" << fig;
}

}  // namespace
}  // namespace lh::sim::test
