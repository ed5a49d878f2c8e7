// window_sender.hpp — a fixed-window reliable sender for simulator tests (the receiver is
// window_receiver.hpp; wire format window_segment.hpp).
//
// At most `window` packets are unacknowledged; each cumulative ACK that advances opens the window.
// Loss recovery: fast retransmit of the first unacknowledged packet after `dupack_threshold`
// duplicate ACKs, NewReno-style retransmit of the next hole on each partial ACK (RFC 6582 §3.2), and
// a retransmission timeout per RFC 6298 (SRTT/RTTVAR, Karn's rule, exponential back-off). No
// congestion control: on a clean path, throughput = window / RTT exactly, which is what the sim tests
// check. Sequence numbers count packets from 0; each carries `payload_bytes` of payload.
#pragma once

#include <cstdint>
#include <vector>

#include "emulator/sim/endpoint.hpp"
#include "src/units.hpp"

namespace lh::sim {

struct WindowSenderConfig {
  Address dst = kNoAddress;
  uint32_t window_packets = 0;     // set exactly one of window_packets / window_bytes
  Bytes window_bytes{0};           // → max(1, window_bytes / payload_bytes) packets
  uint32_t payload_bytes = 1458;   // per data packet; 1458 + 42 B of headers = 1500 B on the wire
  uint64_t total_packets = 0;      // 0 = send forever
  Nanos start{0};
  Nanos initial_rto = Nanos::from_s(1);   // RFC 6298 §2.1
  Nanos min_rto = Nanos::from_ms(200);
  Nanos max_rto = Nanos::from_s(60);
  uint32_t dupack_threshold = 3;
};

class WindowSender final : public Endpoint {
 public:
  // Throws std::invalid_argument naming the bad field.
  explicit WindowSender(const WindowSenderConfig& config);

  void on_packet(const Packet& packet, Nanos now) override;
  Nanos next_timeout() const override;
  void on_timeout(Nanos now) override;
  bool poll_transmit(Nanos now, Packet& out) override;

  uint32_t window() const noexcept { return window_; }
  uint64_t acked() const noexcept { return snd_una_; }   // packets cumulatively acknowledged
  bool done() const noexcept { return config_.total_packets != 0 && snd_una_ >= config_.total_packets; }
  Nanos done_at() const noexcept { return done_at_; }     // when the last ACK arrived
  uint64_t packets_sent() const noexcept { return packets_sent_; }
  uint64_t retransmits() const noexcept { return retransmits_; }
  uint64_t timeouts() const noexcept { return timeouts_; }
  uint64_t bad_acks() const noexcept { return bad_acks_; }
  Nanos srtt() const noexcept { return srtt_; }
  Nanos rto() const noexcept { return rto_; }

 private:
  void on_ack(uint64_t ack, Nanos now);
  void send(uint64_t seq, bool retransmit, Nanos now, Packet& out);

  WindowSenderConfig config_;
  uint32_t window_ = 0;
  uint64_t snd_una_ = 0;          // first unacknowledged
  uint64_t snd_nxt_ = 0;          // next new sequence number
  uint64_t recover_ = 0;          // snd_nxt when recovery started (RFC 6582)
  bool in_recovery_ = false;
  bool rtx_pending_ = false;      // retransmit snd_una_ at the next poll
  uint32_t dupacks_ = 0;
  std::vector<Nanos> sent_at_;    // ring by seq % window: last transmission time
  std::vector<uint8_t> retransmitted_;  // ring: 1 if seq was ever retransmitted (Karn)
  Nanos srtt_{0}, rttvar_{0}, rto_;
  bool have_rtt_ = false;
  Nanos rto_deadline_ = Nanos::max();
  Nanos done_at_ = Nanos::max();
  uint64_t packets_sent_ = 0, retransmits_ = 0, timeouts_ = 0, bad_acks_ = 0;
};

}  // namespace lh::sim
