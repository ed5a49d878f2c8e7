// window_test.cpp — the window-based reliable sender over emulated paths: throughput = window / RTT
// on a clean 50 ms path (exactly, once ack-clocked), and complete, in-order delivery under loss and
// corruption via fast retransmit, partial-ACK retransmit and RTO.
#include <gtest/gtest.h>

#include "emulator/sim/dumbbell.hpp"
#include "emulator/sim/simulator.hpp"
#include "emulator/sim/window_receiver.hpp"
#include "emulator/sim/window_sender.hpp"
#include "tests/sim/path_configs.hpp"

namespace lh::sim {
namespace {

// 8 Gbit/s makes every serialization a whole number of ns: data 1500 + 24 B → 1524 ns, ACK 59 + 24 B
// → 83 ns. One-way propagation 50 ms.
constexpr BitsPerSecond kRate{8'000'000'000};
constexpr Nanos kProp = Nanos::from_ms(50);
constexpr Nanos kRtt = Nanos{1524} + kProp + Nanos{83} + kProp;   // data + ACK one-way delays

WindowSenderConfig to(Address dst, WindowSenderConfig c) {
  c.dst = dst;
  return c;
}

struct Transfer {
  Simulator sim;
  Dumbbell path;
  WindowReceiver receiver;
  WindowSender sender;
  Address rx, tx;

  Transfer(const DirectionConfig& ab, const DirectionConfig& ba, WindowSenderConfig cfg, uint32_t rx_window,
           uint64_t seed)
      : path(sim, ab, ba, seed), receiver(rx_window), sender(to(0, cfg)) {
    rx = path.add_endpoint(Side::kB, receiver);   // the first endpoint: address 0
    tx = path.add_endpoint(Side::kA, sender);
  }
};

TEST(WindowSender, CleanPathThroughputIsWindowOverRtt) {
  const DirectionConfig clean = test::clean_path(kRate, kProp);
  Transfer t(clean, clean, WindowSenderConfig{.window_packets = 100}, 100, 1);

  // Ack clocking: after the first window, packet W+k leaves when the ACK of packet k arrives, so the
  // delivery pattern repeats with period RTT exactly (the window never fills the 8 Gbit/s link:
  // 100 × 1524 ns ≪ 100 ms). Any interval of n·RTT therefore holds exactly n·W deliveries.
  t.sim.run_until(Nanos::from_s(2) + Nanos{777});
  const uint64_t before = t.receiver.delivered();
  t.sim.run_until(t.sim.now() + kRtt * 10);
  EXPECT_EQ(t.receiver.delivered() - before, 1000u);

  // The one-way delays the path measured are the model's serialization + propagation, exactly.
  EXPECT_EQ(t.path.stats(t.tx).one_way_delay().min(), (Nanos{1524} + kProp).ns);
  EXPECT_EQ(t.path.stats(t.rx).one_way_delay().min(), (Nanos{83} + kProp).ns);
  EXPECT_EQ(t.sender.srtt(), kRtt);

  // Long run: deliveries come as a burst of W every RTT, so T seconds hold T/RTT bursts ± 1 (the
  // first arrives one data one-way delay after the start): goodput = W·payload/RTT to within RTT/T,
  // 0.5% after 20 s.
  t.sim.run_until(Nanos::from_s(20));
  const double goodput = static_cast<double>(t.receiver.payload_bytes_delivered()) * 8 / 20.0;
  const double ideal = 100.0 * 1458 * 8 / kRtt.seconds();
  EXPECT_NEAR(goodput, ideal, ideal * kRtt.seconds() / 20.0);
  EXPECT_EQ(t.sender.retransmits(), 0u);
  EXPECT_EQ(t.sender.timeouts(), 0u);
}

TEST(WindowSender, WindowInBytesIsConvertedToPackets) {
  const DirectionConfig clean = test::clean_path(kRate, kProp);
  Transfer t(clean, clean, WindowSenderConfig{.window_bytes = Bytes{1458 * 40 + 1000}}, 40, 1);
  EXPECT_EQ(t.sender.window(), 40u);
  t.sim.run_until(Nanos::from_s(1) + Nanos{321});
  const uint64_t before = t.receiver.delivered();
  t.sim.run_until(t.sim.now() + kRtt * 5);
  EXPECT_EQ(t.receiver.delivered() - before, 200u);
}

TEST(WindowSender, RecoversEveryPacketUnderLossAndCorruption) {
  DirectionConfig data = test::lossy_path(kRate, kProp, 0.01);
  data.jitter.corrupt = Probability::from_double(0.002);
  const DirectionConfig acks = test::lossy_path(kRate, kProp, 0.01);
  constexpr uint64_t kTotal = 20'000;
  Transfer t(data, acks, WindowSenderConfig{.window_packets = 64, .total_packets = kTotal}, 64, 42);

  ASSERT_TRUE(t.sim.run_until([&] { return t.sender.done(); }, Nanos::from_s(300)));
  t.sim.run_for(Nanos::from_s(1));   // let spurious retransmits still in flight arrive
  EXPECT_EQ(t.receiver.delivered(), kTotal);
  EXPECT_EQ(t.receiver.payload_bytes_delivered(), kTotal * 1458);
  const FlowStats& fwd = t.path.stats(t.tx);
  EXPECT_GT(fwd.dropped(emu::DropCause::kLoss), 100u);   // ~1% of ~20 000
  EXPECT_GT(t.receiver.discarded_corrupt(), 0u);
  EXPECT_EQ(t.receiver.discarded_corrupt(), fwd.corrupted());
  // Every packet lost or corrupted on the way was sent again; nothing else was sent twice except
  // spurious retransmits, which the receiver counts as duplicates.
  EXPECT_GE(t.sender.retransmits(), fwd.packets_dropped() + fwd.corrupted());
  EXPECT_EQ(t.sender.packets_sent(), kTotal + t.sender.retransmits());
  EXPECT_EQ(t.sender.retransmits() - fwd.packets_dropped() - fwd.corrupted(), t.receiver.duplicates());
  // Loss costs time but not much: far faster than one RTO per loss would allow.
  const double ideal_s = static_cast<double>(kTotal) / 64 * kRtt.seconds();
  EXPECT_LT(t.sender.done_at().seconds(), 3 * ideal_s);
}

TEST(WindowSender, RejectsBadConfig) {
  EXPECT_THROW(WindowSender(WindowSenderConfig{}), std::invalid_argument);
  EXPECT_THROW(WindowSender(WindowSenderConfig{.window_packets = 4, .window_bytes = Bytes{10}}),
               std::invalid_argument);
  EXPECT_THROW(WindowSender(WindowSenderConfig{.window_packets = 4, .payload_bytes = 3}), std::invalid_argument);
  EXPECT_THROW(WindowReceiver(0), std::invalid_argument);
}

}  // namespace
}  // namespace lh::sim
