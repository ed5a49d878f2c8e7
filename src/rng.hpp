// rng.hpp — xoshiro256** (Blackman & Vigna, 2018): a small, fast, seedable PRNG.
//
// Every stochastic stage owns its own Rng, derived from (profile seed, stream id) with SplitMix64, so
// streams are independent and adding a stage never shifts another stage's draws. Same seed ⇒ same
// sequence on every platform. Probabilities are compared as 64-bit integer thresholds (see
// lh::Probability); uniform doubles use the top 53 bits.
#pragma once

#include <cstdint>

namespace lh {

class Rng {
 public:
  // A stream for `stream_id` under `seed`: different ids give independent, reproducible streams.
  explicit constexpr Rng(uint64_t seed, uint64_t stream_id = 0) noexcept {
    uint64_t x = seed ^ (0x9E3779B97F4A7C15ull * (stream_id + 1));
    for (auto& word : s_) word = splitmix64(x);
  }

  constexpr uint64_t next() noexcept {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  constexpr uint64_t operator()() noexcept { return next(); }

  // Uniform in [0, 1) with 53 bits of resolution.
  constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe for log().
  constexpr double uniform_pos() noexcept { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  constexpr uint64_t below(uint64_t n) noexcept {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  static constexpr uint64_t splitmix64(uint64_t& x) noexcept {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t s_[4]{};
};

}  // namespace lh
