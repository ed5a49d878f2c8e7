// normal_ziggurat.cpp — ziggurat tables and slow path; inverse normal CDF (see normal_ziggurat.hpp).
#include "emulator/model/normal_ziggurat.hpp"

#include <cmath>

namespace lh::emu {
namespace {

constexpr double kR = 3.442619855899;             // start of the tail (Marsaglia & Tsang, 128 layers)
constexpr double kV = 9.91256303526217e-3;        // area of each layer
constexpr double kM1 = 2147483648.0;              // 2^31: |hz| scale

ZigguratTables build_tables() {
  ZigguratTables t{};
  double dn = kR;
  double tn = dn;
  const double q = kV / std::exp(-0.5 * dn * dn);
  t.k[0] = static_cast<uint32_t>((dn / q) * kM1);
  t.k[1] = 0;
  t.w[0] = q / kM1;
  t.w[127] = dn / kM1;
  t.f[0] = 1.0;
  t.f[127] = std::exp(-0.5 * dn * dn);
  for (int i = 126; i >= 1; --i) {
    dn = std::sqrt(-2.0 * std::log(kV / dn + std::exp(-0.5 * dn * dn)));
    t.k[i + 1] = static_cast<uint32_t>((dn / tn) * kM1);
    tn = dn;
    t.f[i] = std::exp(-0.5 * dn * dn);
    t.w[i] = dn / kM1;
  }
  return t;
}

}  // namespace

const ZigguratTables kZiggurat = build_tables();

double normal_ziggurat_slow(Rng& rng, int32_t hz, uint32_t iz) noexcept {
  for (;;) {
    if (iz == 0) {  // the tail beyond kR: Marsaglia's exponential rejection
      double x = 0.0;
      double y = 0.0;
      do {
        x = -std::log(rng.uniform_pos()) / kR;
        y = -std::log(rng.uniform_pos());
      } while (y + y < x * x);
      return hz > 0 ? kR + x : -kR - x;
    }
    const double x = hz * kZiggurat.w[iz];
    if (kZiggurat.f[iz] + rng.uniform() * (kZiggurat.f[iz - 1] - kZiggurat.f[iz]) < std::exp(-0.5 * x * x)) {
      return x;
    }
    const uint64_t r = rng();
    hz = static_cast<int32_t>(static_cast<uint32_t>(r));
    iz = static_cast<uint32_t>(r >> 32) & 127u;
    const uint32_t mag = hz < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(hz)) : static_cast<uint32_t>(hz);
    if (mag < kZiggurat.k[iz]) return hz * kZiggurat.w[iz];
  }
}

double normal_quantile(double u) noexcept {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (u <= 0.0) return -INFINITY;
  if (u >= 1.0) return INFINITY;
  double x = 0.0;
  if (u < kLow) {
    const double q = std::sqrt(-2.0 * std::log(u));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else if (u <= 1.0 - kLow) {
    const double q = u - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    const double q = std::sqrt(-2.0 * std::log(1.0 - u));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  // One Halley refinement step against the exact CDF.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - u;
  const double g = e * std::sqrt(2.0 * M_PI) * std::exp(0.5 * x * x);
  return x - g / (1.0 + 0.5 * x * g);
}

}  // namespace lh::emu
