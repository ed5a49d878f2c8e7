// xfer_server.cpp — see xfer_server.hpp.
#include "transport/tools/xfer_server.hpp"

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "transport/io/driver.hpp"
#include "transport/io/udp_ring.hpp"
#include "transport/proto/endpoint.hpp"
#include "transport/tools/endpoint_engine.hpp"
#include "transport/tools/realtime_loop.hpp"
#include "transport/tools/huge_buffer.hpp"
#include "transport/tools/xfer_control.hpp"
#include "transport/tools/xfer_pattern.hpp"

namespace lh::xport::tools {
namespace {

constexpr uint64_t kInitialWindow = 16ull << 20;  // bytes
// Socket buffers (the kernel doubles the figure for its own accounting): room for the largest
// flow-control window (ConnectionConfig::max_window, 32 MiB) with margin, so a receiver that is busy
// for a while (verifying a shard, descheduled on a loaded host) lets the socket queue the window
// rather than drop it — as TCP's receive window never exceeds its receive buffer.
constexpr int kSocketBuffer = 64 << 20;  // bytes

constexpr uint64_t kWrHello = 1;
constexpr uint64_t kWrDone = 2;
constexpr uint64_t kWrReady = 3;
constexpr uint64_t kWrReport = 4;

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }

struct Session {
  Connection* conn = nullptr;
  ConnectionId cid = 0;
  std::string peer;
  ControlMessage hello{}, done{}, ready{}, report{};
  // Huge pages, faulted in by a helper thread when the HELLO is accepted (as registering memory for
  // RDMA pins it) while the event loop keeps the connection alive; READY follows once it is done,
  // so the transfer does not pay for page faults on its first pass over the region.
  HugeBuffer region;
  std::thread populate;
  std::atomic<bool> populated{false};
  bool preparing = false;  // populate running; READY not sent yet
  MemoryRegion mr{};
  uint64_t total = 0, shard = 0, slots = 0, seed = 0, nshards = 0;
  uint64_t verified = 0, bad = 0, verified_bytes = 0;
  bool got_hello = false, got_done = false;

  ~Session() {
    if (populate.joinable()) populate.join();
  }
};

std::span<uint8_t> bytes_of(ControlMessage& m) { return {reinterpret_cast<uint8_t*>(&m), sizeof(m)}; }

}  // namespace

