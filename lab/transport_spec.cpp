// transport_spec.cpp — parsing of lab transport names; see transport_spec.hpp.
#include "lab/transport_spec.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "src/units.hpp"

namespace lh::lab {
namespace {

constexpr std::string_view kAccepted =
    "longhaul, longhaul-cubic, longhaul-fixed:<rate> (e.g. longhaul-fixed:250mbit), tcp-cubic, tcp-bbr, "
    "tcp-reno, with -xN for N TCP streams (e.g. tcp-cubic-x8)";

[[noreturn]] void bad(std::string_view name, std::string_view why) {
  throw std::invalid_argument(fmt::format("transport '{}': {}; accepted: {}", name, why, kAccepted));
}

}  // namespace

TransportSpec parse_transport(std::string_view name) {
  TransportSpec t{.name = std::string(name)};
  if (name == "longhaul") {
    t.cc = "bbr";
    return t;
  }
  if (name == "longhaul-cubic") {
    t.cc = "cubic";
    return t;
  }
  constexpr std::string_view kFixed = "longhaul-fixed:";
  if (name.starts_with(kFixed)) {
    const std::string_view rate = name.substr(kFixed.size());
    try {
      const BitsPerSecond r = parse_rate(rate);
      if (r.bps == 0) bad(name, "the fixed rate must be above 0");
    } catch (const ParseError& e) {
      bad(name, fmt::format("bad rate '{}': {}", rate, e.what()));
    }
    t.cc = fmt::format("fixed:{}", rate);
    return t;
  }
  if (!name.starts_with("tcp-")) bad(name, "unknown transport");
  t.tool = TransportTool::kTcp;
  std::string_view rest = name.substr(4);
  if (const size_t x = rest.rfind("-x"); x != std::string_view::npos) {
    const std::string_view digits = rest.substr(x + 2);
    int n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || n < 1 || n > 64) {
      bad(name, fmt::format("stream count '{}' must be a whole number 1..64", digits));
    }
    t.streams = n;
    rest = rest.substr(0, x);
  }
  if (rest != "cubic" && rest != "bbr" && rest != "reno") {
    bad(name, fmt::format("unknown TCP congestion control '{}'", rest));
  }
  t.cc = std::string(rest);
  return t;
}

std::pair<std::string, std::string> parse_override(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    throw std::invalid_argument(
        fmt::format("--transport-override '{}': expected NAME=REPLACEMENT, e.g. longhaul=longhaul-fixed:250mbit", text));
  }
  std::string from(text.substr(0, eq)), to(text.substr(eq + 1));
  parse_transport(from);
  parse_transport(to);
  return {from, to};
}

std::vector<TransportSpec> resolve_transports(const std::vector<std::string>& names,
                                              const std::map<std::string, std::string>& overrides) {
  if (names.empty()) throw std::invalid_argument("--transports: at least one transport is needed");
  std::vector<TransportSpec> out;
  for (const std::string& n : names) {
    parse_transport(n);   // the recorded name must itself be valid
    const auto it = overrides.find(n);
    TransportSpec t = parse_transport(it == overrides.end() ? n : it->second);
    t.name = n;
    out.push_back(std::move(t));
  }
  for (const auto& [from, to] : overrides) {
    bool used = false;
    for (const std::string& n : names) used = used || n == from;
    if (!used) throw std::invalid_argument(fmt::format("--transport-override {}={}: '{}' is not in --transports", from, to, from));
  }
  return out;
}

}  // namespace lh::lab
