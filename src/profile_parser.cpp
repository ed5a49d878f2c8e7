// profile_parser.cpp — TOML link-profile files and the built-in profiles (see profile.hpp).
//
// toml++ does the TOML; its syntax errors are re-thrown as lh::ParseError with file:line:column.
// Everything about keys and values is in profile_direction.cpp, shared with the JSON entry points.
#include <toml++/toml.h>

#include "src/builtin_profiles.hpp"
#include "src/link_trace.hpp"
#include "src/profile.hpp"
#include "src/profile_direction.hpp"

namespace lh {

LinkProfile parse_profile(std::string_view toml_text, std::string_view source_name,
                          const std::filesystem::path& base_dir) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ParseError(std::string(source_name) + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                     ": TOML syntax error: " + std::string(e.description()));
  }
  const std::string stem = std::filesystem::path(source_name).stem().string();
  return detail::parse_profile_root(root, std::string(source_name), TraceFiles::any(base_dir), stem);
}

LinkProfile load_profile(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  return parse_profile(text, file.string(), file.parent_path());
}

std::string_view builtin_profile_text(std::string_view name) {
  for (size_t i = 0; i < detail::kBuiltinProfileCount; ++i) {
    if (detail::kBuiltinProfiles[i].name == name) return detail::kBuiltinProfiles[i].text;
  }
  return {};
}

std::vector<std::string> builtin_profile_names() {
  std::vector<std::string> names;
  for (size_t i = 0; i < detail::kBuiltinProfileCount; ++i) names.emplace_back(detail::kBuiltinProfiles[i].name);
  return names;
}

LinkProfile builtin_profile(std::string_view name) {
  const std::string_view text = builtin_profile_text(name);
  if (text.empty()) {
    std::string known;
    for (const auto& n : builtin_profile_names()) known += (known.empty() ? "" : ", ") + n;
    throw ParseError("unknown built-in profile \"" + std::string(name) + "\"; built-ins: " + known);
  }
  LinkProfile p = parse_profile(text, "<builtin:" + std::string(name) + ">", {});
  return p;
}

}  // namespace lh
