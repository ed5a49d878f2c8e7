// trace_report.hpp — the report section of a trace workload (--workload trace:T.jsonl): per cell
// (profile × transport) the medians over the repeats of each run's mean step time, communication
// time, exposed (not overlapped) communication and slowdown against an ideal network, as a table
// (text and HTML); and trace_slowdown.png: per-step slowdown (step time / compute time), one curve
// per cell (median over the repeats at each step). Rows are results.jsonl lines with "replay"
// (trace_workload.hpp). Cells with runs stopped by the duration limit are marked "*". Units: ms.
// Pure code (strings); unit-tested.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/report.hpp"

namespace lh::lab {

std::string trace_table(const std::vector<nlohmann::json>& rows);
std::string trace_html(const std::vector<nlohmann::json>& rows);
// Empty spec (png == "") when no run produced steps.
PlotSpec trace_slowdown_plot(const std::vector<nlohmann::json>& rows);

}  // namespace lh::lab
