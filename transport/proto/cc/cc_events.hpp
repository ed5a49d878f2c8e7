// cc_events.hpp — the narrow congestion-controller interface: event structs in, cwnd + pacing rate out.
//
// Modelled on mvfst's CongestionController: the connection reports packet sends, ACKs (with an RTT
// sample and a delivery-rate sample per draft-cheng-iccrg-delivery-rate-estimation) and losses as
// plain structs; a controller never sees the connection. Sizes are bytes, times lh::Nanos (event time
// is always passed in), rates bit/s. Controllers are picked once per connection (std::variant).
#pragma once

#include <cstdint>

#include "src/units.hpp"

namespace lh::xport::cc {

struct SentEvent {
  Nanos now;
  uint64_t bytes = 0;
  uint64_t in_flight = 0;  // after this packet
  bool app_limited = false;
};

// Delivery-rate sample from the most recently sent packet this ACK newly acknowledged.
struct RateSample {
  uint64_t delivered = 0;       // bytes delivered over `interval`
  Nanos interval{0};            // max(send elapsed, ack elapsed); 0 = no sample
  uint64_t prior_delivered = 0; // connection `delivered` when that packet was sent (round counting)
  bool app_limited = false;
  // Rate in bit/s; 0 when there is no sample.
  uint64_t bps() const {
    if (interval.ns <= 0) return 0;
    return static_cast<uint64_t>(static_cast<unsigned __int128>(delivered) * 8'000'000'000u /
                                 static_cast<uint64_t>(interval.ns));
  }
};

struct AckEvent {
  Nanos now;
  uint64_t acked_bytes = 0;      // newly acknowledged in-flight bytes
  uint64_t in_flight = 0;        // after this ACK (and any losses it revealed)
  uint64_t delivered_total = 0;  // connection total delivered bytes after this ACK
  Nanos latest_rtt{0};           // 0 if this ACK gave no RTT sample
  Nanos min_rtt{0};
  Nanos srtt{0};
  RateSample rs;
};

struct LossEvent {
  Nanos now;
  uint64_t lost_bytes = 0;
  uint64_t in_flight = 0;        // after removing the lost packets
  Nanos largest_lost_sent_time{0};
  bool persistent_congestion = false;  // every packet over > 3 PTOs was lost (RFC 9002 §7.6)
};

// What a controller says of itself, for observability (qlog, summaries): read by drivers at most every
// few milliseconds, never on the per-packet path.
struct ControllerState {
  const char* state = "";       // e.g. "startup", "probe_bw:cruise", "slow_start"; a static string
  uint64_t bandwidth_bps = 0;   // the model's bottleneck estimate, bit/s (0: the controller keeps none)
  double random_loss = 0;       // loss rate the model treats as random, not congestive (BBR), else 0
};

}  // namespace lh::xport::cc
