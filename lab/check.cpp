// check.cpp — see check.hpp.
#include "lab/check.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace lh::lab {
namespace {

constexpr double kMss = 1448;   // bytes: 1500 MTU - 20 IP - 20 TCP - 12 timestamps

// (loss model, p, transport) -> the measured runs' goodput (bit/s) and whether each completed.
struct Cells {
  std::map<std::tuple<std::string, double, std::string>, std::vector<std::pair<double, bool>>> runs;
  double rate_bps = 0, rtt_s = 0;
  bool any = false, any_incomplete = false;
};

Cells cells_of(const std::vector<RunRecord>& records) {
  Cells c;
  for (const RunRecord& r : records) {
    if (!r.ok || !r.sweep_loss || !r.summary.is_object()) continue;
    const double p = *r.sweep_loss;
    const std::string model = p == 0 ? "none" : (r.sweep_loss_model.empty() ? "bernoulli" : r.sweep_loss_model);
    c.runs[{model, p, r.transport}].emplace_back(r.summary.value("bits_per_second", 0.0), r.complete);
    c.rate_bps = static_cast<double>(r.rate_bps), c.rtt_s = r.rtt_ms / 1e3;
    c.any = true;
    c.any_incomplete |= !r.complete;
  }
  return c;
}

struct Goodput {
  std::optional<double> bps;
  std::string star;   // "*" when some run was incomplete
};

// The median (or the minimum, `worst`) over the cell's runs.
Goodput goodput(const Cells& c, const std::string& model, double p, const std::string& t, bool worst = false) {
  const auto it = c.runs.find({model, p, t});
  if (it == c.runs.end() || it->second.empty()) return {};
  std::vector<double> v;
  bool all_complete = true;
  for (const auto& [bps, complete] : it->second) v.push_back(bps), all_complete &= complete;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double m = worst ? v.front() : (n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
  return {m, all_complete ? "" : "*"};
}

std::string mbit(const Goodput& g) { return g.bps ? fmt::format("{:.1f}{} Mbit/s", *g.bps / 1e6, g.star) : "missing"; }

std::string label(const std::string& model, double p) {
  return model == "gilbert-elliott" ? fmt::format("GE p={:g}", p) : fmt::format("p={:g}", p);
}

class Verdicts {
 public:
  explicit Verdicts(CheckReport& out) : out_(out) {}
  // ok = nullopt: a cell it needs has no measured run.
  void add(const std::string& name, std::optional<bool> ok, const std::string& text) {
    if (!ok) {
      out_.lines.push_back(fmt::format("FAIL  {}: {} (no measured run)", name, text));
      ++out_.failures;
      return;
    }
    out_.lines.push_back(fmt::format("{}  {}: {}", *ok ? "PASS" : "FAIL", name, text));
    out_.failures += *ok ? 0 : 1;
  }

 private:
  CheckReport& out_;
};

// The sweep's points, Bernoulli (and loss-free) first, each by increasing p.
std::vector<std::pair<std::string, double>> points_of(const Cells& c) {
  std::vector<std::pair<std::string, double>> pts;
  for (const auto& [key, runs] : c.runs) {
    const std::pair<std::string, double> pt{std::get<0>(key), std::get<1>(key)};
    if (std::find(pts.begin(), pts.end(), pt) == pts.end()) pts.push_back(pt);
  }
  std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.first == "gilbert-elliott", a.second) < std::make_pair(b.first == "gilbert-elliott", b.second);
  });
  return pts;
}

std::string ratio(const Goodput& a, const Goodput& b, const char* fmt_spec) {
  return a.bps && b.bps && *a.bps > 0 && *b.bps > 0 ? fmt::format(fmt::runtime(fmt_spec), *a.bps / *b.bps) : "";
}

