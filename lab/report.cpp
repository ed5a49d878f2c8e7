// report.cpp — summary table, HTML and gnuplot scripts; see report.hpp.
#include "lab/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

namespace lh::lab {
namespace {

std::vector<std::string> transports_of(const std::vector<CellStats>& cells) {
  std::vector<std::string> t;
  for (const CellStats& c : cells) {
    if (std::find(t.begin(), t.end(), c.transport) == t.end()) t.push_back(c.transport);
  }
  return t;
}
std::vector<std::string> profiles_of(const std::vector<CellStats>& cells) {
  std::vector<std::string> p;
  for (const CellStats& c : cells) {
    if (std::find(p.begin(), p.end(), c.profile) == p.end()) p.push_back(c.profile);
  }
  return p;
}

// gnuplot string literal: double quotes with backslash escapes.
std::string gq(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

constexpr const char* kTerminal = "set terminal pngcairo size 1000,600 noenhanced font \"sans,10\"\n";

double num(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Footnote markers: "*" goodput of a cell with runs the duration limit stopped; "†" RTT p99 in
// place of a p95 the tool did not report.
constexpr const char* kIncompleteNote =
    "* incomplete: some runs hit --duration-limit; their goodput is the bytes delivered / the time taken, "
    "and completion time covers the complete runs only (\"-\": none completed)";
constexpr const char* kFallbackNote = "† RTT p99: the tool reported no p95";
constexpr const char* kNoisyNote =
    "! spread (max/min goodput over the repeats) above 1.25: the runs disagree more than the cells may differ — "
    "read such a cell as noise, or run more repeats or longer transfers";

bool is_noisy(const CellStats& c) { return c.ok >= 2 && c.goodput_bps.max > kNoisySpread * c.goodput_bps.min; }

std::string spread_text(const CellStats& c) {
  if (c.ok < 2 || c.goodput_bps.min <= 0) return "-";
  return fmt::format("{:.2f}{}", c.goodput_bps.max / c.goodput_bps.min, is_noisy(c) ? "!" : "");
}

std::string goodput_text(const CellStats& c) {
  return fmt::format("{:.1f}{}", c.goodput_bps.median / 1e6, c.incomplete > 0 ? "*" : "");
}
std::string rtt_text(const CellStats& c) {
  return fmt::format("{:.2f}{}", c.rtt_p95_us / 1e3, c.rtt_p95_from_p99 ? "†" : "");
}
std::string completion_text(const CellStats& c) {
  return c.seconds.n == 0 ? std::string("-") : fmt::format("{:.2f}", c.seconds.median);
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<TimePoint> timeseries_from_emu(const std::vector<std::string>& lines, double t0_s, double t1_s) {
  std::vector<TimePoint> out;
  for (const std::string& line : lines) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("type", "") != "interval") continue;
    const double t = num(j, "t_s");
    if (t < t0_s || t > t1_s || !j.contains("directions")) continue;
    const nlohmann::json& d = j["directions"];
    TimePoint p{.t_s = t - t0_s};
    if (d.contains("a_to_b")) p.mbit = num(d["a_to_b"], "tx_bps") / 1e6;
    for (const char* dir : {"a_to_b", "b_to_a"}) {
      if (d.contains(dir) && d[dir].contains("added_delay_ns")) p.added_ms += num(d[dir]["added_delay_ns"], "p50") / 1e6;
    }
    out.push_back(p);
  }
  return out;
}

std::vector<CcPoint> cc_series_from_qlog(const std::string& text, double origin_unix_ms) {
  std::optional<double> reference;
  std::map<std::string, std::vector<CcPoint>> groups;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\x1e', pos + 1);
    if (end == std::string::npos) end = text.size();
    const size_t from = text[pos] == '\x1e' ? pos + 1 : pos;  // RFC 7464: RS, JSON, LF
    const nlohmann::json j = nlohmann::json::parse(text.substr(from, end - from), nullptr, false);
    pos = end;
    if (j.is_discarded() || !j.is_object()) continue;
    if (j.contains("qlog_format")) {
      const nlohmann::json* cf = j.contains("trace") ? &j["trace"] : nullptr;
      if (cf && cf->contains("common_fields")) reference = num((*cf)["common_fields"], "reference_time");
      continue;
    }
    if (!reference || j.value("name", "") != "recovery:metrics_updated" || !j.contains("data")) continue;
    const nlohmann::json& d = j["data"];
    groups[j.value("group_id", "")].push_back(CcPoint{.t_s = (*reference + num(j, "time") - origin_unix_ms) / 1e3,
                                                      .pacing_mbit = num(d, "pacing_rate") / 1e6,
                                                      .bw_mbit = num(d, "bandwidth_estimate") / 1e6,
                                                      .srtt_ms = num(d, "smoothed_rtt")});
  }
  std::vector<CcPoint> best;
  for (auto& [group, pts] : groups) {
    if (pts.size() > best.size()) best = std::move(pts);
  }
  return best;
}

std::string summary_table(const std::vector<CellStats>& cells) {
  size_t wp = 7, wt = 9;
  for (const CellStats& c : cells) wp = std::max(wp, c.profile.size()), wt = std::max(wt, c.transport.size());
  std::string s = fmt::format("{:<{}}  {:<{}}  {:>4}  {:>14}  {:>19}  {:>7}  {:>9}  {:>12}  {:>12}\n", "profile", wp,
                              "transport", wt, "runs", "goodput Mbit/s", "min-max Mbit/s", "spread", "retransm.",
                              "RTT p95 ms", "completion s");
  size_t incomplete = 0;
  bool fallback = false, noisy = false;
  for (const CellStats& c : cells) {
    const std::string runs = c.failed ? fmt::format("{}/{}", c.ok, c.ok + c.failed) : fmt::format("{}", c.ok);
    if (c.ok == 0) {
      s += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>14}\n", c.profile, wp, c.transport, wt, runs, "all runs failed");
      continue;
    }
    incomplete += c.incomplete;
    fallback = fallback || c.rtt_p95_from_p99;
    noisy = noisy || is_noisy(c);
    s += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>14}  {:>19}  {:>7}  {:>9.0f}  {:>12}  {:>12}\n", c.profile, wp, c.transport,
                     wt, runs, goodput_text(c), fmt::format("{:.1f}-{:.1f}", c.goodput_bps.min / 1e6, c.goodput_bps.max / 1e6),
                     spread_text(c), c.retransmits, rtt_text(c), completion_text(c));
  }
  if (incomplete > 0) s += fmt::format("{}\n", kIncompleteNote);
  if (noisy) s += fmt::format("{}\n", kNoisyNote);
  if (fallback) s += fmt::format("{}\n", kFallbackNote);
  return s;
}

