// xfer_summary.hpp — lh-xfer's end-of-run summary (table for people, JSON for machines) and progress.
//
// JSON uses iperf3's field names where they exist (`bytes`, `seconds`, `bits_per_second`,
// `retransmits`) so scripts can compare the two; RTT and per-shard completion times are percentiles
// in microseconds (`rtt_us`, `shard_us`: min/p50/p90/p95/p99/max/count). An incomplete transfer
// (duration limit, lost connection) reports `complete: false` with `bytes` = the WRITE payload the
// receiver acknowledged and `bits_per_second` = that over the elapsed `seconds`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lh::workload {

struct XferSummary {
  std::string local, remote, cc;
  std::string transport;             // the transport's name in the one grammar ("longhaul", "tcp-bbr-x8")
  uint32_t streams = 0;              // TCP streams striped per transfer (0: longhaul)
  bool timed_out = false;            // the duration limit stopped the transfer
  uint64_t completed_shard_bytes = 0;  // bytes of the shards that completed (bytes counts more when incomplete)
  uint64_t sndbuf_requested = 0, sndbuf_granted = 0;  // TCP: SO_SNDBUF per stream (0: autotuning)
  bool complete = false;             // every shard written and acknowledged
  uint64_t bytes = 0;                // bytes delivered: completed shards, or, if incomplete, WRITE payload acknowledged
  uint64_t total_bytes = 0;          // bytes requested
  double seconds = 0.0;              // first WRITE posted → last WRITE completed
  uint64_t shards = 0, shard_bytes = 0, slots = 0;
  uint64_t verified_shards = 0, bad_shards = 0;  // as reported by the server
  bool server_report = false;        // the server's REPORT arrived
  uint64_t packets_sent = 0, retransmits = 0, packets_lost = 0, bytes_sent = 0;
  bool gso = false, gro = false;
  std::vector<int64_t> rtt_ns;       // RTT samples (ns)
  std::vector<int64_t> shard_ns;     // per-shard post → completion (ns)

  double bits_per_second() const { return seconds > 0 ? static_cast<double>(bytes) * 8.0 / seconds : 0.0; }
};

// Nearest-rank percentile of `v` (sorted in place on first use); 0 when empty.
int64_t percentile(std::vector<int64_t>& v, double p);

std::string format_table(XferSummary& s);
nlohmann::json to_json(XferSummary& s);
// One status line: "  1.50 GiB / 8.00 GiB  18.8%   5.12 Gbit/s  rtt 0.120 ms  retx 3".
std::string progress_line(uint64_t done, uint64_t total, double bits_per_second, double rtt_ms, uint64_t retx);

}  // namespace lh::workload
