// emu_options.cpp — CLI11 parsing of lh-emu's application arguments and the EAL defaults.
#include "emulator/dpdk/emu_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace lh::emu {

SplitArgs split_args(int argc, char** argv) {
  SplitArgs out;
  int i = 1;
  for (; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      out.has_separator = true;
      break;
    }
  }
  if (out.has_separator) {
    for (int k = 1; k < i; ++k) out.eal.emplace_back(argv[k]);
    for (int k = i + 1; k < argc; ++k) out.app.emplace_back(argv[k]);
  } else {
    for (int k = 1; k < argc; ++k) out.app.emplace_back(argv[k]);
  }
  return out;
}

namespace {

std::unique_ptr<CLI::App> make_app(EmuOptions& o, std::string& stats_interval, std::string& duration,
                                   std::string& assume_rate, std::string& idle_sleep, std::string& max_live_delay) {
  auto owner = std::make_unique<CLI::App>("lh-emu: a DPDK bump-in-the-wire WAN emulator (ports 0<->1, 2<->3, ...)", "lh-emu");
  CLI::App& app = *owner;
  app.add_option("--profile", o.profile_path, "link profile (TOML, see emulator/PROFILES.md)");
  app.add_option("--builtin", o.builtin, "built-in profile name (e.g. continental-4000km)");
  app.add_option("--stats-interval", stats_interval, "JSON stats line period on stdout, e.g. 1s, 500ms; 0s = summary only");
  app.add_option("--control", o.control, "control API listen address (e.g. 127.0.0.1:8077 or unix:/run/lh-emu.sock)");
  app.add_option("--trace-dir", o.trace_dir,
                 "control API: trace files a profile or patch names load from beneath this directory only "
                 "(relative paths, no symlinks, regular files up to 64 MiB); without it the API loads no file");
  app.add_option("--token-file", o.token_file,
                 "control API: every request needs 'Authorization: Bearer <token>', the token being this file's "
                 "first line (the file must be mode 0600 or stricter)");
  app.add_option("--iface-a", o.iface_a, "kernel interface for port 0 (creates a vdev; with --iface-b)");
  app.add_option("--iface-b", o.iface_b, "kernel interface for port 1");
  app.add_option("--mode", o.vdev_mode, "vdev kind for --iface-a/-b: af_packet or af_xdp");
  app.add_option("--mtu", o.mtu, "largest L3 packet (default 1500; 9000 for jumbo frames)");
  app.add_option("--duration", duration, "stop after this long (e.g. 30s); default: until SIGINT/SIGTERM");
  app.add_option("--seed", o.seed, "RNG seed (overrides the profile's)");
  app.add_option("--assume-rate", assume_rate, "rate used to size buffers when the profile's rate is unlimited (default 10gbit)");
  app.add_option("--max-live-delay", max_live_delay,
                 "size the packet pools to hold at least this much delay + queue at the peak rate, so that live "
                 "changes (control API) may add delay beyond the starting profile's (e.g. 200ms); a change the "
                 "pools cannot hold is refused");
  app.add_flag("!--no-live", o.live_view, "no one-line live view on stderr");
  app.add_flag("--quiet", o.quiet, "no per-interval JSON lines (final summary only)");
  app.add_flag("--realtime", o.realtime, "run the worker lcores SCHED_FIFO (keeps departure error bounded on a shared machine)");
  app.add_flag("--share-lcores", o.share_lcores,
               "run even on cores another lh-emu holds (by default each instance leases its cores: a second one takes "
               "free cores, or refuses naming the holder)");
  app.add_option("--idle-sleep", idle_sleep,
                 "longest sleep of an idle worker between polls (default 50us; frames arriving meanwhile are "
                 "timestamped up to this late); 0 = busy-poll a dedicated core");
  return owner;
}

}  // namespace

std::optional<EmuOptions> parse_app_args(const std::vector<std::string>& args) {
  EmuOptions o;
  std::string stats_interval = "1s", duration = "0s", assume_rate = "10gbit", idle_sleep = "50us", max_live_delay = "0s";
  auto app_owner = make_app(o, stats_interval, duration, assume_rate, idle_sleep, max_live_delay);
  CLI::App& app = *app_owner;
  std::vector<std::string> reversed(args.rbegin(), args.rend());   // CLI11 consumes from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", usage_text());
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    throw std::runtime_error(fmt::format("lh-emu: {} (see lh-emu --help)", e.what()));
  }
  auto parse_dur = [](const char* flag, const std::string& v) {
    try {
      return v == "0" ? Nanos{0} : parse_duration(v);
    } catch (const ParseError& e) {
      throw std::runtime_error(fmt::format("lh-emu: {} '{}': {}", flag, v, e.what()));
    }
  };
  o.stats_interval = parse_dur("--stats-interval", stats_interval);
  o.duration = parse_dur("--duration", duration);
  o.idle_sleep = parse_dur("--idle-sleep", idle_sleep);
  o.max_live_delay = parse_dur("--max-live-delay", max_live_delay);
  if (o.max_live_delay.ns < 0 || o.max_live_delay > Nanos::from_s(60)) {
    throw std::runtime_error(fmt::format("lh-emu: --max-live-delay '{}': expected 0 .. 60s", max_live_delay));
  }
  if (o.idle_sleep.ns < 0 || o.idle_sleep > Nanos::from_ms(10)) {
    throw std::runtime_error(fmt::format("lh-emu: --idle-sleep '{}': expected 0 .. 10ms", idle_sleep));
  }
  try {
    o.assume_rate = parse_rate(assume_rate);
  } catch (const ParseError& e) {
    throw std::runtime_error(fmt::format("lh-emu: --assume-rate '{}': {}", assume_rate, e.what()));
  }
  if (o.profile_path.empty() == o.builtin.empty()) {
    throw std::runtime_error("lh-emu: give exactly one of --profile FILE.toml or --builtin NAME");
  }
  if (o.vdev_mode != "af_packet" && o.vdev_mode != "af_xdp") {
    throw std::runtime_error(fmt::format("lh-emu: --mode '{}': expected af_packet or af_xdp", o.vdev_mode));
  }
  if (o.iface_a.empty() != o.iface_b.empty()) {
    throw std::runtime_error("lh-emu: --iface-a and --iface-b go together");
  }
  if ((!o.trace_dir.empty() || !o.token_file.empty()) && o.control.empty()) {
    throw std::runtime_error("lh-emu: --trace-dir and --token-file apply to the control API (--control)");
  }
  if (o.mtu < 68 || o.mtu > 9600) {
    throw std::runtime_error(fmt::format("lh-emu: --mtu {}: expected 68..9600", o.mtu));
  }
  return o;
}