std::string summary_html(const std::vector<CellStats>& cells) {
  std::string s =
      "<table>\n<tr><th>profile</th><th>transport</th><th>runs ok</th><th>goodput Mbit/s (median)</th>"
      "<th>min–max Mbit/s</th><th>spread (max/min)</th><th>retransmits</th><th>RTT p95 ms</th><th>completion s</th></tr>\n";
  size_t incomplete = 0;
  bool fallback = false, noisy = false;
  for (const CellStats& c : cells) {
    s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}/{}</td>", html_escape(c.profile), html_escape(c.transport), c.ok,
                     c.ok + c.failed);
    if (c.ok == 0) {
      s += "<td colspan=\"6\">all runs failed</td></tr>\n";
      continue;
    }
    incomplete += c.incomplete;
    fallback = fallback || c.rtt_p95_from_p99;
    noisy = noisy || is_noisy(c);
    s += fmt::format("<td>{}</td><td>{:.1f}–{:.1f}</td><td>{}</td><td>{:.0f}</td><td>{}</td><td>{}</td></tr>\n",
                     html_escape(goodput_text(c)), c.goodput_bps.min / 1e6, c.goodput_bps.max / 1e6,
                     html_escape(spread_text(c)), c.retransmits, html_escape(rtt_text(c)),
                     html_escape(completion_text(c)));
  }
  s += "</table>\n";
  if (incomplete > 0) s += "<p>" + html_escape(kIncompleteNote) + "</p>\n";
  if (noisy) s += "<p>" + html_escape(kNoisyNote) + "</p>\n";
  if (fallback) s += "<p>" + html_escape(kFallbackNote) + "</p>\n";
  return s;
}

