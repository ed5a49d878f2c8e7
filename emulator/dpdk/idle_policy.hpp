// idle_policy.hpp — when lh-emu's worker may sleep instead of spinning, and for how long.
//
// A worker that busy-polls owns its core. On a shared machine (here: two cores for the emulator, both
// transport endpoints and the kernel's network stack) that takes CPU from the traffic being measured,
// and as SCHED_FIFO it runs into the kernel's RT throttling: with sched_rt_runtime_us = 950000 the
// worker is frozen for 50 ms of every second, which every transport sees as a 50 ms outage per second.
// The policy: after a poll that received nothing, sleep until `wake_margin` before the next departure,
// at most `max_sleep` (frames arriving meanwhile wait in the port's RX ring, so their timestamps are late
// by at most `max_sleep`); after `max_busy` without a sleep, yield `max_sleep` once, so the worker never
// runs a whole RT period. A flow's frames come in trains with short gaps: within `spin_after_rx` of the
// last received frame the worker keeps polling (an af_xdp RX ring is small and its kernel side drops
// when it is not drained). All times in TSC ticks; pure logic, no DPDK. max_sleep = 0: never sleep.
#pragma once

#include <algorithm>
#include <cstdint>

namespace lh::emu {

struct IdlePolicyConfig {
  uint64_t max_sleep = 0;     // longest sleep; 0 disables sleeping (classic busy polling)
  uint64_t wake_margin = 0;   // wake this long before a due departure (covers the wake-up latency)
  uint64_t min_sleep = 0;     // shorter sleeps are not worth a syscall: spin instead
  uint64_t max_busy = 0;      // continuous polling after which one max_sleep yield is forced (0 = never)
  uint64_t spin_after_rx = 0; // keep polling this long after the last poll that received something
};

class IdlePolicy {
 public:
  IdlePolicy() = default;
  explicit IdlePolicy(IdlePolicyConfig config) : config_(config) {}

  // Called after each poll of all the worker's directions. `received`: any frame arrived;
  // `next_departure`: earliest queued departure (UINT64_MAX when nothing is queued). Returns the ticks
  // to sleep now (0 = poll again at once). The caller sleeps, then polls with a fresh timestamp.
  uint64_t after_poll(uint64_t now, bool received, uint64_t next_departure) noexcept {
    if (config_.max_sleep == 0) return 0;
    if (!started_ || busy_since_ > now) busy_since_ = now;
    started_ = true;
    if (config_.max_busy != 0 && now - busy_since_ >= config_.max_busy) {
      ++forced_yields_;
      return slept(now, config_.max_sleep);
    }
    if (received) {
      last_rx_ = now;
      return 0;
    }
    if (now - last_rx_ < config_.spin_after_rx) return 0;
    const uint64_t until_due = next_departure > now ? next_departure - now : 0;
    if (until_due <= config_.wake_margin) return 0;
    const uint64_t sleep = std::min(config_.max_sleep, until_due - config_.wake_margin);
    if (sleep < config_.min_sleep) return 0;
    ++idle_sleeps_;
    return slept(now, sleep);
  }

  uint64_t idle_sleeps() const noexcept { return idle_sleeps_; }
  uint64_t forced_yields() const noexcept { return forced_yields_; }
  const IdlePolicyConfig& config() const noexcept { return config_; }

 private:
  uint64_t slept(uint64_t now, uint64_t ticks) noexcept {
    busy_since_ = now + ticks;
    return ticks;
  }

  IdlePolicyConfig config_{};
  bool started_ = false;
  uint64_t busy_since_ = 0;   // start of the current stretch of polling without a sleep
  uint64_t last_rx_ = 0;      // the last poll that received something
  uint64_t idle_sleeps_ = 0;
  uint64_t forced_yields_ = 0;
};

}  // namespace lh::emu
