// live_transport.cpp — see live_transport.hpp.
#include "workload/common/live_transport.hpp"

#include <fmt/format.h>

#include <optional>
#include <stdexcept>

#include "src/random_source.hpp"
#include "src/realtime.hpp"
#include "transport/io/driver.hpp"
#include "transport/io/endpoint_engine.hpp"
#include "transport/io/qlog_writer.hpp"
#include "transport/io/realtime_loop.hpp"
#include "transport/io/udp_ring.hpp"
#include "transport/proto/endpoint.hpp"
#include "transport/tcp/tcp_endpoint.hpp"
#include "workload/common/longhaul_endpoint.hpp"
#include "workload/common/tcp_transport.hpp"

namespace lh::workload {
namespace {

// Socket buffers (the kernel doubles the figure for its own accounting): room for the largest
// flow-control window (ConnectionConfig::max_window, 32 MiB) with margin, so an endpoint busy for a
// while (verifying a shard, descheduled on a loaded host) lets the socket queue the window rather
// than drop it — as TCP's receive window never exceeds its receive buffer.
constexpr int kSocketBuffer = 64 << 20;

class LonghaulLive final : public LiveTransport {
 public:
  explicit LonghaulLive(const LiveOptions& o)
      : spec_(o.transport),
        peer_(o.peer.empty() ? xport::io::SocketAddr{} : xport::io::SocketAddr::parse(o.peer)),
        ring_({.bind = o.peer.empty() ? xport::io::SocketAddr::parse(o.listen) : xport::io::SocketAddr::any(peer_.family(), 0),
               .max_datagram = o.mtu, .tx_slots = 512, .rx_buffers = o.peer.empty() ? 128u : 64u,
               .allow_gso = o.allow_gso, .allow_gro = o.allow_gro, .allow_multishot = o.allow_multishot,
               .socket_buffer_bytes = kSocketBuffer}),
        ep_(endpoint_config(o)),
        engine_(ep_),
        driver_(ring_, engine_, {}, xport::io::driver_config(o.realtime, o.tool.c_str())),
        surface_(ep_, xport::io::to_peer(peer_),
                 [](const xport::PeerAddr& p) { return xport::io::from_peer(p).to_string(); }) {
    if (!o.qlog.empty()) {
      qlog_.emplace(o.qlog,
                    xport::io::QlogHeader{.title = o.tool, .vantage_point = o.peer.empty() ? "server" : "client",
                                          .description = o.peer.empty() ? "on " + ring_.local().to_string()
                                                                        : "to " + o.peer},
                    driver_.now());
      engine_.set_qlog(&*qlog_);
    }
  }

  TransportEndpoint& endpoint() override { return surface_; }
  Nanos now() const override { return driver_.now(); }
  void turn(Nanos max_wait) override { driver_.run_once(max_wait); }
  std::string local() const override { return ring_.local().to_string(); }
  std::string describe() const override { return "io_uring: " + ring_.features().to_string(); }
  void annotate(XferSummary& s) const override {
    s.transport = spec_.name();
    s.cc = spec_.cc == xport::CcKind::kBbr     ? "bbr"
           : spec_.cc == xport::CcKind::kCubic ? "cubic"
                                               : "fixed:" + format(spec_.fixed_rate);
    s.gso = ring_.gso_active();
    s.gro = ring_.gro_active();
  }
  std::string io_stats() const override {
    return fmt::format("{}; driver {} turns, {} timeouts, {} CPU-budget pauses", xport::io::to_string(ring_.stats()),
                       driver_.stats().turns, driver_.stats().timeouts_fired, driver_.stats().budget_pauses);
  }
  bool flush() override { return !qlog_ || qlog_->flush(); }

 private:
  static xport::EndpointConfig endpoint_config(const LiveOptions& o) {
    xport::EndpointConfig c{.random = std::make_shared<SystemRandom>(), .max_connections = o.peer.empty() ? o.max_channels : 2,
                            .accept = o.peer.empty()};
    c.conn.max_udp_payload = o.mtu;
    // A 16 MiB window before the first BDP measurement, so a scheduling hiccup that inflates the RTT
    // to milliseconds on a busy host does not cap the rate at window / RTT.
    c.conn.initial_window = o.initial_window;
    apply_to(o.transport, c.conn);
    if (c.conn.protection != xport::Protection::kNone && o.psk == nullptr) {
      throw std::runtime_error("--transport " + o.transport.name() + " needs a pre-shared key: --psk FILE");
    }
    c.conn.psk = o.psk;
    return c;
  }

