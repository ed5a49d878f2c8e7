// builtin_profiles.hpp — the shipped profiles' TOML text, compiled in (internal).
//
// The definition is generated at build time by src/embed_profiles.py from traces/profiles/*.toml
// (see src/meson.build), so the built-ins are byte-for-byte the shipped files.
#pragma once

#include <cstddef>
#include <string_view>

namespace lh::detail {

struct BuiltinProfileText {
  std::string_view name;   // file stem, e.g. "continental-4000km"
  std::string_view text;
};

extern const BuiltinProfileText kBuiltinProfiles[];
extern const size_t kBuiltinProfileCount;

}  // namespace lh::detail
