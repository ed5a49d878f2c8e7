// lh_xfer.cpp — the lh-xfer command line: `serve` and `send`, over the longhaul transport (default;
// xfer_server.hpp, xfer_client.hpp) or its TCP baseline (`--transport tcp`; transport/tcp/tcp_tool.hpp).
//
//   lh-xfer serve --listen 0.0.0.0:9000 [--once] [--max-region 4GiB] [--transport longhaul|tcp]
//   lh-xfer send --to 10.0.0.2:9000 --size 8GiB --shard 64MiB [--slots 4] [--json]
//                [--duration-limit 60s] [--connect-timeout 3s]
//                longhaul: [--cc bbr|cubic|fixed:900mbit] [--mtu 1472B] [--no-gso] ...
//                tcp:      --transport tcp [--cc cubic|bbr|reno] [--streams 8] [--bdp 64MiB | --rate R --rtt T]
// Sizes, rates and durations always carry units (src/units.hpp). Any bad flag or unreachable peer is
// one line on stderr and a non-zero exit: 2 bad flag / unreachable, 1 refused / failed / not
// verified, 3 the duration limit stopped the transfer (its summary is still printed).
#include <unistd.h>

#include <initializer_list>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "src/units.hpp"
#if LH_XFER_TCP
#include "transport/tcp/tcp_error.hpp"
#include "transport/tcp/tcp_tool.hpp"
#include "transport/tcp/tcp_wire.hpp"
#endif
#include "transport/tools/xfer_client.hpp"
#include "transport/tools/xfer_server.hpp"