void loss_sweep(const Cells& c, Verdicts& v) {
  const auto pts = points_of(c);
  const double rate = c.rate_bps;
  for (const auto& [m, p] : pts) {
    const Goodput lh = goodput(c, m, p, "longhaul");
    const double need = 0.9 * (1 - p) * rate;
    v.add(fmt::format("T1 longhaul >= 0.9 x (1-p) x bottleneck at {}", label(m, p)),
          lh.bps ? std::optional<bool>(*lh.bps >= need) : std::nullopt,
          fmt::format("{} vs >= {:.1f} Mbit/s ({:.3f} of {:.0f})", mbit(lh), need / 1e6, lh.bps ? *lh.bps / rate : 0.0,
                      rate / 1e6));
  }
  const auto pair_target = [&](const std::string& name, const std::string& m, double p, const char* other,
                               const char* other_name, double factor, const char* ratio_fmt) {
    const Goodput lh = goodput(c, m, p, "longhaul"), o = goodput(c, m, p, other);
    v.add(name, lh.bps && o.bps ? std::optional<bool>(*lh.bps >= factor * *o.bps) : std::nullopt,
          fmt::format("{} vs {} {}{}", mbit(lh), other_name, mbit(o), ratio(lh, o, ratio_fmt)));
  };
  pair_target("T2 longhaul >= 30 x CUBIC at p=1e-3", "bernoulli", 1e-3, "tcp-cubic", "CUBIC", 30, " = {:.1f}x");
  for (const auto& [m, p] : pts) {
    if (m == "gilbert-elliott" || p > 1e-3) continue;
    pair_target(fmt::format("T3 longhaul >= BBR at {}", label(m, p)), m, p, "tcp-bbr", "BBR", 1, " = {:.2f}x");
  }
  pair_target("T4 longhaul >= 1.2 x BBR at GE p=1e-2", "gilbert-elliott", 1e-2, "tcp-bbr", "BBR", 1.2, " = {:.2f}x");
  for (const auto& [m, p] : pts) {
    if (m != "bernoulli") continue;
    const Goodput cu = goodput(c, m, p, "tcp-cubic");
    const double mathis = std::min(rate, kMss * 8 / c.rtt_s * std::sqrt(1.5) / std::sqrt(p));
    const double r = cu.bps ? *cu.bps / mathis : 0;
    v.add(fmt::format("T5 CUBIC near Mathis at {}", label(m, p)),
          cu.bps ? std::optional<bool>(r >= 0.5 && r <= 2) : std::nullopt,
          fmt::format("CUBIC {} vs Mathis {:.1f} Mbit/s (MSS {:.0f} B, RTT {:.1f} ms){}", mbit(cu), mathis / 1e6, kMss,
                      c.rtt_s * 1e3, cu.bps ? fmt::format(" = {:.2f}x", r) : ""));
  }
}

void random_loss(const Cells& c, Verdicts& v) {
  for (const auto& [m, p] : points_of(c)) {
    if (m == "gilbert-elliott") continue;
    const Goodput lh = goodput(c, m, p, "longhaul", /*worst=*/true);
    const double share = p <= 0.05 ? 0.9 : 0.6, need = share * (1 - p) * c.rate_bps;
    v.add(fmt::format("R1 longhaul worst run >= {} x (1-p) x bottleneck at {}", share, label(m, p)),
          lh.bps ? std::optional<bool>(*lh.bps >= need) : std::nullopt,
          fmt::format("{} vs >= {:.1f} Mbit/s ({:.3f} of (1-p) x {:.0f})", mbit(lh), need / 1e6,
                      lh.bps ? *lh.bps / ((1 - p) * c.rate_bps) : 0.0, c.rate_bps / 1e6));
  }
}

}  // namespace

std::vector<std::string> target_sets() { return {"loss-sweep", "random-loss"}; }

CheckReport check_targets(const std::vector<RunRecord>& runs, std::string_view set) {
  if (set != "loss-sweep" && set != "random-loss") {
    throw std::invalid_argument(fmt::format("--targets '{}': unknown target set (known: loss-sweep, random-loss)", set));
  }
  CheckReport out;
  const Cells c = cells_of(runs);
  if (!c.any) {
    out.lines.push_back("FAIL  no measured run of a loss sweep in these results");
    out.failures = 1;
    return out;
  }
  Verdicts v(out);
  if (set == "loss-sweep") loss_sweep(c, v);
  else random_loss(c, v);
  if (c.any_incomplete) out.lines.push_back("* some runs hit the duration limit: goodput = bytes delivered / time (see the run's summary.txt)");
  out.lines.push_back(out.failures ? fmt::format("{} target(s) failed", out.failures) : "all targets passed");
  return out;
}

}  // namespace lh::lab
