// cc_test.cpp — congestion controllers and the pacer, driven by synthetic event streams.
//
// BBR sees rounds of ACKs whose delivery-rate samples follow a scripted path: growing, then flat at
// the bottleneck; random loss below loss_thresh without RTT growth must not lower its rate, heavy loss
// with a growing queue must. CUBIC: slow start, one multiplicative decrease per congestion event.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "transport/proto/cc/bbr.hpp"
#include "transport/proto/cc/cubic.hpp"
#include "transport/proto/cc/fixed_rate.hpp"
#include "transport/proto/pacer.hpp"

namespace lh::xport::cc {
namespace {

constexpr uint64_t kMss = 1398;

struct BbrDriver {
  Bbr bbr{BitsPerSecond{100'000'000}, Nanos::from_ms(50), kMss, 0.05};
  Nanos now{1'000'000'000};
  uint64_t delivered = 0;

  // One round trip: 10 ACKs delivering `bw` for one `rtt`, with `loss` of the bytes lost (the lost
  // bytes come on top: the sender sent bw/(1 − loss)); `app_limited` marks the samples.
  void round(uint64_t bw_bps, Nanos rtt, double loss = 0.0, bool app_limited = false) {
    const uint64_t bytes = bytes_in(rtt, BitsPerSecond{bw_bps}).n;
    const uint64_t prior = delivered;
    for (int k = 0; k < 10; ++k) {
      now += rtt / 10;
      const uint64_t acked = bytes / 10;
      if (loss > 0) {
        bbr.on_loss(LossEvent{.now = now, .lost_bytes = static_cast<uint64_t>(loss / (1 - loss) * static_cast<double>(acked)),
                              .in_flight = bytes});
      }
      delivered += acked;
      bbr.on_ack(AckEvent{.now = now, .acked_bytes = acked, .in_flight = bytes, .delivered_total = delivered,
                          .latest_rtt = rtt, .min_rtt = rtt, .srtt = rtt,
                          .rs = RateSample{.delivered = bytes, .interval = rtt, .prior_delivered = prior,
                                           .app_limited = app_limited}});
    }
  }
  // Startup to the bottleneck, then cruising.
  void reach(uint64_t bw_bps, Nanos rtt) {
    for (uint64_t bw = 100'000'000; bw < bw_bps; bw *= 2) round(bw, rtt);
    for (int i = 0; i < 8; ++i) round(bw_bps, rtt);
  }
};

TEST(Bbr, StartupFindsTheBottleneckThenCruises) {
  BbrDriver d;
  const Nanos rtt = Nanos::from_ms(50);
  // Startup: delivery rate doubles per round while the pipe is not full.
  for (uint64_t bw = 100'000'000; bw < 1'000'000'000; bw *= 2) d.round(bw, rtt);
  EXPECT_EQ(d.bbr.mode(), Bbr::Mode::kStartup);
  EXPECT_GT(d.bbr.pacing_rate().bps, 1'000'000'000u);  // gain 2.885 over the estimate
  // The bottleneck: 1 Gbit/s stops growing; after 3 flat rounds the pipe is full.
  for (int i = 0; i < 5; ++i) d.round(1'000'000'000, rtt);
  EXPECT_NE(d.bbr.mode(), Bbr::Mode::kStartup);
  for (int i = 0; i < 3; ++i) d.round(1'000'000'000, rtt);
  EXPECT_EQ(d.bbr.mode(), Bbr::Mode::kProbeBw);
  EXPECT_EQ(d.bbr.max_bw(), 1'000'000'000u);
  // Cruising: pacing gain cycles around 1 (0.75 .. 1.25) of the bottleneck.
  EXPECT_GE(d.bbr.pacing_rate().bps, 750'000'000u);
  EXPECT_LE(d.bbr.pacing_rate().bps, 1'250'000'000u);
  // cwnd is about 2 x BDP (6.25 MB at 1 Gbit/s x 50 ms) plus the ACK-aggregation headroom: each
  // scripted ACK carries a tenth of a BDP at once (625 kB).
  EXPECT_GT(d.bbr.cwnd(), 12'500'000u + 600'000u);
  EXPECT_LT(d.bbr.cwnd(), 12'500'000u + 700'000u);
}

// The delayed-ACK trap: a window below the receiver's ACK-every count is acknowledged only on its
// timer, so rounds last max_ack_delay and the delivery rate collapses. However low the model's BDP
// falls, the window stays at the configured floor.
TEST(Bbr, WindowNeverFallsBelowTheConfiguredFloor) {
  Bbr bbr{BitsPerSecond{100'000'000}, Nanos::from_ms(50), kMss, 0.05, 10};
  Nanos now{1'000'000'000};
  uint64_t delivered = 0;
  const Nanos rtt = Nanos::from_us(40);
  for (int i = 0; i < 200; ++i) {  // 20 Mbit/s over a 40 us path: a BDP of 100 bytes
    const uint64_t prior = delivered;
    now += Nanos::from_ms(2);
    delivered += 3 * kMss;
    bbr.on_ack(AckEvent{.now = now, .acked_bytes = 3 * kMss, .in_flight = 0, .delivered_total = delivered,
                        .latest_rtt = rtt, .min_rtt = rtt, .srtt = rtt,
                        .rs = RateSample{.delivered = 3 * kMss, .interval = Nanos::from_ms(2), .prior_delivered = prior}});
  }
  EXPECT_NE(bbr.mode(), Bbr::Mode::kStartup);
  EXPECT_LT(bbr.max_bw(), 30'000'000u);
  EXPECT_EQ(bbr.cwnd(), 10 * kMss);
}

TEST(Bbr, RandomLossBelowThresholdIsNotCongestion) {
  BbrDriver d;
  const Nanos rtt = Nanos::from_ms(50);
  for (int i = 0; i < 12; ++i) d.round(1'000'000'000, rtt);
  ASSERT_EQ(d.bbr.mode(), Bbr::Mode::kProbeBw);
  // 2% random loss every round, RTT flat: the model keeps the full rate.
  uint64_t min_rate = UINT64_MAX;
  for (int i = 0; i < 20; ++i) {
    d.round(1'000'000'000, rtt, 0.02);
    min_rate = std::min(min_rate, d.bbr.pacing_rate().bps);
  }
  EXPECT_EQ(d.bbr.max_bw(), 1'000'000'000u);
  EXPECT_GE(min_rate, 750'000'000u);  // only the 0.75 drain phase of the gain cycle
}

TEST(Bbr, HeavyLossWithQueueingCutsTheRate) {
  BbrDriver d;
  const Nanos rtt = Nanos::from_ms(50);
  for (int i = 0; i < 12; ++i) d.round(1'000'000'000, rtt);
  // A competing flow arrives: our delivery rate falls to 600 Mbit/s, the RTT grows by 40% and 10% of
  // our packets are lost. A real queue is overflowing: cut to beta·bw (not below what was delivered).
  d.round(600'000'000, Nanos::from_ms(70), 0.10);
  d.round(600'000'000, Nanos::from_ms(70), 0.10);
  EXPECT_LE(d.bbr.pacing_rate().bps, static_cast<uint64_t>(1.25 * 0.7 * 1e9) + 1);
}

// Timing noise can leave a delivery-rate sample a few percent above the bottleneck in the max filter;
// pacing at 1.0 of it then fills the bottleneck buffer round after round (a standing queue: every RTT
// sample stands well above the base RTT). The cruise detects it, caps the model at the rate the
// round actually delivered and drains with the 0.75 phase; without a queue nothing changes.
TEST(Bbr, StandingQueueWhileCruisingIsDrained) {
  const Nanos base = Nanos::from_ms(50);
  // Returns the lowest pacing rate seen, and the highest cruise rate (0.8..1.2 Gbit/s) seen after the
  // lowest one and before the next probe-up (> 1.2 Gbit/s).
  auto run = [&](Nanos cruise_rtt, uint64_t& lowest, uint64_t& cruise_after) {
    BbrDriver d;
    for (uint64_t bw = 100'000'000; bw < 1'000'000'000; bw *= 2) d.round(bw, base);
    for (int i = 0; i < 8; ++i) d.round(1'000'000'000, base);
    EXPECT_EQ(d.bbr.mode(), Bbr::Mode::kProbeBw);
    d.round(1'050'000'000, base);  // one inflated sample: the max filter holds it for 10 rounds
    std::vector<uint64_t> pace;
    for (int i = 0; i < 9; ++i) {
      d.round(1'000'000'000, cruise_rtt);  // the bottleneck delivers 1 Gbit/s
      d.now += Nanos::from_ms(1);          // rounds a little longer than the RTT: one gain phase each
      pace.push_back(d.bbr.pacing_rate().bps);

    }
    const auto low = std::min_element(pace.begin(), pace.end());
    lowest = *low;
    cruise_after = 0;
    for (auto it = low + 1; it != pace.end() && *it <= 1'200'000'000u; ++it) cruise_after = std::max(cruise_after, *it);
  };
  uint64_t lowest = 0, cruise = 0;
  run(base, lowest, cruise);  // no queue: never below the (inflated) estimate outside the probe
  EXPECT_EQ(lowest, 1'050'000'000u);
  run(base + Nanos::from_ms(30), lowest, cruise);  // a 30 ms standing queue
  EXPECT_LE(lowest, 750'000'000u);     // drained at 0.75 of what the round delivered
  EXPECT_GT(cruise, 950'000'000u);     // then cruising at the delivered rate ...
  EXPECT_LE(cruise, 1'000'000'000u);   // ... not at the inflated one
}

// A training job's compute gap: only statuses and pings are acknowledged, every sample is
// application-limited and tiny. Such rounds say nothing about the bottleneck: after 30 of them (three
// filter windows) the model still holds 1 Gbit/s. Before the fix ten of them emptied the filter and
// the next step started from the pacing floor (issue 11's crawl).
TEST(Bbr, IdleRoundsDoNotAgeTheBandwidthFilter) {
  BbrDriver d;
  const Nanos rtt = Nanos::from_ms(50);
  d.reach(1'000'000'000, rtt);
  ASSERT_EQ(d.bbr.mode(), Bbr::Mode::kProbeBw);
  for (int i = 0; i < 30; ++i) d.round(100'000, rtt, 0.0, /*app_limited=*/true);
  EXPECT_EQ(d.bbr.max_bw(), 1'000'000'000u);
  EXPECT_GE(d.bbr.pacing_rate().bps, 750'000'000u);
}

// The first packet after an idle spell: the round it starts is paced at 1× the model, whatever the
// mode's gain (Startup's 2.885 here, which would send a step's first flight at 2.9× the bottleneck).
TEST(Bbr, RestartAfterIdlePacesAtTheModelsRate) {
  BbrDriver d;
  const Nanos rtt = Nanos::from_ms(50);
  for (uint64_t bw = 100'000'000; bw < 800'000'000; bw *= 2) d.round(bw, rtt);
  ASSERT_EQ(d.bbr.mode(), Bbr::Mode::kStartup);
  ASSERT_GT(d.bbr.pacing_rate().bps, 2 * d.bbr.max_bw());
  d.round(100'000, rtt, 0.0, /*app_limited=*/true);  // idle
  d.bbr.on_packet_sent(SentEvent{.now = d.now, .bytes = kMss, .in_flight = kMss, .app_limited = true});
  EXPECT_EQ(d.bbr.pacing_rate().bps, d.bbr.max_bw());
  EXPECT_STREQ(d.bbr.state().state, "restart");
  // The round it started ends: startup's gain again.
  d.round(800'000'000, rtt);
  EXPECT_GT(d.bbr.pacing_rate().bps, 2 * d.bbr.max_bw());
}

// 20% random loss, RTT flat: the round delivers 800 Mbit/s of a 1 Gbit/s bottleneck that the sender
// fills. The loss is not congestion (no queue), and the model sends at delivered / (1 − p̂).
TEST(Bbr, RandomLossIsCompensatedNotPunished) {
  BbrDriver d;
  const Nanos rtt = Nanos::from_ms(50);
  d.reach(1'000'000'000, rtt);
  for (int i = 0; i < 30; ++i) d.round(800'000'000, rtt, 0.2);
  EXPECT_NEAR(d.bbr.random_loss(), 0.2, 0.01);
  EXPECT_NEAR(static_cast<double>(d.bbr.state().bandwidth_bps), 1e9, 0.03e9);
}

// After a congestive round (a competitor's burst: loss and a queue) the cap is raised by 1/4 per
// clean round, so the rate is back within a few RTTs, not at the next gain cycle's probe.
TEST(Bbr, CongestionCapRecoversOnCleanRounds) {
  BbrDriver d;
  const Nanos rtt = Nanos::from_ms(50);
  d.reach(1'000'000'000, rtt);
  d.round(500'000'000, Nanos::from_ms(80), 0.15);  // the burst: half the rate, 15% loss, 30 ms queue
  // The burst is over. A round is judged when the next one starts (its first ACK).
  std::vector<uint64_t> model;
  for (int i = 0; i < 4; ++i) {
    d.round(1'000'000'000, rtt);
    model.push_back(d.bbr.state().bandwidth_bps);
  }
  EXPECT_LE(model[0], 710'000'000u) << "the congestive round was not cut";
  EXPECT_GE(model[3], 1'000'000'000u) << "still capped three clean rounds later";
}

TEST(Cubic, SlowStartThenOneDecreasePerEvent) {
  Cubic c(Nanos::from_ms(50), kMss);
  Nanos now{1'000'000'000};
  const uint64_t w0 = c.cwnd();
  EXPECT_TRUE(c.in_slow_start());
  c.on_ack(AckEvent{.now = now, .acked_bytes = w0, .srtt = Nanos::from_ms(50)});
  EXPECT_EQ(c.cwnd(), 2 * w0);  // doubles per RTT in slow start
  now += Nanos::from_ms(50);
  c.on_loss(LossEvent{.now = now, .lost_bytes = kMss, .largest_lost_sent_time = now - Nanos::from_ms(10)});
  const uint64_t after = c.cwnd();
  EXPECT_EQ(after, static_cast<uint64_t>(0.7 * static_cast<double>(2 * w0)));
  EXPECT_FALSE(c.in_slow_start());
  // A second loss of a packet sent before the decrease is the same congestion event.
  c.on_loss(LossEvent{.now = now + Nanos::from_ms(1), .lost_bytes = kMss, .largest_lost_sent_time = now - Nanos::from_ms(5)});
  EXPECT_EQ(c.cwnd(), after);
  // Congestion avoidance: grows back towards W_max, concave, never beyond +50% per ACK batch.
  for (int i = 0; i < 200; ++i) {
    now += Nanos::from_ms(10);
    c.on_ack(AckEvent{.now = now, .acked_bytes = c.cwnd() / 5, .srtt = Nanos::from_ms(50)});
  }
  EXPECT_GT(c.cwnd(), 2 * w0);  // 2 s later: past W_max (K ~ 2 s at this window), now convex
}

TEST(FixedRate, IgnoresLoss) {
  FixedRate f(BitsPerSecond{900'000'000}, Nanos::from_ms(50), kMss);
  f.on_loss(LossEvent{.lost_bytes = 1'000'000});
  EXPECT_EQ(f.pacing_rate().bps, 900'000'000u);
  EXPECT_EQ(f.cwnd(), 2 * bytes_in(Nanos::from_ms(50), BitsPerSecond{900'000'000}).n);
}

TEST(Pacer, ReleasesAtTheRateAfterOneQuantum) {
  Pacer p;
  const BitsPerSecond rate{1'000'000'000};
  Nanos now{1'000'000};
  int sent = 0;
  // Idle start: a burst of up to one quantum (4 packets) leaves at once, then one per 11.776 us.
  while (p.can_send(now) && sent < 100) {
    p.on_sent(now, 1472, rate, 4 * 1472);
    ++sent;
  }
  EXPECT_EQ(sent, 5);  // the quantum plus the packet that opened it
  int more = 0;
  for (int i = 0; i < 1000; ++i) {
    now = p.release_time();
    p.on_sent(now, 1472, rate, 4 * 1472);
    ++more;
  }
  // 1000 packets at exactly their serialization time each: no drift.
  EXPECT_EQ(p.release_time() - now, serialization_time(Bytes{1472}, rate));
  EXPECT_EQ(more, 1000);
}

}  // namespace
}  // namespace lh::xport::cc