int run_server(const ServerOptions& opt) {
  io::UdpRing ring({.bind = opt.listen, .max_datagram = opt.mtu, .tx_slots = 512, .rx_buffers = 128,
                    .allow_gso = opt.allow_gso, .allow_gro = opt.allow_gro,
                    .allow_multishot = opt.allow_multishot,
                    .socket_buffer_bytes = kSocketBuffer});
  std::random_device rd;
  EndpointConfig ecfg{.seed = (static_cast<uint64_t>(rd()) << 32) | rd(), .max_connections = 16, .accept = true};
  ecfg.conn.max_udp_payload = opt.mtu;
  // Bulk transfer: start with a 16 MiB flow-control window so a scheduling hiccup that inflates the
  // RTT to milliseconds on a busy host does not cap the rate at window / RTT (4 MiB / 27 ms = 1.2 Gbit/s).
  ecfg.conn.initial_window = kInitialWindow;
  Endpoint ep(ecfg);
  EndpointEngine engine(ep);
  io::Driver<EndpointEngine> driver(ring, engine, {}, driver_config(opt.realtime));
  std::optional<io::QlogWriter> qlog;
  if (!opt.qlog.empty()) {
    qlog.emplace(opt.qlog, io::QlogHeader{.title = "lh-xfer serve", .vantage_point = "server",
                                          .description = "on " + ring.local().to_string()}, driver.now());
    engine.set_qlog(&*qlog);
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (!opt.quiet) {
    std::printf("lh-xfer: listening on %s (%s)\n", ring.local().to_string().c_str(), ring.features().to_string().c_str());
    std::fflush(stdout);
  }

  std::vector<std::unique_ptr<Session>> sessions;
  int exit_code = 1;
  bool finished_one = false;
  auto find = [&](ConnectionId cid) -> Session* {
    for (auto& s : sessions)
      if (s->cid == cid) return s.get();
    return nullptr;
  };

  while (!g_stop && !(opt.once && finished_one)) {
    driver.run_once(Nanos::from_ms(50));
    while (Connection* c = ep.poll_accept()) {
      auto s = std::make_unique<Session>();
      s->conn = c;
      s->cid = c->local_cid();
      s->peer = from_peer(c->peer_addr()).to_string();
      c->post_recv(kWrHello, bytes_of(s->hello));
      sessions.push_back(std::move(s));
    }
    while (auto comp = ep.poll_completion()) {
      Session* s = find(comp->conn);
      if (s == nullptr) continue;
      if (comp->kind == OpKind::kRemoteWrite) {
        const uint64_t i = comp->imm;
        const bool placed = comp->status == Status::kSuccess && comp->has_imm && i < s->nshards &&
                            comp->rkey == s->mr.rkey && comp->remote_offset == (i % s->slots) * s->shard &&
                            comp->byte_len == std::min(s->shard, s->total - i * s->shard);
        if (placed && check_shard(std::span<const uint8_t>(s->region.get() + comp->remote_offset, comp->byte_len),
                                  i, s->seed)) {
          ++s->verified;
          s->verified_bytes += comp->byte_len;
        } else {
          ++s->bad;
        }
      } else if (comp->kind == OpKind::kRecv && comp->wr_id == kWrHello && comp->status == Status::kSuccess) {
        auto h = parse_control(std::span<const uint8_t>(bytes_of(s->hello).data(), comp->byte_len), ControlType::kHello);
        s->ready = ControlMessage{.type = ControlType::kReady};
        if (!h || h->a == 0 || h->b == 0 || h->slots == 0 || (h->a + h->b - 1) / h->b > UINT32_MAX) {
          s->ready.status = static_cast<uint32_t>(ReadyStatus::kBadRequest);
        } else {
          s->total = h->a;
          s->shard = h->b;
          s->seed = h->c;
          s->nshards = (s->total + s->shard - 1) / s->shard;
          s->slots = std::min<uint64_t>(h->slots, s->nshards);
          const uint64_t len = std::min(s->total, s->slots * s->shard);
          if (len > opt.max_region) {
            s->ready.status = static_cast<uint32_t>(ReadyStatus::kTooLarge);
          } else {
            // READY (with the rkey) follows once the region is faulted in, off the event loop.
            s->region.reset(len);
            s->got_hello = true;
            s->preparing = true;
            Session* raw = s;
            s->populate = std::thread([raw] {
              lh::make_thread_normal();  // faulting in gigabytes: never at the loop's realtime priority
              raw->region.populate();
              raw->populated.store(true, std::memory_order_release);
            });
            continue;
          }
        }
        s->conn->post_send(kWrReady, bytes_of(s->ready));
      } else if (comp->kind == OpKind::kRecv && comp->wr_id == kWrDone && comp->status == Status::kSuccess) {
        s->got_done = true;
        s->report = ControlMessage{.type = ControlType::kReport, .a = s->verified, .b = s->bad, .c = s->verified_bytes};
        s->conn->post_send(kWrReport, bytes_of(s->report));
      }
    }
    for (auto& sp : sessions) {
      Session& s = *sp;
      if (!s.preparing || !s.populated.load(std::memory_order_acquire)) continue;
      s.populate.join();
      s.preparing = false;
      s.mr = ep.memory().register_region(std::span<uint8_t>(s.region.get(), s.region.size()));
      s.ready.slots = static_cast<uint32_t>(s.slots);
      s.ready.a = s.mr.rkey;
      s.ready.b = s.region.size();
      s.conn->post_recv(kWrDone, bytes_of(s.done));
      s.conn->post_send(kWrReady, bytes_of(s.ready));
    }
    for (auto it = sessions.begin(); it != sessions.end();) {
      Session& s = **it;
      const auto st = s.conn->state();
      if (st != Connection::State::kClosed && st != Connection::State::kLost) {
        ++it;
        continue;
      }
      const bool ok = s.got_done && s.bad == 0 && s.verified == s.nshards;
      if (!opt.quiet) {
        std::printf("lh-xfer: %s %s: %llu of %llu shards verified (%llu bytes), %llu bad%s\n", s.peer.c_str(),
                    st == Connection::State::kClosed ? "closed" : "lost", static_cast<unsigned long long>(s.verified),
                    static_cast<unsigned long long>(s.nshards), static_cast<unsigned long long>(s.verified_bytes),
                    static_cast<unsigned long long>(s.bad), ok ? "" : "  (INCOMPLETE)");
        std::fflush(stdout);
      }
      if (s.mr.rkey != 0) ep.memory().deregister(s.mr.rkey);
      ep.remove(s.cid);
      if (s.got_hello) {
        finished_one = true;
        exit_code = ok ? 0 : 1;
      }
      it = sessions.erase(it);
    }
  }
  if (opt.io_stats) {
    std::fprintf(stderr, "lh-xfer serve io: %s; %llu CPU-budget pauses\n", io::to_string(ring.stats()).c_str(),
                 static_cast<unsigned long long>(driver.stats().budget_pauses));
  }
  return opt.once ? exit_code : 0;
}

}  // namespace lh::xport::tools
