// link_direction.cpp — composes the stages into one direction's per-packet decision.
//
// Per packet: time-varying changes due by its arrival (one compare when none) → outage → queue
// admission (limit, RED) → bottleneck (rate stage or delivery trace) → loss (after the bottleneck: a
// lost packet used capacity) → propagation + jitter (+ reorder/duplicate/corrupt). Order-preserving
// mode floors each departure at the previous one (FIFO, O(1)); a packet never departs before it has
// been serialized (negative jitter is clipped at a zero total delay).
#include "emulator/model/link_direction.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "emulator/model/propagation.hpp"

namespace lh::emu {
namespace {

constexpr uint64_t kDefaultRing = 1u << 12;
constexpr uint64_t kMaxRing = 1u << 20;
constexpr uint64_t kMinFrame = 64;
constexpr unsigned __int128 kBitsScale = 8'000'000'000u;   // bytes ↔ ns·(bit/s)

void validate(const DirectionConfig& c) {
  const QueueConfig& q = c.queue;
  const int limits = (q.limit_bytes.n > 0) + (q.limit_packets > 0) + (q.limit_time.ns > 0);
  if (limits > 1) throw std::invalid_argument("queue: set only one of limit_bytes, limit_packets, limit_time");
  if (q.limit_time.ns < 0) throw std::invalid_argument("queue: negative limit_time");
  if (q.discipline == QueueDiscipline::kRed) {
    if (q.red.min_threshold >= q.red.max_threshold) {
      throw std::invalid_argument("queue.red: min_threshold must be below max_threshold");
    }
    if (!(q.red.weight > 0.0 && q.red.weight <= 1.0)) throw std::invalid_argument("queue.red: weight must be in (0, 1]");
  }
  if (c.propagation.distance.mm < 0 || c.propagation.per_km.ns < 0) {
    throw std::invalid_argument("propagation: distance and per_km must be non-negative");
  }
  for (size_t i = 0; i < c.schedule.size(); ++i) {
    if (c.schedule[i].at.ns < 0 || (i > 0 && c.schedule[i].at < c.schedule[i - 1].at)) {
      throw std::invalid_argument("schedule[" + std::to_string(i) + "]: times must be >= 0 and sorted");
    }
  }
  if (c.trace) {
    const LinkTrace& t = *c.trace;
    const std::string where = "link trace " + t.source + ": ";
    if (t.points.empty()) throw std::invalid_argument(where + "no points");
    if (t.points.front().at.ns != 0) throw std::invalid_argument(where + "the first point must be at 0");
    for (size_t i = 1; i < t.points.size(); ++i) {
      if (t.points[i].at <= t.points[i - 1].at) {
        throw std::invalid_argument(where + "timestamps must be strictly increasing (point " + std::to_string(i) + ")");
      }
    }
    if (t.period.ns < 0 || (t.period.ns > 0 && t.period <= t.points.back().at)) {
      throw std::invalid_argument(where + "period must be 0 or after the last point");
    }
  }
}

uint64_t ring_capacity(const DirectionConfig& c) {
  const QueueConfig& q = c.queue;
  if (q.limit_packets > 0) return q.limit_packets;
  if (q.limit_bytes.n > 0) return std::min(q.limit_bytes.n / kMinFrame + 1, kMaxRing);
  if (q.limit_time.ns > 0 && c.rate.rate.bps > 0) {
    return std::min(bytes_in(q.limit_time, c.rate.rate).n / kMinFrame + 1, kMaxRing);
  }
  return kDefaultRing;
}

}  // namespace

const char* to_string(DropCause c) noexcept {
  switch (c) {
    case DropCause::kNone: return "none";
    case DropCause::kLoss: return "loss";
    case DropCause::kQueueFull: return "queue_full";
    case DropCause::kAqm: return "aqm";
    case DropCause::kOutage: return "outage";
    case DropCause::kCount: break;
  }
  return "unknown";
}

LinkDirection::LinkDirection(const DirectionConfig& config, uint64_t seed, uint64_t stream, Nanos epoch)
    : config_(config), epoch_ns_(epoch.ns) {
  validate(config_);
  const auto rng = [&](StageId id) { return Rng(seed, stream * kStageCount + id); };
  rate_ = RateStage(config_.rate.rate, config_.rate.overhead);
  delivery_ = DeliveryStage(config_.delivery.get(), epoch_ns_);
  ring_ = FinishRing(ring_capacity(config_));
  const QueueConfig& q = config_.queue;
  if (q.limit_packets > 0) {
    limit_kind_ = LimitKind::kPackets;
    limit_packets_ = q.limit_packets;
  } else if (q.limit_bytes.n > 0) {
    limit_kind_ = LimitKind::kBytes;
    limit_bytes_ = q.limit_bytes.n;
  } else if (q.limit_time.ns > 0) {
    limit_kind_ = LimitKind::kTime;
    limit_time_ns_ = q.limit_time.ns;
  }
  red_on_ = q.discipline == QueueDiscipline::kRed;
  if (red_on_) red_ = RedAqm(q.red, rng(kStageAqm));
  loss_ = LossStage(config_.loss, rng(kStageLoss));
  jitter_ = JitterStage(config_.jitter, rng(kStageJitter), rng(kStageMangle));
  reordering_ = config_.jitter.mode == JitterMode::kReordering;
  steps_ = ScheduleCursor(config_.schedule.data(), config_.schedule.size());
  trace_ = TraceCursor(config_.trace.get());
  events_ = EventTimeline(config_.events);
  fiber_ns_ = fiber_delay_ns(config_.propagation.distance, config_.propagation.per_km);
  extra_ns_ = config_.propagation.extra.ns;
  update_base_delay();
  next_change_rel_ = std::min({steps_.next_change(), trace_.next_change(), events_.next_change()});
}

void LinkDirection::update_base_delay() noexcept {
  base_delay_ns_ = std::max<int64_t>(fiber_ns_ + extra_ns_ + events_.delay_delta_ns(), 0);
}

void LinkDirection::set_rate(BitsPerSecond rate) noexcept { rate_.set_rate(rate); }

void LinkDirection::apply_time_varying(int64_t rel) noexcept {
  while (const ScheduleStep* s = steps_.pop_due(rel)) {
    if (s->rate) set_rate(*s->rate);
    if (s->extra_delay) extra_ns_ = s->extra_delay->ns;
    if (s->loss) loss_.set_override(*s->loss);
  }
  if (rel >= trace_.next_change()) {
    const LinkTracePoint& p = trace_.advance(rel);
    set_rate(p.rate);
    extra_ns_ = p.delay.ns;
    loss_.set_override(p.loss);
  }
  if (rel >= events_.next_change()) events_.advance(rel);
  outage_ = events_.in_outage();
  update_base_delay();
  next_change_rel_ = std::min({steps_.next_change(), trace_.next_change(), events_.next_change()});
}

DropCause LinkDirection::admit(const PacketMeta& pkt, bool& mark) noexcept {
  const int64_t t = pkt.arrival.ns;
  const bool delivery = delivery_.enabled();
  if (red_on_) {
    double backlog = 0.0;
    int64_t idle_ns = 0;
    double typical_tx_ns = 0.0;
    if (delivery) {
      backlog = static_cast<double>(ring_.bytes());
      idle_ns = t - delivery_.last_departure();
      typical_tx_ns = 8e12 / static_cast<double>(std::max<uint64_t>(delivery_.mean_rate_bps(), 1));
    } else if (rate_.rate() > 0) {
      backlog = rate_.backlog_bytes_approx(t);
      idle_ns = t - rate_.busy_until();
      typical_tx_ns = 8e12 / static_cast<double>(rate_.rate());
    }
    switch (red_.on_arrival(backlog, idle_ns, typical_tx_ns, pkt.ect)) {
      case AqmVerdict::kPass: break;
      case AqmVerdict::kMark: mark = true; break;
      case AqmVerdict::kEarlyDrop: return DropCause::kAqm;
      case AqmVerdict::kForcedDrop: return DropCause::kQueueFull;
    }
  }
  switch (limit_kind_) {
    case LimitKind::kNone:
      break;
    case LimitKind::kPackets:
      if (ring_.packets() >= limit_packets_) return DropCause::kQueueFull;
      break;
    case LimitKind::kBytes: {
      if (delivery) {
        if (ring_.bytes() + pkt.wire_bytes > limit_bytes_ || ring_.full()) return DropCause::kQueueFull;
        break;
      }
      const uint64_t frame = pkt.wire_bytes + rate_.overhead();
      if (frame > limit_bytes_) return DropCause::kQueueFull;
      // floor(backlog bytes) + frame ≤ limit  ⇔  backlog_scaled < (limit − frame + 1) · 8e9
      if (rate_.backlog_scaled(t) >= (limit_bytes_ - frame + 1) * kBitsScale) return DropCause::kQueueFull;
      break;
    }
    case LimitKind::kTime:
      if (delivery) {
        if (delivery_.last_departure() - t > limit_time_ns_) return DropCause::kQueueFull;
        break;
      }
      if (rate_.rate() == 0) break;
      if (rate_.backlog_scaled(t) + rate_.service_scaled(pkt.wire_bytes) >
          static_cast<unsigned __int128>(limit_time_ns_) * rate_.rate()) {
        return DropCause::kQueueFull;
      }
      break;
  }
  return DropCause::kNone;
}

Decision LinkDirection::finish(const PacketMeta& pkt, uint64_t index, const Decision& d) noexcept {
  if (d.drop == DropCause::kNone) {
    ++counters_.packets_delivered;
    counters_.bytes_delivered += pkt.wire_bytes;
  } else {
    ++counters_.dropped[static_cast<size_t>(d.drop)];
  }
  if (log_ != nullptr) log_->append({index, pkt.arrival, pkt.wire_bytes, d});
  return d;
}

Decision LinkDirection::on_packet(const PacketMeta& pkt) noexcept {
  Decision d;
  const int64_t t = pkt.arrival.ns;
  const uint64_t index = packet_index_++;
  ++counters_.packets_in;
  counters_.bytes_in += pkt.wire_bytes;
  if (t - epoch_ns_ >= next_change_rel_) [[unlikely]] apply_time_varying(t - epoch_ns_);
  if (outage_) [[unlikely]] {
    d.drop = DropCause::kOutage;
    return finish(pkt, index, d);
  }

  ring_.drain(t);
  if (limit_kind_ != LimitKind::kNone || red_on_) {
    d.drop = admit(pkt, d.ecn_ce);
    if (d.drop != DropCause::kNone) {
      d.ecn_ce = false;
      return finish(pkt, index, d);
    }
  }
  const bool delivery = delivery_.enabled();
  const int64_t served = delivery ? delivery_.serve(t, pkt.wire_bytes) : rate_.serve(t, pkt.wire_bytes);
  ring_.push(served, delivery ? pkt.wire_bytes : static_cast<uint32_t>(pkt.wire_bytes + rate_.overhead()));

  if (loss_.lost(index)) {
    d.drop = DropCause::kLoss;
    d.ecn_ce = false;
    return finish(pkt, index, d);
  }
  if (d.ecn_ce) ++counters_.ecn_marked;

  int64_t depart = 0;
  if (reordering_ && jitter_.reorder()) {
    depart = served;   // netem reorder: sent at once, skipping propagation and jitter
  } else {
    depart = served + std::max<int64_t>(base_delay_ns_ + jitter_.next_offset(), 0);
  }
  if (!reordering_) depart = std::max(depart, last_depart_ns_);
  else if (depart < last_depart_ns_) ++counters_.reordered;
  last_depart_ns_ = std::max(last_depart_ns_, depart);
  d.depart = Nanos{depart};

  if (jitter_.duplicate()) [[unlikely]] {
    int64_t copy = served + std::max<int64_t>(base_delay_ns_ + jitter_.independent_offset(), 0);
    if (!reordering_) copy = std::max(copy, depart);
    last_depart_ns_ = std::max(last_depart_ns_, copy);
    d.duplicate = true;
    d.duplicate_depart = Nanos{copy};
    ++counters_.duplicated;
  }
  if (const int64_t bit = jitter_.corrupt_bit(pkt.wire_bytes); bit >= 0) [[unlikely]] {
    d.corrupt = true;
    d.corrupt_bit = static_cast<uint32_t>(bit);
    ++counters_.corrupted;
  }
  return finish(pkt, index, d);
}

void LinkDirection::take_over(const LinkDirection& previous) noexcept {
  const bool was_delivery = previous.delivery_.enabled();
  const int64_t prev_free = was_delivery ? previous.delivery_.last_departure()
                                         : previous.rate_.busy_until() + (previous.rate_.remainder() > 0 ? 1 : 0);
  if (delivery_.enabled()) {
    if (was_delivery) delivery_.take_over(previous.delivery_);
    else delivery_.hold_until(prev_free);
  } else {
    if (was_delivery) rate_.hold_until(prev_free);
    else rate_.take_over(previous.rate_);
  }
  ring_.take_over(previous.ring_);
  if (red_on_ && previous.red_on_) red_.take_over(previous.red_);
  loss_.take_over(previous.loss_);
  jitter_.take_over(previous.jitter_);
  events_.take_over_injected(previous.events_, previous.epoch_ns_ - epoch_ns_);
  next_change_rel_ = std::min(next_change_rel_, events_.next_change());
  last_depart_ns_ = previous.last_depart_ns_;
  packet_index_ = previous.packet_index_;
  counters_ = previous.counters_;
  if (log_ == nullptr) log_ = previous.log_;
}

bool LinkDirection::inject_event(const LinkEvent& absolute_event) noexcept {
  LinkEvent rel = absolute_event;
  rel.at.ns -= epoch_ns_;
  if (!events_.add(rel)) return false;
  next_change_rel_ = std::min(next_change_rel_, rel.at.ns);
  return true;
}

bool LinkDirection::can_inject_event(const LinkEvent& absolute_event) const noexcept {
  LinkEvent rel = absolute_event;
  rel.at.ns -= epoch_ns_;
  return events_.can_add(rel);
}

QueueDepth LinkDirection::queue_depth(Nanos now) const noexcept {
  QueueDepth q;
  uint64_t bytes = 0;
  ring_.count_at(now.ns, q.packets, bytes);
  if (delivery_.enabled()) {
    q.bytes = Bytes{bytes};
    q.time = Nanos{std::max<int64_t>(delivery_.last_departure() - now.ns, 0)};
  } else {
    q.bytes = Bytes{static_cast<uint64_t>(rate_.backlog_scaled(now.ns) / kBitsScale)};
    q.time = Nanos{rate_.backlog_ns(now.ns)};
  }
  return q;
}

const DirectionCounters& LinkDirection::counters() const noexcept { return counters_; }
const DirectionConfig& LinkDirection::config() const noexcept { return config_; }
Nanos LinkDirection::base_delay() const noexcept { return Nanos{base_delay_ns_}; }
BitsPerSecond LinkDirection::current_rate() const noexcept {
  return BitsPerSecond{delivery_.enabled() ? delivery_.mean_rate_bps() : rate_.rate()};
}
void LinkDirection::set_decision_log(DecisionLog* log) noexcept { log_ = log; }

}  // namespace lh::emu
