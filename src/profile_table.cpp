// profile_table.cpp — typed, located getters for one profile table (see profile_table.hpp).
//
// Values with units must be TOML strings; numbers are refused with the unit spelled out, because a
// bare 35 could mean ms or µs (the tc/netem trap). Unit parsing itself is lh::parse_* (units.hpp).
#include "src/profile_table.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace lh::detail {
namespace {

std::string join_path(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string quote_list(std::span<const std::string_view> names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += "\"" + std::string(names[i]) + "\"";
  }
  return out;
}

}  // namespace

std::string render(const toml::node& node) {
  if (const auto* s = node.as_string()) return "\"" + s->get() + "\"";
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", f->get());
    return buf;
  }
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (node.is_table()) return "{...}";
  if (node.is_array()) return "[...]";
  return "<" + std::string(toml::impl::node_type_friendly_names[static_cast<size_t>(node.type())]) + ">";
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view word, std::span<const std::string_view> candidates) {
  std::string_view best;
  size_t best_d = SIZE_MAX;
  for (auto c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const size_t limit = std::max<size_t>(1, std::min(word.size(), best.size()) / 3);
  if (best.empty() || best_d > limit) {
    // A truncated name ("gilbert" for "gilbert-elliott") is close too.
    best = {};
    for (auto c : candidates) {
      if (word.size() >= 3 && c.starts_with(word)) best = c;
    }
    if (best.empty()) return "";
  }
  return "did you mean \"" + std::string(best) + "\"?";
}

std::string location(const ParseContext& ctx, const toml::source_region& region) {
  if (region.begin.line == 0) return ctx.source + ": ";
  return ctx.source + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column) + ": ";
}

ProfileTable::ProfileTable(const ParseContext& ctx, const toml::table& table, std::string display_path,
                           std::string relative_path)
    : ctx_(ctx), table_(table), display_path_(std::move(display_path)), relative_path_(std::move(relative_path)) {}

std::string ProfileTable::path(std::string_view key) const { return join_path(display_path_, key); }
std::string ProfileTable::relative(std::string_view key) const { return join_path(relative_path_, key); }

void ProfileTable::fail(std::string_view key, std::string_view message) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) fail_table(std::string(key) + ": " + std::string(message));
  throw ParseError(location(ctx_, n->source()) + path(key) + " = " + render(*n) + ": " + std::string(message));
}

void ProfileTable::fail_table(std::string_view message) const {
  const std::string where = display_path_.empty() ? "" : "[" + display_path_ + "] ";
  throw ParseError(location(ctx_, table_.source()) + where + std::string(message));
}

void ProfileTable::record(std::string_view key) const {
  if (ctx_.origins == nullptr) return;
  const toml::node* n = table_.get(key);
  if (n == nullptr) return;
  (*ctx_.origins)[relative(key)] = KeyOrigin{path(key), n->source(), render(*n)};
}

void ProfileTable::allow_only(std::span<const std::string_view> allowed) const {
  for (auto&& [k, v] : table_) {
    const std::string_view key = k.str();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key \"" + std::string(key) + "\"";
    msg += display_path_.empty() ? " at the top level" : " in [" + display_path_ + "]";
    const std::string hint = suggestion(key, allowed);
    msg += hint.empty() ? "" : "; " + hint;
    msg += " (keys here: " + quote_list(allowed) + ")";
    throw ParseError(location(ctx_, k.source().begin.line ? k.source() : v.source()) + path(key) + ": " + msg);
  }
}

std::optional<std::string> ProfileTable::unit_string(std::string_view key, std::string_view example) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return std::nullopt;
  if (n->is_number()) {
    fail(key, "a bare number is ambiguous: write the value with its unit, as a string; expected e.g. " +
                  std::string(example));
  }
  const auto* s = n->as_string();
  if (s == nullptr) fail(key, "expected a string with a unit, e.g. " + std::string(example));
  record(key);
  return s->get();
}

