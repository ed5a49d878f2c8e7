// lh_xfer_tcp.cpp — the TCP baseline's command line, with lh-xfer's flags (see tcp_xfer.hpp).
//
//   lh-xfer-tcp serve --listen 0.0.0.0:9000 [--once] [--max-region 4GiB] [--bdp 64MiB | --rate R --rtt T]
//   lh-xfer-tcp send --to 10.0.0.2:9000 --size 8GiB --shard 64MiB [--slots 4] [--streams 8]
//                    [--cc cubic|bbr|reno] [--bdp 64MiB | --rate 10gbit --rtt 50ms] [--json]
//                    [--duration-limit 60s] [--connect-timeout 3s]
// Sizes, rates and durations carry units (src/units.hpp). Socket buffers are 2 × BDP per stream.
// Any bad flag or unreachable peer is one line on stderr and a non-zero exit (lh-xfer's codes:
// 2 bad flag / unreachable, 1 refused / failed / not verified, 3 duration limit). A transfer stopped
// by the duration limit still prints its summary: "complete": false, `bytes` delivered so far.
#include <csignal>
#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "src/units.hpp"
#include "transport/tcp/tcp_wire.hpp"
#include "transport/tcp/tcp_xfer.hpp"

namespace {

using lh::xport::tcp::TcpError;

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

template <typename F>
auto parse_flag(const char* flag, const std::string& text, F&& parse) {
  try {
    return parse(text);
  } catch (const std::exception& e) {
    throw Fail(std::string(flag) + ": " + e.what());
  }
}

// Per-stream socket buffer bytes from --bdp or --rate + --rtt (2 × BDP); 0 when none is given.
uint64_t buffer_bytes(const std::string& bdp, const std::string& rate, const std::string& rtt) {
  if (!bdp.empty() && (!rate.empty() || !rtt.empty())) throw Fail("--bdp: give either --bdp or --rate with --rtt, not both");
  if (rate.empty() != rtt.empty()) throw Fail("--rate and --rtt go together (the BDP is rate x rtt)");
  if (!bdp.empty()) {
    const lh::Bytes b = parse_flag("--bdp", bdp, lh::parse_bytes);
    if (b.n == 0 || b.n > (1ull << 40)) throw Fail("--bdp " + bdp + ": must be from 1B to 1TiB");
    return b.n * 2;
  }
  if (rate.empty()) return 0;
  const lh::BitsPerSecond r = parse_flag("--rate", rate, lh::parse_rate);
  const lh::Nanos t = parse_flag("--rtt", rtt, lh::parse_duration);
  const uint64_t bytes = lh::xport::tcp::buffer_bytes_for(r, t);
  if (bytes == 0) throw Fail("--rate and --rtt must be above 0");
  return bytes;
}

std::string grant_note(const char* what, const char* sysctl, const lh::xport::tcp::BufferGrant& g) {
  return std::string(what) + " capped at " + std::to_string(g.granted) + " B of " + std::to_string(g.requested) +
         " B requested (raise " + sysctl + ")";
}

int run_send(lh::xport::tcp::TcpSenderOptions& o, bool json) {
  lh::xport::tcp::TcpSenderResult r = lh::xport::tcp::run_tcp_sender(o);
  if (r.sndbuf.capped()) std::fprintf(stderr, "lh-xfer-tcp: %s\n", grant_note("SO_SNDBUF", "net.core.wmem_max", r.sndbuf).c_str());
  if (json) {
    std::printf("%s\n", lh::xport::tcp::to_json(r).dump(2).c_str());
  } else {
    std::printf("%s", lh::xport::tools::format_table(r.summary).c_str());
    std::printf("  %-18s %u, sndbuf %llu B per stream%s\n", "tcp streams", r.streams,
                static_cast<unsigned long long>(r.sndbuf.granted), r.sndbuf.requested == 0 ? " (autotuned)" : "");
  }
  std::fflush(stdout);
  const auto& s = r.summary;
  if (r.timed_out) {
    std::fprintf(stderr, "lh-xfer-tcp: %s: %llu of %llu bytes delivered in %.3f s (incomplete)\n", r.error.c_str(),
                 static_cast<unsigned long long>(s.bytes), static_cast<unsigned long long>(o.size), s.seconds);
    return 3;
  }
  if (!s.complete || !r.error.empty()) {
    std::fprintf(stderr, "lh-xfer-tcp: transfer to %s failed after %llu of %llu bytes: %s\n", o.to.c_str(),
                 static_cast<unsigned long long>(s.bytes), static_cast<unsigned long long>(o.size), r.error.c_str());
    return 1;
  }
  if (s.bad_shards != 0 || s.verified_shards != s.shards) {
    std::fprintf(stderr, "lh-xfer-tcp: the receiver verified %llu of %llu shards (%llu bad)\n",
                 static_cast<unsigned long long>(s.verified_shards), static_cast<unsigned long long>(s.shards),
                 static_cast<unsigned long long>(s.bad_shards));
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lh-xfer-tcp — the TCP baseline of lh-xfer: shard writes over N parallel TCP streams"};
  app.require_subcommand(1);

  std::string listen, s_max_region = "4GiB", s_bdp_srv, s_rate_srv, s_rtt_srv;
  bool once = false;
  CLI::App* serve = app.add_subcommand("serve", "accept transfers and verify every shard");
  serve->add_option("--listen", listen, "ADDR:PORT to bind, e.g. 0.0.0.0:9000 or [::]:9000")->required();
  serve->add_flag("--once", once, "exit after one transfer (exit code 0 only if it verified)");
  serve->add_option("--max-region", s_max_region, "largest ring a transfer may allocate (e.g. 4GiB)");
  serve->add_option("--bdp", s_bdp_srv, "bandwidth-delay product; SO_RCVBUF = 2 x BDP per stream (e.g. 64MiB)");
  serve->add_option("--rate", s_rate_srv, "path rate for the BDP (with --rtt, e.g. 10gbit)");
  serve->add_option("--rtt", s_rtt_srv, "path RTT for the BDP (with --rate, e.g. 50ms)");

  std::string to, s_size, s_shard = "64MiB", cc = "cubic", s_limit = "600s", s_connect = "3s", s_bdp, s_rate, s_rtt;
  unsigned slots = 4, streams = 1;
  bool json = false;
  CLI::App* send = app.add_subcommand("send", "write --size bytes into a receiver's memory, shard by shard");
  send->add_option("--to", to, "receiver ADDR:PORT")->required();
  send->add_option("--size", s_size, "bytes to transfer (e.g. 8GiB)")->required();
  send->add_option("--shard", s_shard, "bytes per shard (e.g. 64MiB)");
  send->add_option("--slots", slots, "shards in flight = ring slots per side (memory: slots x shard)")
      ->check(CLI::Range(1u, 1024u));
  send->add_option("--streams", streams, "parallel TCP connections; every shard is striped over them")
      ->check(CLI::Range(1u, lh::xport::tcp::kMaxStreams));
  send->add_option("--cc", cc, "TCP congestion control (TCP_CONGESTION): cubic, bbr, reno, ...");
  send->add_option("--bdp", s_bdp, "bandwidth-delay product; SO_SNDBUF = 2 x BDP per stream (e.g. 64MiB)");
  send->add_option("--rate", s_rate, "path rate for the BDP (with --rtt, e.g. 10gbit)");
  send->add_option("--rtt", s_rtt, "path RTT for the BDP (with --rate, e.g. 50ms)");
  send->add_flag("--json", json, "print the summary as JSON (lh-xfer's / iperf3-style field names)");
  send->add_option("--duration-limit", s_limit, "give up after this long (e.g. 60s)");
  send->add_option("--connect-timeout", s_connect, "connect + handshake deadline (e.g. 3s)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lh-xfer-tcp: %s (see lh-xfer-tcp --help)\n", e.what());
    return 2;
  }

  try {
    if (serve->parsed()) {
      lh::xport::tcp::TcpReceiverOptions o;
      o.listen = listen;
      o.once = once;
      o.max_region = parse_flag("--max-region", s_max_region, lh::parse_bytes).n;
      if (o.max_region == 0) throw Fail("--max-region must be above 0B");
      o.buffer_bytes = buffer_bytes(s_bdp_srv, s_rate_srv, s_rtt_srv);
      o.stop = &g_stop;
      o.on_listening = [](uint16_t, const lh::xport::tcp::BufferGrant& g) {
        if (g.capped()) std::fprintf(stderr, "lh-xfer-tcp: %s\n", grant_note("SO_RCVBUF", "net.core.rmem_max", g).c_str());
      };
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      const auto r = lh::xport::tcp::run_tcp_receiver(o);
      return !once || r.transfers_ok == 1 ? 0 : 1;
    }
    lh::xport::tcp::TcpSenderOptions o;
    o.to = to;
    o.size = parse_flag("--size", s_size, lh::parse_bytes).n;
    o.shard = parse_flag("--shard", s_shard, lh::parse_bytes).n;
    if (o.size == 0) throw Fail("--size must be above 0B");
    if (o.shard == 0) throw Fail("--shard must be above 0B");
    if ((o.size + o.shard - 1) / o.shard > UINT32_MAX) throw Fail("--shard " + s_shard + ": too many shards (max 2^32)");
    o.slots = slots;
    o.streams = streams;
    o.cc = cc;
    o.buffer_bytes = buffer_bytes(s_bdp, s_rate, s_rtt);
    o.duration_limit = parse_flag("--duration-limit", s_limit, lh::parse_duration);
    o.connect_timeout = parse_flag("--connect-timeout", s_connect, lh::parse_duration);
    if (o.duration_limit.ns <= 0 || o.connect_timeout.ns <= 0) {
      throw Fail("--duration-limit and --connect-timeout must be above 0s");
    }
    return run_send(o, json);
  } catch (const Fail& e) {
    std::fprintf(stderr, "lh-xfer-tcp: %s\n", e.what());
    return 2;
  } catch (const TcpError& e) {
    std::fprintf(stderr, "lh-xfer-tcp: %s\n", e.what());
    return e.kind() == TcpError::Kind::kRefused || e.kind() == TcpError::Kind::kIo ? 1 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lh-xfer-tcp: %s\n", e.what());
    return 1;
  }
}
