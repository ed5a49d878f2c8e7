// stats_values.hpp — lh-emu's per-direction counters and gauges: one type from the datapath to every
// output. The worker fills a StatsValues (the model's counters plus the driver's own), publishes it
// (dpdk/direction_stats.hpp), and the stdout JSON lines, the control API's /stats JSON and its
// Prometheus /metrics all render it from the one field table below — a name is spelled in one place.
// Pure data; no DPDK, no Boost.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lh::emu {

// Why a packet was dropped. The first four are the model's (emulator/model DropCause, same order);
// the rest the driver's.
enum class EmuDrop : uint8_t {
  kLoss,            // loss model, schedule or trace
  kQueueFull,       // bottleneck queue limit (drop-tail; RED above max without ECN)
  kAqm,             // RED early drop
  kOutage,          // link event
  kNoMbuf,          // no buffer for a duplicate (the packet pool is empty)
  kDelayQueueFull,  // the delay queue holding packets until departure is full
  kTxFull,          // the TX queue kept refusing a due frame
  kRxNoMbuf,        // the NIC/PMD had no buffer to receive into (rte_eth_stats rx_nombuf)
  kRxMissed,        // the NIC/PMD missed frames: RX ring full (rte_eth_stats imissed)
  kCount
};
inline constexpr size_t kEmuDropCount = static_cast<size_t>(EmuDrop::kCount);
inline constexpr size_t kModelDropCount = 4;   // kLoss .. kOutage
// "loss", "queue_full", "aqm", "outage", "no_mbuf", "delay_queue_full", "tx_full", "rx_nombuf", "imissed"
const char* to_string(EmuDrop d) noexcept;

// Counters are monotonic since start (a profile change does not reset them); gauges are "now".
// Every field is a uint64_t word (the publisher copies words).
struct StatsValues {
  uint64_t packets_in = 0, bytes_in = 0;     // received from the ingress port
  uint64_t packets_out = 0, bytes_out = 0;   // transmitted on the egress port (duplicates included)
  std::array<uint64_t, kEmuDropCount> dropped{};
  uint64_t ecn_marked = 0, duplicated = 0, corrupted = 0, reordered = 0;
  uint64_t profile_changes = 0;              // live changes this direction adopted
  // gauges
  uint64_t queue_bytes = 0, queue_packets = 0, queue_delay_ns = 0;   // the model's bottleneck backlog
  uint64_t in_flight_packets = 0;            // held by the emulator (delay queue), not yet transmitted
  uint64_t rate_bps = 0;                     // current bottleneck rate (0 = unlimited)
  uint64_t base_delay_ns = 0;                // current one-way propagation + extra delay
};

// One field of StatsValues as every output names it.
struct StatsField {
  std::string_view key;           // JSON key ("packets_in")
  uint64_t StatsValues::*member;
  bool gauge;                     // false: a monotonic counter
  std::string_view metric;        // Prometheus name without the lh_emu_ prefix ("received_packets_total")
  double scale;                   // Prometheus value = field × scale (ns → s: 1e-9; bit/s → B/s: 1/8)
  std::string_view help;
};
std::span<const StatsField> stats_fields();

uint64_t total_dropped(const StatsValues& v) noexcept;

// {"packets_in": .., ..., "dropped": {"loss": .., ...}} — the same keys in the stdout JSON lines and
// the control API's /stats.
nlohmann::json to_json(const StatsValues& v);

// Prometheus exposition text for the fields of every direction (`dirs`: label value, values), each
// family once with HELP and TYPE; drops as lh_emu_dropped_packets_total{dir, cause}.
std::string render_prometheus(std::span<const std::pair<std::string_view, const StatsValues*>> dirs);

}  // namespace lh::emu