PlotSpec goodput_plot(const std::vector<CellStats>& cells) {
  PlotSpec p{.png = "goodput.png", .title = "Goodput per transport per profile", .data = "goodput.dat"};
  const auto transports = transports_of(cells);
  const auto profiles = profiles_of(cells);
  const double nt = static_cast<double>(transports.size());
  for (size_t t = 0; t < transports.size(); ++t) {
    p.data_text += fmt::format("# {}\n# x median_mbit min_mbit max_mbit\n", transports[t]);
    for (const CellStats& c : cells) {
      if (c.transport != transports[t] || c.ok == 0) continue;
      const size_t pi = static_cast<size_t>(std::find(profiles.begin(), profiles.end(), c.profile) - profiles.begin());
      const double x = static_cast<double>(pi) - 0.35 + 0.7 * (static_cast<double>(t) + 0.5) / nt;
      p.data_text += fmt::format("{:.4f} {:.3f} {:.3f} {:.3f}\n", x, c.goodput_bps.median / 1e6,
                                 c.goodput_bps.min / 1e6, c.goodput_bps.max / 1e6);
    }
    p.data_text += "\n\n";
  }
  std::string xtics;
  for (size_t i = 0; i < profiles.size(); ++i) xtics += fmt::format("{}{} {}", i ? ", " : "", gq(profiles[i]), i);
  p.script = std::string(kTerminal) + fmt::format("set output {}\nset title {}\n", gq(p.png), gq(p.title)) +
             "set ylabel \"goodput (Mbit/s)\"\nset yrange [0:*]\nset grid ytics\nset key outside right\n" +
             fmt::format("set xrange [-0.6:{}]\nset xtics ({}) rotate by -15\n", static_cast<double>(profiles.size()) - 0.4, xtics) +
             "set style fill solid 0.5\nset boxwidth " + fmt::format("{:.3f}\n", 0.7 / std::max(nt, 1.0)) + "plot ";
  for (size_t t = 0; t < transports.size(); ++t) {
    p.script += fmt::format("{}{} index {} using 1:2 with boxes lc {} notitle, {} index {} using 1:2:3:4 with yerrorbars lc {} pt 7 title {}",
                            t ? ", \\\n     " : "", gq(p.data), t, t + 1, gq(p.data), t, t + 1, gq(transports[t]));
  }
  p.script += "\n";
  return p;
}

