// qlog_writer.hpp — the congestion controller's state over time as qlog JSON-SEQ (`.sqlog`).
//
// Format: RFC 7464 JSON text sequences (every record is 0x1E, a JSON object, '\n'), qlog 0.3 as qvis
// reads it (draft-ietf-quic-qlog-main-schema): a header record, then events with `time` in ms since
// the trace's reference time. Events are QUIC's recovery events with longhaul's extra fields:
// `recovery:metrics_updated` (min/smoothed/latest RTT and variance in ms, congestion_window and
// bytes_in_flight in bytes, pacing_rate and bandwidth_estimate in bit/s, random_loss, cumulative
// packets_lost / retransmits / pto_count) and `recovery:congestion_state_updated` (old → new).
// Each event's `group_id` names the connection (its local id in hex).
//
// Called by drivers, never per packet: sample() each event-loop turn writes a connection's state
// change at once and its metrics at most every `min_interval` (10 ms), and only when they changed.
// Output is buffered; a write error is remembered (ok() turns false), never thrown from sample().
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "src/units.hpp"
#include "transport/proto/connection.hpp"

namespace lh::xport::io {

struct QlogHeader {
  std::string title;          // e.g. "lh-xfer send"
  std::string vantage_point;  // "client" or "server"
  std::string description;    // free text (command line, peer)
};

class QlogWriter {
 public:
  static constexpr Nanos kMinInterval = Nanos::from_ms(10);

  // Creates (truncates) `path` and writes the header. `t0` is the driver clock's time of the trace's
  // zero; the header's reference_time is the wall clock now. Throws std::runtime_error naming the
  // path and the system's reason.
  QlogWriter(const std::string& path, const QlogHeader& header, Nanos t0, Nanos min_interval = kMinInterval);
  ~QlogWriter();
  QlogWriter(const QlogWriter&) = delete;
  QlogWriter& operator=(const QlogWriter&) = delete;

  // A driver turn: records connection `conn`'s metrics `m` taken at `now` (see the top).
  void sample(Nanos now, uint64_t conn, const ConnectionMetrics& m);
  // Writes the buffered records out; returns ok().
  bool flush();
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] uint64_t records() const { return records_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  struct Last {
    uint64_t conn = 0;
    Nanos written{INT64_MIN / 2};
    ConnectionMetrics metrics;
    bool any = false;
  };
  Last& last_of(uint64_t conn);
  void write(const std::string& json);

  std::string path_;
  std::FILE* out_ = nullptr;
  Nanos t0_, min_interval_;
  std::vector<Last> last_;
  uint64_t records_ = 0;
  bool ok_ = true;
};

}  // namespace lh::xport::io
