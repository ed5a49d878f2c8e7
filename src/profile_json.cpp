// profile_json.cpp — link profiles as JSON for the control API: writing, PUT, and PATCH.
//
// JSON input is converted to a toml::table and goes through the very same walker and validation as
// a TOML file (profile_direction.cpp), so there is one vocabulary and one set of rules. Output uses
// the same keys with unit strings from lh::format, so it parses back to the same config.
#include <cstdio>

#include <toml++/toml.h>

#include "src/profile.hpp"
#include "src/profile_direction.hpp"

namespace lh {
namespace {

using nlohmann::json;

constexpr const char* kDistributionNames[] = {"none", "uniform", "normal", "pareto", "paretonormal"};

std::string limit_text(const QueueConfig& q) {
  if (q.limit_packets != 0) return std::to_string(q.limit_packets) + "pkt";
  if (q.limit_bytes.n != 0) return format(q.limit_bytes);
  if (q.limit_time.ns != 0) return format(q.limit_time);
  return "unlimited";
}

std::string rate_text(BitsPerSecond r) { return r.bps == 0 ? "unlimited" : format(r); }

json loss_json(const LossConfig& loss) {
  json j{{"model", std::string(detail::loss_model_name(loss))}};
  if (const auto* b = std::get_if<BernoulliLoss>(&loss)) j["p"] = format(b->p);
  if (const auto* g = std::get_if<GilbertElliottLoss>(&loss)) {
    j["p"] = format(g->p);
    j["r"] = format(g->r);
    j["loss_bad"] = format(g->loss_bad);
    j["loss_good"] = format(g->loss_good);
  }
  if (const auto* m = std::get_if<MarkovLoss>(&loss)) {
    j["p13"] = format(m->p13);
    j["p31"] = format(m->p31);
    j["p32"] = format(m->p32);
    j["p23"] = format(m->p23);
    j["p14"] = format(m->p14);
  }
  if (const auto* t = std::get_if<TraceLoss>(&loss); t && t->pattern) j["file"] = t->pattern->source;
  return j;
}

json schedule_json(const std::vector<ScheduleStep>& steps) {
  json a = json::array();
  for (const auto& s : steps) {
    json e{{"at", format(s.at)}};
    if (s.rate) e["rate"] = rate_text(*s.rate);
    if (s.extra_delay) e["extra_delay"] = format(*s.extra_delay);
    if (s.loss) e["loss"] = format(*s.loss);
    a.push_back(std::move(e));
  }
  return a;
}

json events_json(const std::vector<LinkEvent>& events) {
  constexpr const char* kKinds[] = {"outage", "protection-switch", "reroute"};
  json a = json::array();
  for (const auto& ev : events) {
    json e{{"at", format(ev.at)}, {"kind", kKinds[static_cast<size_t>(ev.kind)]}};
    if (ev.kind != LinkEventKind::kReroute) e["duration"] = format(ev.duration);
    if (ev.kind != LinkEventKind::kOutage) e["delay_delta"] = (ev.delay_delta.ns >= 0 ? "+" : "") + format(ev.delay_delta);
    if (ev.repeat_every.ns != 0) {
      e["repeat_every"] = format(ev.repeat_every);
      e["repeat_count"] = ev.repeat_count;
    }
    a.push_back(std::move(e));
  }
  return a;
}

// JSON → TOML: `sink` receives the converted value (toml::table, toml::array, std::string, int64_t,
// double or bool). Null is refused (callers strip the nulls they give a meaning to).
toml::table to_toml_table(const json& v, const std::string& where, const std::string& path);

struct ArraySink {
  toml::array& arr;
  template <typename T>
  void operator()(T&& x) const { arr.push_back(std::forward<T>(x)); }
};
struct TableSink {
  toml::table& table;
  const std::string& key;
  template <typename T>
  void operator()(T&& x) const { table.insert_or_assign(key, std::forward<T>(x)); }
};

// Sink is ArraySink or TableSink only (a fixed set, so the recursion instantiates nothing new).
template <typename Sink>
void convert(const json& v, const std::string& where, const std::string& path, const Sink& sink) {
  switch (v.type()) {
    case json::value_t::object: sink(to_toml_table(v, where, path)); return;
    case json::value_t::array: {
      toml::array arr;
      for (size_t i = 0; i < v.size(); ++i) {
        convert(v[i], where, path + "[" + std::to_string(i) + "]", ArraySink{arr});
      }
      sink(std::move(arr));
      return;
    }
    case json::value_t::string: sink(v.get<std::string>()); return;
    case json::value_t::boolean: sink(v.get<bool>()); return;
    case json::value_t::number_integer: sink(v.get<int64_t>()); return;
    case json::value_t::number_unsigned:
      if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
        throw ParseError(where + ": " + path + " = " + v.dump() + ": integer too large (at most 2^63-1)");
      }
      sink(static_cast<int64_t>(v.get<uint64_t>()));
      return;
    case json::value_t::number_float: sink(v.get<double>()); return;
    default:
      throw ParseError(where + ": " + path + " = " + v.dump() +
                       ": null is accepted only for \"trace\" and \"delivery\" in a direction patch (it removes them)");
  }
}

toml::table to_toml_table(const json& v, const std::string& where, const std::string& path) {
  toml::table t;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string child = path.empty() ? it.key() : path + "." + it.key();
    convert(it.value(), where, child, TableSink{t, it.key()});
  }
  return t;
}

