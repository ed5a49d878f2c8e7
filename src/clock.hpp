// clock.hpp — the clocks drivers read: TSC (calibrated against CLOCK_MONOTONIC), monotonic, manual.
//
// Algorithms never read a clock; drivers read one of these and pass `now` (lh::Nanos) down. This is
// the one place where TSC ticks become nanoseconds: a fixed-point multiplier (ns per tick × 2^52)
// found at start-up by timing the TSC against CLOCK_MONOTONIC, applied with 128-bit integer math so
// the conversion never drifts through floating-point rounding. The three clocks share the shape
// `Nanos now()` so drivers can be templated on the clock (Seastar's manual_clock idea).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>

#include "src/units.hpp"

namespace lh {

// Wall-clock time for provenance and reports (never for measurement): the current UTC time formatted
// with strftime's `format`, by default ISO 8601 ("2026-11-26T06:00:00Z").
std::string utc_now(const char* format = "%Y-%m-%dT%H:%M:%SZ");

// A clock is anything with `Nanos now()`.
template <typename C>
concept Clock = requires(C c) {
  { c.now() } -> std::same_as<Nanos>;
};

// clock_gettime(CLOCK_MONOTONIC) in ns.
class MonotonicClock {
 public:
  Nanos now() const noexcept;
};

// Reads rdtsc. now() is in the CLOCK_MONOTONIC time base (equal to it at calibration, then
// advancing at the calibrated TSC rate). Construction calibrates for `calibration` (busy-waiting;
// default 25 ms) — do it once at start-up, then copy the clock freely (it is a few integers).
class TscClock {
 public:
  explicit TscClock(Nanos calibration = Nanos::from_ms(25));

  static uint64_t read_tsc() noexcept;
  // CPUID 0x80000007 EDX[8]: the TSC ticks at a constant rate in every P-/C-state.
  static bool invariant_tsc() noexcept;

  Nanos now() const noexcept { return to_nanos(read_tsc()); }
  // An absolute TSC reading → ns (monotonic time base), and back.
  Nanos to_nanos(uint64_t tsc) const noexcept;
  uint64_t to_tsc(Nanos t) const noexcept;
  // Tick counts ↔ durations (no epoch): for deadlines expressed in ticks on the datapath.
  Nanos ticks_to_ns(uint64_t ticks) const noexcept;
  uint64_t ns_to_ticks(Nanos d) const noexcept;

  uint64_t ticks_per_second() const noexcept { return hz_; }

 private:
  uint64_t base_tsc_ = 0;
  Nanos base_ns_{0};
  uint64_t hz_ = 0;
  static constexpr int kFracBits = 52;  // fixed-point fraction: relative rounding error ~1e-15
  uint64_t ns_per_tick_fp_ = 0;   // ns per tick × 2^kFracBits (TSC ≥ 1 MHz keeps it < 2^62)
  uint64_t ticks_per_ns_fp_ = 0;  // ticks per ns × 2^kFracBits
};

// Test clock: time moves only when told to.
class ManualClock {
 public:
  explicit constexpr ManualClock(Nanos start = Nanos{0}) noexcept : now_(start) {}
  constexpr Nanos now() const noexcept { return now_; }
  constexpr void advance(Nanos d) noexcept { now_ += d; }
  constexpr void set(Nanos t) noexcept { now_ = t; }

 private:
  Nanos now_;
};

}  // namespace lh
