// window_receiver.hpp — the receiving half of the simulator's window-based reliable test protocol.
//
// Accepts data packets up to `window` ahead of the next expected one (buffering out-of-order ones),
// delivers in order, and answers every data packet with one cumulative ACK (the next sequence number
// it expects) to the packet's source address. Corrupted segments (bad checksum) are discarded and
// counted, as a UDP stack would. Sender side and wire format: window_sender.hpp, window_segment.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "emulator/sim/endpoint.hpp"
#include "src/units.hpp"

namespace lh::sim {

class WindowReceiver final : public Endpoint {
 public:
  // `window` ≥ the sender's window (packets beyond it are discarded); throws if 0.
  explicit WindowReceiver(uint32_t window);

  void on_packet(const Packet& packet, Nanos now) override;
  Nanos next_timeout() const override { return Nanos::max(); }
  void on_timeout(Nanos) override {}
  bool poll_transmit(Nanos now, Packet& out) override;

  uint64_t delivered() const noexcept { return rcv_nxt_; }   // packets delivered in order
  uint64_t payload_bytes_delivered() const noexcept { return bytes_delivered_; }
  uint64_t duplicates() const noexcept { return duplicates_; }
  uint64_t out_of_window() const noexcept { return out_of_window_; }
  uint64_t discarded_corrupt() const noexcept { return corrupt_; }
  uint64_t acks_sent() const noexcept { return acks_sent_; }

 private:
  std::vector<uint8_t> received_;   // ring by seq % window: 1 if held out of order
  std::vector<uint32_t> sizes_;     // ring: payload bytes of held packets
  uint64_t rcv_nxt_ = 0;
  uint64_t bytes_delivered_ = 0;
  uint64_t acks_owed_ = 0;
  Address peer_ = kNoAddress;
  uint64_t duplicates_ = 0, out_of_window_ = 0, corrupt_ = 0, acks_sent_ = 0;
};

}  // namespace lh::sim
