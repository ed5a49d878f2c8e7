// replay_transport.cpp — see replay_transport.hpp.
#include "traces/replay_transport.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace lh::traces {
namespace {

constexpr const char* kAccepted =
    "longhaul, longhaul-cubic, longhaul-fixed:<rate> (e.g. longhaul-fixed:900mbit), or tcp-cubic, tcp-bbr, tcp-reno "
    "with an optional -xN for N connections (1..64), e.g. tcp-cubic-x8";

[[noreturn]] void bad(std::string_view name, const std::string& why) {
  throw std::invalid_argument("transport \"" + std::string(name) + "\": " + why + " (accepted: " + kAccepted + ")");
}

}  // namespace

ReplayTransport parse_replay_transport(std::string_view name) {
  ReplayTransport t{.name = std::string(name)};
  if (name == "longhaul") return t;
  if (name == "longhaul-cubic") {
    t.cc = "cubic";
    return t;
  }
  if (name.rfind("longhaul-fixed:", 0) == 0) {
    t.cc = "fixed";
    try {
      t.fixed_rate = parse_rate(name.substr(15));
    } catch (const std::exception& e) {
      bad(name, e.what());
    }
    if (t.fixed_rate.bps == 0) bad(name, "the fixed rate must be above 0bit");
    return t;
  }
  if (name.rfind("tcp-", 0) != 0) bad(name, "unknown transport");
  t.kind = ReplayTransport::Kind::kTcp;
  std::string_view rest = name.substr(4);
  const size_t x = rest.find("-x");
  if (x != std::string_view::npos) {
    const std::string_view n = rest.substr(x + 2);
    int v = 0;
    const auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (n.empty() || ec != std::errc() || p != n.data() + n.size() || v < 1 || v > 64) {
      bad(name, "-xN needs a whole number of connections from 1 to 64");
    }
    t.streams = v;
    rest = rest.substr(0, x);
  }
  if (rest != "cubic" && rest != "bbr" && rest != "reno") bad(name, "unknown TCP congestion control");
  t.cc = std::string(rest);
  return t;
}

}  // namespace lh::traces
