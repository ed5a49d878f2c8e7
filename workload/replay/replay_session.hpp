// replay_session.hpp — `lh-trace replay` as sans-IO sessions over the workload transport surface
// (workload/common/transport.hpp): the same client and server run over the longhaul engine (io_uring),
// the TCP baseline (Asio) and the simulator (tests/sim), so a replay measures the transport alone.
//
// Client: two channels to the server (data + control; a START on its own channel never waits behind
// a 64 MiB forward WRITE). Forward transfers (site_a → site_b) are one-sided WRITEs of ≤ `chunk`
// bytes into the server's region; a transfer ends when the client's last WRITE completion arrives
// (its bytes landed and were acknowledged: + ½ RTT after landing). Reverse transfers (site_b →
// site_a) are a START to the server, which WRITEs them into the client's region with the transfer id
// as immediate; one ends when its last byte landed at the client. Both directions therefore end one
// RTT plus their serialization after the schedule released them on an idle path. Payload bytes are a
// fixed pattern (every WRITE copies source[0, len) to region[0, len), so overlapping concurrent WRITEs
// place the same bytes); the transport's end-to-end XXH3 still checks each one.
// Messages: workload/common/control_codec.hpp (ReplayHelloData/Ctrl, ReplayReady, ReplayStart).
// Server limits a stranger cannot exceed: the region a session registers (max_region), the bytes
// one START asks for (max_start), and the backlog of one START is one entry however large it is.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/units.hpp"
#include "traces/replay_schedule.hpp"
#include "workload/common/control_codec.hpp"
#include "workload/common/transport.hpp"

namespace lh::workload {

inline constexpr uint64_t kDefaultReplayChunk = 64ull << 20;  // bytes per WRITE
inline constexpr uint64_t kDefaultMaxStart = 1ull << 40;      // bytes one START may ask for (1 TiB)

class ReplayClient {
 public:
  enum class State : uint8_t { kConnecting, kRunning, kDone, kFailed };

  // `data` and `ctrl`: two fresh channels of `ep` to the server. `schedule` is not started yet; the
  // client starts it when READY arrives. All must outlive the client.
  ReplayClient(TransportEndpoint& ep, Channel& data, Channel& ctrl, traces::ReplaySchedule& schedule, uint64_t nonce,
               uint64_t chunk = kDefaultReplayChunk);

  // After every driver turn (and once before the first): drains the completions, starts the schedule
  // on READY, issues what the schedule releases, posts what the channels refused. Returns true if it
  // posted an operation (a driver that only transmits on demand should poll the transport then).
  bool poll(Nanos now);
  // The schedule's next wake-up while running, else Nanos::max().
  [[nodiscard]] Nanos next_wakeup() const;
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] Nanos started_at() const { return started_at_; }  // when READY arrived
  [[nodiscard]] bool answered() const { return answered_; }         // the server sent a READY (of any status)

 private:
  struct Chunk {
    uint32_t id = 0;
    uint64_t len = 0;
  };
  void fail(std::string why);
  void on_completion(const Completion& c, Nanos now);
  void transfer_progress(uint32_t id, uint64_t bytes, Nanos now);
  void issue(Nanos now);
  void post_backlog();

  TransportEndpoint& ep_;
  Channel& data_;
  Channel& ctrl_;
  traces::ReplaySchedule& sched_;
  uint64_t chunk_fwd_ = 0, chunk_rev_ = 0;  // bytes: largest forward WRITE, client region size
  std::vector<uint8_t> source_, region_;
  uint64_t region_rkey_ = 0, server_rkey_ = 0;
  EncodedMessage hello_data_, hello_ctrl_;
  MessageBuffer ready_;
  std::vector<EncodedMessage> start_msgs_;   // per transfer id (alive until its SEND completed)
  std::vector<uint64_t> remaining_;          // per transfer id: bytes not landed / acknowledged yet
  std::unordered_map<uint64_t, uint64_t> checksums_;  // WRITE length → XXH3 of source_[0, length)
  std::deque<Chunk> fwd_backlog_;            // forward WRITEs the data channel refused (queue full)
  std::deque<uint32_t> start_backlog_;       // STARTs not posted yet
  uint32_t starts_in_flight_ = 0;
  bool posted_ = false, answered_ = false;
  State state_ = State::kConnecting;
  std::string error_;
  Nanos started_at_{0};
};

struct ReplayServerStats {
  uint64_t sessions = 0, sessions_ok = 0;
  uint64_t bytes_received = 0, bytes_sent = 0;  // payload of forward / reverse WRITEs
  uint64_t refused = 0;                          // sessions refused (region, START or message)
};

struct ReplayServerConfig {
  uint64_t max_region = 1ull << 30;  // bytes a session may make the server register
  uint64_t max_start = kDefaultMaxStart;
};

class ReplayServer {
 public:
  ReplayServer(TransportEndpoint& ep, const ReplayServerConfig& cfg);
  ~ReplayServer();
  ReplayServer(const ReplayServer&) = delete;
  ReplayServer& operator=(const ReplayServer&) = delete;

  // After every driver turn: accepts channels, answers HELLOs, serves STARTs, drops ended sessions.
  // Returns true if it posted an operation (as ReplayClient::poll).
  bool poll(Nanos now);
  [[nodiscard]] const ReplayServerStats& stats() const { return stats_; }
  [[nodiscard]] size_t open_sessions() const;

 private:
  struct Session;
  struct Conn;
  void on_completion(const Completion& c);
  void on_hello(Conn& c, std::span<const uint8_t> bytes);
  void on_start(Session& s, const ReplayStart& m);
  void maybe_ready(Session& s);
  void post_writes(Session& s);
  void reap();

  TransportEndpoint& ep_;
  ReplayServerConfig cfg_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Session>> sessions_;
  ReplayServerStats stats_;
  bool posted_ = false;
};

}  // namespace lh::workload
