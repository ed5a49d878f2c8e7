// event_queue.hpp — the simulator's pending events, earliest first, in a binary min-heap.
//
// Determinism: events are ordered by (time, insertion sequence), so two events scheduled for the
// same instant run in the order they were scheduled, on every platform and every run. Storage is
// one std::vector that keeps its capacity: after warm-up, push/pop never allocate. Times in ns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "src/units.hpp"

namespace lh::sim {

class Actor;

struct Event {
  Nanos at{0};
  uint64_t seq = 0;       // insertion order: the tie-break for equal times
  Actor* actor = nullptr;
  uint64_t arg = 0;       // the actor's own meaning (a packet slot, an endpoint address, ...)
};

class EventQueue {
 public:
  void reserve(size_t n) { heap_.reserve(n); }

  void push(Nanos at, Actor* actor, uint64_t arg) {
    heap_.push_back(Event{.at = at, .seq = next_seq_++, .actor = actor, .arg = arg});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  // Precondition: !empty().
  const Event& top() const noexcept { return heap_.front(); }
  Event pop() noexcept {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const Event e = heap_.back();
    heap_.pop_back();
    return e;
  }

  bool empty() const noexcept { return heap_.empty(); }
  size_t size() const noexcept { return heap_.size(); }

 private:
  // std::*_heap build a max-heap under the comparator; "later" puts the earliest event on top.
  static bool later(const Event& a, const Event& b) noexcept {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }

  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace lh::sim
