// replay_longhaul.hpp — `lh-trace replay` over the longhaul transport, sans-IO: the client and the
// server sessions sit on an lh::xport::Endpoint and are driven by whoever pumps that endpoint (the
// io_uring Driver in lh-trace, the simulator in tests/sim) — the same code in real and virtual time.
//
// Client: two connections to the server (data + control, see replay_messages.hpp). Forward transfers
// (site_a → site_b) are one-sided WRITEs of ≤ `chunk` bytes into the server's region; a transfer ends
// when the client's last WRITE completion arrives (its bytes landed and were acknowledged: + ½ RTT
// after landing). Reverse transfers (site_b → site_a) are a START to the server, which WRITEs them into
// the client's region with the transfer id as immediate; one ends when its last byte landed at the
// client (the START took ½ RTT to get there). Both directions therefore end one RTT plus their
// serialization after the schedule released them on an idle path. Payload bytes are a fixed pattern
// (every WRITE copies source[0, len) to region[0, len), so overlapping concurrent WRITEs place the
// same bytes); the engine's end-to-end XXH3 still checks each one. Sizes bytes, times lh::Nanos.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "traces/replay_messages.hpp"
#include "traces/replay_schedule.hpp"
#include "transport/proto/endpoint.hpp"

namespace lh::traces {

inline constexpr uint64_t kDefaultReplayChunk = 64ull << 20;  // bytes per WRITE

class LonghaulReplayClient {
 public:
  enum class State : uint8_t { kConnecting, kRunning, kDone, kFailed };

  // `data` and `ctrl`: two connections of `ep` to the server, just connect()ed. `schedule` is not
  // started yet; the client starts it when READY arrives. All must outlive the client.
  LonghaulReplayClient(xport::Endpoint& ep, xport::Connection& data, xport::Connection& ctrl, ReplaySchedule& schedule,
                       uint64_t nonce, uint64_t chunk = kDefaultReplayChunk);

  // After every driver turn (and once before the first): drains the endpoint's completions, starts
  // the schedule on READY, issues what the schedule releases, posts what the connection refused.
  // Returns true if it posted an operation (a driver that only transmits on demand should poll
  // the endpoint's transmit path then).
  bool poll(Nanos now);
  // The schedule's next wake-up while running, else Nanos::max().
  [[nodiscard]] Nanos next_wakeup() const;
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  // Driver time at which the schedule started (READY arrived).
  [[nodiscard]] Nanos started_at() const { return started_at_; }

 private:
  struct Chunk {
    uint32_t id = 0;
    uint64_t len = 0;
  };
  void fail(std::string why);
  void on_completion(const xport::Completion& c, Nanos now);
  void transfer_progress(uint32_t id, uint64_t bytes, Nanos now);
  void issue(Nanos now);
  void post_backlog();

  xport::Endpoint& ep_;
  xport::Connection& data_;
  xport::Connection& ctrl_;
  ReplaySchedule& sched_;
  uint64_t chunk_fwd_ = 0, chunk_rev_ = 0;  // bytes: largest forward WRITE, client region size
  std::vector<uint8_t> source_, region_;
  uint64_t region_rkey_ = 0, server_rkey_ = 0;
  ReplayMessage hello_data_{}, hello_ctrl_{}, ready_{};
  std::vector<ReplayMessage> start_msgs_;    // per transfer id (alive until its SEND completed)
  std::vector<uint64_t> remaining_;          // per transfer id: bytes not landed / acknowledged yet
  std::unordered_map<uint64_t, uint64_t> checksums_;  // WRITE length → XXH3 of source_[0, length)
  std::deque<Chunk> fwd_backlog_;            // forward WRITEs the data connection refused (queue full)
  std::deque<uint32_t> start_backlog_;       // STARTs not posted yet
  uint32_t starts_in_flight_ = 0;
  bool posted_ = false;                      // an operation was posted during this poll
  State state_ = State::kConnecting;
  std::string error_;
  Nanos started_at_{0};
};

struct ReplayServerStats {
  uint64_t sessions = 0, sessions_ok = 0;
  uint64_t bytes_received = 0, bytes_sent = 0;  // payload of forward / reverse WRITEs
};

class LonghaulReplayServer {
 public:
  // `ep` accepts connections. Sessions may register at most `max_region` bytes each.
  LonghaulReplayServer(xport::Endpoint& ep, uint64_t max_region);
  ~LonghaulReplayServer();
  LonghaulReplayServer(const LonghaulReplayServer&) = delete;
  LonghaulReplayServer& operator=(const LonghaulReplayServer&) = delete;

  // After every driver turn: accepts connections, answers HELLOs, serves STARTs, drops ended sessions.
  // Returns true if it posted an operation (as LonghaulReplayClient::poll).
  bool poll(Nanos now);
  [[nodiscard]] const ReplayServerStats& stats() const { return stats_; }
  [[nodiscard]] size_t open_sessions() const;

 private:
  struct Session;
  struct Conn;
  void on_completion(const xport::Completion& c);
  void on_hello(Conn& c, const ReplayMessage& m);
  void maybe_ready(Session& s);
  void post_writes(Session& s);
  void reap();

  xport::Endpoint& ep_;
  uint64_t max_region_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Session>> sessions_;
  ReplayServerStats stats_;
  bool posted_ = false;
};

}  // namespace lh::traces
