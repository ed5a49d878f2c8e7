// transport_spec.hpp — the lab's transport names ("longhaul", "tcp-cubic-x8", ...) and their meaning.
//
// A transport name picks the tool and its flags for one cell of the matrix:
//   longhaul                 lh-xfer, congestion control bbr (its default)
//   longhaul-cubic           lh-xfer --cc cubic
//   longhaul-fixed:<rate>    lh-xfer --cc fixed:<rate> (fixed-rate controller, e.g. longhaul-fixed:250mbit)
//   tcp-cubic | tcp-bbr | tcp-reno [-xN]   lh-xfer --transport tcp --cc <cc> --streams N (N 1..64, default 1)
// Parsing is strict: anything else is an error naming the accepted forms. Setup-time code.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lh::lab {

enum class TransportTool { kLonghaul, kTcp };

struct TransportSpec {
  std::string name;          // as written, e.g. "tcp-cubic-x8"
  TransportTool tool = TransportTool::kLonghaul;
  std::string cc;            // "bbr", "cubic", "fixed:250mbit" (lh-xfer) or "cubic"/"bbr"/"reno" (TCP)
  int streams = 1;           // TCP connections (lh-xfer: always 1)
};

// Throws std::invalid_argument with a message naming `name` and the accepted forms.
TransportSpec parse_transport(std::string_view name);

// "a=b" test hook (--transport-override): every run of transport a uses transport b instead, while
// results keep the name a (so a baseline recorded with a can be compared). Throws on bad syntax.
std::pair<std::string, std::string> parse_override(std::string_view text);

// Resolves the matrix's transport names with the overrides applied; throws on the first bad name.
std::vector<TransportSpec> resolve_transports(const std::vector<std::string>& names,
                                              const std::map<std::string, std::string>& overrides);

}  // namespace lh::lab
