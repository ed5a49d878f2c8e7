// cbr_source.hpp — constant-bit-rate traffic: fixed-size packets at a fixed rate, optionally on/off.
//
// Packet k leaves at start + k·size·8/rate (ns, computed exactly in 128-bit integers, so the long-run
// rate never drifts), with on/off applied by mapping that "sending time" onto on-periods: sending runs
// for `on`, pauses for `off`, repeats. `rate` counts `packet_size` bytes (the size the link model is
// given, without its per-frame overhead). Packets are size-only unless `payload` is set (then each
// carries `packet_size` − datagram overhead bytes, its index in the first 8, little-endian).
// Sending stops at start + duration (exclusive). The source ignores what it receives.
#pragma once

#include <cstdint>

#include "emulator/sim/endpoint.hpp"
#include "src/units.hpp"

namespace lh::sim {

struct CbrConfig {
  Address dst = kNoAddress;
  Bytes packet_size{1500};        // wire bytes per packet, 1..65536
  BitsPerSecond rate{0};          // > 0
  Nanos start{0};
  Nanos duration = Nanos::max();  // from start, including off periods
  Nanos on{0};                    // 0 = always on; else send for `on` ...
  Nanos off{0};                   // ... then pause for `off`
  bool ect = false;
  bool payload = false;           // carry real bytes instead of size-only packets
  Bytes datagram_overhead{42};    // with `payload`: header bytes not carried as payload
  uint64_t flow_hash = 0;         // 0: the topology derives one from (src, dst)
};

class CbrSource final : public Endpoint {
 public:
  // Throws std::invalid_argument naming the bad field.
  explicit CbrSource(const CbrConfig& config);

  void on_packet(const Packet&, Nanos) override {}
  Nanos next_timeout() const override { return next_send_; }
  void on_timeout(Nanos) override {}
  bool poll_transmit(Nanos now, Packet& out) override;

  uint64_t packets_sent() const noexcept { return sent_; }
  bool finished() const noexcept { return next_send_ == Nanos::max(); }
  // Send time of packet k (before the end check); exposed for tests.
  Nanos send_time(uint64_t k) const noexcept;

 private:
  CbrConfig config_;
  Nanos end_;
  uint64_t sent_ = 0;
  Nanos next_send_;
};

}  // namespace lh::sim
