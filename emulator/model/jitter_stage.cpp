// jitter_stage.cpp — jitter distributions (see jitter_stage.hpp for the formulas and sources).
#include "emulator/model/jitter_stage.hpp"

#include <algorithm>
#include <stdexcept>

namespace lh::emu {
namespace {

constexpr double kTableMax = 32767.0 / 8192.0;   // netem tables are int16 in units of 1/8192

double pareto_netem(double u_pos) noexcept {   // u_pos in (0, 1]
  return std::min((1.0 / std::cbrt(u_pos) - 1.5) * (4.0 / 3.0), kTableMax);
}

}  // namespace

JitterStage::JitterStage(const JitterConfig& cfg, Rng jitter_rng, Rng mangle_rng)
    : dist_(cfg.distribution),
      scale_ns_(static_cast<double>(cfg.jitter.ns)),
      reorder_(cfg.reorder),
      duplicate_(cfg.duplicate),
      corrupt_(cfg.corrupt),
      rng_(jitter_rng),
      mangle_rng_(mangle_rng) {
  if (cfg.jitter.ns < 0) throw std::invalid_argument("jitter: negative jitter");
  if (!(cfg.correlation >= 0.0 && cfg.correlation < 1.0)) {
    throw std::invalid_argument("jitter: correlation must be in [0, 1)");
  }
  if (!cfg.reorder.is_zero() && cfg.mode != JitterMode::kReordering) {
    throw std::invalid_argument("jitter: reorder needs mode = reordering (order-preserving mode never reorders)");
  }
  a_ = cfg.correlation;
  b_ = std::sqrt(1.0 - a_ * a_);
}

double JitterStage::draw(JitterDistribution dist, Rng& rng) noexcept {
  switch (dist) {
    case JitterDistribution::kNone:
      return 0.0;
    case JitterDistribution::kUniform:
      return 2.0 * rng.uniform() - 1.0;
    case JitterDistribution::kNormal:
      return normal_draw(rng);
    case JitterDistribution::kPareto:
      return pareto_netem(rng.uniform_pos());
    case JitterDistribution::kParetoNormal: {
      const double u = rng.uniform_pos() - 0x1.0p-54;   // in (0, 1): both quantiles finite
      return std::min(0.25 * normal_quantile(u) + 0.75 * pareto_netem(1.0 - u), kTableMax);
    }
  }
  return 0.0;
}

}  // namespace lh::emu
