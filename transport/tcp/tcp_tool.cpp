// tcp_tool.cpp — see tcp_tool.hpp.
#include "transport/tcp/tcp_tool.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <stdexcept>

#include "src/realtime.hpp"
#include "src/units.hpp"
#include "transport/tcp/tcp_error.hpp"

namespace lh::xport::tcp {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void tcp_tool_on_signal(int) { g_stop.store(true); }

template <typename F>
auto parse_flag(const char* flag, const std::string& text, F&& parse) {
  try {
    return parse(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string(flag) + ": " + e.what());
  }
}

constexpr int kLoopPriority = 5;  // lh-xfer's (transport/tools/realtime_loop.hpp)

void go_realtime(bool realtime) {
  if (!realtime) return;
  if (const std::string err = make_thread_realtime(kLoopPriority); !err.empty()) {
    std::fprintf(stderr, "lh-xfer: --realtime: %s (continuing without)\n", err.c_str());
  }
}

std::string grant_note(const char* what, const char* sysctl, const BufferGrant& g) {
  return std::string(what) + " capped at " + std::to_string(g.granted) + " B of " + std::to_string(g.requested) +
         " B requested (raise " + sysctl + ")";
}

}  // namespace

uint64_t buffer_bytes_from_flags(const std::string& bdp, const std::string& rate, const std::string& rtt) {
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
  const uint64_t bytes = buffer_bytes_for(r, t);
  if (bytes == 0) throw std::invalid_argument("--rate and --rtt must be above 0");
  return bytes;
}

int serve_main(TcpReceiverOptions& o, bool realtime) {
  go_realtime(realtime);
  o.stop = &g_stop;
  o.on_listening = [](uint16_t, const BufferGrant& g) {
    if (g.capped()) std::fprintf(stderr, "lh-xfer: %s\n", grant_note("SO_RCVBUF", "net.core.rmem_max", g).c_str());
  };
  std::signal(SIGINT, tcp_tool_on_signal);
  std::signal(SIGTERM, tcp_tool_on_signal);
  const TcpReceiverResult r = run_tcp_receiver(o);
  return !o.once || r.transfers_ok == 1 ? 0 : 1;
}

int send_main(const TcpSenderOptions& o, bool json, bool realtime) {
  go_realtime(realtime);
  TcpSenderResult r = run_tcp_sender(o);
  if (r.sndbuf.capped()) std::fprintf(stderr, "lh-xfer: %s\n", grant_note("SO_SNDBUF", "net.core.wmem_max", r.sndbuf).c_str());
  if (json) {
    std::printf("%s\n", to_json(r).dump(2).c_str());
  } else {
    std::printf("%s", tools::format_table(r.summary).c_str());
    std::printf("  %-18s %u, sndbuf %llu B per stream%s\n", "tcp streams", r.streams,
                static_cast<unsigned long long>(r.sndbuf.granted), r.sndbuf.requested == 0 ? " (autotuned)" : "");
  }
  std::fflush(stdout);
  const auto& s = r.summary;
  if (r.timed_out) {
    std::fprintf(stderr, "lh-xfer: %s: %llu of %llu bytes delivered in %.3f s (incomplete)\n", r.error.c_str(),
                 static_cast<unsigned long long>(s.bytes), static_cast<unsigned long long>(o.size), s.seconds);
    return 3;
  }
  if (!s.complete || !r.error.empty()) {
    std::fprintf(stderr, "lh-xfer: transfer to %s failed after %llu of %llu bytes: %s\n", o.to.c_str(),
                 static_cast<unsigned long long>(s.bytes), static_cast<unsigned long long>(o.size), r.error.c_str());
    return 1;
  }
  if (s.bad_shards != 0 || s.verified_shards != s.shards) {
    std::fprintf(stderr, "lh-xfer: the receiver verified %llu of %llu shards (%llu bad)\n",
                 static_cast<unsigned long long>(s.verified_shards), static_cast<unsigned long long>(s.shards),
                 static_cast<unsigned long long>(s.bad_shards));
    return 1;
  }
  return 0;
}

int exit_code(const TcpError& e) {
  return e.kind() == TcpError::Kind::kRefused || e.kind() == TcpError::Kind::kIo ? 1 : 2;
}

}  // namespace lh::xport::tcp
