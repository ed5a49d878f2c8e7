// xport_api.cpp — configuration helpers of the public transport API. See xport_api.hpp.
#include "transport/api/xport_api.hpp"

#include <fmt/format.h>

#include "src/units.hpp"

namespace lh::xport::api {

void apply_cc_spec(std::string_view spec, ConnectionConfig& cfg) {
  if (spec == "bbr") {
    cfg.cc = CcKind::kBbr;
  } else if (spec == "cubic") {
    cfg.cc = CcKind::kCubic;
  } else if (spec.starts_with("fixed:")) {
    const BitsPerSecond rate = parse_rate(spec.substr(6));
    if (rate.bps == 0) throw ParseError(fmt::format("congestion control \"{}\": the fixed rate must be > 0", spec));
    cfg.cc = CcKind::kFixed;
    cfg.fixed_rate = rate;
  } else {
    throw ParseError(fmt::format("congestion control \"{}\": expected bbr, cubic or fixed:<rate> (e.g. fixed:900mbit)",
                                 spec));
  }
}

std::string cc_spec(const ConnectionConfig& cfg) {
  switch (cfg.cc) {
    case CcKind::kBbr: return "bbr";
    case CcKind::kCubic: return "cubic";
    case CcKind::kFixed: return "fixed:" + format(cfg.fixed_rate);
  }
  return "bbr";
}

std::string describe(const Completion& c) {
  static constexpr const char* kKinds[] = {"write", "send", "recv", "remote-write"};
  std::string s = fmt::format("{} wr_id={} {} {} B", kKinds[static_cast<int>(c.kind)], c.wr_id, to_string(c.status),
                              c.byte_len);
  if (c.has_imm) s += fmt::format(" imm={}", c.imm);
  if (c.kind == OpKind::kRemoteWrite) s += fmt::format(" rkey={:#x} offset={}", c.rkey, c.remote_offset);
  return s;
}

}  // namespace lh::xport::api
