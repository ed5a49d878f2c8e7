// direction_stats.hpp — per-direction statistics shared between a datapath worker and the reporters.
//
// The worker is the only writer: it keeps plain counters while it works and publishes them every
// ~1 ms into a cache-aligned block of relaxed atomics (single writer, so a store, never an RMW).
// Readers (stats thread, control thread) load them without locks. The two histograms (added delay =
// TX time − RX timestamp; departure error = actual − intended TX time, both ns) are double-buffered:
// the reader asks for a swap, the worker flips the buffer it records into at a burst boundary and
// acknowledges, and the reader then owns the retired buffer (merges, resets). Units: ns and bytes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "emulator/stats/stats_values.hpp"
#include "src/histogram.hpp"

namespace lh::emu {

inline constexpr size_t kStatsWords = sizeof(StatsValues) / sizeof(uint64_t);
static_assert(sizeof(StatsValues) == kStatsWords * sizeof(uint64_t));

class alignas(64) PublishedStats {
 public:
  // Worker: publish a whole snapshot (relaxed stores; readers may see a mix of two consecutive
  // snapshots, each counter itself is exact and monotonic).
  void publish(const StatsValues& v) noexcept {
    const auto* src = reinterpret_cast<const uint64_t*>(&v);
    for (size_t i = 0; i < kStatsWords; ++i) words_[i].store(src[i], std::memory_order_relaxed);
  }
  StatsValues load() const noexcept {
    StatsValues v;
    auto* dst = reinterpret_cast<uint64_t*>(&v);
    for (size_t i = 0; i < kStatsWords; ++i) dst[i] = words_[i].load(std::memory_order_relaxed);
    return v;
  }

 private:
  std::array<std::atomic<uint64_t>, kStatsWords> words_{};
};

// The double-buffered histograms of one direction.
struct alignas(64) HistogramPair {
  // Largest tracked value: 10 s (delays beyond are clamped and counted).
  static constexpr int64_t kHighest = 10'000'000'000;
  Histogram added_delay[2] = {Histogram(kHighest), Histogram(kHighest)};
  Histogram departure_error[2] = {Histogram(kHighest), Histogram(kHighest)};
  std::atomic<uint32_t> request{0};   // reader increments; the worker records into buffer request & 1
  std::atomic<uint32_t> ack{0};       // worker: the last request it has switched for
};

}  // namespace lh::emu
