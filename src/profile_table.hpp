// profile_table.hpp — the typed, located reader of one table of a link profile (internal to the
// profile parser; not a public API).
//
// Every getter checks the value's type and units with the lh::parse_* functions and, on failure,
// throws a ParseError naming where (file:line:column for TOML text, the caller's `where` for JSON
// converted to TOML), the dotted key path, the value and what is accepted. Reading a key records its
// origin so whole-direction checks made later can still point at the line that set a value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "src/trace_files.hpp"
#include "src/units.hpp"

namespace lh::detail {

// Where a key's value came from, for messages about combinations of keys.
struct KeyOrigin {
  std::string display_path;   // "both.jitter.reorder"
  toml::source_region region; // begin.line == 0 when the value did not come from text
  std::string value;          // rendered value, e.g. "\"1%\""
};

struct ParseContext {
  std::string source;                        // file name or JSON `where`
  TraceFiles files;                          // where trace files may be read from (trace_files.hpp)
  std::map<std::string, KeyOrigin>* origins = nullptr;  // keyed by the direction-relative path
};

std::string render(const toml::node& node);
// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// "did you mean \"x\"?" or "" when nothing in `candidates` is close to `word`.
std::string suggestion(std::string_view word, std::span<const std::string_view> candidates);

// "src:line:col: " or "src: ".
std::string location(const ParseContext& ctx, const toml::source_region& region);

class ProfileTable {
 public:
  // `display_path`: "a_to_b.loss" (may be empty for the root); `relative_path`: the same below the
  // direction ("loss"), used as the origin key.
  ProfileTable(const ParseContext& ctx, const toml::table& table, std::string display_path,
               std::string relative_path);

  // Throws on any key not in `allowed` (with a suggestion). `hint` adds a sentence to the message.
  void allow_only(std::span<const std::string_view> allowed) const;
  void allow_only(std::initializer_list<std::string_view> allowed) const {
    allow_only(std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }

  bool has(std::string_view key) const { return table_.contains(key); }
  const toml::node* node(std::string_view key) const { return table_.get(key); }
  const toml::table& raw() const { return table_; }
  const ParseContext& context() const { return ctx_; }
  std::string path(std::string_view key) const;
  std::string relative(std::string_view key) const;

  std::optional<Nanos> duration(std::string_view key) const;
  std::optional<Nanos> signed_duration(std::string_view key) const;
  std::optional<Bytes> bytes(std::string_view key) const;
  std::optional<BitsPerSecond> rate(std::string_view key) const;
  std::optional<Km> distance(std::string_view key) const;
  std::optional<Probability> probability(std::string_view key) const;
  std::optional<std::string> string(std::string_view key) const;
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max) const;
  std::optional<double> number(std::string_view key) const;   // integer or float, no unit
  std::optional<bool> boolean(std::string_view key) const;
  // One of `names` (its index); the message lists them and suggests the closest.
  std::optional<size_t> choice(std::string_view key, std::span<const std::string_view> names) const;
  std::optional<ProfileTable> table(std::string_view key) const;
  const toml::array* array(std::string_view key) const;
  // The i-th element of array `key` as a table (error if it is not one).
  ProfileTable element(std::string_view key, const toml::array& arr, size_t i) const;

  // A unit-string value: the text after type checks (error if a bare number or not a string).
  std::optional<std::string> unit_string(std::string_view key, std::string_view example) const;

  [[noreturn]] void fail(std::string_view key, std::string_view message) const;
  [[noreturn]] void fail_table(std::string_view message) const;
  void record(std::string_view key) const;

 private:
  const ParseContext& ctx_;
  const toml::table& table_;
  std::string display_path_;
  std::string relative_path_;
};

}  // namespace lh::detail
