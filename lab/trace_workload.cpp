// trace_workload.cpp — see trace_workload.hpp.
#include "lab/trace_workload.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "traces/gradient_trace.hpp"
#include "traces/replay_schedule.hpp"

namespace lh::lab {

Workload parse_workload(std::string_view text) {
  if (text == "bulk") return {};
  if (text.rfind("trace:", 0) != 0 || text.size() == 6) {
    throw std::invalid_argument(fmt::format("--workload '{}': expected bulk or trace:FILE (a gradient trace, e.g. "
                                            "trace:t.jsonl from `lh-trace gen`)", text));
  }
  Workload w{.kind = Workload::Kind::kTrace, .text = std::string(text), .trace = std::string(text.substr(6))};
  if (!std::filesystem::exists(w.trace)) {
    throw std::invalid_argument(fmt::format("--workload '{}': no such file", text));
  }
  w.trace = std::filesystem::absolute(w.trace);   // the replay runs from another working directory
  const traces::GradientTrace t = traces::load_gradient_trace(w.trace);
  try {
    const traces::ReplaySchedule s(t, {});
    w.steps = s.step_count();
    for (const traces::ReplayTransfer& x : s.transfers()) {
      if (x.dir == traces::ReplayDirection::kForward) w.bytes_forward += x.bytes;
      if (x.dir == traces::ReplayDirection::kReverse) w.bytes_reverse += x.bytes;
    }
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("--workload '{}': {}", text, e.what()));
  }
  if (w.bytes_forward + w.bytes_reverse == 0) {
    throw std::invalid_argument(fmt::format("--workload '{}': no transfer between sites 0 and 1 to replay", text));
  }
  return w;
}

bool add_replay_results(RunRecord& rec, const std::vector<std::string>& lines) {
  nlohmann::json summary;
  nlohmann::json r{{"step", nlohmann::json::array()}, {"compute_ms", nlohmann::json::array()},
                   {"comm_ms", nlohmann::json::array()}, {"exposed_ms", nlohmann::json::array()},
                   {"step_ms", nlohmann::json::array()}, {"slowdown", nlohmann::json::array()}};
  auto ms = [](const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() * 1e-6 : 0.0;
  };
  for (const std::string& line : lines) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    const std::string type = j.value("type", "");
    if (type == "summary") {
      summary = j;
    } else if (type == "step") {
      r["step"].push_back(j.value("step", 0));
      r["compute_ms"].push_back(ms(j, "compute_ns"));
      r["comm_ms"].push_back(ms(j, "comm_ns"));
      r["exposed_ms"].push_back(ms(j, "exposed_ns"));
      r["step_ms"].push_back(ms(j, "step_ns"));
      r["slowdown"].push_back(j.contains("slowdown") ? j["slowdown"] : nlohmann::json(nullptr));
    }
  }
  if (!summary.is_object()) return false;
  r["summary"] = summary;
  rec.replay = r;
  rec.summary = summary;
  rec.summary["seconds"] = ms(summary, "total_ns") * 1e-3;
  rec.mean_step_ms = ms(summary, "mean_step_ns");
  rec.mean_comm_ms = ms(summary, "mean_comm_ns");
  rec.mean_exposed_ms = ms(summary, "mean_exposed_ns");
  rec.slowdown = summary.contains("slowdown") && summary["slowdown"].is_number()
                     ? std::optional<double>(summary["slowdown"].get<double>()) : std::nullopt;
  return true;
}

}  // namespace lh::lab
