// trace_replay_test.cpp — `lh-trace replay` over the longhaul transport in virtual time: the replay
// client and server sessions (workload/replay/replay_session.hpp, the code lh-trace runs) on two simulated
// endpoints joined by a 1 Gbit/s, 20 ms RTT path, replaying a small hand-built 2-site DDP-like trace.
//
// The analytical estimate of a step's communication time (per direction, links are full duplex):
// transfer k is released at a_k (its after_compute since the step's compute start) and carries B_k
// bytes; the sender serves released bytes back to back at the goodput rate R, so its last byte
// leaves at F = max_k (a_k + Σ_{j: a_j ≥ a_k} B_j / R) (the fluid finish time of a work-conserving
// queue). A forward transfer ends at the client when the last WRITE's acknowledgement comes back
// (F + one-way + one-way); a reverse transfer's START first crosses to the server (a_k + one-way),
// its bytes land one one-way later: both are F + RTT. comm_est = max over directions of that, minus
// the first release. R = the pacing rate × (UDP payload − engine headers) / UDP payload. With the
// fixed-rate controller below the link rate the path never queues, so the replay must agree within
// 10%; with BBR (which must discover the rate) it must finish and never beat the link-rate estimate.
// A generated ring all-reduce (lh-trace gen's code, one bucket) has rounds that must run one after
// the other: its estimate is Σ over rounds of (max over directions of round bytes / R + RTT).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "tests/sim/replay_sim.hpp"
#include "traces/replay_schedule.hpp"
#include "traces/trace_gen.hpp"
#include "transport/proto/wire.hpp"

