// transport_spec.cpp — see transport_spec.hpp.
#include "workload/common/transport_spec.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

namespace lh::workload {
namespace {

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw ParseError(fmt::format("transport '{}': {}; accepted: {}", text, why, kTransportForms));
}

const char* cc_word(xport::CcKind k) {
  switch (k) {
    case xport::CcKind::kBbr: return "bbr";
    case xport::CcKind::kCubic: return "cubic";
    case xport::CcKind::kFixed: return "fixed";
  }
  return "?";
}

}  // namespace

static TransportSpec parse_transport_spec_base(std::string_view text);

TransportSpec parse_transport_spec(std::string_view full) {
  std::string_view text = full;
  xport::Protection protection = xport::Protection::kNone;
  if (const size_t plus = text.find('+'); plus != std::string_view::npos) {
    const std::string_view suffix = text.substr(plus + 1);
    if (suffix == "psp") protection = xport::Protection::kAesGcm;
    else if (suffix == "psp-auth") protection = xport::Protection::kGmac;
    else bad(full, fmt::format("unknown suffix '+{}' (+psp or +psp-auth)", suffix));
    text = text.substr(0, plus);
    if (text.starts_with("tcp")) bad(full, "protected mode (+psp) is the longhaul transport's; the TCP baseline has none");
  }
  TransportSpec t = parse_transport_spec_base(text);
  t.protection = protection;
  return t;
}

static TransportSpec parse_transport_spec_base(std::string_view text) {
  TransportSpec t;
  if (text == "longhaul") return t;
  if (text == "longhaul-cubic") {
    t.cc = xport::CcKind::kCubic;
    return t;
  }
  constexpr std::string_view kFixed = "longhaul-fixed:";
  if (text.starts_with(kFixed)) {
    const std::string_view rate = text.substr(kFixed.size());
    try {
      t.fixed_rate = parse_rate(rate);
    } catch (const ParseError& e) {
      bad(text, fmt::format("bad rate '{}': {}", rate, e.what()));
    }
    if (t.fixed_rate.bps == 0) bad(text, "the fixed rate must be above 0bit");
    t.cc = xport::CcKind::kFixed;
    return t;
  }
  if (text == "tcp") text = "tcp-cubic";
  if (!text.starts_with("tcp-")) bad(text, "unknown transport");
  t.kind = TransportKind::kTcp;
  std::string_view rest = text.substr(4);
  if (const size_t x = rest.rfind("-x"); x != std::string_view::npos) {
    const std::string_view digits = rest.substr(x + 2);
    uint32_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || n < 1 || n > kMaxTcpStreams) {
      bad(text, fmt::format("stream count '{}' must be a whole number from 1 to {}", digits, kMaxTcpStreams));
    }
    t.streams = n;
    rest = rest.substr(0, x);
  }
  if (rest != "cubic" && rest != "bbr" && rest != "reno") bad(text, fmt::format("unknown TCP congestion control '{}'", rest));
  t.tcp_cc = std::string(rest);
  return t;
}

std::string TransportSpec::name() const {
  if (tcp()) return streams == 1 ? "tcp-" + tcp_cc : fmt::format("tcp-{}-x{}", tcp_cc, streams);
  const char* suffix = protection == xport::Protection::kAesGcm ? "+psp"
                       : protection == xport::Protection::kGmac ? "+psp-auth"
                                                                : "";
  switch (cc) {
    case xport::CcKind::kBbr: return std::string("longhaul") + suffix;
    case xport::CcKind::kCubic: return std::string("longhaul-cubic") + suffix;
    case xport::CcKind::kFixed: return "longhaul-fixed:" + format(fixed_rate) + suffix;
  }
  return "longhaul";
}

void apply_to(const TransportSpec& t, xport::ConnectionConfig& cfg) {
  cfg.cc = t.cc;
  if (t.cc == xport::CcKind::kFixed) cfg.fixed_rate = t.fixed_rate;
  cfg.protection = t.protection;
}

nlohmann::json to_json(const TransportSpec& t) {
  nlohmann::json j = {{"name", t.name()}, {"kind", t.tcp() ? "tcp" : "longhaul"},
                      {"cc", t.tcp() ? t.tcp_cc : cc_word(t.cc)}, {"streams", t.streams}};
  if (!t.tcp() && t.cc == xport::CcKind::kFixed) j["fixed_rate_bps"] = t.fixed_rate.bps;
  if (!t.tcp()) j["protection"] = xport::to_string(t.protection);
  return j;
}

}  // namespace lh::workload
