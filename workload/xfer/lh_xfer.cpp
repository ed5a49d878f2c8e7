// lh_xfer.cpp — the lh-xfer command line: `serve` and `send` over any transport of the one grammar
// (workload/common/transport_spec.hpp): the longhaul transport (default) or the TCP baseline.
//
//   lh-xfer serve --listen 0.0.0.0:9000 [--transport longhaul|tcp-cubic|...] [--once] [--max-region 4GiB]
//   lh-xfer send --to 10.0.0.2:9000 --size 8GiB [--transport longhaul-fixed:900mbit|tcp-bbr-x8|...]
//                [--shard 64MiB] [--slots 4] [--json] [--duration-limit 60s] [--connect-timeout 3s]
//                longhaul: [--mtu 1472B] [--no-gso] [--no-gro] [--no-multishot] [--io-stats] [--qlog F]
//                tcp:      [--bdp 64MiB | --rate R --rtt T]
// Sizes, rates and durations always carry units (src/units.hpp). Any bad flag or unreachable peer is
// one line on stderr and a non-zero exit: 2 bad flag / unreachable, 1 refused / failed / not
// verified, 3 the duration limit stopped the transfer (its summary is still printed).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "src/cli_parse.hpp"
#include "src/host_port.hpp"
#include "src/units.hpp"
#include "transport/tcp/tcp_error.hpp"
#include "workload/common/psk_file.hpp"
#include "workload/common/transport_spec.hpp"
#include "workload/xfer/xfer_run.hpp"

