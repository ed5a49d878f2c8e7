// transport_scenario.hpp — bulk WRITE transfers of the longhaul transport over an emulated long-haul
// path in virtual time, with the figures the transport tests assert on.
//
// Each flow is a client lh::xport::Endpoint on side A of a Dumbbell that WRITEs `bytes` into a
// memory region registered on its own server endpoint on side B. So that a multi-GiB transfer fits in
// memory, the region is a ring of `region_size / write_size` slots: each write lands in a free slot,
// its bytes taken from a random offset of a seeded random source pool; when write i completes, the
// slot is compared with the source bytes it came from (memcmp, and XXH3 of both streams over the
// whole transfer), zeroed, and reused by the next write. Every delivered byte is checked, and a late
// duplicate that overwrote a reused slot would be caught. The scenario records when the client sent
// its first data packet, when each write completed and the bytes placed at each receiver every
// millisecond: goodput (first data packet → last completion), rate per RTT window, flow shares.
// Sizes bytes, rates bit/s, times lh::Nanos (virtual). Datagrams are 8972 B (9000 B jumbo MTU, as on
// DCI links): with a 1500 B MTU the engine's and the link's headers alone cap goodput at 91% of rate.
#pragma once

#include <fmt/core.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "emulator/sim/dumbbell.hpp"
#include "emulator/sim/simulator.hpp"
#include "src/link_profile.hpp"
#include "src/rng.hpp"
#include "src/units.hpp"
#include "tests/sim/transport_sim_endpoint.hpp"

