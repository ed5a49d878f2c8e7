// cpu_budget.hpp — keeps a SCHED_FIFO event loop below the kernel's RT throttling limit.
//
// A realtime loop that never sleeps (a CPU-bound transfer) would use its core's whole RT budget
// (sched_rt_runtime_us = 950000 per 1 s period) and then be frozen for the rest of the period: a
// 50 ms outage every second, the failure lh-emu's idle policy (emulator/dpdk/idle_policy.hpp) avoids
// too. Instead the loop measures its own CPU time once per `window` of wall time and, when it used
// more than `max_share` of the window, pauses just long enough to bring the share back to
// `max_share` (at most one window). Pure logic: the caller passes wall time and its thread's CPU
// time (lh::thread_cpu_ns) and does the sleeping. Times in lh::Nanos.
#pragma once

#include <algorithm>

#include "src/units.hpp"

namespace lh::xport::io {

class CpuBudget {
 public:
  CpuBudget(Nanos window, double max_share) : window_(window), max_share_(max_share) {}

  // Starts the first window.
  void start(Nanos wall, Nanos cpu) {
    start_ = wall;
    cpu_start_ = cpu;
  }
  // True when the current window is over and close_window() should be called.
  [[nodiscard]] bool due(Nanos wall) const { return wall - start_ >= window_; }
  // Closes the window: returns how long to pause (0 when the share was within budget) and starts
  // the next window after that pause.
  Nanos close_window(Nanos wall, Nanos cpu) {
    const double used = static_cast<double>((cpu - cpu_start_).ns);
    const double elapsed = static_cast<double>((wall - start_).ns);
    Nanos pause{0};
    if (used > max_share_ * elapsed) {
      pause = Nanos{static_cast<int64_t>(used / max_share_ - elapsed)};
      pause = std::min(pause, window_);
    }
    start_ = wall + pause;
    cpu_start_ = cpu;
    return pause;
  }

 private:
  Nanos window_;
  double max_share_;
  Nanos start_{0}, cpu_start_{0};
};

}  // namespace lh::xport::io
