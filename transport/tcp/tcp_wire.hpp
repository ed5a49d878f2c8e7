// tcp_wire.hpp — framing of the TCP baseline's streams (lh::xport::tcp).
//
// Every frame is a fixed 56-byte little-endian header (x86/ARM hosts). Sender → receiver: HELLO (the
// first frame of each stream) and CHUNK (shard id, byte offset inside the shard, length, the shard's
// XXH3-64), a CHUNK being followed by `length` payload bytes that the receiver reads straight into the
// shard's slot at that offset. Receiver → sender: READY on every stream; SHARD_DONE and REPORT on
// stream 0 only. The chunk header is GridFTP's MODE E block header (GFD.20: descriptor, byte count,
// offset) with a shard id and checksum added. Striping: shard i is cut into `streams` contiguous
// stripes (4 KiB aligned); stream k carries stripe k of every shard, in shard order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace lh::xport::tcp {

inline constexpr uint32_t kFrameMagic = 0x3154484c;         // "LHT1"
inline constexpr uint64_t kMaxChunk = 1ull << 20;           // bytes of payload per CHUNK frame
inline constexpr uint64_t kStripeAlign = 4096;              // bytes; stripes start on page multiples
inline constexpr uint32_t kMaxStreams = 256;

enum class FrameType : uint32_t { kHello = 1, kReady = 2, kChunk = 3, kShardDone = 4, kReport = 5 };

enum class ReadyStatus : uint32_t { kOk = 0, kTooLarge = 1, kBadRequest = 2 };

enum class ShardStatus : uint32_t { kVerified = 0, kChecksumMismatch = 1, kPatternMismatch = 2 };

// Field use by type:
//   HELLO      x stream index, y streams, z slots;  a size, b shard bytes, c pattern seed, d transfer id
//   READY      x ReadyStatus, z slots;              a region bytes
//   CHUNK      a shard, b offset in the shard, c payload length, d XXH3-64 of the whole shard
//   SHARD_DONE x ShardStatus;                       a shard
//   REPORT     a verified shards, b bad shards, c verified bytes
struct Frame {
  uint32_t magic = kFrameMagic;
  FrameType type = FrameType::kHello;
  uint32_t x = 0, y = 0, z = 0, w = 0;  // w: reserved (0)
  uint64_t a = 0, b = 0, c = 0, d = 0;
};
static_assert(sizeof(Frame) == 56);

inline std::optional<Frame> parse_frame(std::span<const uint8_t> bytes, FrameType expect) {
  if (bytes.size() != sizeof(Frame)) return std::nullopt;
  Frame f;
  std::memcpy(&f, bytes.data(), sizeof(f));
  if (f.magic != kFrameMagic || f.type != expect) return std::nullopt;
  return f;
}

// Bytes of shard `i` of a `size`-byte transfer cut into `shard`-byte shards.
constexpr uint64_t shard_len(uint64_t size, uint64_t shard, uint64_t i) {
  return std::min(shard, size - i * shard);
}

struct Stripe {
  uint64_t begin = 0, end = 0;  // byte offsets inside the shard; empty when begin == end
};

// Stripe k of a `len`-byte shard cut for `streams` streams: contiguous ranges of
// ceil(len / streams) rounded up to kStripeAlign; the trailing streams get empty stripes when the
// shard is too small to give every stream a page.
constexpr Stripe stripe_of(uint64_t len, uint32_t streams, uint32_t k) {
  const uint64_t per = (len + streams - 1) / streams;
  const uint64_t aligned = (per + kStripeAlign - 1) / kStripeAlign * kStripeAlign;
  const uint64_t b = std::min(len, aligned * k);
  return {b, std::min(len, b + aligned)};
}

}  // namespace lh::xport::tcp
