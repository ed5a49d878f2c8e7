// live_change.hpp — changing several datapath directions at once, all or nothing.
//
// A live change (PUT /profile, PATCH, an event) may touch several directions, each owned by a worker
// lcore that must adopt its new model between bursts. Applying them one by one left a half-applied
// link when a later worker did not answer in time. Here a change is a transaction in two phases:
//   1. offer: each affected direction's LiveSlot gets its part of the change (a new model, or an
//      event), tagged with the change's generation; each worker, at a burst boundary, acknowledges
//      the generation it sees — or refuses it (its event table is full) — and adopts nothing yet;
//   2. commit: once every worker acknowledged, one store of the generation to the shared ChangeClock
//      commits the change; each worker adopts its part at its next burst boundary. If some worker
//      refused, or did not answer within the deadline, every offer is withdrawn: nothing changed.
// The same path serves before the workers run (the offer simply waits for them), so the control
// thread never touches a model a worker may be using. Lock-free on the worker side (one relaxed
// load when nothing is offered, no allocation); std only — no DPDK — so a TSan test can race it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "src/units.hpp"

namespace lh::emu {

// The generation of the last committed change (shared by all directions of an emulator).
class ChangeClock {
 public:
  uint64_t committed() const noexcept { return committed_.load(std::memory_order_acquire); }
  // Control thread only.
  uint64_t next() noexcept { return ++issued_; }
  void commit(uint64_t gen) noexcept { committed_.store(gen, std::memory_order_release); }

 private:
  std::atomic<uint64_t> committed_{0};
  uint64_t issued_ = 0;
};

// Polls `done` every 50 µs until true or `timeout` passes (control thread; never the datapath).
template <typename F>
bool wait_until(F done, Nanos timeout) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout.ns);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

// One direction's offered part of a change. T is what the worker adopts (lh-emu: DirectionChange).
// The worker looks at an offer only inside poll(), flagged `busy_`; the control thread frees a
// withdrawn offer only once the worker is out of poll() (a Dekker pair of seq_cst accesses), so an
// offer is never freed under the worker's feet. A worker stuck inside poll() keeps its withdrawn
// offer in limbo, and the slot takes no new offer until it is out.
template <typename T>
class LiveSlot {
 public:
  LiveSlot() = default;
  ~LiveSlot() {
    delete staged_.load(std::memory_order_acquire);
    delete limbo_;
  }
  LiveSlot(const LiveSlot&) = delete;
  LiveSlot& operator=(const LiveSlot&) = delete;

  // Control thread: stage `next` for generation `gen`. Waits up to `grace` for what the slot still
  // holds: a committed part the worker has not adopted yet (never overwritten — it would be lost
  // for this direction while the others took it), or a withdrawn one a worker is still reading.
  // False (nothing staged) if it is still there after `grace`.
  bool offer(std::unique_ptr<T> next, uint64_t gen, Nanos grace) noexcept {
    if (!wait_until([&] { return staged_.load(std::memory_order_acquire) == nullptr; }, grace)) return false;
    if (!reclaim(grace)) return false;
    staged_gen_.store(gen, std::memory_order_release);
    staged_.store(next.release(), std::memory_order_seq_cst);
    return true;
  }
  // Control thread: the worker has seen generation `gen` (it will adopt it once committed).
  bool acknowledged(uint64_t gen) const noexcept { return ready_gen_.load(std::memory_order_acquire) >= gen; }
  // Control thread: the worker refused generation `gen`.
  bool refused(uint64_t gen) const noexcept { return refused_gen_.load(std::memory_order_acquire) >= gen; }
  // Control thread: takes the offer back (unless the worker claimed it) and frees it once the
  // worker is out of poll().
  void withdraw() noexcept {
    T* p = staged_.exchange(nullptr, std::memory_order_seq_cst);
    if (p == nullptr) return;
    limbo_ = p;
    reclaim(Nanos::from_ms(100));
  }
  // Control thread: the worker took the offer.
  bool empty() const noexcept { return staged_.load(std::memory_order_acquire) == nullptr; }

  // Worker, at a burst boundary: answers what is offered — acknowledges it if `accept(offer)`, else
  // refuses it — and returns it (the caller owns it) once its generation is committed; null
  // otherwise. Idle cost: one relaxed load.
  template <typename Accept>
  T* poll(const ChangeClock& clock, Accept&& accept) noexcept {
    if (staged_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    busy_.store(true, std::memory_order_seq_cst);
    T* p = staged_.load(std::memory_order_seq_cst);
    T* out = nullptr;
    if (p != nullptr) {
      // While busy_, the control thread neither frees `p` nor stages a newer offer: `gen` is p's.
      const uint64_t gen = staged_gen_.load(std::memory_order_acquire);
      if (ready_gen_.load(std::memory_order_relaxed) < gen && refused_gen_.load(std::memory_order_relaxed) < gen) {
        (accept(*p) ? ready_gen_ : refused_gen_).store(gen, std::memory_order_release);
      }
      if (clock.committed() >= gen && staged_.compare_exchange_strong(p, nullptr, std::memory_order_acq_rel)) out = p;
    }
    busy_.store(false, std::memory_order_release);
    return out;
  }

 private:
  // Frees the withdrawn offer once the worker is out of poll(); false if it stays in `grace`.
  bool reclaim(Nanos grace) noexcept {
    if (limbo_ == nullptr) return true;
    if (!wait_until([&] { return !busy_.load(std::memory_order_seq_cst); }, grace)) return false;
    delete limbo_;
    limbo_ = nullptr;
    return true;
  }

  std::atomic<T*> staged_{nullptr};
  std::atomic<uint64_t> staged_gen_{0};
  std::atomic<uint64_t> ready_gen_{0};
  std::atomic<uint64_t> refused_gen_{0};
  std::atomic<bool> busy_{false};
  T* limbo_ = nullptr;   // control thread only
};


enum class ChangeResult : uint8_t {
  kCommitted,   // every direction took it
  kRefused,     // some worker refused its part: nothing changed
  kTimedOut,    // some worker did not answer in time: nothing changed
};

// Offers models[i] to slots[i] as one change; commits when all acknowledge within `timeout`,
// withdraws all otherwise. After a commit, waits (up to `timeout` again) for the workers to adopt.
template <typename T>
ChangeResult change_all(ChangeClock& clock, const std::vector<LiveSlot<T>*>& slots,
                        std::vector<std::unique_ptr<T>> models, Nanos timeout) {
  const uint64_t gen = clock.next();
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!slots[i]->offer(std::move(models[i]), gen, timeout)) {   // a worker is stuck: take back what was offered
      for (size_t j = 0; j < i; ++j) slots[j]->withdraw();
      return ChangeResult::kTimedOut;
    }
  }
  bool refused = false;
  const bool answered = wait_until([&] {
    bool all = true;
    for (const LiveSlot<T>* s : slots) {
      refused |= s->refused(gen);
      all &= s->acknowledged(gen) || s->refused(gen);
    }
    return all || refused;
  }, timeout);
  if (!answered || refused) {
    for (LiveSlot<T>* s : slots) s->withdraw();   // nobody adopted: adoption needs the commit
    return refused ? ChangeResult::kRefused : ChangeResult::kTimedOut;
  }
  clock.commit(gen);
  wait_until([&] {
    for (const LiveSlot<T>* s : slots) {
      if (!s->empty()) return false;
    }
    return true;
  }, timeout);
  return ChangeResult::kCommitted;
}

}  // namespace lh::emu
