// tcp_frame.hpp — the TCP baseline's framing (transport/WIRE.md §TCP baseline): the longhaul verbs
// (one-sided WRITE with immediate, SEND, their statuses) over N striped TCP streams.
//
// Every frame is a 64-byte little-endian header (x86/ARM hosts), followed by `len` payload bytes
// for WRITE and SEND:
//   HELLO   first frame of every stream: stream = index, total = streams in the channel,
//           rkey = the channel's 64-bit nonce (streams with the same nonce form one channel); the
//           acceptor answers each with the same HELLO once all streams arrived — the channel is up
//           for the connector when every answer is in (so "up" means the peer endpoint accepted it)
//   WRITE   a chunk (≤ kMaxChunk) of operation `op`: rkey, base_off, total (the operation's length),
//           chunk_off, len, checksum (XXH3-64 of the whole operation), imm if flags & kFlagImm.
//           A WRITE of `total` bytes is cut into `streams` contiguous stripes (4 KiB aligned);
//           stream k carries stripe k (GridFTP MODE E style), so all streams carry every operation
//   SEND    operation `op`, len message bytes (≤ the receiver's limit), on stream 0
//   STATUS  operation `op` finished at the target: status (lh::xport::Status), flags & kFlagSend for
//           a SEND; on stream 0, sent only after the target application polled the completions the
//           operation produced (so it verified a WRITE before the initiator may reuse the buffer)
// Decoding is strict (magic, type, flags, lengths); a bad frame ends the channel (kLost).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace lh::xport::tcp {

inline constexpr uint32_t kFrameMagic = 0x3354484c;  // "LHT3"
inline constexpr uint64_t kMaxChunk = 1ull << 20;    // payload bytes per WRITE frame
inline constexpr uint64_t kStripeAlign = 4096;       // stripes start on page multiples
inline constexpr uint32_t kMaxStreams = 256;
inline constexpr uint8_t kFlagImm = 0x1, kFlagSend = 0x2;

enum class FrameType : uint8_t { kHello = 1, kWrite = 2, kSend = 3, kStatus = 4 };

struct Frame {
  uint32_t magic = kFrameMagic;
  FrameType type = FrameType::kHello;
  uint8_t flags = 0;
  uint16_t stream = 0;
  uint32_t op = 0;
  uint32_t len = 0;       // payload bytes that follow
  uint64_t rkey = 0;      // WRITE: region; HELLO: channel nonce
  uint64_t base_off = 0;  // WRITE: the operation's first byte in the region
  uint64_t total = 0;     // WRITE: operation bytes; HELLO: streams in the channel
  uint64_t chunk_off = 0; // WRITE: this chunk's offset inside the operation
  uint64_t checksum = 0;  // WRITE: XXH3-64 of the operation's bytes
  uint32_t imm = 0;
  uint32_t status = 0;    // STATUS: lh::xport::Status
};
static_assert(sizeof(Frame) == 64);

// The frame in `bytes` if its magic, type and flags are valid (field sanity is the reader's).
inline std::optional<Frame> parse_frame(std::span<const uint8_t> bytes) {
  if (bytes.size() != sizeof(Frame)) return std::nullopt;
  Frame f;
  std::memcpy(&f, bytes.data(), sizeof f);
  const auto t = static_cast<uint8_t>(f.type);
  if (f.magic != kFrameMagic || t < 1 || t > 4 || (f.flags & ~(kFlagImm | kFlagSend)) != 0) return std::nullopt;
  return f;
}

struct Stripe {
  uint64_t begin = 0, end = 0;  // byte offsets inside the operation; empty when begin == end
};

// Stripe k of a `len`-byte operation cut for `streams` streams: contiguous ranges of
// ceil(len / streams) rounded up to kStripeAlign; trailing streams get empty stripes when the
// operation is too small to give every stream a page.
constexpr Stripe stripe_of(uint64_t len, uint32_t streams, uint32_t k) {
  const uint64_t per = (len + streams - 1) / streams;
  const uint64_t aligned = (per + kStripeAlign - 1) / kStripeAlign * kStripeAlign;
  const uint64_t b = std::min(len, aligned * k);
  return {b, std::min(len, b + aligned)};
}

}  // namespace lh::xport::tcp
