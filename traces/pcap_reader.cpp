// pcap_reader.cpp — libpcap file reading and frame decoding for `lh-trace from-pcap`.
//
// Header layouts: Ethernet II + IEEE 802.1Q; Linux cooked capture SLL (16 bytes, protocol at 14) and
// SLL2 (20 bytes, protocol at 0), see pcap-linktype(7); IPv4 RFC 791; IPv6 RFC 8200; TCP RFC 9293;
// UDP RFC 768. Every field read is bounds-checked against the captured length.
#include "traces/pcap_reader.hpp"

#include <pcap/pcap.h>

#include <cstring>
#include <memory>

namespace lh::traces {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100, kEtherQinQ = 0x88A8, kEtherVlanOld = 0x9100;

uint16_t be16(std::span<const uint8_t> b, size_t off) { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }
uint32_t be32(std::span<const uint8_t> b, size_t off) {
  return uint32_t{b[off]} << 24 | uint32_t{b[off + 1]} << 16 | uint32_t{b[off + 2]} << 8 | b[off + 3];
}

bool supported_dlt(int dlt) {
  return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 || dlt == DLT_RAW ||
         dlt == DLT_IPV4 || dlt == DLT_IPV6;
}

// The transport header at `l4` carrying `l4_len` bytes (from the IP header) → packet.
std::optional<CapturedPacket> decode_transport(std::span<const uint8_t> f, size_t l4, int64_t l4_len, uint8_t proto,
                                               CapturedPacket p, PcapReadStats& stats) {
  if (proto == 6) {
    if (f.size() < l4 + 20 || l4_len < 20) return ++stats.truncated, std::nullopt;
    const int64_t doff = (f[l4 + 12] >> 4) * 4;
    if (doff < 20 || doff > l4_len) return ++stats.truncated, std::nullopt;
    p.flow.proto = IpProto::kTcp;
    p.flow.src_port = be16(f, l4);
    p.flow.dst_port = be16(f, l4 + 2);
    p.tcp_seq = be32(f, l4 + 4);
    p.payload = static_cast<uint32_t>(l4_len - doff);
    return p;
  }
  if (proto == 17) {
    if (f.size() < l4 + 8 || l4_len < 8) return ++stats.truncated, std::nullopt;
    p.flow.proto = IpProto::kUdp;
    p.flow.src_port = be16(f, l4);
    p.flow.dst_port = be16(f, l4 + 2);
    p.payload = static_cast<uint32_t>(l4_len - 8);
    return p;
  }
  ++stats.not_tcp_udp;
  return std::nullopt;
}

std::optional<CapturedPacket> decode_ipv4(std::span<const uint8_t> f, size_t off, Nanos t, PcapReadStats& stats) {
  if (f.size() < off + 20) return ++stats.truncated, std::nullopt;
  const size_t ihl = size_t{f[off] & 0x0Fu} * 4;
  int64_t total = be16(f, off + 2);
  if (total == 0) total = static_cast<int64_t>(f.size() - off);  // TSO frame seen before segmentation
  if (ihl < 20 || total < static_cast<int64_t>(ihl)) return ++stats.truncated, std::nullopt;
  if ((be16(f, off + 6) & 0x1FFF) != 0) return ++stats.fragments, std::nullopt;
  CapturedPacket p{.t = t};
  std::memcpy(p.flow.src.bytes.data(), &f[off + 12], 4);
  std::memcpy(p.flow.dst.bytes.data(), &f[off + 16], 4);
  return decode_transport(f, off + ihl, total - static_cast<int64_t>(ihl), f[off + 9], p, stats);
}

std::optional<CapturedPacket> decode_ipv6(std::span<const uint8_t> f, size_t off, Nanos t, PcapReadStats& stats) {
  if (f.size() < off + 40) return ++stats.truncated, std::nullopt;
  int64_t len = be16(f, off + 4);
  uint8_t next = f[off + 6];
  CapturedPacket p{.t = t};
  p.flow.src.v6 = p.flow.dst.v6 = true;
  std::memcpy(p.flow.src.bytes.data(), &f[off + 8], 16);
  std::memcpy(p.flow.dst.bytes.data(), &f[off + 24], 16);
  size_t l4 = off + 40;
  while (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination options
    if (f.size() < l4 + 2) return ++stats.truncated, std::nullopt;
    const size_t ext = (size_t{f[l4 + 1]} + 1) * 8;
    next = f[l4];
    l4 += ext;
    len -= static_cast<int64_t>(ext);
  }
  if (next == 44) return ++stats.fragments, std::nullopt;
  if (len < 0) return ++stats.truncated, std::nullopt;
  return decode_transport(f, l4, len, next, p, stats);
}

}  // namespace

