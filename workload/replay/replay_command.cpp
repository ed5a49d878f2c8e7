// replay_command.cpp — `lh-trace replay`: re-enacts a gradient trace over a real path.
//
//   lh-trace replay T.jsonl --transport SPEC (workload/common/transport_spec.hpp: longhaul, tcp-bbr-x8, ...)
//                   --peer ADDR:PORT [--steps N] [--sites 0,1] [--json FILE|-] [--bdp SIZE] [--mtu SIZE]
//                   [--chunk SIZE] [--connect-timeout 3s] [--duration-limit 600s] [--realtime]
//   lh-trace replay --serve --listen ADDR:PORT --transport SPEC [--once] [--max-region SIZE] [--max-start SIZE]
//                   [--bdp SIZE] [--mtu SIZE] [--realtime]
//                   (both sides, longhaul: [--qlog FILE.sqlog])
// The client waits each step's compute gaps, issues the transfers between the two sites (--sites;
// forward a→b from here, reverse b→a from the server, which the client asks for each one) and prints
// per step: compute, communication, exposed communication and slowdown against an ideal network
// (replay_report.hpp). Every flag and the trace are checked before any socket opens. Exit codes: 0
// complete, 1 failed, 2 bad input or unreachable peer, 3 duration limit (the steps done are reported).
#include <signal.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "traces/gradient_trace.hpp"
#include "workload/common/psk_file.hpp"
#include "workload/common/transport_spec.hpp"
#include "workload/replay/replay_command.hpp"
#include "workload/replay/replay_report.hpp"
#include "workload/replay/replay_run.hpp"

namespace lh::workload {

using traces::GradientTrace;
using traces::ReplaySchedule;
using traces::ReplayScope;
namespace {

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop.store(true); }

struct Flags {
  std::string trace, transport, peer, listen, json, sites = "0,1", bdp = "0B", mtu = "1472B", chunk = "64MiB",
              connect_timeout = "3s", duration_limit = "600s", max_region = "1GiB", max_start = "1TiB", qlog, psk;
  uint32_t steps = 0;
  bool serve = false, once = false, realtime = false, describe = false, auth_only = false;
};

[[noreturn]] void exit_with(int code, const std::string& msg) {
  if (!msg.empty()) std::fprintf(stderr, "lh-trace replay: %s\n", msg.c_str());
  throw CLI::RuntimeError(code);
}

template <typename F>
auto flag(const char* name, const std::string& text, F&& parse) {
  try {
    return parse(text);
  } catch (const std::exception& e) {
    exit_with(2, std::string(name) + " " + text + ": " + e.what());
  }
}

uint32_t parse_site(const std::string& s) {
  uint32_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) throw std::invalid_argument("expected A,B (two site numbers, e.g. 0,1)");
  return v;
}

ReplayScope parse_sites(const std::string& text) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos) throw std::invalid_argument("expected A,B (two site numbers, e.g. 0,1)");
  return ReplayScope{.site_a = parse_site(text.substr(0, comma)), .site_b = parse_site(text.substr(comma + 1))};
}

uint16_t parse_mtu(const std::string& text) {
  const uint64_t b = parse_bytes(text).n;
  if (b < 256 || b > 65507) throw std::invalid_argument("the UDP payload must be from 256B to 65507B");
  return static_cast<uint16_t>(b);
}

