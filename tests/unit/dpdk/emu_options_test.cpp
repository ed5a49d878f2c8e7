// emu_options_test.cpp — lh-emu's command line: the EAL/application split at "--", application
// flags (durations, rates, --mode, --iface pairs, --mtu range) with errors that name the flag, the
// default EAL arguments and the vdevs made from --iface-a/--iface-b. No EAL is started.
#include "emulator/dpdk/emu_options.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace lh::emu {
namespace {

SplitArgs split(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return split_args(static_cast<int>(argv.size()), argv.data());
}

std::string error_of(const std::vector<std::string>& app) {
  try {
    parse_app_args(app);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(EmuOptions, SplitsAtFirstSeparator) {
  const SplitArgs s = split({"lh-emu", "-l", "0-1", "--no-huge", "--", "--profile", "p.toml", "--", "x"});
  EXPECT_TRUE(s.has_separator);
  EXPECT_EQ(s.eal, (std::vector<std::string>{"-l", "0-1", "--no-huge"}));
  EXPECT_EQ(s.app, (std::vector<std::string>{"--profile", "p.toml", "--", "x"}));
  const SplitArgs none = split({"lh-emu", "--builtin", "lan"});
  EXPECT_FALSE(none.has_separator);
  EXPECT_TRUE(none.eal.empty());
  EXPECT_EQ(none.app, (std::vector<std::string>{"--builtin", "lan"}));
}

TEST(EmuOptions, ParsesApplicationFlags) {
  const auto o = parse_app_args({"--profile", "p.toml", "--stats-interval", "250ms", "--duration", "3s",
                                 "--iface-a", "x-ea", "--iface-b", "x-eb", "--mode", "af_xdp", "--mtu", "9000",
                                 "--assume-rate", "1gbit", "--seed", "7", "--no-live", "--realtime", "--idle-sleep", "20us"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->profile_path, "p.toml");
  EXPECT_EQ(o->stats_interval.ns, Nanos::from_ms(250).ns);
  EXPECT_EQ(o->duration.ns, Nanos::from_s(3).ns);
  EXPECT_EQ(o->vdev_mode, "af_xdp");
  EXPECT_EQ(o->mtu, 9000u);
  EXPECT_EQ(o->assume_rate.bps, 1'000'000'000u);
  EXPECT_EQ(o->seed, 7u);
  EXPECT_FALSE(o->live_view);
  EXPECT_TRUE(o->realtime);
  EXPECT_EQ(o->idle_sleep.ns, Nanos::from_us(20).ns);
  const auto busy = parse_app_args({"--profile", "p.toml", "--idle-sleep", "0"});
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->idle_sleep.ns, 0);
  EXPECT_EQ(parse_app_args({"--profile", "p.toml"})->idle_sleep.ns, Nanos::from_us(50).ns);
}

TEST(EmuOptions, BadFlagsAreErrorsNamingTheFlag) {
  EXPECT_NE(error_of({}).find("--profile"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--builtin", "lan"}).find("exactly one"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--mode", "dpdk"}).find("--mode"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--iface-a", "x"}).find("--iface-b"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--mtu", "20"}).find("--mtu"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--duration", "3 fortnights"}).find("--duration"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--assume-rate", "fast"}).find("--assume-rate"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--idle-sleep", "1s"}).find("--idle-sleep"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--idle-sleep", "-5us"}).find("--idle-sleep"), std::string::npos);
  EXPECT_NE(error_of({"--profile", "p", "--no-such-flag"}).find("no-such-flag"), std::string::npos);
}

TEST(EmuOptions, DefaultEalArgsAndVdevs) {
  EmuOptions o;
  o.iface_a = "t-ea";
  o.iface_b = "t-eb";
  const auto eal = default_eal_args(o, 512, 8);
  auto at = [&](const std::string& flag) {
    for (size_t i = 0; i + 1 < eal.size(); ++i) if (eal[i] == flag) return eal[i + 1];
    return std::string("<missing>");
  };
  EXPECT_EQ(at("-l"), "0-2");   // main + one worker per direction, capped at three
  EXPECT_EQ(at("-m"), "512");
  EXPECT_EQ(eal_memory_mib(eal), 512u);
  EXPECT_EQ(at("--vdev").rfind("net_af_packet0,iface=t-ea", 0), 0u);
  EXPECT_EQ(default_eal_args(o, 64, 1)[1], "0");
  o.vdev_mode = "af_xdp";
  const auto v = iface_vdev_args(o);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[1], "net_af_xdp0,iface=t-ea");
  EXPECT_EQ(v[3], "net_af_xdp1,iface=t-eb");
  EXPECT_EQ(eal_memory_mib({"--socket-mem=100,28"}), 128u);
  EXPECT_EQ(eal_memory_mib({"-m256"}), 256u);
  EXPECT_EQ(eal_memory_mib({"--no-huge"}), 0u);
  // A lease's core list replaces the default.
  EXPECT_EQ(default_eal_args(o, 64, 8, "3")[1], "3");
}

TEST(EmuOptions, HowTheEalArgsChooseCores) {
  EXPECT_EQ(eal_core_choice({"--no-huge", "-m", "512"}), "");
  EXPECT_EQ(eal_core_choice({"-l", "0-2", "--no-pci"}), "0-2");
  EXPECT_EQ(eal_core_choice({"-l1,3"}), "1,3");
  EXPECT_EQ(eal_core_choice({"-c", "0x3"}), "mask");
  EXPECT_EQ(eal_core_choice({"--lcores=0@1"}), "map");
  EXPECT_EQ(wanted_lcores(2), 2u);
  EXPECT_EQ(wanted_lcores(64), 3u);
}

}  // namespace
}  // namespace lh::emu
