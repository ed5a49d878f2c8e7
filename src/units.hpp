// units.hpp — strong unit types for time, data, rate, distance and probability.
//
// Every quantity that crosses an API boundary carries its unit in its type, so a delay can never be
// passed where a rate is expected (the QUICHE `QuicTime::Delta` / `QuicBandwidth` lesson). Arithmetic
// is integer: time in ns (int64), data in bytes (uint64), rate in bit/s (uint64), distance in mm
// (int64), probability as a 64-bit threshold against a uniform 64-bit random draw (netem's idea,
// with 2^-64 resolution instead of 2^-32).
//
// Parsing takes human strings in tc's vocabulary without its traps: a unit is always required
// ("35ms", "10gbit", "1.5GiB", "4000km", "0.01%"); "kbps" (tc: kilobytes/s) is refused as ambiguous.
// Parse errors throw lh::ParseError whose message says what was wrong and what is accepted; callers
// add the file:line and key. Formatting round-trips: parse_x(format(v)) == v.
#pragma once

#include <compare>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lh {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A span of time or an instant (ns since an arbitrary epoch), in nanoseconds.
struct Nanos {
  int64_t ns = 0;

  static constexpr Nanos from_us(int64_t v) { return {v * 1'000}; }
  static constexpr Nanos from_ms(int64_t v) { return {v * 1'000'000}; }
  static constexpr Nanos from_s(int64_t v) { return {v * 1'000'000'000}; }
  static constexpr Nanos max() { return {INT64_MAX}; }

  constexpr double seconds() const { return static_cast<double>(ns) * 1e-9; }
  constexpr double ms() const { return static_cast<double>(ns) * 1e-6; }
  constexpr double us() const { return static_cast<double>(ns) * 1e-3; }

  constexpr auto operator<=>(const Nanos&) const = default;
  constexpr Nanos operator+(Nanos o) const { return {ns + o.ns}; }
  constexpr Nanos operator-(Nanos o) const { return {ns - o.ns}; }
  constexpr Nanos& operator+=(Nanos o) { ns += o.ns; return *this; }
  constexpr Nanos& operator-=(Nanos o) { ns -= o.ns; return *this; }
  constexpr Nanos operator*(int64_t k) const { return {ns * k}; }
  constexpr Nanos operator/(int64_t k) const { return {ns / k}; }
};

struct Bytes {
  uint64_t n = 0;
  constexpr auto operator<=>(const Bytes&) const = default;
  constexpr Bytes operator+(Bytes o) const { return {n + o.n}; }
  constexpr Bytes operator-(Bytes o) const { return {n - o.n}; }
  constexpr Bytes& operator+=(Bytes o) { n += o.n; return *this; }
  constexpr Bytes& operator-=(Bytes o) { n -= o.n; return *this; }
};

struct BitsPerSecond {
  uint64_t bps = 0;
  constexpr auto operator<=>(const BitsPerSecond&) const = default;
  constexpr double gbit() const { return static_cast<double>(bps) * 1e-9; }
  constexpr double mbit() const { return static_cast<double>(bps) * 1e-6; }
};

// A distance, held in millimetres so that kilometre figures with decimals stay exact.
struct Km {
  int64_t mm = 0;
  static constexpr Km from_km(int64_t km) { return {km * 1'000'000}; }
  constexpr double km() const { return static_cast<double>(mm) * 1e-6; }
  constexpr auto operator<=>(const Km&) const = default;
};

// A probability in [0, 1]. An event with probability p happens when a uniform 64-bit draw r satisfies
// hit(r); threshold = round(p * 2^64), with p == 1 held as `certain` (2^64 does not fit).
class Probability {
 public:
  constexpr Probability() = default;
  static Probability from_double(double p);  // throws ParseError outside [0, 1] or NaN

  constexpr bool hit(uint64_t r) const { return certain_ || r < threshold_; }
  constexpr double value() const { return value_; }
  constexpr uint64_t threshold() const { return threshold_; }
  constexpr bool is_zero() const { return !certain_ && threshold_ == 0; }
  constexpr bool operator==(const Probability& o) const {
    return threshold_ == o.threshold_ && certain_ == o.certain_;
  }

 private:
  double value_ = 0.0;
  uint64_t threshold_ = 0;
  bool certain_ = false;
};

// ---- parsing (throws ParseError) ------------------------------------------------------------------
// Durations: ns, us (or µs), ms, s, min, h. Decimals allowed if the result is a whole number of ns.
Nanos parse_duration(std::string_view text);
// Like parse_duration but allows a leading sign ("+8ms", "-2ms") for relative steps.
Nanos parse_signed_duration(std::string_view text);
// Sizes: B, KB/MB/GB/TB (10^3k), KiB/MiB/GiB/TiB (2^10k). Whole bytes only.
Bytes parse_bytes(std::string_view text);
// Rates: bit, kbit, mbit, gbit, tbit (decimal, case-insensitive); bps/kbps/mbps/gbps are refused.
BitsPerSecond parse_rate(std::string_view text);
// Distances: m, km.
Km parse_distance(std::string_view text);
// Probabilities: "0.01%" (percent); also "1e-4" written as a fraction is refused — write "0.01%".
Probability parse_probability(std::string_view text);

// ---- formatting (round-trips through the parsers) -------------------------------------------------
std::string format(Nanos v);
std::string format(Bytes v);
std::string format(BitsPerSecond v);
std::string format(Km v);
std::string format(Probability v);

// Time to serialize `bytes` at `rate`, rounded up to whole ns. rate must be > 0.
constexpr Nanos serialization_time(Bytes bytes, BitsPerSecond rate) {
  const unsigned __int128 num = static_cast<unsigned __int128>(bytes.n) * 8u * 1'000'000'000u;
  return {static_cast<int64_t>((num + rate.bps - 1) / rate.bps)};
}

// Bytes carried in `t` at `rate` (floor).
constexpr Bytes bytes_in(Nanos t, BitsPerSecond rate) {
  if (t.ns <= 0) return {0};
  const unsigned __int128 num = static_cast<unsigned __int128>(t.ns) * rate.bps;
  return {static_cast<uint64_t>(num / 8'000'000'000u)};
}

}  // namespace lh
