// realtime_loop.hpp — --realtime (lh-xfer, lh-trace replay): the event loop runs SCHED_FIFO, under a CPU budget.
//
// Priority 5: below lh-emu's worker (10), whose departure times must not wait for an endpoint, and
// above every ordinary task, so a busy host (a compiler, the other endpoint) delays neither pacing
// nor ACKs. The driver's CPU budget (transport/io/cpu_budget.hpp) keeps the loop under 90% of a core
// per 10 ms, so the kernel's RT throttling never freezes it. Helper threads (shard preparation,
// region fault-in) switch themselves back to SCHED_OTHER.
#pragma once

#include <cstdio>
#include <string>

#include "src/realtime.hpp"
#include "transport/io/driver.hpp"

namespace lh::xport::io {

inline constexpr int kLoopPriority = 5;

// Makes the calling thread realtime when asked and returns the driver configuration to go with it.
// Without the privilege it says so on stderr (as `tool`) and carries on as an ordinary thread.
inline DriverConfig driver_config(bool realtime, const char* tool = "lh-xfer") {
  DriverConfig c;
  if (!realtime) return c;
  if (const std::string err = make_thread_realtime(kLoopPriority); !err.empty()) {
    std::fprintf(stderr, "%s: --realtime: %s (continuing without)\n", tool, err.c_str());
    return c;
  }
  c.max_cpu_share = 0.9;
  return c;
}

}  // namespace lh::xport::io