namespace lh::sim::test {

inline constexpr uint16_t kJumboUdpPayload = 8972;  // 9000 B MTU − IPv4 20 − UDP 8

// One direction of the test path: `rate` bottleneck with a drop-tail queue of `queue` bytes,
// `one_way` fixed propagation delay, the given loss model.
inline DirectionConfig path_direction(BitsPerSecond rate, Nanos one_way, Bytes queue, LossConfig loss = NoLoss{}) {
  DirectionConfig c;
  c.rate = RateConfig{.rate = rate, .overhead = Bytes{24}};
  c.queue = QueueConfig{.limit_bytes = queue};
  c.loss = std::move(loss);
  c.propagation = PropagationConfig{.distance = Km{0}, .per_km = Nanos{4'900}, .extra = one_way};
  return c;
}

// Bandwidth-delay product of a round trip of 2·one_way at `rate`.
inline Bytes bdp(BitsPerSecond rate, Nanos one_way) { return bytes_in(one_way * 2, rate); }

// Transfer size of the 1 Gbit/s tests: LH_SIM_SCALE (a size, "2GiB") or `fallback`.
inline uint64_t scaled_bytes(uint64_t fallback) {
  const char* env = std::getenv("LH_SIM_SCALE");
  if (env == nullptr || *env == '\0') return fallback;
  return parse_bytes(env).n;  // throws ParseError naming the bad value
}

inline std::string mib(uint64_t bytes) { return fmt::format("{}MiB", bytes >> 20); }

struct FlowResult {
  uint64_t bytes = 0;
  size_t writes = 0, completed = 0, failed = 0, remote_completed = 0, mismatched_writes = 0;
  Nanos first_data{Nanos::max()}, last_completion{0};
  uint64_t source_xxh3 = 0, dest_xxh3 = 0;
  xport::ConnectionStats client{}, server{};
  xport::EndpointStats server_endpoint{};
  uint64_t link_dropped = 0, link_reordered = 0;  // the data direction's ground truth (FlowStats)
  xport::Connection::State client_state{}, server_state{};
  bool done() const { return completed + failed == writes; }
  bool data_identical() const {
    return completed == writes && mismatched_writes == 0 && source_xxh3 == dest_xxh3;
  }
  double goodput_bps() const {
    const Nanos t = last_completion - first_data;
    return t.ns > 0 ? static_cast<double>(bytes) * 8e9 / static_cast<double>(t.ns) : 0.0;
  }
};

class TransportScenario final : private Actor {
 public:
  static constexpr Nanos kSampleEvery = Nanos::from_ms(1);

  struct Config {
    DirectionConfig a_to_b, b_to_a;
    uint64_t seed = 1;
    xport::ConnectionConfig conn{.max_udp_payload = kJumboUdpPayload};
    size_t flows = 1;
    uint64_t bytes_per_flow = 64ull << 20;
    uint64_t write_size = 16ull << 20;    // the transfer is posted as writes of this size
    uint64_t region_size = 256ull << 20;  // receiver region (a ring of write_size slots), >> BDP
  };

  explicit TransportScenario(const Config& cfg) : cfg_(cfg), path_(sim_, cfg.a_to_b, cfg.b_to_a, cfg.seed) {
    slots_ = std::max<uint64_t>(1, cfg.region_size / cfg.write_size);
    for (size_t f = 0; f < cfg.flows; ++f) flows_.push_back(std::make_unique<Flow>(cfg, f, slots_));
    sim_.schedule(sim_.now(), *this, 0);
    for (auto& fl : flows_) start(*fl);
  }

  // Runs until every write has completed (or failed) or `limit` of virtual time passed. Returns
  // true if every flow finished.
  bool run(Nanos limit) {
    const bool ok = sim_.run_until([&] { return collect(); }, sim_.now() + limit);
    for (auto& fl : flows_) finish(*fl);
    return ok;
  }

  const FlowResult& result(size_t f) const { return flows_.at(f)->r; }
  // Bytes placed at flow f's receiver at virtual time t (sampled every kSampleEvery).
  uint64_t placed_at(size_t f, Nanos t) const {
    const auto& s = flows_.at(f)->placed;
    if (s.empty() || t.ns < 0) return 0;
    const size_t i = std::min<size_t>(static_cast<size_t>(t.ns / kSampleEvery.ns), s.size() - 1);
    return s[i];
  }
  // Payload rate (bit/s) delivered to flow f's receiver during [from, from + len).
  double delivered_rate(size_t f, Nanos from, Nanos len) const {
    return static_cast<double>(placed_at(f, from + len) - placed_at(f, from)) * 8e9 / static_cast<double>(len.ns);
  }
  // Delivered rates (Mbit/s) of flow f in `n` consecutive windows of `len` from `from`, for messages.
  std::string rate_trace(size_t f, Nanos from, Nanos len, int n) const {
    std::string out;
    for (int k = 0; k < n; ++k) out += fmt::format("{}{:.0f}", k ? " " : "", delivered_rate(f, from + len * k, len) * 1e-6);
    return out;
  }
  const xport::Connection& client_connection(size_t f) const { return *flows_.at(f)->conn; }
  Simulator& sim() { return sim_; }
  Dumbbell& path() { return path_; }

 private:
  struct Flow {
    Flow(const Config& cfg, size_t index, uint64_t slots)
        : client(endpoint_config(cfg, 1000 + index)), server(endpoint_config(cfg, 2000 + index)),
          source(std::min(cfg.bytes_per_flow, slots * cfg.write_size) + cfg.write_size),
          dest(std::min(cfg.bytes_per_flow, slots * cfg.write_size), 0), src_off(slots), rng(cfg.seed, 200 + index) {
      Rng fill(cfg.seed, 100 + index);
      size_t i = 0;
      for (; i + 8 <= source.size(); i += 8) {
        const uint64_t v = fill.next();
        std::memcpy(source.data() + i, &v, 8);
      }
      for (; i < source.size(); ++i) source[i] = static_cast<uint8_t>(fill.next());
      r.bytes = cfg.bytes_per_flow;
      XXH3_64bits_reset(src_hash);
      XXH3_64bits_reset(dst_hash);
    }
    ~Flow() {
      XXH3_freeState(src_hash);
      XXH3_freeState(dst_hash);
    }
    Flow(const Flow&) = delete;
    Flow& operator=(const Flow&) = delete;
    static xport::EndpointConfig endpoint_config(const Config& cfg, uint64_t salt) {
      return xport::EndpointConfig{.seed = cfg.seed * 7919 + salt, .max_connections = 4, .conn = cfg.conn};
    }
    TransportSimEndpoint client, server;
    std::vector<uint8_t> source, dest;
    std::vector<uint64_t> src_off;             // per slot: source offset of the write in flight
    Rng rng;                                   // picks source offsets
    uint64_t rkey = 0, next_write = 0, total_writes = 0;
    Address client_addr = kNoAddress;
    xport::Connection* conn = nullptr;         // client side
    xport::Connection* server_conn = nullptr;  // accepted on the server
    std::vector<uint64_t> placed;              // placed bytes at the receiver, every kSampleEvery
    XXH3_state_t* src_hash = XXH3_createState();
    XXH3_state_t* dst_hash = XXH3_createState();
    FlowResult r;
  };

  uint64_t write_len(const Flow& fl, uint64_t i) const {
    return std::min(cfg_.write_size, fl.r.bytes - i * cfg_.write_size);
  }

  // Posts write `fl.next_write` into free slot `slot`, from a fresh random source offset. Writes may
  // complete out of order, so the slot travels in the wr_id: (write index << 20) | slot.
  void post_next(Flow& fl, uint64_t slot) {
    const uint64_t i = fl.next_write++;
    const uint64_t len = write_len(fl, i);
    fl.src_off[slot] = fl.rng.below(fl.source.size() - len + 1);
    const auto res = fl.conn->post_write({.wr_id = i << 20 | slot, .local = std::span(fl.source).subspan(fl.src_off[slot], len),
                                          .rkey = fl.rkey, .remote_offset = slot * cfg_.write_size});
    ++(res == xport::PostResult::kOk ? fl.r.writes : fl.r.failed);
  }

  void start(Flow& fl) {
    const Address server_addr = path_.add_endpoint(Side::kB, fl.server);
    fl.rkey = fl.server.engine().memory().register_region(fl.dest).rkey;
    fl.conn = &fl.client.engine().connect(peer_of(server_addr), sim_.now());
    fl.total_writes = (fl.r.bytes + cfg_.write_size - 1) / cfg_.write_size;
    while (fl.next_write < std::min(slots_, fl.total_writes)) post_next(fl, fl.next_write);
    fl.client_addr = path_.add_endpoint(Side::kA, fl.client);
  }

  // Write `wr_id` completed: check its slot against the source bytes, free the slot, post the next write.
  void on_write_done(Flow& fl, uint64_t wr_id) {
    const uint64_t i = wr_id >> 20, slot = wr_id & ((1u << 20) - 1), len = write_len(fl, i);
    uint8_t* d = fl.dest.data() + slot * cfg_.write_size;
    const uint8_t* s = fl.source.data() + fl.src_off[slot];
    if (std::memcmp(d, s, len) != 0) ++fl.r.mismatched_writes;
    XXH3_64bits_update(fl.src_hash, s, len);
    XXH3_64bits_update(fl.dst_hash, d, len);
    std::memset(d, 0, len);
    if (fl.next_write < fl.total_writes) {
      post_next(fl, slot);
      path_.wake(fl.client_addr);
    }
  }

  // After every event: drains completion queues; true when every flow is done.
  bool collect() {
    bool all = true;
    for (auto& fl : flows_) {
      if (fl->r.first_data == Nanos::max() && fl->conn->stats().data_packets_sent > 0) fl->r.first_data = sim_.now();
      while (auto c = fl->client.engine().poll_completion()) {
        fl->r.last_completion = sim_.now();
        if (c->status != xport::Status::kSuccess) {
          ++fl->r.failed;
          continue;
        }
        ++fl->r.completed;
        on_write_done(*fl, c->wr_id);
      }
      while (auto c = fl->server.engine().poll_completion())
        if (c->kind == xport::OpKind::kRemoteWrite && c->status == xport::Status::kSuccess) ++fl->r.remote_completed;
      all = all && fl->r.done() && fl->next_write == fl->total_writes;
    }
    return all;
  }

  // Actor: samples the bytes placed at every receiver.
  void on_event(Nanos now, uint64_t) override {
    for (auto& fl : flows_) {
      if (fl->server_conn == nullptr) fl->server_conn = fl->server.engine().poll_accept();
      fl->placed.push_back(fl->server_conn ? fl->server_conn->stats().placed_bytes : 0);
    }
    sim_.schedule(now + kSampleEvery, *this, 0);
  }

  void finish(Flow& fl) {
    fl.r.source_xxh3 = XXH3_64bits_digest(fl.src_hash);
    fl.r.dest_xxh3 = XXH3_64bits_digest(fl.dst_hash);
    fl.r.client = fl.conn->stats();
    fl.r.client_state = fl.conn->state();
    fl.r.server_endpoint = fl.server.engine().stats();
    fl.r.link_dropped = path_.stats(fl.client_addr).packets_dropped();
    fl.r.link_reordered = path_.stats(fl.client_addr).reordered();
    if (fl.server_conn == nullptr) fl.server_conn = fl.server.engine().poll_accept();
    if (fl.server_conn) {
      fl.r.server = fl.server_conn->stats();
      fl.r.server_state = fl.server_conn->state();
    }
  }

  Config cfg_;
  Simulator sim_;
  Dumbbell path_;
  uint64_t slots_ = 1;
  std::vector<std::unique_ptr<Flow>> flows_;
};

// One line with the figures of a flow, printed by every test and in every failing assertion.
inline std::string figures(const FlowResult& r, BitsPerSecond rate) {
  const double secs = (r.last_completion - r.first_data).seconds();
  return fmt::format("{} in {:.3f}s: goodput {:.1f} Mbit/s = {:.4f} x rate {:.0f} Mbit/s; writes {}/{} ok "
                     "({} failed); data packets {}, retransmits {}, lost {}, spurious {}, PTOs {}; link dropped {}, "
                     "reordered {}; "
                     "receiver: crc drops {}, duplicates {}, refused {} (window {}, unannounced {}, malformed {}, state {}); "
                     "data identical {} ({} mismatched writes)",
                     mib(r.bytes), secs, r.goodput_bps() * 1e-6, r.goodput_bps() / static_cast<double>(rate.bps),
                     rate.mbit(), r.completed, r.writes, r.failed, r.client.data_packets_sent, r.client.retransmits,
                     r.client.packets_lost, r.client.spurious_losses, r.client.rto_count, r.link_dropped, r.link_reordered,
                     r.server_endpoint.dropped_bad_crc + r.server.dropped_bad_crc, r.server.dropped_duplicate,
                     r.server.dropped_window + r.server.dropped_unannounced + r.server.dropped_malformed +
                         r.server.dropped_contradicting + r.server.dropped_state,
                     r.server.dropped_window, r.server.dropped_unannounced, r.server.dropped_malformed,
                     r.server.dropped_state, r.data_identical(), r.mismatched_writes);
}

}  // namespace lh::sim::test
