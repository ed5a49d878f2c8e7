// linksim_cli_test.cpp — lh-linksim end to end: a shipped profile through the real binary, its JSON
// report checked against the profile; bad flags give one line on stderr and a non-zero exit; the
// --traffic grammar. The binary and profile folder come from the environment (set by meson).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "emulator/linksim/traffic_spec.hpp"

namespace lh::sim {
namespace {

struct Result {
  int exit_code = -1;
  std::string out;
};

// Runs lh-linksim with `args`; stdout captured, stderr folded in when `merge_stderr`.
Result run(const std::string& args, bool merge_stderr = false) {
  const char* exe = std::getenv("LH_LINKSIM");
  if (exe == nullptr) ADD_FAILURE() << "LH_LINKSIM is not set";
  const std::string cmd = std::string(exe ? exe : "lh-linksim") + " " + args + (merge_stderr ? " 2>&1" : "");
  Result r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string profile(const std::string& name) {
  const char* dir = std::getenv("LH_PROFILES_DIR");
  return std::string(dir ? dir : "traces/profiles") + "/" + name + ".toml";
}

TEST(LinksimCli, ContinentalProfileJsonReportsWhatTheProfileSays) {
  // continental-4000km: 1 Gbit/s, 4000 km × 4.9 µs + 500 µs (a_to_b) / 700 µs (b_to_a), 0.001% loss,
  // 50 µs order-preserving jitter. 400 Mbit/s of 1500 B for 2 s: 66 667 packets per direction.
  const Result r = run("--profile " + profile("continental-4000km") +
                       " --traffic cbr:400mbit:size=1500B --duration 2s --direction both --seed 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["profile"], "continental-4000km");
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["duration_ns"], 2'000'000'000);
  EXPECT_EQ(j["traffic"]["rate_bps"], 400'000'000);
  EXPECT_EQ(j["traffic"]["packet_bytes"], 1500);
  EXPECT_TRUE(j["drained"].get<bool>());
  for (const char* dir : {"a_to_b", "b_to_a"}) {
    SCOPED_TRACE(dir);
    const nlohmann::json& d = j["directions"][dir];
    EXPECT_EQ(d["packets_sent"], 66'667);
    EXPECT_EQ(d["link_rate_bps"], 1'000'000'000);
    const int64_t base = std::string(dir) == "a_to_b" ? 19'600'000 + 500'000 : 19'600'000 + 700'000;
    EXPECT_EQ(d["base_delay_ns"], base);
    EXPECT_EQ(d["packets_delivered"].get<uint64_t>() + d["packets_dropped"].get<uint64_t>(), 66'667u);
    EXPECT_EQ(d["packets_dropped"], d["dropped"]["loss"]);
    EXPECT_LT(d["packets_dropped"].get<uint64_t>(), 10u);   // p = 1e-5: expected 0.67
    // Delay: base + serialization (12.192 µs) ± jitter (50 µs σ, clipped: a few σ at most).
    const nlohmann::json& delay = d["one_way_delay_ns"];
    for (const char* key : {"p50", "p90", "p99", "p999", "max"}) {
      ASSERT_TRUE(delay.contains(key)) << key;
    }
    EXPECT_NEAR(delay["p50"].get<double>(), base + 12'192, 60'000);
    EXPECT_LE(delay["p50"].get<int64_t>(), delay["p99"].get<int64_t>());
    EXPECT_LE(delay["p99"].get<int64_t>(), delay["max"].get<int64_t>());
    EXPECT_NEAR(d["delivered_rate_bps"].get<double>(), 400e6, 400e6 * 0.01);
    EXPECT_EQ(d["reordered"], 0);   // order-preserving jitter
    EXPECT_TRUE(d["loss_bursts"].contains("count"));
    EXPECT_TRUE(d["loss_bursts"].contains("max"));
  }
}

TEST(LinksimCli, TableByDefaultNamesDirectionsAndDelay) {
  const Result r = run("--profile " + profile("metro-80km") + " --traffic cbr:100mbit --duration 200ms");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("a_to_b"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("b_to_a"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("one-way delay ms"), std::string::npos) << r.out;
}

TEST(LinksimCli, BadFlagsGiveOneLineAndNonZeroExit) {
  const std::string metro = "--profile " + profile("metro-80km");
  const std::vector<std::string> cases = {
      "--traffic cbr:1gbit --duration 1s",                         // no profile
      "--builtin no-such-profile --traffic cbr:1gbit --duration 1s",
      metro + " --traffic cbr:10gbps --duration 1s",                // refused unit
      metro + " --traffic cbr:1gbit --duration 10",                 // bare number
      metro + " --traffic cbr:1gbit --direction up",
      metro + " --traffic cbr:1gbit --bogus",
      metro,                                                        // no traffic
      "--profile /nonexistent.toml --traffic cbr:1gbit",
  };
  for (const std::string& args : cases) {
    SCOPED_TRACE(args);
    const Result r = run(args, true);
    EXPECT_NE(r.exit_code, 0) << r.out;
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;   // exactly one line
    EXPECT_EQ(r.out.rfind("lh-linksim: ", 0), 0u) << r.out;
  }
}

TEST(TrafficSpec, ParsesRateSizeAndOnOff) {
  const TrafficSpec a = parse_traffic_spec("cbr:500mbit");
  EXPECT_EQ(a.rate.bps, 500'000'000u);
  EXPECT_EQ(a.packet_size.n, 1500u);
  EXPECT_EQ(a.on.ns, 0);
  const TrafficSpec b = parse_traffic_spec("cbr:2gbit:size=9000B:on=10ms:off=90ms");
  EXPECT_EQ(b.rate.bps, 2'000'000'000u);
  EXPECT_EQ(b.packet_size.n, 9000u);
  EXPECT_EQ(b.on, Nanos::from_ms(10));
  EXPECT_EQ(b.off, Nanos::from_ms(90));
}

TEST(TrafficSpec, RejectsMalformedSpecsNamingThePart) {
  auto message = [](const char* text) -> std::string {
    try {
      parse_traffic_spec(text);
    } catch (const ParseError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("poisson:1gbit").find("unknown traffic kind 'poisson'"), std::string::npos);
  EXPECT_NE(message("cbr").find("missing rate"), std::string::npos);
  EXPECT_NE(message("cbr:1gbps").find("rate:"), std::string::npos);
  EXPECT_NE(message("cbr:1gbit:size=1500").find("size:"), std::string::npos);
  EXPECT_NE(message("cbr:1gbit:mtu=1500B").find("unknown option 'mtu'"), std::string::npos);
  EXPECT_NE(message("cbr:1gbit:on=1ms").find("together"), std::string::npos);
  EXPECT_NE(message("cbr:1gbit:size=1B:size=2B").find("twice"), std::string::npos);
  EXPECT_NE(message("cbr:1gbit:size=100000B").find("65536"), std::string::npos);
  EXPECT_NE(message("cbr:0bit").find("> 0"), std::string::npos);
}

}  // namespace
}  // namespace lh::sim