std::string usage_text() {
  EmuOptions o;
  std::string a, b, c, d, e;
  auto app = make_app(o, a, b, c, d, e);
  return fmt::format(
      "usage: lh-emu [EAL args] -- --profile P.toml | --builtin NAME [options]\n"
      "\n"
      "EAL args (before --) are DPDK's (see dpdk docs: -l, -m, --no-huge, --vdev, -a, --file-prefix).\n"
      "Without any, lh-emu uses: -l 0-N --no-huge -m <sized from the profile> --no-pci\n"
      "  --file-prefix lh-emu-<pid> [--vdev from --iface-a/--iface-b].\n"
      "Ports are paired 0<->1, 2<->3, ...; a_to_b is port 0 -> port 1.\n"
      "\n{}",
      app->help());
}

std::vector<std::string> iface_vdev_args(const EmuOptions& opt) {
  std::vector<std::string> out;
  if (opt.iface_a.empty()) return out;
  const std::string ifs[2] = {opt.iface_a, opt.iface_b};
  for (int i = 0; i < 2; ++i) {
    out.emplace_back("--vdev");
    if (opt.vdev_mode == "af_xdp") {
      out.emplace_back(fmt::format("net_af_xdp{},iface={}", i, ifs[i]));
    } else if (opt.mtu > 1500) {
      // The af_packet ring frames must hold a whole jumbo frame.
      out.emplace_back(fmt::format("net_af_packet{},iface={},framesz={},blocksz={},framecnt=2048,qdisc_bypass=1", i,
                                   ifs[i], kJumboRingFrame, 2 * kJumboRingFrame));
    } else {
      // A deep kernel ring absorbs the moments the worker is not scheduled (shared cores).
      out.emplace_back(fmt::format("net_af_packet{},iface={},framecnt=8192,qdisc_bypass=1", i, ifs[i]));
    }
  }
  return out;
}

unsigned wanted_lcores(unsigned online_cpus) { return std::clamp(online_cpus, 1u, 3u); }

std::string eal_core_choice(const std::vector<std::string>& eal) {
  for (size_t i = 0; i < eal.size(); ++i) {
    const std::string& a = eal[i];
    if (a == "-l" && i + 1 < eal.size()) return eal[i + 1];
    if (a.rfind("-l", 0) == 0 && a.size() > 2 && a[2] != '-') return a.substr(2);
    if (a == "-c" || (a.rfind("-c", 0) == 0 && a.size() > 2 && a[2] != '-')) return "mask";
    if (a == "--lcores" || a.rfind("--lcores=", 0) == 0) return "map";
  }
  return "";
}

std::vector<std::string> default_eal_args(const EmuOptions& opt, uint64_t memory_mib, unsigned online_cpus,
                                          const std::string& core_list) {
  const unsigned lcores = wanted_lcores(online_cpus);
  std::vector<std::string> out = {
      "-l", !core_list.empty() ? core_list : lcores == 1 ? "0" : fmt::format("0-{}", lcores - 1),
      "--no-huge", "-m", std::to_string(memory_mib), "--no-pci",
      "--file-prefix", fmt::format("lh-emu-{}", ::getpid()),
      "--log-level", "lib.eal:warning",
  };
  for (auto& a : iface_vdev_args(opt)) out.push_back(a);
  return out;
}

uint64_t eal_memory_mib(const std::vector<std::string>& eal) {
  for (size_t i = 0; i < eal.size(); ++i) {
    const std::string& a = eal[i];
    std::string v;
    if ((a == "-m" || a == "--socket-mem") && i + 1 < eal.size()) v = eal[i + 1];
    else if (a.rfind("-m", 0) == 0 && a.size() > 2 && a[2] != '-') v = a.substr(2);
    else if (a.rfind("--socket-mem=", 0) == 0) v = a.substr(13);
    if (v.empty()) continue;
    uint64_t total = 0;   // --socket-mem is a comma list per NUMA node
    size_t pos = 0;
    while (pos < v.size()) {
      size_t end = v.find(',', pos);
      if (end == std::string::npos) end = v.size();
      try {
        total += std::stoull(v.substr(pos, end - pos));
      } catch (const std::exception&) {
        return 0;
      }
      pos = end + 1;
    }
    return total;
  }
  return 0;
}

}  // namespace lh::emu
