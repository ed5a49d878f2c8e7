// profile_toml_fuzz.cpp — fuzz target of the TOML link-profile parser (src/profile.hpp): any text
// parses into a profile or is refused with a ParseError naming where ("fuzz.toml:L:C: ..."), never
// crashes; a profile that parses round-trips through its JSON form (to_json → profile_from_json).
// Trace files it names resolve beneath a folder that does not exist (nothing is read).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  lh::LinkProfile p;
  try {
    p = lh::parse_profile(text, "fuzz.toml", "/nonexistent-lh-fuzz");
  } catch (const lh::ParseError& e) {
    if (std::string_view(e.what()).rfind("fuzz.toml", 0) != 0 && std::string_view(e.what()).find("/nonexistent-lh-fuzz") == std::string_view::npos) {
      std::abort();   // every error names the file (or the trace file it failed to read)
    }
    return 0;
  }
  if (p.a_to_b.trace || p.a_to_b.delivery || p.b_to_a.trace || p.b_to_a.delivery) return 0;   // (unreachable: no files)
  try {
    const lh::LinkProfile back = lh::profile_from_json(lh::to_json(p), "fuzz.json");
    if (lh::to_json(back) != lh::to_json(p)) std::abort();
  } catch (const lh::ParseError&) {
    std::abort();   // what parses as TOML must parse as its JSON form
  }
  return 0;
}
