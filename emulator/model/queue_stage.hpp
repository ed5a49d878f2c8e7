// queue_stage.hpp — the bottleneck queue: limits (bytes, packets, time), drop-tail and RED.
//
// The queue is not stored: the rate stage is a virtual FIFO server, so the backlog a packet finds is
// the work not yet served (busy_until − arrival). Packet counts come from a ring of the finish times
// of admitted packets, allocated once at setup (sized to the packet limit), drained at each arrival:
// O(1) amortized per packet. The packet in service counts as queued until its last bit has left.
// A packet is admitted when the queue *including it* stays within the limit, so a burst of N packets
// into an idle link with limit K packets admits exactly K (the first goes straight into service) and
// drops N − K. Byte limit: floor(backlog bytes) + this frame (wire + overhead) ≤ limit; time limit:
// backlog time + this frame's serialization ≤ limit; both compared exactly in ns·bit/s units. Behind a
// Mahimahi delivery trace the byte backlog is the sum of queued sizes and the time limit compares
// (last departure − arrival) ≤ limit, the packet's own service time not being known in advance.
// RED follows Floyd & Jacobson, "Random Early Detection Gateways for Congestion
// Avoidance" (1993): EWMA average of the byte backlog at each arrival (decayed over idle time),
// marking probability max_p·(avg−min)/(max−min) spread by the "count since last mark" rule; above
// max_threshold every packet is marked (ECT, ecn on) or dropped, as Linux sch_red's hard mark.
#pragma once

#include <cstdint>
#include <vector>

#include "src/link_profile.hpp"
#include "src/rng.hpp"

namespace lh::emu {

// Finish times (and frame sizes) of admitted packets in admission (= finish) order.
class FinishRing {
 public:
  FinishRing() = default;
  explicit FinishRing(uint64_t min_capacity);

  void drain(int64_t now_ns) noexcept {
    while (head_ != tail_ && slots_[head_ & mask_].finish_ns <= now_ns) {
      bytes_ -= slots_[head_ & mask_].bytes;
      ++head_;
    }
  }
  // Records an admitted packet; when the ring is full the packet is not tracked (counts become a
  // lower bound; only possible for byte/time limits with very small frames, or no limit at all).
  void push(int64_t finish_ns, uint32_t bytes) noexcept {
    if (tail_ - head_ > mask_) [[unlikely]] {
      ++untracked_;
      return;
    }
    slots_[tail_ & mask_] = {finish_ns, bytes};
    ++tail_;
    bytes_ += bytes;
  }
  uint64_t packets() const noexcept { return tail_ - head_; }
  uint64_t bytes() const noexcept { return bytes_; }
  bool full() const noexcept { return tail_ - head_ > mask_; }
  uint64_t capacity() const noexcept { return mask_ + 1; }
  uint64_t untracked() const noexcept { return untracked_; }
  // Packets and bytes still queued at `now` without draining (binary search; for reports).
  void count_at(int64_t now_ns, uint64_t& packets, uint64_t& bytes) const noexcept;
  // Copies the newest entries that fit (live config swap; no allocation).
  void take_over(const FinishRing& prev) noexcept;

 private:
  struct Slot {
    int64_t finish_ns;
    uint32_t bytes;
  };
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  uint64_t head_ = 0, tail_ = 0;
  uint64_t bytes_ = 0;
  uint64_t untracked_ = 0;
};

enum class AqmVerdict : uint8_t { kPass, kMark, kEarlyDrop, kForcedDrop };

class RedAqm {
 public:
  RedAqm() = default;
  RedAqm(const RedConfig& cfg, Rng rng);

  // Called at each arrival with the byte backlog it finds and, when that is zero, how long the
  // queue has been idle (ns) and the transmission time of a typical (1000 B) packet (ns).
  AqmVerdict on_arrival(double backlog_bytes, int64_t idle_ns, double typical_tx_ns, bool ect) noexcept;
  double average() const noexcept { return avg_; }
  void take_over(const RedAqm& prev) noexcept {
    avg_ = prev.avg_;
    count_ = prev.count_;
    rng_ = prev.rng_;
  }

 private:
  double min_ = 0, max_ = 0, max_p_ = 0, weight_ = 0, inv_range_ = 0;
  bool ecn_ = true;
  double avg_ = 0;
  int64_t count_ = -1;   // packets since the last mark/drop (−1: average below min)
  Rng rng_{0};
};

}  // namespace lh::emu
