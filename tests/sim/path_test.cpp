// path_test.cpp — CBR traffic over emulated paths reproduces the profile: rate (throughput =
// min(offered, rate) to within 1 ns over the run), delay (one-way delay = serialization +
// propagation, exactly), loss (Bernoulli count inside the binomial 99.9% interval); two flows share
// a bottleneck; the link's duplicate/corrupt/reorder decisions reach the endpoints; same seed ⇒ same
// statistics. Fixed seeds; every scenario runs a few seconds of virtual time.
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/sim/cbr_source.hpp"
#include "emulator/sim/dumbbell.hpp"
#include "emulator/sim/simulator.hpp"
#include "tests/sim/path_configs.hpp"

namespace lh::sim {
namespace {

using test::clean_path;
using test::serialization_floor;

constexpr BitsPerSecond kGbit{1'000'000'000};

TEST(CbrOverPath, BelowTheRateDeliversTheOfferedRateWithExactDelay) {
  // 500 Mbit/s offered into 1 Gbit/s: no queueing, so every packet's one-way delay is exactly
  // serialization of 1500 + 24 B at 1 Gbit/s (12 192 ns) plus 10 ms propagation.
  Simulator sim;
  const DirectionConfig dir = clean_path(kGbit, Nanos::from_ms(10));
  Dumbbell path(sim, dir, dir, 3);
  NullSink sink;
  const Address dst = path.add_endpoint(Side::kB, sink);
  CbrSource src(CbrConfig{.dst = dst, .packet_size = Bytes{1500}, .rate = BitsPerSecond{500'000'000},
                          .duration = Nanos::from_s(2)});
  const Address s = path.add_endpoint(Side::kA, src);
  sim.run_until(Nanos::from_s(3));

  const FlowStats& st = path.stats(s);
  ASSERT_EQ(st.packets_sent(), 83'334u);   // ceil(2 s × 500e6 / 12000 bit)
  EXPECT_EQ(st.packets_delivered(), st.packets_sent());
  EXPECT_EQ(st.packets_dropped(), 0u);
  const Nanos expected_delay = Nanos{12'192} + Nanos::from_ms(10);
  EXPECT_EQ(st.one_way_delay().min(), expected_delay.ns);
  EXPECT_EQ(st.one_way_delay().max(), expected_delay.ns);
  // Send times are floor(k · 24 µs); the span is exact to < 1 ns, so the rate is to 1 ns / span.
  const double span_s = (st.last_delivered() - st.first_delivered()).seconds();
  EXPECT_NEAR(st.delivered_rate_bps(), 500e6, 500e6 * 1e-9 / span_s);
  EXPECT_EQ(st.reordered(), 0u);
}

TEST(CbrOverPath, AboveTheRateDeliversExactlyTheLinkRate) {
  // 1.2 Gbit/s offered into 700 Mbit/s (1524 B frames: 17 417.14 ns each, not a whole ns). The link
  // is busy from the first packet on, so N delivered frames span (N−1) exact service times to < 1 ns.
  Simulator sim;
  const BitsPerSecond rate{700'000'000};
  const DirectionConfig dir = clean_path(rate, Nanos::from_ms(5), 500);
  Dumbbell path(sim, dir, dir, 3);
  NullSink sink;
  const Address dst = path.add_endpoint(Side::kB, sink);
  CbrSource src(CbrConfig{.dst = dst, .packet_size = Bytes{1500}, .rate = BitsPerSecond{1'200'000'000},
                          .duration = Nanos::from_s(2)});
  const Address s = path.add_endpoint(Side::kA, src);
  sim.run_until(Nanos::from_s(4));

  const FlowStats& st = path.stats(s);
  const double wire_rate = st.delivered_rate_bps() * 1524.0 / 1500.0;
  const double span_s = (st.last_delivered() - st.first_delivered()).seconds();
  EXPECT_NEAR(wire_rate, 700e6, 700e6 * 1e-9 / span_s);
  EXPECT_GT(st.dropped(emu::DropCause::kQueueFull), 0u);
  EXPECT_EQ(st.packets_delivered() + st.packets_dropped(), st.packets_sent());
  // The first packet found the link idle: min delay is one serialization + propagation exactly.
  EXPECT_EQ(st.one_way_delay().min(), (serialization_floor(1500, rate) + Nanos::from_ms(5)).ns);
  // Drop-tail with 500 packets: the worst wait is < 501 service times (histogram precision 0.1%).
  const double max_ms = static_cast<double>(st.one_way_delay().max()) * 1e-6;
  EXPECT_LT(max_ms, (5.0 + 501 * 0.01741715) * 1.001);
}

TEST(CbrOverPath, BernoulliLossCountIsInsideTheBinomialInterval) {
  constexpr double kP = 0.01;
  Simulator sim;
  const DirectionConfig dir = test::lossy_path(kGbit, Nanos::from_ms(20), kP);
  Dumbbell path(sim, dir, dir, 11);
  NullSink sink;
  const Address dst = path.add_endpoint(Side::kB, sink);
  CbrSource src(CbrConfig{.dst = dst, .packet_size = Bytes{1500}, .rate = BitsPerSecond{600'000'000},
                          .duration = Nanos::from_s(4)});
  const Address s = path.add_endpoint(Side::kA, src);
  sim.run_until(Nanos::from_s(5));
  path.finish_stats();

  const FlowStats& st = path.stats(s);
  const double n = static_cast<double>(st.packets_sent());
  ASSERT_EQ(st.packets_sent(), 200'000u);
  const double mean = n * kP, sd = std::sqrt(n * kP * (1 - kP));
  const double lost = static_cast<double>(st.dropped(emu::DropCause::kLoss));
  EXPECT_GE(lost, mean - 3.2905 * sd);   // two-sided 99.9%: z = 3.2905
  EXPECT_LE(lost, mean + 3.2905 * sd);
  EXPECT_EQ(st.packets_dropped(), st.dropped(emu::DropCause::kLoss));
  EXPECT_EQ(st.packets_delivered() + st.packets_dropped(), st.packets_sent());
  // Independent losses: bursts are short (P(run ≥ 5) = 1e-8 per run) and they account for every loss.
  const Histogram& bursts = st.loss_bursts();
  EXPECT_LE(bursts.max(), 4);
  EXPECT_NEAR(bursts.mean() * static_cast<double>(bursts.count()), lost, 0.5);
  EXPECT_EQ(st.one_way_delay().min(), (Nanos{12'192} + Nanos::from_ms(20)).ns);
}

TEST(CbrOverPath, TwoFlowsShareOneBottleneck) {
  // 700 + 500 Mbit/s offered into 1 Gbit/s through one drop-tail queue.
  Simulator sim;
  const DirectionConfig dir = clean_path(kGbit, Nanos::from_ms(10), 200);
  Dumbbell path(sim, dir, dir, 5);
  NullSink sink1, sink2;
  const Address d1 = path.add_endpoint(Side::kB, sink1);
  const Address d2 = path.add_endpoint(Side::kB, sink2);
  CbrSource f1(CbrConfig{.dst = d1, .packet_size = Bytes{1500}, .rate = BitsPerSecond{700'000'000},
                         .duration = Nanos::from_s(2)});
  CbrSource f2(CbrConfig{.dst = d2, .packet_size = Bytes{1500}, .rate = BitsPerSecond{500'000'000},
                         .duration = Nanos::from_s(2)});
  const Address s1 = path.add_endpoint(Side::kA, f1);
  const Address s2 = path.add_endpoint(Side::kA, f2);
  sim.run_until(Nanos::from_s(3));

  const FlowStats& a = path.stats(s1);
  const FlowStats& b = path.stats(s2);
  // Together they fill the link exactly: every 12 192 ns one 1524 B frame, from the first delivery.
  const Nanos first = std::min(a.first_delivered(), b.first_delivered());
  const Nanos last = std::max(a.last_delivered(), b.last_delivered());
  const double frames = static_cast<double>(a.packets_delivered() + b.packets_delivered() - 1);
  EXPECT_NEAR(frames * 1524 * 8 / (last - first).seconds(), 1e9, 1e9 * 1e-9 / (last - first).seconds());
  // They share one queue: it is full from the first few ms on, so both flows see the same queueing
  // delay — their median one-way delays differ by at most a service time (12 192 ns) plus the
  // histogram's 0.1% resolution. Drop-tail does not split capacity in proportion to deterministic
  // periodic arrivals (phase effects), so the shares are only checked for starvation.
  const double p50_a = static_cast<double>(a.one_way_delay().percentile(50));
  const double p50_b = static_cast<double>(b.one_way_delay().percentile(50));
  EXPECT_NEAR(p50_a, p50_b, 12'192 + 0.001 * p50_a);
  EXPECT_GT(p50_a, 10e6 + 150 * 12'192);   // a mostly full 200-packet queue ahead of each packet
  const double total = static_cast<double>(a.packets_delivered() + b.packets_delivered());
  EXPECT_GT(a.packets_delivered() / total, 1.0 / 3);
  EXPECT_GT(b.packets_delivered() / total, 1.0 / 3);
  EXPECT_LE(a.delivered_rate_bps(), 700e6);
  EXPECT_LE(b.delivered_rate_bps(), 500e6);
  EXPECT_GT(a.dropped(emu::DropCause::kQueueFull), 0u);
  EXPECT_GT(b.dropped(emu::DropCause::kQueueFull), 0u);
  EXPECT_EQ(sink1.received(), a.packets_delivered());
  EXPECT_EQ(sink2.received(), b.packets_delivered());
}

// Checks every received CBR payload against what was sent (index in bytes 0..7, zeros after).
struct PayloadChecker final : Endpoint {
  uint64_t received = 0, one_bit_off = 0, intact = 0, other = 0, flagged = 0;
  void on_packet(const Packet& p, Nanos) override {
    ++received;
    flagged += p.corrupted ? 1 : 0;
    uint64_t index = 0;
    for (size_t i = 0; i < 8; ++i) index |= static_cast<uint64_t>(p.payload[i]) << (8 * i);
    // A flipped bit inside the index field still shows as exactly one differing bit against
    // the packet's own flow_seq.
    int diff = std::popcount(index ^ p.flow_seq);
    for (size_t i = 8; i < p.payload.size(); ++i) diff += std::popcount(p.payload[i]);
    if (diff == 0) ++intact;
    else if (diff == 1) ++one_bit_off;
    else ++other;
  }
  Nanos next_timeout() const override { return Nanos::max(); }
  void on_timeout(Nanos) override {}
  bool poll_transmit(Nanos, Packet&) override { return false; }
};

DirectionConfig mangling_path() {
  DirectionConfig c = clean_path(kGbit, Nanos::from_ms(10));
  c.jitter = JitterConfig{.distribution = JitterDistribution::kUniform,
                          .jitter = Nanos::from_us(200),
                          .mode = JitterMode::kReordering,
                          .reorder = Probability::from_double(0.01),
                          .duplicate = Probability::from_double(0.01),
                          .corrupt = Probability::from_double(0.01)};
  return c;
}

TEST(CbrOverPath, DuplicateCorruptAndReorderDecisionsReachTheReceiver) {
  Simulator sim;
  Dumbbell path(sim, mangling_path(), mangling_path(), 21);
  PayloadChecker checker;
  const Address dst = path.add_endpoint(Side::kB, checker);
  CbrSource src(CbrConfig{.dst = dst, .packet_size = Bytes{500}, .rate = BitsPerSecond{200'000'000},
                          .duration = Nanos::from_s(1), .payload = true});
  const Address s = path.add_endpoint(Side::kA, src);
  sim.run_until(Nanos::from_s(2));

  const FlowStats& st = path.stats(s);
  const emu::DirectionCounters& link = path.link(Side::kA).counters();
  EXPECT_EQ(st.packets_sent(), 50'000u);
  EXPECT_EQ(st.packets_delivered(), 50'000u);
  EXPECT_EQ(st.duplicates_delivered(), link.duplicated);
  EXPECT_GT(st.duplicates_delivered(), 300u);   // 1% of 50 000 = 500 expected
  EXPECT_EQ(checker.received, st.packets_delivered() + st.duplicates_delivered());
  // Exactly the packets the model corrupted arrive with exactly one bit flipped; copies are clean.
  EXPECT_EQ(st.corrupted(), link.corrupted);
  EXPECT_GT(link.corrupted, 300u);
  EXPECT_EQ(checker.one_bit_off, link.corrupted);
  EXPECT_EQ(checker.flagged, link.corrupted);
  EXPECT_EQ(checker.other, 0u);
  EXPECT_GT(st.reordered(), 0u);
}

TEST(CbrOverPath, RedMarksEctPacketsAndDropsTheOthers) {
  // 2 × 75 Mbit/s into 100 Mbit/s through RED with ECN: the ECN-capable flow's packets are marked CE
  // (and arrive flagged), the other flow's are dropped early (cause aqm) instead.
  DirectionConfig dir = clean_path(BitsPerSecond{100'000'000}, Nanos::from_ms(10));
  dir.queue = QueueConfig{.limit_bytes = Bytes{300'000},
                          .discipline = QueueDiscipline::kRed,
                          .red = RedConfig{.min_threshold = Bytes{30'000}, .max_threshold = Bytes{150'000},
                                           .max_p = Probability::from_double(0.1), .weight = 0.002, .ecn = true}};
  Simulator sim;
  Dumbbell path(sim, dir, dir, 8);
  NullSink sink1, sink2;
  const Address d1 = path.add_endpoint(Side::kB, sink1);
  const Address d2 = path.add_endpoint(Side::kB, sink2);
  CbrSource ect(CbrConfig{.dst = d1, .packet_size = Bytes{1500}, .rate = BitsPerSecond{75'000'000},
                          .duration = Nanos::from_s(2), .ect = true});
  CbrSource plain(CbrConfig{.dst = d2, .packet_size = Bytes{1500}, .rate = BitsPerSecond{75'000'000},
                            .duration = Nanos::from_s(2)});
  const Address se = path.add_endpoint(Side::kA, ect);
  const Address sp = path.add_endpoint(Side::kA, plain);
  sim.run_until(Nanos::from_s(3));

  const FlowStats& e = path.stats(se);
  const FlowStats& p = path.stats(sp);
  EXPECT_GT(e.ce_marked(), 100u);
  EXPECT_EQ(e.dropped(emu::DropCause::kAqm), 0u);
  EXPECT_EQ(p.ce_marked(), 0u);
  EXPECT_GT(p.dropped(emu::DropCause::kAqm), 100u);
  EXPECT_EQ(e.ce_marked() + p.ce_marked(), path.link(Side::kA).counters().ecn_marked);
}

TEST(CbrOverPath, SameSeedGivesIdenticalStatisticsAndAnotherSeedDoesNot) {
  auto run = [](uint64_t seed) {
    DirectionConfig dir = mangling_path();
    dir.loss = GilbertElliottLoss{.p = Probability::from_double(0.001), .r = Probability::from_double(0.2),
                                  .loss_bad = Probability::from_double(1.0), .loss_good = Probability{}};
    Simulator sim;
    Dumbbell path(sim, dir, dir, seed);
    NullSink sink_b, sink_a;
    const Address db = path.add_endpoint(Side::kB, sink_b);
    const Address da = path.add_endpoint(Side::kA, sink_a);
    CbrSource ab(CbrConfig{.dst = db, .packet_size = Bytes{1500}, .rate = BitsPerSecond{900'000'000},
                           .duration = Nanos::from_ms(500)});
    CbrSource ba(CbrConfig{.dst = da, .packet_size = Bytes{700}, .rate = BitsPerSecond{300'000'000},
                           .duration = Nanos::from_ms(500)});
    const Address sa = path.add_endpoint(Side::kA, ab);
    const Address sb = path.add_endpoint(Side::kB, ba);
    sim.run_until(Nanos::from_s(1));
    path.finish_stats();
    return nlohmann::json{{"ab", path.stats(sa).to_json()}, {"ba", path.stats(sb).to_json()},
                          {"events", sim.events_processed()}};
  };
  const nlohmann::json first = run(99);
  EXPECT_EQ(first, run(99));
  EXPECT_NE(first, run(100));
  EXPECT_GT(first["ab"]["dropped"]["loss"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace lh::sim
