// direction_path.hpp — one direction of lh-emu's datapath: RX port → LinkDirection → delay queue → TX port.
//
// poll() is called in a loop by the worker lcore that owns the direction: it swaps in a new model
// once the control thread's change that offered it is committed (live_change.hpp: at a burst
// boundary, via take_over, so nothing is lost or reordered), transmits what is due, receives one burst (≤ 32 frames, one TSC timestamp), asks the
// model for each frame's fate and applies it to the mbuf (drop, CE mark, bit flip, duplicate),
// transmits again what became due meanwhile, and publishes counters every ~1 ms. Times on the
// datapath are TSC ticks; the model sees ns since the emulator's start (its epoch). No allocation, lock, exception or virtual call in poll().
// DPDK types are opaque here; the implementation (direction_path.cpp) includes DPDK.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "emulator/dpdk/delay_queue.hpp"
#include "emulator/dpdk/direction_stats.hpp"
#include "emulator/dpdk/live_change.hpp"
#include "emulator/model/link_direction.hpp"
#include "src/clock.hpp"

struct rte_mempool;

namespace lh::emu {

// One direction's part of a live change: a new model, an event, or both (live_change.hpp). After the
// worker adopted it, `model` holds the model it replaced, for the control thread to free.
struct DirectionChange {
  std::unique_ptr<LinkDirection> model;
  std::optional<LinkEvent> event;   // absolute model time
};

struct DirectionPathConfig {
  std::string name;             // "a_to_b"
  uint16_t rx_port = 0, tx_port = 1;
  rte_mempool* pool = nullptr;  // the RX port's pool; duplicates are copied into it
  uint64_t capacity = 0;        // the pool's mbuf count: the delay queue never needs more
  TscClock clock;
  uint64_t start_tsc = 0;       // the epoch: model time 0
  const ChangeClock* changes = nullptr;   // the emulator's commit generation (live_change.hpp)
};

// What one poll saw, for the worker's idle policy (idle_policy.hpp).
struct PollOutcome {
  bool received = false;                    // the RX burst was not empty
  uint64_t next_departure_tsc = UINT64_MAX; // earliest queued departure; UINT64_MAX when none
};

class DirectionPath {
 public:
  DirectionPath(DirectionPathConfig config, std::unique_ptr<LinkDirection> model);
  ~DirectionPath();
  DirectionPath(const DirectionPath&) = delete;
  DirectionPath& operator=(const DirectionPath&) = delete;

  // Worker lcore: one iteration. `now_tsc` is a fresh rdtsc.
  PollOutcome poll(uint64_t now_tsc) noexcept;

  // After the worker has stopped: frees every packet still queued; returns how many there were.
  uint64_t drain() noexcept;

  // Control thread: where a live change offers this direction's part (live_change.hpp's
  // change_all); the worker adopts it at the burst boundary after the commit — a model by
  // take_over, an event into the model's timeline (it refuses an event its table has no room for).
  // Call reclaim() first: what the last change replaced is freed here, never on the worker.
  LiveSlot<DirectionChange>& slot() noexcept { return slot_; }
  void reclaim() noexcept { delete retired_.exchange(nullptr, std::memory_order_acq_rel); }

  // Readers (any thread).
  const std::string& name() const noexcept { return config_.name; }
  StatsValues stats() const noexcept { return published_.load(); }
  HistogramPair& histograms() noexcept { return hist_; }
  // Model time now (ns since start) for a TSC reading.
  Nanos model_time(uint64_t tsc) const noexcept { return config_.clock.ticks_to_ns(tsc - config_.start_tsc); }
  const DirectionPathConfig& config() const noexcept { return config_; }

 private:
  void adopt_pending() noexcept;
  void transmit(uint64_t now_tsc) noexcept;
  bool receive() noexcept;
  uint64_t next_departure() const noexcept;
  void enqueue(void* mbuf, Nanos depart, uint64_t arrival_tsc, uint32_t len) noexcept;
  void publish(uint64_t now_tsc) noexcept;
  void switch_queue_kind(bool reordering) noexcept;

  static constexpr uint16_t kBurst = 32;

  DirectionPathConfig config_;
  LinkDirection* model_;                     // owned; replaced by adopt_pending()
  bool reordering_;
  DelayRing ring_;
  DelayHeap heap_;
  Queued pending_tx_[kBurst];                // due but not yet accepted by the TX queue
  uint16_t n_pending_tx_ = 0;
  uint64_t seq_ = 0;
  uint64_t last_depart_tsc_ = 0;             // FIFO mode: departures are clamped to be non-decreasing
  uint64_t next_publish_tsc_ = 0;
  uint64_t publish_ticks_;
  uint64_t tx_give_up_ticks_;
  uint32_t active_hist_ = 0;
  StatsValues local_{};                      // driver-only counters live here

  alignas(64) LiveSlot<DirectionChange> slot_;
  std::atomic<DirectionChange*> retired_{nullptr};   // adopted; holds the replaced model

  PublishedStats published_;
  HistogramPair hist_;
};

}  // namespace lh::emu
