// xport_harness.hpp — test scaffolding for the protocol engine: capture-TX / inject-RX (eRPC style)
// and a virtual-time wire joining two connections through the real link model.
//
// No sockets, no clocks: tests advance `now` by hand, or the simulator does (VirtualWire). PathModel
// names the few stages a test needs (delay, rate and queue, loss, duplication, reordering); the
// model draws them from its seeded streams, so every run is identical.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "emulator/sim/dumbbell.hpp"
#include "emulator/sim/simulator.hpp"
#include "src/link_profile.hpp"
#include "src/rng.hpp"
#include "tests/sim/transport_sim_endpoint.hpp"
#include "transport/proto/connection.hpp"
#include "transport/proto/wire.hpp"

namespace lh::xport::test {

using Datagram = std::vector<uint8_t>;

struct Side {
  explicit Side(uint64_t seed) : mem(seed) {}
  MemoryRegistry mem;
  CompletionQueue cq;
  std::unique_ptr<Connection> conn;

  std::vector<Completion> completions() {
    std::vector<Completion> out;
    while (auto c = cq.poll()) out.push_back(*c);
    return out;
  }
};

// Drains every datagram the connection is willing to send at `now`.
inline std::vector<Datagram> capture(Connection& c, Nanos now, size_t max = 100'000) {
  std::vector<Datagram> out;
  uint8_t buf[65'536];
  for (size_t i = 0; i < max; ++i) {
    const size_t n = c.poll_transmit(now, std::span<uint8_t>(buf, sizeof buf));
    if (n == 0) break;
    out.emplace_back(buf, buf + n);
  }
  return out;
}

inline void inject(Connection& c, const Datagram& d, Nanos now) { c.on_datagram(d, now); }

// Decodes the frames of a datagram (asserting it is well formed is up to the caller).
inline std::vector<wire::Frame> frames_of(const Datagram& d, wire::Header* hdr_out = nullptr) {
  wire::Header hdr;
  std::span<const uint8_t> body;
  std::vector<wire::Frame> out;
  if (wire::decode_packet(d, hdr, body) != wire::DecodeError::kOk) return out;
  if (hdr_out) *hdr_out = hdr;
  wire::Frame f;
  for (wire::FrameReader r(body); !r.done();)
    if (r.next(f) == wire::DecodeError::kOk) out.push_back(f);
  return out;
}

inline bool has_frame(const Datagram& d, wire::FrameType t) {
  for (const auto& f : frames_of(d))
    if (f.type == t) return true;
  return false;
}

// Client + server connections constructed directly (no Endpoint) and handshaken by hand.
struct Pair {
  explicit Pair(ConnectionConfig cfg = {}, ConnectionConfig server_cfg = {}, bool handshake_now = true)
      : a(11), b(22) {
    a.conn = std::make_unique<Connection>(Connection::Role::kClient, cfg, 0xA1, a.mem, a.cq, now);
    b.conn = std::make_unique<Connection>(Connection::Role::kServer, server_cfg, 0xB2, b.mem, b.cq, now);
    if (handshake_now) handshake();
  }
  Connection& client() { return *a.conn; }
  Connection& server() { return *b.conn; }

  // INIT -> ACCEPT -> (client's first ACK) with a fixed one-way delay.
  void handshake(Nanos one_way = Nanos::from_ms(10)) {
    for (auto& d : capture(client(), now)) inject(server(), d, now + one_way);
    now += one_way;
    auto accept = capture(server(), now);
    now += one_way;
    for (auto& d : accept) inject(client(), d, now);
    for (auto& d : capture(client(), now)) inject(server(), d, now + one_way);  // the ACK of ACCEPT
    now += one_way;
  }

  Nanos now{1'000'000'000};
  Side a, b;
};

// A test path, as the real link model (emulator/model through emulator/sim) applies it: one-way
// `delay`, an optional bottleneck `rate` with a drop-tail queue of `max_queue`, Bernoulli `loss`, and
// `duplicate` / `reorder` fractions (netem-style: a reordered packet skips the delay).
struct PathModel {
  Nanos delay = Nanos::from_ms(10);
  BitsPerSecond rate{0};          // 0 = unlimited
  Nanos max_queue = Nanos::from_ms(20);
  double loss = 0.0;
  double duplicate = 0.0;
  double reorder = 0.0;
};

inline DirectionConfig direction_of(const PathModel& p) {
  DirectionConfig c;
  c.rate = RateConfig{.rate = p.rate, .overhead = Bytes{0}};
  if (p.rate.bps > 0) c.queue = QueueConfig{.limit_time = p.max_queue};
  if (p.loss > 0) c.loss = BernoulliLoss{.p = Probability::from_double(p.loss)};
  c.propagation = PropagationConfig{.distance = Km{0}, .extra = p.delay};
  if (p.reorder > 0 || p.duplicate > 0) {
    c.jitter.mode = JitterMode::kReordering;
    c.jitter.reorder = Probability::from_double(p.reorder);
    c.jitter.duplicate = Probability::from_double(p.duplicate);
  }
  return c;
}

// Two hand-made connections joined by the real link model in virtual time (a simulator Dumbbell
// whose clock starts at `now`, the Pair's).
class VirtualWire {
 public:
  VirtualWire(Connection& a, Connection& b, PathModel ab, PathModel ba, uint64_t seed, Nanos now)
      : sim_(now),
        path_(sim_, direction_of(ab), direction_of(ba), seed),
        eng_a_(a),
        eng_b_(b),
        ep_a_(eng_a_),
        ep_b_(eng_b_) {
    const sim::Address addr_b = path_.add_endpoint(sim::Side::kB, ep_b_);
    eng_a_.set_peer(addr_b);
    eng_b_.set_peer(path_.add_endpoint(sim::Side::kA, ep_a_));
  }

  // Runs until `done()` or `deadline`; returns the virtual time reached.
  template <typename Done>
  Nanos run(Nanos, Nanos deadline, Done done) {
    path_.wake(0);
    path_.wake(1);
    sim_.run_until([&] { return done(); }, deadline);
    return sim_.now();
  }
  uint64_t dropped() const { return path_.stats(0).packets_dropped() + path_.stats(1).packets_dropped(); }

 private:
  sim::Simulator sim_;
  sim::Dumbbell path_;
  sim::test::ConnectionEngine eng_a_, eng_b_;
  sim::test::EngineSimEndpoint<sim::test::ConnectionEngine> ep_a_, ep_b_;
};

}  // namespace lh::xport::test

namespace lh::xport::test {

// One step of a hand-driven exchange: what to do with a captured datagram.
enum class Fate { kDeliver, kDrop, kDuplicate, kCorrupt };

// Moves datagrams both ways in 1 ms steps (firing timers) until `done()` or `steps` run out.
// `fate(from_client, index, datagram)` decides each datagram's fate; index counts per direction.
template <typename FateFn, typename Done>
void exchange(Pair& p, FateFn fate, Done done, int steps = 5000) {
  uint64_t idx[2] = {0, 0};
  for (int s = 0; s < steps && !done(); ++s) {
    for (int side = 0; side < 2; ++side) {
      Connection& from = side == 0 ? p.client() : p.server();
      Connection& to = side == 0 ? p.server() : p.client();
      if (from.next_timeout() <= p.now) from.on_timeout(p.now);
      for (auto& d : capture(from, p.now)) {
        switch (fate(side == 0, idx[side]++, static_cast<const Datagram&>(d))) {
          case Fate::kDeliver: inject(to, d, p.now); break;
          case Fate::kDrop: break;
          case Fate::kDuplicate: inject(to, d, p.now); inject(to, d, p.now); break;
          case Fate::kCorrupt: d[d.size() / 2] ^= 0x40; inject(to, d, p.now); break;
        }
      }
    }
    p.now += Nanos::from_ms(1);
  }
}

inline auto deliver_all() {
  return [](bool, uint64_t, const Datagram&) { return Fate::kDeliver; };
}

inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  Rng rng(seed);
  for (auto& b : v) b = static_cast<uint8_t>(rng.next());
  return v;
}

}  // namespace lh::xport::test
