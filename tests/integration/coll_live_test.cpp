// coll_live_test.cpp — the collectives' communicator on live transports over loopback, two ranks in
// one thread: the longhaul engine on io_uring (plaintext and protected mode) and the TCP baseline
// (cubic, 1 and 4 streams), each behind the workload surface and the same ChannelFabric, so the same
// algorithms run over every transport. All-reduce (sum and avg), all-gather, broadcast and a
// barrier of 16 MiB int32 buffers: exact on both ranks. Bounded: every wait has a deadline.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "transport/coll/communicator.hpp"
#include "workload/common/coll_fabric.hpp"
#include "workload/common/live_transport.hpp"

namespace lh::workload {
namespace {

class CollLive : public ::testing::TestWithParam<const char*> {};

TEST_P(CollLive, EveryCollectiveIsExactOnBothRanks) {
  TransportSpec spec = parse_transport_spec(GetParam());
  LiveOptions base{.transport = spec};
  if (spec.protection != xport::Protection::kNone) base.psk = std::make_shared<const std::vector<uint8_t>>(32, 0x33);
  LiveOptions so = base, co = base;
  so.listen = "127.0.0.1:0";
  std::unique_ptr<LiveTransport> srv = open_live_transport(so);
  co.peer = srv->local();
  std::unique_ptr<LiveTransport> cli = open_live_transport(co);
  Channel& ch0 = cli->endpoint().connect(cli->now());
  Channel* ch1 = nullptr;
  std::unique_ptr<ChannelFabric> f0, f1;
  std::unique_ptr<coll::Communicator> c0, c1;
  auto turn = [&] {
    cli->turn(Nanos{0});
    srv->turn(Nanos::from_us(100));
    if (ch1 == nullptr) ch1 = srv->endpoint().poll_accept();
    if (c0 == nullptr && ch1 != nullptr && ch0.state() == ChannelState::kUp && ch1->state() == ChannelState::kUp) {
      f0 = std::make_unique<ChannelFabric>(std::vector<ChannelFabric::Link>{{}, {&cli->endpoint(), &ch0}});
      f1 = std::make_unique<ChannelFabric>(std::vector<ChannelFabric::Link>{{&srv->endpoint(), ch1}, {}});
      const coll::CommConfig cfg{.size = 2, .max_bytes = 16ull << 20, .op_timeout = Nanos::from_s(20)};
      coll::CommConfig a = cfg, b = cfg;
      a.rank = 0, b.rank = 1;
      c0 = std::make_unique<coll::Communicator>(a, *f0);
      c1 = std::make_unique<coll::Communicator>(b, *f1);
    }
    if (c0 != nullptr) {
      c0->poll(cli->now());
      c1->poll(srv->now());
    }
  };
  auto until = [&](auto done, double seconds) {
    const Nanos deadline = cli->now() + Nanos::from_ms(static_cast<int64_t>(seconds * 1000));
    while (!done() && cli->now() < deadline) turn();
    return done();
  };
  ASSERT_TRUE(until([&] { return c0 != nullptr && c0->ready() && c1->ready(); }, 10))
      << (c0 ? c0->error() + " / " + c1->error() : "channels not up: " + ch0.error());
  const size_t n = (16u << 20) / 4;
  std::vector<int32_t> a(n), b(n);
  auto val = [](uint32_t r, size_t i) { return static_cast<int32_t>((i * 13 + r * 5) % 2000) - 1000; };
  auto run = [&](coll::Collective kind, coll::RedOp op, uint32_t root) {
    ASSERT_TRUE(c0->start(kind, std::span(reinterpret_cast<uint8_t*>(a.data()), n * 4), coll::DataType::kI32, op, root));
    ASSERT_TRUE(c1->start(kind, std::span(reinterpret_cast<uint8_t*>(b.data()), n * 4), coll::DataType::kI32, op, root));
    ASSERT_TRUE(until([&] { return (c0->ready() && c1->ready()) || !c0->error().empty() || !c1->error().empty(); }, 30));
    ASSERT_TRUE(c0->ready() && c1->ready()) << c0->error() << " / " << c1->error();
  };
  for (coll::RedOp op : {coll::RedOp::kSum, coll::RedOp::kAvg}) {
    for (size_t i = 0; i < n; ++i) a[i] = val(0, i), b[i] = val(1, i);
    run(coll::Collective::kAllReduce, op, 0);
    for (size_t i = 0; i < n; ++i) {
      const int32_t want = op == coll::RedOp::kSum ? val(0, i) + val(1, i) : (val(0, i) + val(1, i)) / 2;
      ASSERT_EQ(a[i], want) << i;
      ASSERT_EQ(b[i], want) << i;
    }
  }
  const coll::Slice second = coll::chunk(n, 4, 2, 1);
  for (size_t i = 0; i < n; ++i) a[i] = i < second.offset / 4 ? val(0, i) : -1, b[i] = i < second.offset / 4 ? -1 : val(1, i);
  run(coll::Collective::kAllGather, coll::RedOp::kSum, 0);
  for (size_t i = 0; i < n; ++i) {
    const int32_t want = val(i < second.offset / 4 ? 0 : 1, i);
    ASSERT_EQ(a[i], want) << i;
    ASSERT_EQ(b[i], want) << i;
  }
  for (size_t i = 0; i < n; ++i) a[i] = val(0, i) * 2, b[i] = 0;
  run(coll::Collective::kBroadcast, coll::RedOp::kSum, 0);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(b[i], val(0, i) * 2) << i;
  ASSERT_TRUE(c0->start_barrier() && c1->start_barrier());
  ASSERT_TRUE(until([&] { return c0->ready() && c1->ready(); }, 10));
  EXPECT_EQ(c0->completed(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Transports, CollLive,
                         ::testing::Values("longhaul", "longhaul+psp", "tcp-cubic", "tcp-cubic-x4"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string s = p.param;
                           for (char& ch : s)
                             if (ch == '-' || ch == '+') ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace lh::workload
