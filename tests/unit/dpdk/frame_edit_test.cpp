// frame_edit_test.cpp — lh-emu's raw-frame helpers: ECN CE marking (RFC 3168) with the IPv4 header
// checksum recomputed (RFC 1071), IPv6 traffic class, VLAN-tagged frames, and frames that are not
// ECN-capable or not IP at all (left untouched). Pure byte buffers, no DPDK.
#include "emulator/dpdk/frame_edit.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace lh::emu {
namespace {

// RFC 1071 checksum over an IPv4 header including its checksum field: 0 when the header is valid.
uint16_t fold(const uint8_t* h, uint32_t len) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < len; i += 2) sum += static_cast<uint32_t>(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Ethernet [+ VLAN tags] + IPv4 (20 B, valid checksum) + UDP ports 1000 -> 2000.
std::vector<uint8_t> ipv4_frame(uint8_t ecn, int vlan_tags = 0) {
  std::vector<uint8_t> f(12, 0x11);
  for (int t = 0; t < vlan_tags; ++t) f.insert(f.end(), {0x81, 0x00, 0x00, 0x05});
  f.insert(f.end(), {0x08, 0x00});
  const size_t ip = f.size();
  f.insert(f.end(), {0x45, ecn, 0x00, 0x24, 0x12, 0x34, 0x40, 0x00, 0x40, 17, 0x00, 0x00,
                     10, 77, 0, 1, 10, 77, 0, 2});
  const uint16_t sum = fold(f.data() + ip, 20);
  f[ip + 10] = static_cast<uint8_t>(sum >> 8);
  f[ip + 11] = static_cast<uint8_t>(sum & 0xFF);
  f.insert(f.end(), {0x03, 0xE8, 0x07, 0xD0, 0x00, 0x10, 0x00, 0x00});
  f.resize(f.size() + 8, 0xAB);
  return f;
}

std::vector<uint8_t> ipv6_frame(uint8_t ecn) {
  std::vector<uint8_t> f(12, 0x22);
  f.insert(f.end(), {0x86, 0xDD});
  // Version 6, traffic class 0xA0 | ecn, flow label 0.
  const uint8_t tclass = static_cast<uint8_t>(0xA0 | ecn);
  f.insert(f.end(), {static_cast<uint8_t>(0x60 | tclass >> 4), static_cast<uint8_t>((tclass & 0x0F) << 4), 0, 0,
                     0x00, 0x08, 17, 64});
  for (int i = 0; i < 32; ++i) f.push_back(static_cast<uint8_t>(i));
  f.insert(f.end(), {0x03, 0xE8, 0x07, 0xD0, 0x00, 0x08, 0x00, 0x00});
  return f;
}

TEST(FrameEdit, Ipv4EctIsMarkedCeAndChecksumStaysValid) {
  auto f = ipv4_frame(0x02);   // ECT(0)
  const FrameInfo info = inspect_frame(f.data(), static_cast<uint32_t>(f.size()));
  ASSERT_EQ(info.ip_version, 4);
  EXPECT_EQ(info.l3_offset, 14);
  EXPECT_TRUE(info.ect);
  EXPECT_TRUE(mark_ce(f.data(), static_cast<uint32_t>(f.size()), info));
  EXPECT_EQ(f[15] & 0x03, 0x03);
  EXPECT_EQ(f[15] & 0xFC, 0x00);   // DSCP untouched
  EXPECT_EQ(fold(f.data() + 14, 20), 0) << "IPv4 header checksum not fixed after CE marking";
}

TEST(FrameEdit, NotEctAndAlreadyCeAreLeftAlone) {
  auto plain = ipv4_frame(0x00);
  const auto before = plain;
  const FrameInfo info = inspect_frame(plain.data(), static_cast<uint32_t>(plain.size()));
  EXPECT_FALSE(info.ect);
  EXPECT_FALSE(mark_ce(plain.data(), static_cast<uint32_t>(plain.size()), info));
  EXPECT_EQ(plain, before);

  auto ce = ipv4_frame(0x03);
  const auto ce_before = ce;
  EXPECT_FALSE(mark_ce(ce.data(), static_cast<uint32_t>(ce.size()),
                       inspect_frame(ce.data(), static_cast<uint32_t>(ce.size()))));
  EXPECT_EQ(ce, ce_before);
}

TEST(FrameEdit, VlanTaggedFramesAreParsedAndMarked) {
  for (int tags : {1, 2}) {
    auto f = ipv4_frame(0x01, tags);   // ECT(1)
    const FrameInfo info = inspect_frame(f.data(), static_cast<uint32_t>(f.size()));
    ASSERT_EQ(info.ip_version, 4) << tags << " tags";
    EXPECT_EQ(info.l3_offset, 14 + 4 * tags);
    EXPECT_TRUE(mark_ce(f.data(), static_cast<uint32_t>(f.size()), info));
    EXPECT_EQ(f[info.l3_offset + 1] & 0x03, 0x03);
    EXPECT_EQ(fold(f.data() + info.l3_offset, 20), 0);
    // Same flow as the untagged frame: the hash covers addresses, protocol and ports only.
    auto untagged = ipv4_frame(0x01);
    EXPECT_EQ(info.flow_hash, inspect_frame(untagged.data(), static_cast<uint32_t>(untagged.size())).flow_hash);
  }
}

TEST(FrameEdit, Ipv6TrafficClassEcnIsMarked) {
  auto f = ipv6_frame(0x02);
  const FrameInfo info = inspect_frame(f.data(), static_cast<uint32_t>(f.size()));
  ASSERT_EQ(info.ip_version, 6);
  EXPECT_TRUE(info.ect);
  EXPECT_TRUE(mark_ce(f.data(), static_cast<uint32_t>(f.size()), info));
  const uint8_t tclass = static_cast<uint8_t>((f[14] & 0x0F) << 4 | f[15] >> 4);
  EXPECT_EQ(tclass, 0xA3);   // DSCP bits kept, ECN = CE
  EXPECT_EQ(f[14] >> 4, 6);  // version untouched
}

TEST(FrameEdit, TruncatedOrNonIpFramesAreNotIp) {
  auto f = ipv4_frame(0x02);
  const FrameInfo cut = inspect_frame(f.data(), 14 + 19);   // IPv4 header one byte short
  EXPECT_EQ(cut.ip_version, 0);
  EXPECT_FALSE(mark_ce(f.data(), 14 + 19, cut));
  std::vector<uint8_t> arp(60, 0);
  arp[12] = 0x08, arp[13] = 0x06;
  EXPECT_EQ(inspect_frame(arp.data(), static_cast<uint32_t>(arp.size())).ip_version, 0);
  const uint8_t tiny[3] = {1, 2, 3};
  EXPECT_EQ(inspect_frame(tiny, 3).l3_offset, 0);
}

TEST(FrameEdit, FlowHashSeparatesFlowsByPort) {
  auto a = ipv4_frame(0x00);
  auto b = ipv4_frame(0x00);
  b[14 + 20 + 1] ^= 0x01;   // another source port
  EXPECT_NE(inspect_frame(a.data(), static_cast<uint32_t>(a.size())).flow_hash,
            inspect_frame(b.data(), static_cast<uint32_t>(b.size())).flow_hash);
}

}  // namespace
}  // namespace lh::emu
