// wire.hpp — the longhaul wire format (version 1): packet header, frames, CRC32C. See transport/WIRE.md.
//
// A datagram is: 18-byte header (version, flags, destination connection id, packet number), one or
// more frames, and a 4-byte CRC32C (ISA-L, iSCSI polynomial) over everything before it. A protected
// packet (flags bit 0, after a protected handshake) has a 22-byte header (+ the SPI), its frames
// sealed with AES-256-GCM (or authenticated only, GMAC) and a 16-byte tag instead of the CRC. All integers
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
inline constexpr uint8_t kFlagProtected = 0x01;   // header byte 1: SPI follows, frames sealed, tag trails
inline constexpr size_t kProtectedHeaderSize = 22;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kAuthFrameSize = 26;      // type, nonce u64, mode u8, mac[16]
inline constexpr size_t kMacSize = 16;
inline constexpr size_t kTokenSize = 24;          // address token: issue time u64 (ms) + MAC[16]
inline constexpr size_t kTokenFrameSize = 1 + kTokenSize;
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
  kAuth = 0x04,   // follows INIT/ACCEPT in a protected handshake: nonce, mode, HMAC of the packet
  kToken = 0x05,  // address token: alone from a server (retry: send INIT again with it), after INIT from a client

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
  bool is_protected = false;  // flags bit 0: `spi` present, frames sealed, tag instead of CRC
  uint32_t spi = 0;           // the sender's key generation (protected packets only)
};

// Close reasons (CLOSE frame) a server sends, unauthenticated and stateless, to a client whose INIT it
// refuses for protection: the client fails its handshake with the reason instead of timing out.
inline constexpr uint32_t kCloseAuthRequired = 0x100;  // the server has a key; the INIT had no AUTH
inline constexpr uint32_t kCloseAuthFailed = 0x101;    // the INIT's AUTH did not verify (another key)
inline constexpr uint32_t kCloseNoKey = 0x102;         // the INIT had AUTH; the server has no key
inline constexpr uint32_t kCloseModeMismatch = 0x103;  // AES-GCM on one side, GMAC on the other

struct AuthFrame {  // 0x04 AUTH: the sender's handshake nonce, the protection mode, and the MAC
  uint64_t nonce = 0;
  uint8_t mode = 0;  // 1 AES-256-GCM, 2 GMAC (integrity only)
  std::array<uint8_t, kMacSize> mac{};
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
  std::array<uint8_t, kTokenSize> token{};
  HandshakeFrame hs;
  AckFrame ack;
  DataFrame data;
  StatusFrame status;
  AuthFrame auth;
  uint32_t close_reason = 0;
};

enum class DecodeError : uint8_t { kOk, kTooShort, kBadCrc, kBadVersion, kMalformed };

// CRC32C (Castagnoli) of `bytes` via ISA-L; standard check value crc32c("123456789") = 0xE3069283.
uint32_t crc32c(std::span<const uint8_t> bytes);

// Checks CRC and version and parses the header. On kOk, `frames` is the frame area (no CRC).
// A protected packet is kMalformed here (see decode_protected).
DecodeError decode_packet(std::span<const uint8_t> datagram, Header& hdr, std::span<const uint8_t>& frames);
// True if the datagram says it is protected (header flags); decode it with decode_protected.
inline bool is_protected(std::span<const uint8_t> d) { return d.size() >= 2 && d[1] == kFlagProtected; }
// Parses a protected packet's header (nothing is authenticated yet): `sealed` is the frame area as
// sent (ciphertext under AES-GCM), `tag` its 16-byte tag; the AAD is the first kProtectedHeaderSize bytes.
DecodeError decode_protected(std::span<const uint8_t> datagram, Header& hdr, std::span<const uint8_t>& sealed);

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
// finish() appends the CRC and returns the datagram length (0 if the CRC does not fit). With a
// protected header, finish() leaves the 16-byte tag space unwritten: the caller seals the packet.
class PacketWriter {
 public:
  PacketWriter(std::span<uint8_t> buf, const Header& hdr);
  size_t room() const;  // bytes left for frames (CRC or tag space already reserved)
  bool put_handshake(FrameType type, const HandshakeFrame& hs);
  bool put_token(std::span<const uint8_t, kTokenSize> token);
  // Writes an AUTH frame with a zero MAC; the caller fills mac_slot() (over covered()) before finish().
  bool put_auth(const AuthFrame& a);
  std::span<uint8_t> mac_slot() { return buf_.subspan(pos_ - kMacSize, kMacSize); }
  // The frame bytes before the MAC of the AUTH frame just written.
  std::span<const uint8_t> covered() const { return std::span<const uint8_t>(buf_).subspan(header_, pos_ - kMacSize - header_); }
  bool put_ack(const AckFrame& ack);
  // Writes the data frame header and copies `payload` (frame.payload is ignored).
  bool put_data(const DataFrame& frame, std::span<const uint8_t> payload);
  // Writes the data frame header for `len` payload bytes and returns where the payload goes (empty if
  // it does not fit); the caller fills it (protected mode encrypts straight from the source into it).
  std::span<uint8_t> put_data_header(const DataFrame& frame, size_t len);
  bool put_status(const StatusFrame& st);
  bool put_close(FrameType type, uint32_t reason);
  bool put_ping();
  size_t finish();
  bool empty() const { return pos_ == header_; }

 private:
  std::span<uint8_t> buf_;
  size_t pos_ = 0, header_ = kHeaderSize, trailer_ = kCrcSize;
  bool ok_ = false;
};

// Header + trailer bytes of a packet, plaintext or protected.
constexpr size_t packet_overhead(bool is_protected) {
  return is_protected ? kProtectedHeaderSize + kTagSize : kHeaderSize + kCrcSize;
}

// Size of a data frame header for the given flags.
constexpr size_t data_frame_overhead(uint8_t flags) {
  return ((flags & kDataFlagShort) ? kShortDataFrameSize : kDataFrameSize) +
         ((flags & kDataFlagLast) ? kDataLastExtra : 0);
}
// Size of an ACK frame with n ranges.
constexpr size_t ack_frame_size(size_t n) { return 26 + 8 * (n - 1); }

}  // namespace lh::xport::wire
