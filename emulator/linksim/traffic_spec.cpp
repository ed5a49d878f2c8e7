// traffic_spec.cpp — parses lh-linksim's --traffic value (grammar in traffic_spec.hpp).
#include "emulator/linksim/traffic_spec.hpp"

#include <string>
#include <vector>

namespace lh::sim {

namespace {

constexpr std::string_view kGrammar = "expected cbr:<rate>[:size=<bytes>][:on=<duration>:off=<duration>]";

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  for (;;) {
    const size_t end = text.find(sep, begin);
    parts.push_back(text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

[[noreturn]] void fail(std::string_view text, const std::string& what) {
  throw ParseError("--traffic '" + std::string(text) + "': " + what);
}

}  // namespace

TrafficSpec parse_traffic_spec(std::string_view text) {
  const std::vector<std::string_view> parts = split(text, ':');
  if (parts[0] != "cbr") {
    fail(text, "unknown traffic kind '" + std::string(parts[0]) + "' (known: cbr); " + std::string(kGrammar));
  }
  if (parts.size() < 2 || parts[1].empty()) fail(text, "missing rate; " + std::string(kGrammar));
  TrafficSpec spec;
  try {
    spec.rate = parse_rate(parts[1]);
  } catch (const ParseError& e) {
    fail(text, std::string("rate: ") + e.what());
  }
  if (spec.rate.bps == 0) fail(text, "rate must be > 0");
  bool has_on = false, has_off = false, has_size = false;
  for (size_t i = 2; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) fail(text, "option '" + std::string(part) + "' is not key=value; " + std::string(kGrammar));
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    try {
      if (key == "size" && !has_size) {
        spec.packet_size = parse_bytes(value);
        has_size = true;
      } else if (key == "on" && !has_on) {
        spec.on = parse_duration(value);
        has_on = true;
      } else if (key == "off" && !has_off) {
        spec.off = parse_duration(value);
        has_off = true;
      } else if (key == "size" || key == "on" || key == "off") {
        fail(text, "option '" + std::string(key) + "' given twice");
      } else {
        fail(text, "unknown option '" + std::string(key) + "' (known: size, on, off)");
      }
    } catch (const ParseError& e) {
      if (std::string_view(e.what()).starts_with("--traffic")) throw;
      fail(text, std::string(key) + ": " + e.what());
    }
  }
  if (spec.packet_size.n == 0 || spec.packet_size.n > 65536) fail(text, "size must be in 1B..65536B");
  if (has_on != has_off) fail(text, "on and off must be given together");
  if (has_on && spec.on.ns <= 0) fail(text, "on must be > 0");
  return spec;
}

}  // namespace lh::sim
