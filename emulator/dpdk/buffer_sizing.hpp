// buffer_sizing.hpp — how many mbufs one direction of a profile needs, and how much memory that is.
//
// A direction holds every packet that is in flight inside the emulator: the bandwidth-delay product
// (rate × the largest one-way delay the profile can produce: propagation, extra delay, schedule and
// trace delays, positive event delay steps, jitter) plus a full bottleneck queue (its limit in bytes,
// packets or time). Counted in MTU-sized frames; smaller frames at line rate can exhaust the pool,
// which lh-emu counts as `no_mbuf` drops. Pure arithmetic: no DPDK here.
#pragma once

#include <cstdint>
#include <string>

#include "src/link_profile.hpp"
#include "src/units.hpp"

namespace lh::emu {

struct DirectionSizing {
  BitsPerSecond peak_rate{0};   // the largest rate the profile can reach (or the assumed rate)
  Nanos max_delay{0};           // the largest one-way delay incl. jitter
  Nanos queue_time{0};          // a full queue, as time at peak rate
  Bytes in_flight{0};           // peak_rate × (max_delay + queue_time)
  uint64_t mbufs = 0;           // packets to hold, incl. PMD rings and bursts
};

// `frame_bytes`: the largest frame (MTU + L2 header); `assumed_rate` stands in for an unlimited rate.
DirectionSizing size_direction(const DirectionConfig& dir, uint32_t frame_bytes, BitsPerSecond assumed_rate);

// `s` grown, if needed, to hold `hold` of delay + queue at its peak rate (lh-emu --max-live-delay:
// room for live changes that add delay beyond the starting profile's).
DirectionSizing with_headroom(const DirectionSizing& s, Nanos hold, uint32_t frame_bytes);

// The longest delay + queue time `mbufs` mbufs hold at `rate` (the inverse of size_direction, for
// messages refusing a live change the pools cannot hold).
Nanos max_hold_time(uint64_t mbufs, uint32_t frame_bytes, BitsPerSecond rate);

// Memory for `mbufs` mbufs with `data_room` bytes each (mbuf header, headroom, mempool per-object
// overhead and per-lcore caches included), in bytes.
uint64_t pool_bytes(uint64_t mbufs, uint32_t data_room);

// Fixed memory EAL and the PMDs need besides the pools (MiB).
inline constexpr uint64_t kEalOverheadMib = 160;

// A one-line explanation, e.g. "a_to_b: 2.5gbit x (19.6ms delay + 25ms queue) = 13.9 MB, 9300 mbufs".
std::string describe(const DirectionSizing& s, const char* name);

}  // namespace lh::emu
