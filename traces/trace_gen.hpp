// trace_gen.hpp — synthetic gradient traces: the inter-site transfers of DDP, DiLoCo and Streaming
// DiLoCo training over ring or hierarchical all-reduce, in the ideal (infinitely fast network) schedule.
//
// Gradient bytes = params x dtype size (fp4 = 0.5 B/param, rounded up). Only transfers that cross a
// site boundary are emitted: intra-site traffic (NVLink/NVSwitch) is assumed free. Model sizes are
// Llama 3's (Grattafiori et al., "The Llama 3 Herd of Models", 2024): 8.03e9, 70.6e9, 405.9e9.
// DDP bucketing follows PyTorch DDP (Li et al., VLDB 2020); DiLoCo: Douillard et al. 2023; Streaming
// DiLoCo: Douillard et al. 2025. Full semantics: traces/FORMATS.md "Generated traces". Pure code:
// the generator streams events to a sink, so a 10^8-event trace needs no memory beyond one event.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/units.hpp"
#include "traces/gradient_trace.hpp"

namespace lh::traces {

enum class Dtype : uint8_t { kBf16, kFp32, kInt8, kFp4 };
enum class Collective : uint8_t { kRing, kHierarchical };
enum class PatternKind : uint8_t { kDdp, kDiloco, kStreamingDiloco };

struct Pattern {
  PatternKind kind = PatternKind::kDdp;
  uint32_t h = 100;        // DiLoCo inner steps per outer sync
  uint32_t fragments = 1;  // Streaming DiLoCo: number of fragments (1..h)
  bool operator==(const Pattern&) const = default;
};

inline constexpr uint64_t kMiB = uint64_t{1} << 20;

struct GenConfig {
  std::string model = "8b";  // "8b" | "70b" | "405b" | "params=N" (as given; see parse_model)
  uint64_t params = 8'030'000'000;
  Dtype dtype = Dtype::kBf16;
  uint32_t sites = 2;           // 2..8
  uint32_t ranks_per_site = 1;  // >= 1
  Pattern pattern;
  Collective collective = Collective::kHierarchical;
  Bytes bucket{25 * kMiB};      // DDP bucket cap
  Bytes first_bucket{1 * kMiB}; // DDP's first (smallest) bucket
  Nanos step_compute = Nanos::from_ms(500);
  uint32_t steps = 1;
};

// ---- flag parsing (throw ParseError: what was wrong and what is accepted) --------------------------
uint64_t parse_model(std::string_view text);  // params; "8b", "70b", "405b" or "params=N"
Dtype parse_dtype(std::string_view text);
Pattern parse_pattern(std::string_view text);  // "ddp", "diloco:H=100", "streaming-diloco:fragments=4[,H=100]"
Collective parse_collective(std::string_view text);
std::string_view to_string(Dtype d);
std::string_view to_string(Collective c);
std::string to_string(const Pattern& p);  // canonical form, parse_pattern round-trips it

// Throws ParseError if a field is out of range (sites outside 2..8, zero sizes, ...).
void validate(const GenConfig& cfg);

// ---- closed forms, shared with the tests ----------------------------------------------------------
// params x dtype size in bytes (fp4: ceil(params / 2)).
uint64_t gradient_bytes(uint64_t params, Dtype dtype);
// Part i of `total` split into `parts` (sizes differ by at most 1; the first total % parts are larger).
constexpr uint64_t split_part(uint64_t total, uint64_t parts, uint64_t i) {
  return total / parts + (i < total % parts ? 1 : 0);
}
// Ring all-reduce over n members: the chunk member i sends to member (i+1) mod n in round k of
// 2(n-1): (i-k) mod n during reduce-scatter (k < n-1), (i+1-k') mod n during all-gather (k' = k-(n-1)).
constexpr uint32_t ring_chunk(uint32_t n, uint32_t k, uint32_t i) {
  return k < n - 1 ? (i + n - k) % n : (i + 1 + n - (k - (n - 1))) % n;
}
// DDP bucket sizes, in the order buckets become ready (reverse parameter order): first_bucket, then
// bucket-sized ones, the last the remainder. Sum == total.
uint64_t ddp_bucket_count(uint64_t total, Bytes first_bucket, Bytes bucket);
uint64_t ddp_bucket_size(uint64_t total, Bytes first_bucket, Bytes bucket, uint64_t k);
std::vector<uint64_t> ddp_bucket_sizes(uint64_t total, Bytes first_bucket, Bytes bucket);

// ---- generation -----------------------------------------------------------------------------------
using EventSink = std::function<void(const TraceEvent&)>;

// The inter-site transfers of one all-reduce of `bytes` with cfg.collective over cfg's world. Every
// emitted event copies `base` (t, step, bucket, after_compute) and sets src, dst, bytes, op, round.
void emit_all_reduce(const GenConfig& cfg, uint64_t bytes, const TraceEvent& base, const EventSink& sink);

// The whole trace's events in file order (t non-decreasing). cfg must pass validate().
void generate_events(const GenConfig& cfg, const EventSink& sink);

// The header for a generated trace; tool = canonical_command(cfg).
Provenance generated_provenance(const GenConfig& cfg);
// "lh-trace gen --model 8b --dtype bf16 ..." with every option spelled out.
std::string canonical_command(const GenConfig& cfg);

// Everything in memory (tests, small traces).
GradientTrace generate_trace(const GenConfig& cfg);

}  // namespace lh::traces
