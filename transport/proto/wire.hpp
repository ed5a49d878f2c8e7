// wire.hpp — the longhaul wire format (version 1): packet header, frames, CRC32C. See transport/WIRE.md.
//
// A datagram is: 18-byte header (version, reserved, destination connection id, packet number), one or
// more frames, and a 4-byte CRC32C (ISA-L, iSCSI polynomial) over everything before it. All integers
// are little-endian. Packet numbers are never reused (retransmitted data rides in new packets, QUIC
// RFC 9000 style); data frames carry their own byte offset. The decoder is bounds-checked on every
// field and never trusts a length: every failure is a result code, never an exception or a crash.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lh::xport::wire {

inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderSize = 18;
inline constexpr size_t kCrcSize = 4;
inline constexpr size_t kMaxAckRanges = 32;       // SACK ranges per ACK frame (incl. the first)
inline constexpr size_t kDataFrameSize = 40;      // data frame header without the LAST trailer
inline constexpr size_t kShortDataFrameSize = 16; // ... with kDataFlagShort (no key/base_off/total_len)
inline constexpr size_t kDataLastExtra = 12;      // checksum u64 + immediate u32
inline constexpr size_t kMinUdpPayload = 256;     // smallest MTU either side may propose
inline constexpr size_t kMaxUdpPayload = 65'507;  // largest UDP payload over IPv4

enum class FrameType : uint8_t {
  kInit = 0x01,
  kAccept = 0x02,
  kAck = 0x03,
  kWrite = 0x10,
  kSend = 0x11,
  kStatus = 0x20,
  kClose = 0x30,
  kCloseAck = 0x31,
  kPing = 0x40,
};

inline constexpr uint8_t kDataFlagLast = 0x01;  // last fragment: checksum + immediate follow
inline constexpr uint8_t kDataFlagImm = 0x02;   // the immediate value is meaningful
// Short form (feature kFeatureShortData): key, base_off and total_len are omitted because the target
// already knows the operation (the sender saw a full-form fragment of it acknowledged).
inline constexpr uint8_t kDataFlagShort = 0x04;

struct Header {
  uint64_t dest_cid = 0;
  uint64_t pn = 0;
};

struct HandshakeFrame {  // INIT (client -> server, dest_cid 0) and ACCEPT (server -> client)
  uint64_t src_cid = 0;
  uint16_t max_udp_payload = 0;
  uint32_t features = 0;
  uint64_t initial_window = 0;
  uint32_t idle_timeout_ms = 0;
};

struct PnRange {  // inclusive [lo, hi]
  uint64_t lo = 0, hi = 0;
};

struct AckFrame {
  uint32_t ack_delay_us = 0;  // time the receiver held the largest packet before acking
  uint64_t window = 0;        // flow control: bytes the receiver lets the sender have in flight
  uint8_t range_count = 0;    // >= 1
  std::array<PnRange, kMaxAckRanges> ranges{};  // descending, disjoint, non-adjacent
};

struct DataFrame {  // WRITE fragment or SEND fragment
  bool is_send = false;
  uint8_t flags = 0;
  uint32_t op_id = 0;
  // The next three are absent (0) in the short form (flags & kDataFlagShort).
  uint64_t key = 0;        // WRITE: rkey; SEND: ordinal of the message (matches the n-th posted recv)
  uint64_t base_off = 0;   // WRITE: offset in the region where the operation starts; SEND: 0
  uint64_t total_len = 0;  // length of the whole operation (lets the target check bounds up front)
  uint64_t frag_off = 0;   // offset of this fragment inside the operation
  uint64_t checksum = 0;  // XXH3_64bits of the whole operation (LAST only)
  uint32_t imm = 0;       // immediate value (LAST with kDataFlagImm)
  std::span<const uint8_t> payload;
};

struct StatusFrame {  // target -> initiator: the operation op_id finished with `status`
  uint8_t kind = 0;    // 0 WRITE, 1 SEND
  uint8_t status = 0;  // lh::xport::Status
  uint32_t op_id = 0;
};

struct Frame {
  FrameType type = FrameType::kPing;
  HandshakeFrame hs;
  AckFrame ack;
  DataFrame data;
  StatusFrame status;
  uint32_t close_reason = 0;
};

enum class DecodeError : uint8_t { kOk, kTooShort, kBadCrc, kBadVersion, kMalformed };

// CRC32C (Castagnoli) of `bytes` via ISA-L; standard check value crc32c("123456789") = 0xE3069283.
uint32_t crc32c(std::span<const uint8_t> bytes);

// Checks CRC and version and parses the header. On kOk, `frames` is the frame area (no CRC).
DecodeError decode_packet(std::span<const uint8_t> datagram, Header& hdr, std::span<const uint8_t>& frames);

// Iterates frames. next() returns kOk with `f` filled, or kMalformed; done() when all consumed.
class FrameReader {
 public:
  explicit FrameReader(std::span<const uint8_t> frames) : buf_(frames) {}
  bool done() const { return pos_ >= buf_.size(); }
  DecodeError next(Frame& f);

 private:
  std::span<const uint8_t> buf_;
  size_t pos_ = 0;
};

// Encoder into a caller buffer. Every put_* returns false (and writes nothing) if it does not fit;
// finish() appends the CRC and returns the datagram length (0 if the CRC does not fit).
class PacketWriter {
 public:
  PacketWriter(std::span<uint8_t> buf, const Header& hdr);
  size_t room() const;  // bytes left for frames (CRC space already reserved)
  bool put_handshake(FrameType type, const HandshakeFrame& hs);
  bool put_ack(const AckFrame& ack);
  // Writes the data frame header and copies `payload` (frame.payload is ignored).
  bool put_data(const DataFrame& frame, std::span<const uint8_t> payload);
  bool put_status(const StatusFrame& st);
  bool put_close(FrameType type, uint32_t reason);
  bool put_ping();
  size_t finish();
  bool empty() const { return pos_ == kHeaderSize; }

 private:
  std::span<uint8_t> buf_;
  size_t pos_ = 0;
  bool ok_ = false;
};

// Size of a data frame header for the given flags.
constexpr size_t data_frame_overhead(uint8_t flags) {
  return ((flags & kDataFlagShort) ? kShortDataFrameSize : kDataFrameSize) +
         ((flags & kDataFlagLast) ? kDataLastExtra : 0);
}
// Size of an ACK frame with n ranges.
constexpr size_t ack_frame_size(size_t n) { return 26 + 8 * (n - 1); }

}  // namespace lh::xport::wire
