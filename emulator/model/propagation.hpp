// propagation.hpp — fixed one-way delay of the fiber span: distance × per-km delay + extra.
//
// Exact integer arithmetic: the distance is held in mm, so delay = mm · per_km_ns / 10^6, computed in
// 128 bits and rounded to the nearest ns (4000 km × 4.9 µs/km = 19.6 ms exactly). The default 4.9 µs/km
// is light in silica with group index ≈ 1.47 (ITU-T G.652 fiber).
#pragma once

#include <cstdint>

#include "src/link_profile.hpp"

namespace lh::emu {

// Propagation over `distance` at `per_km` (no `extra`). Both must be non-negative.
constexpr int64_t fiber_delay_ns(Km distance, Nanos per_km) noexcept {
  const unsigned __int128 num = static_cast<unsigned __int128>(distance.mm) * static_cast<uint64_t>(per_km.ns);
  return static_cast<int64_t>((num + 500'000u) / 1'000'000u);
}

constexpr int64_t propagation_delay_ns(const PropagationConfig& c) noexcept {
  return fiber_delay_ns(c.distance, c.per_km) + c.extra.ns;
}

static_assert(fiber_delay_ns(Km::from_km(4000), Nanos{4'900}) == 19'600'000);

}  // namespace lh::emu