std::optional<CapturedPacket> decode_frame(int dlt, std::span<const uint8_t> f, Nanos t, PcapReadStats& stats) {
  size_t off = 0;
  uint16_t type = 0;
  if (dlt == DLT_EN10MB) {
    if (f.size() < 14) return ++stats.truncated, std::nullopt;
    type = be16(f, 12);
    off = 14;
    while (type == kEtherVlan || type == kEtherQinQ || type == kEtherVlanOld) {
      if (f.size() < off + 4) return ++stats.truncated, std::nullopt;
      type = be16(f, off + 2);
      off += 4;
    }
  } else if (dlt == DLT_LINUX_SLL) {
    if (f.size() < 16) return ++stats.truncated, std::nullopt;
    type = be16(f, 14);
    off = 16;
  } else if (dlt == DLT_LINUX_SLL2) {
    if (f.size() < 20) return ++stats.truncated, std::nullopt;
    type = be16(f, 0);
    off = 20;
  } else if (dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6) {
    if (f.empty()) return ++stats.truncated, std::nullopt;
    type = (f[0] >> 4) == 4 ? kEtherIpv4 : (f[0] >> 4) == 6 ? kEtherIpv6 : 0;
  }
  if (type == kEtherIpv4) return decode_ipv4(f, off, t, stats);
  if (type == kEtherIpv6) return decode_ipv6(f, off, t, stats);
  ++stats.not_ip;
  return std::nullopt;
}

PcapCapture read_pcap(const std::filesystem::path& file, const std::string& filter) {
  const std::string name = file.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw ParseError(name + ": cannot open: " + (std::filesystem::exists(file, ec) ? "not a regular file" : "no such file"));
  }
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> pc(
      pcap_open_offline_with_tstamp_precision(name.c_str(), PCAP_TSTAMP_PRECISION_NANO, err), &pcap_close);
  if (!pc) throw ParseError(name + ": not a readable pcap or pcapng capture (libpcap: " + err + ")");
  const int dlt = pcap_datalink(pc.get());
  const char* dlt_name = pcap_datalink_val_to_name(dlt);
  if (!supported_dlt(dlt)) {
    throw ParseError(name + ": unsupported link type " + (dlt_name ? dlt_name : std::to_string(dlt)) +
                     " (supported: EN10MB Ethernet, LINUX_SLL/LINUX_SLL2 from tcpdump -i any, RAW/IPV4/IPV6)");
  }
  if (!filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(pc.get(), &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      throw ParseError(name + ": --flows \"" + filter + "\": " + pcap_geterr(pc.get()) +
                       " (expected a pcap-filter(7) expression, e.g. \"tcp and not port 29500\")");
    }
    const int rc = pcap_setfilter(pc.get(), &prog);
    pcap_freecode(&prog);
    if (rc != 0) throw ParseError(name + ": --flows \"" + filter + "\": " + pcap_geterr(pc.get()));
  }
  PcapCapture cap;
  cap.link_type = dlt_name ? dlt_name : std::to_string(dlt);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(pc.get(), &hdr, &data)) == 1) {
    ++cap.stats.frames;
    const Nanos t{static_cast<int64_t>(hdr->ts.tv_sec) * 1'000'000'000 + static_cast<int64_t>(hdr->ts.tv_usec)};
    if (auto p = decode_frame(dlt, {data, hdr->caplen}, t, cap.stats)) {
      ++cap.stats.decoded;
      cap.packets.push_back(*p);
    }
  }
  if (rc != PCAP_ERROR_BREAK) {
    throw ParseError(name + ": bad capture after " + std::to_string(cap.stats.frames) + " frames: " +
                     pcap_geterr(pc.get()));
  }
  return cap;
}

}  // namespace lh::traces
