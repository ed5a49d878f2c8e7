// event_timeline.cpp — outage windows and delay deltas over time (see event_timeline.hpp).
#include "emulator/model/event_timeline.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace lh::emu {

bool EventTimeline::valid(const LinkEvent& e) noexcept {
  if (e.duration.ns < 0 || e.repeat_every.ns < 0) return false;
  const int64_t length = e.kind == LinkEventKind::kReroute ? 0 : e.duration.ns;
  if (e.repeat_every.ns > 0 && e.repeat_every.ns <= length) return false;
  return true;
}

EventTimeline::Slot EventTimeline::make_slot(const LinkEvent& e, bool injected) noexcept {
  Slot s;
  s.original = e;
  s.start = e.at.ns;
  s.end = e.at.ns + (e.kind == LinkEventKind::kReroute ? 0 : e.duration.ns);
  s.period = e.repeat_every.ns;
  s.delta = e.delay_delta.ns;
  s.remaining = s.period > 0 ? e.repeat_count : 1;
  s.injected = injected;
  return s;
}

EventTimeline::EventTimeline(const std::vector<LinkEvent>& events) {
  slots_.reserve(events.size() + kMaxInjected);
  for (size_t i = 0; i < events.size(); ++i) {
    if (!valid(events[i])) {
      throw std::invalid_argument("events[" + std::to_string(i) +
                                  "]: duration/repeat_every must be >= 0 and repeat_every > duration");
    }
    slots_.push_back(make_slot(events[i], false));
    next_ = std::min(next_, slots_.back().start);
  }
}

bool EventTimeline::add(const LinkEvent& e) noexcept {
  if (!can_add(e)) return false;
  slots_.push_back(make_slot(e, true));
  next_ = std::min(next_, slots_.back().start);
  return true;
}

void EventTimeline::advance(int64_t rel) noexcept {
  bool outage = false;
  int64_t next = kNever;
  for (Slot& s : slots_) {
    if (!s.active) continue;
    if (rel >= s.end) {   // one or more occurrences are over: apply their deltas, move on
      uint64_t done = 1;
      if (s.period > 0) done = static_cast<uint64_t>((rel - s.end) / s.period) + 1;
      if (s.remaining != 0 && done >= s.remaining) {
        done = s.remaining;
        s.active = false;
      }
      delta_ += s.delta * static_cast<int64_t>(done);
      if (s.period == 0) s.active = false;
      if (!s.active) continue;
      if (s.remaining != 0) s.remaining -= static_cast<uint32_t>(done);
      s.start += s.period * static_cast<int64_t>(done);
      s.end += s.period * static_cast<int64_t>(done);
    }
    if (rel >= s.start) {   // inside [start, end)
      outage = true;
      next = std::min(next, s.end);
    } else {
      next = std::min(next, s.start);
    }
  }
  outage_ = outage;
  next_ = next;
}

void EventTimeline::take_over_injected(const EventTimeline& prev, int64_t shift_ns) noexcept {
  for (const Slot& s : prev.slots_) {
    if (!s.injected) continue;
    LinkEvent e = s.original;
    e.at.ns += shift_ns;
    add(e);
  }
}

}  // namespace lh::emu
