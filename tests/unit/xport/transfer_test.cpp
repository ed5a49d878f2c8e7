// transfer_test.cpp — two engines joined by the real link model in virtual time: a few MiB over a
// lossless path and over a lossy, duplicating, reordering one, every byte checked; the receiver's
// flow-control window growing with the measured bandwidth-delay product; each congestion controller.
#include <gtest/gtest.h>

#include "tests/unit/xport/xport_harness.hpp"

namespace lh::xport::test {
namespace {

struct TransferResult {
  std::vector<Completion> initiator, target;
  Nanos elapsed{0};
  bool bytes_equal = false;
};

TransferResult transfer(ConnectionConfig cfg, PathModel path, size_t bytes, size_t writes, uint64_t seed) {
  Pair p(cfg, cfg);
  std::vector<uint8_t> region(bytes, 0);
  auto mr = p.b.mem.register_region(region);
  auto src = pattern(bytes, static_cast<uint32_t>(seed));
  const size_t chunk = bytes / writes;
  for (size_t i = 0; i < writes; ++i) {
    const size_t len = i + 1 == writes ? bytes - i * chunk : chunk;
    EXPECT_EQ(p.client().post_write({.wr_id = i, .local = std::span(src).subspan(i * chunk, len), .rkey = mr.rkey,
                                     .remote_offset = i * chunk, .imm = static_cast<uint32_t>(i)}),
              PostResult::kOk);
  }
  PathModel back = path;
  back.rate = BitsPerSecond{0};
  VirtualWire wire(p.client(), p.server(), path, back, seed, p.now);
  const Nanos start = p.now;
  const Nanos end = wire.run(p.now, p.now + Nanos::from_s(60), [&] { return p.a.cq.size() == writes; });
  TransferResult r;
  r.elapsed = end - start;
  r.initiator = p.a.completions();
  r.target = p.b.completions();
  r.bytes_equal = region == src;
  return r;
}

void expect_all_succeeded(const TransferResult& r, size_t writes) {
  ASSERT_EQ(r.initiator.size(), writes);
  for (const auto& c : r.initiator) EXPECT_EQ(c.status, Status::kSuccess);
  ASSERT_EQ(r.target.size(), writes);
  for (const auto& c : r.target) {
    EXPECT_EQ(c.status, Status::kSuccess);
    EXPECT_TRUE(c.has_imm);
  }
  EXPECT_TRUE(r.bytes_equal);
}

TEST(Transfer, LosslessFewMiB) {
  auto r = transfer({}, {.delay = Nanos::from_ms(10), .rate = BitsPerSecond{1'000'000'000}}, 4 << 20, 4, 1);
  expect_all_succeeded(r, 4);
}

TEST(Transfer, LossyDuplicatingReorderingFewMiB) {
  const PathModel path{.delay = Nanos::from_ms(10), .rate = BitsPerSecond{1'000'000'000}, .loss = 0.03,
                       .duplicate = 0.01, .reorder = 0.02};
  auto r = transfer({}, path, 4 << 20, 8, 2);
  expect_all_succeeded(r, 8);
}

TEST(Transfer, EveryCongestionControllerCompletesUnderLoss) {
  for (CcKind kind : {CcKind::kBbr, CcKind::kCubic, CcKind::kFixed}) {
    ConnectionConfig cfg{.cc = kind, .fixed_rate = BitsPerSecond{400'000'000}};
    const PathModel path{.delay = Nanos::from_ms(5), .rate = BitsPerSecond{500'000'000}, .loss = 0.01};
    auto r = transfer(cfg, path, 2 << 20, 2, 3 + static_cast<uint64_t>(kind));
    SCOPED_TRACE(static_cast<int>(kind));
    expect_all_succeeded(r, 2);
  }
}

TEST(FlowControl, WindowGrowsWithMeasuredBdp) {
  // 1 Gbit/s, 40 ms RTT: BDP = 5 MB. The receiver starts at 256 KiB and must grow to >= 2·BDP.
  ConnectionConfig cfg{.cc = CcKind::kFixed, .fixed_rate = BitsPerSecond{950'000'000},
                       .initial_window = 256 << 10, .max_window = 64 << 20};
  Pair p(cfg, cfg);
  std::vector<uint8_t> region(24 << 20, 0);
  auto mr = p.b.mem.register_region(region);
  auto src = pattern(region.size(), 4);
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  const PathModel path{.delay = Nanos::from_ms(20), .rate = BitsPerSecond{1'000'000'000}, .max_queue = Nanos::from_ms(50)};
  PathModel back = path;
  back.rate = BitsPerSecond{0};
  VirtualWire wire(p.client(), p.server(), path, back, 4, p.now);
  EXPECT_EQ(p.server().advertised_window(), 256u << 10);
  uint64_t window_after_1s = 0;
  wire.run(p.now, p.now + Nanos::from_s(1), [] { return false; });
  window_after_1s = p.server().advertised_window();
  EXPECT_GE(window_after_1s, 10'000'000u);  // >= 2 x 5 MB
  EXPECT_LE(window_after_1s, 64u << 20);
  EXPECT_EQ(p.client().peer_window(), window_after_1s);
}

}  // namespace
}  // namespace lh::xport::test
