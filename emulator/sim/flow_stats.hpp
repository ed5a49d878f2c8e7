// flow_stats.hpp — what a path did to one flow (all packets one endpoint sent): counts, one-way delay,
// throughput, loss bursts, reordering.
//
// Fed by the topology from the link model's decisions, so it is ground truth, independent of what a
// protocol engine believes. Definitions:
//  * one-way delay: delivery time − time the packet entered the link (ns); duplicates excluded.
//  * loss burst: a maximal run of consecutive packets (in send order) that the link dropped, any cause.
//  * reorder: a delivered packet whose send index is lower than one already delivered (RFC 4737's
//    "reordered" singleton); duplicates excluded.
//  * delivered_rate_bps(): bits of the packets delivered after the first, over the time from the first
//    delivery to the last — for CBR traffic, exactly the rate the path delivered at.
#pragma once

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "emulator/model/link_direction.hpp"
#include "emulator/sim/packet.hpp"
#include "src/histogram.hpp"
#include "src/units.hpp"

namespace lh::sim {

class FlowStats {
 public:
  static constexpr int64_t kMaxBurstTracked = 1 << 20;  // longer loss bursts are clamped in the histogram

  FlowStats() : delay_(Histogram::kDefaultHighest), loss_bursts_(kMaxBurstTracked) {}

  // ---- fed by the topology (per packet: no allocation) ----
  void on_sent(const Packet& p, Nanos now) noexcept;
  void on_dropped(emu::DropCause cause) noexcept;  // the packet just sent was dropped
  void on_accepted() noexcept;                     // the packet just sent was not dropped
  void on_unroutable() noexcept;                   // no endpoint had the destination address
  void on_delivered(const Packet& p, Nanos now) noexcept;
  void finish() noexcept;                           // closes an open loss burst (before reading bursts)

  // ---- results ----
  uint64_t packets_sent() const noexcept { return packets_sent_; }
  uint64_t bytes_sent() const noexcept { return bytes_sent_; }
  uint64_t packets_delivered() const noexcept { return packets_delivered_; }  // originals only
  uint64_t bytes_delivered() const noexcept { return bytes_delivered_; }
  uint64_t dropped(emu::DropCause c) const noexcept { return dropped_[static_cast<size_t>(c)]; }
  uint64_t packets_dropped() const noexcept;    // every cause, plus unroutable
  uint64_t unroutable() const noexcept { return unroutable_; }
  uint64_t duplicates_delivered() const noexcept { return duplicates_; }
  uint64_t corrupted() const noexcept { return corrupted_; }
  uint64_t ce_marked() const noexcept { return ce_marked_; }
  uint64_t reordered() const noexcept { return reordered_; }
  Nanos first_sent() const noexcept { return first_sent_; }
  Nanos last_sent() const noexcept { return last_sent_; }
  Nanos first_delivered() const noexcept { return first_delivered_; }
  Nanos last_delivered() const noexcept { return last_delivered_; }

  const Histogram& one_way_delay() const noexcept { return delay_; }     // ns
  const Histogram& loss_bursts() const noexcept { return loss_bursts_; }  // lengths in packets
  uint64_t open_burst() const noexcept { return current_burst_; }

  // Bits delivered after the first delivered packet / (last − first delivery), bit/s; 0 if < 2.
  double delivered_rate_bps() const noexcept;
  // Bits sent after the first / (last − first send), bit/s; 0 if < 2 packets.
  double offered_rate_bps() const noexcept;

  // Everything above, for reports (delay in ns, bursts in packets, rates in bit/s).
  nlohmann::json to_json() const;

 private:
  uint64_t packets_sent_ = 0, bytes_sent_ = 0, first_sent_bytes_ = 0;
  uint64_t packets_delivered_ = 0, bytes_delivered_ = 0, first_delivered_bytes_ = 0;
  std::array<uint64_t, static_cast<size_t>(emu::DropCause::kCount)> dropped_{};
  uint64_t unroutable_ = 0, duplicates_ = 0, corrupted_ = 0, ce_marked_ = 0, reordered_ = 0;
  Nanos first_sent_{0}, last_sent_{0}, first_delivered_{0}, last_delivered_{0};
  uint64_t highest_seq_plus1_ = 0;   // highest flow_seq delivered + 1 (0: none yet)
  uint64_t current_burst_ = 0;
  Histogram delay_;
  Histogram loss_bursts_;
};

}  // namespace lh::sim