  TransportSpec spec_;
  xport::io::SocketAddr peer_;
  xport::io::UdpRing ring_;
  xport::Endpoint ep_;
  xport::io::EndpointEngine engine_;
  xport::io::Driver<xport::io::EndpointEngine> driver_;
  LonghaulEndpoint surface_;
  std::optional<xport::io::QlogWriter> qlog_;
};

class TcpLive final : public LiveTransport {
 public:
  explicit TcpLive(const LiveOptions& o)
      : spec_(o.transport),
        ep_({.streams = o.transport.streams, .cc = o.transport.tcp_cc, .buffer_bytes = o.tcp_buffer_bytes,
             .max_channels = static_cast<uint32_t>(o.max_channels)}),
        surface_(ep_, o.peer) {
    if (o.realtime) {
      // Kernel TCP does its protocol work in softirq; only the application loop needs the priority.
      if (const std::string err = make_thread_realtime(xport::io::kLoopPriority); !err.empty()) {
        std::fprintf(stderr, "%s: --realtime: %s (continuing without)\n", o.tool.c_str(), err.c_str());
      }
    }
    if (o.peer.empty()) ep_.listen(o.listen);
    buffer_ = o.tcp_buffer_bytes;
  }

  TransportEndpoint& endpoint() override { return surface_; }
  Nanos now() const override { return clock_.now(); }
  void turn(Nanos max_wait) override { ep_.run_for(max_wait); }
  std::string local() const override { return ep_.local(); }
  std::string describe() const override {
    const xport::tcp::BufferGrant g = ep_.rcvbuf();
    return buffer_ == 0 ? "tcp, buffers autotuned" : fmt::format("tcp, rcvbuf {} B of {} B requested", g.granted, g.requested);
  }
  void annotate(XferSummary& s) const override {
    s.transport = spec_.name();
    s.cc = spec_.tcp_cc;
    s.streams = spec_.streams;
    s.sndbuf_requested = ep_.sndbuf().requested;
    s.sndbuf_granted = ep_.sndbuf().granted;
  }
  std::string warnings() const override {
    std::string out;
    const auto note = [&](const char* what, const char* sysctl, const xport::tcp::BufferGrant& g) {
      if (g.capped()) out += fmt::format("{} capped at {} B of {} B requested (raise {})\n", what, g.granted, g.requested, sysctl);
    };
    note("SO_SNDBUF", "net.core.wmem_max", ep_.sndbuf());
    note("SO_RCVBUF", "net.core.rmem_max", ep_.rcvbuf());
    return out;
  }

 private:
  MonotonicClock clock_;
  TransportSpec spec_;
  xport::tcp::TcpEndpoint ep_;
  TcpTransport surface_;
  uint64_t buffer_ = 0;
};

template <typename F>
auto parse_flag(const char* flag, const std::string& text, F&& parse) {
  try {
    return parse(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string(flag) + " " + text + ": " + e.what());
  }
}

}  // namespace

uint64_t tcp_buffer_from_flags(const std::string& bdp, const std::string& rate, const std::string& rtt) {
  if (!bdp.empty() && (!rate.empty() || !rtt.empty())) {
    throw std::invalid_argument("--bdp: give either --bdp or --rate with --rtt, not both");
  }
  if (rate.empty() != rtt.empty()) throw std::invalid_argument("--rate and --rtt go together (the BDP is rate x rtt)");
  if (!bdp.empty()) {
    const Bytes b = parse_flag("--bdp", bdp, parse_bytes);
    if (b.n == 0 || b.n > (1ull << 40)) throw std::invalid_argument("--bdp " + bdp + ": must be from 1B to 1TiB");
    return b.n * 2;
  }
  if (rate.empty()) return 0;
  const BitsPerSecond r = parse_flag("--rate", rate, parse_rate);
  const Nanos t = parse_flag("--rtt", rtt, parse_duration);
  const uint64_t bytes = xport::tcp::buffer_bytes_for(r, t);
  if (bytes == 0) throw std::invalid_argument("--rate and --rtt must be above 0");
  return bytes;
}

std::unique_ptr<LiveTransport> open_live_transport(const LiveOptions& o) {
  if (o.transport.tcp()) return std::make_unique<TcpLive>(o);
  return std::make_unique<LonghaulLive>(o);
}

}  // namespace lh::workload
