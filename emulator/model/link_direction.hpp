// link_direction.hpp — one direction of an emulated long-haul link: decides each packet's fate.
//
// Sans-IO and clock-free: the caller passes each packet's arrival time (ns) and wire size; the model
// answers "dropped, with this cause" or "departs at T" (optionally CE-marked, corrupted, duplicated).
// lh-emu applies decisions to mbufs in real time, emulator/sim in virtual time. Stage order and its
// rationale: src/link_profile.hpp and emulator/PROFILES.md.
//
// Hot-path contract for on_packet(): no allocation, no lock, no virtual call, no exception; O(1) per
// packet in order-preserving (FIFO) mode. Arrival times must be non-decreasing across calls.
//
// Semantics decided here (details in each stage's header): the packet in service counts as queued,
// and a packet is admitted when the queue including it stays within the limit (queue_stage.hpp);
// `depart` = serialization finish (floor ns, exact carried remainder) + base delay + jitter, never
// before the serialization finish, and in order-preserving mode never before the previous departure;
// a reordered packet (reordering mode only) departs at its serialization finish (netem: "sent at
// once"); a duplicate's copy gets its own jitter draw and uses no bottleneck capacity; corrupt_bit is
// uniform in [0, wire_bytes·8); `reordered` counts deliveries that depart before an earlier packet.
// Stage RNG streams: Rng(seed, stream · kStageCount + stage id).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "emulator/model/delivery_stage.hpp"
#include "emulator/model/event_timeline.hpp"
#include "emulator/model/jitter_stage.hpp"
#include "emulator/model/loss_models.hpp"
#include "emulator/model/queue_stage.hpp"
#include "emulator/model/rate_stage.hpp"
#include "emulator/model/schedule.hpp"
#include "src/link_profile.hpp"
#include "src/units.hpp"

namespace lh::emu {

enum class DropCause : uint8_t {
  kNone = 0,
  kLoss,       // the loss model (Bernoulli, Gilbert–Elliott, 4-state, trace, schedule)
  kQueueFull,  // the queue limit (drop-tail), or RED with ECN off / non-ECT above max threshold
  kAqm,        // RED early drop of a non-ECT packet
  kOutage,     // a link event (outage, protection switch)
  kCount
};
const char* to_string(DropCause c) noexcept;  // "loss", "queue_full", "aqm", "outage"

struct PacketMeta {
  Nanos arrival{0};
  uint32_t wire_bytes = 0;   // frame size without the per-frame overhead (the model adds it)
  uint64_t flow_hash = 0;
  bool ect = false;          // the packet is ECN-capable (ECT(0)/ECT(1)); RED may mark it CE
};

struct Decision {
  DropCause drop = DropCause::kNone;
  bool ecn_ce = false;
  bool corrupt = false;
  bool duplicate = false;
  uint32_t corrupt_bit = 0;  // bit index to flip, in [0, wire_bytes * 8)
  Nanos depart{0};           // when the packet leaves the far end (valid when drop == kNone)
  Nanos duplicate_depart{0}; // when the copy leaves (valid when duplicate)
  bool delivered() const noexcept { return drop == DropCause::kNone; }
};

struct DirectionCounters {
  uint64_t packets_in = 0, bytes_in = 0;
  uint64_t packets_delivered = 0, bytes_delivered = 0;
  std::array<uint64_t, static_cast<size_t>(DropCause::kCount)> dropped{};
  uint64_t ecn_marked = 0, duplicated = 0, corrupted = 0, reordered = 0;
};

struct QueueDepth {
  Bytes bytes{0};
  uint64_t packets = 0;
  Nanos time{0};   // time to drain the backlog at the current rate
};

// One logged decision (for determinism checks and debugging); see DecisionLog.
struct LoggedDecision {
  uint64_t index = 0;   // packet number within this direction
  Nanos arrival{0};
  uint32_t wire_bytes = 0;
  Decision decision{};
};

// A bounded log with its storage allocated up front; on_packet appends until it is full, then counts
// what it could not keep. Owned by the caller; attach with LinkDirection::set_decision_log.
class DecisionLog {
 public:
  explicit DecisionLog(size_t capacity) { entries_.reserve(capacity); }
  const std::vector<LoggedDecision>& entries() const noexcept { return entries_; }
  uint64_t overflowed() const noexcept { return overflowed_; }
  void append(const LoggedDecision& d) noexcept {
    if (entries_.size() < entries_.capacity()) entries_.push_back(d);
    else ++overflowed_;
  }
 private:
  std::vector<LoggedDecision> entries_;
  uint64_t overflowed_ = 0;
};

class LinkDirection {
 public:
  // `epoch`: the instant schedule/event/trace times are relative to (the emulator's start).
  // `seed` and `stream`: every stochastic stage derives its own lh::Rng stream from these.
  // Allocates (setup time only). Throws std::invalid_argument on an inconsistent config.
  LinkDirection(const DirectionConfig& config, uint64_t seed, uint64_t stream, Nanos epoch);

