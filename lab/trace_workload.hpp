// trace_workload.hpp — lh-lab's --workload: the bulk transfer of lh-xfer (default) or the replay of a
// gradient trace with `lh-trace replay` (trace:T.jsonl).
//
// A trace workload is checked before anything starts (the trace loads and its sites 0,1 can be
// replayed). Each cell then runs `lh-trace replay --serve` in namespace B and the client in A with
// the cell's transport; the client's JSON Lines (one object per step, then a summary; see
// traces/replay_report.hpp) become the row's "replay" object: the summary, per-step arrays and
// the headline figures. Units: ms in the row (as the rest of results.jsonl), bytes. Pure code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/run_record.hpp"

namespace lh::lab {

struct Workload {
  enum class Kind { kBulk, kTrace } kind = Kind::kBulk;
  std::string text = "bulk";          // as given
  std::filesystem::path trace;        // kTrace: the trace file
  uint32_t steps = 0;                 // kTrace: steps the replay covers
  uint64_t bytes_forward = 0, bytes_reverse = 0;   // kTrace: site 0 → 1 and 1 → 0 over all steps
};

// "bulk" or "trace:PATH". Throws std::invalid_argument naming the flag value, or lh::ParseError
// ("<file>:<line>: ...") for a bad trace.
Workload parse_workload(std::string_view text);

// Sets r.replay from the client's JSON Lines: {"summary": {...}, "step": [..], "compute_ms",
// "comm_ms", "exposed_ms", "step_ms", "slowdown": [..] (null where infinite)}, r.summary (the
// replay's summary with "seconds"), and the headline figures r.mean_step_ms, mean_comm_ms,
// mean_exposed_ms, slowdown (total step time / ideal; none when infinite). Bad lines are skipped.
// Returns false (r unchanged) when there is no summary.
bool add_replay_results(RunRecord& r, const std::vector<std::string>& lines);

}  // namespace lh::lab
