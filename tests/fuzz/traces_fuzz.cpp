// traces_fuzz.cpp — fuzz target of the link-trace readers (src/link_trace.hpp): the first byte picks
// the format (lh-link-trace, Mahimahi delivery trace, loss pattern), the rest is the file's text. Any
// text parses or is refused with a ParseError naming "fuzz:LINE", never crashes, never allocates
// without bound (a loss pattern's run-length form is capped); a link trace that parses re-formats to
// text that parses to the same points.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/link_trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {
        const lh::LinkTrace t = lh::parse_link_trace(text, "fuzz");
        const lh::LinkTrace again = lh::parse_link_trace(lh::format_link_trace(t), "fuzz-again");
        if (again.points.size() != t.points.size() || again.period != t.period) std::abort();
        break;
      }
      case 1: lh::parse_delivery_trace(text, "fuzz"); break;
      default: {
        const lh::LossPattern p = lh::parse_loss_pattern(text, "fuzz");
        if (p.lost.size() > lh::kMaxLossPatternLength) std::abort();
        break;
      }
    }
  } catch (const lh::ParseError& e) {
    if (std::string_view(e.what()).rfind("fuzz", 0) != 0) std::abort();
  }
  return 0;
}
