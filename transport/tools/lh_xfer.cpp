// lh_xfer.cpp — the lh-xfer command line: `serve` and `send` (see xfer_server.hpp, xfer_client.hpp).
//
//   lh-xfer serve --listen 0.0.0.0:9000 [--once] [--max-region 4GiB]
//   lh-xfer send --to 10.0.0.2:9000 --size 8GiB --shard 64MiB [--slots 4] [--cc bbr|cubic|fixed:900mbit]
//                [--json] [--duration-limit 60s] [--connect-timeout 3s]
// Sizes, rates and durations always carry units (src/units.hpp). Any bad flag or unreachable peer is
// one line on stderr and a non-zero exit.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "src/units.hpp"
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lh-xfer — bulk one-sided WRITEs over the longhaul transport (io_uring UDP)"};
  app.require_subcommand(1);

  std::string listen, s_max_region = "4GiB", s_mtu_srv = "1472B";
  bool once = false, srv_no_gso = false, srv_no_gro = false, srv_no_ms = false, srv_stats = false;
  CLI::App* serve = app.add_subcommand("serve", "accept transfers and verify every shard");
  serve->add_option("--listen", listen, "ADDR:PORT to bind, e.g. 0.0.0.0:9000 or [::]:9000")->required();
  serve->add_flag("--once", once, "exit after one transfer (exit code 0 only if it verified)");
  serve->add_option("--max-region", s_max_region, "largest region a transfer may register (e.g. 4GiB)");
  serve->add_option("--mtu", s_mtu_srv, "largest UDP payload (e.g. 1472B)");
  serve->add_flag("--no-gso", srv_no_gso, "send one datagram per sendmsg");
  serve->add_flag("--no-gro", srv_no_gro, "receive without UDP GRO");
  serve->add_flag("--no-multishot", srv_no_ms, "receive with batched single-shot recvmsg");
  serve->add_flag("--io-stats", srv_stats, "print datapath counters on stderr at exit");

  std::string to, s_size, s_shard = "64MiB", s_cc = "bbr", s_limit = "600s", s_connect = "3s", s_mtu = "1472B";
  unsigned slots = 4;
  bool json = false, no_gso = false, no_gro = false, no_ms = false, io_stats = false;
  CLI::App* send = app.add_subcommand("send", "write --size bytes into a server's memory, shard by shard");
  send->add_option("--to", to, "server ADDR:PORT")->required();
  send->add_option("--size", s_size, "bytes to transfer (e.g. 8GiB)")->required();
  send->add_option("--shard", s_shard, "bytes per WRITE (e.g. 64MiB; a multiple of 8B)");
  send->add_option("--slots", slots, "shards in flight = ring slots per side (memory: slots x shard)")
      ->check(CLI::Range(1u, 1024u));
  send->add_option("--cc", s_cc, "congestion control: bbr, cubic or fixed:RATE");
  send->add_flag("--json", json, "print the summary as JSON (iperf3-style field names)");
  send->add_option("--duration-limit", s_limit, "give up after this long (e.g. 60s)");
  send->add_option("--connect-timeout", s_connect, "handshake deadline (e.g. 3s)");
  send->add_option("--mtu", s_mtu, "largest UDP payload (e.g. 1472B)");
  send->add_flag("--no-gso", no_gso, "send one datagram per sendmsg");
  send->add_flag("--no-gro", no_gro, "receive without UDP GRO");
  send->add_flag("--no-multishot", no_ms, "receive with batched single-shot recvmsg");
  send->add_flag("--io-stats", io_stats, "print datapath counters on stderr at the end");

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
      lh::xport::tools::ServerOptions o;
      o.listen = parse_flag("--listen", listen, lh::xport::io::SocketAddr::parse);
      o.once = once;
      o.max_region = parse_flag("--max-region", s_max_region, lh::parse_bytes).n;
      o.mtu = parse_mtu(s_mtu_srv);
      o.allow_gso = !srv_no_gso;
      o.allow_gro = !srv_no_gro;
      o.allow_multishot = !srv_no_ms;
      o.io_stats = srv_stats;
      return lh::xport::tools::run_server(o);
    }
    lh::xport::tools::ClientOptions o;
    o.to = parse_flag("--to", to, lh::xport::io::SocketAddr::parse);
    o.size = parse_flag("--size", s_size, lh::parse_bytes).n;
    o.shard = parse_flag("--shard", s_shard, lh::parse_bytes).n;
    if (o.size == 0) throw Fail("--size must be above 0B");
    if (o.shard == 0 || o.shard % 8 != 0) throw Fail("--shard " + s_shard + ": must be a positive multiple of 8B");
    if ((o.size + o.shard - 1) / o.shard > UINT32_MAX) throw Fail("--shard " + s_shard + ": too many shards (max 2^32)");
    o.slots = slots;
    parse_cc(s_cc, o);
    o.duration_limit = parse_flag("--duration-limit", s_limit, lh::parse_duration);
    o.connect_timeout = parse_flag("--connect-timeout", s_connect, lh::parse_duration);
    if (o.duration_limit.ns <= 0 || o.connect_timeout.ns <= 0) throw Fail("--duration-limit and --connect-timeout must be above 0s");
    o.mtu = parse_mtu(s_mtu);
    o.json = json;
    o.progress = isatty(STDERR_FILENO) != 0;
    o.allow_gso = !no_gso;
    o.allow_gro = !no_gro;
    o.allow_multishot = !no_ms;
    o.io_stats = io_stats;
    return lh::xport::tools::run_client(o);
  } catch (const Fail& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lh-xfer: %s\n", e.what());
    return 1;
  }
}
