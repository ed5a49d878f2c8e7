// schedule.hpp — time-varying link parameters: schedule steps and link-trace playback.
//
// Both are cursors over sorted, immutable lists owned by the DirectionConfig (pointers stay valid for
// the LinkDirection's life). Times are relative to the direction's epoch. A change takes effect for
// packets arriving at or after epoch + at — exactly at that ns: a packet at at − 1 ns sees the old
// value. The caller keeps the earliest next change time and calls in only when it has passed, so the
// per-packet cost is one comparison.
//  * ScheduleCursor: one-shot steps; each applies its set fields (rate, extra delay, loss).
//  * TraceCursor: piecewise-constant (rate, delay, loss) points; with period > 0 the trace loops
//    (point i takes effect at k·period + at_i), else the last point holds. A point sets the rate
//    (0 = unlimited, as in RateConfig), replaces the extra delay and replaces the loss model by
//    Bernoulli(loss). Schedule steps and trace points that fall due together apply steps first.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "src/link_profile.hpp"

namespace lh::emu {

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

class ScheduleCursor {
 public:
  ScheduleCursor() = default;
  ScheduleCursor(const ScheduleStep* steps, size_t count) noexcept : steps_(steps), count_(count) {}

  int64_t next_change() const noexcept { return next_ < count_ ? steps_[next_].at.ns : kNever; }
  // The next step due at relative time `rel`, or nullptr.
  const ScheduleStep* pop_due(int64_t rel) noexcept {
    if (next_ < count_ && rel >= steps_[next_].at.ns) return &steps_[next_++];
    return nullptr;
  }

 private:
  const ScheduleStep* steps_ = nullptr;
  size_t count_ = 0;
  size_t next_ = 0;
};

class TraceCursor {
 public:
  TraceCursor() = default;
  explicit TraceCursor(const LinkTrace* trace) noexcept
      : points_(trace ? trace->points.data() : nullptr),
        count_(trace ? trace->points.size() : 0),
        period_(trace ? trace->period.ns : 0),
        next_(count_ > 0 ? points_[0].at.ns : kNever) {}

  int64_t next_change() const noexcept { return next_; }

  // The point in effect at relative time `rel` (call only when rel >= next_change()).
  const LinkTracePoint& advance(int64_t rel) noexcept {
    if (period_ > 0 && rel >= cycle_ + period_) cycle_ += ((rel - cycle_) / period_) * period_;
    const int64_t offset = rel - cycle_;
    const LinkTracePoint* end = points_ + count_;
    const LinkTracePoint* it =
        std::upper_bound(points_, end, offset, [](int64_t t, const LinkTracePoint& p) { return t < p.at.ns; });
    const size_t idx = static_cast<size_t>(it - points_) - 1;   // points_[0].at == 0 ≤ offset
    if (idx + 1 < count_) next_ = cycle_ + points_[idx + 1].at.ns;
    else next_ = period_ > 0 ? cycle_ + period_ : kNever;
    return points_[idx];
  }

 private:
  const LinkTracePoint* points_ = nullptr;
  size_t count_ = 0;
  int64_t period_ = 0;
  int64_t cycle_ = 0;      // start of the current loop
  int64_t next_ = kNever;  // relative time of the next point
};

}  // namespace lh::emu
