// lab_runner.hpp — runs a lab matrix on the one-machine topology and writes the results directory.
//
// For a Matrix (matrix.hpp): raises the socket-buffer sysctls (lh::xport::tcp::SysctlGuard, restored
// at the end), brings up scripts/topology with its own prefix, and for each profile starts lh-emu on
// it, then runs every transport × repeat (server in namespace B, client in namespace A, via
// `ip netns exec`), collecting each client's JSON summary. Everything it started is stopped and the
// topology removed on any exit — success, error, or a stop request (SIGINT/SIGTERM set the flag
// given in RunnerOptions). Writes <out>/<run-id>/: results.jsonl (one line per run, appended as runs
// finish), summary.txt, raw/ (profiles, lh-emu stats lines, tool logs), *.gp/*.dat/*.png and
// index.html. Progress lines (run i of n, ETA) go to stderr. Needs root.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/cell_stats.hpp"
#include "lab/matrix.hpp"

namespace lh::lab {

struct RunnerOptions {
  std::filesystem::path emu;        // lh-emu binary
  std::filesystem::path xfer;       // lh-xfer (every transport: longhaul and the TCP baseline)
  std::filesystem::path trace_tool; // lh-trace (the replay of a --workload trace:FILE)
  std::filesystem::path topology;   // scripts/topology
  std::filesystem::path out = "results";
  std::string command_line;         // recorded in index.html
  std::string emu_stats_interval = "100ms";
  const std::atomic<bool>* stop = nullptr;   // set by the signal handler
};

struct RunOutcome {
  std::string run_id;
  std::filesystem::path dir;
  std::vector<nlohmann::json> rows;
  std::vector<CellStats> cells;
  std::string table;
  bool stopped = false;   // a stop request ended the run early
};

// Throws std::runtime_error on set-up failures (no root, topology, lh-emu not starting); a failed
// transfer is recorded as a row with "ok": false and the run goes on. Rows carry "complete": a
// transfer the duration limit stopped (tool exit 3 with its summary) is measured — "ok": true,
// "complete": false, "incomplete": why — its goodput being the bytes delivered over the time taken.
RunOutcome run_matrix(const Matrix& m, const RunnerOptions& opt);

// Checks that the binaries exist and that we are root, before anything starts.
void check_environment(const Matrix& m, const RunnerOptions& opt);

}  // namespace lh::lab
