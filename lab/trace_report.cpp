// trace_report.cpp — see trace_report.hpp.
#include "lab/trace_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lab/cell_stats.hpp"

namespace lh::lab {
namespace {

constexpr const char* kIncompleteNote = "* some runs were stopped by the duration limit: their figures cover the steps "
                                        "that ended";

struct TraceCell {
  std::string profile, transport;
  size_t ok = 0, failed = 0, incomplete = 0;
  std::vector<double> step_ms, comm_ms, exposed_ms, slowdown;
  std::vector<std::vector<double>> per_step;   // [step] → slowdown of each ok run
};

double num(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

std::vector<TraceCell> cells_of(const std::vector<nlohmann::json>& rows) {
  std::vector<TraceCell> out;
  for (const nlohmann::json& r : rows) {
    const std::string profile = r.value("profile", ""), transport = r.value("transport", "");
    auto it = std::find_if(out.begin(), out.end(), [&](const TraceCell& c) {
      return c.profile == profile && c.transport == transport;
    });
    if (it == out.end()) {
      out.push_back({.profile = profile, .transport = transport});
      it = out.end() - 1;
    }
    if (!r.value("ok", false) || !r.contains("replay")) {
      ++it->failed;
      continue;
    }
    ++it->ok;
    if (!r.value("complete", true)) ++it->incomplete;
    for (auto [key, v] : {std::pair{"mean_step_ms", &it->step_ms}, {"mean_comm_ms", &it->comm_ms},
                          {"mean_exposed_ms", &it->exposed_ms}, {"slowdown", &it->slowdown}}) {
      if (const double x = num(r, key); std::isfinite(x)) v->push_back(x);
    }
    const nlohmann::json& s = r["replay"]["slowdown"];
    if (it->per_step.size() < s.size()) it->per_step.resize(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i].is_number()) it->per_step[i].push_back(s[i].get<double>());
    }
  }
  return out;
}

std::string median_text(const std::vector<double>& v, const char* format) {
  return v.empty() ? std::string("-") : fmt::format(fmt::runtime(format), spread_of(v).median);
}

std::string gnuplot_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string trace_table(const std::vector<nlohmann::json>& rows) {
  const std::vector<TraceCell> cells = cells_of(rows);
  size_t wp = 7, wt = 9;
  for (const TraceCell& c : cells) wp = std::max(wp, c.profile.size()), wt = std::max(wt, c.transport.size());
  std::string s = fmt::format("{:<{}}  {:<{}}  {:>7}  {:>13}  {:>13}  {:>15}  {:>9}\n", "profile", wp, "transport", wt,
                              "runs ok", "step ms (med)", "comm ms (med)", "exposed ms (med)", "slowdown");
  bool star = false;
  for (const TraceCell& c : cells) {
    const std::string mark = c.incomplete > 0 ? "*" : "";
    star = star || c.incomplete > 0;
    s += fmt::format("{:<{}}  {:<{}}  {:>7}  {:>13}  {:>13}  {:>15}  {:>9}\n", c.profile, wp, c.transport, wt,
                     fmt::format("{}/{}", c.ok, c.ok + c.failed), median_text(c.step_ms, "{:.1f}") + mark,
                     median_text(c.comm_ms, "{:.1f}"), median_text(c.exposed_ms, "{:.1f}"),
                     median_text(c.slowdown, "{:.3f}"));
  }
  if (star) s += std::string(kIncompleteNote) + "\n";
  return s;
}

std::string trace_html(const std::vector<nlohmann::json>& rows) {
  std::string s = "<h2>Trace replay</h2>\n<table>\n<tr><th>profile</th><th>transport</th><th>runs ok</th>"
                  "<th>mean step ms (median)</th><th>mean comm ms</th><th>mean exposed ms</th>"
                  "<th>slowdown vs ideal network</th></tr>\n";
  bool star = false;
  for (const TraceCell& c : cells_of(rows)) {
    star = star || c.incomplete > 0;
    s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}/{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     html_escape(c.profile), html_escape(c.transport), c.ok, c.ok + c.failed,
                     median_text(c.step_ms, "{:.1f}"), c.incomplete > 0 ? "*" : "", median_text(c.comm_ms, "{:.1f}"),
                     median_text(c.exposed_ms, "{:.1f}"), median_text(c.slowdown, "{:.3f}"));
  }
  s += "</table>\n";
  if (star) s += "<p>" + html_escape(kIncompleteNote) + "</p>\n";
  return s;
}

PlotSpec trace_slowdown_plot(const std::vector<nlohmann::json>& rows) {
  PlotSpec p{.png = "trace_slowdown.png", .title = "Per-step slowdown against an ideal network",
             .data = "trace_slowdown.dat"};
  std::vector<std::string> titles;
  size_t steps = 0;
  for (const TraceCell& c : cells_of(rows)) {
    steps = std::max(steps, c.per_step.size());
    std::string block;
    for (size_t i = 0; i < c.per_step.size(); ++i) {
      if (!c.per_step[i].empty()) block += fmt::format("{} {:.4f}\n", i, spread_of(c.per_step[i]).median);
    }
    if (block.empty()) continue;
    p.data_text += fmt::format("# {} / {}\n# step median_slowdown\n{}\n\n", c.profile, c.transport, block);
    titles.push_back(c.profile + " / " + c.transport);
  }
  if (titles.empty()) return {};
  p.script = fmt::format("set terminal pngcairo size 1000,600 noenhanced font \"sans,10\"\nset output {}\nset title {}\n",
                         gnuplot_quote(p.png), gnuplot_quote(p.title)) +
             "set xlabel \"training step\"\nset ylabel \"step time / compute time\"\nset yrange [0:*]\n"
             "set grid ytics\nset key outside right\n" + std::string(steps <= 20 ? "set xtics 1\n" : "") +
             fmt::format("set xrange [-0.5:{}]\nplot ", static_cast<double>(steps) - 0.5);
  for (size_t i = 0; i < titles.size(); ++i) {
    p.script += fmt::format("{}{} index {} using 1:2 with linespoints pt 7 lc {} title {}", i ? ", \\\n     " : "",
                            gnuplot_quote(p.data), i, i + 1, gnuplot_quote(titles[i]));
  }
  p.script += "\n";
  return p;
}

}  // namespace lh::lab
