// xfer_sim_test.cpp — lh-xfer in virtual time: the client and server sessions that lh-xfer runs on
// sockets (workload/xfer/xfer_session.hpp), over the longhaul engine's workload adapter, on a
// simulated 1 Gbit/s, 50 ms RTT path with 1e-3 random loss each way and a one-BDP queue. 1 GiB in
// 64 MiB shards through a 4-slot ring (slots are reused 4 times): every shard lands verified by the
// server (placement and pattern), the client gets the server's REPORT, and goodput is the path's.
// Shards are stamped and hashed inline (InlineShards) and the region is a plain vector: the only
// differences from the tool, which does both on helper threads.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "tests/sim/transport_scenario.hpp"
#include "workload/common/longhaul_endpoint.hpp"
#include "workload/xfer/xfer_session.hpp"

namespace lh::sim::test {
namespace {

// A client and a server lh-xfer session on the two sides of a simulated path.
struct XferPair {
  XferPair(const DirectionConfig& dir, const workload::XferClientConfig& cfg, uint64_t max_region)
      : XferPair(dir, cfg, workload::XferServerConfig{.max_region = max_region}) {}
  XferPair(const DirectionConfig& dir, const workload::XferClientConfig& cfg, const workload::XferServerConfig& server_cfg)
      : path(sim, dir, dir, 5),
        client_ep({.seed = 31, .max_connections = 1, .accept = false, .conn = kConn}),
        server_ep({.seed = 32, .max_connections = 4, .conn = kConn}),
        server_addr(path.add_endpoint(Side::kB, server_ep)),
        client_surface(client_ep.engine(), peer_of(server_addr)),
        server_surface(server_ep.engine()),
        source(prepared(cfg)),
        shards(cfg.seed),
        server(server_surface, server_cfg, regions),
        ch(client_surface.connect(sim.now())),
        client(client_surface, ch, cfg, source, shards),
        client_addr(path.add_endpoint(Side::kA, client_ep)) {}

  // Turns both sessions until `done()` or `limit` of virtual time; the client closes once it is done.
  template <typename F>
  bool run(Nanos limit, F&& done) {
    return sim.run_until(
        [&] {
          const Nanos now = sim.now();
          bool client_posted = client.poll(now);
          if (server.poll(now)) path.wake(server_addr);
          for (auto& r : server.take_finished()) finished.push_back(r);
          if (!closing && (client.phase() == workload::XferClient::Phase::kDone ||
                           client.phase() == workload::XferClient::Phase::kFailed)) {
            closing = true;
            ch.close(now);
            client_posted = true;
          }
          if (client_posted) path.wake(client_addr);
          return done();
        },
        limit);
  }

  static std::vector<uint8_t> prepared(const workload::XferClientConfig& cfg) {
    std::vector<uint8_t> v(workload::source_bytes(cfg));
    workload::prepare_source(v, cfg);
    return v;
  }

