// run_record.cpp — see run_record.hpp.
#include "lab/run_record.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace lh::lab {
namespace {

template <typename T>
void put_opt(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

// A field of the record: required ones must be there with the right type; optional ones may be absent or null.
template <typename T>
T need(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument(fmt::format("run record: no \"{}\"", key));
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(fmt::format("run record: \"{}\" has the wrong type ({})", key, it->type_name()));
  }
}

template <typename T>
std::optional<T> maybe(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return need<T>(j, key);
}

}  // namespace

nlohmann::json to_json(const RunRecord& r) {
  nlohmann::json j{{"run_id", r.run_id},
                   {"index", r.index},
                   {"profile", r.profile},
                   {"point", r.point},
                   {"rate_bps", r.rate_bps},
                   {"rtt_ms", r.rtt_ms},
                   {"loss", r.loss},
                   {"loss_model", r.loss_model},
                   {"bdp_bytes", r.bdp_bytes},
                   {"transport", r.transport},
                   {"spec", r.spec},
                   {"cc", r.cc},
                   {"streams", r.streams},
                   {"tool", r.tool},
                   {"workload", r.workload},
                   {"repeat", r.repeat},
                   {"size_bytes", r.size_bytes},
                   {"started_utc", r.started_utc},
                   {"emu_t0_s", r.emu_t0_s},
                   {"emu_t1_s", r.emu_t1_s},
                   {"client_unix_ms", r.client_unix_ms},
                   {"ok", r.ok},
                   {"complete", r.complete},
                   {"summary", r.summary}};
  put_opt(j, "ge_burst", r.ge_burst);
  put_opt(j, "sweep_loss", r.sweep_loss);
  if (r.sweep_loss) j["sweep_loss_model"] = r.sweep_loss_model;
  put_opt(j, "sweep_delay_ms", r.sweep_delay_ms);
  put_opt(j, "client_rc", r.client_rc);
  put_opt(j, "server_rc", r.server_rc);
  if (r.interrupted) j["interrupted"] = true;
  if (!r.incomplete.empty()) j["incomplete"] = r.incomplete;
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.replay.is_null()) {
    j["replay"] = r.replay;
    put_opt(j, "mean_step_ms", r.mean_step_ms);
    put_opt(j, "mean_comm_ms", r.mean_comm_ms);
    put_opt(j, "mean_exposed_ms", r.mean_exposed_ms);
    j["slowdown"] = r.slowdown ? nlohmann::json(*r.slowdown) : nlohmann::json(nullptr);
  }
  return j;
}

RunRecord record_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("run record: not a JSON object");
  RunRecord r;
  r.run_id = need<std::string>(j, "run_id");
  r.index = need<size_t>(j, "index");
  r.profile = need<std::string>(j, "profile");
  r.point = need<size_t>(j, "point");
  r.rate_bps = need<uint64_t>(j, "rate_bps");
  r.rtt_ms = need<double>(j, "rtt_ms");
  r.loss = need<double>(j, "loss");
  r.loss_model = need<std::string>(j, "loss_model");
  r.ge_burst = maybe<double>(j, "ge_burst");
  r.sweep_loss = maybe<double>(j, "sweep_loss");
  r.sweep_loss_model = maybe<std::string>(j, "sweep_loss_model").value_or("");
  r.sweep_delay_ms = maybe<double>(j, "sweep_delay_ms");
  r.bdp_bytes = need<uint64_t>(j, "bdp_bytes");
  r.transport = need<std::string>(j, "transport");
  r.spec = need<std::string>(j, "spec");
  r.cc = need<std::string>(j, "cc");
  r.streams = need<uint32_t>(j, "streams");
  r.tool = need<std::string>(j, "tool");
  r.workload = need<std::string>(j, "workload");
  r.repeat = need<int>(j, "repeat");
  r.size_bytes = need<uint64_t>(j, "size_bytes");
  r.started_utc = need<std::string>(j, "started_utc");
  r.emu_t0_s = need<double>(j, "emu_t0_s");
  r.emu_t1_s = need<double>(j, "emu_t1_s");
  r.client_unix_ms = need<double>(j, "client_unix_ms");
  r.client_rc = maybe<int>(j, "client_rc");
  r.server_rc = maybe<int>(j, "server_rc");
  r.ok = need<bool>(j, "ok");
  r.complete = need<bool>(j, "complete");
  r.interrupted = maybe<bool>(j, "interrupted").value_or(false);
  r.incomplete = maybe<std::string>(j, "incomplete").value_or("");
  r.error = maybe<std::string>(j, "error").value_or("");
  r.summary = j.contains("summary") ? j["summary"] : nlohmann::json(nullptr);
  if (j.contains("replay")) {
    r.replay = j["replay"];
    r.mean_step_ms = maybe<double>(j, "mean_step_ms");
    r.mean_comm_ms = maybe<double>(j, "mean_comm_ms");
    r.mean_exposed_ms = maybe<double>(j, "mean_exposed_ms");
    r.slowdown = maybe<double>(j, "slowdown");
  }
  return r;
}

std::vector<RunRecord> records_from_jsonl(std::string_view text, std::vector<std::string>& errors) {
  std::vector<RunRecord> out;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      errors.push_back(fmt::format("results.jsonl:{}: not JSON", line_no));
      continue;
    }
    try {
      out.push_back(record_from_json(j));
    } catch (const std::invalid_argument& e) {
      errors.push_back(fmt::format("results.jsonl:{}: {}", line_no, e.what()));
    }
  }
  return out;
}

nlohmann::json to_json(const RunMeta& m) {
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : m.environment) env.push_back({k, v});
  return {{"run_id", m.run_id}, {"command_line", m.command_line}, {"workload", m.workload}, {"points", m.points},
          {"environment", env}, {"finished", m.finished}, {"stopped", m.stopped}};
}

RunMeta meta_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("run.json: not a JSON object");
  RunMeta m;
  try {
    m.run_id = need<std::string>(j, "run_id");
    m.command_line = need<std::string>(j, "command_line");
    m.workload = need<std::string>(j, "workload");
    m.points = need<std::vector<std::string>>(j, "points");
    for (const auto& kv : need<std::vector<std::vector<std::string>>>(j, "environment")) {
      if (kv.size() != 2) throw std::invalid_argument("run record: \"environment\" entries are [key, value]");
      m.environment.emplace_back(kv[0], kv[1]);
    }
    m.finished = need<bool>(j, "finished");
    m.stopped = need<bool>(j, "stopped");
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    if (what.rfind("run record: ", 0) == 0) what = what.substr(12);
    throw std::invalid_argument("run.json: " + what);
  }
  return m;
}

}  // namespace lh::lab
