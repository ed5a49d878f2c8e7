// cell_runner.hpp — one run of one matrix cell: the server tool in namespace B, the client in A (via
// `ip netns exec`), both journaled, bounded in time, their outputs under raw/run-NNN-*; the outcome
// as a typed RunRecord. Bulk cells run lh-xfer (every transport of the grammar), trace cells run
// lh-trace replay. Every transport's event loop runs SCHED_FIFO (--realtime, below lh-emu's worker),
// so host load does not hand kernel TCP, which works in softirq, an advantage over a user-space one.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

#include "lab/host_journal.hpp"
#include "lab/matrix.hpp"
#include "lab/run_record.hpp"

namespace lh::lab {

struct CellContext {
  const Matrix& m;
  HostJournal& journal;
  std::filesystem::path xfer, trace_tool;  // the tools
  std::string prefix;                      // the topology's namespaces: <prefix>A, <prefix>B
  std::filesystem::path dir;               // the run folder
  std::string run_id;
  std::chrono::steady_clock::time_point emu_t0;  // lh-emu's start (its stats lines' time base)
  const std::atomic<bool>* stop = nullptr;
};

// Runs repeat `repeat` of transport `t` on point `point` as run number `index`. A run cut short by a
// stop request comes back with interrupted = true (not a result).
RunRecord run_cell(const CellContext& ctx, size_t point, const LabTransport& t, int repeat, size_t index);

}  // namespace lh::lab
