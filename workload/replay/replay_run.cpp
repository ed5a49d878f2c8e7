// replay_run.cpp — see replay_run.hpp.
//
// Client turn: poll the session (completions → schedule, releases → WRITEs/STARTs), then let the
// transport transmit and sleep until the earliest of its deadline, I/O, and the schedule's next
// release (capped at kTurn so stop requests and deadlines are noticed).
#include "workload/replay/replay_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <random>

namespace lh::workload {
namespace {

constexpr Nanos kTurn = Nanos::from_ms(20);
constexpr Nanos kCloseWait = Nanos::from_s(2);

uint64_t random_u64() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

bool stopping(const std::atomic<bool>* s) { return s != nullptr && s->load(); }

}  // namespace

ReplayClientResult run_replay_client(traces::ReplaySchedule& schedule, const ReplayClientOptions& o) {
  using Outcome = ReplayClientResult::Outcome;
  LiveOptions live = o.live;
  live.max_channels = 2;
  live.tool = "lh-trace replay";
  std::unique_ptr<LiveTransport> t = open_live_transport(live);
  if (const std::string w = t->warnings(); !w.empty()) std::fprintf(stderr, "lh-trace replay: %s", w.c_str());
  TransportEndpoint& ep = t->endpoint();
  Channel& data = ep.connect(t->now());
  Channel& ctrl = ep.connect(t->now());
  ReplayClient client(ep, data, ctrl, schedule, random_u64(), o.chunk);

  const Nanos connect_deadline = t->now() + o.connect_timeout;
  Nanos run_deadline = Nanos::max();
  ReplayClientResult res;
  while (true) {
    const Nanos now = t->now();
    client.poll(now);
    const auto st = client.state();
    if (st == ReplayClient::State::kDone) {
      res.outcome = Outcome::kComplete;
      break;
    }
    if (st == ReplayClient::State::kFailed) {
      // Failing before any READY (a refused or lost connection) is an unreachable peer.
      res = {client.answered() ? Outcome::kFailed : Outcome::kUnreachable, client.error()};
      break;
    }
    if (stopping(o.stop)) {
      res = {Outcome::kStopped, "stopped by a signal"};
      break;
    }
    if (st == ReplayClient::State::kConnecting && now >= connect_deadline) {
      res = {Outcome::kUnreachable,
             fmt::format("no READY from {} within {} (handshake timed out); is `lh-trace replay --serve "
                         "--transport {}` running there?", o.live.peer, format(o.connect_timeout), o.live.transport.name())};
      break;
    }
    if (st == ReplayClient::State::kRunning && run_deadline == Nanos::max()) {
      run_deadline = client.started_at() + o.duration_limit;
    }
    if (now >= run_deadline) {
      res = {Outcome::kTimedOut, fmt::format("duration limit {} reached", format(o.duration_limit))};
      break;
    }
    const Nanos wake = std::min(client.next_wakeup(), run_deadline);
    t->turn(wake <= now ? Nanos{0} : std::min(kTurn, wake - now));
  }
  res.retransmits = data.counters().retransmits + ctrl.counters().retransmits;
  for (Channel* c : {&data, &ctrl}) c->close(t->now());
  const Nanos close_deadline = t->now() + kCloseWait;
  while ((!ended(data.state()) || !ended(ctrl.state())) && t->now() < close_deadline) t->turn(Nanos::from_ms(20));
  if (!t->flush()) std::fprintf(stderr, "lh-trace replay: qlog: write failed\n");
  return res;
}

int run_replay_server(const ReplayServerOptions& o) {
  LiveOptions live = o.live;
  live.tool = "lh-trace replay --serve";
  std::unique_ptr<LiveTransport> t = open_live_transport(live);
  if (const std::string w = t->warnings(); !w.empty()) std::fprintf(stderr, "lh-trace replay: %s", w.c_str());
  ReplayServer server(t->endpoint(), o.replay);
  if (o.on_listening) o.on_listening(t->local());
  while (!stopping(o.stop)) {
    server.poll(t->now());
    if (o.once && server.stats().sessions > 0 && server.open_sessions() == 0) break;
    t->turn(Nanos::from_ms(50));
  }
  if (!t->flush()) std::fprintf(stderr, "lh-trace replay --serve: qlog: write failed\n");
  const ReplayServerStats& s = server.stats();
  std::fprintf(stderr, "lh-trace replay --serve: %llu session(s), %llu ended cleanly; %llu bytes received, %llu sent\n",
               static_cast<unsigned long long>(s.sessions), static_cast<unsigned long long>(s.sessions_ok),
               static_cast<unsigned long long>(s.bytes_received), static_cast<unsigned long long>(s.bytes_sent));
  return o.once ? (s.sessions_ok > 0 ? 0 : 1) : 0;
}

}  // namespace lh::workload