Nanos positive_duration(const std::string& text) {
  const Nanos d = parse_duration(text);
  if (d.ns <= 0) throw std::invalid_argument("must be above 0s");
  return d;
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

LiveOptions live_options(const Flags& f) {
  LiveOptions o;
  o.transport = flag("--transport", f.transport, parse_transport_spec);
  o.mtu = flag("--mtu", f.mtu, parse_mtu);
  // TCP: socket buffers of 2 x BDP per stream (0: kernel autotuning).
  o.tcp_buffer_bytes = 2 * flag("--bdp", f.bdp, parse_bytes).n;
  o.realtime = f.realtime;
  o.qlog = f.qlog;
  if (!o.qlog.empty() && o.transport.tcp()) exit_with(2, "--qlog is for the longhaul transports");
  try {
    o.psk = resolve_protection(o.transport, f.psk, f.auth_only);
  } catch (const std::invalid_argument& e) {
    exit_with(2, e.what());
  } catch (const std::exception& e) {
    exit_with(1, e.what());
  }
  return o;
}

void serve(const Flags& f) {
  if (!f.trace.empty()) exit_with(2, "--serve takes no trace (the client sends what to transfer)");
  if (f.listen.empty()) exit_with(2, "--serve needs --listen ADDR:PORT");
  if (!f.peer.empty() || !f.json.empty() || f.steps != 0) exit_with(2, "--peer, --json and --steps are client flags");
  ReplayServerOptions o{.live = live_options(f), .once = f.once};
  o.live.listen = f.listen;
  o.replay.max_region = flag("--max-region", f.max_region, parse_bytes).n;
  o.replay.max_start = flag("--max-start", f.max_start, parse_bytes).n;
  o.stop = &g_stop;
  o.on_listening = [&](const std::string& local) {
    std::printf("lh-trace replay: listening on %s (%s)\n", local.c_str(), o.live.transport.name().c_str());
    std::fflush(stdout);
  };
  install_signals();
  int rc = 0;
  try {
    rc = run_replay_server(o);
  } catch (const std::exception& e) {
    exit_with(2, e.what());
  }
  if (rc != 0) exit_with(rc, "");
}

void replay(const Flags& f) {
  if (f.trace.empty()) exit_with(2, "a trace file is needed (lh-trace replay T.jsonl --transport ... --peer ...)");
  if (f.peer.empty()) exit_with(2, "--peer ADDR:PORT is needed (the `lh-trace replay --serve` side)");
  if (!f.listen.empty() || f.once) exit_with(2, "--listen and --once are --serve flags");
  ReplayClientOptions o{.live = live_options(f)};
  o.live.peer = f.peer;
  o.chunk = flag("--chunk", f.chunk, parse_bytes).n;
  if (o.chunk == 0 || o.chunk > (1ull << 32)) exit_with(2, "--chunk " + f.chunk + ": must be from 1B to 4GiB");
  o.connect_timeout = flag("--connect-timeout", f.connect_timeout, positive_duration);
  o.duration_limit = flag("--duration-limit", f.duration_limit, positive_duration);
  ReplayScope scope = flag("--sites", f.sites, parse_sites);
  if (f.steps != 0) scope.max_steps = f.steps;
  GradientTrace trace;
  try {
    trace = traces::load_gradient_trace(f.trace);
  } catch (const std::exception& e) {
    exit_with(2, e.what());
  }
  std::optional<ReplaySchedule> sched;
  try {
    sched.emplace(trace, scope);
  } catch (const std::exception& e) {
    exit_with(2, f.trace + ": " + e.what());
  }
  std::FILE* json_out = nullptr;
  if (!f.json.empty() && f.json != "-") {
    json_out = std::fopen(f.json.c_str(), "w");
    if (json_out == nullptr) exit_with(2, "--json " + f.json + ": cannot write the file");
  }
  install_signals();
  o.stop = &g_stop;
  ReplayClientResult res;
  try {
    res = run_replay_client(*sched, o);
  } catch (const std::exception& e) {
    res = {ReplayClientResult::Outcome::kUnreachable, e.what()};
  }
  using Outcome = ReplayClientResult::Outcome;
  const ReplayReport report{.trace = f.trace, .transport = o.live.transport.name(), .peer = o.live.peer, .scope = scope,
                            .steps_total = sched->step_count(), .steps = sched->results(),
                            .complete = res.outcome == Outcome::kComplete, .error = res.error,
                            .retransmits = res.retransmits};
  const std::string lines = json_lines(report);
  if (json_out != nullptr) {
    std::fputs(lines.c_str(), json_out);
    std::fclose(json_out);
  }
  std::FILE* table_out = f.json == "-" ? stderr : stdout;
  if (res.outcome != Outcome::kUnreachable) std::fputs(format_table(report).c_str(), table_out);
  if (f.json == "-") std::fputs(lines.c_str(), stdout);
  std::fflush(stdout);
  switch (res.outcome) {
    case Outcome::kComplete: return;
    case Outcome::kUnreachable: exit_with(2, res.error);
    case Outcome::kTimedOut: exit_with(3, res.error);
    case Outcome::kFailed:
    case Outcome::kStopped: exit_with(1, res.error);
  }
}

}  // namespace

void add_replay_command(CLI::App& app) {
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("replay", "re-enact a gradient trace over a real path (client), or --serve");
  cmd->add_option("trace", f->trace, "the gradient trace (JSON Lines), client only");
  cmd->add_option("--transport", f->transport,
                  std::string("transport: ") + std::string(kTransportForms))->required();
  cmd->add_option("--peer", f->peer, "the --serve side, ADDR:PORT");
  cmd->add_option("--steps", f->steps, "replay only the first N steps")->check(CLI::Range(1u, 1u << 30));
  cmd->add_option("--sites", f->sites, "the two sites whose transfers cross the path, A,B (default 0,1)");
  cmd->add_option("--json", f->json, "write JSON Lines (one object per step, then a summary) to FILE, or - for stdout");
  cmd->add_option("--bdp", f->bdp, "TCP: socket buffers of 2 x this (e.g. 8MiB; default: kernel autotuning)");
  cmd->add_option("--mtu", f->mtu, "longhaul: largest UDP payload (default 1472B)");
  cmd->add_option("--chunk", f->chunk, "longhaul: bytes per WRITE (default 64MiB)");
  cmd->add_option("--connect-timeout", f->connect_timeout, "handshake deadline (default 3s)");
  cmd->add_option("--duration-limit", f->duration_limit, "give up after this long (default 600s)");
  cmd->add_option("--qlog", f->qlog, "longhaul: write the congestion controller's state over time to FILE (qlog "
                                   "JSON-SEQ, .sqlog: qvis reads it)");
  cmd->add_option("--psk", f->psk, "longhaul: protected mode with the pre-shared key in FILE (as lh-xfer --psk; "
                                   "both sides the same)");
  cmd->add_flag("--auth-only", f->auth_only, "longhaul, with --psk: authenticate every packet (GMAC), do not encrypt");
  cmd->add_flag("--serve", f->serve, "answer replays instead of running one");
  cmd->add_option("--listen", f->listen, "--serve: ADDR:PORT to bind (port 0: any; printed)");
  cmd->add_flag("--once", f->once, "--serve: exit after one replay (exit 0 only if it ended cleanly)");
  cmd->add_option("--max-region", f->max_region, "--serve, longhaul: largest region a replay may register (default 1GiB)");
  cmd->add_option("--max-start", f->max_start, "--serve: most bytes one START may ask the server to send (default 1TiB)");
  cmd->add_flag("--realtime", f->realtime, "run the event loop SCHED_FIFO (needs root; as lh-xfer --realtime)");
  cmd->add_flag("--describe-transport", f->describe, "print how --transport parses (JSON) and exit");
  cmd->callback([f] {
    if (f->describe) {
      std::printf("%s\n", to_json(flag("--transport", f->transport, parse_transport_spec)).dump().c_str());
      return;
    }
    f->serve ? serve(*f) : replay(*f);
  });
}

}  // namespace lh::workload
