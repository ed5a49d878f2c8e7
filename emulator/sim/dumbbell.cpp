// dumbbell.cpp — applies the link model's decisions to simulated packets (see dumbbell.hpp).
#include "emulator/sim/dumbbell.hpp"

#include <stdexcept>
#include <string>

namespace lh::sim {

namespace {

constexpr uint64_t kAToBStream = 0;
constexpr uint64_t kBToAStream = 1;

// A flow hash for packets whose sender left it 0: stable per (src, dst), well mixed (SplitMix64).
uint64_t default_flow_hash(Address src, Address dst) noexcept {
  uint64_t z = (static_cast<uint64_t>(src) << 32 | dst) + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

Dumbbell::Dumbbell(Simulator& sim, const DirectionConfig& a_to_b, const DirectionConfig& b_to_a,
                   uint64_t seed)
    : sim_(sim),
      a_to_b_(a_to_b, seed, kAToBStream, sim.now()),
      b_to_a_(b_to_a, seed, kBToAStream, sim.now()) {}

Dumbbell::Dumbbell(Simulator& sim, const LinkProfile& profile, uint64_t seed)
    : Dumbbell(sim, profile.a_to_b, profile.b_to_a, seed) {}

Address Dumbbell::add_endpoint(Side side, Endpoint& endpoint) {
  if (nodes_.size() >= (uint64_t{1} << 31)) throw std::length_error("Dumbbell: too many endpoints");
  Node& node = nodes_.emplace_back();
  node.endpoint = &endpoint;
  node.side = side;
  const auto addr = static_cast<Address>(nodes_.size() - 1);
  wake(addr);
  return addr;
}

void Dumbbell::wake(Address addr) {
  if (addr >= nodes_.size()) {
    throw std::out_of_range("Dumbbell::wake: no endpoint with address " + std::to_string(addr));
  }
  sim_.schedule(sim_.now(), *this, kWakeBit | addr);
}

void Dumbbell::finish_stats() noexcept {
  for (Node& n : nodes_) n.stats.finish();
}

void Dumbbell::on_event(Nanos now, uint64_t arg) {
  if ((arg & (kTimerBit | kWakeBit)) == 0) {
    deliver(static_cast<uint32_t>(arg), now);
    return;
  }
  const auto addr = static_cast<Address>(arg & 0xFFFF'FFFFu);
  Node& node = nodes_[addr];
  if (arg & kTimerBit) {
    if (node.armed != now) return;  // superseded by an earlier deadline that already ran
    node.armed = Nanos::max();
  }
  if (node.endpoint->next_timeout() <= now) node.endpoint->on_timeout(now);
  service(addr, now);
}

// Collects everything the endpoint wants to send now, then (re)arms its timer.
void Dumbbell::service(Address addr, Nanos now) {
  Node& node = nodes_[addr];
  for (;;) {
    const uint32_t slot = pool_.acquire();
    ++polling_;
    const bool has_packet = node.endpoint->poll_transmit(now, pool_[slot]);
    --polling_;
    if (!has_packet) {
      pool_.release(slot);
      break;
    }
    send(addr, slot, now);
  }
  const Nanos deadline = node.endpoint->next_timeout();
  if (deadline < node.armed) {
    node.armed = deadline < now ? now : deadline;
    sim_.schedule(node.armed, *this, kTimerBit | addr);
  }
}

void Dumbbell::send(Address src, uint32_t slot, Nanos now) {
  Packet& p = pool_[slot];
  Node& node = nodes_[src];
  p.src = src;
  if (p.size == 0) p.size = static_cast<uint32_t>(p.payload.size() + overhead_.n);
  p.flow_seq = node.next_seq++;
  p.sent = now;
  p.ce = p.corrupted = p.duplicate = false;
  FlowStats& stats = node.stats;
  stats.on_sent(p, now);

  if (p.dst >= nodes_.size() || (nodes_[p.dst].side == node.side && !local_delay_)) {
    stats.on_unroutable();
    pool_.release(slot);
    return;
  }
  if (nodes_[p.dst].side == node.side) {  // inside the site: the LAN, not the long link
    stats.on_accepted();
    sim_.schedule(now + *local_delay_, *this, slot);
    return;
  }
  emu::LinkDirection& dir = link(node.side);
  const emu::Decision d = dir.on_packet(emu::PacketMeta{
      .arrival = now,
      .wire_bytes = p.size,
      .flow_hash = p.flow_hash != 0 ? p.flow_hash : default_flow_hash(src, p.dst),
      .ect = p.ect,
  });
  if (!d.delivered()) {
    stats.on_dropped(d.drop);
    pool_.release(slot);
    return;
  }
  stats.on_accepted();
  p.ce = d.ecn_ce;
  if (d.duplicate) {
    const uint32_t copy_slot = pool_.acquire();
    Packet& copy = pool_[copy_slot];   // deque: `p` stays valid
    copy.payload.assign(p.payload.begin(), p.payload.end());
    copy.size = p.size;
    copy.dst = p.dst;
    copy.flow_hash = p.flow_hash;
    copy.ect = p.ect;
    copy.src = p.src;
    copy.ce = p.ce;
    copy.duplicate = true;
    copy.flow_seq = p.flow_seq;
    copy.sent = p.sent;
    sim_.schedule(d.duplicate_depart, *this, copy_slot);
  }
  if (d.corrupt) {
    p.corrupted = true;
    if (!p.payload.empty()) {
      const uint64_t bit = d.corrupt_bit % (p.payload.size() * 8);
      p.payload[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
    }
  }
  sim_.schedule(d.depart, *this, slot);
}

void Dumbbell::deliver(uint32_t slot, Nanos now) {
  const Packet& p = pool_[slot];
  const Address dst = p.dst;
  nodes_[p.src].stats.on_delivered(p, now);
  nodes_[dst].endpoint->on_packet(p, now);
  pool_.release(slot);
  service(dst, now);
}

}  // namespace lh::sim
