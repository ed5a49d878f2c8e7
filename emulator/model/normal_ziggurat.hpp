// normal_ziggurat.hpp — standard normal draws by the ziggurat method, for per-packet jitter.
//
// Marsaglia & Tsang, "The Ziggurat Method for Generating Random Variables" (J. Stat. Softw. 5(8),
// 2000), 128 layers, with the layer index taken from bits independent of the abscissa (the fix of
// Doornik 2005 for the correlation in the original). ~99% of draws cost one 64-bit random number, a
// multiply and a compare; no log()/sin() on the fast path (Box–Muller needs both). Tables are built
// once at program start-up (static initialization), so draws take no lock and allocate nothing.
#pragma once

#include <cstdint>

#include "src/rng.hpp"

namespace lh::emu {

struct ZigguratTables {
  uint32_t k[128];   // acceptance bounds on |hz| per layer
  double w[128];     // abscissa scale per layer (x = hz * w)
  double f[128];     // exp(-x²/2) at each layer's edge
};
extern const ZigguratTables kZiggurat;

// The slow path (≈1% of draws): wedge and tail rejection.
double normal_ziggurat_slow(Rng& rng, int32_t hz, uint32_t iz) noexcept;

// One N(0, 1) draw.
inline double normal_draw(Rng& rng) noexcept {
  const uint64_t r = rng();
  const auto hz = static_cast<int32_t>(static_cast<uint32_t>(r));
  const auto iz = static_cast<uint32_t>(r >> 32) & 127u;
  const uint32_t mag = hz < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(hz)) : static_cast<uint32_t>(hz);
  if (mag < kZiggurat.k[iz]) [[likely]] return hz * kZiggurat.w[iz];
  return normal_ziggurat_slow(rng, hz, iz);
}

// Φ⁻¹(u) for u in (0, 1): Acklam's rational approximation refined by one Halley step (|rel err| <
// 1e-12). Used for netem's comonotone pareto-normal mix; not for plain normal draws.
double normal_quantile(double u) noexcept;

}  // namespace lh::emu
