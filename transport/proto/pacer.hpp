// pacer.hpp — earliest-departure-time pacer (Linux fq / BBR style) in integer nanoseconds.
//
// Each packet advances the next departure time by its serialization time at the pacing rate. After
// an idle period the pacer may lag `now` by at most one quantum, which bounds the burst a driver can
// emit in one batch. Invariant: packets released over any interval T number at most
// rate·T + quantum bytes. The release time is a deadline the connection reports via next_timeout().
#pragma once

#include <algorithm>
#include <cstdint>

#include "src/units.hpp"

namespace lh::xport {

class Pacer {
 public:
  // Earliest time the next packet may leave.
  [[nodiscard]] Nanos release_time() const { return next_; }
  [[nodiscard]] bool can_send(Nanos now) const { return now >= next_; }

  // Called after sending `bytes` at `now` with the controller's current rate (> 0).
  void on_sent(Nanos now, uint64_t bytes, BitsPerSecond rate, uint64_t quantum_bytes) {
    if (rate.bps == 0) return;
    const Nanos burst = serialization_time(Bytes{quantum_bytes}, rate);
    next_ = std::max(next_, now - burst) + serialization_time(Bytes{bytes}, rate);
  }

 private:
  Nanos next_{INT64_MIN / 2};
};

}  // namespace lh::xport
