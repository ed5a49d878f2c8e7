// report.hpp — what a lab run writes for people: the summary table (text and HTML), gnuplot scripts
// with their data, and index.html tying them together.
//
// Plots (PNG, rendered by the gnuplot binary from the scripts generated here; we never draw ourselves):
//   goodput.png     median goodput per transport per profile, error bars min..max of the repeats
//   loss.png        goodput vs mean loss rate (only for a loss / ge-loss sweep), one curve per transport
//                   and loss model, log x axis, loss 0 drawn at the left (on every model's curve)
//   timeseries.png  the longest run: bottleneck throughput (lh-emu a_to_b bytes out per interval) and the
//                   delay lh-emu applied in both directions (queue + propagation + jitter; the sum of the
//                   two interval medians ≈ the RTT of the path, minus the hosts' own few µs)
//   scatter.png     Pantheon-style: goodput vs p95 RTT of every run, delay axis reversed (better is up
//                   and right); a run whose tool reported no p95 is drawn at its p99. lh-xfer's RTT
//                   samples are per ACK; lh-xfer --transport tcp's are the kernel's smoothed tcpi_rtt every 10 ms
// The table and loss plot mark cells with runs stopped by the duration limit ("*": goodput counted
// from the bytes delivered; completion time from the complete runs only).
// Units in data files: Mbit/s, ms, seconds. Pure code (strings); unit-tested.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/cell_stats.hpp"

namespace lh::lab {

struct PlotSpec {
  std::string png;      // "goodput.png"
  std::string title;
  std::string data;     // "goodput.dat"
  std::string data_text;
  std::string script;   // gnuplot script; reads `data`, writes `png` (relative to the results dir)
};

struct TimePoint {
  double t_s = 0;          // since the run started
  double mbit = 0;         // a_to_b bytes out in the interval, Mbit/s
  double added_ms = 0;     // a_to_b + b_to_a interval medians of the delay lh-emu applied
};

// lh-emu "interval" JSON lines within [t0_s, t1_s] of emulator uptime; bad lines are skipped.
std::vector<TimePoint> timeseries_from_emu(const std::vector<std::string>& lines, double t0_s, double t1_s);

// A longhaul endpoint's congestion controller over time (its --qlog file).
struct CcPoint {
  double t_s = 0;          // since `origin_unix_ms`
  double pacing_mbit = 0, bw_mbit = 0, srtt_ms = 0;
};
// The busiest connection's recovery:metrics_updated events of a qlog JSON-SEQ text (the data
// connection: the one with the most records), on a time axis starting at `origin_unix_ms` (the
// header's reference_time is the tool's start). Unparsable records are skipped; no header: empty.
std::vector<CcPoint> cc_series_from_qlog(const std::string& text, double origin_unix_ms);
struct CcSeries {
  std::string label;       // "client", "server"
  std::vector<CcPoint> points;
};

// Above this max/min goodput over a cell's repeats, the table marks the cell "!" (noise, not a result).
inline constexpr double kNoisySpread = 1.25;

// One line per cell: runs, median goodput, min-max, spread (max/min, "!" above kNoisySpread),
// retransmits, RTT p95, completion time.
std::string summary_table(const std::vector<CellStats>& cells);
std::string summary_html(const std::vector<CellStats>& cells);

PlotSpec goodput_plot(const std::vector<CellStats>& cells);
// Returns an empty spec (png == "") when no row has a sweep loss.
PlotSpec loss_plot(const std::vector<nlohmann::json>& rows, const std::vector<CellStats>& cells);
// lh-emu's throughput and delay, and each endpoint's pacing rate, bandwidth estimate and smoothed
// RTT beside them (`cc` may be empty: TCP runs have no qlog).
PlotSpec timeseries_plot(const std::vector<TimePoint>& points, const std::string& run_label,
                         const std::vector<CcSeries>& cc = {});
PlotSpec scatter_plot(const std::vector<nlohmann::json>& rows);

struct IndexPage {
  std::string run_id;
  std::string command_line;
  std::vector<std::pair<std::string, std::string>> environment;   // key, value
  std::string table_html;
  std::vector<PlotSpec> plots;                                     // only those rendered
  std::vector<std::string> notes;                                  // e.g. failed runs
};
std::string index_html(const IndexPage& page);
std::string html_escape(std::string_view s);

}  // namespace lh::lab
