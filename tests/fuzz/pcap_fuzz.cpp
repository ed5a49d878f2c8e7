// pcap_fuzz.cpp — fuzz target of capture decoding (traces/pcap_reader.hpp): the first byte picks the
// link type, the rest is one frame for decode_frame; the whole input is also read as a capture file
// (libpcap through a memfd) with read_pcap. Any bytes decode to a packet whose payload fits an IP
// packet, or are counted as not IP / not TCP-UDP / fragment / truncated, or (as a file) are refused
// with a ParseError — never a crash or an out-of-bounds read.
#include <pcap/dlt.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "traces/pcap_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr int kDlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6};
  lh::traces::PcapReadStats stats;
  const auto p = lh::traces::decode_frame(kDlts[data[0] % 6], std::span<const uint8_t>(data + 1, size - 1),
                                          lh::Nanos{0}, stats);
  // A decoded packet is counted as nothing else; its payload (from the IP length field: a short snap
  // length still counts every byte) fits an IP packet.
  if (p && (p->payload > 65535 || stats.not_ip + stats.not_tcp_udp + stats.fragments + stats.truncated != 0)) std::abort();
  static const int fd = ::memfd_create("lh-pcap-fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  try {
    const lh::traces::PcapCapture c = lh::traces::read_pcap("/proc/self/fd/" + std::to_string(fd), "");
    if (c.stats.decoded != c.packets.size()) std::abort();
  } catch (const lh::ParseError&) {
  }
  return 0;
}
