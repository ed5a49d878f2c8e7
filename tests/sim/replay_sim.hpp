// replay_sim.hpp — `lh-trace replay` over the longhaul engine in virtual time: the replay client and
// server sessions (traces/replay_longhaul.hpp, the code lh-trace runs) on two simulated endpoints
// (client on side A, server on side B) joined by a Dumbbell, until the replay ends or `limit` passes.
// Shared by the sim tests of the replay (trace_replay_test.cpp) and of the transport on training
// traffic (transport_recovery_test.cpp). LH_SIM_QLOG=PREFIX writes both ends' controller state to
// PREFIX-client.sqlog and PREFIX-server.sqlog (qlog JSON-SEQ) for a look at a failing case.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "tests/sim/transport_scenario.hpp"
#include "traces/replay_schedule.hpp"
#include "transport/io/qlog_writer.hpp"
#include "workload/common/longhaul_endpoint.hpp"
#include "workload/replay/replay_session.hpp"

namespace lh::sim::test {

struct ReplayRun {
  bool finished = false;
  std::string error;
  std::vector<traces::StepResult> steps;
  uint64_t dropped_a_to_b = 0, dropped_b_to_a = 0;  // frames the link dropped, every cause
};

inline ReplayRun run_replay(const traces::GradientTrace& trace, const DirectionConfig& a_to_b,
                            const DirectionConfig& b_to_a, const xport::ConnectionConfig& conn, uint64_t seed,
                            Nanos limit) {
  Simulator sim;
  Dumbbell path(sim, a_to_b, b_to_a, seed);
  TransportSimEndpoint client_ep({.seed = 11, .max_connections = 2, .accept = false, .conn = conn});
  TransportSimEndpoint server_ep({.seed = 12, .max_connections = 4, .conn = conn});
  const Address server_addr = path.add_endpoint(Side::kB, server_ep);
  traces::ReplaySchedule sched(trace, {});
  workload::LonghaulEndpoint client_surface(client_ep.engine(), peer_of(server_addr));
  workload::LonghaulEndpoint server_surface(server_ep.engine());
  workload::Channel& data = client_surface.connect(sim.now());
  workload::Channel& ctrl = client_surface.connect(sim.now());
  workload::ReplayClient client(client_surface, data, ctrl, sched, /*nonce=*/99);
  workload::ReplayServer server(server_surface, {.max_region = 1ull << 30});
  const Address client_addr = path.add_endpoint(Side::kA, client_ep);

  std::optional<xport::io::QlogWriter> qc, qs;
  if (const char* q = std::getenv("LH_SIM_QLOG")) {
    qc.emplace(std::string(q) + "-client.sqlog", xport::io::QlogHeader{.title = "sim replay", .vantage_point = "client"},
               sim.now());
    qs.emplace(std::string(q) + "-server.sqlog", xport::io::QlogHeader{.title = "sim replay", .vantage_point = "server"},
               sim.now());
  }
  // Wakes the client at the schedule's next release (compute reached a transfer's after_compute).
  struct Waker final : Actor {
    void on_event(Nanos, uint64_t) override {}
  } waker;
  Nanos armed = Nanos::max();
  auto pump = [&] {
    const Nanos now = sim.now();
    if (qc) {
      client_ep.engine().for_each_connection([&](const xport::Connection& k) { qc->sample(now, k.local_cid(), k.metrics()); });
      server_ep.engine().for_each_connection([&](const xport::Connection& k) { qs->sample(now, k.local_cid(), k.metrics()); });
    }
    if (server.poll(now)) path.wake(server_addr);
    if (client.poll(now)) path.wake(client_addr);
    const Nanos w = client.next_wakeup();
    if (w != Nanos::max() && (armed <= now || w < armed)) {
      armed = w;
      sim.schedule(w, waker, 0);
    }
    return client.state() == workload::ReplayClient::State::kDone ||
           client.state() == workload::ReplayClient::State::kFailed;
  };
  ReplayRun r;
  r.finished = sim.run_until(pump, limit) && client.state() == workload::ReplayClient::State::kDone;
  r.error = client.error();
  r.steps = sched.results();
  r.dropped_a_to_b = path.stats(client_addr).packets_dropped();
  r.dropped_b_to_a = path.stats(server_addr).packets_dropped();
  return r;
}

}  // namespace lh::sim::test
