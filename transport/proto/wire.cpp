// wire.cpp — encoder/decoder for the version-1 wire format (transport/WIRE.md).
//
// Little-endian integers written byte by byte (compilers fold these into single moves). The decoder
// checks every read against the remaining length; malformed input yields DecodeError::kMalformed.
#include "transport/proto/wire.hpp"

#include <isa-l/crc.h>

#include <bit>
#include <cstring>

namespace lh::xport::wire {
namespace {

// Host byte order is little-endian on every target we build for; memcpy compiles to one move.
static_assert(std::endian::native == std::endian::little, "wire.cpp assumes a little-endian host");

template <typename T>
void put_le(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

template <typename T>
T get_le(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Bounds-checked cursor over the frame area.
struct Cursor {
  std::span<const uint8_t> buf;
  size_t pos;
  bool ok = true;

  template <typename T>
  T get() {
    if (!ok || buf.size() - pos < sizeof(T)) {
      ok = false;
      return T{};
    }
    T v = get_le<T>(buf.data() + pos);
    pos += sizeof(T);
    return v;
  }
};

constexpr size_t kHandshakeSize = 1 + 8 + 2 + 4 + 8 + 4;

}  // namespace

uint32_t crc32c(std::span<const uint8_t> bytes) {
  return ~crc32_iscsi(const_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), ~0u);
}

DecodeError decode_packet(std::span<const uint8_t> d, Header& hdr, std::span<const uint8_t>& frames) {
  if (d.size() < kHeaderSize + kCrcSize + 1) return DecodeError::kTooShort;
  const size_t body = d.size() - kCrcSize;
  if (crc32c(d.first(body)) != get_le<uint32_t>(d.data() + body)) return DecodeError::kBadCrc;
  if (d[0] != kVersion || d[1] != 0) return DecodeError::kBadVersion;
  hdr.dest_cid = get_le<uint64_t>(d.data() + 2);
  hdr.pn = get_le<uint64_t>(d.data() + 10);
  frames = d.subspan(kHeaderSize, body - kHeaderSize);
  return DecodeError::kOk;
}

DecodeError decode_protected(std::span<const uint8_t> d, Header& hdr, std::span<const uint8_t>& sealed) {
  if (d.size() < kProtectedHeaderSize + 1 + kTagSize) return DecodeError::kTooShort;
  if (d[0] != kVersion || d[1] != kFlagProtected) return DecodeError::kBadVersion;
  hdr.dest_cid = get_le<uint64_t>(d.data() + 2);
  hdr.pn = get_le<uint64_t>(d.data() + 10);
  hdr.is_protected = true;
  hdr.spi = get_le<uint32_t>(d.data() + 18);
  sealed = d.subspan(kProtectedHeaderSize, d.size() - kProtectedHeaderSize - kTagSize);
  return DecodeError::kOk;
}

DecodeError FrameReader::next(Frame& f) {
  Cursor c{buf_, pos_};
  const auto type = c.get<uint8_t>();
  switch (type) {
    case static_cast<uint8_t>(FrameType::kInit):
    case static_cast<uint8_t>(FrameType::kAccept): {
      f.type = static_cast<FrameType>(type);
      f.hs.src_cid = c.get<uint64_t>();
      f.hs.max_udp_payload = c.get<uint16_t>();
      f.hs.features = c.get<uint32_t>();
      f.hs.initial_window = c.get<uint64_t>();
      f.hs.idle_timeout_ms = c.get<uint32_t>();
      if (c.ok && (f.hs.src_cid == 0 || f.hs.max_udp_payload < kMinUdpPayload)) c.ok = false;
      break;
    }
    case static_cast<uint8_t>(FrameType::kAuth): {
      f.type = FrameType::kAuth;
      f.auth.nonce = c.get<uint64_t>();
      f.auth.mode = c.get<uint8_t>();
      for (uint8_t& b : f.auth.mac) b = c.get<uint8_t>();
      if (c.ok && (f.auth.mode < 1 || f.auth.mode > 2)) c.ok = false;
      break;
    }
    case static_cast<uint8_t>(FrameType::kToken): {
      f.type = FrameType::kToken;
      for (uint8_t& b : f.token) b = c.get<uint8_t>();
      break;
    }
    case static_cast<uint8_t>(FrameType::kAck): {
      f.type = FrameType::kAck;
      AckFrame& a = f.ack;
      a.ack_delay_us = c.get<uint32_t>();
      a.window = c.get<uint64_t>();
      const auto largest = c.get<uint64_t>();
      const auto first_len = c.get<uint32_t>();
      const auto extra = c.get<uint8_t>();
      if (!c.ok || first_len > largest || extra >= kMaxAckRanges) {
        c.ok = false;
        break;
      }
      a.ranges[0] = {largest - first_len, largest};
      a.range_count = 1;
      for (uint8_t i = 0; i < extra && c.ok; ++i) {
        const auto gap = c.get<uint32_t>();
        const auto len = c.get<uint32_t>();
        const uint64_t prev_lo = a.ranges[a.range_count - 1].lo;
        // hi = prev_lo - gap - 1 needs gap >= 1 and prev_lo >= gap + 1; lo = hi - len.
        if (!c.ok || gap == 0 || prev_lo < static_cast<uint64_t>(gap) + 1 + len) {
          c.ok = false;
          break;
        }
        const uint64_t hi = prev_lo - gap - 1;
        a.ranges[a.range_count++] = {hi - len, hi};
      }
      break;
    }
    case static_cast<uint8_t>(FrameType::kWrite):
    case static_cast<uint8_t>(FrameType::kSend): {
      f.type = static_cast<FrameType>(type);
      DataFrame& d = f.data;
      d.is_send = type == static_cast<uint8_t>(FrameType::kSend);
      d.flags = c.get<uint8_t>();
      const auto len = c.get<uint16_t>();
      d.op_id = c.get<uint32_t>();
      const bool is_short = (d.flags & kDataFlagShort) != 0;
      d.key = is_short ? 0 : c.get<uint64_t>();
      d.base_off = is_short ? 0 : c.get<uint64_t>();
      d.total_len = is_short ? 0 : c.get<uint64_t>();
      d.frag_off = c.get<uint64_t>();
      d.checksum = 0;
      d.imm = 0;
      if (d.flags & kDataFlagLast) {
        d.checksum = c.get<uint64_t>();
        d.imm = c.get<uint32_t>();
      }
      // A short frame's bounds are checked by the target against the operation it already knows.
      const bool bounds_ok = is_short ? d.frag_off <= UINT64_MAX - len
                                      : d.frag_off <= d.total_len && d.total_len - d.frag_off >= len &&
                                            d.base_off <= UINT64_MAX - d.total_len;
      if (!c.ok || (d.flags & ~(kDataFlagLast | kDataFlagImm | kDataFlagShort)) != 0 || len == 0 ||
          buf_.size() - c.pos < len || !bounds_ok || (d.is_send && d.base_off != 0)) {
        c.ok = false;
        break;
      }
      d.payload = buf_.subspan(c.pos, len);
      c.pos += len;
      break;
    }
    case static_cast<uint8_t>(FrameType::kStatus): {
      f.type = FrameType::kStatus;
      f.status.kind = c.get<uint8_t>();
      f.status.status = c.get<uint8_t>();
      f.status.op_id = c.get<uint32_t>();
      if (c.ok && (f.status.kind > 1 || f.status.status > 6)) c.ok = false;
      break;
    }
    case static_cast<uint8_t>(FrameType::kClose):
    case static_cast<uint8_t>(FrameType::kCloseAck):
      f.type = static_cast<FrameType>(type);
      f.close_reason = c.get<uint32_t>();
      break;
    case static_cast<uint8_t>(FrameType::kPing):
      f.type = FrameType::kPing;
      break;
    default:
      c.ok = false;
  }
  if (!c.ok) {
    pos_ = buf_.size();  // stop iterating: the rest of the packet cannot be trusted
    return DecodeError::kMalformed;
  }
  pos_ = c.pos;
  return DecodeError::kOk;
}

PacketWriter::PacketWriter(std::span<uint8_t> buf, const Header& hdr) : buf_(buf) {
  if (hdr.is_protected) header_ = kProtectedHeaderSize, trailer_ = kTagSize;
  if (buf.size() < header_ + trailer_ + 1) return;
  buf_[0] = kVersion;
  buf_[1] = hdr.is_protected ? kFlagProtected : 0;
  put_le<uint64_t>(buf_.data() + 2, hdr.dest_cid);
  put_le<uint64_t>(buf_.data() + 10, hdr.pn);
  if (hdr.is_protected) put_le<uint32_t>(buf_.data() + 18, hdr.spi);
  pos_ = header_;
  ok_ = true;
}

size_t PacketWriter::room() const { return ok_ ? buf_.size() - trailer_ - pos_ : 0; }

bool PacketWriter::put_token(std::span<const uint8_t, kTokenSize> token) {
  if (room() < kTokenFrameSize) return false;
  buf_[pos_] = static_cast<uint8_t>(FrameType::kToken);
  std::memcpy(buf_.data() + pos_ + 1, token.data(), kTokenSize);
  pos_ += kTokenFrameSize;
  return true;
}

bool PacketWriter::put_auth(const AuthFrame& a) {
  if (room() < kAuthFrameSize) return false;
  uint8_t* p = buf_.data() + pos_;
  p[0] = static_cast<uint8_t>(FrameType::kAuth);
  put_le<uint64_t>(p + 1, a.nonce);
  p[9] = a.mode;
  std::memset(p + 10, 0, kMacSize);
  pos_ += kAuthFrameSize;
  return true;
}

bool PacketWriter::put_handshake(FrameType type, const HandshakeFrame& hs) {
  if (room() < kHandshakeSize) return false;
  uint8_t* p = buf_.data() + pos_;
  p[0] = static_cast<uint8_t>(type);
  put_le<uint64_t>(p + 1, hs.src_cid);
  put_le<uint16_t>(p + 9, hs.max_udp_payload);
  put_le<uint32_t>(p + 11, hs.features);
  put_le<uint64_t>(p + 15, hs.initial_window);
  put_le<uint32_t>(p + 23, hs.idle_timeout_ms);
  pos_ += kHandshakeSize;
  return true;
}

bool PacketWriter::put_ack(const AckFrame& a) {
  if (a.range_count == 0 || a.range_count > kMaxAckRanges || room() < ack_frame_size(a.range_count)) return false;
  uint8_t* p = buf_.data() + pos_;
  p[0] = static_cast<uint8_t>(FrameType::kAck);
  put_le<uint32_t>(p + 1, a.ack_delay_us);
  put_le<uint64_t>(p + 5, a.window);
  put_le<uint64_t>(p + 13, a.ranges[0].hi);
  put_le<uint32_t>(p + 21, static_cast<uint32_t>(a.ranges[0].hi - a.ranges[0].lo));
  size_t n = 1;
  uint8_t* q = p + 26;
  for (; n < a.range_count; ++n) {
    const uint64_t gap = a.ranges[n - 1].lo - a.ranges[n].hi - 1;
    const uint64_t len = a.ranges[n].hi - a.ranges[n].lo;
    if (gap == 0 || gap > UINT32_MAX || len > UINT32_MAX) break;  // caller bug or huge gap: truncate
    put_le<uint32_t>(q, static_cast<uint32_t>(gap));
    put_le<uint32_t>(q + 4, static_cast<uint32_t>(len));
    q += 8;
  }
  p[25] = static_cast<uint8_t>(n - 1);
  pos_ += ack_frame_size(n);
  return true;
}

bool PacketWriter::put_data(const DataFrame& d, std::span<const uint8_t> payload) {
  const std::span<uint8_t> dst = put_data_header(d, payload.size());
  if (dst.empty()) return false;
  std::memcpy(dst.data(), payload.data(), payload.size());
  return true;
}

std::span<uint8_t> PacketWriter::put_data_header(const DataFrame& d, size_t len) {
  const size_t hdr = data_frame_overhead(d.flags);
  if (len == 0 || len > UINT16_MAX || room() < hdr + len) return {};
  uint8_t* p = buf_.data() + pos_;
  p[0] = static_cast<uint8_t>(d.is_send ? FrameType::kSend : FrameType::kWrite);
  p[1] = d.flags;
  put_le<uint16_t>(p + 2, static_cast<uint16_t>(len));
  put_le<uint32_t>(p + 4, d.op_id);
  uint8_t* q = p + 8;
  if (!(d.flags & kDataFlagShort)) {
    put_le<uint64_t>(q, d.key);
    put_le<uint64_t>(q + 8, d.base_off);
    put_le<uint64_t>(q + 16, d.total_len);
    q += 24;
  }
  put_le<uint64_t>(q, d.frag_off);
  if (d.flags & kDataFlagLast) {
    put_le<uint64_t>(q + 8, d.checksum);
    put_le<uint32_t>(q + 16, d.imm);
  }
  pos_ += hdr + len;
  return buf_.subspan(pos_ - len, len);
}

bool PacketWriter::put_status(const StatusFrame& st) {
  if (room() < 7) return false;
  uint8_t* p = buf_.data() + pos_;
  p[0] = static_cast<uint8_t>(FrameType::kStatus);
  p[1] = st.kind;
  p[2] = st.status;
  put_le<uint32_t>(p + 3, st.op_id);
  pos_ += 7;
  return true;
}

bool PacketWriter::put_close(FrameType type, uint32_t reason) {
  if (room() < 5) return false;
  buf_[pos_] = static_cast<uint8_t>(type);
  put_le<uint32_t>(buf_.data() + pos_ + 1, reason);
  pos_ += 5;
  return true;
}

bool PacketWriter::put_ping() {
  if (room() < 1) return false;
  buf_[pos_++] = static_cast<uint8_t>(FrameType::kPing);
  return true;
}

size_t PacketWriter::finish() {
  if (!ok_ || pos_ == header_) return 0;
  if (trailer_ == kCrcSize) put_le<uint32_t>(buf_.data() + pos_, crc32c(buf_.first(pos_)));
  ok_ = false;
  return pos_ + trailer_;
}

}  // namespace lh::xport::wire
