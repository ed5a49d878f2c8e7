// emu_options.hpp — lh-emu's command line: the application half (after `--`) and the EAL defaults.
//
// DPDK convention: `lh-emu [EAL args] -- [app args]`; rte_eal_init consumes the first half. With no
// EAL args at all, lh-emu picks defaults that run anywhere (no hugepages, no PCI, memory sized from
// the profile, a per-process --file-prefix so several instances coexist); `--iface-a/--iface-b`
// add af_packet/af_xdp vdevs on two kernel interfaces. Parsing uses CLI11; errors throw
// std::runtime_error with one line naming the flag and what is accepted. No DPDK headers here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/units.hpp"

namespace lh::emu {

// af_packet ring frame size used for jumbo MTUs (--iface-a/-b with --mtu > 1500); the mbuf data
// room must be at least this (the PMD copies a whole ring frame's worth into one mbuf).
inline constexpr uint32_t kJumboRingFrame = 10240;

struct EmuOptions {
  std::string profile_path;        // --profile FILE.toml
  std::string builtin;             // --builtin NAME
  Nanos stats_interval = Nanos::from_s(1);   // --stats-interval (0 = only the final summary)
  std::string control;             // --control ADDR (empty = no control API)
  std::string trace_dir;           // --trace-dir DIR: the API may load trace files beneath DIR (empty = none)
  std::string token_file;          // --token-file FILE (mode 0600): the API's bearer token
  std::string iface_a, iface_b;    // --iface-a / --iface-b: create vdevs on these interfaces
  std::string vdev_mode = "af_packet";       // --mode af_packet|af_xdp (with --iface-a/-b)
  uint32_t mtu = 1500;             // --mtu: largest L3 packet carried (jumbo: 9000)
  Nanos duration{0};               // --duration: stop by itself after this long (0 = until signalled)
  uint64_t seed = 0;               // --seed: overrides the profile's seed when non-zero
  BitsPerSecond assume_rate{10'000'000'000};  // --assume-rate: for sizing buffers when rate is unlimited
  Nanos max_live_delay{0};         // --max-live-delay: pools hold at least this much delay + queue (live changes)
  bool live_view = true;           // --no-live: no one-line view on stderr
  bool quiet = false;              // --quiet: no interval JSON (summary only)
  Nanos idle_sleep = Nanos::from_us(50);  // --idle-sleep: longest worker sleep when idle (0 = busy-poll)
  bool realtime = false;           // --realtime: SCHED_FIFO worker lcores (bounded departure error on shared cores)
  bool share_lcores = false;       // --share-lcores: run on cores another lh-emu holds (see lcore_lease.hpp)
};

// The two halves of argv, split at the first "--". `has_separator` is false when there is no "--"
// (then everything is application arguments).
struct SplitArgs {
  std::vector<std::string> eal;
  std::vector<std::string> app;
  bool has_separator = false;
};
SplitArgs split_args(int argc, char** argv);

// Parses the application half (without the program name). Throws std::runtime_error on bad input;
// returns std::nullopt after printing help when --help was asked.
std::optional<EmuOptions> parse_app_args(const std::vector<std::string>& app);

// The usage text: both halves.
std::string usage_text();

// Default EAL arguments for a machine without hugepages or a DPDK NIC: `-l` with up to three lcores
// (main + one worker per direction), --no-huge, -m `memory_mib`, --no-pci, --file-prefix unique to
// this process, and the vdevs from --iface-a/--iface-b.
// `core_list` (EAL -l, e.g. from an LcoreLease) replaces the default 0..N-1 when not empty.
std::vector<std::string> default_eal_args(const EmuOptions& opt, uint64_t memory_mib, unsigned online_cpus,
                                          const std::string& core_list = {});
// How many lcores lh-emu wants on `online_cpus` CPUs: main + one worker per direction, at most three.
unsigned wanted_lcores(unsigned online_cpus);

// How the EAL args choose cores: the -l / --lcores LIST value, "" when none of -l, -c, --lcores is
// given; "mask" for -c MASK and "map" for --lcores (forms lh-emu does not lease).
std::string eal_core_choice(const std::vector<std::string>& eal);

// The --vdev arguments for --iface-a/--iface-b (empty when not given).
std::vector<std::string> iface_vdev_args(const EmuOptions& opt);

// Value of -m / --socket-mem in user-given EAL args, in MiB (0 when absent).
uint64_t eal_memory_mib(const std::vector<std::string>& eal);

}  // namespace lh::emu
