// simulator.hpp — a discrete-event simulator: a virtual clock (lh::Nanos) and an event queue.
//
// The pattern of QUICHE's quic/test_tools/simulator: actors schedule events for themselves; the
// simulator pops the earliest, advances the clock to it and calls the actor. Nothing reads a wall
// clock, so a 30 s transfer over a 50 ms path runs in well under a second of CPU and the same seed
// gives the same run, bit for bit (equal times run in scheduling order; see event_queue.hpp).
//
// Topologies (dumbbell.hpp) are actors; protocol engines attach to them as Endpoints (endpoint.hpp).
// Typical use:
//   lh::sim::Simulator sim;
//   lh::sim::Dumbbell path(sim, profile, /*seed=*/7);
//   ... path.add_endpoint(Side::kA, sender) ...
//   sim.run_until(Nanos::from_s(10));
//   bool ok = sim.run_until([&] { return receiver.done(); }, Nanos::from_s(60));
#pragma once

#include <cstdint>

#include "emulator/sim/event_queue.hpp"
#include "src/units.hpp"

namespace lh::sim {

// Something that receives events. Virtual dispatch here is deliberate (QUICHE's Actor): a topology
// holds heterogeneous actors; the link model itself (LinkDirection) stays statically bound.
class Actor {
 public:
  // Called by Simulator at the event's time (`now` == Simulator::now()), with the `arg` it was
  // scheduled with. May schedule further events.
  virtual void on_event(Nanos now, uint64_t arg) = 0;

 protected:
  ~Actor() = default;
};

class Simulator {
 public:
  explicit Simulator(Nanos start = Nanos{0}) : now_(start) { queue_.reserve(1024); }
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  Nanos now() const noexcept { return now_; }

  // Runs `actor.on_event(at, arg)` at virtual time `at`. A time in the past is run at now() (time
  // never goes backwards); events at the same time run in the order they were scheduled.
  void schedule(Nanos at, Actor& actor, uint64_t arg) {
    queue_.push(at < now_ ? now_ : at, &actor, arg);
  }

  // Runs the earliest pending event; false if there is none.
  bool step() {
    if (queue_.empty()) return false;
    const Event e = queue_.pop();
    now_ = e.at;
    ++events_processed_;
    e.actor->on_event(now_, e.arg);
    return true;
  }

  // Runs every event due at or before `deadline`, then sets the clock to `deadline` (if later).
  void run_until(Nanos deadline) {
    while (!queue_.empty() && queue_.top().at <= deadline) step();
    if (deadline > now_) now_ = deadline;
  }

  // Runs events until `done()` holds (checked before the first event and after each one) or the next
  // event is later than `deadline`. Returns done(). When it returns true the clock is at the event
  // that made it true; otherwise it is at `deadline`.
  template <typename Predicate>
  bool run_until(Predicate&& done, Nanos deadline) {
    if (done()) return true;
    while (!queue_.empty() && queue_.top().at <= deadline) {
      step();
      if (done()) return true;
    }
    if (deadline > now_) now_ = deadline;
    return done();
  }

  // Runs for `duration` of virtual time from now().
  void run_for(Nanos duration) { run_until(now_ + duration); }

  size_t pending() const noexcept { return queue_.size(); }
  uint64_t events_processed() const noexcept { return events_processed_; }
  // Time of the earliest pending event, Nanos::max() if none.
  Nanos next_event_time() const noexcept { return queue_.empty() ? Nanos::max() : queue_.top().at; }

 private:
  Nanos now_;
  EventQueue queue_;
  uint64_t events_processed_ = 0;
};

}  // namespace lh::sim