  static inline const xport::ConnectionConfig kConn{.max_udp_payload = 1472, .initial_window = 16ull << 20};
  Simulator sim;
  Dumbbell path;
  TransportSimEndpoint client_ep, server_ep;
  Address server_addr;
  workload::LonghaulEndpoint client_surface, server_surface;
  std::vector<uint8_t> source;
  workload::InlineShards shards;
  workload::VectorRegions regions;
  workload::XferServer server;
  workload::Channel& ch;
  workload::XferClient client;
  Address client_addr;
  std::vector<workload::XferServerResult> finished;
  bool closing = false;
};

TEST(XferSim, OneGibThroughALossyLongPathVerified) {
  constexpr BitsPerSecond kRate{1'000'000'000};
  constexpr Nanos kOneWay = Nanos::from_ms(25);
  const LossConfig loss = BernoulliLoss{.p = Probability::from_double(1e-3)};
  XferPair x(path_direction(kRate, kOneWay, bdp(kRate, kOneWay), loss),
             {.size = 1ull << 30, .shard = 64ull << 20, .slots = 4, .seed = 77}, 1ull << 30);
  const bool done = x.run(Nanos::from_s(120), [&] { return x.closing && !x.finished.empty(); });
  ASSERT_TRUE(done) << "phase " << static_cast<int>(x.client.phase()) << ": " << x.client.error();
  ASSERT_EQ(x.client.phase(), workload::XferClient::Phase::kDone) << x.client.error();
  workload::XferSummary s;
  x.client.fill(s, x.sim.now());
  const double ceiling = 1434.0 / (1472 + 42 + 24) * static_cast<double>(kRate.bps);
  std::printf("1 GiB in %.3f s: %.1f Mbit/s = %.3f of the payload ceiling; retransmits %llu; server verified %llu/%llu\n",
              s.seconds, s.bits_per_second() * 1e-6, s.bits_per_second() / ceiling,
              static_cast<unsigned long long>(s.retransmits), static_cast<unsigned long long>(s.verified_shards),
              static_cast<unsigned long long>(s.shards));
  EXPECT_TRUE(s.complete);
  EXPECT_TRUE(s.server_report);
  EXPECT_EQ(s.shards, 16u);
  EXPECT_EQ(s.verified_shards, 16u);
  EXPECT_EQ(s.bad_shards, 0u);
  EXPECT_EQ(s.bytes, 1ull << 30);
  EXPECT_EQ(s.shard_ns.size(), 16u);
  EXPECT_GT(s.retransmits, 0u) << "the path is lossy: some packets must have been resent";
  EXPECT_GE(s.bits_per_second(), 0.85 * (1 - 1e-3) * ceiling);
  ASSERT_EQ(x.finished.size(), 1u);
  EXPECT_TRUE(x.finished[0].ok());
  EXPECT_TRUE(x.finished[0].closed);
  EXPECT_EQ(x.finished[0].verified_bytes, 1ull << 30);
}

// A client asking for more than the server's --max-region is refused by READY, and says so.
TEST(XferSim, ServerRefusesARingAboveItsMaxRegion) {
  XferPair x(path_direction(BitsPerSecond{1'000'000'000}, Nanos::from_ms(5), Bytes{1 << 20}),
             {.size = 64ull << 20, .shard = 16ull << 20, .slots = 4}, 32ull << 20);
  x.run(Nanos::from_s(5), [&] { return x.client.phase() == workload::XferClient::Phase::kFailed; });
  EXPECT_TRUE(x.client.refused());
  EXPECT_NE(x.client.error().find("exceeds its --max-region"), std::string::npos) << x.client.error();
}

// The server's memory limits: a transfer whose ring would take the rings held beyond
// --max-region-total, or one beyond --max-sessions, is told busy (and the client says so).
TEST(XferSim, ServerToldBusyBeyondItsRegionTotal) {
  XferPair x(path_direction(BitsPerSecond{1'000'000'000}, Nanos::from_ms(5), Bytes{1 << 20}),
             {.size = 64ull << 20, .shard = 16ull << 20, .slots = 4},
             workload::XferServerConfig{.max_region = 1ull << 30, .max_region_total = 32ull << 20});
  x.run(Nanos::from_s(5), [&] { return x.client.phase() == workload::XferClient::Phase::kFailed; });
  EXPECT_TRUE(x.client.refused());
  EXPECT_NE(x.client.error().find("busy"), std::string::npos) << x.client.error();
}

TEST(XferSim, ServerToldBusyBeyondItsSessionLimit) {
  const workload::XferClientConfig cfg{.size = 256ull << 20, .shard = 16ull << 20, .slots = 4, .seed = 3};
  XferPair x(path_direction(BitsPerSecond{1'000'000'000}, Nanos::from_ms(5), Bytes{1 << 20}), cfg,
             workload::XferServerConfig{.max_region = 1ull << 30, .max_sessions = 1});
  // A second client on the same side, started at the same time.
  TransportSimEndpoint ep2({.seed = 33, .max_connections = 1, .accept = false, .conn = XferPair::kConn});
  workload::LonghaulEndpoint surface2(ep2.engine(), peer_of(x.server_addr));
  std::vector<uint8_t> source2 = XferPair::prepared(cfg);
  workload::InlineShards shards2(cfg.seed);
  workload::Channel& ch2 = surface2.connect(x.sim.now());
  workload::XferClient client2(surface2, ch2, cfg, source2, shards2);
  const Address addr2 = x.path.add_endpoint(Side::kA, ep2);
  using Phase = workload::XferClient::Phase;
  auto ended = [](const workload::XferClient& c) { return c.phase() == Phase::kDone || c.phase() == Phase::kFailed; };
  x.run(Nanos::from_s(30), [&] {
    if (client2.poll(x.sim.now())) x.path.wake(addr2);
    return ended(x.client) && ended(client2);
  });
  // One got the server's only session and moved its bytes; the other was told busy.
  const bool first_won = x.client.phase() == Phase::kDone;
  const workload::XferClient& winner = first_won ? x.client : client2;
  const workload::XferClient& loser = first_won ? client2 : x.client;
  EXPECT_EQ(winner.phase(), Phase::kDone) << winner.error();
  EXPECT_EQ(loser.phase(), Phase::kFailed);
  EXPECT_TRUE(loser.refused());
  EXPECT_NE(loser.error().find("busy"), std::string::npos) << loser.error();
}

}  // namespace
}  // namespace lh::sim::test
