// replay_schedule.cpp — see replay_schedule.hpp.
#include "traces/replay_schedule.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

namespace lh::traces {

std::string_view to_string(ReplayDirection d) {
  switch (d) {
    case ReplayDirection::kForward: return "forward";
    case ReplayDirection::kReverse: return "reverse";
    case ReplayDirection::kLocal: return "local";
  }
  return "?";
}

namespace {

ReplayDirection direction_of(const TraceEvent& e, const ReplayScope& s) {
  if (e.src.site == s.site_a && e.dst.site == s.site_b) return ReplayDirection::kForward;
  if (e.src.site == s.site_b && e.dst.site == s.site_a) return ReplayDirection::kReverse;
  return ReplayDirection::kLocal;
}

// Ideal compute time per step (see ReplaySchedule::compute_of).
std::vector<Nanos> derive_compute(const GradientTrace& trace, uint32_t steps) {
  std::vector<Nanos> start(steps, Nanos::max()), largest_after(steps, Nanos{0});
  for (const TraceEvent& e : trace.events) {
    if (e.step >= steps) continue;
    start[e.step] = std::min(start[e.step], e.t - e.after_compute);
    largest_after[e.step] = std::max(largest_after[e.step], e.after_compute);
  }
  std::vector<Nanos> compute(steps, Nanos{0});
  if (trace.provenance.step_compute) {
    std::fill(compute.begin(), compute.end(), *trace.provenance.step_compute);
  } else {
    // Steps with events pin the ideal timeline; the steps between two of them share the gap evenly.
    // Before the first: the trace starts at 0 with step 0.
    int64_t prev_step = -1;
    Nanos prev_t{0}, per_step{-1};
    for (uint32_t s = 0; s < steps; ++s) {
      if (start[s] == Nanos::max()) continue;
      if (prev_step >= 0 || s > 0) {
        const int64_t from = prev_step >= 0 ? prev_step : 0;
        const Nanos from_t = prev_step >= 0 ? prev_t : Nanos{0};
        per_step = std::max(Nanos{0}, start[s] - from_t) / (static_cast<int64_t>(s) - from);
        for (int64_t k = from; k < s; ++k) compute[static_cast<size_t>(k)] = per_step;
      }
      prev_step = s;
      prev_t = start[s];
    }
    // After the last step with events: the last spacing seen, else that step's largest after_compute.
    const int64_t from = std::max<int64_t>(prev_step, 0);
    for (int64_t k = from; k < steps; ++k) {
      compute[static_cast<size_t>(k)] = per_step.ns >= 0 ? per_step : largest_after[static_cast<size_t>(from)];
    }
  }
  for (uint32_t s = 0; s < steps; ++s) compute[s] = std::max(compute[s], largest_after[s]);
  return compute;
}

}  // namespace

ReplaySchedule::ReplaySchedule(const GradientTrace& trace, const ReplayScope& scope) {
  const Provenance& p = trace.provenance;
  if (scope.site_a == scope.site_b) {
    throw std::invalid_argument("replay sites " + std::to_string(scope.site_a) + "," + std::to_string(scope.site_b) +
                                ": the two sites must differ");
  }
  if (scope.site_a >= p.sites || scope.site_b >= p.sites) {
    throw std::invalid_argument("replay sites " + std::to_string(scope.site_a) + "," + std::to_string(scope.site_b) +
                                ": the trace has " + std::to_string(p.sites) + " site(s) (0.." +
                                std::to_string(p.sites == 0 ? 0 : p.sites - 1) + ")");
  }
  if (scope.max_steps && *scope.max_steps == 0) throw std::invalid_argument("replay steps: must be at least 1");
  uint32_t steps = p.steps;
  for (const TraceEvent& e : trace.events) steps = std::max(steps, e.step + 1);
  if (scope.max_steps) steps = std::min(steps, *scope.max_steps);
  if (steps == 0) throw std::invalid_argument("the trace has no steps to replay");

  for (size_t i = 0; i < trace.events.size(); ++i) {
    const TraceEvent& e = trace.events[i];
    if (e.step >= steps) continue;
    transfers_.push_back({.event = i, .step = e.step, .bucket = e.bucket, .round = e.round,
                          .after_compute = e.after_compute, .bytes = e.bytes, .dir = direction_of(e, scope)});
  }
  if (transfers_.size() >= std::numeric_limits<uint32_t>::max()) throw std::invalid_argument("trace too large to replay");
  std::stable_sort(transfers_.begin(), transfers_.end(), [](const ReplayTransfer& a, const ReplayTransfer& b) {
    return std::tie(a.step, a.bucket, a.round, a.after_compute) < std::tie(b.step, b.bucket, b.round, b.after_compute);
  });
  phase_.assign(transfers_.size(), Phase::kWaiting);
  bucket_of_.resize(transfers_.size());
  step_buckets_.assign(steps + 1, 0);
  for (uint32_t i = 0; i < transfers_.size(); ++i) {
    ReplayTransfer& t = transfers_[i];
    t.id = i;
    if (i == 0 || t.step != transfers_[i - 1].step || t.bucket != transfers_[i - 1].bucket) {
      buckets_.push_back({.begin = i, .end = i});
    }
    buckets_.back().end = i + 1;
    bucket_of_[i] = static_cast<uint32_t>(buckets_.size() - 1);
  }
  // step_buckets_[s] = first bucket of step s (buckets are ordered by step).
  uint32_t b = 0;
  for (uint32_t s = 0; s <= steps; ++s) {
    while (b < buckets_.size() && transfers_[buckets_[b].begin].step < s) ++b;
    step_buckets_[s] = b;
  }
  compute_ = derive_compute(trace, steps);
}

void ReplaySchedule::start(Nanos now) {
  if (started_) throw std::logic_error("ReplaySchedule::start called twice");
  started_ = true;
  start_ = now;
  enter_step(0, now);
  end_steps();
}

void ReplaySchedule::enter_step(uint32_t step, Nanos compute_start) {
  current_ = step;
  if (step >= step_count()) return;
  cur_ = StepResult{.step = step, .compute_start = compute_start, .compute = compute_[step]};
  cur_last_end_ = compute_start;
  pending_in_step_ = 0;
  for (uint32_t b = step_buckets_[step]; b < step_buckets_[step + 1]; ++b) {
    Bucket& k = buckets_[b];
    pending_in_step_ += k.end - k.begin;
    k.round_begin = k.begin;
    open_round(k, compute_start);
  }
}

void ReplaySchedule::open_round(Bucket& b, Nanos ready) {
  b.round_end = b.round_begin;
  while (b.round_end < b.end && transfers_[b.round_end].round == transfers_[b.round_begin].round) ++b.round_end;
  b.next = b.round_begin;
  b.open = 0;
  b.round_ready = ready;
}

Nanos ReplaySchedule::ready_time(const Bucket& b) const {
  return std::max(cur_.compute_start + transfers_[b.next].after_compute, b.round_ready);
}

std::optional<uint32_t> ReplaySchedule::poll_issue(Nanos now) {
  if (!started_) throw std::logic_error("ReplaySchedule::poll_issue before start");
  while (!done()) {
    const uint32_t step = current_;
    for (uint32_t bi = step_buckets_[step]; bi < step_buckets_[step + 1]; ++bi) {
      Bucket& b = buckets_[bi];
      while (b.next < b.round_end) {
        const Nanos ready = ready_time(b);
        if (ready > now) break;
        const uint32_t id = b.next++;
        ++b.open;
        phase_[id] = Phase::kIssued;
        if (transfers_[id].dir == ReplayDirection::kLocal) {
          complete(id, ready);  // instantaneous: may open the bucket's next round
          continue;
        }
        ++in_flight_;
        ++cur_.transfers;
        cur_.first_issue = std::min(cur_.first_issue, now);
        (transfers_[id].dir == ReplayDirection::kForward ? cur_.bytes_forward : cur_.bytes_reverse) +=
            transfers_[id].bytes;
        return id;
      }
    }
    end_steps();
    if (current_ == step) return std::nullopt;  // nothing more until a completion or next_wakeup()
  }
  return std::nullopt;
}

void ReplaySchedule::complete(uint32_t id, Nanos now) {
  phase_[id] = Phase::kDone;
  Bucket& b = buckets_[bucket_of_[id]];
  --b.open;
  --pending_in_step_;
  cur_last_end_ = std::max(cur_last_end_, now);
  if (transfers_[id].dir != ReplayDirection::kLocal) {
    --in_flight_;
    cur_.last_completion = std::max(cur_.last_completion, now);
  }
  if (b.open == 0 && b.next == b.round_end && b.round_end < b.end) {
    b.round_begin = b.round_end;
    open_round(b, now);
  }
}

void ReplaySchedule::on_complete(uint32_t id, Nanos now) {
  if (id >= transfers_.size() || phase_[id] != Phase::kIssued || transfers_[id].step != current_) {
    throw std::logic_error("ReplaySchedule::on_complete: transfer " + std::to_string(id) + " is not in flight");
  }
  complete(id, now);
  end_steps();
}

// Ends the current step (and any following steps without transfers) once all its transfers ended:
// its end is the later of its compute end and its last transfer's end, which may lie after `now` —
// the next step's compute simply starts then.
void ReplaySchedule::end_steps() {
  while (current_ < step_count() && pending_in_step_ == 0) {
    StepResult r = cur_;
    const Nanos compute_end = r.compute_start + r.compute;
    r.end = std::max(compute_end, cur_last_end_);
    r.exposed = r.end - compute_end;
    if (r.transfers > 0) {
      r.comm = r.last_completion - r.first_issue;
    } else {
      r.first_issue = r.last_completion = r.compute_start;
    }
    const Nanos step_time = r.end - r.compute_start;
    r.slowdown = r.compute.ns > 0 ? static_cast<double>(step_time.ns) / static_cast<double>(r.compute.ns)
                                  : (step_time.ns == 0 ? 1.0 : std::numeric_limits<double>::infinity());
    const Nanos next_start = r.end;
    for (Nanos* t : {&r.compute_start, &r.end, &r.first_issue, &r.last_completion}) *t = *t - start_;
    results_.push_back(r);
    enter_step(current_ + 1, next_start);
  }
}

Nanos ReplaySchedule::next_wakeup() const {
  if (!started_ || done()) return Nanos::max();
  Nanos t = Nanos::max();
  for (uint32_t bi = step_buckets_[current_]; bi < step_buckets_[current_ + 1]; ++bi) {
    const Bucket& b = buckets_[bi];
    if (b.next < b.round_end) t = std::min(t, ready_time(b));
  }
  return t;
}

}  // namespace lh::traces
