// metrics_format.cpp — Prometheus text and JSON renderings of Stats (naming rules in the header).
#include "emulator/control/metrics_format.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <utility>

namespace lh::emu::control {

namespace {

// Escapes a label value: backslash, double quote and newline (exposition format rules).
std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, std::string_view labels, uint64_t v) {
    out_ += fmt::format("{}{{{}}} {}\n", name, labels, v);
  }
  void sample(std::string_view name, std::string_view labels, double v) {
    out_ += fmt::format("{}{{{}}} {}\n", name, labels, v);
  }
  void raw(const std::string& text) { out_ += text; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

using Dirs = std::array<std::pair<const char*, const DirectionStats*>, 2>;

}  // namespace

std::string render_prometheus(const Stats& stats) {
  Writer w;
  const Dirs dirs{{{"a_to_b", &stats.a_to_b}, {"b_to_a", &stats.b_to_a}}};

  w.family("lh_emu_uptime_seconds", "gauge", "Time since lh-emu started forwarding.");
  w.sample("lh_emu_uptime_seconds", "", stats.uptime.seconds());
  w.family("lh_emu_profile_info", "gauge", "The running link profile (value is always 1).");
  w.sample("lh_emu_profile_info", fmt::format("name=\"{}\"", escape_label(stats.profile_name)), uint64_t{1});
  w.family("lh_emu_profile_changes_total", "counter", "Profile replacements and patches applied.");
  w.sample("lh_emu_profile_changes_total", "", stats.profile_changes);
  const std::array<std::pair<std::string_view, const StatsValues*>, 2> counters{
      {{"a_to_b", &stats.a_to_b.counters}, {"b_to_a", &stats.b_to_a.counters}}};
  w.raw(::lh::emu::render_prometheus(counters));

  w.family("lh_emu_added_delay_seconds", "summary", "Delay added by the emulator (departure - arrival).");
  for (const auto& [dir, s] : dirs) {
    for (const DelayQuantile& q : s->added_delay) {
      w.sample("lh_emu_added_delay_seconds", fmt::format("dir=\"{}\",quantile=\"{}\"", dir, q.quantile),
               q.value.seconds());
    }
    w.sample("lh_emu_added_delay_seconds_sum", fmt::format("dir=\"{}\"", dir), s->added_delay_sum.seconds());
    w.sample("lh_emu_added_delay_seconds_count", fmt::format("dir=\"{}\"", dir), s->added_delay_count);
  }
  w.family("lh_emu_departure_error_seconds", "gauge",
           "Quantiles of actual minus intended transmit time over the last window.");
  for (const auto& [dir, s] : dirs) {
    for (const DelayQuantile& q : s->departure_error) {
      w.sample("lh_emu_departure_error_seconds", fmt::format("dir=\"{}\",quantile=\"{}\"", dir, q.quantile),
               q.value.seconds());
    }
  }
  return w.take();
}

namespace {

nlohmann::json direction_to_json(const DirectionStats& s) {
  const auto quantiles_of = [](const std::vector<DelayQuantile>& qs) {
    nlohmann::json out = nlohmann::json::object();
    for (const DelayQuantile& q : qs) out[fmt::format("{}", q.quantile)] = q.value.ns;
    return out;
  };
  nlohmann::json j = to_json(s.counters);   // the same keys as lh-emu's stdout lines
  j["added_delay"] = {{"count", s.added_delay_count},
                      {"sum_ns", s.added_delay_sum.ns},
                      {"quantiles_ns", quantiles_of(s.added_delay)}};
  j["departure_error_quantiles_ns"] = quantiles_of(s.departure_error);
  return j;
}

}  // namespace

nlohmann::json stats_to_json(const Stats& stats) {
  return {
      {"uptime_ns", stats.uptime.ns},
      {"profile", stats.profile_name},
      {"profile_changes", stats.profile_changes},
      {"a_to_b", direction_to_json(stats.a_to_b)},
      {"b_to_a", direction_to_json(stats.b_to_a)},
      {"info", stats.info},
  };
}

}  // namespace lh::emu::control