namespace {

using lh::workload::TransportSpec;

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

uint16_t parse_mtu(const std::string& text) {
  const lh::Bytes b = parse_flag("--mtu", text, lh::parse_bytes);
  if (b.n < 256 || b.n > 65507) throw Fail("--mtu " + text + ": the UDP payload must be from 256B to 65507B");
  return static_cast<uint16_t>(b.n);
}

// A flag that only one kind of transport understands, given with the other: an error, not ignored.
void only_for(const CLI::App* cmd, const TransportSpec& t, bool tcp, std::initializer_list<const char*> flags) {
  if (t.tcp() == tcp) return;
  for (const char* f : flags) {
    if (cmd->count(f) > 0) {
      throw Fail(std::string(f) + " applies to " + (tcp ? "the TCP transports" : "the longhaul transports") +
                 ", not --transport " + t.name());
    }
  }
}

struct Common {
  std::string transport = "longhaul", mtu = "1472B", bdp, rate, rtt, qlog, psk;
  bool no_gso = false, no_gro = false, no_ms = false, io_stats = false, realtime = false, describe = false;
  bool auth_only = false;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--transport", c.transport, std::string("transport: ") + std::string(lh::workload::kTransportForms));
  cmd->add_option("--mtu", c.mtu, "longhaul: largest UDP payload (e.g. 1472B)");
  cmd->add_flag("--no-gso", c.no_gso, "longhaul: send one datagram per sendmsg");
  cmd->add_flag("--no-gro", c.no_gro, "longhaul: receive without UDP GRO");
  cmd->add_flag("--no-multishot", c.no_ms, "longhaul: receive with batched single-shot recvmsg");
  cmd->add_flag("--io-stats", c.io_stats, "longhaul: print datapath counters on stderr at the end");
  cmd->add_option("--qlog", c.qlog, "longhaul: write the congestion controller's state over time to FILE (qlog "
                                    "JSON-SEQ, .sqlog: qvis reads it)");
  cmd->add_option("--psk", c.psk, "longhaul: protected mode with the pre-shared key in FILE (>= 16 bytes, mode 0600, "
                                  "the same on both sides; lh-xfer keygen FILE makes one): the handshake authenticated, "
                                  "every packet AES-256-GCM sealed; a side with a key refuses plaintext peers");
  cmd->add_flag("--auth-only", c.auth_only, "longhaul, with --psk: authenticate every packet (GMAC) but do not encrypt");
  cmd->add_option("--bdp", c.bdp, "tcp: bandwidth-delay product; socket buffers = 2 x BDP per stream (e.g. 64MiB)");
  cmd->add_option("--rate", c.rate, "tcp: path rate for the BDP (with --rtt, e.g. 10gbit)");
  cmd->add_option("--rtt", c.rtt, "tcp: path RTT for the BDP (with --rate, e.g. 50ms)");
  cmd->add_flag("--realtime", c.realtime, "run the event loop SCHED_FIFO (needs root; for a shared host: a busy "
                                          "CPU then delays neither pacing nor ACKs)");
  cmd->add_flag("--describe-transport", c.describe, "print how --transport parses (JSON) and exit");
}

lh::workload::LiveOptions live_options(const CLI::App* cmd, const Common& c, TransportSpec t) {
  only_for(cmd, t, false, {"--mtu", "--no-gso", "--no-gro", "--no-multishot", "--io-stats", "--qlog", "--psk", "--auth-only"});
  only_for(cmd, t, true, {"--bdp", "--rate", "--rtt"});
  lh::workload::LiveOptions o;
  try {
    o.psk = lh::workload::resolve_protection(t, c.psk, c.auth_only);
  } catch (const std::invalid_argument& e) {
    throw Fail(e.what());
  }
  o.transport = t;
  o.mtu = parse_mtu(c.mtu);
  o.allow_gso = !c.no_gso;
  o.allow_gro = !c.no_gro;
  o.allow_multishot = !c.no_ms;
  o.realtime = c.realtime;
  o.qlog = c.qlog;
  try {
    o.tcp_buffer_bytes = lh::workload::tcp_buffer_from_flags(c.bdp, c.rate, c.rtt);
  } catch (const std::invalid_argument& e) {
    throw Fail(e.what());
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lh-xfer — bulk one-sided WRITEs of shards into a server's memory, verified end to end, over the "
               "longhaul transport (io_uring UDP) or the TCP baseline (N striped streams)"};
  app.require_subcommand(1);

  Common sc;
  std::string listen, s_max_region = "4GiB", s_max_region_total = "8GiB";
  unsigned max_sessions = 16;
  bool once = false;
  CLI::App* serve = app.add_subcommand("serve", "accept transfers and verify every shard");
  serve->add_option("--listen", listen, "ADDR:PORT to bind, e.g. 0.0.0.0:9000 or [::]:9000");
  serve->add_flag("--once", once, "exit after one transfer (exit code 0 only if it verified)");
  serve->add_option("--max-region", s_max_region, "largest region a transfer may register (e.g. 4GiB)");
  serve->add_option("--max-sessions", max_sessions, "transfers holding a region at once (default 16); more are told busy")
      ->check(CLI::Range(1u, 1024u));
  serve->add_option("--max-region-total", s_max_region_total,
                    "bytes of all transfers' regions together (default 8GiB); more are told busy");
  add_common(serve, sc);

  Common cc;
  std::string to, s_size, s_shard = "64MiB", s_limit = "600s", s_connect = "3s";
  unsigned slots = 4;
  bool json = false;
  CLI::App* send = app.add_subcommand("send", "write --size bytes into a server's memory, shard by shard");
  send->add_option("--to", to, "server ADDR:PORT");
  send->add_option("--size", s_size, "bytes to transfer (e.g. 8GiB)");
  send->add_option("--shard", s_shard, "bytes per WRITE (e.g. 64MiB; a multiple of 8B)");
  send->add_option("--slots", slots, "shards in flight = ring slots per side (memory: slots x shard)")
      ->check(CLI::Range(1u, 1024u));
  send->add_flag("--json", json, "print the summary as JSON (iperf3-style field names)");
  send->add_option("--duration-limit", s_limit, "give up after this long (e.g. 60s)");
  send->add_option("--connect-timeout", s_connect, "handshake deadline (e.g. 3s)");
  add_common(send, cc);

  std::string keyfile;
  CLI::App* keygen = app.add_subcommand("keygen", "write a fresh 32-byte pre-shared key to FILE (created 0600) for --psk");
  keygen->add_option("FILE", keyfile, "where to write the key (must not exist)")->required();

  if (const auto code = lh::parse_command_line(app, argc, argv, "lh-xfer")) return *code;

  try {
    if (keygen->parsed()) {
      lh::workload::write_psk_file(keyfile);
      return 0;
    }
    const Common& c = serve->parsed() ? sc : cc;
    const TransportSpec t = parse_flag("--transport", c.transport, lh::workload::parse_transport_spec);
    if (c.describe) {
      std::printf("%s\n", lh::workload::to_json(t).dump().c_str());
      return 0;
    }
    if (serve->parsed()) {
      if (listen.empty()) throw Fail("serve needs --listen ADDR:PORT");
      parse_flag("--listen", listen, lh::parse_host_port);
      lh::workload::XferServerOptions o;
      o.live = live_options(serve, sc, t);
      o.live.listen = listen;
      o.once = once;
      o.io_stats = sc.io_stats;
      o.xfer.max_region = parse_flag("--max-region", s_max_region, lh::parse_bytes).n;
      if (o.xfer.max_region == 0) throw Fail("--max-region must be above 0B");
      o.xfer.max_sessions = max_sessions;
      o.xfer.max_region_total = parse_flag("--max-region-total", s_max_region_total, lh::parse_bytes).n;
      if (o.xfer.max_region_total < o.xfer.max_region)
        throw Fail("--max-region-total (" + s_max_region_total + ") must be at least --max-region (" + s_max_region + ")");
      return lh::workload::run_xfer_server(o);
    }
    if (to.empty() || s_size.empty()) throw Fail("send needs --to ADDR:PORT and --size SIZE");
    parse_flag("--to", to, lh::parse_host_port);
    lh::workload::XferClientOptions o;
    o.live = live_options(send, cc, t);
    o.live.peer = to;
    o.xfer.size = parse_flag("--size", s_size, lh::parse_bytes).n;
    o.xfer.shard = parse_flag("--shard", s_shard, lh::parse_bytes).n;
    o.xfer.slots = slots;
    if (o.xfer.size == 0) throw Fail("--size must be above 0B");
    if (o.xfer.shard == 0 || o.xfer.shard % 8 != 0) throw Fail("--shard " + s_shard + ": must be a positive multiple of 8B");
    if ((o.xfer.size + o.xfer.shard - 1) / o.xfer.shard > UINT32_MAX) throw Fail("--shard " + s_shard + ": too many shards (max 2^32)");
    o.duration_limit = parse_flag("--duration-limit", s_limit, lh::parse_duration);
    o.connect_timeout = parse_flag("--connect-timeout", s_connect, lh::parse_duration);
    if (o.duration_limit.ns <= 0 || o.connect_timeout.ns <= 0) throw Fail("--duration-limit and --connect-timeout must be above 0s");
    o.json = json;
    o.progress = isatty(STDERR_FILENO) != 0;
    o.io_stats = cc.io_stats;
    return lh::workload::run_xfer_client(o);
  } catch (const Fail& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return 2;
  } catch (const lh::xport::tcp::TcpError& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return e.kind() == lh::xport::tcp::TcpError::Kind::kRefused || e.kind() == lh::xport::tcp::TcpError::Kind::kIo ? 1 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return 1;
  }
}
