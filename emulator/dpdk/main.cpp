// main.cpp — lh-emu: a DPDK bump-in-the-wire WAN emulator applying a link profile to port pairs.
//
// `lh-emu [EAL args] -- --profile P.toml | --builtin NAME [...]`. Loads and validates the profile,
// sizes the mempools from its bandwidth-delay product (refusing to start, with the amount needed,
// when the memory given cannot hold it), initialises EAL (with self-sufficient defaults when no EAL
// args are given), runs until SIGINT/SIGTERM/SIGHUP or --duration, and prints a JSON summary. Its
// cores are leased (lcore_lease.hpp) so a second instance takes other cores or refuses; its DPDK
// runtime folder (/var/run/dpdk/<file-prefix>, lh-emu-<pid> by default) is removed at exit, and the
// lh-emu-<pid> folders of instances that died are removed at start. Exit codes: 0 clean, 1 setup error (one line on stderr), 3 mbufs leaked at exit.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "emulator/dpdk/control_link.hpp"
#include "emulator/dpdk/emulator.hpp"
#include "emulator/dpdk/lcore_lease.hpp"
#include "src/profile.hpp"

namespace {

void on_signal(int) { lh::emu::g_stop.store(true); }

// MemAvailable from /proc/meminfo, in MiB (0 if unknown).
uint64_t mem_available_mib() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (f >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib / 1024;
  }
  return 0;
}

// DPDK's runtime folders of lh-emu instances that are gone (killed: no chance to remove their own).
void remove_stale_runtime_dirs() {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/var/run/dpdk", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("lh-emu-", 0) != 0) continue;
    int pid = 0;
    if (std::sscanf(name.c_str() + 7, "%d", &pid) != 1 || pid <= 0 || std::to_string(pid) != name.substr(7)) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;   // alive (or not ours to judge)
    fs::remove_all(e.path(), ec);
  }
}

// Removes this process's runtime folder after rte_eal_cleanup: lh-emu ran as DPDK's primary process
// for its --file-prefix (EAL refuses a second primary), so no one else uses the folder.
void remove_own_runtime_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

lh::LinkProfile load(const lh::emu::EmuOptions& o) {
  try {
    return o.builtin.empty() ? lh::load_profile(o.profile_path) : lh::builtin_profile(o.builtin);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("lh-emu: profile: {}", e.what()));
  }
}

int run(int argc, char** argv) {
  using namespace lh::emu;
  SplitArgs args = split_args(argc, argv);
  for (const auto& a : args.eal) {
    if (a == "-h" || a == "--help") args.app.push_back("--help");
  }
  auto parsed = parse_app_args(args.app);
  if (!parsed) return 0;
  EmuOptions opt = *parsed;
  Emulator emu(opt, load(opt));

  const uint64_t need_mib = (emu.needed_bytes(1) >> 20) + kEalOverheadMib;
  const std::string why = fmt::format("({}; {})", describe(emu.sizing(true), "a_to_b"), describe(emu.sizing(false), "b_to_a"));
  std::vector<std::string> eal = args.eal;
  // Cores: leased, so that two instances side by side never busy-poll the same one.
  LcoreLease lease;
  const std::string choice = eal_core_choice(eal);
  const std::vector<unsigned> cpus = usable_cpus();
  if (choice.empty() && !opt.share_lcores) {
    lease = LcoreLease::free_ones(cpus, wanted_lcores(static_cast<unsigned>(cpus.size())));
  } else if (choice != "mask" && choice != "map" && !choice.empty() && !opt.share_lcores) {
    const auto list = parse_core_list(choice);
    if (!list) throw std::runtime_error(fmt::format("lh-emu: EAL -l '{}': not a core list (e.g. 0-2 or 1,3)", choice));
    lease = LcoreLease::exactly(*list);
  }
  remove_stale_runtime_dirs();
  if (eal.empty()) {
    eal = default_eal_args(opt, need_mib, std::thread::hardware_concurrency(), lease.eal_list());
  } else {
    if (choice.empty() && !lease.cpus().empty()) eal.insert(eal.begin(), {"-l", lease.eal_list()});
    // Every DPDK process needs its own runtime folder; ours is removed at exit.
    bool prefix = false;
    for (const auto& a : eal) prefix |= a == "--file-prefix" || a.rfind("--file-prefix=", 0) == 0;
    if (!prefix) eal.insert(eal.end(), {"--file-prefix", fmt::format("lh-emu-{}", ::getpid())});
    for (auto& v : iface_vdev_args(opt)) eal.push_back(v);
    const uint64_t given = eal_memory_mib(eal);
    if (given != 0 && given < need_mib) {
      throw std::runtime_error(fmt::format(
          "lh-emu: the profile's bandwidth-delay product needs {} MiB of memory but -m gives {} MiB; raise -m to {} {}",
          need_mib, given, need_mib, why));
    }
  }
  if (const uint64_t avail = mem_available_mib(); avail != 0 && need_mib > avail) {
    throw std::runtime_error(fmt::format(
        "lh-emu: the profile's bandwidth-delay product needs {} MiB of memory but only {} MiB are available {}",
        need_mib, avail, why));
  }

  std::vector<std::string> eal_argv_store = {"lh-emu"};
  eal_argv_store.insert(eal_argv_store.end(), eal.begin(), eal.end());
  std::vector<char*> eal_argv;
  for (auto& s : eal_argv_store) eal_argv.push_back(s.data());
  eal_argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(eal_argv_store.size()), eal_argv.data()) < 0) {
    throw std::runtime_error(fmt::format("lh-emu: rte_eal_init failed: {} (EAL args: {})", rte_strerror(rte_errno),
                                         fmt::join(eal, " ")));
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);   // a closed terminal: the same clean stop (summary, mbuf check)
  const std::string runtime_dir = rte_eal_get_runtime_dir();

  int rc = 0;
  try {
    emu.start();
    ControlLink control(emu, opt.control, opt.trace_dir, opt.token_file);
    fmt::print(stderr, "lh-emu: running profile '{}' {}{}{}\n", emu.profile().name, why,
               opt.control.empty() ? "" : fmt::format(", control on {}", control.address()),
               lease.cpus().empty() ? "" : fmt::format(", lcores {}", lease.eal_list()));
    emu.run_until_stopped();
    control.stop();
    rc = emu.finish() ? 0 : 3;
  } catch (...) {
    emu.abort();
    rte_eal_cleanup();
    remove_own_runtime_dir(runtime_dir);
    throw;
  }
  rte_eal_cleanup();
  remove_own_runtime_dir(runtime_dir);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    std::fprintf(stderr, "%s%s\n", msg.rfind("lh-emu", 0) == 0 ? "" : "lh-emu: ", msg.c_str());
    return 1;
  }
}
