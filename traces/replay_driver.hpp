// replay_driver.hpp — the real-time drivers of `lh-trace replay`: the longhaul transport on the
// io_uring driver (replay_longhaul_driver.cpp) and TCP on Boost.Asio (replay_tcp.cpp).
//
// The client owns the schedule (replay_schedule.hpp) and reads the monotonic clock; the server only
// answers. Both ends take the transport: the server's congestion control sends the reverse
// direction (site_b → site_a). Each call runs on the calling thread (one event loop) until the
// replay ended, failed, or hit a deadline. Sizes bytes, times lh::Nanos.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "src/units.hpp"
#include "traces/replay_longhaul.hpp"
#include "traces/replay_schedule.hpp"
#include "traces/replay_transport.hpp"

namespace lh::traces {

struct ReplayClientOptions {
  std::string peer;                         // server ADDR:PORT or [V6]:PORT
  ReplayTransport transport;
  uint64_t bdp_bytes = 0;                   // TCP: socket buffers 2 × this (0: kernel autotuning)
  uint16_t mtu = 1472;                      // longhaul: largest UDP payload
  uint64_t chunk = kDefaultReplayChunk;     // bytes per WRITE / per TCP part
  Nanos connect_timeout = Nanos::from_s(3);
  Nanos duration_limit = Nanos::from_s(600);
  const std::atomic<bool>* stop = nullptr;  // checked every turn (SIGINT/SIGTERM)
  std::string qlog;                         // longhaul: controller state as qlog JSON-SEQ to this file
};

struct ReplayClientResult {
  enum class Outcome { kComplete, kUnreachable, kFailed, kTimedOut, kStopped } outcome = Outcome::kFailed;
  std::string error;                        // empty when complete
  uint64_t retransmits = 0;                 // the client's (forward direction): packets or TCP segments
};

ReplayClientResult run_longhaul_replay(ReplaySchedule& schedule, const ReplayClientOptions& opt);
ReplayClientResult run_tcp_replay(ReplaySchedule& schedule, const ReplayClientOptions& opt);

struct ReplayServerOptions {
  std::string listen;                       // ADDR:PORT (port 0: any)
  ReplayTransport transport;
  bool once = false;                        // return after the first session ended
  uint64_t max_region = 1ull << 30;         // longhaul: largest region a session may register
  uint64_t bdp_bytes = 0;                   // TCP: socket buffers 2 × this
  uint16_t mtu = 1472;
  const std::atomic<bool>* stop = nullptr;
  std::string qlog;                         // longhaul: controller state as qlog JSON-SEQ to this file
  std::function<void(const std::string& local)> on_listening;  // the bound address, once
};

// Return 0 (with once: the session ended cleanly), 1 otherwise. Throw std::runtime_error when they
// cannot listen.
int run_longhaul_replay_server(const ReplayServerOptions& opt);
int run_tcp_replay_server(const ReplayServerOptions& opt);

}  // namespace lh::traces
