// pcap_import.hpp — the pure part of `lh-trace from-pcap`: captured packets → flows → messages →
// steps → a gradient trace (format v1, traces/FORMATS.md "Importing a capture").
//
// A flow is one direction of a 5-tuple. Only payload counts: TCP pure ACKs are ignored, and TCP
// sequence ranges already seen (retransmissions, duplicates) are counted once. Within a flow, a
// silence longer than `burst_gap` ends a message; across all selected flows, a silence longer than
// `step_gap` (no flow carrying payload) starts a new training step. Times are lh::Nanos from the
// capture's clock; sizes are payload bytes. No I/O here: pcap_reader.hpp feeds it from a file, tests
// feed it packets directly. Errors throw lh::ParseError naming what was wrong and what is accepted.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/units.hpp"
#include "traces/gradient_trace.hpp"

namespace lh::traces {

// An IPv4 or IPv6 address in network byte order (IPv4 uses the first 4 bytes).
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v6 = false;
  auto operator<=>(const IpAddress&) const = default;
};
std::string to_string(const IpAddress& a);
// Accepts dotted IPv4 ("10.0.0.1") or IPv6 text ("fd00::1"); throws ParseError otherwise.
IpAddress parse_ip_address(std::string_view text);

enum class IpProto : uint8_t { kTcp = 6, kUdp = 17 };

// One direction of a 5-tuple.
struct FlowKey {
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;
  IpProto proto = IpProto::kTcp;
  auto operator<=>(const FlowKey&) const = default;
};
std::string to_string(const FlowKey& f);  // "tcp 10.0.0.1:40000 > 10.0.0.2:29500"

// What the importer needs of one captured packet.
struct CapturedPacket {
  Nanos t;                          // capture timestamp
  FlowKey flow;
  uint32_t payload = 0;             // transport payload bytes (TCP: after options; UDP: after header)
  std::optional<uint32_t> tcp_seq;  // TCP: sequence number of the first payload byte
};

struct ImportOptions {
  Nanos burst_gap = Nanos::from_ms(1);    // a silence > this within a flow ends a message
  Nanos step_gap = Nanos::from_ms(100);   // a silence > this on all flows starts a new step
  Bytes min_message{1};                   // messages smaller than this are dropped (control chatter)
  uint32_t skip_steps = 0;                // drop the first steps (set-up traffic), renumber the rest
  // When non-empty (strictly increasing, capture clock): step s starts at step_marks[s] instead of
  // being found from silences; a message never spans a mark; messages before the first are dropped.
  std::vector<Nanos> step_marks;
};

// A burst of payload on one flow.
struct Message {
  FlowKey flow;
  Nanos start, end;  // first and last packet that carried new payload
  uint64_t bytes = 0;
  uint32_t packets = 0;
  uint32_t step = 0;
  Nanos step_start;  // when its step began: its mark, or when the previous step's traffic ended
};

struct ImportStats {
  uint64_t packets = 0;              // packets given to add()
  uint64_t empty_packets = 0;        // no payload (pure ACKs, SYN/FIN without data)
  uint64_t duplicate_bytes = 0;      // TCP payload already seen (retransmissions)
  uint64_t dropped_messages = 0;     // below min_message
  uint64_t skipped_messages = 0;     // in the skipped first steps, or before the first step mark
  uint64_t flows = 0;                // flows that carried payload
};

// Groups packets into messages. add() in capture order; finish() once.
class MessageAssembler {
 public:
  explicit MessageAssembler(const ImportOptions& options);
  void add(const CapturedPacket& p);
  // All messages sorted by start time (ties: by flow), with steps assigned (from 0, after skip_steps).
  std::vector<Message> finish();
  const ImportStats& stats() const { return stats_; }

 private:
  struct Flow {
    int64_t last_seq = 0;              // unwrapped sequence number of the last packet
    bool have_seq = false;
    std::map<int64_t, int64_t> seen;   // unwrapped [begin, end) TCP ranges already counted
    std::optional<Message> open;
  };
  uint64_t new_tcp_bytes(Flow& f, uint32_t seq, uint32_t len);
  void close(Flow& f);
  size_t mark_index(Nanos t) const;

  ImportOptions options_;
  std::map<FlowKey, Flow> flows_;
  std::vector<Message> done_;
  ImportStats stats_;
};

// Address → (site, rank). Empty = automatic: each distinct address is its own site (rank 0), in
// order of first appearance.
using SiteMap = std::map<IpAddress, SiteRank>;
// "10.0.0.1=0,10.0.0.2=1" or with ranks "10.0.0.1=0:0,10.0.0.3=0:1,10.0.0.2=1:0".
SiteMap parse_site_map(std::string_view text);

struct TraceOptions {
  SiteMap sites;                             // empty = automatic
  CollectiveOp op = CollectiveOp::kSend;     // the op written on every event
  Provenance provenance;                     // source/tool/model/... from the caller; the importer
                                             // fills world_size, sites, ranks_per_site, steps
};

// Parses a step-marks file: one integer ns timestamp per line on the capture's clock (CLOCK_REALTIME
// for tcpdump), strictly increasing; '#' starts a comment. ParseError "<source>:<line>: ...".
std::vector<Nanos> parse_step_marks(std::string_view text, std::string_view source);

// Messages (from MessageAssembler::finish) → events. t = start − the first step's start;
// step = the message's step; bucket = the message's index within its step; round 0;
// after_compute = start − its step's start (a mark, or for silence-found steps: step 0 starts at its
// first message and step s when the traffic of step s−1 ended — DDP's compute resumes when the
// all-reduce is done). Throws ParseError when there are no messages, an address is missing from the site map, or
// a message's source and destination map to the same site and rank.
GradientTrace build_gradient_trace(const std::vector<Message>& messages, const TraceOptions& options);

}  // namespace lh::traces
