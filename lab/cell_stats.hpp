// cell_stats.hpp — aggregation of a lab run's results: per (profile, transport) cell, the median and
// the run-to-run spread (min, max, median absolute deviation) of goodput and completion time.
//
// Input rows are the lines of results.jsonl (see lab_runner.hpp): {"profile", "transport", "ok",
// "complete", "summary": {"bits_per_second", "seconds", "retransmits", "rtt_us": {"p50","p95","p99"}}}.
// Failed runs ("ok": false) count in `failed` and are left out of the statistics. Incomplete runs
// ("ok": true, "complete": false — the duration limit stopped them) count in goodput and RTT but
// not in completion time, which they never reached; a row without "complete" is complete.
// Units: goodput bit/s, times seconds, RTT µs. Pure code; unit-tested.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lh::lab {

struct Spread {
  double median = 0, min = 0, max = 0, mad = 0;
  size_t n = 0;
};
Spread spread_of(std::vector<double> v);   // all zero with n = 0 for an empty input
nlohmann::json to_json(const Spread& s);
Spread spread_from_json(const nlohmann::json& j);

struct CellStats {
  std::string profile;
  std::string transport;
  double rate_bps = 0, rtt_ms = 0, loss = 0;   // the profile's key parameters
  size_t ok = 0, failed = 0;
  size_t incomplete = 0;        // of the ok runs, those the duration limit stopped
  Spread goodput_bps;           // every ok run (incomplete ones: bytes delivered / time)
  Spread seconds;               // completion time of the complete runs only
  double completion_median_s = 0;   // median over the ok runs with incomplete ones as +infinity
  double retransmits = 0;       // median over the ok runs
  double rtt_p50_us = 0;        // median over the ok runs of each run's p50
  double rtt_p95_us = 0;        // likewise for p95; a run without p95 contributes its p99
  bool rtt_p95_from_p99 = false;   // some run had no p95 (tools before p95 was reported)
  double rtt_p99_us = 0;        // likewise for p99
};

// Cells in first-seen order of (profile, transport) in `rows`.
std::vector<CellStats> aggregate(const std::vector<nlohmann::json>& rows);

}  // namespace lh::lab
