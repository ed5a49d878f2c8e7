// report_builder.hpp — a run folder's report, built from the folder alone: raw/run.json (the run's
// meta, run_record.hpp), results.jsonl (one RunRecord per line), raw/emu-<point>.jsonl (lh-emu's
// stats lines) and raw/run-NNN-{client,server}.sqlog (the controllers). Writes summary.txt, the plots'
// data, scripts and PNGs (gnuplot), and index.html — every file to a temporary name, then renamed,
// so a reader (or a kill) never sees half a report. `lh-lab run` calls it at the end of a run;
// `lh-lab report DIR` calls it again (after a crash, or when the report code changed).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lab/cell_stats.hpp"
#include "lab/run_record.hpp"

namespace lh::lab {

struct BuiltReport {
  RunMeta meta;
  std::vector<RunRecord> runs;
  std::vector<CellStats> cells;
  std::string table;                 // summary.txt
  std::vector<std::string> notes;    // failed/incomplete runs, unreadable lines, plots that failed
};

// Throws std::runtime_error naming the file when DIR has no readable raw/run.json or results.jsonl.
BuiltReport build_report(const std::filesystem::path& dir);

}  // namespace lh::lab
