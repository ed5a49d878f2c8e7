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
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

using Dirs = std::array<std::pair<const char*, const DirectionStats*>, 2>;

template <typename Get>
void per_dir(Writer& w, const Dirs& dirs, std::string_view name, std::string_view type,
             std::string_view help, Get get) {
  w.family(name, type, help);
  for (const auto& [dir, s] : dirs) w.sample(name, fmt::format("dir=\"{}\"", dir), get(*s));
}

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

  per_dir(w, dirs, "lh_emu_received_packets_total", "counter", "Packets received on the ingress port.",
          [](const DirectionStats& s) { return s.packets_in; });
  per_dir(w, dirs, "lh_emu_received_bytes_total", "counter", "Bytes received on the ingress port.",
          [](const DirectionStats& s) { return s.bytes_in; });
  per_dir(w, dirs, "lh_emu_transmitted_packets_total", "counter",
          "Packets transmitted on the egress port (duplicates included).",
          [](const DirectionStats& s) { return s.packets_out; });
  per_dir(w, dirs, "lh_emu_transmitted_bytes_total", "counter", "Bytes transmitted on the egress port.",
          [](const DirectionStats& s) { return s.bytes_out; });

  w.family("lh_emu_dropped_packets_total", "counter", "Packets dropped, by cause.");
  for (const auto& [dir, s] : dirs) {
    for (size_t c = 0; c < kDropReasonCount; ++c) {
      w.sample("lh_emu_dropped_packets_total",
               fmt::format("dir=\"{}\",cause=\"{}\"", dir, to_string(static_cast<DropReason>(c))),
               s->dropped[c]);
    }
  }
  per_dir(w, dirs, "lh_emu_ecn_marked_packets_total", "counter", "Packets marked CE by the AQM.",
          [](const DirectionStats& s) { return s.ecn_marked; });
  per_dir(w, dirs, "lh_emu_duplicated_packets_total", "counter", "Packets delivered twice.",
          [](const DirectionStats& s) { return s.duplicated; });
  per_dir(w, dirs, "lh_emu_corrupted_packets_total", "counter", "Packets with a bit flipped.",
          [](const DirectionStats& s) { return s.corrupted; });
  per_dir(w, dirs, "lh_emu_reordered_packets_total", "counter", "Packets sent ahead of their predecessors.",
          [](const DirectionStats& s) { return s.reordered; });

  per_dir(w, dirs, "lh_emu_queue_bytes", "gauge", "Bottleneck queue backlog in bytes.",
          [](const DirectionStats& s) { return s.queue_bytes; });
  per_dir(w, dirs, "lh_emu_queue_packets", "gauge", "Bottleneck queue backlog in packets.",
          [](const DirectionStats& s) { return s.queue_packets; });
  per_dir(w, dirs, "lh_emu_in_flight_packets", "gauge", "Packets held by the emulator, not yet transmitted.",
          [](const DirectionStats& s) { return s.in_flight_packets; });
  per_dir(w, dirs, "lh_emu_queue_delay_seconds", "gauge", "Time to drain the backlog at the current rate.",
          [](const DirectionStats& s) { return s.queue_delay.seconds(); });
  per_dir(w, dirs, "lh_emu_rate_bytes_per_second", "gauge",
          "Current bottleneck rate (0 = unlimited).",
          [](const DirectionStats& s) { return static_cast<double>(s.rate.bps) / 8.0; });
  per_dir(w, dirs, "lh_emu_base_delay_seconds", "gauge", "Current one-way propagation delay.",
          [](const DirectionStats& s) { return s.base_delay.seconds(); });

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
  nlohmann::json dropped = nlohmann::json::object();
  for (size_t c = 0; c < kDropReasonCount; ++c) dropped[to_string(static_cast<DropReason>(c))] = s.dropped[c];
  const auto quantiles_of = [](const std::vector<DelayQuantile>& qs) {
    nlohmann::json out = nlohmann::json::object();
    for (const DelayQuantile& q : qs) out[fmt::format("{}", q.quantile)] = q.value.ns;
    return out;
  };
  return {
      {"packets_in", s.packets_in},         {"bytes_in", s.bytes_in},
      {"packets_out", s.packets_out},       {"bytes_out", s.bytes_out},
      {"dropped", dropped},                 {"ecn_marked", s.ecn_marked},
      {"duplicated", s.duplicated},         {"corrupted", s.corrupted},
      {"reordered", s.reordered},           {"queue_bytes", s.queue_bytes},
      {"queue_packets", s.queue_packets},   {"queue_delay_ns", s.queue_delay.ns},
      {"rate_bps", s.rate.bps},             {"base_delay_ns", s.base_delay.ns},
      {"added_delay", {{"count", s.added_delay_count},
                       {"sum_ns", s.added_delay_sum.ns},
                       {"quantiles_ns", quantiles_of(s.added_delay)}}},
      {"in_flight_packets", s.in_flight_packets},
      {"departure_error_quantiles_ns", quantiles_of(s.departure_error)},
  };
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
