// replay_pattern.hpp — the fixed byte pattern replay WRITEs carry (both directions): byte i is
// i·131 + i/4096 (mod 256), so a misplaced or truncated WRITE fails the transport's end-to-end XXH3.
#pragma once

#include <cstdint>
#include <span>

namespace lh::workload {

inline void fill_replay_pattern(std::span<uint8_t> v) {
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 131 + (i >> 12));
}

}  // namespace lh::workload
