// replay_run.hpp — `lh-trace replay`'s real-time runs: the sans-IO sessions (replay_session.hpp) on
// a live transport (workload/common/live_transport.hpp), the same code for every transport of the
// grammar. The client owns the schedule and the clock; the server only answers. Each call runs on
// the calling thread until the replay ended, failed, or hit a deadline. Sizes bytes, times lh::Nanos.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "src/units.hpp"
#include "traces/replay_schedule.hpp"
#include "workload/common/live_transport.hpp"
#include "workload/replay/replay_session.hpp"

namespace lh::workload {

struct ReplayClientOptions {
  LiveOptions live;                         // live.peer: the `lh-trace replay --serve` side
  uint64_t chunk = kDefaultReplayChunk;     // bytes per WRITE
  Nanos connect_timeout = Nanos::from_s(3);
  Nanos duration_limit = Nanos::from_s(600);
  const std::atomic<bool>* stop = nullptr;  // checked every turn (SIGINT/SIGTERM)
};

struct ReplayClientResult {
  enum class Outcome { kComplete, kUnreachable, kFailed, kTimedOut, kStopped } outcome = Outcome::kFailed;
  std::string error;                        // empty when complete
  uint64_t retransmits = 0;                 // the client's (forward direction): packets or TCP segments
};

ReplayClientResult run_replay_client(traces::ReplaySchedule& schedule, const ReplayClientOptions& o);

struct ReplayServerOptions {
  LiveOptions live;                         // live.listen: where to bind (port 0: any)
  ReplayServerConfig replay;
  bool once = false;                        // return after the first session ended
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string& local)> on_listening;  // the bound address, once
};

// Returns 0 (with once: the session ended cleanly), 1 otherwise. Throws when it cannot listen.
int run_replay_server(const ReplayServerOptions& o);

}  // namespace lh::workload
