// replay_longhaul_driver.cpp — run_longhaul_replay / run_longhaul_replay_server (replay_driver.hpp):
// the sans-IO replay sessions (replay_longhaul.hpp) on the io_uring Driver, one thread each.
//
// Client turn: poll the session (completions → schedule, releases → WRITEs/STARTs), then let the
// driver transmit and sleep until the earliest of the engine's deadline, a datagram, and the
// schedule's next release (capped at kTurn so stop requests and deadlines are noticed).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>

#include "transport/io/driver.hpp"
#include "transport/io/udp_ring.hpp"
#include "transport/tools/endpoint_engine.hpp"
#include "traces/replay_driver.hpp"

namespace lh::traces {
namespace {

using xport::tools::EndpointEngine;
using xport::tools::to_peer;

constexpr Nanos kTurn = Nanos::from_ms(20);
constexpr Nanos kCloseWait = Nanos::from_s(2);
// As lh-xfer: socket buffers with room for the largest flow-control window, and a 16 MiB initial
// window so a slow first RTT sample does not cap the first step.
constexpr int kSocketBuffer = 64 << 20;
constexpr uint64_t kInitialWindow = 16ull << 20;

xport::ConnectionConfig connection_config(const ReplayTransport& t, uint16_t mtu) {
  xport::ConnectionConfig c{.max_udp_payload = mtu, .initial_window = kInitialWindow};
  c.cc = t.cc == "cubic" ? xport::CcKind::kCubic : t.cc == "fixed" ? xport::CcKind::kFixed : xport::CcKind::kBbr;
  if (t.fixed_rate.bps > 0) c.fixed_rate = t.fixed_rate;
  return c;
}

uint64_t random_u64() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

bool stopping(const std::atomic<bool>* s) { return s != nullptr && s->load(); }

}  // namespace

ReplayClientResult run_longhaul_replay(ReplaySchedule& schedule, const ReplayClientOptions& opt) {
  using Outcome = ReplayClientResult::Outcome;
  const xport::io::SocketAddr to = xport::io::SocketAddr::parse(opt.peer);
  xport::io::UdpRing ring({.bind = xport::io::SocketAddr::any(to.family(), 0), .max_datagram = opt.mtu,
                           .tx_slots = 512, .rx_buffers = 64, .socket_buffer_bytes = kSocketBuffer});
  xport::Endpoint ep({.seed = random_u64(), .max_connections = 2, .accept = false,
                      .conn = connection_config(opt.transport, opt.mtu)});
  EndpointEngine engine(ep);
  xport::io::Driver<EndpointEngine> driver(ring, engine);
  std::optional<xport::io::QlogWriter> qlog;
  if (!opt.qlog.empty()) {
    qlog.emplace(opt.qlog, xport::io::QlogHeader{.title = "lh-trace replay", .vantage_point = "client",
                                                 .description = "to " + opt.peer}, driver.now());
    engine.set_qlog(&*qlog);
  }
  xport::Connection& data = ep.connect(to_peer(to), driver.now());
  xport::Connection& ctrl = ep.connect(to_peer(to), driver.now());
  LonghaulReplayClient client(ep, data, ctrl, schedule, random_u64(), opt.chunk);

  const Nanos connect_deadline = driver.now() + opt.connect_timeout;
  Nanos run_deadline = Nanos::max();
  ReplayClientResult res;
  while (true) {
    const Nanos now = driver.now();
    client.poll(now);
    const auto st = client.state();
    if (st == LonghaulReplayClient::State::kDone) {
      res.outcome = Outcome::kComplete;
      break;
    }
    if (st == LonghaulReplayClient::State::kFailed) {
      res = {Outcome::kFailed, client.error()};
      break;
    }
    if (stopping(opt.stop)) {
      res = {Outcome::kStopped, "stopped by a signal"};
      break;
    }
    if (st == LonghaulReplayClient::State::kConnecting && now >= connect_deadline) {
      res = {Outcome::kUnreachable,
             fmt::format("no READY from {} within {} (handshake timed out); is `lh-trace replay --serve "
                         "--transport {}` running there?", opt.peer, format(opt.connect_timeout), opt.transport.name)};
      break;
    }
    if (st == LonghaulReplayClient::State::kRunning && run_deadline == Nanos::max()) {
      run_deadline = client.started_at() + opt.duration_limit;
    }
    if (now >= run_deadline) {
      res = {Outcome::kTimedOut, fmt::format("duration limit {} reached", format(opt.duration_limit))};
      break;
    }
    const Nanos wake = std::min(client.next_wakeup(), run_deadline);
    driver.run_once(wake <= now ? Nanos{0} : std::min(kTurn, wake - now));
  }
  res.retransmits = data.stats().retransmits + ctrl.stats().retransmits;
  for (xport::Connection* c : {&data, &ctrl}) c->close(driver.now());
  driver.run_until(
      [&] {
        for (xport::Connection* c : {&data, &ctrl}) {
          if (c->state() != xport::Connection::State::kClosed && c->state() != xport::Connection::State::kLost) {
            return false;
          }
        }
        return true;
      },
      driver.now() + kCloseWait);
  return res;
}

int run_longhaul_replay_server(const ReplayServerOptions& opt) {
  const xport::io::SocketAddr listen = xport::io::SocketAddr::parse(opt.listen);
  xport::io::UdpRing ring({.bind = listen, .max_datagram = opt.mtu, .tx_slots = 512, .rx_buffers = 128,
                           .socket_buffer_bytes = kSocketBuffer});
  xport::Endpoint ep({.seed = random_u64(), .max_connections = 16, .accept = true,
                      .conn = connection_config(opt.transport, opt.mtu)});
  EndpointEngine engine(ep);
  xport::io::Driver<EndpointEngine> driver(ring, engine);
  std::optional<xport::io::QlogWriter> qlog;
  if (!opt.qlog.empty()) {
    qlog.emplace(opt.qlog, xport::io::QlogHeader{.title = "lh-trace replay --serve", .vantage_point = "server",
                                                 .description = "on " + ring.local().to_string()}, driver.now());
    engine.set_qlog(&*qlog);
  }
  LonghaulReplayServer server(ep, opt.max_region);
  if (opt.on_listening) opt.on_listening(ring.local().to_string());
  while (!stopping(opt.stop)) {
    server.poll(driver.now());
    if (opt.once && server.stats().sessions > 0 && server.open_sessions() == 0) break;
    driver.run_once(Nanos::from_ms(50));
  }
  const ReplayServerStats& s = server.stats();
  std::fprintf(stderr, "lh-trace replay --serve: %llu session(s), %llu ended cleanly; %llu bytes received, %llu sent\n",
               static_cast<unsigned long long>(s.sessions), static_cast<unsigned long long>(s.sessions_ok),
               static_cast<unsigned long long>(s.bytes_received), static_cast<unsigned long long>(s.bytes_sent));
  return opt.once ? (s.sessions_ok > 0 ? 0 : 1) : 0;
}

}  // namespace lh::traces
