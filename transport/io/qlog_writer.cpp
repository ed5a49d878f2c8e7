// qlog_writer.cpp — see qlog_writer.hpp.
#include "transport/io/qlog_writer.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace lh::xport::io {
namespace {

constexpr char kRecordSeparator = '\x1e';

double ms(Nanos t) { return static_cast<double>(t.ns) / 1e6; }

}  // namespace

QlogWriter::QlogWriter(const std::string& path, const QlogHeader& header, Nanos t0, Nanos min_interval)
    : path_(path), t0_(t0), min_interval_(min_interval) {
  out_ = std::fopen(path.c_str(), "w");
  if (out_ == nullptr) throw std::runtime_error(fmt::format("qlog {}: {}", path, std::strerror(errno)));
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  const nlohmann::json h = {
      {"qlog_version", "0.3"},
      {"qlog_format", "JSON-SEQ"},
      {"title", header.title},
      {"description", header.description},
      {"trace",
       {{"vantage_point", {{"name", header.title}, {"type", header.vantage_point}}},
        {"common_fields", {{"protocol_type", {"longhaul"}}, {"time_format", "relative"}, {"reference_time", wall_ms}}}}}};
  write(h.dump());
}

QlogWriter::~QlogWriter() {
  if (out_ != nullptr) std::fclose(out_);
}

QlogWriter::Last& QlogWriter::last_of(uint64_t conn) {
  for (Last& l : last_) {
    if (l.conn == conn) return l;
  }
  last_.push_back(Last{.conn = conn});
  return last_.back();
}

void QlogWriter::write(const std::string& json) {
  if (!ok_) return;
  if (std::fputc(kRecordSeparator, out_) == EOF || std::fwrite(json.data(), 1, json.size(), out_) != json.size() ||
      std::fputc('\n', out_) == EOF) {
    ok_ = false;
    return;
  }
  ++records_;
}

void QlogWriter::sample(Nanos now, uint64_t conn, const ConnectionMetrics& m) {
  if (!ok_) return;
  Last& l = last_of(conn);
  const std::string group = fmt::format("{:016x}", conn);
  const double t = ms(now - t0_);
  if (!l.any || std::strcmp(l.metrics.cc_state, m.cc_state) != 0) {
    nlohmann::json e = {{"time", t}, {"name", "recovery:congestion_state_updated"}, {"group_id", group},
                        {"data", {{"new", m.cc_state}}}};
    if (l.any) e["data"]["old"] = l.metrics.cc_state;
    write(e.dump());
  } else if (now - l.written < min_interval_ || l.metrics == m) {
    return;
  }
  const nlohmann::json e = {
      {"time", t},
      {"name", "recovery:metrics_updated"},
      {"group_id", group},
      {"data",
       {{"min_rtt", ms(m.min_rtt)},
        {"smoothed_rtt", ms(m.smoothed_rtt)},
        {"latest_rtt", ms(m.latest_rtt)},
        {"rtt_variance", ms(m.rtt_variance)},
        {"congestion_window", m.cwnd},
        {"bytes_in_flight", m.bytes_in_flight},
        {"pacing_rate", m.pacing_bps},
        {"bandwidth_estimate", m.bandwidth_bps},
        {"random_loss", m.random_loss},
        {"peer_window", m.peer_window},
        {"packets_sent", m.packets_sent},
        {"packets_lost", m.packets_lost},
        {"retransmits", m.retransmits},
        {"pto_count", m.pto_count}}}};
  write(e.dump());
  l.any = true;
  l.written = now;
  l.metrics = m;
}

bool QlogWriter::flush() {
  if (ok_ && std::fflush(out_) != 0) ok_ = false;
  return ok_;
}

}  // namespace lh::xport::io
