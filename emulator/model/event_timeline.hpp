// event_timeline.hpp — link events over time: outages, protection switches, reroutes, repeating.
//
// An occurrence of an event starting at s covers [s, s + duration): every packet arriving in it is
// dropped (cause kOutage), none outside. Its delay_delta is added to the path delay from s + duration
// on (a reroute has no outage: its delta applies from s). A repeating event recurs every
// repeat_every (which must exceed duration) for repeat_count occurrences in total (0 = forever); each
// occurrence adds its delta again, so a delta on a repeating event accumulates (use it for a path
// that keeps lengthening; a flapping link has delta 0). Storage is allocated once (config events +
// kMaxInjected runtime events); advancing over a long idle gap is O(events), not O(occurrences).
#pragma once

#include <cstdint>
#include <vector>

#include "emulator/model/schedule.hpp"
#include "src/link_profile.hpp"

namespace lh::emu {

class EventTimeline {
 public:
  static constexpr size_t kMaxInjected = 32;

  EventTimeline() = default;
  // `events` times relative to the epoch. Throws std::invalid_argument for a malformed event.
  explicit EventTimeline(const std::vector<LinkEvent>& events);

  // Adds an event (relative times) without allocating; false when full or malformed.
  bool add(const LinkEvent& relative_event) noexcept;
  // Whether add() would take it.
  bool can_add(const LinkEvent& relative_event) const noexcept {
    return slots_.size() < slots_.capacity() && valid(relative_event);
  }

  // Brings the state to relative time `rel`; call when rel >= next_change().
  void advance(int64_t rel) noexcept;
  int64_t next_change() const noexcept { return next_; }
  bool in_outage() const noexcept { return outage_; }
  int64_t delay_delta_ns() const noexcept { return delta_; }

  // Live swap: copies the runtime-injected events of `prev`, shifted by `shift_ns` (prev epoch − ours).
  void take_over_injected(const EventTimeline& prev, int64_t shift_ns) noexcept;

 private:
  struct Slot {
    LinkEvent original;        // as given (relative), for take_over
    int64_t start = 0, end = 0, period = 0, delta = 0;
    uint32_t remaining = 0;    // occurrences left including the current one; 0 = forever
    bool active = true;
    bool injected = false;
  };
  static bool valid(const LinkEvent& e) noexcept;
  static Slot make_slot(const LinkEvent& e, bool injected) noexcept;

  std::vector<Slot> slots_;    // capacity fixed at construction
  int64_t next_ = kNever;
  int64_t delta_ = 0;          // sum of the deltas of every finished occurrence
  bool outage_ = false;
};

}  // namespace lh::emu
