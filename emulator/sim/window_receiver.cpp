// window_receiver.cpp — receiving half of the window-based test protocol (see window_receiver.hpp).
#include "emulator/sim/window_receiver.hpp"

#include <stdexcept>

#include "emulator/sim/window_segment.hpp"

namespace lh::sim {

WindowReceiver::WindowReceiver(uint32_t window) {
  if (window == 0) throw std::invalid_argument("WindowReceiver: window must be > 0");
  received_.assign(window, 0);
  sizes_.assign(window, 0);
}

void WindowReceiver::on_packet(const Packet& packet, Nanos) {
  const auto seg = decode_segment(packet.payload);
  if (!seg || seg->kind != SegmentKind::kData) {
    ++corrupt_;
    return;
  }
  peer_ = packet.src;
  ++acks_owed_;
  const uint64_t seq = seg->number;
  const uint64_t window = received_.size();
  if (seq < rcv_nxt_) {
    ++duplicates_;
    return;
  }
  if (seq >= rcv_nxt_ + window) {
    ++out_of_window_;
    return;
  }
  const size_t slot = seq % window;
  if (received_[slot] != 0) {
    ++duplicates_;
    return;
  }
  received_[slot] = 1;
  sizes_[slot] = static_cast<uint32_t>(packet.payload.size());
  while (received_[rcv_nxt_ % window] != 0) {
    const size_t s = rcv_nxt_ % window;
    received_[s] = 0;
    bytes_delivered_ += sizes_[s];
    ++rcv_nxt_;
  }
}

bool WindowReceiver::poll_transmit(Nanos, Packet& out) {
  if (acks_owed_ == 0) return false;
  --acks_owed_;
  ++acks_sent_;
  encode_segment(Segment{.kind = SegmentKind::kAck, .number = rcv_nxt_}, kSegmentHeaderBytes, out.payload);
  out.dst = peer_;
  return true;
}

}  // namespace lh::sim
