// units_fuzz.cpp — fuzz target of every unit and address string a user types (src/units.hpp,
// src/host_port.hpp, the transport grammar): the first byte picks the parser. Any text parses or is
// refused with a ParseError / std::invalid_argument carrying a message, never crashes; durations,
// sizes and rates that parse format back to text that parses to the same value.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "src/host_port.hpp"
#include "src/units.hpp"
#include "workload/common/transport_spec.hpp"

namespace {

template <typename F>
void refused_with_a_message(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    if (std::string_view(e.what()).empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  refused_with_a_message([&] {
    switch (data[0] % 8) {
      case 0: {
        const lh::Nanos d = lh::parse_duration(text);
        if (d.ns >= 0 && lh::parse_duration(lh::format(d)) != d) std::abort();
        break;
      }
      case 1: lh::parse_signed_duration(text); break;
      case 2: {
        const lh::Bytes b = lh::parse_bytes(text);
        if (lh::parse_bytes(lh::format(b)).n != b.n) std::abort();
        break;
      }
      case 3: {
        const lh::BitsPerSecond r = lh::parse_rate(text);
        if (lh::parse_rate(lh::format(r)).bps != r.bps) std::abort();
        break;
      }
      case 4: lh::parse_distance(text); break;
      case 5: {
        const double p = lh::parse_probability(text).value();
        if (!(p >= 0 && p <= 1)) std::abort();
        break;
      }
      case 6: lh::parse_host_port(text); break;
      default: {
        const lh::workload::TransportSpec t = lh::workload::parse_transport_spec(text);
        if (lh::workload::parse_transport_spec(t.name()).name() != t.name()) std::abort();
        break;
      }
    }
  });
  return 0;
}
