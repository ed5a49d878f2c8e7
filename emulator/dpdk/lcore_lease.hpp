// lcore_lease.hpp — which CPUs an lh-emu instance may run its lcores on, so that two instances
// started side by side never busy-poll (SCHED_FIFO) the same core.
//
// Each CPU n is leased by holding an exclusive flock on <dir>/lcore-<n>.lock (the holder's pid
// written inside) for the process's lifetime; the kernel releases it however the process ends. Without
// an explicit EAL core list, lh-emu leases up to `want` free CPUs (and runs with -l on them); with
// one (-l LIST), it leases exactly those, and refuses to start when another instance holds one,
// naming it. No DPDK here (unit-tested on a temporary directory).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lh::emu {

inline constexpr const char* kDefaultLeaseDir = "/run/lh-emu";

class LcoreLease {
 public:
  LcoreLease() = default;
  ~LcoreLease();
  LcoreLease(LcoreLease&& other) noexcept;
  LcoreLease& operator=(LcoreLease&& other) noexcept;
  LcoreLease(const LcoreLease&) = delete;
  LcoreLease& operator=(const LcoreLease&) = delete;

  // Up to `want` of `cpus` that no other instance holds, lowest first. Throws std::runtime_error
  // naming the holders when none is free.
  static LcoreLease free_ones(const std::vector<unsigned>& cpus, unsigned want,
                              const std::filesystem::path& dir = kDefaultLeaseDir);
  // Exactly `cpus`; throws std::runtime_error naming the first one another instance holds.
  static LcoreLease exactly(const std::vector<unsigned>& cpus, const std::filesystem::path& dir = kDefaultLeaseDir);

  const std::vector<unsigned>& cpus() const { return cpus_; }
  // "0-2" / "1" / "0,2" for EAL's -l.
  std::string eal_list() const;

 private:
  // Locks one CPU; -1 when another process holds it (its pid in `holder`).
  static int try_lock(const std::filesystem::path& dir, unsigned cpu, std::string& holder);
  std::vector<unsigned> cpus_;
  std::vector<int> fds_;
};

// The CPUs of an EAL core list ("0-2,4"); nullopt when malformed.
std::optional<std::vector<unsigned>> parse_core_list(std::string_view list);
// The CPUs online (sched_getaffinity of this process).
std::vector<unsigned> usable_cpus();

}  // namespace lh::emu
