// transport_impairment_test.cpp — the longhaul transport over a 1 Gbit/s, 50 ms RTT path that
// reorders, duplicates or corrupts packets, or goes dark for 2 s mid-transfer (virtual time, fixed
// seeds). Each impairment is applied to both directions (data and ACKs). Expected: the transfer
// completes, every byte arrives identical (a corrupted datagram must be caught by the engine's CRC,
// never placed), and neither side declares the connection lost. The transfer size is fixed at
// kBytes (in the printed figures) — long enough for the impairments to hit thousands of packets.
#include <gtest/gtest.h>

#include <string>

#include "tests/sim/transport_scenario.hpp"

namespace lh::sim::test {
namespace {

constexpr BitsPerSecond kRate{1'000'000'000};
constexpr Nanos kOneWay = Nanos::from_ms(25);
constexpr uint64_t kBytes = 256ull << 20;

struct Outcome {
  FlowResult r;
  bool finished = false;
  uint64_t corrupted_delivered = 0, duplicates_delivered = 0;
};

Outcome run(const char* name, const DirectionConfig& dir, uint64_t seed) {
  TransportScenario s({.a_to_b = dir, .b_to_a = dir, .seed = seed, .bytes_per_flow = kBytes});
  Outcome o;
  o.finished = s.run(Nanos::from_s(120));
  o.r = s.result(0);
  std::printf("[%s, %s] %s\n", name, mib(kBytes).c_str(), figures(o.r, kRate).c_str());
  return o;
}

void expect_survived(const Outcome& o) {
  const std::string fig = figures(o.r, kRate);
  ASSERT_TRUE(o.finished) << "transfer did not complete; " << fig;
  EXPECT_EQ(o.r.failed, 0u) << fig;
  EXPECT_EQ(o.r.completed, o.r.writes) << fig;
  EXPECT_TRUE(o.r.data_identical()) << fig;
  EXPECT_EQ(o.r.remote_completed, o.r.writes) << fig;
  EXPECT_EQ(o.r.client_state, xport::Connection::State::kEstablished) << "client: connection lost; " << fig;
  EXPECT_EQ(o.r.server_state, xport::Connection::State::kEstablished) << "server: connection lost; " << fig;
}

DirectionConfig base() { return path_direction(kRate, kOneWay, bdp(kRate, kOneWay)); }

TEST(Impairments, Reordering256MiB) {
  DirectionConfig d = base();
  d.jitter = JitterConfig{.distribution = JitterDistribution::kUniform, .jitter = Nanos::from_us(500),
                          .mode = JitterMode::kReordering, .reorder = Probability::from_double(0.01)};
  const Outcome o = run("reorder_1%_jitter_500us", d, 51);
  expect_survived(o);
}

TEST(Impairments, Duplication256MiB) {
  DirectionConfig d = base();
  d.jitter.duplicate = Probability::from_double(0.01);
  const Outcome o = run("duplicate_1%", d, 52);
  expect_survived(o);
  EXPECT_GT(o.r.server.dropped_duplicate, 0u) << "the link duplicated 1% of packets but the receiver saw none";
}

TEST(Impairments, Corruption256MiB) {
  DirectionConfig d = base();
  d.jitter.corrupt = Probability::from_double(0.01);
  const Outcome o = run("corrupt_1%", d, 53);
  expect_survived(o);
  EXPECT_GT(o.r.server_endpoint.dropped_bad_crc + o.r.server.dropped_bad_crc, 0u)
      << "the link corrupted 1% of packets but the receiver's CRC caught none";
}

TEST(Impairments, TwoSecondOutageMidTransfer256MiB) {
  DirectionConfig d = base();
  d.events.push_back(LinkEvent{.at = Nanos::from_s(1), .kind = LinkEventKind::kOutage, .duration = Nanos::from_s(2)});
  const Outcome o = run("outage_2s_at_1s", d, 54);
  expect_survived(o);
  // The outage must really have hit the transfer: it cannot have finished before it ended.
  EXPECT_GT(o.r.last_completion, Nanos::from_s(3)) << figures(o.r, kRate);
}

}  // namespace
}  // namespace lh::sim::test
