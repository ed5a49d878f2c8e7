// window_segment.hpp — the wire format of the simulator's window-based reliable test protocol.
//
// Layout (little-endian): [0..8) XXH3-64 of bytes [8..end) | [8] kind (1 data, 2 ack) | [9..17) number
// (data: sequence number; ack: cumulative ack = next sequence expected) | data filler. The checksum
// makes a bit flipped by the link detectable, as a UDP checksum would; a bad segment is discarded.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <xxhash.h>

namespace lh::sim {

enum class SegmentKind : uint8_t { kData = 1, kAck = 2 };

struct Segment {
  SegmentKind kind = SegmentKind::kData;
  uint64_t number = 0;
};

inline constexpr size_t kSegmentHeaderBytes = 17;

// Writes a segment of `total_bytes` (>= kSegmentHeaderBytes) into `out` (capacity reused).
inline void encode_segment(const Segment& s, size_t total_bytes, std::vector<uint8_t>& out) {
  out.resize(total_bytes < kSegmentHeaderBytes ? kSegmentHeaderBytes : total_bytes);
  out[8] = static_cast<uint8_t>(s.kind);
  std::memcpy(out.data() + 9, &s.number, 8);
  std::memset(out.data() + kSegmentHeaderBytes, static_cast<int>(s.number & 0xFF),
              out.size() - kSegmentHeaderBytes);
  const uint64_t sum = XXH3_64bits(out.data() + 8, out.size() - 8);
  std::memcpy(out.data(), &sum, 8);
}

// nullopt if the segment is short, its checksum does not match or its kind is unknown.
inline std::optional<Segment> decode_segment(const std::vector<uint8_t>& in) {
  if (in.size() < kSegmentHeaderBytes) return std::nullopt;
  uint64_t sum = 0;
  std::memcpy(&sum, in.data(), 8);
  if (sum != XXH3_64bits(in.data() + 8, in.size() - 8)) return std::nullopt;
  if (in[8] != static_cast<uint8_t>(SegmentKind::kData) && in[8] != static_cast<uint8_t>(SegmentKind::kAck)) {
    return std::nullopt;
  }
  Segment s;
  s.kind = static_cast<SegmentKind>(in[8]);
  std::memcpy(&s.number, in.data() + 9, 8);
  return s;
}

}  // namespace lh::sim