  // The per-packet decision. Called by one thread; arrivals non-decreasing.
  Decision on_packet(const PacketMeta& pkt) noexcept;

  // Live change: make this (freshly constructed with the new config, off the datapath) continue
  // where `previous` left off — link busy time, last departure (so nothing is reordered or lost by
  // the change), loss-model state, AR(1) state, packet index, counters. No allocation; called by the
  // datapath thread between bursts, after which the caller swaps its pointer.
  void take_over(const LinkDirection& previous) noexcept;

  // Runtime event (control API: "outage now for 2 s"); `at` absolute. Not on the per-packet path;
  // fixed-capacity storage (returns false when full or malformed). Same thread as on_packet; the
  // reads below likewise (they are plain reads of datapath state, not atomics).
  bool inject_event(const LinkEvent& absolute_event) noexcept;
  // Whether inject_event would take it (a live change asks before committing).
  bool can_inject_event(const LinkEvent& absolute_event) const noexcept;

  QueueDepth queue_depth(Nanos now) const noexcept;
  const DirectionCounters& counters() const noexcept;
  const DirectionConfig& config() const noexcept;
  // Current one-way base delay (propagation + extra + schedule/trace/event changes), for reports.
  Nanos base_delay() const noexcept;
  // Current bottleneck rate (0 = unlimited; behind a delivery trace, the trace's mean rate).
  BitsPerSecond current_rate() const noexcept;

  void set_decision_log(DecisionLog* log) noexcept;   // nullptr detaches

  // Stages point into the owned config: movable, not copyable.
  LinkDirection(const LinkDirection&) = delete;
  LinkDirection& operator=(const LinkDirection&) = delete;
  LinkDirection(LinkDirection&&) noexcept = default;
  LinkDirection& operator=(LinkDirection&&) noexcept = default;

  // RNG stream ids of the stages, combined with `stream` as stream * kStageCount + id.
  enum StageId : uint64_t { kStageAqm = 0, kStageLoss = 1, kStageJitter = 2, kStageMangle = 3, kStageCount = 4 };

 private:
  enum class LimitKind : uint8_t { kNone, kBytes, kPackets, kTime };

  void apply_time_varying(int64_t rel) noexcept;
  void set_rate(BitsPerSecond rate) noexcept;
  void update_base_delay() noexcept;
  DropCause admit(const PacketMeta& pkt, bool& mark) noexcept;
  Decision finish(const PacketMeta& pkt, uint64_t index, const Decision& d) noexcept;

  DirectionConfig config_;
  int64_t epoch_ns_ = 0;

  // Stages.
  RateStage rate_;
  DeliveryStage delivery_;
  FinishRing ring_;
  RedAqm red_;
  LossStage loss_;
  JitterStage jitter_;

  // Queue limit, precomputed.
  LimitKind limit_kind_ = LimitKind::kNone;
  uint64_t limit_packets_ = 0;
  uint64_t limit_bytes_ = 0;
  int64_t limit_time_ns_ = 0;
  bool red_on_ = false;
  bool reordering_ = false;

  // Time-varying state.
  ScheduleCursor steps_;
  TraceCursor trace_;
  EventTimeline events_;
  int64_t next_change_rel_ = kNever;
  bool outage_ = false;
  int64_t fiber_ns_ = 0;     // distance × per_km
  int64_t extra_ns_ = 0;     // PropagationConfig::extra, or a schedule/trace override
  int64_t base_delay_ns_ = 0;

  // Order and accounting.
  int64_t last_depart_ns_ = INT64_MIN;   // latest departure handed out (order-preserving floor)
  uint64_t packet_index_ = 0;
  DirectionCounters counters_;
  DecisionLog* log_ = nullptr;
};

}  // namespace lh::emu
