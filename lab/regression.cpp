// regression.cpp — baseline files and the comparison against them; see regression.hpp.
#include "lab/regression.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace lh::lab {
namespace {

std::string fmt_metric(const std::string& metric, double v) {
  if (std::isinf(v)) return "incomplete";
  return metric == "goodput" ? fmt::format("{:.1f} Mbit/s", v / 1e6) : fmt::format("{:.3f} s", v);
}

}  // namespace

nlohmann::json make_baseline(const nlohmann::json& matrix, const std::vector<CellStats>& cells,
                             const nlohmann::json& metadata) {
  nlohmann::json j{{"lh_lab_baseline", 1}, {"metadata", metadata}, {"matrix", matrix}, {"cells", nlohmann::json::array()}};
  for (const CellStats& c : cells) {
    j["cells"].push_back({{"profile", c.profile}, {"transport", c.transport}, {"ok", c.ok}, {"failed", c.failed},
                          {"incomplete", c.incomplete},
                          {"goodput_bps", to_json(c.goodput_bps)}, {"seconds", to_json(c.seconds)}});
  }
  return j;
}

std::vector<Verdict> compare(const nlohmann::json& baseline, const std::vector<CellStats>& now, double tolerance) {
  if (!baseline.is_object() || baseline.value("lh_lab_baseline", 0) != 1 || !baseline.contains("cells")) {
    throw std::invalid_argument("not an lh-lab baseline (expected {\"lh_lab_baseline\": 1, \"cells\": [...]})");
  }
  if (tolerance < 0 || tolerance > 10) throw std::invalid_argument(fmt::format("tolerance {} out of range 0..10", tolerance));
  std::vector<Verdict> out;
  for (const nlohmann::json& b : baseline.at("cells")) {
    std::string profile, transport;
    Spread goodput, seconds;
    size_t incomplete = 0;
    try {
      incomplete = b.value("incomplete", size_t{0});   // absent in baselines from before incomplete runs
      profile = b.at("profile").get<std::string>();
      transport = b.at("transport").get<std::string>();
      goodput = spread_from_json(b.at("goodput_bps"));
      seconds = spread_from_json(b.at("seconds"));
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(fmt::format("baseline cell {}: {}", b.dump(), e.what()));
    }
    const auto it = std::find_if(now.begin(), now.end(), [&](const CellStats& c) {
      return c.profile == profile && c.transport == transport && c.ok > 0;
    });
    const bool missing = it == now.end();
    const std::string cell = profile + " / " + transport;
    Verdict g{.cell = cell, .metric = "goodput", .baseline = goodput.median,
              .now = missing ? 0 : it->goodput_bps.median,
              .allowed_lo = goodput.min * (1 - tolerance), .allowed_hi = std::numeric_limits<double>::infinity(),
              .missing = missing};
    g.worse = missing || g.now < g.allowed_lo;
    // Completion: incomplete runs count as +infinity in the median, so a cell whose runs now mostly hit
    // the duration limit is worse. When the baseline itself had incomplete runs (or none complete),
    // its completion band means nothing; goodput alone judges the cell.
    const bool comparable = incomplete == 0 && seconds.n > 0;
    Verdict t{.cell = cell, .metric = "completion", .baseline = seconds.median,
              .now = missing ? 0 : it->completion_median_s, .allowed_lo = 0,
              .allowed_hi = comparable ? seconds.max * (1 + tolerance) : std::numeric_limits<double>::infinity(),
              .missing = missing, .not_compared = !comparable};
    t.worse = missing || (comparable && t.now > t.allowed_hi);
    for (Verdict* v : {&g, &t}) {
      v->change = v->baseline > 0 && std::isfinite(v->now) ? (v->now - v->baseline) / v->baseline : 0;
    }
    out.push_back(g);
    out.push_back(t);
  }
  return out;
}

bool any_worse(const std::vector<Verdict>& v) {
  return std::any_of(v.begin(), v.end(), [](const Verdict& x) { return x.worse; });
}

std::string verdict_table(const std::vector<Verdict>& v) {
  size_t w = 4;
  for (const Verdict& x : v) w = std::max(w, x.cell.size());
  std::string s = fmt::format("{:<{}}  {:<10}  {:>15}  {:>15}  {:>8}  {:>22}  {}\n", "cell", w, "metric", "baseline",
                              "now", "change", "allowed", "verdict");
  for (const Verdict& x : v) {
    const std::string band = x.not_compared        ? "n/a"
                             : x.metric == "goodput" ? "≥ " + fmt_metric(x.metric, x.allowed_lo)
                                                     : "≤ " + fmt_metric(x.metric, x.allowed_hi);
    const std::string verdict = x.missing        ? "MISSING (no successful run)"
                                : x.worse        ? (std::isinf(x.now) ? "WORSE (incomplete: duration limit)" : "WORSE")
                                : x.not_compared ? "ok (not compared: baseline runs incomplete)"
                                                 : "ok";
    const std::string base = x.not_compared && x.metric == "completion" ? "incomplete" : fmt_metric(x.metric, x.baseline);
    const std::string change = std::isfinite(x.now) && !x.missing ? fmt::format("{:+.1f}%", x.change * 100) : "-";
    s += fmt::format("{:<{}}  {:<10}  {:>15}  {:>15}  {:>8}  {:>22}  {}\n", x.cell, w, x.metric, base,
                     x.missing ? "-" : fmt_metric(x.metric, x.now), change, band, verdict);
  }
  return s;
}

}  // namespace lh::lab
