// gradient_trace.cpp — strict reader and writer of gradient traces (format: traces/FORMATS.md).
//
// Each line is parsed with nlohmann::json, then every key is checked against the format: unknown or
// missing keys, wrong types, out-of-range values and order violations (time or step going
// backwards) are ParseErrors naming the file, the 1-based line, what was wrong and what is accepted.
// The event writer formats its all-integer lines with fmt (fast for 10^7-event traces); the header,
// which carries free text, is written with nlohmann::json so strings are escaped correctly.
#include "traces/gradient_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <istream>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "src/link_trace.hpp"

namespace lh::traces {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 4> kOpNames = {"all-reduce", "reduce-scatter", "all-gather", "send"};
constexpr std::string_view kOpsAccepted = "all-reduce, reduce-scatter, all-gather or send";

struct Where {
  std::string_view source;
  size_t line;
  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError(fmt::format("{}:{}: {}", source, line, what));
  }
};

std::string_view type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_float: return "a non-integer number";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    default: return "an unsupported value";
  }
}

json parse_line(std::string_view text, const Where& w) {
  json j;
  // nlohmann keeps the last of duplicate keys; a repeated key is as suspicious as an unknown one.
  std::vector<std::vector<std::string>> open_objects;
  std::string duplicate;
  const json::parser_callback_t track_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty()) {
      auto& keys = open_objects.back();
      std::string key = parsed.get<std::string>();
      if (std::find(keys.begin(), keys.end(), key) != keys.end() && duplicate.empty()) duplicate = key;
      keys.push_back(std::move(key));
    }
    return true;
  };
  try {
    j = json::parse(text.begin(), text.end(), track_keys);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a float like 1E999
    // nlohmann's message starts "[json.exception.parse_error.101] parse error at ..."; keep the tail.
    // The position is within this one line, so drop nlohmann's "line 1, ".
    std::string what = e.what();
    const size_t at = what.find("] ");
    if (at != std::string::npos) what.erase(0, at + 2);
    if (const size_t l = what.find("line 1, "); l != std::string::npos) what.erase(l, 8);
    w.fail("not valid JSON: " + what + " (each line is one JSON object)");
  }
  if (!duplicate.empty()) w.fail(fmt::format("duplicate key \"{}\" (each key at most once per object)", duplicate));
  if (!j.is_object()) w.fail(fmt::format("expected a JSON object, got {} (each line is one JSON object)", type_name(j)));
  return j;
}

// Refuses keys of `obj` outside `allowed`; `what` names the object ("event", "provenance", ...).
void check_keys(const json& obj, std::initializer_list<std::string_view> allowed, std::string_view what,
                const Where& w) {
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (const std::string_view a : allowed) ok = ok || key == a;
    if (!ok) {
      std::string list;
      for (const std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      w.fail(fmt::format("unknown key \"{}\" in the {} (accepted: {})", key, what, list));
    }
  }
}

const json* find(const json& obj, std::string_view key) {
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const json& require(const json& obj, std::string_view key, std::string_view what, const Where& w) {
  const json* v = find(obj, key);
  if (v == nullptr) w.fail(fmt::format("missing key \"{}\" in the {}", key, what));
  return *v;
}

uint64_t as_uint(const json& v, std::string_view key, uint64_t max, const Where& w) {
  if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
    const uint64_t n = v.get<uint64_t>();
    if (n > max) w.fail(fmt::format("\"{}\": {} is too large (an integer from 0 to {})", key, n, max));
    return n;
  }
  if (v.is_number_integer()) w.fail(fmt::format("\"{}\": {} is negative (an integer from 0 to {})", key, v.get<int64_t>(), max));
  w.fail(fmt::format("\"{}\": expected an integer from 0 to {}, got {}", key, max, type_name(v)));
}

std::string as_string(const json& v, std::string_view key, const Where& w) {
  if (!v.is_string()) w.fail(fmt::format("\"{}\": expected a string, got {}", key, type_name(v)));
  return v.get<std::string>();
}

