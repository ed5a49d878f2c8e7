// stats_values.cpp — see stats_values.hpp.
#include "emulator/stats/stats_values.hpp"

#include <fmt/format.h>

namespace lh::emu {
namespace {

constexpr StatsField kFields[] = {
    {"packets_in", &StatsValues::packets_in, false, "received_packets_total", 1, "Packets received on the ingress port."},
    {"bytes_in", &StatsValues::bytes_in, false, "received_bytes_total", 1, "Bytes received on the ingress port."},
    {"packets_out", &StatsValues::packets_out, false, "transmitted_packets_total", 1,
     "Packets transmitted on the egress port (duplicates included)."},
    {"bytes_out", &StatsValues::bytes_out, false, "transmitted_bytes_total", 1, "Bytes transmitted on the egress port."},
    {"ecn_marked", &StatsValues::ecn_marked, false, "ecn_marked_packets_total", 1, "Packets marked CE by the AQM."},
    {"duplicated", &StatsValues::duplicated, false, "duplicated_packets_total", 1, "Packets delivered twice."},
    {"corrupted", &StatsValues::corrupted, false, "corrupted_packets_total", 1, "Packets with a bit flipped."},
    {"reordered", &StatsValues::reordered, false, "reordered_packets_total", 1, "Packets sent ahead of their predecessors."},
    {"profile_changes", &StatsValues::profile_changes, false, "direction_changes_total", 1,
     "Live changes (profile replacements, patches) this direction adopted."},
    {"queue_bytes", &StatsValues::queue_bytes, true, "queue_bytes", 1, "Bottleneck queue backlog in bytes."},
    {"queue_packets", &StatsValues::queue_packets, true, "queue_packets", 1, "Bottleneck queue backlog in packets."},
    {"queue_delay_ns", &StatsValues::queue_delay_ns, true, "queue_delay_seconds", 1e-9,
     "Time to drain the backlog at the current rate."},
    {"in_flight_packets", &StatsValues::in_flight_packets, true, "in_flight_packets", 1,
     "Packets held by the emulator, not yet transmitted."},
    {"rate_bps", &StatsValues::rate_bps, true, "rate_bytes_per_second", 1.0 / 8, "Current bottleneck rate (0 = unlimited)."},
    {"base_delay_ns", &StatsValues::base_delay_ns, true, "base_delay_seconds", 1e-9, "Current one-way propagation delay."},
};

}  // namespace

const char* to_string(EmuDrop d) noexcept {
  switch (d) {
    case EmuDrop::kLoss: return "loss";
    case EmuDrop::kQueueFull: return "queue_full";
    case EmuDrop::kAqm: return "aqm";
    case EmuDrop::kOutage: return "outage";
    case EmuDrop::kNoMbuf: return "no_mbuf";
    case EmuDrop::kDelayQueueFull: return "delay_queue_full";
    case EmuDrop::kTxFull: return "tx_full";
    case EmuDrop::kRxNoMbuf: return "rx_nombuf";
    case EmuDrop::kRxMissed: return "imissed";
    case EmuDrop::kCount: break;
  }
  return "?";
}

std::span<const StatsField> stats_fields() { return kFields; }

uint64_t total_dropped(const StatsValues& v) noexcept {
  uint64_t n = 0;
  for (uint64_t d : v.dropped) n += d;
  return n;
}

nlohmann::json to_json(const StatsValues& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const StatsField& f : kFields) j[std::string(f.key)] = v.*f.member;
  nlohmann::json dropped = nlohmann::json::object();
  for (size_t k = 0; k < kEmuDropCount; ++k) dropped[to_string(static_cast<EmuDrop>(k))] = v.dropped[k];
  j["dropped"] = std::move(dropped);
  return j;
}

std::string render_prometheus(std::span<const std::pair<std::string_view, const StatsValues*>> dirs) {
  std::string out;
  const auto family = [&](std::string_view name, bool gauge, std::string_view help) {
    out += fmt::format("# HELP lh_emu_{} {}\n# TYPE lh_emu_{} {}\n", name, help, name, gauge ? "gauge" : "counter");
  };
  for (const StatsField& f : kFields) {
    family(f.metric, f.gauge, f.help);
    for (const auto& [dir, v] : dirs) {
      const uint64_t raw = v->*f.member;
      if (f.scale == 1) {
        out += fmt::format("lh_emu_{}{{dir=\"{}\"}} {}\n", f.metric, dir, raw);
      } else {
        out += fmt::format("lh_emu_{}{{dir=\"{}\"}} {}\n", f.metric, dir, static_cast<double>(raw) * f.scale);
      }
    }
  }
  family("dropped_packets_total", false, "Packets dropped, by cause.");
  for (const auto& [dir, v] : dirs) {
    for (size_t k = 0; k < kEmuDropCount; ++k) {
      out += fmt::format("lh_emu_dropped_packets_total{{dir=\"{}\",cause=\"{}\"}} {}\n", dir,
                         to_string(static_cast<EmuDrop>(k)), v->dropped[k]);
    }
  }
  return out;
}

}  // namespace lh::emu
