// run_record.hpp — one run of a lab matrix, typed: what the cell was (profile, its keys, transport,
// repeat, workload), how it went (exit codes, ok / complete, why not) and the tool's own JSON
// summary. results.jsonl holds one to_json() per line; reports (report_builder.hpp) and checks
// (check.hpp) read them back with record_from_json, so a report can be rebuilt from the run folder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lh::lab {

struct RunRecord {
  // the cell
  std::string run_id;
  size_t index = 0;                 // 1-based, run order; files raw/run-NNN-*
  std::string profile;              // the point's label ("wan-500mbit-50ms loss=0.001")
  size_t point = 0;                 // index of the matrix point: raw/emu-<point>.jsonl, raw/profile-<point>.toml
  uint64_t rate_bps = 0;
  double rtt_ms = 0, loss = 0;
  std::string loss_model;           // "none", "bernoulli", "gilbert-elliott", ...
  std::optional<double> ge_burst, sweep_loss, sweep_delay_ms;
  std::string sweep_loss_model;
  uint64_t bdp_bytes = 0;
  std::string transport;            // as written on --transports
  std::string spec;                 // the transport that ran (after --transport-override)
  std::string cc;
  uint32_t streams = 1;
  std::string tool;                 // "lh-xfer" or "lh-trace replay"
  std::string workload;             // "bulk" or "trace:FILE"
  int repeat = 0;                   // 0-based
  uint64_t size_bytes = 0;
  std::string started_utc;
  // the run
  double emu_t0_s = 0, emu_t1_s = 0;  // lh-emu uptime when the client started / ended
  double client_unix_ms = 0;          // wall clock at the client's start (aligns qlog files)
  std::optional<int> client_rc, server_rc;
  bool ok = false, complete = false, interrupted = false;
  std::string incomplete;           // why a measured run is incomplete (duration limit)
  std::string error;                // why a run failed
  nlohmann::json summary;           // the tool's JSON summary (null when none); "seconds" always set
  nlohmann::json replay;            // trace workloads: summary + per-step arrays (trace_workload.hpp)
  // trace workloads: the headline figures
  std::optional<double> mean_step_ms, mean_comm_ms, mean_exposed_ms, slowdown;
};

nlohmann::json to_json(const RunRecord& r);
// Throws std::invalid_argument naming the missing or mistyped field.
RunRecord record_from_json(const nlohmann::json& j);

// The records of a results.jsonl text. A line that is not a record is skipped and described in
// `errors` ("results.jsonl:7: run record: no \"index\""); blank lines are ignored.
std::vector<RunRecord> records_from_jsonl(std::string_view text, std::vector<std::string>& errors);

// What a run folder says about the run as a whole (raw/run.json): written when the run starts,
// rewritten when it ends.
struct RunMeta {
  std::string run_id;
  std::string command_line;
  std::string workload = "bulk";    // "bulk" or "trace:FILE"
  std::vector<std::string> points;  // the matrix points' labels, by point index
  std::vector<std::pair<std::string, std::string>> environment;   // host, kernel, ... (key, value)
  bool finished = false;            // the run reached its end (stopped or not)
  bool stopped = false;             // a stop request ended it early
};
nlohmann::json to_json(const RunMeta& m);
// Throws std::invalid_argument naming the missing or mistyped field.
RunMeta meta_from_json(const nlohmann::json& j);

}  // namespace lh::lab
