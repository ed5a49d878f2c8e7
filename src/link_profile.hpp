// link_profile.hpp — the validated, in-memory form of a link profile: what each direction of a
// long-haul path does to packets. Produced by the TOML parser (profile.hpp), consumed by
// emulator/model's LinkDirection, by lh-emu, lh-linksim and the simulator alike, so one profile means
// exactly the same thing everywhere. The file format is documented in emulator/PROFILES.md.
//
// Stage order (why: it is the order a real long-haul path applies them): a packet first waits in the
// bottleneck queue (queue limit, AQM), is serialized at the bottleneck rate (rate), may be lost on the
// span (loss: after the bottleneck, so a lost packet still used link capacity, as on real fiber),
// then propagates (fiber distance + fixed delay) and picks up jitter/reordering/duplication/corruption
// from the equipment along the way. Time-varying changes (schedule, events, traces) modify the stages.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "src/units.hpp"

namespace lh {

// ---- 1. rate --------------------------------------------------------------------------------------
struct RateConfig {
  BitsPerSecond rate{0};   // 0 = unlimited (no serialization delay, no queue)
  Bytes overhead{24};      // per-frame wire overhead: preamble 7 + SFD 1 + IFG 12 + FCS 4
};

// ---- 2. queue -------------------------------------------------------------------------------------
enum class QueueDiscipline : uint8_t { kDropTail, kRed };

struct RedConfig {
  Bytes min_threshold{0};   // average backlog below which nothing is marked/dropped
  Bytes max_threshold{0};   // above which every packet is marked/dropped
  Probability max_p = Probability::from_double(0.1);  // mark probability at max_threshold
  double weight = 0.002;    // EWMA weight of the average backlog (Floyd & Jacobson 1993)
  bool ecn = true;          // mark ECT packets CE instead of dropping them
};

// Exactly one limit kind is set (the parser enforces it); all zero = unlimited.
struct QueueConfig {
  Bytes limit_bytes{0};
  uint64_t limit_packets = 0;
  Nanos limit_time{0};      // backlog expressed as time at the current rate ("25ms")
  QueueDiscipline discipline = QueueDiscipline::kDropTail;
  RedConfig red{};
};

// ---- 3. loss --------------------------------------------------------------------------------------
struct NoLoss {};
struct BernoulliLoss {
  Probability p;
};
// netem "gemodel p r 1-h 1-k": two states, Good and Bad.
struct GilbertElliottLoss {
  Probability p;          // P(Good → Bad) per packet
  Probability r;          // P(Bad → Good) per packet
  Probability loss_bad;   // 1-h: loss probability while Bad (1 = pure Gilbert)
  Probability loss_good;  // 1-k: loss probability while Good (usually 0)
};
// netem "state p13 p31 p32 p23 p14": the 4-state Markov model of Salsano et al. (CLM/4SM).
// States: 1 gap_rx (good, in a gap), 2 burst_rx (good, inside a burst), 3 burst_loss, 4 isolated_loss.
struct MarkovLoss {
  Probability p13, p31, p32, p23, p14;
};
// A 0/1 loss pattern indexed by packet number, replayed cyclically (1 = lost).
struct LossPattern {
  std::string source;          // file it came from, for messages
  std::vector<uint8_t> lost;   // one entry per packet
};
struct TraceLoss {
  std::shared_ptr<const LossPattern> pattern;
};
using LossConfig = std::variant<NoLoss, BernoulliLoss, GilbertElliottLoss, MarkovLoss, TraceLoss>;

// ---- 4. propagation -------------------------------------------------------------------------------
struct PropagationConfig {
  Km distance{0};
  Nanos per_km{4'900};     // 4.9 µs/km: light in silica, refractive index ≈ 1.47
  Nanos extra{0};          // fixed delay on top (equipment, detours not in `distance`)
};

// ---- 5. jitter and packet mangling ----------------------------------------------------------------
enum class JitterDistribution : uint8_t { kNone, kUniform, kNormal, kPareto, kParetoNormal };
enum class JitterMode : uint8_t {
  kOrderPreserving,   // default: a packet never departs before its predecessor (real fiber is FIFO)
  kReordering,        // departures may cross; the driver keeps a timer structure instead of a FIFO
};
struct JitterConfig {
  JitterDistribution distribution = JitterDistribution::kNone;
  Nanos jitter{0};            // scale: half-width (uniform) or standard deviation (others)
  double correlation = 0.0;   // AR(1) coefficient of successive jitter draws, [0, 1)
  JitterMode mode = JitterMode::kOrderPreserving;
  Probability reorder;        // netem-style: this fraction skips the delay (sent ahead), needs kReordering
  Probability duplicate;      // this fraction is delivered twice
  Probability corrupt;        // this fraction gets one random bit flipped
};

// ---- 6. time-varying behaviour --------------------------------------------------------------------
// A step change at time `at` (relative to the direction's epoch); unset fields stay as they are.
struct ScheduleStep {
  Nanos at{0};
  std::optional<BitsPerSecond> rate;
  std::optional<Nanos> extra_delay;     // replaces PropagationConfig::extra
  std::optional<Probability> loss;      // replaces the loss model with Bernoulli(p)
};

enum class LinkEventKind : uint8_t {
  kOutage,            // every packet arriving in [at, at + duration) is dropped (cause: outage)
  kProtectionSwitch,  // a short outage (SONET/OTN APS: ≤ 50 ms) followed by `delay_delta` on the protect path
  kReroute,           // the path's delay changes by `delay_delta` at `at` (no loss)
};
struct LinkEvent {
  Nanos at{0};
  LinkEventKind kind = LinkEventKind::kOutage;
  Nanos duration{0};       // outage / switch-over length
  Nanos delay_delta{0};    // added to the propagation delay from the end of the event (may be negative)
  Nanos repeat_every{0};   // 0 = once; else the event recurs with this period (flapping links)
  uint32_t repeat_count = 0;  // 0 with repeat_every set = forever
};

// A link trace: piecewise-constant (rate, delay, loss) with ns timestamps; see traces/FORMATS.md.
struct LinkTracePoint {
  Nanos at{0};
  BitsPerSecond rate{0};
  Nanos delay{0};            // replaces PropagationConfig::extra while in effect
  Probability loss;
};
struct LinkTrace {
  std::string source;
  std::vector<LinkTracePoint> points;   // strictly increasing `at`, first at 0
  Nanos period{0};                      // 0 = hold the last point; else loop with this period
};

// A Mahimahi packet-delivery trace: each entry is a delivery opportunity for one MTU-sized packet,
// in ms since the start; the trace repeats with its last timestamp as the period (mahimahi mm-link).
struct DeliveryTrace {
  std::string source;
  std::vector<Nanos> opportunities;     // non-decreasing
  Nanos period{0};
  Bytes bytes_per_opportunity{1504};    // mahimahi's MTU
};

struct DirectionConfig {
  RateConfig rate{};
  QueueConfig queue{};
  LossConfig loss{NoLoss{}};
  PropagationConfig propagation{};
  JitterConfig jitter{};
  std::vector<ScheduleStep> schedule;   // sorted by `at`
  std::vector<LinkEvent> events;        // sorted by `at`
  std::shared_ptr<const LinkTrace> trace;              // optional: overrides rate/delay/loss over time
  std::shared_ptr<const DeliveryTrace> delivery;       // optional: replaces the rate stage
};

struct LinkProfile {
  std::string name;          // e.g. "continental-4000km"
  std::string description;
  std::string source;        // file path or "<builtin>", for messages
  uint64_t seed = 1;
  DirectionConfig a_to_b;
  DirectionConfig b_to_a;
};

}  // namespace lh
