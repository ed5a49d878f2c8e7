// frame_edit.hpp — the few things lh-emu reads from or writes into a frame, on raw bytes.
//
// Ethernet (with up to two VLAN tags, 802.1Q/802.1ad) → IPv4/IPv6: the flow hash (xxh3 of the
// addresses, protocol and TCP/UDP ports; of the MAC addresses for non-IP frames), whether the packet
// is ECN-capable (ECT(0)/ECT(1)/CE), and CE marking (RFC 3168) with the IPv4 header checksum
// recomputed. Works on the first segment's bytes only; anything short or unknown is simply
// "not IP" — never an error. Pure functions, no DPDK types (tested without a NIC).
#pragma once

#include <cstdint>

namespace lh::emu {

struct FrameInfo {
  uint64_t flow_hash = 0;
  uint16_t l3_offset = 0;   // 0 = not IPv4/IPv6 (or truncated)
  uint8_t ip_version = 0;   // 4, 6 or 0
  bool ect = false;         // ECN field != 0 (Not-ECT = 0)
};

FrameInfo inspect_frame(const uint8_t* data, uint32_t len) noexcept;

// Sets the ECN field to CE (11) if the packet is ECN-capable; fixes the IPv4 header checksum.
// Returns true when the frame was changed.
bool mark_ce(uint8_t* data, uint32_t len, const FrameInfo& info) noexcept;

}  // namespace lh::emu
