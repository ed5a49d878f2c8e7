// replay_transport.hpp — the transports `lh-trace replay --transport` accepts, named as in lh-lab:
//   longhaul                 the longhaul transport (io_uring), congestion control bbr
//   longhaul-cubic           ... with cubic
//   longhaul-fixed:<rate>    ... with the fixed-rate controller (e.g. longhaul-fixed:900mbit)
//   tcp-cubic | tcp-bbr | tcp-reno [-xN]   TCP (Boost.Asio), TCP_CONGESTION <cc>, N connections (1..64)
// Parsing is strict: anything else is an error naming the accepted forms. Setup-time code.
#pragma once

#include <string>
#include <string_view>

#include "src/units.hpp"

namespace lh::traces {

struct ReplayTransport {
  enum class Kind { kLonghaul, kTcp } kind = Kind::kLonghaul;
  std::string name;                 // as written
  std::string cc = "bbr";           // longhaul: bbr | cubic | fixed;  TCP: cubic | bbr | reno
  BitsPerSecond fixed_rate{0};      // longhaul-fixed:<rate>
  int streams = 1;                  // TCP connections
};

// Throws std::invalid_argument naming `name` and the accepted forms.
ReplayTransport parse_replay_transport(std::string_view name);

}  // namespace lh::traces