PlotSpec loss_plot(const std::vector<nlohmann::json>& rows, const std::vector<CellStats>& cells) {
  struct LossPoint {
    double loss = 0;
    std::string model;   // "bernoulli" or "gilbert-elliott"
    double burst = 0;
  };
  std::map<std::string, LossPoint> loss_of;   // profile label → its sweep loss
  double min_nonzero = 1;
  for (const nlohmann::json& r : rows) {
    if (!r.contains("sweep_loss") || !r["sweep_loss"].is_number()) continue;
    const double l = r["sweep_loss"].get<double>();
    loss_of[r["profile"].get<std::string>()] = {l, r.value("sweep_loss_model", std::string("bernoulli")), num(r, "ge_burst")};
    if (l > 0) min_nonzero = std::min(min_nonzero, l);
  }
  if (loss_of.empty()) return {};
  const double zero_at = min_nonzero / 10;
  PlotSpec p{.png = "loss.png",
             .title = "Goodput vs mean loss rate (Bernoulli; dashed: bursty Gilbert-Elliott; both directions)",
             .data = "loss.dat"};
  // One series per transport, loss model and rest-of-label (other sweep axes, e.g. delay).
  std::vector<std::string> series;
  std::map<std::string, std::vector<std::pair<double, std::string>>> lines;   // by loss, drawn in that order
  for (const CellStats& c : cells) {
    const auto it = loss_of.find(c.profile);
    if (it == loss_of.end() || c.ok == 0) continue;
    std::string rest;
    for (size_t at = 0; at <= c.profile.size();) {   // the label without its loss tokens
      const size_t end = std::min(c.profile.find(' ', at), c.profile.size());
      const std::string token = c.profile.substr(at, end - at);
      if (!token.starts_with("loss=") && !token.starts_with("ge-loss=") && !token.starts_with("burst=")) {
        rest += (rest.empty() ? "" : " ") + token;
      }
      at = end + 1;
    }
    const LossPoint& lp = it->second;
    const std::string model = lp.model == "gilbert-elliott" && lp.loss > 0 ? fmt::format(" GE burst {:g}", lp.burst) : "";
    // The no-loss point belongs to every model's curve.
    std::vector<std::string> keys;
    if (lp.loss > 0) {
      keys.push_back(c.transport + model + " " + rest);
    } else {
      for (const auto& [label, other] : loss_of) {
        if (other.loss <= 0) continue;
        const std::string m = other.model == "gilbert-elliott" ? fmt::format(" GE burst {:g}", other.burst) : "";
        const std::string k = c.transport + m + " " + rest;
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
      }
      if (keys.empty()) keys.push_back(c.transport + " " + rest);
    }
    const double x = lp.loss > 0 ? lp.loss : zero_at;
    for (const std::string& key : keys) {
      if (!lines.count(key)) series.push_back(key);
      lines[key].emplace_back(x, fmt::format("{:.3e} {:.3f} {:.3f} {:.3f}{}\n", x, c.goodput_bps.median / 1e6,
                                             c.goodput_bps.min / 1e6, c.goodput_bps.max / 1e6,
                                             c.incomplete > 0 ? " # incomplete" : ""));
    }
  }
  p.script = std::string(kTerminal) + fmt::format("set output {}\nset title {}\n", gq(p.png), gq(p.title)) +
             "set logscale x\nset format x \"%.0e\"\nset xlabel \"mean loss probability (\\\"0\\\" = no loss)\"\nset ylabel \"goodput (Mbit/s)\"\n"
             "set yrange [0:*]\nset grid\nset key outside right\n" +
             fmt::format("set xtics add (\"0\" {:.3e})\nplot ", zero_at);
  for (size_t i = 0; i < series.size(); ++i) {
    auto& pts = lines[series[i]];
    std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string text;
    for (const auto& pt : pts) text += pt.second;
    p.data_text += fmt::format("# {}\n{}\n\n", series[i], text);
    const bool ge = series[i].find(" GE burst ") != std::string::npos;
    p.script += fmt::format("{}{} index {} using 1:2:3:4 with yerrorlines pt 7{} title {}", i ? ", \\\n     " : "",
                            gq(p.data), i, ge ? " dt 2" : "", gq(series[i]));
  }
  p.script += "\n";
  return p;
}

PlotSpec timeseries_plot(const std::vector<TimePoint>& points, const std::string& run_label,
                         const std::vector<CcSeries>& cc) {
  PlotSpec p{.png = "timeseries.png", .title = "Throughput and delay over time: " + run_label,
             .data = "timeseries.dat"};
  p.data_text = "# t_s a_to_b_mbit added_delay_ms (lh-emu interval stats)\n";
  for (const TimePoint& t : points) p.data_text += fmt::format("{:.3f} {:.3f} {:.4f}\n", t.t_s, t.mbit, t.added_ms);
  // Index 1.. : each endpoint's controller (qlog): t_s pacing_mbit bw_mbit srtt_ms.
  std::string cc_lines;
  for (size_t i = 0; i < cc.size(); ++i) {
    p.data_text += fmt::format("\n\n# {}: t_s pacing_mbit bandwidth_estimate_mbit srtt_ms (qlog)\n", cc[i].label);
    for (const CcPoint& c : cc[i].points) {
      if (c.t_s >= 0) p.data_text += fmt::format("{:.4f} {:.3f} {:.3f} {:.3f}\n", c.t_s, c.pacing_mbit, c.bw_mbit, c.srtt_ms);
    }
    cc_lines += fmt::format(", \\\n     {} index {} using 1:2 with steps lw 1 title {}, \\\n"
                            "     {} index {} using 1:3 with steps dt 2 title {}, \\\n"
                            "     {} index {} using 1:4 axes x1y2 with steps dt 3 title {}",
                            gq(p.data), i + 1, gq(cc[i].label + " pacing rate"), gq(p.data), i + 1,
                            gq(cc[i].label + " bandwidth estimate"), gq(p.data), i + 1, gq(cc[i].label + " srtt"));
  }
  p.script = std::string(kTerminal) + fmt::format("set output {}\nset title {}\n", gq(p.png), gq(p.title)) +
             "set xlabel \"time since the transfer started (s)\"\nset ylabel \"bottleneck throughput a->b (Mbit/s)\"\n"
             "set y2label \"delay through lh-emu a->b + b->a, interval medians (ms)\"\nset ytics nomirror\nset y2tics\n"
             "set yrange [0:*]\nset y2range [0:*]\nset grid\nset key top left\n" +
             fmt::format("plot {} index 0 using 1:2 with linespoints pt 7 ps 0.5 title \"throughput\", \\\n"
                         "     {} index 0 using 1:3 axes x1y2 with linespoints pt 5 ps 0.5 title \"delay through lh-emu (RTT)\"{}\n",
                         gq(p.data), gq(p.data), cc_lines);
  return p;
}

