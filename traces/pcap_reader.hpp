// pcap_reader.hpp — reads a capture file with libpcap and decodes each frame into the
// (timestamp, 5-tuple, payload length, TCP sequence) that pcap_import.hpp needs.
//
// Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked capture v1 and v2 (tcpdump -i any),
// raw IP. Network: IPv4 (non-first fragments are skipped) and IPv6 (hop-by-hop, routing and
// destination-options headers skipped; fragments skipped). Transport: TCP and UDP. Payload lengths
// come from the IP header, so a capture with a short snap length (tcpdump -s 128) still counts every
// byte. Timestamps are read at nanosecond precision (libpcap scales µs files). Setup-time code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "traces/pcap_import.hpp"

namespace lh::traces {

struct PcapReadStats {
  uint64_t frames = 0;       // frames that passed the BPF filter
  uint64_t decoded = 0;      // frames that became CapturedPackets
  uint64_t not_ip = 0;       // ARP, LLDP, ...
  uint64_t not_tcp_udp = 0;  // ICMP, ...
  uint64_t fragments = 0;    // non-first IP fragments
  uint64_t truncated = 0;    // headers cut off by the snap length
};

struct PcapCapture {
  std::vector<CapturedPacket> packets;
  PcapReadStats stats;
  std::string link_type;  // libpcap's name, e.g. "EN10MB"
};

// Decodes one frame of link type `dlt` (a DLT_* value); nullopt (with the reason counted in
// `stats`) for anything that is not TCP or UDP over IP.
std::optional<CapturedPacket> decode_frame(int dlt, std::span<const uint8_t> frame, Nanos t, PcapReadStats& stats);

// Reads `file`, keeping the frames that match the BPF expression `filter` (empty = all).
// Throws ParseError "<file>: <what>" if the file cannot be opened, is not a pcap/pcapng capture,
// has an unsupported link type, or the filter does not compile.
PcapCapture read_pcap(const std::filesystem::path& file, const std::string& filter);

}  // namespace lh::traces
