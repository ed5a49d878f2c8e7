// lab_matrix_test.cpp — lh-lab transport names, sweep parsing and matrix expansion.
#include <gtest/gtest.h>

#include "lab/matrix.hpp"
#include "lab/transport_spec.hpp"
#include "src/profile.hpp"

namespace lh::lab {
namespace {

TEST(LabTransport, ParsesEveryForm) {
  const TransportSpec l = parse_transport("longhaul");
  EXPECT_EQ(l.tool, TransportTool::kLonghaul);
  EXPECT_EQ(l.cc, "bbr");
  EXPECT_EQ(parse_transport("longhaul-fixed:250mbit").cc, "fixed:250mbit");
  const TransportSpec t = parse_transport("tcp-cubic-x8");
  EXPECT_EQ(t.tool, TransportTool::kTcp);
  EXPECT_EQ(t.cc, "cubic");
  EXPECT_EQ(t.streams, 8);
  EXPECT_EQ(parse_transport("tcp-reno").streams, 1);
  EXPECT_EQ(parse_transport("tcp-bbr").cc, "bbr");
}

TEST(LabTransport, RejectsBadNamesWithTheName) {
  for (const char* bad : {"udp", "tcp-vegas", "tcp-cubic-x0", "tcp-cubic-x", "tcp-cubic-x65", "tcp-cubic-x8y",
                          "longhaul-fixed:fast", "longhaul-fixed:0mbit", "longhaul-x2", ""}) {
    try {
      parse_transport(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(LabTransport, OverrideKeepsTheRecordedName) {
  const auto ov = parse_override("longhaul=longhaul-fixed:250mbit");
  const auto ts = resolve_transports({"longhaul", "tcp-cubic"}, {ov});
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].name, "longhaul");
  EXPECT_EQ(ts[0].cc, "fixed:250mbit");
  EXPECT_EQ(ts[1].cc, "cubic");
  EXPECT_THROW(parse_override("longhaul"), std::invalid_argument);
  EXPECT_THROW(parse_override("longhaul=nope"), std::invalid_argument);
  EXPECT_THROW(resolve_transports({"tcp-cubic"}, {ov}), std::invalid_argument);   // override of an unused name
}

TEST(LabSweep, ParsesLossAndDelay) {
  const SweepAxis l = parse_sweep("loss=0,1e-5,0.01%");
  ASSERT_EQ(l.loss.size(), 3u);
  EXPECT_EQ(l.loss[0], 0.0);
  EXPECT_DOUBLE_EQ(l.loss[1], 1e-5);
  EXPECT_DOUBLE_EQ(l.loss[2], 1e-4);
  const SweepAxis d = parse_sweep("delay=5ms,25ms");
  ASSERT_EQ(d.delay.size(), 2u);
  EXPECT_EQ(d.delay[1], Nanos::from_ms(25));
}

TEST(LabSweep, RejectsMalformed) {
  for (const char* bad : {"loss", "jitter=1ms", "loss=", "loss=2", "loss=-1e-3", "loss=abc", "loss=1e-3,,1e-2",
                          "delay=5", "delay=5ms,x"}) {
    EXPECT_THROW(parse_sweep(bad), std::invalid_argument) << bad;
  }
}

TEST(LabMatrix, SweepsMakeACartesianProductOfTheBase) {
  const LinkProfile base = builtin_profile("continental-4000km");
  const auto pts = expand_points({base}, base, {parse_sweep("loss=0,1e-3"), parse_sweep("delay=5ms,25ms,50ms")});
  ASSERT_EQ(pts.size(), 6u);
  EXPECT_EQ(pts[0].label, "continental-4000km loss=0 delay=5ms");
  EXPECT_TRUE(std::holds_alternative<NoLoss>(pts[0].profile.a_to_b.loss));
  const ProfileKeys k = profile_keys(pts[5].profile);
  EXPECT_DOUBLE_EQ(k.loss, 1e-3);
  EXPECT_EQ(k.rtt, Nanos::from_ms(100));   // one way 50 ms, both directions
  EXPECT_EQ(*pts[5].sweep_delay, Nanos::from_ms(50));
  EXPECT_TRUE(std::holds_alternative<BernoulliLoss>(pts[5].profile.b_to_a.loss));
}

TEST(LabMatrix, KeysOfTheShippedProfile) {
  const ProfileKeys k = profile_keys(builtin_profile("continental-4000km"));
  EXPECT_EQ(k.rate.bps, 1'000'000'000u);
  // 4000 km × 4.9 µs + 500 µs one way, + 700 µs back: 39.2 + 1.2 ms.
  EXPECT_EQ(k.rtt, Nanos::from_us(40'400));
  EXPECT_DOUBLE_EQ(k.loss, 1e-5);
  EXPECT_EQ(k.bdp().n, 5'050'000u);
}

TEST(LabMatrix, TomlRoundTripsThroughTheParser) {
  LinkProfile p = builtin_profile("transatlantic-6500km");
  set_bernoulli_loss(p, 1e-3);
  set_one_way_delay(p, Nanos::from_ms(25));
  const LinkProfile back = parse_profile(profile_to_toml(p), "test", ".");
  EXPECT_EQ(profile_keys(back).rtt, Nanos::from_ms(50));
  EXPECT_DOUBLE_EQ(profile_keys(back).loss, 1e-3);
  EXPECT_EQ(back.name, p.name);
  EXPECT_EQ(back.a_to_b.rate.rate, p.a_to_b.rate.rate);
}

TEST(LabMatrix, BuildValidatesEverythingUpFront) {
  MatrixSpec s{.profiles = {"continental-4000km", "transatlantic-6500km"}, .transports = {"longhaul", "tcp-cubic-x8"},
               .size = "16MiB", .repeat = 2};
  const Matrix m = build_matrix(s, {});
  EXPECT_EQ(m.run_count(), 8u);
  EXPECT_EQ(m.size.n, 16u << 20);
  auto expect_error = [&](MatrixSpec bad, const char* needle) {
    try {
      build_matrix(bad, {});
      ADD_FAILURE() << "accepted, expected error containing " << needle;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  MatrixSpec b = s;
  b.profiles = {"atlantis-1km"};
  expect_error(b, "unknown profile 'atlantis-1km'");
  b = s;
  b.transports = {"longhaul", "quic"};
  expect_error(b, "transport 'quic'");
  b = s;
  b.sweeps = {"loss=1e-3"};
  expect_error(b, "--base-profile");
  b.base_profile = "metro-80km";
  EXPECT_EQ(build_matrix(b, {}).points.at(0).label, "metro-80km loss=0.001");
  b = s;
  b.size = "16";
  expect_error(b, "--size '16'");
  b = s;
  b.repeat = 0;
  expect_error(b, "--repeat 0");
}

TEST(LabMatrix, SpecRoundTripsThroughJson) {
  MatrixSpec s{.profiles = {"metro-80km"}, .transports = {"tcp-bbr"}, .sweeps = {"loss=0,1e-3"}, .size = "1GiB", .repeat = 5};
  const MatrixSpec back = matrix_from_json(to_json(s));
  EXPECT_EQ(back.profiles, s.profiles);
  EXPECT_EQ(back.sweeps, s.sweeps);
  EXPECT_EQ(back.size, "1GiB");
  EXPECT_EQ(back.repeat, 5);
  EXPECT_THROW(matrix_from_json(nlohmann::json{{"profiles", 3}}), std::invalid_argument);
}

}  // namespace
}  // namespace lh::lab
