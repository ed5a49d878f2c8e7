// xfer_run.cpp — see xfer_run.hpp. One thread runs the event loop; shard preparation and region
// fault-in run on helper threads (shard_preparer.hpp, region_preparer.hpp).
#include "workload/xfer/xfer_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>

#include "workload/common/huge_buffer.hpp"
#include "workload/xfer/region_preparer.hpp"
#include "workload/xfer/shard_preparer.hpp"

namespace lh::workload {
namespace {

constexpr Nanos kTurn = Nanos::from_ms(20);
constexpr Nanos kPrepTurn = Nanos::from_us(500);
constexpr Nanos kReadyTimeout = Nanos::from_s(60);  // connected → READY (the server faults its region in)
constexpr Nanos kReportTimeout = Nanos::from_s(5);
constexpr Nanos kCloseWait = Nanos::from_s(2);
constexpr Nanos kProgressEvery = Nanos::from_ms(250);

std::atomic<bool> g_stop{false};
extern "C" void xfer_on_signal(int) { g_stop.store(true); }

void error_line(const std::string& msg) { std::fprintf(stderr, "lh-xfer: %s\n", msg.c_str()); }

void print_summary(XferSummary& s, bool json) {
  if (json) {
    std::printf("%s\n", to_json(s).dump(2).c_str());
  } else {
    std::printf("%s", format_table(s).c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int run_xfer_client(const XferClientOptions& o) {
  std::unique_ptr<LiveTransport> t = open_live_transport(o.live);
  if (const std::string w = t->warnings(); !w.empty()) std::fprintf(stderr, "lh-xfer: %s", w.c_str());
  const XferClientConfig& cfg = o.xfer;
  // Not zeroed first: the pattern writes every byte of every slot once, here; later shards only
  // restamp the block headers.
  HugeBuffer source(source_bytes(cfg));
  const std::span<uint8_t> src(source.get(), source.size());
  prepare_source(src, cfg);
  ShardPreparer prep(cfg.seed);
  TransportEndpoint& ep = t->endpoint();
  Channel& ch = ep.connect(t->now());
  XferClient client(ep, ch, cfg, src, prep);

  const Nanos connect_deadline = t->now() + o.connect_timeout;
  Nanos ready_deadline = Nanos::max(), run_deadline = Nanos::max(), report_deadline = Nanos::max();
  Nanos last_progress = t->now();
  int code = -1;
  bool timed_out = false;
  while (code < 0) {
    const Nanos now = t->now();
    client.poll(now);
    const auto phase = client.phase();
    if (phase == XferClient::Phase::kDone) break;
    if (phase == XferClient::Phase::kFailed) {
      if (client.refused()) {
        error_line(client.error());
        code = 1;
      } else if (!client.ready()) {
        error_line(client.error());
        code = 2;
      }
      break;
    }
    if (phase == XferClient::Phase::kHandshake) {
      const bool up = ch.state() == ChannelState::kUp;
      if (!up && now >= connect_deadline) {
        error_line(fmt::format("no answer from {} within {} (handshake timed out); is `lh-xfer serve --transport {}` "
                               "running there?", o.live.peer, format(o.connect_timeout), o.live.transport.name()));
        code = 2;
        break;
      }
      // The server faults its region in before READY (about a second per 256 MiB on a slow VM); the
      // connection stays alive meanwhile, so READY gets a longer deadline than the handshake.
      if (up && ready_deadline == Nanos::max()) ready_deadline = now + std::max(o.connect_timeout, kReadyTimeout);
      if (now >= ready_deadline) {
        error_line(fmt::format("{} accepted the connection but sent no valid READY within {}", o.live.peer,
                               format(std::max(o.connect_timeout, kReadyTimeout))));
        code = 2;
        break;
      }
    }
    if (phase == XferClient::Phase::kTransfer) {
      if (run_deadline == Nanos::max()) run_deadline = client.started_at() + o.duration_limit;
      if (now >= run_deadline) {
        timed_out = true;
        break;
      }
      if (o.progress && now - last_progress >= kProgressEvery) {
        last_progress = now;
        XferSummary s;
        client.fill(s, now);
        std::fprintf(stderr, "\r%s", progress_line(client.bytes_done(), cfg.size, s.bits_per_second(),
                                                  ch.counters().smoothed_rtt.ms(), s.retransmits).c_str());
      }
    }
    if (phase == XferClient::Phase::kReport) {
      if (report_deadline == Nanos::max()) report_deadline = now + kReportTimeout;
      if (now >= report_deadline) break;
    }
    t->turn(client.preparing() ? kPrepTurn : kTurn);
  }
  if (o.progress) std::fprintf(stderr, "\r%*s\r", 90, "");
  if (code == 2) return 2;

  XferSummary sum;
  const Nanos end = t->now();
  client.fill(sum, end);
  sum.local = t->local();
  sum.remote = ch.peer();
  sum.timed_out = timed_out;
  t->annotate(sum);
  ch.close(t->now());
  const Nanos close_deadline = t->now() + kCloseWait;
  while (!ended(ch.state()) && t->now() < close_deadline) t->turn(Nanos::from_ms(20));
  if (!t->flush()) error_line("qlog: write failed");
  if (o.io_stats && !t->io_stats().empty()) std::fprintf(stderr, "lh-xfer send io: %s\n", t->io_stats().c_str());
  if (code == 1) return 1;
  print_summary(sum, o.json);
  if (timed_out) {
    error_line(fmt::format("duration limit {} reached after {} of {} bytes", format(o.duration_limit), sum.bytes, cfg.size));
    return 3;
  }
  if (!sum.complete) {
    error_line(fmt::format("transfer to {} failed after {} of {} bytes: {}", sum.remote, sum.bytes, cfg.size,
                           client.error().empty() ? "no report" : client.error()));
    return 1;
  }
  if (!sum.server_report) {
    error_line("the server sent no verification report");
    return 1;
  }
  if (sum.bad_shards != 0 || sum.verified_shards != sum.shards) {
    error_line(fmt::format("the server verified {} of {} shards ({} bad)", sum.verified_shards, sum.shards, sum.bad_shards));
    return 1;
  }
  return 0;
}

int run_xfer_server(const XferServerOptions& o) {
  std::unique_ptr<LiveTransport> t = open_live_transport(o.live);
  if (const std::string w = t->warnings(); !w.empty()) std::fprintf(stderr, "lh-xfer: %s", w.c_str());
  std::signal(SIGINT, xfer_on_signal);
  std::signal(SIGTERM, xfer_on_signal);
  if (!o.quiet) {
    std::printf("lh-xfer: listening on %s (%s; %s)\n", t->local().c_str(), o.live.transport.name().c_str(),
                t->describe().c_str());
    std::fflush(stdout);
  }
  RegionPreparer regions;
  XferServer server(t->endpoint(), o.xfer, regions);
  int exit_code = 1;
  bool finished_one = false;
  while (!g_stop.load() && !(o.once && finished_one)) {
    t->turn(Nanos::from_ms(50));
    server.poll(t->now());
    for (const XferServerResult& r : server.take_finished()) {
      if (!o.quiet) {
        std::printf("lh-xfer: %s %s: %llu of %llu shards verified (%llu bytes), %llu bad, %u stream%s%s\n",
                    r.peer.c_str(), r.closed ? "closed" : "lost", static_cast<unsigned long long>(r.verified),
                    static_cast<unsigned long long>(r.shards), static_cast<unsigned long long>(r.verified_bytes),
                    static_cast<unsigned long long>(r.bad), r.streams, r.streams == 1 ? "" : "s",
                    r.ok() ? "" : "  (INCOMPLETE)");
        std::fflush(stdout);
      }
      if (r.got_hello) {
        finished_one = true;
        exit_code = r.ok() ? 0 : 1;
      }
    }
  }
  if (!t->flush()) error_line("qlog: write failed");
  if (o.io_stats && !t->io_stats().empty()) std::fprintf(stderr, "lh-xfer serve io: %s\n", t->io_stats().c_str());
  return o.once ? exit_code : 0;
}

}  // namespace lh::workload
