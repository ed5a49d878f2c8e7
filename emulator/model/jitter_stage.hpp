// jitter_stage.hpp — delay variation and netem-style packet mangling (reorder, duplicate, corrupt).
//
// Each packet's jitter is scale × x_n, where x_n is AR(1) over a standardized draw e_n:
//     x_n = ρ·x_{n−1} + sqrt(1 − ρ²)·e_n
// so the lag-1 correlation of successive jitter values is exactly ρ and the variance is that of e
// (netem's own "correlation" mixes uniforms and is known to distort both). The draws e (netem's
// distributions without tables; NETEM_DIST_SCALE = 8192):
//  * uniform:      2u − 1                        (±scale, as netem's jitter without a table)
//  * normal:       N(0, 1)  (ziggurat)           (σ = scale)
//  * pareto:       min((U^(−1/3) − 1.5)·4/3, 32767/8192), U ∈ (0,1]  (iproute2 pareto.c: a = 3, mean
//                  of the Pareto(1, 3) removed, ×4/3, clipped where the table is)
//  * paretonormal: 0.25·Φ⁻¹(u) + 0.75·pareto(U = 1 − u) from ONE uniform u — iproute2 paretonormal.c
//                  builds its table from the same quantile index for both parts (comonotone mix).
// With ρ > 0 a normal stays exactly normal; the others keep their mean and variance but not their
// exact shape (a sum of uniforms is not uniform). Reorder / duplicate / corrupt use their own RNG
// stream so that enabling them never shifts the jitter sequence.
#pragma once

#include <cmath>
#include <cstdint>

#include "emulator/model/normal_ziggurat.hpp"
#include "src/link_profile.hpp"
#include "src/rng.hpp"

namespace lh::emu {

class JitterStage {
 public:
  JitterStage() = default;
  // Throws std::invalid_argument for a negative scale or a correlation outside [0, 1).
  JitterStage(const JitterConfig& cfg, Rng jitter_rng, Rng mangle_rng);

  bool enabled() const noexcept { return dist_ != JitterDistribution::kNone && scale_ns_ > 0.0; }

  // The next packet's jitter (ns, may be negative), AR(1)-correlated with the previous one.
  int64_t next_offset() noexcept {
    if (!enabled()) return 0;
    const double e = draw(rng_);
    x_ = a_ * x_ + b_ * e;
    return std::llround(x_ * scale_ns_);
  }
  // An independent jitter draw (for a duplicate's copy): does not touch the AR(1) state.
  int64_t independent_offset() noexcept {
    if (!enabled()) return 0;
    return std::llround(draw(mangle_rng_) * scale_ns_);
  }

  bool reorder() noexcept { return !reorder_.is_zero() && reorder_.hit(mangle_rng_()); }
  bool duplicate() noexcept { return !duplicate_.is_zero() && duplicate_.hit(mangle_rng_()); }
  // Bit to flip for a corrupted packet of `bytes` (0 = no bits: no corruption), or -1 for none.
  int64_t corrupt_bit(uint32_t bytes) noexcept {
    if (corrupt_.is_zero() || bytes == 0 || !corrupt_.hit(mangle_rng_())) return -1;
    return static_cast<int64_t>(mangle_rng_.below(static_cast<uint64_t>(bytes) * 8u));
  }

  void take_over(const JitterStage& prev) noexcept {
    x_ = prev.x_;
    rng_ = prev.rng_;
    mangle_rng_ = prev.mangle_rng_;
  }
  double ar_state() const noexcept { return x_; }

  // The standardized draw e for `dist` (public for tests of the distributions).
  static double draw(JitterDistribution dist, Rng& rng) noexcept;

 private:
  double draw(Rng& rng) noexcept {
    if (dist_ == JitterDistribution::kNormal) [[likely]] return normal_draw(rng);
    if (dist_ == JitterDistribution::kUniform) return 2.0 * rng.uniform() - 1.0;
    return draw(dist_, rng);
  }

  JitterDistribution dist_ = JitterDistribution::kNone;
  double scale_ns_ = 0.0;
  double a_ = 0.0, b_ = 1.0;   // ρ and sqrt(1 − ρ²)
  double x_ = 0.0;             // AR(1) state
  Probability reorder_, duplicate_, corrupt_;
  Rng rng_{0};
  Rng mangle_rng_{0};
};

}  // namespace lh::emu
