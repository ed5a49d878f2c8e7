// units.cpp — strict parsing and round-trip formatting of unit strings (see units.hpp).
//
// Numbers are parsed as exact decimals (mantissa and scale as integers), multiplied by the unit's
// integer factor and required to land on a whole base unit, so "1.5ms" is exactly 1,500,000 ns and
// "0.5ns" is an error rather than a silent rounding.
#include "units.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <utility>

namespace lh {
namespace {

using u128 = unsigned __int128;

struct Decimal {
  u128 mantissa = 0;
  int scale = 0;  // value = mantissa / 10^scale
  bool negative = false;
};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "<number><unit>" and parses the number. `what` names the quantity for messages.
std::pair<Decimal, std::string> split(std::string_view text, std::string_view what,
                                      std::string_view accepted, bool allow_sign) {
  const std::string_view s = trim(text);
  if (s.empty()) throw ParseError("empty " + std::string(what) + "; expected e.g. " + std::string(accepted));
  size_t i = 0;
  Decimal d;
  if (s[i] == '+' || s[i] == '-') {
    if (!allow_sign) {
      throw ParseError(std::string(what) + " " + quoted(s) + " must not be signed (" +
                       (s[i] == '-' ? "negative" : "'+'") + "); expected e.g. " + std::string(accepted));
    }
    d.negative = s[i] == '-';
    ++i;
  }
  int digits = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      if (++digits > 30) throw ParseError(std::string(what) + " " + quoted(s) + " has too many digits");
      d.mantissa = d.mantissa * 10 + static_cast<unsigned>(c - '0');
      if (point) ++d.scale;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits == 0) {
    throw ParseError(std::string(what) + " " + quoted(s) + " does not start with a number; expected e.g. " +
                     std::string(accepted));
  }
  std::string_view unit = trim(s.substr(i));
  if (unit.empty()) {
    throw ParseError(std::string(what) + " " + quoted(s) + " has no unit (a bare number is ambiguous); expected e.g. " +
                     std::string(accepted));
  }
  return {d, std::string(unit)};
}

u128 pow10(int k) {
  u128 r = 1;
  for (int i = 0; i < k; ++i) r *= 10;
  return r;
}

// value * factor as an exact integer, or an error naming why not.
u128 scaled(const Decimal& d, u128 factor, std::string_view text, std::string_view what,
            std::string_view base_unit) {
  const u128 num = d.mantissa * factor;
  if (factor != 0 && num / factor != d.mantissa) throw ParseError(std::string(what) + " " + quoted(text) + " is too large");
  const u128 den = pow10(d.scale);
  if (num % den != 0) {
    throw ParseError(std::string(what) + " " + quoted(text) + " is not a whole number of " + std::string(base_unit));
  }
  return num / den;
}

template <typename Int>
Int checked(u128 v, std::string_view text, std::string_view what) {
  if (v > static_cast<u128>(std::numeric_limits<Int>::max())) {
    throw ParseError(std::string(what) + " " + quoted(text) + " is too large");
  }
  return static_cast<Int>(v);
}

struct UnitFactor {
  std::string_view name;
  uint64_t factor;
};

constexpr UnitFactor kTimeUnits[] = {{"ns", 1},
                                     {"us", 1'000},
                                     {"\xC2\xB5s", 1'000},  // µs
                                     {"ms", 1'000'000},
                                     {"s", 1'000'000'000},
                                     {"min", 60'000'000'000},
                                     {"h", 3'600'000'000'000}};
constexpr std::string_view kTimeAccepted = "\"35ms\", \"250us\", \"1.5s\" (units: ns, us, ms, s, min, h)";

constexpr UnitFactor kByteUnits[] = {{"B", 1},
                                     {"KB", 1'000},
                                     {"MB", 1'000'000},
                                     {"GB", 1'000'000'000},
                                     {"TB", 1'000'000'000'000},
                                     {"KiB", 1ull << 10},
                                     {"MiB", 1ull << 20},
                                     {"GiB", 1ull << 30},
                                     {"TiB", 1ull << 40}};
constexpr std::string_view kByteAccepted = "\"1500B\", \"64KiB\", \"1.5GiB\", \"10MB\" (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";

constexpr UnitFactor kRateUnits[] = {{"bit", 1},
                                     {"kbit", 1'000},
                                     {"mbit", 1'000'000},
                                     {"gbit", 1'000'000'000},
                                     {"tbit", 1'000'000'000'000}};
constexpr std::string_view kRateAccepted = "\"10gbit\", \"100mbit\", \"1.5gbit\" (units: bit, kbit, mbit, gbit, tbit per second)";

constexpr std::string_view kDistanceAccepted = "\"4000km\", \"80km\", \"500m\" (units: m, km)";
constexpr std::string_view kProbAccepted = "\"0.01%\", \"1%\", \"0%\" (a percentage from 0% to 100%)";

std::optional<uint64_t> find_unit(std::span<const UnitFactor> units, std::string_view unit, bool fold_case) {
  for (const auto& u : units) {
    if (fold_case ? lower(u.name) == lower(unit) : u.name == unit) return u.factor;
  }
  return std::nullopt;
}

Nanos parse_time(std::string_view text, bool allow_sign) {
  auto [d, unit] = split(text, "duration", kTimeAccepted, allow_sign);
  const auto f = find_unit(kTimeUnits, unit, false);
  if (!f) throw ParseError("duration " + quoted(trim(text)) + " has unknown unit \"" + unit + "\"; expected e.g. " + std::string(kTimeAccepted));
  const int64_t ns = checked<int64_t>(scaled(d, *f, trim(text), "duration", "ns"), trim(text), "duration");
  return {d.negative ? -ns : ns};
}

// Largest unit in `units` that divides v exactly (units ordered by growing factor within a family).
std::string format_with(uint64_t v, std::span<const UnitFactor> units) {
  std::string_view best = units.front().name;
  uint64_t best_f = units.front().factor;
  for (const auto& u : units) {
    if (u.factor > best_f && v % u.factor == 0 && v != 0) {
      best = u.name;
      best_f = u.factor;
    }
  }
  return std::to_string(v / best_f) + std::string(best);
}

}  // namespace

Probability Probability::from_double(double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw ParseError("probability " + std::to_string(p) + " is outside [0, 1]");
  }
  Probability out;
  out.value_ = p;
  if (p >= 1.0) {
    out.certain_ = true;
    out.threshold_ = UINT64_MAX;
  } else {
    const long double t = std::ldexp(static_cast<long double>(p), 64);
    out.threshold_ = t >= 18446744073709551615.0L ? UINT64_MAX : static_cast<uint64_t>(t + 0.5L);
  }
  return out;
}

Nanos parse_duration(std::string_view text) { return parse_time(text, false); }
Nanos parse_signed_duration(std::string_view text) { return parse_time(text, true); }

Bytes parse_bytes(std::string_view text) {
  auto [d, unit] = split(text, "size", kByteAccepted, false);
  if (lower(unit).find("bit") != std::string::npos || unit == "b") {
    throw ParseError("size " + quoted(trim(text)) + " is in bits; sizes are in bytes: " + std::string(kByteAccepted));
  }
  const auto f = find_unit(kByteUnits, unit, false);
  if (!f) throw ParseError("size " + quoted(trim(text)) + " has unknown unit \"" + unit + "\"; expected e.g. " + std::string(kByteAccepted));
  return {checked<uint64_t>(scaled(d, *f, trim(text), "size", "bytes"), trim(text), "size")};
}

BitsPerSecond parse_rate(std::string_view text) {
  auto [d, unit] = split(text, "rate", kRateAccepted, false);
  const std::string lu = lower(unit);
  if (lu.size() >= 3 && (lu.ends_with("bps") || lu.ends_with("b/s"))) {
    throw ParseError("rate " + quoted(trim(text)) + ": \"" + unit +
                     "\" is ambiguous (tc reads \"kbps\" as kilobytes/s); write bits per second, e.g. " +
                     std::string(kRateAccepted));
  }
  const auto f = find_unit(kRateUnits, unit, true);
  if (!f) throw ParseError("rate " + quoted(trim(text)) + " has unknown unit \"" + unit + "\"; expected e.g. " + std::string(kRateAccepted));
  return {checked<uint64_t>(scaled(d, *f, trim(text), "rate", "bit/s"), trim(text), "rate")};
}

Km parse_distance(std::string_view text) {
  auto [d, unit] = split(text, "distance", kDistanceAccepted, false);
  uint64_t f = 0;
  if (unit == "km") f = 1'000'000;
  else if (unit == "m") f = 1'000;
  else throw ParseError("distance " + quoted(trim(text)) + " has unknown unit \"" + unit + "\"; expected e.g. " + std::string(kDistanceAccepted));
  return {checked<int64_t>(scaled(d, f, trim(text), "distance", "mm"), trim(text), "distance")};
}

Probability parse_probability(std::string_view text) {
  const std::string_view s = trim(text);
  auto [d, unit] = split(s, "probability", kProbAccepted, false);
  if (unit != "%") {
    throw ParseError("probability " + quoted(s) + " must be a percentage; expected e.g. " + std::string(kProbAccepted));
  }
  // Exact decimal → long double fraction: mantissa / 10^(scale + 2).
  const long double p = static_cast<long double>(d.mantissa) / static_cast<long double>(pow10(d.scale + 2));
  if (p > 1.0L) throw ParseError("probability " + quoted(s) + " is above 100%; expected e.g. " + std::string(kProbAccepted));
  return Probability::from_double(static_cast<double>(p));
}

std::string format(Nanos v) {
  if (v.ns < 0) return "-" + format(Nanos{-v.ns});
  constexpr UnitFactor units[] = {{"ns", 1}, {"us", 1'000}, {"ms", 1'000'000}, {"s", 1'000'000'000}};
  return format_with(static_cast<uint64_t>(v.ns), units);
}

std::string format(Bytes v) {
  // Prefer binary units when they divide exactly, else decimal, else bytes.
  constexpr UnitFactor bin[] = {{"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40}};
  constexpr UnitFactor dec[] = {{"B", 1}, {"KB", 1'000}, {"MB", 1'000'000}, {"GB", 1'000'000'000}, {"TB", 1'000'000'000'000}};
  const std::string b = format_with(v.n, bin);
  const std::string d = format_with(v.n, dec);
  return b.size() <= d.size() ? b : d;
}

std::string format(BitsPerSecond v) { return format_with(v.bps, kRateUnits); }

std::string format(Km v) {
  if (v.mm % 1'000'000 == 0) return std::to_string(v.mm / 1'000'000) + "km";
  if (v.mm % 1'000 == 0) return std::to_string(v.mm / 1'000) + "m";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%06lldkm", static_cast<long long>(v.mm / 1'000'000),
                static_cast<long long>(v.mm % 1'000'000));
  return buf;
}

std::string format(Probability v) {
  // Shortest fixed-point percentage that parses back to the same threshold.
  for (int decimals = 0; decimals <= 24; ++decimals) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.*f%%", decimals, v.value() * 100.0);
    if (parse_probability(buf) == v) return buf;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.24f%%", v.value() * 100.0);
  return buf;
}

}  // namespace lh
