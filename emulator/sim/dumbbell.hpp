// dumbbell.hpp — a two-sided path topology: endpoints on side A and side B joined by one emulated
// long-haul link, one lh::emu::LinkDirection per direction.
//
// Every packet from side A to side B goes through the a_to_b LinkDirection (a shared bottleneck: all
// A→B flows queue together), B→A through b_to_a. The model's decision is applied to the packet:
// dropped (counted by cause in the sender's FlowStats), delivered at `depart`, CE-marked, one bit of
// the payload flipped (bit `corrupt_bit` mod the payload's bit count, MSB-first within a byte; the
// duplicate, as in netem, is cloned before the flip), duplicated (a copy delivered at
// duplicate_depart). Endpoints attach directly to the link (no access links): the one-way delay of a
// packet is exactly what the model says. Streams: a_to_b draws from Rng stream 0 of the seed,
// b_to_a from stream 1 (as lh-emu does), so a profile and seed mean the same path everywhere.
//
// Wire size of a packet = Packet::size, or if 0, payload + datagram_overhead (default 42 B:
// Ethernet 14 + IPv4 20 + UDP 8); the model adds its per-frame overhead (preamble, IFG, FCS) itself.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "emulator/model/link_direction.hpp"
#include "emulator/sim/endpoint.hpp"
#include "emulator/sim/flow_stats.hpp"
#include "emulator/sim/packet.hpp"
#include "emulator/sim/simulator.hpp"
#include "src/link_profile.hpp"
#include "src/units.hpp"

namespace lh::sim {

enum class Side : uint8_t { kA, kB };

class Dumbbell final : public Actor {
 public:
  static constexpr Bytes kDefaultDatagramOverhead{42};

  // The link's epoch (time zero of schedules, events and traces) is sim.now() at construction.
  // Throws std::invalid_argument if the model rejects a direction's config.
  Dumbbell(Simulator& sim, const DirectionConfig& a_to_b, const DirectionConfig& b_to_a, uint64_t seed);
  Dumbbell(Simulator& sim, const LinkProfile& profile, uint64_t seed);
  Dumbbell(Simulator& sim, const LinkProfile& profile) : Dumbbell(sim, profile, profile.seed) {}

  Dumbbell(const Dumbbell&) = delete;
  Dumbbell& operator=(const Dumbbell&) = delete;

  // Attaches `endpoint` (not owned; must outlive the simulation) on `side` and returns its address.
  // It is polled (poll_transmit) at the current time.
  Address add_endpoint(Side side, Endpoint& endpoint);

  // Polls `addr` at the current time: call after changing an endpoint from outside the simulator.
  void wake(Address addr);

  // Statistics of the packets `src` sent (its flow).
  const FlowStats& stats(Address src) const { return nodes_.at(src).stats; }
  // Closes open loss bursts in every flow; call once when the run is over, before reading bursts.
  void finish_stats() noexcept;

  // The link direction carrying traffic that leaves `from` (a_to_b for Side::kA).
  emu::LinkDirection& link(Side from) noexcept { return from == Side::kA ? a_to_b_ : b_to_a_; }
  const emu::LinkDirection& link(Side from) const noexcept { return from == Side::kA ? a_to_b_ : b_to_a_; }

  Side side_of(Address addr) const { return nodes_.at(addr).side; }
  size_t endpoint_count() const noexcept { return nodes_.size(); }
  size_t packets_in_flight() const noexcept { return pool_.in_use() - polling_; }
  Simulator& simulator() noexcept { return sim_; }

  void set_datagram_overhead(Bytes overhead) noexcept { overhead_ = overhead; }
  // Packets between two endpoints of the same side (inside one site: a datacenter LAN) are delivered
  // after `delay`, without loss or a rate limit, and never touch the long link. By default (nullopt)
  // they are unroutable, as on a pure two-point path.
  void set_local_delivery(std::optional<Nanos> delay) noexcept { local_delay_ = delay; }

  // Actor: deliveries and endpoint timers.
  void on_event(Nanos now, uint64_t arg) override;

 private:
  static constexpr uint64_t kTimerBit = uint64_t{1} << 63;  // arg = kTimerBit | address
  static constexpr uint64_t kWakeBit = uint64_t{1} << 62;   // arg = kWakeBit | address
                                                            // otherwise arg = packet slot
  struct Node {
    Endpoint* endpoint = nullptr;
    Side side = Side::kA;
    Nanos armed = Nanos::max();   // time of the live timer event (Nanos::max(): none)
    uint64_t next_seq = 0;
    FlowStats stats;
  };

  void service(Address addr, Nanos now);
  void send(Address src, uint32_t slot, Nanos now);
  void deliver(uint32_t slot, Nanos now);

  Simulator& sim_;
  emu::LinkDirection a_to_b_;
  emu::LinkDirection b_to_a_;
  PacketPool pool_;
  std::deque<Node> nodes_;   // deque: FlowStats references stay valid as endpoints are added
  Bytes overhead_ = kDefaultDatagramOverhead;
  size_t polling_ = 0;       // slots held by an in-progress poll_transmit (not in flight)
  std::optional<Nanos> local_delay_;
};

}  // namespace lh::sim
