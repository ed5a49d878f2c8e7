// gradient_trace.hpp — gradient-traffic traces (format v1, traces/FORMATS.md "Gradient traces").
//
// A trace is JSON Lines: line 1 a header with the provenance, then one point-to-point transfer per
// line (who sends how many bytes to whom, in which step/bucket/round, and after how much compute).
// Generated (lh-trace gen), recorded from real training or imported from pcap; replayed over a link.
// Times are integer ns (lh::Nanos), sizes whole bytes. Validation is strict: every error is a
// lh::ParseError "<file>:<line>: <what was wrong> (<what is accepted>)". Setup-time code: allocates
// and throws; the streaming reader/writer let tools handle traces larger than memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/units.hpp"

namespace lh::traces {

inline constexpr std::string_view kGradientTraceFormat = "lh-gradient-trace";
inline constexpr int kGradientTraceVersion = 1;

// The collective a transfer is part of (the JSON "op").
enum class CollectiveOp : uint8_t { kAllReduce, kReduceScatter, kAllGather, kSend };

struct SiteRank {
  uint32_t site = 0;
  uint32_t rank = 0;  // rank within its site, in [0, ranks_per_site)
  bool operator==(const SiteRank&) const = default;
};

// One point-to-point transfer. t: start in the ideal-network schedule (ns since trace start).
// after_compute: the transfer may start once this much of its step's compute has run.
struct TraceEvent {
  Nanos t;
  uint32_t step = 0;
  SiteRank src, dst;
  uint64_t bytes = 0;
  CollectiveOp op = CollectiveOp::kAllReduce;
  uint32_t bucket = 0;
  uint32_t round = 0;
  Nanos after_compute;
  bool operator==(const TraceEvent&) const = default;
};

// The header's "provenance" object. Empty `created`/`notes` = absent in the file.
struct Provenance {
  std::string source;   // "generated" | "recorded" | "pcap"
  std::string tool;     // the command line or script that made the trace
  std::string created;  // optional, e.g. "2026-11-26T06:00:00Z"
  std::optional<std::string> model, dtype, pattern, collective;
  std::optional<uint64_t> params;
  uint32_t world_size = 0, sites = 0, ranks_per_site = 0;  // world_size == sites * ranks_per_site
  std::optional<Nanos> step_compute;                      // ideal compute time per step
  uint32_t steps = 0;                                     // every event's step is < steps
  std::string notes;
  bool operator==(const Provenance&) const = default;
};

struct GradientTrace {
  Provenance provenance;
  std::vector<TraceEvent> events;
  bool operator==(const GradientTrace&) const = default;
};

std::string_view to_string(CollectiveOp op);
std::optional<CollectiveOp> parse_collective_op(std::string_view text);

// Whole-trace reading; `source` names the text in error messages (usually the file path).
GradientTrace parse_gradient_trace(std::string_view text, std::string_view source);
GradientTrace load_gradient_trace(const std::filesystem::path& file);

// Writes the header line then one line per event; parse_gradient_trace(written) == t.
// Does not validate `t` (validate by parsing if the producer is untrusted).
void write_gradient_trace(std::ostream& out, const GradientTrace& t);

// Streaming pieces of the writer, for producers that must not hold all events in memory.
void write_gradient_trace_header(std::ostream& out, const Provenance& p);
void write_gradient_event(std::ostream& out, const TraceEvent& e);

// Streaming reader with the same validation as parse_gradient_trace. The constructor reads and
// checks the header (throws ParseError); next() returns false at the end of the input.
class GradientTraceReader {
 public:
  GradientTraceReader(std::istream& in, std::string source);
  const Provenance& provenance() const { return provenance_; }
  bool next(TraceEvent& event);
  size_t line() const { return line_; }  // 1-based number of the last line read

 private:
  std::istream& in_;
  std::string source_;
  Provenance provenance_;
  size_t line_ = 0;
  std::optional<TraceEvent> last_;
  std::string buf_;
};

// Validation shared by the readers, usable by producers that build events in memory: checks one
// event against the header and its predecessor (nullptr for the first); throws ParseError
// "<source>:<line>: ...".
void check_gradient_event(const TraceEvent& e, const TraceEvent* previous, const Provenance& p,
                          std::string_view source, size_t line);

}  // namespace lh::traces
