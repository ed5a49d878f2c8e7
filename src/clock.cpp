// clock.cpp — TSC calibration and fixed-point tick↔ns conversion (see clock.hpp).
//
// Calibration: read (TSC, CLOCK_MONOTONIC) pairs bracketing a busy-wait of the requested length;
// each pair is taken as the tightest of a few tries so a preemption between the two reads does
// not skew the rate. hz = Δticks · 1e9 / Δns, and the two fixed-point multipliers derive from it.
#include "src/clock.hpp"

#include <cpuid.h>
#include <time.h>
#include <x86intrin.h>

#include <ctime>
#include <stdexcept>
#include <string>

namespace lh {
namespace {

using u128 = unsigned __int128;

int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Sample {
  uint64_t tsc;
  int64_t ns;
};

// The TSC reading taken at the midpoint of the shortest of several bracketing windows.
Sample sample() noexcept {
  Sample best{0, 0};
  uint64_t best_width = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    const uint64_t t0 = TscClock::read_tsc();
    const int64_t ns = monotonic_ns();
    const uint64_t t1 = TscClock::read_tsc();
    if (t1 - t0 < best_width) {
      best_width = t1 - t0;
      best = {t0 + (t1 - t0) / 2, ns};
    }
  }
  return best;
}

}  // namespace

Nanos MonotonicClock::now() const noexcept { return Nanos{monotonic_ns()}; }

uint64_t TscClock::read_tsc() noexcept { return __rdtsc(); }

bool TscClock::invariant_tsc() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0x80000000, nullptr) < 0x80000007) return false;
  __cpuid(0x80000007, eax, ebx, ecx, edx);
  return (edx & (1u << 8)) != 0;
}

TscClock::TscClock(Nanos calibration) {
  if (calibration.ns <= 0) throw std::invalid_argument("TscClock: calibration time must be positive");
  const Sample a = sample();
  while (monotonic_ns() - a.ns < calibration.ns) {
  }
  const Sample b = sample();
  const int64_t dns = b.ns - a.ns;
  const uint64_t dticks = b.tsc - a.tsc;
  if (dns <= 0 || dticks == 0) throw std::runtime_error("TscClock: the TSC did not advance during calibration");
  hz_ = static_cast<uint64_t>(static_cast<u128>(dticks) * 1'000'000'000u / static_cast<uint64_t>(dns));
  if (hz_ < 1'000'000) throw std::runtime_error("TscClock: TSC rate below 1 MHz (" + std::to_string(hz_) + " Hz)");
  ns_per_tick_fp_ = static_cast<uint64_t>((static_cast<u128>(1'000'000'000u) << kFracBits) / hz_);
  ticks_per_ns_fp_ = static_cast<uint64_t>((static_cast<u128>(hz_) << kFracBits) / 1'000'000'000u);
  base_tsc_ = b.tsc;
  base_ns_ = Nanos{b.ns};
}

Nanos TscClock::ticks_to_ns(uint64_t ticks) const noexcept {
  return Nanos{static_cast<int64_t>((static_cast<u128>(ticks) * ns_per_tick_fp_) >> kFracBits)};
}

uint64_t TscClock::ns_to_ticks(Nanos d) const noexcept {
  if (d.ns <= 0) return 0;
  return static_cast<uint64_t>((static_cast<u128>(d.ns) * ticks_per_ns_fp_) >> kFracBits);
}

Nanos TscClock::to_nanos(uint64_t tsc) const noexcept {
  // Readings before calibration (another core's slightly-behind TSC) map to before the base.
  if (tsc >= base_tsc_) return base_ns_ + ticks_to_ns(tsc - base_tsc_);
  return base_ns_ - ticks_to_ns(base_tsc_ - tsc);
}

uint64_t TscClock::to_tsc(Nanos t) const noexcept {
  if (t >= base_ns_) return base_tsc_ + ns_to_ticks(t - base_ns_);
  const uint64_t back = ns_to_ticks(base_ns_ - t);
  return back > base_tsc_ ? 0 : base_tsc_ - back;
}

std::string utc_now(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

}  // namespace lh
