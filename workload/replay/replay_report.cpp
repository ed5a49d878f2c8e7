// replay_report.cpp — see replay_report.hpp.
#include "workload/replay/replay_report.hpp"

#include <fmt/format.h>

#include <cmath>

namespace lh::workload {
namespace {

nlohmann::json ratio(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string ratio_text(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : "inf"; }

struct Totals {
  Nanos total{0}, ideal{0}, step{0}, comm{0}, exposed{0};
  double slowdown_sum = 0;
  uint64_t bytes_forward = 0, bytes_reverse = 0;
};

Totals totals(const ReplayReport& r) {
  Totals t;
  for (const StepResult& s : r.steps) {
    t.ideal += s.compute;
    t.step += s.step_time();
    t.comm += s.comm;
    t.exposed += s.exposed;
    t.slowdown_sum += s.slowdown;
    t.bytes_forward += s.bytes_forward;
    t.bytes_reverse += s.bytes_reverse;
  }
  if (!r.steps.empty()) t.total = r.steps.back().end;
  return t;
}

}  // namespace

nlohmann::json to_json(const StepResult& s) {
  return {{"type", "step"}, {"step", s.step}, {"compute_start_ns", s.compute_start.ns}, {"compute_ns", s.compute.ns},
          {"comm_ns", s.comm.ns}, {"exposed_ns", s.exposed.ns}, {"step_ns", s.step_time().ns}, {"end_ns", s.end.ns},
          {"slowdown", ratio(s.slowdown)}, {"transfers", s.transfers}, {"bytes_forward", s.bytes_forward},
          {"bytes_reverse", s.bytes_reverse}};
}

nlohmann::json summary_json(const ReplayReport& r) {
  const Totals t = totals(r);
  const auto n = static_cast<int64_t>(r.steps.size());
  auto mean = [&](Nanos v) { return n > 0 ? v.ns / n : 0; };
  const double slowdown = t.ideal.ns > 0 ? static_cast<double>(t.total.ns) / static_cast<double>(t.ideal.ns)
                                         : (t.total.ns == 0 ? 1.0 : INFINITY);
  nlohmann::json j{{"type", "summary"}, {"trace", r.trace}, {"transport", r.transport}, {"peer", r.peer},
                   {"sites", {r.scope.site_a, r.scope.site_b}}, {"steps", r.steps.size()},
                   {"steps_total", r.steps_total}, {"complete", r.complete}, {"total_ns", t.total.ns},
                   {"ideal_ns", t.ideal.ns}, {"slowdown", ratio(slowdown)}, {"mean_step_ns", mean(t.step)},
                   {"mean_comm_ns", mean(t.comm)}, {"mean_exposed_ns", mean(t.exposed)},
                   {"mean_slowdown", n > 0 ? ratio(t.slowdown_sum / static_cast<double>(n)) : nlohmann::json(nullptr)},
                   {"bytes_forward", t.bytes_forward}, {"bytes_reverse", t.bytes_reverse},
                   {"retransmits", r.retransmits}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

std::string json_lines(const ReplayReport& r) {
  std::string out;
  for (const StepResult& s : r.steps) out += to_json(s).dump() + "\n";
  out += summary_json(r).dump() + "\n";
  return out;
}

std::string format_table(const ReplayReport& r) {
  std::string out = fmt::format("lh-trace replay {} over {} to {} (sites {}→{}): {} of {} steps{}\n", r.trace,
                                r.transport, r.peer, r.scope.site_a, r.scope.site_b, r.steps.size(), r.steps_total,
                                r.complete ? "" : " (INCOMPLETE)");
  out += fmt::format("{:>6} {:>12} {:>12} {:>12} {:>12} {:>9} {:>10} {:>12}\n", "step", "compute ms", "comm ms",
                     "exposed ms", "step ms", "slowdown", "transfers", "MB fwd/rev");
  for (const StepResult& s : r.steps) {
    out += fmt::format("{:>6} {:>12.3f} {:>12.3f} {:>12.3f} {:>12.3f} {:>9} {:>10} {:>5.1f}/{:<6.1f}\n", s.step,
                       s.compute.ms(), s.comm.ms(), s.exposed.ms(), s.step_time().ms(), ratio_text(s.slowdown),
                       s.transfers, static_cast<double>(s.bytes_forward) * 1e-6,
                       static_cast<double>(s.bytes_reverse) * 1e-6);
  }
  const Totals t = totals(r);
  const nlohmann::json sum = summary_json(r);
  out += fmt::format("{:>6} {:>12.3f} {:>12.3f} {:>12.3f} {:>12.3f} {:>9}\n", "total", t.ideal.ms(), t.comm.ms(),
                     t.exposed.ms(), t.total.ms(),
                     sum["slowdown"].is_null() ? std::string("inf") : ratio_text(sum["slowdown"].get<double>()));
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  return out;
}

}  // namespace lh::workload
