// simulator_test.cpp — the simulator's clock, event order and endpoint timer protocol, and the CBR
// source's exact send schedule. No link behaviour here (see path_test.cpp).
#include <vector>

#include <gtest/gtest.h>

#include "emulator/sim/cbr_source.hpp"
#include "emulator/sim/dumbbell.hpp"
#include "emulator/sim/simulator.hpp"
#include "tests/sim/path_configs.hpp"

namespace lh::sim {
namespace {

struct Recorder final : Actor {
  std::vector<std::pair<int64_t, uint64_t>> seen;
  void on_event(Nanos now, uint64_t arg) override { seen.emplace_back(now.ns, arg); }
};

TEST(Simulator, RunsEventsInTimeOrderAndEqualTimesInSchedulingOrder) {
  Simulator sim;
  Recorder r;
  sim.schedule(Nanos{30}, r, 1);
  sim.schedule(Nanos{10}, r, 2);
  sim.schedule(Nanos{30}, r, 3);
  sim.schedule(Nanos{10}, r, 4);
  sim.schedule(Nanos{20}, r, 5);
  sim.run_until(Nanos{100});
  const std::vector<std::pair<int64_t, uint64_t>> expected{{10, 2}, {10, 4}, {20, 5}, {30, 1}, {30, 3}};
  EXPECT_EQ(r.seen, expected);
  EXPECT_EQ(sim.now(), Nanos{100});
  EXPECT_EQ(sim.events_processed(), 5u);
}

TEST(Simulator, RunUntilStopsAtDeadlineInclusiveAndPastEventsRunNow) {
  Simulator sim(Nanos{50});
  Recorder r;
  sim.schedule(Nanos{10}, r, 1);   // in the past: runs at 50
  sim.schedule(Nanos{60}, r, 2);
  sim.schedule(Nanos{61}, r, 3);
  sim.run_until(Nanos{60});
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[0], std::make_pair(int64_t{50}, uint64_t{1}));
  EXPECT_EQ(r.seen[1], std::make_pair(int64_t{60}, uint64_t{2}));
  EXPECT_EQ(sim.pending(), 1u);
  EXPECT_EQ(sim.next_event_time(), Nanos{61});
}

TEST(Simulator, RunUntilPredicateStopsAtTheEventThatMadeItTrue) {
  Simulator sim;
  Recorder r;
  for (int i = 1; i <= 10; ++i) sim.schedule(Nanos{i * 100}, r, static_cast<uint64_t>(i));
  EXPECT_TRUE(sim.run_until([&] { return r.seen.size() == 4; }, Nanos{10'000}));
  EXPECT_EQ(sim.now(), Nanos{400});
  EXPECT_FALSE(sim.run_until([&] { return r.seen.size() == 100; }, Nanos{650}));
  EXPECT_EQ(sim.now(), Nanos{650});
  EXPECT_EQ(r.seen.size(), 6u);
}

// An endpoint whose deadline the test moves: the dumbbell must wake it exactly at each deadline.
struct TimerProbe final : Endpoint {
  Nanos deadline = Nanos::max();
  std::vector<int64_t> fired;
  void on_packet(const Packet&, Nanos) override {}
  Nanos next_timeout() const override { return deadline; }
  void on_timeout(Nanos now) override {
    fired.push_back(now.ns);
    deadline = Nanos::max();
  }
  bool poll_transmit(Nanos, Packet&) override { return false; }
};

TEST(Dumbbell, EndpointTimersFollowTheirLatestDeadline) {
  Simulator sim;
  const DirectionConfig c = test::clean_path(BitsPerSecond{1'000'000'000}, Nanos::from_ms(1));
  Dumbbell path(sim, c, c, 1);
  TimerProbe probe;
  probe.deadline = Nanos{1000};
  const Address a = path.add_endpoint(Side::kA, probe);
  sim.run_until(Nanos{500});
  probe.deadline = Nanos{700};   // earlier: must fire at 700, not 1000
  path.wake(a);
  sim.run_until(Nanos{2000});
  probe.deadline = Nanos{5000};  // set again after firing
  path.wake(a);
  sim.run_until(Nanos{3000});
  probe.deadline = Nanos{9000};  // later than the armed 5000: fire only at 9000
  path.wake(a);
  sim.run_until(Nanos{20'000});
  EXPECT_EQ(probe.fired, (std::vector<int64_t>{700, 9000}));
}

TEST(CbrSource, SendScheduleIsExactAndOnOffMapsOntoOnPeriods) {
  // 1500 B at 700 Mbit/s: 17142.857… ns apart; packet k at floor(k · 12000e9 / 7e8).
  CbrSource steady(CbrConfig{.dst = 0, .packet_size = Bytes{1500}, .rate = BitsPerSecond{700'000'000}});
  EXPECT_EQ(steady.send_time(0), Nanos{0});
  EXPECT_EQ(steady.send_time(7), Nanos{120'000});
  EXPECT_EQ(steady.send_time(700'000), Nanos{12'000'000'000});
  EXPECT_EQ(steady.send_time(1), Nanos{17'142});

  // 1000 B at 8 Mbit/s = 1 ms apart; on 10 ms / off 30 ms: packets 0..9 in [0, 10ms), 10 at 40 ms.
  CbrSource bursty(CbrConfig{.dst = 0, .packet_size = Bytes{1000}, .rate = BitsPerSecond{8'000'000},
                             .start = Nanos::from_ms(5), .on = Nanos::from_ms(10), .off = Nanos::from_ms(30)});
  EXPECT_EQ(bursty.send_time(9), Nanos::from_ms(14));
  EXPECT_EQ(bursty.send_time(10), Nanos::from_ms(45));
  EXPECT_EQ(bursty.send_time(25), Nanos::from_ms(5 + 80 + 5));
}

TEST(CbrSource, StopsAtDurationAndRejectsBadConfig) {
  Simulator sim;
  const DirectionConfig c = test::clean_path(BitsPerSecond{1'000'000'000}, Nanos::from_ms(1));
  Dumbbell path(sim, c, c, 1);
  NullSink sink;
  const Address dst = path.add_endpoint(Side::kB, sink);
  // 1000 B at 8 Mbit/s: one per ms; [0, 10 ms) holds exactly 10 packets.
  CbrSource src(CbrConfig{.dst = dst, .packet_size = Bytes{1000}, .rate = BitsPerSecond{8'000'000},
                          .duration = Nanos::from_ms(10)});
  path.add_endpoint(Side::kA, src);
  sim.run_until(Nanos::from_s(1));
  EXPECT_EQ(src.packets_sent(), 10u);
  EXPECT_EQ(sink.received(), 10u);
  EXPECT_TRUE(src.finished());

  EXPECT_THROW(CbrSource(CbrConfig{.rate = BitsPerSecond{0}}), std::invalid_argument);
  EXPECT_THROW(CbrSource(CbrConfig{.packet_size = Bytes{0}, .rate = BitsPerSecond{1}}), std::invalid_argument);
  EXPECT_THROW(CbrSource(CbrConfig{.rate = BitsPerSecond{1}, .off = Nanos{5}}), std::invalid_argument);
}

TEST(Dumbbell, SameSideDestinationIsCountedUnroutable) {
  Simulator sim;
  const DirectionConfig c = test::clean_path(BitsPerSecond{1'000'000'000}, Nanos::from_ms(1));
  Dumbbell path(sim, c, c, 1);
  NullSink sink;
  const Address dst = path.add_endpoint(Side::kA, sink);
  CbrSource src(CbrConfig{.dst = dst, .packet_size = Bytes{1000}, .rate = BitsPerSecond{8'000'000},
                          .duration = Nanos::from_ms(5)});
  const Address s = path.add_endpoint(Side::kA, src);
  sim.run_until(Nanos::from_s(1));
  path.finish_stats();
  EXPECT_EQ(path.stats(s).unroutable(), 5u);
  EXPECT_EQ(path.stats(s).packets_delivered(), 0u);
  EXPECT_EQ(path.stats(s).loss_bursts().max(), 5);
  EXPECT_EQ(sink.received(), 0u);
}

}  // namespace
}  // namespace lh::sim
