// link_trace.cpp — strict readers for link traces, Mahimahi delivery traces and loss patterns.
//
// Formats: traces/FORMATS.md. Each reader walks the text line by line, keeps the 1-based line
// number for messages, and refuses anything it does not understand rather than guessing.
#include "src/link_trace.hpp"

#include "src/trace_files.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace lh {
namespace {

struct Line {
  std::string_view text;
  size_t number;   // 1-based
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  size_t n = 1;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({line, n++});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Whitespace-separated tokens of `s`.
std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

// A line without its '#' comment, trimmed.
std::string_view content(std::string_view line) { return trim(line.substr(0, line.find('#'))); }

[[noreturn]] void fail(std::string_view source, size_t line, const std::string& message) {
  throw ParseError(std::string(source) + ":" + std::to_string(line) + ": " + message);
}

// A non-negative decimal integer with nothing else; nullopt if not one (or it overflows).
std::optional<uint64_t> whole_number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr std::string_view kLinkHeader = "lh-link-trace";

}  // namespace

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ParseError(file.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ParseError(file.string() + ": read error");
  return ss.str();
}

LinkTrace parse_link_trace(std::string_view text, std::string_view source) {
  LinkTrace trace;
  trace.source = std::string(source);
  bool have_header = false;
  size_t last_line = 0;
  for (const Line& line : split_lines(text)) {
    const std::string_view body = content(line.text);
    if (body.empty()) continue;
    const auto toks = tokens(body);
    if (!have_header) {
      if (toks[0] != kLinkHeader || toks.size() < 2 || toks[1] != "v1") {
        fail(source, line.number, "expected the header \"lh-link-trace v1\" (optionally followed by period=<duration>)");
      }
      for (size_t i = 2; i < toks.size(); ++i) {
        if (!toks[i].starts_with("period=")) fail(source, line.number, "unknown header field \"" + std::string(toks[i]) + "\"; expected period=<duration>, e.g. period=60s");
        try {
          trace.period = parse_duration(toks[i].substr(7));
        } catch (const ParseError& e) {
          fail(source, line.number, std::string("period: ") + e.what());
        }
        if (trace.period.ns == 0) fail(source, line.number, "period must be > 0 (omit it to hold the last point)");
      }
      have_header = true;
      continue;
    }
    const auto t = whole_number(toks[0]);
    if (!t || *t > static_cast<uint64_t>(INT64_MAX)) {
      fail(source, line.number, "\"" + std::string(toks[0]) + "\" is not a timestamp; expected integer nanoseconds, e.g. 1500000000");
    }
    LinkTracePoint p = trace.points.empty() ? LinkTracePoint{} : trace.points.back();
    p.at = Nanos{static_cast<int64_t>(*t)};
    if (trace.points.empty() && p.at.ns != 0) fail(source, line.number, "the first point must be at time 0");
    if (!trace.points.empty() && p.at <= trace.points.back().at) {
      fail(source, line.number, "timestamps must be strictly increasing (" + std::to_string(p.at.ns) + " after " +
                                    std::to_string(trace.points.back().at.ns) + ")");
    }
    bool seen[3] = {false, false, false};
    for (size_t i = 1; i < toks.size(); ++i) {
      const std::string_view tok = toks[i];
      const size_t eq = tok.find('=');
      const std::string_view key = tok.substr(0, eq);
      const std::string_view value = eq == std::string_view::npos ? std::string_view{} : tok.substr(eq + 1);
      if (eq == std::string_view::npos || (key != "rate" && key != "delay" && key != "loss")) {
        fail(source, line.number, "unknown field \"" + std::string(tok) + "\"; expected rate=<rate>, delay=<duration>, loss=<percent>");
      }
      try {
        if (key == "rate") {
          p.rate = value == "unlimited" ? BitsPerSecond{0} : parse_rate(value);
          seen[0] = true;
        } else if (key == "delay") {
          p.delay = parse_duration(value);
          seen[1] = true;
        } else {
          p.loss = parse_probability(value);
          seen[2] = true;
        }
      } catch (const ParseError& e) {
        fail(source, line.number, std::string(key) + ": " + e.what());
      }
    }
    if (trace.points.empty() && !(seen[0] && seen[1] && seen[2])) {
      fail(source, line.number, "the first point must give rate=, delay= and loss= (later points may omit fields to keep them)");
    }
    trace.points.push_back(p);
    last_line = line.number;
  }
  if (!have_header) fail(source, 1, "empty trace; expected the header \"lh-link-trace v1\"");
  if (trace.points.empty()) fail(source, 1, "no points after the header");
  if (trace.period.ns != 0 && trace.period <= trace.points.back().at) {
    fail(source, last_line, "period (" + format(trace.period) + ") must be later than the last point");
  }
  return trace;
}

DeliveryTrace parse_delivery_trace(std::string_view text, std::string_view source) {
  DeliveryTrace trace;
  trace.source = std::string(source);
  const auto lines = split_lines(text);
  size_t last_line = 0;
  for (const Line& line : lines) {
    const std::string_view body = trim(line.text);
    if (body.empty()) {
      // Only a trailing newline may leave an empty last line.
      if (line.number == lines.size()) continue;
      fail(source, line.number, "empty line; every line must be one timestamp in ms");
    }
    const auto ms = whole_number(body);
    if (!ms || *ms > static_cast<uint64_t>(INT64_MAX / 1'000'000)) {
      fail(source, line.number, "\"" + std::string(body) + "\" is not a timestamp; expected a whole number of milliseconds, e.g. 42");
    }
    const Nanos at = Nanos::from_ms(static_cast<int64_t>(*ms));
    if (!trace.opportunities.empty() && at < trace.opportunities.back()) {
      fail(source, line.number, "timestamps must be monotonically nondecreasing (" + std::to_string(*ms) + " after " +
                                    std::to_string(trace.opportunities.back().ns / 1'000'000) + ")");
    }
    trace.opportunities.push_back(at);
    last_line = line.number;
  }
  if (trace.opportunities.empty()) fail(source, 1, "empty trace; expected one timestamp in ms per line");
  trace.period = trace.opportunities.back();
  if (trace.period.ns == 0) fail(source, last_line, "the last timestamp (the trace's period) must be > 0");
  return trace;
}

LossPattern parse_loss_pattern(std::string_view text, std::string_view source) {
  LossPattern pattern;
  pattern.source = std::string(source);
  for (const Line& line : split_lines(text)) {
    for (const std::string_view tok : tokens(content(line.text))) {
      const size_t star = tok.find('*');
      uint64_t count = 1;
      std::string_view bits = tok;
      if (star != std::string_view::npos) {
        const auto n = whole_number(tok.substr(0, star));
        bits = tok.substr(star + 1);
        if (!n || *n == 0 || (bits != "0" && bits != "1")) {
          fail(source, line.number, "\"" + std::string(tok) + "\" is not a run; expected <count>*<0|1>, e.g. 9999*0");
        }
        count = *n;
      } else if (bits.find_first_not_of("01") != std::string_view::npos) {
        fail(source, line.number, "\"" + std::string(tok) + "\" is not a loss pattern; expected 0 (delivered) and 1 (lost), or runs like 9999*0");
      }
      const uint64_t add = count * bits.size();
      if (pattern.lost.size() + add > kMaxLossPatternLength) {
        fail(source, line.number, "pattern longer than " + std::to_string(kMaxLossPatternLength) + " packets");
      }
      for (const char c : bits) pattern.lost.insert(pattern.lost.end(), count, static_cast<uint8_t>(c == '1'));
    }
  }
  if (pattern.lost.empty()) fail(source, 1, "empty loss pattern; expected 0/1 per packet");
  return pattern;
}

std::string format_link_trace(const LinkTrace& trace) {
  std::string out(kLinkHeader);
  out += " v1";
  if (trace.period.ns != 0) out += " period=" + format(trace.period);
  out += "\n";
  for (const LinkTracePoint& p : trace.points) {
    out += std::to_string(p.at.ns) + " rate=" + (p.rate.bps == 0 ? std::string("unlimited") : format(p.rate)) +
           " delay=" + format(p.delay) + " loss=" + format(p.loss) + "\n";
  }
  return out;
}

std::shared_ptr<const LinkTrace> load_link_trace(const std::filesystem::path& file) {
  return std::make_shared<const LinkTrace>(
      [](const TraceFileText& f) { return parse_link_trace(f.text, f.name); }(read_trace_file(file.string(), TraceFiles::any({}))));
}

std::shared_ptr<const DeliveryTrace> load_delivery_trace(const std::filesystem::path& file) {
  return std::make_shared<const DeliveryTrace>(
      [](const TraceFileText& f) { return parse_delivery_trace(f.text, f.name); }(read_trace_file(file.string(), TraceFiles::any({}))));
}

std::shared_ptr<const LossPattern> load_loss_pattern(const std::filesystem::path& file) {
  return std::make_shared<const LossPattern>(
      [](const TraceFileText& f) { return parse_loss_pattern(f.text, f.name); }(read_trace_file(file.string(), TraceFiles::any({}))));
}

}  // namespace lh
