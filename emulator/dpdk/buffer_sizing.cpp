// buffer_sizing.cpp — BDP + queue sizing of a direction's mempool (see buffer_sizing.hpp).
#include "emulator/dpdk/buffer_sizing.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace lh::emu {

namespace {

// Beyond the in-flight packets: PMD RX/TX rings, a burst being processed, per-lcore mempool caches.
constexpr uint64_t kFixedMbufs = 4096;
// Unbounded distributions (normal, pareto) are sized for this many scale units.
constexpr int64_t kJitterSigmas = 6;
// A rate-limited queue without a configured limit is sized for this much backlog.
constexpr Nanos kDefaultQueueTime = Nanos::from_ms(100);

}  // namespace

DirectionSizing size_direction(const DirectionConfig& dir, uint32_t frame_bytes, BitsPerSecond assumed_rate) {
  DirectionSizing s;
  BitsPerSecond rate = dir.rate.rate;
  for (const auto& step : dir.schedule) {
    if (step.rate) rate = std::max(rate, *step.rate);
  }
  Nanos extra = dir.propagation.extra;
  for (const auto& step : dir.schedule) {
    if (step.extra_delay) extra = std::max(extra, *step.extra_delay);
  }
  if (dir.trace) {
    for (const auto& p : dir.trace->points) {
      rate = std::max(rate, p.rate);
      extra = std::max(extra, p.delay);
    }
  }
  const bool unlimited = rate.bps == 0 && !dir.delivery;
  if (dir.delivery && dir.delivery->period.ns > 0) {
    const auto& d = *dir.delivery;
    const auto bits = static_cast<unsigned __int128>(d.opportunities.size()) * d.bytes_per_opportunity.n * 8u * 1'000'000'000u;
    rate = std::max(rate, BitsPerSecond{static_cast<uint64_t>(bits / static_cast<uint64_t>(d.period.ns))});
  }
  if (rate.bps == 0) rate = assumed_rate;
  s.peak_rate = rate;

  const __int128 prop = static_cast<__int128>(dir.propagation.distance.mm) * dir.propagation.per_km.ns / 1'000'000;
  Nanos delay{static_cast<int64_t>(prop) + extra.ns};
  for (const auto& ev : dir.events) {
    if (ev.delay_delta.ns > 0) delay += ev.delay_delta;
  }
  const auto& j = dir.jitter;
  if (j.distribution == JitterDistribution::kUniform) delay += j.jitter;
  else if (j.distribution != JitterDistribution::kNone) delay += j.jitter * kJitterSigmas;
  s.max_delay = delay;

  const auto& q = dir.queue;
  if (q.limit_time.ns > 0) {
    s.queue_time = q.limit_time;
  } else if (q.limit_bytes.n > 0) {
    s.queue_time = serialization_time(q.limit_bytes, rate);
  } else if (q.limit_packets > 0) {
    s.queue_time = serialization_time(Bytes{q.limit_packets * frame_bytes}, rate);
  } else if (!unlimited) {
    s.queue_time = kDefaultQueueTime;
  }
  s.in_flight = bytes_in(s.max_delay + s.queue_time, rate);
  uint64_t pkts = (s.in_flight.n + frame_bytes - 1) / frame_bytes;
  // Duplicates occupy a second mbuf until they leave.
  pkts += static_cast<uint64_t>(static_cast<double>(pkts) * j.duplicate.value()) + 1;
  s.mbufs = pkts + kFixedMbufs;
  return s;
}

DirectionSizing with_headroom(const DirectionSizing& s, Nanos hold, uint32_t frame_bytes) {
  if (hold <= s.max_delay + s.queue_time) return s;
  DirectionSizing out = s;
  const Bytes in_flight = bytes_in(hold, s.peak_rate);
  const uint64_t extra = (in_flight.n - std::min(in_flight.n, s.in_flight.n) + frame_bytes - 1) / frame_bytes;
  out.in_flight = in_flight;
  out.mbufs += extra;
  return out;
}

Nanos max_hold_time(uint64_t mbufs, uint32_t frame_bytes, BitsPerSecond rate) {
  if (rate.bps == 0 || mbufs <= kFixedMbufs + 1) return Nanos{0};
  return serialization_time(Bytes{(mbufs - kFixedMbufs - 1) * frame_bytes}, rate);
}

uint64_t pool_bytes(uint64_t mbufs, uint32_t data_room) {
  // rte_mbuf (128) + private area 0 + data room (incl. 128 headroom), plus mempool header/trailer
  // and alignment (~64), rounded to a cache line; plus the ring of pointers.
  const uint64_t elt = ((128 + static_cast<uint64_t>(data_room) + 64) + 63) / 64 * 64;
  return mbufs * (elt + 8) + (1u << 20);
}

std::string describe(const DirectionSizing& s, const char* name) {
  return fmt::format("{}: {} x ({} delay + {} queue) = {} in flight, {} mbufs", name, format(s.peak_rate),
                     format(s.max_delay), format(s.queue_time), format(s.in_flight), s.mbufs);
}

}  // namespace lh::emu
