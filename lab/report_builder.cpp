// report_builder.cpp — see report_builder.hpp.
#include "lab/report_builder.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "lab/child_process.hpp"
#include "lab/report.hpp"
#include "lab/trace_report.hpp"
#include "src/atomic_file.hpp"

namespace lh::lab {
namespace {

namespace fs = std::filesystem;

std::string need_text(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read (not a lh-lab run folder?)", p.string()));
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string run_label(const RunRecord& r) {
  return fmt::format("run {} ({} / {} #{})", r.index, r.profile, r.transport, r.repeat + 1);
}

// The time series of the longest successful run (most lh-emu intervals to show), with both
// endpoints' controllers when the run kept qlog files. Empty spec when no run succeeded.
PlotSpec longest_run_plot(const fs::path& dir, const std::vector<RunRecord>& runs) {
  const RunRecord* longest = nullptr;
  for (const RunRecord& r : runs) {
    if (r.ok && (longest == nullptr || r.summary.value("seconds", 0.0) > longest->summary.value("seconds", 0.0))) {
      longest = &r;
    }
  }
  if (longest == nullptr) return {};
  const RunRecord& r = *longest;
  const auto emu = lines_of(read_text(dir / "raw" / fmt::format("emu-{}.jsonl", r.point)));
  std::vector<CcSeries> cc;
  for (const char* side : {"client", "server"}) {
    const std::string q = read_text(dir / "raw" / fmt::format("run-{:03d}-{}.sqlog", r.index, side));
    CcSeries s{.label = side, .points = cc_series_from_qlog(q, r.client_unix_ms)};
    if (!s.points.empty()) cc.push_back(std::move(s));
  }
  return timeseries_plot(timeseries_from_emu(emu, r.emu_t0_s, r.emu_t1_s),
                         fmt::format("{} / {} #{}", r.profile, r.transport, r.repeat + 1), cc);
}

// Writes data + script for each plot and renders it with gnuplot; returns the plots that rendered.
std::vector<PlotSpec> render(const fs::path& dir, const std::vector<PlotSpec>& plots, std::vector<std::string>& notes) {
  std::vector<PlotSpec> done;
  for (const PlotSpec& p : plots) {
    if (p.png.empty()) continue;
    const std::string gp = fs::path(p.png).replace_extension(".gp").string();
    write_file_atomic(dir / p.data, p.data_text);
    write_file_atomic(dir / gp, p.script);
    // gnuplot draws into a temporary PNG (a copy of the script with that output), renamed when whole.
    const std::string out_line = fmt::format("set output \"{}\"", p.png);
    std::string script = p.script;
    const size_t at = script.find(out_line);
    if (at == std::string::npos) {
      notes.push_back(fmt::format("plot {}: its script does not set that output", p.png));
      continue;
    }
    const std::string tmp_png = p.png + ".tmp", tmp_gp = "raw/" + gp + ".render";
    script.replace(at, out_line.size(), fmt::format("set output \"{}\"", tmp_png));
    write_file_atomic(dir / tmp_gp, script);
    const int rc = run_tool({"gnuplot", "-e", fmt::format("cd '{}'", fs::absolute(dir).string()), tmp_gp},
                            dir / "raw" / (gp + ".log"), 60000);
    std::error_code ec;
    if (rc == 0 && fs::exists(dir / tmp_png) && fs::file_size(dir / tmp_png) > 0) {
      fs::rename(dir / tmp_png, dir / p.png);
      done.push_back(p);
    } else {
      notes.push_back(fmt::format("plot {} failed (gnuplot exit {}): {}", p.png, rc,
                                  read_text(dir / "raw" / (gp + ".log.err"))));
    }
    fs::remove(dir / tmp_png, ec);
    fs::remove(dir / tmp_gp, ec);
  }
  return done;
}

}  // namespace

BuiltReport build_report(const fs::path& dir) {
  BuiltReport b;
  const fs::path meta_file = dir / "raw" / "run.json";
  const nlohmann::json meta = nlohmann::json::parse(need_text(meta_file), nullptr, false);
  if (meta.is_discarded()) throw std::runtime_error(fmt::format("{}: not valid JSON", meta_file.string()));
  try {
    b.meta = meta_from_json(meta);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("{}: {}", meta_file.string(), e.what()));
  }
  std::vector<std::string> bad_lines;
  b.runs = records_from_jsonl(need_text(dir / "results.jsonl"), bad_lines);
  for (const std::string& e : bad_lines) b.notes.push_back("skipped " + e);

  std::vector<nlohmann::json> rows;
  for (const RunRecord& r : b.runs) rows.push_back(to_json(r));
  b.cells = aggregate(rows);
  const bool trace = b.meta.workload.rfind("trace:", 0) == 0;
  b.table = trace ? trace_table(rows) : summary_table(b.cells);
  write_file_atomic(dir / "summary.txt", b.table);

  for (const RunRecord& r : b.runs) {
    if (r.ok && !r.complete) {
      b.notes.push_back(fmt::format("{} is incomplete (counted, marked *): {}", run_label(r), r.incomplete));
    }
    if (!r.ok) b.notes.push_back(fmt::format("{} failed: {}", run_label(r), r.error));
  }
  if (!b.meta.finished) {
    b.notes.push_back("the run did not finish (lh-lab was killed or crashed): the report shows the runs recorded until then");
  }
  if (b.meta.stopped) b.notes.push_back("the run was stopped early (SIGINT/SIGTERM/SIGHUP)");

  std::vector<PlotSpec> plots = trace ? std::vector<PlotSpec>{trace_slowdown_plot(rows)}
                                      : std::vector<PlotSpec>{goodput_plot(b.cells), loss_plot(rows, b.cells),
                                                              scatter_plot(rows)};
  plots.push_back(longest_run_plot(dir, b.runs));
  IndexPage page{.run_id = b.meta.run_id, .command_line = b.meta.command_line, .environment = b.meta.environment,
                 .table_html = trace ? trace_html(rows) : summary_html(b.cells), .notes = b.notes};
  page.plots = render(dir, plots, page.notes);
  b.notes = page.notes;
  write_file_atomic(dir / "index.html", index_html(page));
  return b;
}

}  // namespace lh::lab
