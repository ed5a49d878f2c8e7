// lab_runner.hpp — runs a lab matrix on the one-machine topology and writes the run folder.
//
// The run, in order: takes the host journal (host_journal.hpp: one lh-lab at a time; a crashed run's
// changes are undone first), creates results/<run-id>/ with an atomic mkdir, writes raw/run.json,
// raises the socket-buffer sysctls (each original journaled before it changes), brings up
// scripts/topology (journaled; topology.hpp), and for each matrix point starts lh-emu on it (pid
// journaled) and runs every transport × repeat as a cell (cell_runner.hpp), appending one RunRecord
// per line to results.jsonl as runs finish. Everything it started is stopped, the topology removed and
// the sysctls restored on any exit — success, error, or a stop request (SIGINT/SIGTERM/SIGHUP set the
// flag in RunnerOptions); a SIGKILL is undone by the next start or `lh-lab cleanup`. The report
// (summary.txt, plots, index.html) is then built from the folder (report_builder.hpp). Progress lines
// (run i of n, ETA) go to stderr. Needs root.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "lab/cell_stats.hpp"
#include "lab/host_journal.hpp"
#include "lab/matrix.hpp"
#include "lab/run_record.hpp"

namespace lh::lab {

struct RunnerOptions {
  std::filesystem::path emu;        // lh-emu binary
  std::filesystem::path xfer;       // lh-xfer (every transport: longhaul and the TCP baseline)
  std::filesystem::path trace_tool; // lh-trace (the replay of a --workload trace:FILE)
  std::filesystem::path topology;   // scripts/topology
  std::filesystem::path out = "results";
  std::filesystem::path state_dir = kDefaultStateDir;   // the host journal and lock
  std::string command_line;         // recorded in raw/run.json and index.html
  std::string emu_stats_interval = "100ms";
  const std::atomic<bool>* stop = nullptr;   // set by the signal handler
};

struct RunOutcome {
  std::string run_id;
  std::filesystem::path dir;
  std::vector<RunRecord> runs;
  std::vector<CellStats> cells;
  std::string table;
  std::vector<std::string> notes;   // the report's notes (failed runs, plots that failed)
  bool stopped = false;             // a stop request ended the run early
};

// Throws std::runtime_error on set-up failures (no root, another lh-lab running, topology, lh-emu
// not starting); a failed transfer is recorded with ok = false and the run goes on. A transfer the
// duration limit stopped (tool exit 3 with its summary) is measured — ok, not complete, `incomplete`
// says why — its goodput being the bytes delivered over the time taken.
RunOutcome run_matrix(const Matrix& m, const RunnerOptions& opt);

// Checks that the binaries exist and that we are root, before anything starts.
void check_environment(const Matrix& m, const RunnerOptions& opt);

}  // namespace lh::lab
