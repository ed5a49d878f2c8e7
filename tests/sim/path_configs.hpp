// path_configs.hpp — small DirectionConfig builders shared by the sim-suite tests.
//
// Each returns a config with only the stages a test names, so expected values can be computed by
// hand: serialization (wire bytes + 24 B overhead) · 8 / rate, plus propagation `delay`.
#pragma once

#include "src/link_profile.hpp"
#include "src/units.hpp"

namespace lh::sim::test {

// A FIFO path: `rate` bottleneck, `delay` fixed propagation, a drop-tail queue of `queue_packets`.
inline DirectionConfig clean_path(BitsPerSecond rate, Nanos delay, uint64_t queue_packets = 1000) {
  DirectionConfig c;
  c.rate = RateConfig{.rate = rate, .overhead = Bytes{24}};
  c.queue = QueueConfig{.limit_packets = queue_packets};
  c.propagation = PropagationConfig{.distance = Km{0}, .per_km = Nanos{4'900}, .extra = delay};
  return c;
}

inline DirectionConfig lossy_path(BitsPerSecond rate, Nanos delay, double p) {
  DirectionConfig c = clean_path(rate, delay);
  c.loss = BernoulliLoss{.p = Probability::from_double(p)};
  return c;
}

// Exact serialization time of a frame of `wire_bytes` (+24 B overhead), floor as the model reports.
constexpr Nanos serialization_floor(uint64_t wire_bytes, BitsPerSecond rate) {
  return Nanos{static_cast<int64_t>((wire_bytes + 24) * 8 * 1'000'000'000ull / rate.bps)};
}

}  // namespace lh::sim::test