namespace lh::sim::test {
namespace {

using traces::ReplayDirection;
using traces::ReplaySchedule;

constexpr BitsPerSecond kLinkRate{1'000'000'000};
constexpr Nanos kOneWay = Nanos::from_ms(10);
constexpr Nanos kRtt = kOneWay * 2;
constexpr uint16_t kMtu = kJumboUdpPayload;

// 2 sites × 2 ranks, `steps` steps of 60 ms compute; per step 4 buckets released 10 ms apart, each
// a 2 MB transfer per rank pair in both directions (16 MB per direction per step), plus an
// intra-site transfer per bucket (instantaneous in the replay).
traces::GradientTrace ddp_trace(uint32_t steps) {
  traces::GradientTrace t;
  t.provenance = traces::Provenance{.source = "generated", .tool = "tests/sim/trace_replay_test.cpp",
                                    .world_size = 4, .sites = 2, .ranks_per_site = 2,
                                    .step_compute = Nanos::from_ms(60), .steps = steps};
  for (uint32_t s = 0; s < steps; ++s) {
    for (uint32_t b = 0; b < 4; ++b) {
      const Nanos after = Nanos::from_ms(10 * (b + 1));
      const Nanos at = Nanos::from_ms(60) * s + after;
      auto add = [&](uint32_t src_site, uint32_t src_rank, uint32_t dst_site, uint32_t dst_rank) {
        t.events.push_back({.t = at, .step = s, .src = {src_site, src_rank}, .dst = {dst_site, dst_rank},
                            .bytes = 2'000'000, .op = traces::CollectiveOp::kAllReduce, .bucket = b, .round = 0,
                            .after_compute = after});
      };
      for (uint32_t r = 0; r < 2; ++r) {
        add(0, r, 1, r);
        add(1, r, 0, r);
      }
      add(0, 0, 0, 1);
    }
  }
  return t;
}

// The estimate described at the top, for step `s` of `sched`, at goodput `rate` (bit/s).
Nanos estimate(const ReplaySchedule& sched, uint32_t s, double rate) {
  Nanos first = Nanos::max(), finish{0};
  for (ReplayDirection d : {ReplayDirection::kForward, ReplayDirection::kReverse}) {
    std::map<int64_t, uint64_t> released;  // a_k → bytes released then
    for (const auto& t : sched.transfers()) {
      if (t.step == s && t.dir == d) released[t.after_compute.ns] += t.bytes;
    }
    uint64_t after = 0;  // bytes released at or after the current a_k
    for (auto it = released.rbegin(); it != released.rend(); ++it) {
      after += it->second;
      const Nanos f{it->first + static_cast<int64_t>(static_cast<double>(after) * 8e9 / rate)};
      finish = std::max(finish, f);
      first = std::min(first, Nanos{it->first});
    }
  }
  return finish + kRtt - first;
}

// Runs the replay of `trace` with the connection config `conn` until done or 60 s of virtual time.
ReplayRun replay(const traces::GradientTrace& trace, const xport::ConnectionConfig& conn) {
  const Bytes queue{bdp(kLinkRate, kOneWay).n * 2};
  return run_replay(trace, path_direction(kLinkRate, kOneWay, queue), path_direction(kLinkRate, kOneWay, queue), conn, 7,
                    Nanos::from_s(60));
}

TEST(TraceReplaySim, FixedRateStepCommunicationMatchesTheAnalyticalEstimate) {
  const traces::GradientTrace trace = ddp_trace(3);
  const BitsPerSecond pace{900'000'000};  // below the link's 1 Gbit/s: the path never queues
  const ReplayRun r = replay(trace, {.max_udp_payload = kMtu, .cc = xport::CcKind::kFixed, .fixed_rate = pace,
                                         .initial_window = 16ull << 20});
  ASSERT_TRUE(r.finished) << r.error;
  ASSERT_EQ(r.steps.size(), 3u);
  const ReplaySchedule sched(trace, {});
  const double room = kMtu - xport::wire::kHeaderSize - xport::wire::kCrcSize - xport::wire::data_frame_overhead(0);
  const double goodput = static_cast<double>(pace.bps) * room / kMtu;
  for (const traces::StepResult& s : r.steps) {
    const Nanos est = estimate(sched, s.step, goodput);
    std::printf("step %u: compute %.1f ms, comm %.1f ms (estimate %.1f ms), exposed %.1f ms, slowdown %.2f\n", s.step,
                s.compute.ms(), s.comm.ms(), est.ms(), s.exposed.ms(), s.slowdown);
    EXPECT_NEAR(s.comm.ms(), est.ms(), 0.1 * est.ms()) << "step " << s.step;
    EXPECT_EQ(s.bytes_forward, 16'000'000u);
    EXPECT_EQ(s.bytes_reverse, 16'000'000u);
    EXPECT_EQ(s.transfers, 16u);
    EXPECT_EQ(s.exposed, s.end - s.compute_start - s.compute);
    EXPECT_GT(s.slowdown, 1.5);  // 16 MB each way per 60 ms step does not hide behind compute at 1 Gbit/s
  }
  for (size_t i = 1; i < r.steps.size(); ++i) EXPECT_EQ(r.steps[i].compute_start, r.steps[i - 1].end);
}

TEST(TraceReplaySim, BbrFinishesAndNeverBeatsTheLink) {
  const traces::GradientTrace trace = ddp_trace(3);
  const ReplayRun r = replay(trace, {.max_udp_payload = kMtu, .cc = xport::CcKind::kBbr,
                                         .initial_window = 16ull << 20});
  ASSERT_TRUE(r.finished) << r.error;
  ASSERT_EQ(r.steps.size(), 3u);
  const ReplaySchedule sched(trace, {});
  // The link carries 8972 B of UDP payload per 9038 B on the wire (42 B headers + 24 B framing).
  const double room = kMtu - xport::wire::kHeaderSize - xport::wire::kCrcSize - xport::wire::data_frame_overhead(0);
  const double link_goodput = static_cast<double>(kLinkRate.bps) * room / (kMtu + 66);
  for (const traces::StepResult& s : r.steps) {
    const Nanos bound = estimate(sched, s.step, link_goodput);
    std::printf("bbr step %u: comm %.1f ms (link bound %.1f ms), slowdown %.2f\n", s.step, s.comm.ms(), bound.ms(),
                s.slowdown);
    EXPECT_GE(s.comm.ms(), 0.97 * bound.ms()) << "step " << s.step;
  }
}

TEST(TraceReplaySim, GeneratedRingRoundsRunInSequence) {
  traces::GenConfig cfg{.model = "params=6000000", .params = 6'000'000, .sites = 2, .ranks_per_site = 1,
                        .collective = traces::Collective::kRing, .bucket = Bytes{64 * traces::kMiB},
                        .first_bucket = Bytes{64 * traces::kMiB}, .step_compute = Nanos::from_ms(20), .steps = 2};
  const traces::GradientTrace trace = traces::generate_trace(cfg);
  const BitsPerSecond pace{900'000'000};
  const ReplayRun r = replay(trace, {.max_udp_payload = kMtu, .cc = xport::CcKind::kFixed, .fixed_rate = pace,
                                         .initial_window = 16ull << 20});
  ASSERT_TRUE(r.finished) << r.error;
  ASSERT_EQ(r.steps.size(), 2u);
  const ReplaySchedule sched(trace, {});
  const double room = kMtu - xport::wire::kHeaderSize - xport::wire::kCrcSize - xport::wire::data_frame_overhead(0);
  const double goodput = static_cast<double>(pace.bps) * room / kMtu;
  for (const traces::StepResult& s : r.steps) {
    std::map<uint32_t, std::map<ReplayDirection, uint64_t>> rounds;  // round → direction → bytes
    for (const auto& t : sched.transfers()) {
      if (t.step == s.step) rounds[t.round][t.dir] += t.bytes;
    }
    ASSERT_GE(rounds.size(), 2u) << "a ring all-reduce has a reduce-scatter and an all-gather round";
    double est_ms = 0;
    for (const auto& [round, dirs] : rounds) {
      uint64_t most = 0;
      for (const auto& [dir, bytes] : dirs) most = std::max(most, bytes);
      est_ms += static_cast<double>(most) * 8e3 / goodput + kRtt.ms();
    }
    std::printf("ring step %u: %zu rounds, comm %.1f ms (estimate %.1f ms)\n", s.step, rounds.size(), s.comm.ms(), est_ms);
    EXPECT_NEAR(s.comm.ms(), est_ms, 0.1 * est_ms) << "step " << s.step;
  }
}

}  // namespace
}  // namespace lh::sim::test
