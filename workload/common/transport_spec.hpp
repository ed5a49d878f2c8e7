// transport_spec.hpp — the one grammar of transport names, used by every tool (lh-xfer --transport,
// lh-trace replay --transport, lh-lab --transports) and by nothing else:
//   longhaul                 the longhaul transport, congestion control BBR (its default)
//   longhaul-cubic           ... with CUBIC
//   longhaul-fixed:<rate>    ... with the fixed-rate controller (e.g. longhaul-fixed:900mbit)
//   tcp-<cc>[-xN]            the TCP baseline: TCP_CONGESTION cubic, bbr or reno, N streams (1..64)
//   tcp                      short for tcp-cubic
//   <longhaul name>+psp      protected mode: every packet AES-256-GCM sealed (needs a pre-shared key)
//   <longhaul name>+psp-auth protected mode, integrity only (GMAC): authenticated, not encrypted
// Parsing is strict: anything else throws lh::ParseError naming the text, what was wrong and every
// accepted form. name() prints the canonical form, and parse(name()) gives back the same value.
// Setup-time code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "src/units.hpp"
#include "transport/proto/types.hpp"

namespace lh::workload {

enum class TransportKind : uint8_t { kLonghaul, kTcp };

struct TransportSpec {
  TransportKind kind = TransportKind::kLonghaul;
  xport::CcKind cc = xport::CcKind::kBbr;  // longhaul
  BitsPerSecond fixed_rate{0};             // longhaul-fixed:<rate>
  std::string tcp_cc;                      // TCP: "cubic", "bbr" or "reno"
  uint32_t streams = 1;                    // TCP connections striped per transfer
  xport::Protection protection = xport::Protection::kNone;  // longhaul: +psp / +psp-auth

  [[nodiscard]] bool tcp() const { return kind == TransportKind::kTcp; }
  // The canonical name ("longhaul-fixed:900mbit", "tcp-cubic-x8").
  [[nodiscard]] std::string name() const;
  bool operator==(const TransportSpec&) const = default;
};

inline constexpr std::string_view kTransportForms =
    "longhaul, longhaul-cubic, longhaul-fixed:<rate> (e.g. longhaul-fixed:900mbit), tcp-cubic, tcp-bbr, tcp-reno "
    "(tcp = tcp-cubic), with -xN for N TCP streams from 1 to 64 (e.g. tcp-cubic-x8); a longhaul name with +psp "
    "(AES-256-GCM) or +psp-auth (integrity only) runs protected mode with a pre-shared key (e.g. longhaul+psp)";
inline constexpr uint32_t kMaxTcpStreams = 64;

// Throws lh::ParseError: "transport 'tcp-vegas': unknown TCP congestion control 'vegas'; accepted: ...".
TransportSpec parse_transport_spec(std::string_view text);

// Sets the connection's congestion controller (and fixed rate) and protection from a longhaul spec
// (the pre-shared key itself comes from the tool's --psk FILE).
void apply_to(const TransportSpec& t, xport::ConnectionConfig& cfg);

// {"name": ..., "kind": "longhaul"|"tcp", "cc": ..., "fixed_rate_bps": ..., "streams": ...}
nlohmann::json to_json(const TransportSpec& t);

}  // namespace lh::workload
