// replay_schedule.hpp — the pure core of `lh-trace replay`: which transfers of a gradient trace may
// start now, and what each training step cost once they ended.
//
// Sans-IO (ARCHITECTURE.md): no clock, no socket. A driver (simulator, io_uring, Asio) calls
// start(now), issues every transfer poll_issue(now) hands out, reports on_complete(id, now) when it
// ended, and sleeps until next_wakeup(). Dependencies follow traces/FORMATS.md (gradient trace v1):
// a transfer waits for `after_compute` of its step's compute, for every earlier round of its
// (step, bucket), and for the previous step (compute of step s+1 starts when step s's compute ended
// and all its transfers ended). Only transfers between the two replayed sites (ReplayScope) cross the
// network; every other transfer (intra-site, other site pairs) is taken as instantaneous — it
// completes when issued, so it still orders rounds. Times are lh::Nanos on the driver's clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/units.hpp"
#include "traces/gradient_trace.hpp"

namespace lh::traces {

// The site pair whose transfers are replayed over the network: kForward = site_a → site_b (the replay
// client's side sends), kReverse = site_b → site_a.
struct ReplayScope {
  uint32_t site_a = 0, site_b = 1;
  std::optional<uint32_t> max_steps;  // replay only the first N steps of the trace
};

enum class ReplayDirection : uint8_t { kForward, kReverse, kLocal };
std::string_view to_string(ReplayDirection d);

struct ReplayTransfer {
  uint32_t id = 0;          // index in ReplaySchedule::transfers()
  size_t event = 0;         // index of the event in GradientTrace::events
  uint32_t step = 0, bucket = 0, round = 0;
  Nanos after_compute{0};
  uint64_t bytes = 0;
  ReplayDirection dir = ReplayDirection::kLocal;
};

// Per-step figures, times relative to start(now). comm = first network issue → last network
// completion (0 when the step has no network transfer); exposed = end − (compute_start + compute),
// the communication not hidden behind compute; slowdown = (end − compute_start) / compute, the step
// time against an ideal (infinitely fast) network.
struct StepResult {
  uint32_t step = 0;
  Nanos compute_start{0}, compute{0}, end{0};
  Nanos first_issue = Nanos::max(), last_completion{0};
  Nanos comm{0}, exposed{0};
  double slowdown = 1.0;
  uint64_t transfers = 0, bytes_forward = 0, bytes_reverse = 0;
  [[nodiscard]] Nanos step_time() const { return end - compute_start; }
};

class ReplaySchedule {
 public:
  // Validates the scope against the trace (sites in range, distinct) and derives every step's ideal
  // compute time (compute_of). Throws std::invalid_argument naming what was wrong.
  ReplaySchedule(const GradientTrace& trace, const ReplayScope& scope);

  // Step 0's compute starts at `now`. Call once, before anything else.
  void start(Nanos now);
  // The next network transfer that may start at `now`, or nullopt. Call until nullopt after start,
  // after every on_complete and at every next_wakeup(); each id is returned once.
  std::optional<uint32_t> poll_issue(Nanos now);
  // Network transfer `id` (returned by poll_issue) ended at `now`. Throws std::logic_error on an id
  // that was not issued or already completed.
  void on_complete(uint32_t id, Nanos now);
  // Earliest time poll_issue may return something new; Nanos::max() when only completions can move
  // the replay on (or it is done). A step ends as soon as its last transfer did (its end is then
  // known exactly: the later of that and its compute end), so no wake-up is needed for it.
  [[nodiscard]] Nanos next_wakeup() const;
  [[nodiscard]] bool done() const { return started_ && current_ >= step_count(); }

  [[nodiscard]] const std::vector<ReplayTransfer>& transfers() const { return transfers_; }
  [[nodiscard]] uint32_t step_count() const { return static_cast<uint32_t>(compute_.size()); }
  // The ideal compute time of step s: provenance.step_compute when given; else the spacing of the
  // ideal schedule (t − after_compute of a step's first event, to the next step that has events,
  // split evenly over the steps between); the last step: its largest after_compute. Never below the
  // step's largest after_compute.
  [[nodiscard]] Nanos compute_of(uint32_t step) const { return compute_.at(step); }
  // Steps that ended, in order (all of them once done()).
  [[nodiscard]] const std::vector<StepResult>& results() const { return results_; }
  // Network transfers issued and not yet completed.
  [[nodiscard]] uint64_t in_flight() const { return in_flight_; }

 private:
  enum class Phase : uint8_t { kWaiting, kIssued, kDone };
  struct Bucket {
    uint32_t begin = 0, end = 0;  // transfers_[begin, end): one (step, bucket), by round then after_compute
    uint32_t round_begin = 0;     // first transfer of the lowest round not yet complete
    uint32_t round_end = 0;       // one past its last transfer
    uint32_t next = 0;            // next transfer of that round not issued yet (they are sorted by after_compute)
    uint32_t open = 0;            // issued, not complete transfers of that round
    Nanos round_ready{0};         // when that round's dependencies were met (its previous round ended)
  };

  void enter_step(uint32_t step, Nanos compute_start);
  void open_round(Bucket& b, Nanos ready);
  [[nodiscard]] Nanos ready_time(const Bucket& b) const;
  void complete(uint32_t id, Nanos now);
  void end_steps();

  Nanos start_{0};
  std::vector<ReplayTransfer> transfers_;
  std::vector<Phase> phase_;
  std::vector<uint32_t> bucket_of_;            // per transfer: index in buckets_
  std::vector<Nanos> compute_;                 // per step
  std::vector<uint32_t> step_buckets_;         // buckets_[step_buckets_[s], step_buckets_[s + 1])
  std::vector<Bucket> buckets_;
  std::vector<StepResult> results_;
  StepResult cur_{};
  Nanos cur_last_end_{0};                      // latest end of any transfer of the step (local ones too)
  uint32_t current_ = 0;                       // step being replayed
  uint64_t pending_in_step_ = 0;               // transfers of the current step not complete
  uint64_t in_flight_ = 0;
  bool started_ = false;
};

}  // namespace lh::traces
