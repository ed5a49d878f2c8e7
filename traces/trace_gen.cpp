// trace_gen.cpp — the synthetic gradient-trace generator (see trace_gen.hpp, FORMATS.md).
//
// Ring all-reduce (Patarasuk & Yuan 2009): W ranks ordered site-major, 2(W-1) rounds; in round k
// rank g sends one of W chunks to g+1: chunk (g-k) mod W during reduce-scatter (k < W-1), chunk
// (g+1-k') mod W during all-gather (k' = k-(W-1)). Each round therefore moves every chunk exactly
// once, so the totals are exact even when the size does not divide by W. Hierarchical: per local
// rank r a ring among the `sites` ranks with local index r over shard r of the data.
#include "traces/trace_gen.hpp"

#include <fmt/format.h>

#include <charconv>

namespace lh::traces {
namespace {

constexpr uint64_t kMaxParams = uint64_t{1} << 50;  // 10^15: far above any model, keeps byte math in range

std::optional<uint64_t> whole_number(std::string_view s) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

uint32_t pattern_number(std::string_view key, std::string_view value, std::string_view text) {
  const auto v = whole_number(value);
  if (!v || *v == 0 || *v > 1'000'000) {
    throw ParseError(fmt::format("pattern \"{}\": {}={} is not a whole number from 1 to 1000000", text, key, value));
  }
  return static_cast<uint32_t>(*v);
}

// One ring all-reduce of `bytes` over `n` members; member(i) names member i. Emits only the edges
// for which crosses(i) is true (the edge from member i to member (i+1) mod n).
template <typename Member, typename Crosses>
void ring(uint32_t n, uint64_t bytes, const TraceEvent& base, Member member, Crosses crosses,
          const EventSink& sink) {
  if (n < 2) return;
  TraceEvent e = base;
  e.op = CollectiveOp::kAllReduce;
  for (uint32_t k = 0; k < 2 * (n - 1); ++k) {
    e.round = k;
    for (uint32_t i = 0; i < n; ++i) {
      if (!crosses(i)) continue;
      e.bytes = split_part(bytes, n, ring_chunk(n, k, i));
      if (e.bytes == 0) continue;  // fewer bytes than members: some chunks are empty
      e.src = member(i);
      e.dst = member((i + 1) % n);
      sink(e);
    }
  }
}

}  // namespace

uint64_t parse_model(std::string_view text) {
  if (text == "8b") return 8'030'000'000;
  if (text == "70b") return 70'600'000'000;
  if (text == "405b") return 405'900'000'000;
  if (text.starts_with("params=")) {
    const auto v = whole_number(text.substr(7));
    if (v && *v > 0 && *v <= kMaxParams) return *v;
    throw ParseError(fmt::format("model \"{}\": params must be a whole number from 1 to {}", text, kMaxParams));
  }
  throw ParseError(fmt::format("unknown model \"{}\" (accepted: 8b, 70b, 405b or params=N)", text));
}

Dtype parse_dtype(std::string_view text) {
  if (text == "bf16") return Dtype::kBf16;
  if (text == "fp32") return Dtype::kFp32;
  if (text == "int8") return Dtype::kInt8;
  if (text == "fp4") return Dtype::kFp4;
  throw ParseError(fmt::format("unknown dtype \"{}\" (accepted: bf16, fp32, int8, fp4)", text));
}

Collective parse_collective(std::string_view text) {
  if (text == "ring") return Collective::kRing;
  if (text == "hierarchical") return Collective::kHierarchical;
  throw ParseError(fmt::format("unknown collective \"{}\" (accepted: ring, hierarchical)", text));
}

Pattern parse_pattern(std::string_view text) {
  const size_t colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  std::string_view args = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  Pattern p;
  if (kind == "ddp") {
    p.kind = PatternKind::kDdp;
  } else if (kind == "diloco") {
    p.kind = PatternKind::kDiloco;
  } else if (kind == "streaming-diloco") {
    p.kind = PatternKind::kStreamingDiloco;
  } else {
    throw ParseError(fmt::format("unknown pattern \"{}\" (accepted: ddp, diloco:H=N, streaming-diloco:fragments=F[,H=N])", text));
  }
  if (colon != std::string_view::npos && (p.kind == PatternKind::kDdp || args.empty())) {
    throw ParseError(fmt::format("pattern \"{}\": malformed (accepted: ddp, diloco:H=N, streaming-diloco:fragments=F[,H=N])", text));
  }
  bool have_fragments = false;
  while (!args.empty()) {
    const size_t comma = args.find(',');
    const std::string_view item = args.substr(0, comma);
    args = comma == std::string_view::npos ? std::string_view{} : args.substr(comma + 1);
    if (comma != std::string_view::npos && args.empty()) throw ParseError(fmt::format("pattern \"{}\": trailing comma", text));
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    if (eq == std::string_view::npos) throw ParseError(fmt::format("pattern \"{}\": \"{}\" is not key=value", text, item));
    const std::string_view value = item.substr(eq + 1);
    if (key == "H") {
      p.h = pattern_number(key, value, text);
    } else if (key == "fragments" && p.kind == PatternKind::kStreamingDiloco) {
      p.fragments = pattern_number(key, value, text);
      have_fragments = true;
    } else {
      throw ParseError(fmt::format("pattern \"{}\": unknown parameter \"{}\" (diloco takes H; streaming-diloco takes fragments and H)", text, key));
    }
  }
  if (p.kind == PatternKind::kStreamingDiloco && !have_fragments) {
    throw ParseError(fmt::format("pattern \"{}\": streaming-diloco needs fragments=F", text));
  }
  if (p.fragments > p.h) {
    throw ParseError(fmt::format("pattern \"{}\": fragments ({}) must be at most H ({})", text, p.fragments, p.h));
  }
  return p;
}

std::string_view to_string(Dtype d) {
  constexpr std::string_view kNames[] = {"bf16", "fp32", "int8", "fp4"};
  return kNames[static_cast<size_t>(d)];
}

std::string_view to_string(Collective c) { return c == Collective::kRing ? "ring" : "hierarchical"; }

std::string to_string(const Pattern& p) {
  switch (p.kind) {
    case PatternKind::kDdp: return "ddp";
    case PatternKind::kDiloco: return fmt::format("diloco:H={}", p.h);
    case PatternKind::kStreamingDiloco: return fmt::format("streaming-diloco:fragments={},H={}", p.fragments, p.h);
  }
  return "ddp";
}

void validate(const GenConfig& c) {
  if (c.sites < 2 || c.sites > 8) throw ParseError(fmt::format("--sites {}: must be from 2 to 8", c.sites));
  if (c.ranks_per_site < 1 || c.ranks_per_site > 4096) {
    throw ParseError(fmt::format("--ranks-per-site {}: must be from 1 to 4096", c.ranks_per_site));
  }
  if (c.params == 0 || c.params > kMaxParams) throw ParseError(fmt::format("params {}: must be from 1 to {}", c.params, kMaxParams));
  if (c.bucket.n == 0) throw ParseError("--bucket: must be at least 1B");
  if (c.first_bucket.n == 0) throw ParseError("--first-bucket: must be at least 1B");
  if (c.step_compute.ns <= 0) throw ParseError("--step-compute: must be above 0ns");
  if (c.steps == 0) throw ParseError("--steps: must be at least 1");
  if (c.step_compute.ns > INT64_MAX / (int64_t{c.steps} + 1)) throw ParseError("--step-compute x --steps: too long (overflows int64 ns)");
  if (c.pattern.h == 0 || c.pattern.fragments == 0 || c.pattern.fragments > c.pattern.h) {
    throw ParseError("pattern: need 1 <= fragments <= H");
  }
  const uint64_t total = gradient_bytes(c.params, c.dtype);
  if (c.pattern.kind == PatternKind::kDdp && ddp_bucket_count(total, c.first_bucket, c.bucket) > UINT32_MAX) {
    throw ParseError("--bucket: too small for this model (more than 2^32 buckets)");
  }
}

uint64_t gradient_bytes(uint64_t params, Dtype dtype) {
  switch (dtype) {
    case Dtype::kBf16: return params * 2;
    case Dtype::kFp32: return params * 4;
    case Dtype::kInt8: return params;
    case Dtype::kFp4: return (params + 1) / 2;
  }
  return params;
}

uint64_t ddp_bucket_count(uint64_t total, Bytes first_bucket, Bytes bucket) {
  if (total <= first_bucket.n) return 1;
  return 1 + (total - first_bucket.n + bucket.n - 1) / bucket.n;
}

uint64_t ddp_bucket_size(uint64_t total, Bytes first_bucket, Bytes bucket, uint64_t k) {
  if (k == 0) return std::min(total, first_bucket.n);
  const uint64_t start = first_bucket.n + (k - 1) * bucket.n;
  return std::min(bucket.n, total - start);
}

std::vector<uint64_t> ddp_bucket_sizes(uint64_t total, Bytes first_bucket, Bytes bucket) {
  std::vector<uint64_t> out(ddp_bucket_count(total, first_bucket, bucket));
  for (uint64_t k = 0; k < out.size(); ++k) out[k] = ddp_bucket_size(total, first_bucket, bucket, k);
  return out;
}

void emit_all_reduce(const GenConfig& cfg, uint64_t bytes, const TraceEvent& base, const EventSink& sink) {
  const uint32_t r_per = cfg.ranks_per_site;
  if (cfg.collective == Collective::kRing) {
    const uint32_t w = cfg.sites * r_per;
    ring(
        w, bytes, base, [r_per](uint32_t g) { return SiteRank{.site = g / r_per, .rank = g % r_per}; },
        [r_per](uint32_t g) { return g % r_per == r_per - 1; }, sink);
    return;
  }
  // Hierarchical: the intra-site reduce-scatter leaves local rank r with shard r of the sum; the
  // ranks with local index r then all-reduce that shard across sites (every edge crosses a site).
  // Intra-site reduce-scatter and all-gather are not emitted.
  for (uint32_t r = 0; r < r_per; ++r) {
    ring(
        cfg.sites, split_part(bytes, r_per, r), base, [r](uint32_t i) { return SiteRank{.site = i, .rank = r}; },
        [](uint32_t) { return true; }, sink);
  }
}

void generate_events(const GenConfig& cfg, const EventSink& sink) {
  const uint64_t total = gradient_bytes(cfg.params, cfg.dtype);
  const Nanos c = cfg.step_compute;
  const Nanos forward = c / 3;
  const Nanos backward = c - forward;
  for (uint32_t s = 0; s < cfg.steps; ++s) {
    const Nanos start = c * s;
    TraceEvent base;
    base.step = s;
    switch (cfg.pattern.kind) {
      case PatternKind::kDdp: {
        const uint64_t buckets = ddp_bucket_count(total, cfg.first_bucket, cfg.bucket);
        uint64_t cumulative = 0;
        for (uint64_t k = 0; k < buckets; ++k) {
          const uint64_t size = ddp_bucket_size(total, cfg.first_bucket, cfg.bucket, k);
          cumulative += size;
          const auto produced = static_cast<unsigned __int128>(backward.ns) * cumulative / total;
          base.after_compute = forward + Nanos{static_cast<int64_t>(produced)};
          base.t = start + base.after_compute;
          base.bucket = static_cast<uint32_t>(k);
          emit_all_reduce(cfg, size, base, sink);
        }
        break;
      }
      case PatternKind::kDiloco:
        if ((s + 1) % cfg.pattern.h == 0) {
          base.after_compute = c;
          base.t = start + c;
          base.bucket = 0;
          emit_all_reduce(cfg, total, base, sink);
        }
        break;
      case PatternKind::kStreamingDiloco:
        for (uint32_t f = 0; f < cfg.pattern.fragments; ++f) {
          if (s % cfg.pattern.h != static_cast<uint64_t>(f) * cfg.pattern.h / cfg.pattern.fragments) continue;
          base.after_compute = c;
          base.t = start + c;
          base.bucket = f;
          emit_all_reduce(cfg, split_part(total, cfg.pattern.fragments, f), base, sink);
        }
        break;
    }
  }
}

std::string canonical_command(const GenConfig& cfg) {
  std::string cmd = fmt::format("lh-trace gen --model {} --dtype {} --sites {} --ranks-per-site {} --pattern {} --collective {}",
                                cfg.model, to_string(cfg.dtype), cfg.sites, cfg.ranks_per_site, to_string(cfg.pattern),
                                to_string(cfg.collective));
  if (cfg.pattern.kind == PatternKind::kDdp) {
    cmd += fmt::format(" --bucket {} --first-bucket {}", format(cfg.bucket), format(cfg.first_bucket));
  }
  cmd += fmt::format(" --step-compute {} --steps {}", format(cfg.step_compute), cfg.steps);
  return cmd;
}

Provenance generated_provenance(const GenConfig& cfg) {
  Provenance p;
  p.source = "generated";
  p.tool = canonical_command(cfg);
  p.model = cfg.model;
  p.params = cfg.params;
  p.dtype = std::string(to_string(cfg.dtype));
  p.pattern = to_string(cfg.pattern);
  p.collective = std::string(to_string(cfg.collective));
  p.sites = cfg.sites;
  p.ranks_per_site = cfg.ranks_per_site;
  p.world_size = cfg.sites * cfg.ranks_per_site;
  p.step_compute = cfg.step_compute;
  p.steps = cfg.steps;
  p.notes = "ideal schedule (infinitely fast network); only inter-site transfers (intra-site traffic assumed free)";
  return p;
}

GradientTrace generate_trace(const GenConfig& cfg) {
  validate(cfg);
  GradientTrace t;
  t.provenance = generated_provenance(cfg);
  generate_events(cfg, [&t](const TraceEvent& e) { t.events.push_back(e); });
  return t;
}

}  // namespace lh::traces
