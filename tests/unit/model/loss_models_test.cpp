// loss_models_test.cpp — loss models against their closed forms, over ≥ 1e6 packets.
//
// Tolerances are statistical, not fudge factors: Bernoulli counts must fall in the binomial 99.9%
// interval; mean burst/gap lengths must be within 6 standard errors (sample sd / sqrt(#runs)) of
// the closed form. The seeds are fixed, so the tests are deterministic; the bounds show that the
// model is right rather than that one seed happens to pass.
#include <gtest/gtest.h>

#include "tests/unit/model/model_test_util.hpp"

namespace lh::emu {
namespace {

using test::packet;

std::vector<bool> loss_sequence(const LossConfig& loss, size_t n, uint64_t seed = 42) {
  LinkDirection link({.loss = loss}, seed, 0, Nanos{0});
  std::vector<bool> lost(n);
  for (size_t i = 0; i < n; ++i) {
    const Decision d = link.on_packet(packet(static_cast<int64_t>(i) * 1000));
    lost[i] = d.drop == DropCause::kLoss;
  }
  return lost;
}

TEST(BernoulliLoss, CountIsInsideTheBinomial999Interval) {
  constexpr size_t kN = 1'000'000;
  for (const double p : {0.01, 0.001, 0.2}) {
    const auto lost = loss_sequence(BernoulliLoss{Probability::from_double(p)}, kN);
    const double count = static_cast<double>(std::count(lost.begin(), lost.end(), true));
    const double mean = kN * p;
    const double half_width = 3.2905 * std::sqrt(kN * p * (1 - p));   // z(0.9995) · sd
    EXPECT_NEAR(count, mean, half_width) << "p = " << p;
  }
}

TEST(GilbertElliottLoss, BurstAndGapMeansMatchClosedForm) {
  // 1-h = 1, 1-k = 0 (pure Gilbert): the loss of a packet is decided by the state it found, so loss
  // runs are Bad sojourns (geometric, mean 1/r) and gaps are Good sojourns (mean 1/p).
  const double p = 0.01, r = 0.25;
  const auto lost = loss_sequence(GilbertElliottLoss{.p = Probability::from_double(p),
                                                     .r = Probability::from_double(r),
                                                     .loss_bad = Probability::from_double(1.0),
                                                     .loss_good = Probability::from_double(0.0)},
                                  2'000'000);
  const auto runs = test::runs_of(lost);
  ASSERT_GT(runs.bursts.size(), 10'000u);
  const auto burst = test::mean_se(runs.bursts);
  const auto gap = test::mean_se(runs.gaps);
  EXPECT_NEAR(burst.mean, 1 / r, 6 * burst.se);
  EXPECT_NEAR(gap.mean, 1 / p, 6 * gap.se);
  // Stationary loss rate p / (p + r).
  const double rate = static_cast<double>(std::count(lost.begin(), lost.end(), true)) / lost.size();
  EXPECT_NEAR(rate, p / (p + r), 0.1 * p / (p + r));
}

TEST(GilbertElliottLoss, LossInGoodStateAndPartialLossInBad) {
  // 1-k = 5%, 1-h = 50%: overall loss = πG·(1-k) + πB·(1-h), πB = p / (p + r).
  const double p = 0.02, r = 0.2, lb = 0.5, lg = 0.05;
  const size_t n = 1'000'000;
  const auto lost = loss_sequence(GilbertElliottLoss{.p = Probability::from_double(p),
                                                     .r = Probability::from_double(r),
                                                     .loss_bad = Probability::from_double(lb),
                                                     .loss_good = Probability::from_double(lg)},
                                  n);
  const double pi_bad = p / (p + r);
  const double expect = (1 - pi_bad) * lg + pi_bad * lb;
  const double rate = static_cast<double>(std::count(lost.begin(), lost.end(), true)) / n;
  // The state process is autocorrelated; 10% relative is ~6 sd for these parameters at n = 1e6.
  EXPECT_NEAR(rate, expect, 0.1 * expect);
}

TEST(MarkovLoss, BurstAndGapMeansMatchTheChain) {
  // Derivation. States 1 gap_rx, 2 burst_rx, 3 burst_loss, 4 isolated_loss; a packet is lost iff the
  // chain moves into 3 or 4. Balance equations of the stationary distribution π:
  //   state 4: π4 = π1·p14            state 1: π1·p13 = π3·p31           state 2: π2·p23 = π3·p32
  // so (unnormalized) π1 = 1, π3 = p13/p31, π2 = π3·p32/p23, π4 = p14. A loss run starts on each move
  // from a received state into a loss state, at rate R = π1·(p13 + p14) + π2·p23 per step; runs of
  // losses and of receptions alternate, so mean burst = (π3 + π4)/R and mean gap = (π1 + π2)/R
  // (the normalization cancels).
  const double p13 = 0.02, p31 = 0.3, p32 = 0.2, p23 = 0.4, p14 = 0.005;
  const auto lost = loss_sequence(MarkovLoss{.p13 = Probability::from_double(p13),
                                             .p31 = Probability::from_double(p31),
                                             .p32 = Probability::from_double(p32),
                                             .p23 = Probability::from_double(p23),
                                             .p14 = Probability::from_double(p14)},
                                  2'000'000);
  const double pi1 = 1, pi3 = p13 / p31, pi2 = pi3 * p32 / p23, pi4 = p14;
  const double run_rate = pi1 * (p13 + p14) + pi2 * p23;
  const double expect_burst = (pi3 + pi4) / run_rate;
  const double expect_gap = (pi1 + pi2) / run_rate;
  const auto runs = test::runs_of(lost);
  ASSERT_GT(runs.bursts.size(), 10'000u);
  const auto burst = test::mean_se(runs.bursts);
  const auto gap = test::mean_se(runs.gaps);
  EXPECT_NEAR(burst.mean, expect_burst, 6 * burst.se);
  EXPECT_NEAR(gap.mean, expect_gap, 6 * gap.se);
  // And the isolated-loss share: runs of length 1 that came from state 4 make up π4/R of all runs
  // plus the burst runs that left state 3 at once; check the simpler invariant, the loss rate.
  const double loss_rate = (pi3 + pi4) / (pi1 + pi2 + pi3 + pi4);
  const double rate = static_cast<double>(std::count(lost.begin(), lost.end(), true)) / lost.size();
  EXPECT_NEAR(rate, loss_rate, 0.1 * loss_rate);
}

TEST(MarkovLoss, NamedStatesFollowNetemTransitions) {
  // p14 = 1: every packet in the gap becomes an isolated loss, then the chain returns to the gap.
  Rng rng(1);
  Markov4Model m(MarkovLoss{.p13 = Probability::from_double(0), .p31 = Probability::from_double(0),
                            .p32 = Probability::from_double(0), .p23 = Probability::from_double(0),
                            .p14 = Probability::from_double(1)});
  EXPECT_TRUE(m.lost(rng, 0));
  EXPECT_EQ(m.state(), Markov4State::kIsolatedLoss);
  EXPECT_FALSE(m.lost(rng, 1));
  EXPECT_EQ(m.state(), Markov4State::kGapRx);
  // p13 = 1, p32 = 1, p23 = 1: gap → burst loss → burst rx → burst loss → ...
  Markov4Model b(MarkovLoss{.p13 = Probability::from_double(1), .p31 = Probability::from_double(0),
                            .p32 = Probability::from_double(1), .p23 = Probability::from_double(1),
                            .p14 = Probability::from_double(0)});
  EXPECT_TRUE(b.lost(rng, 0));
  EXPECT_EQ(b.state(), Markov4State::kBurstLoss);
  EXPECT_FALSE(b.lost(rng, 1));
  EXPECT_EQ(b.state(), Markov4State::kBurstRx);
  EXPECT_TRUE(b.lost(rng, 2));
  EXPECT_EQ(b.state(), Markov4State::kBurstLoss);
  EXPECT_THROW(Markov4Model(MarkovLoss{.p13 = Probability::from_double(0.7),
                                       .p14 = Probability::from_double(0.4)}),
               std::invalid_argument);
}

TEST(TraceLoss, PatternReplaysCyclicallyByPacketNumber) {
  auto pattern = std::make_shared<LossPattern>(LossPattern{.source = "test", .lost = {0, 1, 1, 0, 0}});
  const auto lost = loss_sequence(TraceLoss{pattern}, 23);
  for (size_t i = 0; i < lost.size(); ++i) EXPECT_EQ(lost[i], pattern->lost[i % 5] != 0) << i;
  EXPECT_THROW(LinkDirection({.loss = TraceLoss{std::make_shared<LossPattern>()}}, 1, 0, Nanos{0}),
               std::invalid_argument);
}

TEST(Loss, LostPacketStillUsedBottleneckCapacity) {
  // Every other packet lost; each still occupies the 1 Gbit/s link for its 1 µs (125 B, no overhead).
  auto pattern = std::make_shared<LossPattern>(LossPattern{.source = "test", .lost = {1, 0}});
  LinkDirection link({.rate = {.rate = BitsPerSecond{1'000'000'000}, .overhead = Bytes{0}},
                      .loss = TraceLoss{pattern}},
                     1, 0, Nanos{0});
  EXPECT_EQ(link.on_packet(packet(0, 125)).drop, DropCause::kLoss);
  EXPECT_EQ(link.on_packet(packet(0, 125)).depart.ns, 2'000);
}

}  // namespace
}  // namespace lh::emu
