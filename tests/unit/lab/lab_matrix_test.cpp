// lab_matrix_test.cpp — lh-lab transport names, sweep parsing and matrix expansion.
#include <gtest/gtest.h>

#include "lab/matrix.hpp"
#include "src/profile.hpp"

namespace lh::lab {
namespace {

// The lab takes transport names in the one grammar (workload/common/transport_spec.hpp, tested
// there in full); here: the lab's own side of it — names kept as written, overrides.
TEST(LabTransport, ParsesEveryForm) {
  const auto ts = resolve_transports({"longhaul", "longhaul-fixed:250mbit", "tcp-cubic-x8", "tcp-reno", "tcp-bbr"}, {});
  ASSERT_EQ(ts.size(), 5u);
  EXPECT_FALSE(ts[0].spec.tcp());
  EXPECT_EQ(ts[0].spec.cc, xport::CcKind::kBbr);
  EXPECT_EQ(ts[1].spec.cc, xport::CcKind::kFixed);
  EXPECT_EQ(ts[1].spec.fixed_rate.bps, 250'000'000u);
  EXPECT_TRUE(ts[2].spec.tcp());
  EXPECT_EQ(ts[2].spec.tcp_cc, "cubic");
  EXPECT_EQ(ts[2].spec.streams, 8u);
  EXPECT_EQ(ts[3].spec.streams, 1u);
  EXPECT_EQ(ts[4].spec.tcp_cc, "bbr");
  for (const auto& t : ts) EXPECT_EQ(t.name, t.spec.name());
}

TEST(LabTransport, RejectsBadNamesWithTheName) {
  for (const char* bad : {"udp", "tcp-vegas", "tcp-cubic-x0", "tcp-cubic-x", "tcp-cubic-x65", "tcp-cubic-x8y",
                          "longhaul-fixed:fast", "longhaul-fixed:0mbit", "longhaul-x2", ""}) {
    try {
      resolve_transports({bad}, {});
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(LabTransport, OverrideKeepsTheRecordedName) {
  const auto ov = parse_override("longhaul=longhaul-fixed:250mbit");
  const auto ts = resolve_transports({"longhaul", "tcp-cubic"}, {ov});
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].name, "longhaul");
  EXPECT_EQ(ts[0].spec.name(), "longhaul-fixed:250mbit");
  EXPECT_EQ(ts[1].spec.tcp_cc, "cubic");
  EXPECT_THROW(parse_override("longhaul"), std::invalid_argument);
  EXPECT_THROW(parse_override("longhaul=nope"), ParseError);
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

TEST(LabSweep, ParsesGilbertElliottLoss) {
  const SweepAxis g = parse_sweep("ge-loss=0,1e-3,1%");
  EXPECT_EQ(g.kind, SweepAxis::Kind::kGeLoss);
  ASSERT_EQ(g.loss.size(), 3u);
  EXPECT_DOUBLE_EQ(g.loss[2], 1e-2);
  for (const char* bad : {"ge-loss=", "ge-loss=2", "ge-loss=-1e-3", "ge-loss=1e-2,", "ge-loss=x", "geloss=1e-3"}) {
    try {
      parse_sweep(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
  try {
    parse_sweep("burst=4");
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected loss, ge-loss or delay"), std::string::npos) << e.what();
  }
}

TEST(LabSweep, GeBurstIsANumberOfPacketsFromOne) {
  EXPECT_DOUBLE_EQ(parse_ge_burst("4"), 4);
  EXPECT_DOUBLE_EQ(parse_ge_burst("2.5"), 2.5);
  for (const char* bad : {"", "0", "0.5", "-4", "4pkts", "inf", "nan", "1e7"}) {
    try {
      parse_ge_burst(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("--ge-burst '") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(LabMatrix, GilbertElliottPointHasTheRequestedMeanLossAndBurst) {
  const LinkProfile base = builtin_profile("wan-500mbit-50ms");
  const auto pts = expand_points({base}, base, {parse_sweep("ge-loss=1e-2")}, 4);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].label, "wan-500mbit-50ms ge-loss=0.01 burst=4");
  EXPECT_EQ(pts[0].sweep_loss_model, "gilbert-elliott");
  EXPECT_DOUBLE_EQ(*pts[0].sweep_loss, 1e-2);
  for (const DirectionConfig* d : {&pts[0].profile.a_to_b, &pts[0].profile.b_to_a}) {
    const auto* ge = std::get_if<GilbertElliottLoss>(&d->loss);
    ASSERT_NE(ge, nullptr);
    EXPECT_DOUBLE_EQ(ge->r.value(), 0.25);                  // mean burst 1/r = 4 packets
    EXPECT_NEAR(ge->p.value(), 0.01 * 0.25 / 0.99, 1e-15);  // stationary p/(p+r) = 1e-2
    EXPECT_DOUBLE_EQ(ge->loss_bad.value(), 1.0);
    EXPECT_DOUBLE_EQ(ge->loss_good.value(), 0.0);
  }
  const ProfileKeys k = profile_keys(pts[0].profile);
  EXPECT_EQ(k.loss_model, "gilbert-elliott");
  EXPECT_NEAR(k.loss, 1e-2, 1e-12);
  EXPECT_DOUBLE_EQ(k.ge_burst, 4);
  // lh-emu must accept it: the TOML round trip keeps the model.
  const LinkProfile back = parse_profile(profile_to_toml(pts[0].profile), "pt", ".");
  EXPECT_TRUE(std::holds_alternative<GilbertElliottLoss>(back.a_to_b.loss));
  // ge-loss=0 is no loss at all.
  const auto zero = expand_points({base}, base, {parse_sweep("ge-loss=0")}, 4);
  EXPECT_TRUE(std::holds_alternative<NoLoss>(zero[0].profile.a_to_b.loss));
}

TEST(LabMatrix, LossAndGeLossJoinIntoOneAxisThatMultipliesDelay) {
  const LinkProfile base = builtin_profile("wan-500mbit-50ms");
  const auto pts = expand_points({base}, base, {parse_sweep("loss=0,1e-3"), parse_sweep("delay=5ms,25ms"),
                                                parse_sweep("ge-loss=1e-2")}, 8);
  ASSERT_EQ(pts.size(), 6u);   // (2 Bernoulli + 1 GE) × 2 delays, not 2 × 2 × 1 products of models
  EXPECT_EQ(pts[0].label, "wan-500mbit-50ms loss=0 delay=5ms");
  EXPECT_EQ(pts[4].label, "wan-500mbit-50ms ge-loss=0.01 burst=8 delay=5ms");
  EXPECT_EQ(pts[4].sweep_loss_model, "gilbert-elliott");
  EXPECT_EQ(pts[2].sweep_loss_model, "bernoulli");
  EXPECT_DOUBLE_EQ(std::get<GilbertElliottLoss>(pts[5].profile.a_to_b.loss).r.value(), 0.125);
}

TEST(LabMatrix, UnreachableGeMeanIsAClearError) {
  MatrixSpec spec{.profiles = {"wan-500mbit-50ms"}, .transports = {"longhaul"}, .sweeps = {"ge-loss=0.9"}};
  try {
    build_matrix(spec, {});
    ADD_FAILURE() << "accepted a mean loss of 0.9 with bursts of 4";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--sweep ge-loss=0.9 with --ge-burst 4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("above 0.8"), std::string::npos) << e.what();
  }
  spec.sweeps = {"ge-loss=1"};
  EXPECT_THROW(build_matrix(spec, {}), std::invalid_argument);
  spec.sweeps = {"ge-loss=0.9"};
  spec.ge_burst = "20";   // 0.9 ≤ 20/21: reachable with longer bursts
  EXPECT_EQ(build_matrix(spec, {}).points.size(), 1u);
  spec.ge_burst = "zero";
  try {
    build_matrix(spec, {});
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--ge-burst 'zero'"), std::string::npos) << e.what();
  }
  spec.ge_burst = "2";
  EXPECT_EQ(matrix_from_json(to_json(spec)).ge_burst, "2");   // recorded in baselines
}

TEST(LabMatrix, TheBenchmarkPathIsBuiltIn) {
  const ProfileKeys k = profile_keys(resolve_profile("wan-500mbit-50ms"));
  EXPECT_EQ(k.rate.bps, 500'000'000u);
  EXPECT_EQ(k.rtt, Nanos::from_ms(50));
  EXPECT_EQ(k.loss_model, "none");
  EXPECT_EQ(k.bdp().n, 3'125'000u);
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
