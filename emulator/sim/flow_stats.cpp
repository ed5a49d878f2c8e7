// flow_stats.cpp — per-flow accounting for the simulator (definitions in flow_stats.hpp).
#include "emulator/sim/flow_stats.hpp"

namespace lh::sim {

void FlowStats::on_sent(const Packet& p, Nanos now) noexcept {
  if (packets_sent_ == 0) {
    first_sent_ = now;
    first_sent_bytes_ = p.size;
  }
  ++packets_sent_;
  bytes_sent_ += p.size;
  last_sent_ = now;
}

void FlowStats::on_dropped(emu::DropCause cause) noexcept {
  ++dropped_[static_cast<size_t>(cause)];
  ++current_burst_;
}

void FlowStats::on_unroutable() noexcept {
  ++unroutable_;
  ++current_burst_;
}

void FlowStats::on_accepted() noexcept {
  if (current_burst_ != 0) {
    loss_bursts_.record(static_cast<int64_t>(current_burst_));
    current_burst_ = 0;
  }
}

void FlowStats::finish() noexcept { on_accepted(); }

void FlowStats::on_delivered(const Packet& p, Nanos now) noexcept {
  if (p.corrupted) ++corrupted_;
  if (p.ce) ++ce_marked_;
  if (p.duplicate) {
    ++duplicates_;
    return;
  }
  if (packets_delivered_ == 0) {
    first_delivered_ = now;
    first_delivered_bytes_ = p.size;
  }
  ++packets_delivered_;
  bytes_delivered_ += p.size;
  last_delivered_ = now;
  delay_.record((now - p.sent).ns);
  if (p.flow_seq + 1 < highest_seq_plus1_) {
    ++reordered_;
  } else {
    highest_seq_plus1_ = p.flow_seq + 1;
  }
}

uint64_t FlowStats::packets_dropped() const noexcept {
  uint64_t n = unroutable_;
  for (uint64_t d : dropped_) n += d;
  return n;
}

namespace {
double rate(uint64_t bytes_after_first, Nanos span) {
  if (span.ns <= 0) return 0.0;
  return static_cast<double>(bytes_after_first) * 8.0 / span.seconds();
}
}  // namespace

double FlowStats::delivered_rate_bps() const noexcept {
  if (packets_delivered_ < 2) return 0.0;
  return rate(bytes_delivered_ - first_delivered_bytes_, last_delivered_ - first_delivered_);
}

double FlowStats::offered_rate_bps() const noexcept {
  if (packets_sent_ < 2) return 0.0;
  return rate(bytes_sent_ - first_sent_bytes_, last_sent_ - first_sent_);
}

nlohmann::json FlowStats::to_json() const {
  nlohmann::json drops = nlohmann::json::object();
  for (size_t c = 1; c < dropped_.size(); ++c) {
    drops[emu::to_string(static_cast<emu::DropCause>(c))] = dropped_[c];
  }
  drops["unroutable"] = unroutable_;
  nlohmann::json bursts = loss_bursts_.to_json();
  bursts["open"] = current_burst_;
  return {
      {"packets_sent", packets_sent_},
      {"bytes_sent", bytes_sent_},
      {"packets_delivered", packets_delivered_},
      {"bytes_delivered", bytes_delivered_},
      {"packets_dropped", packets_dropped()},
      {"dropped", drops},
      {"duplicates_delivered", duplicates_},
      {"corrupted", corrupted_},
      {"ce_marked", ce_marked_},
      {"reordered", reordered_},
      {"offered_rate_bps", offered_rate_bps()},
      {"delivered_rate_bps", delivered_rate_bps()},
      {"one_way_delay_ns", delay_.to_json()},
      {"loss_bursts", bursts},
  };
}

}  // namespace lh::sim