void require_object(const json& v, const std::string& where, const std::string& what) {
  if (!v.is_object()) throw ParseError(where + ": " + what + " must be a JSON object, got " + v.dump());
}

}  // namespace

json to_json(const DirectionConfig& d) {
  json j;
  j["rate"] = rate_text(d.rate.rate);
  j["overhead"] = format(d.rate.overhead);
  json queue{{"limit", limit_text(d.queue)},
             {"discipline", d.queue.discipline == QueueDiscipline::kRed ? "red" : "droptail"}};
  if (d.queue.discipline == QueueDiscipline::kRed) {
    queue["red"] = {{"min_threshold", format(d.queue.red.min_threshold)},
                    {"max_threshold", format(d.queue.red.max_threshold)},
                    {"max_p", format(d.queue.red.max_p)},
                    {"weight", d.queue.red.weight},
                    {"ecn", d.queue.red.ecn}};
  }
  j["queue"] = std::move(queue);
  j["loss"] = loss_json(d.loss);
  j["propagation"] = {{"distance", format(d.propagation.distance)},
                      {"per_km", format(d.propagation.per_km)},
                      {"extra", format(d.propagation.extra)}};
  const JitterConfig& jc = d.jitter;
  j["jitter"] = {{"distribution", kDistributionNames[static_cast<size_t>(jc.distribution)]},
                 {"jitter", format(jc.jitter)},
                 {"correlation", format(Probability::from_double(jc.correlation))},
                 {"mode", jc.mode == JitterMode::kReordering ? "reordering" : "order-preserving"},
                 {"reorder", format(jc.reorder)},
                 {"duplicate", format(jc.duplicate)},
                 {"corrupt", format(jc.corrupt)}};
  j["schedule"] = schedule_json(d.schedule);
  j["events"] = events_json(d.events);
  if (d.trace) j["trace"] = {{"file", d.trace->source}};
  if (d.delivery) j["delivery"] = {{"file", d.delivery->source}};
  return j;
}

json to_json(const LinkProfile& p) {
  return {{"link", {{"name", p.name}, {"description", p.description}, {"seed", p.seed}}},
          {"a_to_b", to_json(p.a_to_b)},
          {"b_to_a", to_json(p.b_to_a)}};
}

void apply_direction_patch(DirectionConfig& dir, const nlohmann::json& patch, std::string_view where,
                           const TraceFiles& files) {
  const std::string w(where);
  require_object(patch, w, "a direction patch");
  json body = patch;
  DirectionConfig next = dir;
  if (auto it = body.find("trace"); it != body.end() && it->is_null()) {
    next.trace = nullptr;
    body.erase(it);
  }
  if (auto it = body.find("delivery"); it != body.end() && it->is_null()) {
    next.delivery = nullptr;
    body.erase(it);
  }
  const toml::table table = to_toml_table(body, w, "");
  detail::Origins origins;
  const detail::ParseContext ctx{w, files, &origins};
  detail::apply_direction_table(next, detail::ProfileTable(ctx, table, "", ""));
  // Keys from the patch are located by their origin; others are named by their path in the direction.
  detail::validate_direction(next, ctx, "");
  dir = std::move(next);
}

LinkProfile profile_from_json(const nlohmann::json& doc, std::string_view where, const TraceFiles& files) {
  const std::string w(where);
  require_object(doc, w, "a profile");
  const toml::table root = to_toml_table(doc, w, "");
  return detail::parse_profile_root(root, w, files, "unnamed");
}

}  // namespace lh