namespace {
template <typename T, typename Parse>
std::optional<T> parse_unit(const ProfileTable& t, std::string_view key, std::string_view example, Parse parse) {
  const auto text = t.unit_string(key, example);
  if (!text) return std::nullopt;
  try {
    return parse(*text);
  } catch (const ParseError& e) {
    t.fail(key, e.what());
  }
}
}  // namespace

std::optional<Nanos> ProfileTable::duration(std::string_view key) const {
  return parse_unit<Nanos>(*this, key, "\"35ms\"", [](std::string_view s) { return parse_duration(s); });
}
std::optional<Nanos> ProfileTable::signed_duration(std::string_view key) const {
  return parse_unit<Nanos>(*this, key, "\"+8ms\"", [](std::string_view s) { return parse_signed_duration(s); });
}
std::optional<Bytes> ProfileTable::bytes(std::string_view key) const {
  return parse_unit<Bytes>(*this, key, "\"4MiB\"", [](std::string_view s) { return parse_bytes(s); });
}
std::optional<BitsPerSecond> ProfileTable::rate(std::string_view key) const {
  return parse_unit<BitsPerSecond>(*this, key, "\"1gbit\"", [](std::string_view s) { return parse_rate(s); });
}
std::optional<Km> ProfileTable::distance(std::string_view key) const {
  return parse_unit<Km>(*this, key, "\"4000km\"", [](std::string_view s) { return parse_distance(s); });
}
std::optional<Probability> ProfileTable::probability(std::string_view key) const {
  return parse_unit<Probability>(*this, key, "\"0.01%\"", [](std::string_view s) { return parse_probability(s); });
}

std::optional<std::string> ProfileTable::string(std::string_view key) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return std::nullopt;
  const auto* s = n->as_string();
  if (s == nullptr) fail(key, "expected a string");
  record(key);
  return s->get();
}

std::optional<int64_t> ProfileTable::integer(std::string_view key, int64_t min, int64_t max) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return std::nullopt;
  const auto* i = n->as_integer();
  const std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (i == nullptr) fail(key, "expected " + range);
  if (i->get() < min || i->get() > max) fail(key, "out of range; expected " + range);
  record(key);
  return i->get();
}

std::optional<double> ProfileTable::number(std::string_view key) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return std::nullopt;
  if (const auto* f = n->as_floating_point()) {
    record(key);
    return f->get();
  }
  if (const auto* i = n->as_integer()) {
    record(key);
    return static_cast<double>(i->get());
  }
  fail(key, "expected a plain number (this quantity has no unit)");
}

std::optional<bool> ProfileTable::boolean(std::string_view key) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return std::nullopt;
  const auto* b = n->as_boolean();
  if (b == nullptr) fail(key, "expected true or false");
  record(key);
  return b->get();
}

std::optional<size_t> ProfileTable::choice(std::string_view key, std::span<const std::string_view> names) const {
  const auto s = string(key);
  if (!s) return std::nullopt;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *s) return i;
  }
  const std::string hint = suggestion(*s, names);
  fail(key, (hint.empty() ? std::string() : hint + " ") + "expected one of " + quote_list(names));
}

std::optional<ProfileTable> ProfileTable::table(std::string_view key) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return std::nullopt;
  const auto* t = n->as_table();
  if (t == nullptr) fail(key, "expected a table ([" + path(key) + "])");
  return ProfileTable(ctx_, *t, path(key), relative(key));
}

const toml::array* ProfileTable::array(std::string_view key) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return nullptr;
  const auto* a = n->as_array();
  if (a == nullptr) fail(key, "expected an array of tables ([[" + path(key) + "]])");
  return a;
}

ProfileTable ProfileTable::element(std::string_view key, const toml::array& arr, size_t i) const {
  const std::string p = path(key) + "[" + std::to_string(i) + "]";
  const auto* t = arr.get(i)->as_table();
  if (t == nullptr) {
    throw ParseError(location(ctx_, arr.get(i)->source()) + p + " = " + render(*arr.get(i)) +
                     ": expected a table ([[" + path(key) + "]])");
  }
  return ProfileTable(ctx_, *t, p, relative(key) + "[" + std::to_string(i) + "]");
}

}  // namespace lh::detail