// A key that may be absent or null (→ nullopt).
const json* optional_value(const json& obj, std::string_view key) {
  const json* v = find(obj, key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

std::optional<std::string> optional_choice(const json& obj, std::string_view key,
                                           std::initializer_list<std::string_view> accepted, const Where& w) {
  const json* v = optional_value(obj, key);
  if (v == nullptr) return std::nullopt;
  std::string s = as_string(*v, key, w);
  if (accepted.size() == 0) {
    if (s.empty()) w.fail(fmt::format("\"{}\": empty string (a non-empty string or null)", key));
    return s;
  }
  std::string list;
  for (const std::string_view a : accepted) {
    if (s == a) return s;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  w.fail(fmt::format("\"{}\": unknown value \"{}\" (accepted: {} or null)", key, s, list));
}

constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kI64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

Provenance parse_header(std::string_view text, const Where& w) {
  const json h = parse_line(text, w);
  check_keys(h, {"format", "version", "provenance"}, "header", w);
  const json& format = require(h, "format", "header", w);
  if (!format.is_string() || format.get<std::string>() != kGradientTraceFormat) {
    w.fail(fmt::format("bad header: \"format\" is {} (expected \"{}\")", format.dump(), kGradientTraceFormat));
  }
  const json& version = require(h, "version", "header", w);
  if (!version.is_number_integer() || version.get<int64_t>() != kGradientTraceVersion) {
    w.fail(fmt::format("bad header: unsupported \"version\" {} (this reader accepts {})", version.dump(),
                       kGradientTraceVersion));
  }
  const json& pj = require(h, "provenance", "header", w);
  if (!pj.is_object()) w.fail(fmt::format("bad header: \"provenance\" must be an object, got {}", type_name(pj)));
  check_keys(pj,
             {"source", "tool", "created", "model", "params", "dtype", "pattern", "collective", "world_size",
              "sites", "ranks_per_site", "step_compute_ns", "steps", "notes"},
             "provenance", w);
  Provenance p;
  p.source = as_string(require(pj, "source", "provenance", w), "source", w);
  if (p.source != "generated" && p.source != "recorded" && p.source != "pcap") {
    w.fail(fmt::format("\"source\": unknown value \"{}\" (accepted: generated, recorded, pcap)", p.source));
  }
  p.tool = as_string(require(pj, "tool", "provenance", w), "tool", w);
  if (p.tool.empty()) w.fail("\"tool\": empty (the command line or script that made the trace)");
  if (const json* v = optional_value(pj, "created")) p.created = as_string(*v, "created", w);
  require(pj, "model", "provenance", w);  // required key, may be null
  p.model = optional_choice(pj, "model", {}, w);
  if (const json* v = optional_value(pj, "params")) {
    p.params = as_uint(*v, "params", UINT64_MAX, w);
    if (*p.params == 0) w.fail("\"params\": must be > 0 (or null)");
  }
  p.dtype = optional_choice(pj, "dtype", {"bf16", "fp32", "int8", "fp4"}, w);
  p.pattern = optional_choice(pj, "pattern", {}, w);
  p.collective = optional_choice(pj, "collective", {"ring", "hierarchical"}, w);
  p.world_size = static_cast<uint32_t>(as_uint(require(pj, "world_size", "provenance", w), "world_size", kU32, w));
  p.sites = static_cast<uint32_t>(as_uint(require(pj, "sites", "provenance", w), "sites", kU32, w));
  p.ranks_per_site =
      static_cast<uint32_t>(as_uint(require(pj, "ranks_per_site", "provenance", w), "ranks_per_site", kU32, w));
  if (p.sites == 0 || p.ranks_per_site == 0) w.fail("\"sites\" and \"ranks_per_site\" must be >= 1");
  if (uint64_t{p.sites} * p.ranks_per_site != p.world_size) {
    w.fail(fmt::format("\"world_size\" {} != sites {} x ranks_per_site {}", p.world_size, p.sites, p.ranks_per_site));
  }
  if (const json* v = optional_value(pj, "step_compute_ns")) {
    p.step_compute = Nanos{static_cast<int64_t>(as_uint(*v, "step_compute_ns", kI64, w))};
  }
  p.steps = static_cast<uint32_t>(as_uint(require(pj, "steps", "provenance", w), "steps", kU32, w));
  if (const json* v = optional_value(pj, "notes")) p.notes = as_string(*v, "notes", w);
  return p;
}

SiteRank parse_endpoint(const json& v, std::string_view key, const Where& w) {
  if (!v.is_object()) {
    w.fail(fmt::format("\"{}\": expected an object {{\"site\":S,\"rank\":R}}, got {}", key, type_name(v)));
  }
  const std::string what = fmt::format("\"{}\" object", key);
  check_keys(v, {"site", "rank"}, what, w);
  return {.site = static_cast<uint32_t>(as_uint(require(v, "site", what, w), "site", kU32, w)),
          .rank = static_cast<uint32_t>(as_uint(require(v, "rank", what, w), "rank", kU32, w))};
}

TraceEvent parse_event(std::string_view text, const Where& w) {
  const json j = parse_line(text, w);
  check_keys(j, {"t_ns", "step", "src", "dst", "bytes", "op", "bucket", "round", "after_compute_ns"}, "event", w);
  TraceEvent e;
  e.t = Nanos{static_cast<int64_t>(as_uint(require(j, "t_ns", "event", w), "t_ns", kI64, w))};
  e.step = static_cast<uint32_t>(as_uint(require(j, "step", "event", w), "step", kU32, w));
  e.src = parse_endpoint(require(j, "src", "event", w), "src", w);
  e.dst = parse_endpoint(require(j, "dst", "event", w), "dst", w);
  e.bytes = as_uint(require(j, "bytes", "event", w), "bytes", UINT64_MAX, w);
  const std::string op = as_string(require(j, "op", "event", w), "op", w);
  const auto parsed = parse_collective_op(op);
  if (!parsed) w.fail(fmt::format("unknown op \"{}\" (accepted: {})", op, kOpsAccepted));
  e.op = *parsed;
  e.bucket = static_cast<uint32_t>(as_uint(require(j, "bucket", "event", w), "bucket", kU32, w));
  if (const json* r = find(j, "round")) e.round = static_cast<uint32_t>(as_uint(*r, "round", kU32, w));
  e.after_compute = Nanos{static_cast<int64_t>(as_uint(require(j, "after_compute_ns", "event", w),
                                                       "after_compute_ns", kI64, w))};
  return e;
}

std::string_view strip_cr(std::string_view s) {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

}  // namespace

std::string_view to_string(CollectiveOp op) { return kOpNames[static_cast<size_t>(op)]; }

std::optional<CollectiveOp> parse_collective_op(std::string_view text) {
  for (size_t i = 0; i < kOpNames.size(); ++i) {
    if (text == kOpNames[i]) return static_cast<CollectiveOp>(i);
  }
  return std::nullopt;
}

void check_gradient_event(const TraceEvent& e, const TraceEvent* previous, const Provenance& p,
                          std::string_view source, size_t line) {
  const Where w{source, line};
  const auto endpoint = [&](const SiteRank& s, std::string_view key) {
    if (s.site >= p.sites) w.fail(fmt::format("\"{}\": site {} out of range (0 to {})", key, s.site, p.sites - 1));
    if (s.rank >= p.ranks_per_site) {
      w.fail(fmt::format("\"{}\": rank {} out of range (0 to {}, the rank within its site)", key, s.rank,
                         p.ranks_per_site - 1));
    }
  };
  endpoint(e.src, "src");
  endpoint(e.dst, "dst");
  if (e.src == e.dst) w.fail(fmt::format("src == dst (site {} rank {}) (a transfer goes between two ranks)", e.src.site, e.src.rank));
  if (e.bytes == 0) w.fail("\"bytes\": 0 (a transfer carries at least 1 byte)");
  if (p.steps == 0) w.fail("an event in a trace whose header says \"steps\": 0 (steps must count the steps with events)");
  if (e.step >= p.steps) w.fail(fmt::format("\"step\": {} out of range (0 to {}, the header's steps - 1)", e.step, p.steps - 1));
  if (p.step_compute && e.after_compute > *p.step_compute) {
    w.fail(fmt::format("\"after_compute_ns\": {} exceeds the step's compute ({} ns, the header's step_compute_ns)",
                       e.after_compute.ns, p.step_compute->ns));
  }
  if (previous != nullptr) {
    if (e.t < previous->t) {
      w.fail(fmt::format("times going backwards: t_ns {} after {} (t_ns must be non-decreasing)", e.t.ns, previous->t.ns));
    }
    if (e.step < previous->step) {
      w.fail(fmt::format("step going backwards: step {} after {} (steps must be non-decreasing)", e.step, previous->step));
    }
  }
}

GradientTrace parse_gradient_trace(std::string_view text, std::string_view source) {
  GradientTrace t;
  size_t number = 0;
  bool have_header = false;
  while (!text.empty() || !have_header) {
    ++number;
    const size_t end = text.find('\n');
    const std::string_view line = strip_cr(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!have_header) {
      if (blank(line)) Where{source, number}.fail("bad header: line 1 must be the header {\"format\":\"lh-gradient-trace\",\"version\":1,\"provenance\":{...}}");
      t.provenance = parse_header(line, {source, number});
      have_header = true;
      continue;
    }
    if (blank(line)) continue;
    TraceEvent e = parse_event(line, {source, number});
    check_gradient_event(e, t.events.empty() ? nullptr : &t.events.back(), t.provenance, source, number);
    t.events.push_back(e);
  }
  return t;
}

GradientTrace load_gradient_trace(const std::filesystem::path& file) {
  return parse_gradient_trace(read_text_file(file), file.string());
}

GradientTraceReader::GradientTraceReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {
  ++line_;
  if (!std::getline(in_, buf_) || blank(strip_cr(buf_))) {
    Where{source_, line_}.fail("bad header: line 1 must be the header {\"format\":\"lh-gradient-trace\",\"version\":1,\"provenance\":{...}}");
  }
  provenance_ = parse_header(strip_cr(buf_), {source_, line_});
}

bool GradientTraceReader::next(TraceEvent& event) {
  while (std::getline(in_, buf_)) {
    ++line_;
    const std::string_view line = strip_cr(buf_);
    if (blank(line)) continue;
    event = parse_event(line, {source_, line_});
    check_gradient_event(event, last_ ? &*last_ : nullptr, provenance_, source_, line_);
    last_ = event;
    return true;
  }
  if (in_.bad()) Where{source_, line_}.fail("read error");
  return false;
}

void write_gradient_trace_header(std::ostream& out, const Provenance& p) {
  const auto opt = [](const auto& v) -> json { return v ? json(*v) : json(nullptr); };
  nlohmann::ordered_json pj;
  pj["source"] = p.source;
  pj["tool"] = p.tool;
  if (!p.created.empty()) pj["created"] = p.created;
  pj["model"] = opt(p.model);
  pj["params"] = opt(p.params);
  pj["dtype"] = opt(p.dtype);
  pj["pattern"] = opt(p.pattern);
  pj["collective"] = opt(p.collective);
  pj["world_size"] = p.world_size;
  pj["sites"] = p.sites;
  pj["ranks_per_site"] = p.ranks_per_site;
  pj["step_compute_ns"] = p.step_compute ? json(p.step_compute->ns) : json(nullptr);
  pj["steps"] = p.steps;
  if (!p.notes.empty()) pj["notes"] = p.notes;
  nlohmann::ordered_json h;
  h["format"] = kGradientTraceFormat;
  h["version"] = kGradientTraceVersion;
  h["provenance"] = std::move(pj);
  // Producers may pass bytes that are not UTF-8 (file names); replace them rather than throw.
  out << h.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void write_gradient_event(std::ostream& out, const TraceEvent& e) {
  fmt::memory_buffer buf;
  fmt::format_to(std::back_inserter(buf),
                 "{{\"t_ns\":{},\"step\":{},\"src\":{{\"site\":{},\"rank\":{}}},\"dst\":{{\"site\":{},\"rank\":{}}},"
                 "\"bytes\":{},\"op\":\"{}\",\"bucket\":{},\"round\":{},\"after_compute_ns\":{}}}\n",
                 e.t.ns, e.step, e.src.site, e.src.rank, e.dst.site, e.dst.rank, e.bytes, to_string(e.op), e.bucket,
                 e.round, e.after_compute.ns);
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

void write_gradient_trace(std::ostream& out, const GradientTrace& t) {
  write_gradient_trace_header(out, t.provenance);
  for (const TraceEvent& e : t.events) write_gradient_event(out, e);
}

}  // namespace lh::traces
