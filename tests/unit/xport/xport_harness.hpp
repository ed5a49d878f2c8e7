// xport_harness.hpp — test scaffolding for the protocol engine: capture-TX / inject-RX (eRPC style)
// and a tiny virtual-time "wire" joining two connections through a queue.
//
// No sockets, no clocks: tests advance `now` by hand. PathModel adds one-way delay, an optional
// bottleneck rate with a drop-tail queue, Bernoulli loss, duplication and reordering, all drawn from
// a seeded lh::Rng so every run is identical.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <vector>

#include "src/rng.hpp"
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

struct PathModel {
  Nanos delay = Nanos::from_ms(10);
  BitsPerSecond rate{0};          // 0 = unlimited
  Nanos max_queue = Nanos::from_ms(20);
  double loss = 0.0;
  double duplicate = 0.0;
  double reorder = 0.0;           // probability of an extra 0..2 ms delay
};

// Two connections joined by two PathModels, run in virtual time by an event loop.
class VirtualWire {
 public:
  VirtualWire(Connection& a, Connection& b, PathModel ab, PathModel ba, uint64_t seed)
      : conn_{&a, &b}, path_{ab, ba}, rng_(seed) {}

  // Runs until `done()` or `deadline`; returns the virtual time reached.
  template <typename Done>
  Nanos run(Nanos now, Nanos deadline, Done done) {
    uint8_t buf[65'536];
    while (now < deadline && !done()) {
      for (int side = 0; side < 2; ++side) {
        Connection& c = *conn_[side];
        if (c.next_timeout() <= now) c.on_timeout(now);
        for (size_t n; (n = c.poll_transmit(now, std::span<uint8_t>(buf, sizeof buf))) > 0;)
          send(side, Datagram(buf, buf + n), now);
      }
      Nanos next = std::min(conn_[0]->next_timeout(), conn_[1]->next_timeout());
      if (!q_.empty()) next = std::min(next, q_.top().at);
      if (next == Nanos::max()) break;
      now = std::max(now + Nanos{1}, std::min(next, deadline));
      while (!q_.empty() && q_.top().at <= now) {
        const Event& e = q_.top();
        conn_[e.to]->on_datagram(e.d, now);
        ++delivered_;
        q_.pop();
      }
    }
    return now;
  }
  uint64_t dropped() const { return dropped_; }
  uint64_t delivered() const { return delivered_; }

 private:
  struct Event {
    Nanos at;
    uint64_t seq;
    int to;
    Datagram d;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void send(int from, Datagram d, Nanos now) {
    const PathModel& p = path_[from];
    Nanos depart = now;
    if (p.rate.bps > 0) {
      if (link_free_[from] - now > p.max_queue) {
        ++dropped_;
        return;
      }
      link_free_[from] = std::max(link_free_[from], now) + serialization_time(Bytes{d.size()}, p.rate);
      depart = link_free_[from];
    }
    if (rng_.uniform() < p.loss) {
      ++dropped_;
      return;
    }
    Nanos at = depart + p.delay;
    if (rng_.uniform() < p.reorder) at += Nanos{static_cast<int64_t>(rng_.below(2'000'000))};
    if (rng_.uniform() < p.duplicate) q_.push(Event{at + Nanos::from_us(50), seq_++, 1 - from, d});
    q_.push(Event{at, seq_++, 1 - from, std::move(d)});
  }

  Connection* conn_[2];
  PathModel path_[2];
  Nanos link_free_[2] = {Nanos{0}, Nanos{0}};
  Rng rng_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> q_;
  uint64_t seq_ = 0, dropped_ = 0, delivered_ = 0;
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
