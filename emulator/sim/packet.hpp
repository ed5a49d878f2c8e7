// packet.hpp — a packet in the simulator (payload bytes + metadata) and the pool that recycles them.
//
// A packet either carries real payload bytes (protocol engines: the bytes they wrote are the bytes
// the peer reads, after the link's corruption, if any) or is size-only (synthetic traffic: `size`
// set, payload empty — no copying). `size` is what the link model sees (PacketMeta::wire_bytes,
// without the per-frame overhead, which the model adds). Pooled slots keep their payload capacity,
// so after warm-up sending a packet allocates nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "src/units.hpp"

namespace lh::sim {

// An endpoint's address within a topology (assigned by Dumbbell::add_endpoint).
using Address = uint32_t;
inline constexpr Address kNoAddress = UINT32_MAX;

struct Packet {
  // ---- set by the sending endpoint (in Endpoint::poll_transmit) ----
  std::vector<uint8_t> payload;  // empty for size-only packets
  uint32_t size = 0;             // wire bytes; 0 = payload.size() + the topology's datagram overhead
  Address dst = kNoAddress;
  uint64_t flow_hash = 0;        // what the link's per-flow stages see (0 = derived from src/dst)
  bool ect = false;              // ECN-capable transport

  // ---- set by the topology and the link (what a receiver's NIC/IP layer would know) ----
  Address src = kNoAddress;
  bool ce = false;               // the link marked it Congestion Experienced
  // The link's ground truth, for statistics and tests. A protocol engine must detect corruption
  // itself (checksums) and must not read these.
  bool corrupted = false;        // one bit was flipped
  bool duplicate = false;        // this is the link's extra copy
  uint64_t flow_seq = 0;         // index of this packet among those its source sent (from 0)
  Nanos sent{0};                 // when it entered the link
};

// Slots with stable addresses (std::deque never moves existing elements); acquire() hands out a
// cleared slot, release() returns it. Indices fit an event's argument.
class PacketPool {
 public:
  uint32_t acquire() {
    if (free_.empty()) {
      slots_.emplace_back();
      free_.reserve(slots_.size());  // so release() never allocates
      return static_cast<uint32_t>(slots_.size() - 1);
    }
    const uint32_t index = free_.back();
    free_.pop_back();
    return index;
  }

  void release(uint32_t index) noexcept {
    Packet& p = slots_[index];
    p.payload.clear();  // keeps capacity
    p.size = 0;
    p.dst = kNoAddress;
    p.flow_hash = 0;
    p.ect = false;
    p.src = kNoAddress;
    p.ce = p.corrupted = p.duplicate = false;
    p.flow_seq = 0;
    p.sent = Nanos{0};
    free_.push_back(index);
  }

  Packet& operator[](uint32_t index) noexcept { return slots_[index]; }
  const Packet& operator[](uint32_t index) const noexcept { return slots_[index]; }

  size_t capacity() const noexcept { return slots_.size(); }
  size_t in_use() const noexcept { return slots_.size() - free_.size(); }

 private:
  std::deque<Packet> slots_;
  std::vector<uint32_t> free_;
};

}  // namespace lh::sim
