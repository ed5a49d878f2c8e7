// replay_report.hpp — what `lh-trace replay` prints: a per-step table for people and JSON Lines for
// machines (one {"type":"step"} object per step, then one {"type":"summary"}).
//
// Step fields (times integer ns since the replay started, as ReplaySchedule::results()):
//   step, compute_start_ns, compute_ns, comm_ns, exposed_ns, step_ns, end_ns, slowdown (null when the
//   ideal step time is 0), transfers, bytes_forward, bytes_reverse.
// Summary: trace, transport, peer, sites [a, b], steps (replayed) of steps_total, complete, error,
//   total_ns (replay start → last step end), ideal_ns (Σ compute), slowdown (total / ideal),
//   mean_step_ns, mean_comm_ns, mean_exposed_ns, mean_slowdown, bytes_forward, bytes_reverse,
//   retransmits (the client's, i.e. of the forward direction: longhaul packets or TCP segments).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "traces/replay_schedule.hpp"

namespace lh::workload {

using traces::ReplayScope;
using traces::StepResult;


struct ReplayReport {
  std::string trace, transport, peer;
  ReplayScope scope;
  uint32_t steps_total = 0;          // steps the schedule would replay
  std::vector<StepResult> steps;     // those that ended
  bool complete = false;
  std::string error;                 // why an incomplete replay stopped
  uint64_t retransmits = 0;          // the client's retransmissions (forward direction)
};

nlohmann::json to_json(const StepResult& s);
nlohmann::json summary_json(const ReplayReport& r);
// Steps then summary, one JSON object per line.
std::string json_lines(const ReplayReport& r);
// "step  compute  comm  exposed  slowdown" rows in ms, then totals.
std::string format_table(const ReplayReport& r);

}  // namespace lh::workload
