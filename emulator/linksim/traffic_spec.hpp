// traffic_spec.hpp — lh-linksim's --traffic value: which synthetic traffic to offer the path.
//
// Grammar: cbr:<rate>[:size=<bytes>][:on=<duration>:off=<duration>], e.g. "cbr:500mbit",
// "cbr:1gbit:size=9000B", "cbr:2gbit:on=10ms:off=90ms". Quantities use lh's unit strings
// (src/units.hpp). Errors throw lh::ParseError naming the part that was wrong and what is accepted.
#pragma once

#include <string_view>

#include "src/units.hpp"

namespace lh::sim {

struct TrafficSpec {
  BitsPerSecond rate{0};     // offered while on, counting packet_size bytes per packet
  Bytes packet_size{1500};   // wire bytes per packet (the size the link model is given)
  Nanos on{0};               // 0 = always on
  Nanos off{0};
};

TrafficSpec parse_traffic_spec(std::string_view text);

}  // namespace lh::sim
