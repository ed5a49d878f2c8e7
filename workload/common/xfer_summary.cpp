// xfer_summary.cpp — see xfer_summary.hpp.
#include "workload/common/xfer_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace lh::workload {
namespace {

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024.0 && u < 4) {
    b /= 1024.0;
    ++u;
  }
  return fmt::format("{:.2f} {}", b, units[u]);
}

std::string human_rate(double bps) {
  if (bps >= 1e9) return fmt::format("{:.2f} Gbit/s", bps / 1e9);
  if (bps >= 1e6) return fmt::format("{:.2f} Mbit/s", bps / 1e6);
  return fmt::format("{:.2f} kbit/s", bps / 1e3);
}

nlohmann::json percentiles_us(std::vector<int64_t>& v) {
  nlohmann::json j;
  j["count"] = v.size();
  if (v.empty()) return j;
  auto us = [](int64_t ns) { return static_cast<double>(ns) / 1e3; };
  j["min"] = us(percentile(v, 0));
  j["p50"] = us(percentile(v, 50));
  j["p90"] = us(percentile(v, 90));
  j["p95"] = us(percentile(v, 95));
  j["p99"] = us(percentile(v, 99));
  j["max"] = us(percentile(v, 100));
  return j;
}

std::string ms_row(const char* name, std::vector<int64_t>& v) {
  if (v.empty()) return fmt::format("  {:<18} (no samples)\n", name);
  auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
  return fmt::format("  {:<18} p50 {:.3f}  p90 {:.3f}  p95 {:.3f}  p99 {:.3f}  max {:.3f} ms  ({} samples)\n", name,
                     ms(percentile(v, 50)), ms(percentile(v, 90)), ms(percentile(v, 95)), ms(percentile(v, 99)),
                     ms(percentile(v, 100)), v.size());
}

}  // namespace

int64_t percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  const size_t idx = rank <= 1.0 ? 0 : std::min(v.size() - 1, static_cast<size_t>(rank) - 1);
  return v[idx];
}

std::string format_table(XferSummary& s) {
  std::string out;
  if (s.streams > 0) {
    out += fmt::format("lh-xfer {} -> {}  {} ({} streams, sndbuf {})\n", s.local, s.remote, s.transport, s.streams,
                       s.sndbuf_requested == 0 ? std::string("autotuned")
                                               : fmt::format("{} B of {} B requested", s.sndbuf_granted, s.sndbuf_requested));
  } else {
    out += fmt::format("lh-xfer {} -> {}  {}  gso {} gro {}\n", s.local, s.remote, s.transport, s.gso ? "on" : "off",
                       s.gro ? "on" : "off");
  }
  out += fmt::format("  {:<18} {} of {} in {:.3f} s{}\n", "written", human_bytes(static_cast<double>(s.bytes)),
                     human_bytes(static_cast<double>(s.total_bytes)), s.seconds, s.complete ? "" : "  (INCOMPLETE)");
  out += fmt::format("  {:<18} {}\n", "goodput", human_rate(s.bits_per_second()));
  if (s.server_report) {
    out += fmt::format("  {:<18} {} of {} shards verified by the server, {} bad\n", "verified", s.verified_shards,
                       s.shards, s.bad_shards);
  } else {
    out += fmt::format("  {:<18} no report from the server\n", "verified");
  }
  out += fmt::format("  {:<18} {} packets ({} lost) of {} sent\n", "retransmitted", s.retransmits, s.packets_lost,
                     s.packets_sent);
  out += ms_row("rtt", s.rtt_ns);
  out += ms_row("shard completion", s.shard_ns);
  return out;
}

nlohmann::json to_json(XferSummary& s) {
  nlohmann::json j;
  j["local"] = s.local;
  j["remote"] = s.remote;
  j["transport"] = s.transport;
  j["cc"] = s.cc;
  if (s.streams > 0) {
    j["streams"] = s.streams;
    j["sndbuf_requested"] = s.sndbuf_requested;
    j["sndbuf_granted"] = s.sndbuf_granted;
    j["sndbuf_capped"] = s.sndbuf_requested != 0 && s.sndbuf_granted < s.sndbuf_requested;
  }
  j["timed_out"] = s.timed_out;
  j["completed_shard_bytes"] = s.completed_shard_bytes;
  j["complete"] = s.complete;
  j["bytes"] = s.bytes;
  j["total_bytes"] = s.total_bytes;
  j["seconds"] = s.seconds;
  j["bits_per_second"] = s.bits_per_second();
  j["shards"] = s.shards;
  j["shard_bytes"] = s.shard_bytes;
  j["slots"] = s.slots;
  j["verified_shards"] = s.server_report ? nlohmann::json(s.verified_shards) : nlohmann::json(nullptr);
  j["bad_shards"] = s.server_report ? nlohmann::json(s.bad_shards) : nlohmann::json(nullptr);
  j["retransmits"] = s.retransmits;
  j["packets_lost"] = s.packets_lost;
  j["packets_sent"] = s.packets_sent;
  j["bytes_sent"] = s.bytes_sent;
  j["gso"] = s.gso;
  j["gro"] = s.gro;
  j["rtt_us"] = percentiles_us(s.rtt_ns);
  j["shard_us"] = percentiles_us(s.shard_ns);
  return j;
}

std::string progress_line(uint64_t done, uint64_t total, double bits_per_second, double rtt_ms, uint64_t retx) {
  const double pct = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
  return fmt::format("{:>11} / {:<11} {:5.1f}%  {:>14}  rtt {:.3f} ms  retx {}",
                     human_bytes(static_cast<double>(done)), human_bytes(static_cast<double>(total)), pct,
                     human_rate(bits_per_second), rtt_ms, retx);
}

}  // namespace lh::workload
