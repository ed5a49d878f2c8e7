// frame_edit.cpp — frame inspection and CE marking (see frame_edit.hpp). RFC 3168 §5, RFC 1071.
#include "emulator/dpdk/frame_edit.hpp"

#include <cstring>

#include <xxhash.h>

namespace lh::emu {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD, kEtherVlan = 0x8100, kEtherQinQ = 0x88A8;
constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17;

uint16_t be16(const uint8_t* p) noexcept { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

uint16_t ipv4_checksum(const uint8_t* hdr, uint32_t hdr_len) noexcept {
  uint32_t sum = 0;
  for (uint32_t i = 0; i + 1 < hdr_len; i += 2) {
    if (i == 10) continue;   // the checksum field itself counts as zero
    sum += be16(hdr + i);
  }
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

FrameInfo inspect_frame(const uint8_t* d, uint32_t len) noexcept {
  FrameInfo info;
  if (len < 14) {
    info.flow_hash = XXH3_64bits(d, len);
    return info;
  }
  uint32_t off = 12;
  uint16_t type = be16(d + off);
  off += 2;
  for (int tags = 0; tags < 2 && (type == kEtherVlan || type == kEtherQinQ) && len >= off + 4; ++tags) {
    type = be16(d + off + 2);
    off += 4;
  }
  // Tuple: addresses (up to 2×16), protocol, ports.
  uint8_t tuple[40] = {};
  uint32_t n = 0;
  if (type == kEtherIpv4 && len >= off + 20 && (d[off] >> 4) == 4) {
    const uint8_t* ip = d + off;
    const uint32_t ihl = (ip[0] & 0x0F) * 4u;
    info.ip_version = 4;
    info.l3_offset = static_cast<uint16_t>(off);
    info.ect = (ip[1] & 0x03) != 0;
    std::memcpy(tuple, ip + 12, 8);
    tuple[8] = ip[9];
    n = 9;
    const bool first_fragment = (be16(ip + 6) & 0x1FFF) == 0;
    if (first_fragment && (ip[9] == kProtoTcp || ip[9] == kProtoUdp) && ihl >= 20 && len >= off + ihl + 4) {
      std::memcpy(tuple + n, ip + ihl, 4);
      n += 4;
    }
  } else if (type == kEtherIpv6 && len >= off + 40 && (d[off] >> 4) == 6) {
    const uint8_t* ip = d + off;
    info.ip_version = 6;
    info.l3_offset = static_cast<uint16_t>(off);
    const uint8_t tclass = static_cast<uint8_t>((ip[0] & 0x0F) << 4 | ip[1] >> 4);
    info.ect = (tclass & 0x03) != 0;
    std::memcpy(tuple, ip + 8, 32);
    tuple[32] = ip[6];
    n = 33;
    if ((ip[6] == kProtoTcp || ip[6] == kProtoUdp) && len >= off + 44) {
      std::memcpy(tuple + n, ip + 40, 4);
      n += 4;
    }
  } else {
    std::memcpy(tuple, d, 12);   // destination + source MAC
    n = 12;
  }
  info.flow_hash = XXH3_64bits(tuple, n);
  return info;
}

bool mark_ce(uint8_t* d, uint32_t len, const FrameInfo& info) noexcept {
  if (!info.ect || info.l3_offset == 0) return false;
  uint8_t* ip = d + info.l3_offset;
  if (info.ip_version == 4) {
    const uint32_t ihl = (ip[0] & 0x0F) * 4u;
    if (ihl < 20 || len < info.l3_offset + ihl || (ip[1] & 0x03) == 0x03) return false;
    ip[1] |= 0x03;
    const uint16_t sum = ipv4_checksum(ip, ihl);
    ip[10] = static_cast<uint8_t>(sum >> 8);
    ip[11] = static_cast<uint8_t>(sum & 0xFF);
    return true;
  }
  if (info.ip_version == 6) {
    // Traffic class = low nibble of byte 0 and high nibble of byte 1; ECN = its two low bits.
    if ((ip[1] & 0x30) == 0x30) return false;
    ip[1] |= 0x30;
    return true;
  }
  return false;
}

}  // namespace lh::emu
