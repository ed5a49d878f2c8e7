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
  j["error"] = r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error);
  return j;
}

}  // namespace lh::xport::tcp
