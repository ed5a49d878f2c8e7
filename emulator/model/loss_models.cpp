// loss_models.cpp — model construction and the 4-state chain (see loss_models.hpp).
#include "emulator/model/loss_models.hpp"

#include <stdexcept>
#include <string>

namespace lh::emu {
namespace {

using u128 = unsigned __int128;
constexpr u128 kOne = static_cast<u128>(1) << 64;

// A probability as an exact fraction of 2^64 (certainty is 2^64, which a threshold cannot hold).
u128 scaled(Probability p) { return p.hit(UINT64_MAX) ? kOne : p.threshold(); }

// Cumulative threshold of a + b; `certain` when the sum is exactly 1. Throws above 1.
uint64_t cumulative(Probability a, Probability b, bool& certain, const char* what) {
  const u128 sum = scaled(a) + scaled(b);
  if (sum > kOne) throw std::invalid_argument(std::string("4-state loss: ") + what + " exceeds 100%");
  certain = sum == kOne;
  return certain ? UINT64_MAX : static_cast<uint64_t>(sum);
}

}  // namespace

Markov4Model::Markov4Model(const MarkovLoss& c)
    : p14_(c.p14), p23_(c.p23), p32_(c.p32) {
  t13_cum_ = cumulative(c.p14, c.p13, gap_leave_certain_, "p13 + p14");
  t31_cum_ = cumulative(c.p32, c.p31, burst_leave_certain_, "p31 + p32");
}

bool Markov4Model::lost(Rng& rng, uint64_t) noexcept {
  const uint64_t rnd = rng();
  switch (state_) {
    case Markov4State::kGapRx:
      if (p14_.hit(rnd)) {
        state_ = Markov4State::kIsolatedLoss;
        return true;
      }
      if (gap_leave_certain_ || rnd < t13_cum_) {
        state_ = Markov4State::kBurstLoss;
        return true;
      }
      return false;
    case Markov4State::kBurstRx:
      if (p23_.hit(rnd)) {
        state_ = Markov4State::kBurstLoss;
        return true;
      }
      return false;
    case Markov4State::kBurstLoss:
      if (p32_.hit(rnd)) {
        state_ = Markov4State::kBurstRx;
        return false;
      }
      if (burst_leave_certain_ || rnd < t31_cum_) {
        state_ = Markov4State::kGapRx;
        return false;
      }
      return true;
    case Markov4State::kIsolatedLoss:
      state_ = Markov4State::kGapRx;
      return false;
  }
  return false;
}

LossStage::LossStage(const LossConfig& cfg, Rng rng) : rng_(rng) {
  struct Build {
    LossModel operator()(const NoLoss&) const { return NoLossModel{}; }
    LossModel operator()(const BernoulliLoss& b) const { return BernoulliModel{b.p}; }
    LossModel operator()(const GilbertElliottLoss& g) const {
      return GilbertElliottModel{g.p, g.r, g.loss_bad, g.loss_good};
    }
    LossModel operator()(const MarkovLoss& m) const { return Markov4Model(m); }
    LossModel operator()(const TraceLoss& t) const {
      if (!t.pattern || t.pattern->lost.empty()) {
        throw std::invalid_argument("trace loss: the loss pattern" +
                                    (t.pattern ? " from " + t.pattern->source : std::string()) +
                                    " is empty");
      }
      return PatternModel{t.pattern->lost.data(), t.pattern->lost.size()};
    }
  };
  model_ = std::visit(Build{}, cfg);
}

void LossStage::take_over(const LossStage& prev) noexcept {
  rng_ = prev.rng_;
  if (prev.model_.index() == model_.index()) {
    if (auto* ge = std::get_if<GilbertElliottModel>(&model_)) {
      ge->state = std::get<GilbertElliottModel>(prev.model_).state;
    } else if (auto* m4 = std::get_if<Markov4Model>(&model_)) {
      m4->set_state(std::get<Markov4Model>(prev.model_).state());
    }
  }
}

}  // namespace lh::emu
