// tcp_report.cpp — to_json(TcpSenderResult&) (see tcp_xfer.hpp): lh-xfer's summary plus TCP fields.
#include "transport/tcp/tcp_xfer.hpp"

namespace lh::xport::tcp {

nlohmann::json to_json(TcpSenderResult& r) {
  nlohmann::json j = tools::to_json(r.summary);
  j["transport"] = "tcp";
  j["streams"] = r.streams;
  j["sndbuf_requested"] = r.sndbuf.requested;  // bytes per stream; 0 = kernel autotuning
  j["sndbuf_granted"] = r.sndbuf.granted;
  j["sndbuf_capped"] = r.sndbuf.capped();      // net.core.wmem_max is below the request
  j["timed_out"] = r.timed_out;
  j["completed_shard_bytes"] = r.completed_shard_bytes;
  // The lab reads RTT p95 (lh-xfer's summary may not carry it): nearest rank of the same samples.
  if (j["rtt_us"].is_object() && !j["rtt_us"].contains("p95") && !r.summary.rtt_ns.empty()) {
    j["rtt_us"]["p95"] = static_cast<double>(tools::percentile(r.summary.rtt_ns, 95)) / 1e3;
  }
  j["error"] = r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error);
  return j;
}

}  // namespace lh::xport::tcp
