// loss_models.hpp — per-packet loss on the span: Bernoulli, Gilbert–Elliott, 4-state Markov, pattern.
//
// Semantics follow Linux sch_netem exactly, with 64-bit thresholds (lh::Probability) in place of
// netem's 32-bit ones:
//  * Gilbert–Elliott ("gemodel p r 1-h 1-k", netem loss_gilb_ell): per packet, first the state
//    transition is drawn from the state the packet found (Good→Bad with p, Bad→Good with r), then the
//    loss is drawn with the loss probability of that *found* state (1-k in Good, 1-h in Bad). Two
//    draws per packet. With 1-h = 1, 1-k = 0 loss bursts are geometric with mean 1/r, gaps 1/p.
//  * 4-state Markov ("state p13 p31 p32 p23 p14", netem loss_4state; Salsano et al., "Definition of
//    a general and intuitive loss model for packet networks", 2008): one draw per packet moves the
//    chain; the packet is lost iff the state it moves *into* is a loss state (kBurstLoss,
//    kIsolatedLoss). From kGapRx: →kIsolatedLoss w.p. p14, →kBurstLoss w.p. p13, else stay. From
//    kBurstRx: →kBurstLoss w.p. p23, else stay. From kBurstLoss: →kBurstRx w.p. p32, →kGapRx w.p. p31,
//    else stay (lost again). From kIsolatedLoss: →kGapRx always.
//  * Pattern: a 0/1 trace indexed by the direction's packet number, replayed cyclically.
// Pluggable via std::variant: one visit per packet, no virtual call.
#pragma once

#include <cstdint>
#include <variant>

#include "src/link_profile.hpp"
#include "src/rng.hpp"

namespace lh::emu {

struct NoLossModel {
  bool lost(Rng&, uint64_t) noexcept { return false; }
};

struct BernoulliModel {
  Probability p;
  bool lost(Rng& rng, uint64_t) noexcept { return p.hit(rng()); }
};

struct GilbertElliottModel {
  enum class State : uint8_t { kGood, kBad };
  Probability p, r, loss_bad, loss_good;
  State state = State::kGood;

  bool lost(Rng& rng, uint64_t) noexcept {
    if (state == State::kGood) {
      if (p.hit(rng())) state = State::kBad;
      return loss_good.hit(rng());
    }
    if (r.hit(rng())) state = State::kGood;
    return loss_bad.hit(rng());
  }
};

enum class Markov4State : uint8_t {
  kGapRx = 1,          // received, within a gap period
  kBurstRx = 2,        // received, within a burst period
  kBurstLoss = 3,      // lost, within a burst period
  kIsolatedLoss = 4,   // lost in isolation, within a gap period
};

class Markov4Model {
 public:
  explicit Markov4Model(const MarkovLoss& cfg);   // throws std::invalid_argument if p13+p14 or p31+p32 > 1
  bool lost(Rng& rng, uint64_t) noexcept;
  Markov4State state() const noexcept { return state_; }
  void set_state(Markov4State s) noexcept { state_ = s; }

 private:
  // Cumulative thresholds against one 64-bit draw.
  Probability p14_;                   // gap: [0, t14) → isolated loss, [t14, t13_cum) → burst loss
  uint64_t t13_cum_ = 0;
  bool gap_leave_certain_ = false;    // p14 + p13 == 1
  Probability p23_;
  Probability p32_;                   // burst loss: [0, t32) → burst rx, [t32, t31_cum) → gap rx
  uint64_t t31_cum_ = 0;
  bool burst_leave_certain_ = false;  // p32 + p31 == 1
  Markov4State state_ = Markov4State::kGapRx;
};

struct PatternModel {
  const uint8_t* lost_flags = nullptr;   // owned by the config's LossPattern
  uint64_t length = 0;
  bool lost(Rng&, uint64_t packet_index) noexcept { return lost_flags[packet_index % length] != 0; }
};

using LossModel = std::variant<NoLossModel, BernoulliModel, GilbertElliottModel, Markov4Model, PatternModel>;

// The loss stage: the configured model, or a Bernoulli override set by a schedule step / link trace.
class LossStage {
 public:
  LossStage() = default;
  // Throws std::invalid_argument on an inconsistent model (e.g. p13 + p14 > 1, empty pattern).
  LossStage(const LossConfig& cfg, Rng rng);

  bool lost(uint64_t packet_index) noexcept {
    if (override_active_) return override_.hit(rng_());
    return std::visit([&](auto& m) { return m.lost(rng_, packet_index); }, model_);
  }
  void set_override(Probability p) noexcept {
    override_ = p;
    override_active_ = true;
  }
  // Live swap: same model kind ⇒ its state (GE/4-state state) carries over; the RNG stream always does.
  void take_over(const LossStage& prev) noexcept;
  const LossModel& model() const noexcept { return model_; }

 private:
  LossModel model_{NoLossModel{}};
  Probability override_;
  bool override_active_ = false;
  Rng rng_{0};
};

}  // namespace lh::emu