namespace {

using lh::xport::CcKind;

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename F>
auto parse_flag(const char* flag, const std::string& text, F&& parse) {
  try {
    return parse(text);
  } catch (const std::exception& e) {
    throw Fail(std::string(flag) + ": " + e.what());
  }
}

void parse_cc(const std::string& text, lh::xport::tools::ClientOptions& o) {
  if (text == "bbr") {
    o.cc = CcKind::kBbr;
  } else if (text == "cubic") {
    o.cc = CcKind::kCubic;
  } else if (text.rfind("fixed:", 0) == 0) {
    o.cc = CcKind::kFixed;
    o.fixed_rate = parse_flag("--cc", text.substr(6), lh::parse_rate);
    if (o.fixed_rate.bps == 0) throw Fail("--cc: fixed rate must be above 0bit");
  } else {
    throw Fail("--cc \"" + text + "\": expected bbr, cubic or fixed:RATE (e.g. fixed:900mbit)");
  }
}

uint16_t parse_mtu(const std::string& text) {
  const lh::Bytes b = parse_flag("--mtu", text, lh::parse_bytes);
  if (b.n < 256 || b.n > 65507) throw Fail("--mtu " + text + ": the UDP payload must be from 256B to 65507B");
  return static_cast<uint16_t>(b.n);
}

#if LH_XFER_TCP
constexpr unsigned kMaxStreams = lh::xport::tcp::kMaxStreams;

// Socket buffer bytes per TCP stream from --bdp or --rate with --rtt (the message names the flags).
uint64_t tcp_buffer(const std::string& bdp, const std::string& rate, const std::string& rtt) {
  try {
    return lh::xport::tcp::buffer_bytes_from_flags(bdp, rate, rtt);
  } catch (const std::invalid_argument& e) {
    throw Fail(e.what());
  }
}
#else
constexpr unsigned kMaxStreams = 64;
#endif

enum class Transport { kLonghaul, kTcp };

Transport parse_transport(const std::string& text) {
  if (text == "longhaul") return Transport::kLonghaul;
#if LH_XFER_TCP
  if (text == "tcp") return Transport::kTcp;
#else
  if (text == "tcp") throw Fail("--transport tcp: this lh-xfer was built without the TCP baseline (Boost)");
#endif
  throw Fail("--transport \"" + text + "\": expected longhaul or tcp");
}

// A flag that only one transport understands, given with the other: an error, not silently ignored.
void only_for(const CLI::App* cmd, Transport t, Transport wanted, std::initializer_list<const char*> flags) {
  if (t == wanted) return;
  for (const char* f : flags) {
    if (cmd->count(f) > 0) {
      throw Fail(std::string(f) + " applies to --transport " + (wanted == Transport::kTcp ? "tcp" : "longhaul"));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lh-xfer — bulk one-sided WRITEs over the longhaul transport (io_uring UDP), or over TCP "
               "(--transport tcp: the baseline, N parallel streams)"};
  app.require_subcommand(1);

  std::string listen, s_max_region = "4GiB", s_mtu_srv = "1472B", srv_transport = "longhaul";
  std::string s_bdp_srv, s_rate_srv, s_rtt_srv;
  bool once = false, srv_no_gso = false, srv_no_gro = false, srv_no_ms = false, srv_stats = false, srv_rt = false;
  CLI::App* serve = app.add_subcommand("serve", "accept transfers and verify every shard");
  serve->add_option("--listen", listen, "ADDR:PORT to bind, e.g. 0.0.0.0:9000 or [::]:9000")->required();
  serve->add_option("--transport", srv_transport, "longhaul (UDP, default) or tcp (the TCP baseline)");
  serve->add_option("--bdp", s_bdp_srv, "tcp: bandwidth-delay product; SO_RCVBUF = 2 x BDP per stream (e.g. 64MiB)");
  serve->add_option("--rate", s_rate_srv, "tcp: path rate for the BDP (with --rtt, e.g. 10gbit)");
  serve->add_option("--rtt", s_rtt_srv, "tcp: path RTT for the BDP (with --rate, e.g. 50ms)");
  serve->add_flag("--once", once, "exit after one transfer (exit code 0 only if it verified)");
  serve->add_option("--max-region", s_max_region, "largest region a transfer may register (e.g. 4GiB)");
  serve->add_option("--mtu", s_mtu_srv, "largest UDP payload (e.g. 1472B)");
  serve->add_flag("--no-gso", srv_no_gso, "send one datagram per sendmsg");
  serve->add_flag("--no-gro", srv_no_gro, "receive without UDP GRO");
  serve->add_flag("--no-multishot", srv_no_ms, "receive with batched single-shot recvmsg");
  serve->add_flag("--io-stats", srv_stats, "print datapath counters on stderr at exit");
  std::string srv_qlog, qlog;
  serve->add_option("--qlog", srv_qlog, "write the congestion controller's state over time to FILE (qlog JSON-SEQ, "
                                       ".sqlog: qvis reads it)");
  serve->add_flag("--realtime", srv_rt, "run the event loop SCHED_FIFO (needs root; for a shared host: a busy "
                                        "CPU then delays neither pacing nor ACKs)");

  std::string to, s_size, s_shard = "64MiB", s_cc, s_limit = "600s", s_connect = "3s", s_mtu = "1472B";
  std::string transport = "longhaul", s_bdp, s_rate, s_rtt;
  unsigned slots = 4, streams = 1;
  bool json = false, no_gso = false, no_gro = false, no_ms = false, io_stats = false, realtime = false;
  CLI::App* send = app.add_subcommand("send", "write --size bytes into a server's memory, shard by shard");
  send->add_option("--to", to, "server ADDR:PORT")->required();
  send->add_option("--transport", transport, "longhaul (UDP, default) or tcp (the TCP baseline)");
  send->add_option("--size", s_size, "bytes to transfer (e.g. 8GiB)")->required();
  send->add_option("--shard", s_shard, "bytes per WRITE (e.g. 64MiB; a multiple of 8B)");
  send->add_option("--slots", slots, "shards in flight = ring slots per side (memory: slots x shard)")
      ->check(CLI::Range(1u, 1024u));
  send->add_option("--cc", s_cc, "congestion control: longhaul bbr (default), cubic or fixed:RATE; "
                                 "tcp: TCP_CONGESTION cubic (default), bbr, reno, ...");
  send->add_option("--streams", streams, "tcp: parallel TCP connections; every shard is striped over them")
      ->check(CLI::Range(1u, kMaxStreams));
  send->add_option("--bdp", s_bdp, "tcp: bandwidth-delay product; SO_SNDBUF = 2 x BDP per stream (e.g. 64MiB)");
  send->add_option("--rate", s_rate, "tcp: path rate for the BDP (with --rtt, e.g. 10gbit)");
  send->add_option("--rtt", s_rtt, "tcp: path RTT for the BDP (with --rate, e.g. 50ms)");
  send->add_flag("--json", json, "print the summary as JSON (iperf3-style field names)");
  send->add_option("--duration-limit", s_limit, "give up after this long (e.g. 60s)");
  send->add_option("--connect-timeout", s_connect, "handshake deadline (e.g. 3s)");
  send->add_option("--mtu", s_mtu, "largest UDP payload (e.g. 1472B)");
  send->add_flag("--no-gso", no_gso, "send one datagram per sendmsg");
  send->add_flag("--no-gro", no_gro, "receive without UDP GRO");
  send->add_flag("--no-multishot", no_ms, "receive with batched single-shot recvmsg");
  send->add_flag("--io-stats", io_stats, "print datapath counters on stderr at the end");
  send->add_option("--qlog", qlog, "write the congestion controller's state over time to FILE (qlog JSON-SEQ, "
                                 ".sqlog: qvis reads it)");
  send->add_flag("--realtime", realtime, "run the event loop SCHED_FIFO (needs root; for a shared host: a busy "
                                         "CPU then delays neither pacing nor ACKs)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lh-xfer: %s (see lh-xfer --help)\n", e.what());
    return 2;
  }

  try {
    if (serve->parsed()) {
      const Transport t = parse_transport(srv_transport);
      only_for(serve, t, Transport::kLonghaul, {"--mtu", "--no-gso", "--no-gro", "--no-multishot", "--io-stats", "--qlog"});
      only_for(serve, t, Transport::kTcp, {"--bdp", "--rate", "--rtt"});
      const uint64_t max_region = parse_flag("--max-region", s_max_region, lh::parse_bytes).n;
      if (max_region == 0) throw Fail("--max-region must be above 0B");
#if LH_XFER_TCP
      if (t == Transport::kTcp) {
        lh::xport::tcp::TcpReceiverOptions o;
        o.listen = listen;
        o.once = once;
        o.max_region = max_region;
        o.buffer_bytes = tcp_buffer(s_bdp_srv, s_rate_srv, s_rtt_srv);
        return lh::xport::tcp::serve_main(o, srv_rt);
      }
#endif
      lh::xport::tools::ServerOptions o;
      o.listen = parse_flag("--listen", listen, lh::xport::io::SocketAddr::parse);
      o.once = once;
      o.max_region = max_region;
      o.mtu = parse_mtu(s_mtu_srv);
      o.allow_gso = !srv_no_gso;
      o.allow_gro = !srv_no_gro;
      o.allow_multishot = !srv_no_ms;
      o.io_stats = srv_stats;
      o.realtime = srv_rt;
      o.qlog = srv_qlog;
      return lh::xport::tools::run_server(o);
    }
    const Transport t = parse_transport(transport);
    only_for(send, t, Transport::kLonghaul, {"--mtu", "--no-gso", "--no-gro", "--no-multishot", "--io-stats", "--qlog"});
    only_for(send, t, Transport::kTcp, {"--streams", "--bdp", "--rate", "--rtt"});
    const uint64_t size = parse_flag("--size", s_size, lh::parse_bytes).n;
    const uint64_t shard = parse_flag("--shard", s_shard, lh::parse_bytes).n;
    if (size == 0) throw Fail("--size must be above 0B");
    if (shard == 0 || shard % 8 != 0) throw Fail("--shard " + s_shard + ": must be a positive multiple of 8B");
    if ((size + shard - 1) / shard > UINT32_MAX) throw Fail("--shard " + s_shard + ": too many shards (max 2^32)");
    const lh::Nanos limit = parse_flag("--duration-limit", s_limit, lh::parse_duration);
    const lh::Nanos connect = parse_flag("--connect-timeout", s_connect, lh::parse_duration);
    if (limit.ns <= 0 || connect.ns <= 0) throw Fail("--duration-limit and --connect-timeout must be above 0s");
#if LH_XFER_TCP
    if (t == Transport::kTcp) {
      lh::xport::tcp::TcpSenderOptions o;
      o.to = to;
      o.size = size;
      o.shard = shard;
      o.slots = slots;
      o.streams = streams;
      o.cc = s_cc.empty() ? "cubic" : s_cc;
      o.buffer_bytes = tcp_buffer(s_bdp, s_rate, s_rtt);
      o.duration_limit = limit;
      o.connect_timeout = connect;
      return lh::xport::tcp::send_main(o, json, realtime);
    }
#endif
    lh::xport::tools::ClientOptions o;
    o.to = parse_flag("--to", to, lh::xport::io::SocketAddr::parse);
    o.size = size;
    o.shard = shard;
    o.slots = slots;
    parse_cc(s_cc.empty() ? "bbr" : s_cc, o);
    o.duration_limit = limit;
    o.connect_timeout = connect;
    o.mtu = parse_mtu(s_mtu);
    o.json = json;
    o.progress = isatty(STDERR_FILENO) != 0;
    o.allow_gso = !no_gso;
    o.allow_gro = !no_gro;
    o.allow_multishot = !no_ms;
    o.io_stats = io_stats;
    o.realtime = realtime;
    o.qlog = qlog;
    return lh::xport::tools::run_client(o);
  } catch (const Fail& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return 2;
#if LH_XFER_TCP
  } catch (const lh::xport::tcp::TcpError& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return lh::xport::tcp::exit_code(e);
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return 1;
  }
}
