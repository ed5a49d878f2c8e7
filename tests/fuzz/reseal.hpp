// reseal.hpp — makes fuzzed bytes a datagram the longhaul engine parses: version, a destination
// connection id and a valid CRC32C over the rest, so the input reaches the frame decoder and the
// connection state machine instead of dying at the checksum. Shared by the transport fuzz targets.
#pragma once

#include <cstdint>
#include <vector>

#include "transport/proto/types.hpp"
#include "transport/proto/wire.hpp"

namespace lh::xport::fuzz {

inline void reseal(std::vector<uint8_t>& d, ConnectionId dest) {
  if (d.size() < wire::kHeaderSize + wire::kCrcSize) return;
  d[0] = wire::kVersion;
  d[1] = 0;
  for (int i = 0; i < 8; ++i) d[2 + i] = static_cast<uint8_t>(dest >> (8 * i));
  const uint32_t crc = wire::crc32c({d.data(), d.size() - wire::kCrcSize});
  for (int i = 0; i < 4; ++i) d[d.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

}  // namespace lh::xport::fuzz