PlotSpec scatter_plot(const std::vector<nlohmann::json>& rows) {
  PlotSpec p{.png = "scatter.png", .title = "Throughput vs p95 RTT, every run (Pantheon-style: better is up and right)",
             .data = "scatter.dat"};
  std::vector<std::string> transports;
  std::map<std::string, std::string> lines;
  for (const nlohmann::json& r : rows) {
    if (!r.value("ok", false)) continue;
    const std::string t = r["transport"].get<std::string>();
    const nlohmann::json& s = r["summary"];
    if (!s.contains("rtt_us") || !s["rtt_us"].is_object()) continue;
    const nlohmann::json& rtt = s["rtt_us"];
    if (!rtt.contains("p95") && !rtt.contains("p99")) continue;
    if (!lines.count(t)) transports.push_back(t);
    lines[t] += fmt::format("{:.3f} {:.3f} # {}{}{}\n", num(rtt, rtt.contains("p95") ? "p95" : "p99") / 1e3,
                            num(s, "bits_per_second") / 1e6, r["profile"].get<std::string>(),
                            rtt.contains("p95") ? "" : " (p99: no p95 reported)",
                            r.value("complete", true) ? "" : " (incomplete)");
  }
  p.script = std::string(kTerminal) + fmt::format("set output {}\nset title {}\n", gq(p.png), gq(p.title)) +
             "set xlabel \"p95 RTT seen by the transport (ms; TCP: smoothed tcpi_rtt samples)\"\nset ylabel \"goodput (Mbit/s)\"\n"
             "set xrange [*:*] reverse\nset yrange [0:*]\nset grid\nset key outside right\nplot ";
  for (size_t i = 0; i < transports.size(); ++i) {
    p.data_text += fmt::format("# {}\n{}\n\n", transports[i], lines[transports[i]]);
    p.script += fmt::format("{}{} index {} using 1:2 with points pt 7 ps 1.5 title {}", i ? ", \\\n     " : "",
                            gq(p.data), i, gq(transports[i]));
  }
  if (transports.empty()) p.script += "NaN notitle";
  p.script += "\n";
  return p;
}

std::string index_html(const IndexPage& page) {
  std::string s = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>lh-lab {0}</title>\n"
      "<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}"
      "td,th{{border:1px solid #999;padding:3px 8px;text-align:right}}img{{max-width:100%}}</style></head>\n"
      "<body>\n<h1>lh-lab run {0}</h1>\n<h2>Summary</h2>\n{1}",
      html_escape(page.run_id), page.table_html);
  for (const std::string& n : page.notes) s += "<p>" + html_escape(n) + "</p>\n";
  s += "<p>Raw results: <a href=\"results.jsonl\">results.jsonl</a>, table: <a href=\"summary.txt\">summary.txt</a></p>\n";
  for (const PlotSpec& p : page.plots) {
    s += fmt::format("<h2>{}</h2>\n<p><a href=\"{}\"><img src=\"{}\" alt=\"{}\"></a></p>\n", html_escape(p.title),
                     html_escape(p.png), html_escape(p.png), html_escape(p.title));
  }
  s += "<h2>Command line</h2>\n<pre>" + html_escape(page.command_line) + "</pre>\n<h2>Environment</h2>\n<table>\n";
  for (const auto& [k, v] : page.environment) {
    s += fmt::format("<tr><th>{}</th><td style=\"text-align:left\">{}</td></tr>\n", html_escape(k), html_escape(v));
  }
  return s + "</table>\n</body></html>\n";
}

}  // namespace lh::lab
