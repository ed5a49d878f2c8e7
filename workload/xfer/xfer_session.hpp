// xfer_session.hpp — lh-xfer as sans-IO sessions over the workload transport surface, so the same
// client and server run over the longhaul engine on io_uring, over the TCP baseline on Asio, and in
// the simulator (tests/sim/xfer_sim_test.cpp) in virtual time.
//
// The transfer: the client's source and the server's target are rings of `slots` shard-sized
// buffers (or exactly `size` bytes when smaller), so 8 GiB needs slots × shard of memory per side.
// Shard i goes from source slot i mod slots to the server's slot i mod slots as one one-sided WRITE
// with immediate i. A slot is restamped (workload/common/shard_pattern.hpp: block headers only) and
// hashed for its next shard only after its previous WRITE completed — and the target completes a
// WRITE only after the server session has verified the slot (placement + pattern), since a
// transport acknowledges a WRITE's last bytes only after the completions its arrival produced were
// polled (the engine transmits after the driver turn; the TCP baseline flushes statuses at the next
// turn). Control messages (HELLO, READY, DONE, REPORT) are workload/common/control_codec.hpp SENDs.
// Sizes bytes, times lh::Nanos; the sessions never read a clock.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "src/units.hpp"
#include "workload/common/control_codec.hpp"
#include "workload/common/transport.hpp"
#include "workload/common/xfer_summary.hpp"

namespace lh::workload {

// Restamps a source slot for its next shard and hashes it (XXH3-64). lh-xfer does it on a helper
// thread (workload/xfer/shard_preparer.hpp) so its event loop keeps sending; InlineShards does it at
// submit (the simulator). Jobs come back in submission order.
class ShardSource {
 public:
  struct Job {
    uint32_t slot = 0;
    uint64_t shard = 0;
    std::span<uint8_t> bytes;  // the slot's bytes for this shard (holds some shard's pattern already)
    uint64_t checksum = 0;     // filled by the source
  };
  virtual ~ShardSource() = default;
  virtual void submit(const Job& job) = 0;
  virtual std::optional<Job> poll() = 0;
  [[nodiscard]] virtual size_t pending() const = 0;  // submitted and not yet returned by poll()
};

class InlineShards final : public ShardSource {
 public:
  explicit InlineShards(uint64_t seed) : seed_(seed) {}
  void submit(const Job& job) override;
  std::optional<Job> poll() override;
  size_t pending() const override { return done_.size(); }

 private:
  uint64_t seed_;
  std::deque<Job> done_;
};

// Memory for a server's target ring. lh-xfer faults huge pages in on a helper thread before READY
// (as registering memory for RDMA pins it); VectorRegions hands out zeroed vectors at once.
class RegionSource {
 public:
  virtual ~RegionSource() = default;
  // Starts preparing `bytes`; returns a handle.
  virtual uint64_t request(uint64_t bytes) = 0;
  // The memory once it is ready, else an empty span.
  virtual std::span<uint8_t> ready(uint64_t handle) = 0;
  virtual void release(uint64_t handle) = 0;
};

class VectorRegions final : public RegionSource {
 public:
  uint64_t request(uint64_t bytes) override;
  std::span<uint8_t> ready(uint64_t handle) override;
  void release(uint64_t handle) override;

 private:
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> regions_;
  uint64_t next_ = 1;
};

struct XferClientConfig {
  uint64_t size = 0;               // bytes to transfer (> 0)
  uint64_t shard = 64ull << 20;    // bytes per WRITE (> 0)
  uint32_t slots = 4;              // ring slots per side (shards in flight)
  uint64_t seed = 0x6c682d78666572ull;  // pattern seed, sent in HELLO
};

// The source ring a client needs: min(size, slots × shard) bytes, every slot holding its first
// shard's pattern (fill it with prepare_source before the session starts).
uint64_t source_bytes(const XferClientConfig& c);
void prepare_source(std::span<uint8_t> source, const XferClientConfig& c);

class XferClient {
 public:
  enum class Phase : uint8_t { kHandshake, kTransfer, kReport, kDone, kFailed };

  // `ch` is a fresh channel of `ep`; `source` is prepare_source()d; all outlive the session.
  XferClient(TransportEndpoint& ep, Channel& ch, const XferClientConfig& cfg, std::span<uint8_t> source,
             ShardSource& shards);

  // After every driver turn: drains completions, posts what freed slots allow, moves the phases on.
  // Returns true if it posted an operation (a driver that only transmits on demand polls the
  // transport then, as the simulator does).
  bool poll(Nanos now);
  // Shards are being prepared off the loop: poll again soon (a helper thread cannot wake the driver).
  [[nodiscard]] bool preparing() const { return held_.has_value() || shards_.pending() > 0; }
  [[nodiscard]] Phase phase() const { return phase_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] bool refused() const { return refused_; }       // the server answered READY with an error
  [[nodiscard]] bool ready() const { return ready_; }  // the server's READY (ok) arrived
  [[nodiscard]] uint64_t bytes_done() const { return bytes_done_; }
  [[nodiscard]] uint64_t shards() const { return nshards_; }
  [[nodiscard]] Nanos started_at() const { return started_; }
  // The session's figures (bytes, seconds, shards, per-shard times, RTT samples, the server's report);
  // the driver adds what only it knows (addresses, transport name, datapath flags). For a transfer
  // stopped early, bytes = the WRITE payload the target acknowledged and seconds run to `now`.
  void fill(XferSummary& s, Nanos now) const;

 private:
  void fail(std::string why);
  void on_completion(const Completion& c, Nanos now);
  void post_more(Nanos now);

  TransportEndpoint& ep_;
  Channel& ch_;
  XferClientConfig cfg_;
  std::span<uint8_t> source_;
  ShardSource& shards_;
  uint64_t nshards_, slots_;
  EncodedMessage hello_, done_;
  MessageBuffer ready_buf_, report_buf_;
  uint64_t rkey_ = 0;
  std::vector<Nanos> posted_at_;
  std::vector<bool> slot_busy_;
  std::optional<ShardSource::Job> held_;  // prepared, refused with kQueueFull: retried first
  uint64_t next_shard_ = 0, completed_ = 0, bytes_done_ = 0;
  Phase phase_ = Phase::kHandshake;
  bool refused_ = false, posted_ = false, ready_ = false;
  void fail_channel();
  std::string error_;
  Nanos started_{0}, finished_{0}, last_rtt_sample_{INT64_MIN / 2};
  Nanos last_rtt_{0};
  std::vector<int64_t> shard_ns_, rtt_ns_;
  std::optional<XferReport> report_;
};

// One transfer the server saw end.
struct XferServerResult {
  std::string peer;
  uint32_t streams = 1;            // TCP connections of the channel
  bool closed = false;             // closed cleanly (else lost)
  bool got_hello = false;          // a valid HELLO arrived (else: not a transfer)
  uint64_t shards = 0, verified = 0, bad = 0, verified_bytes = 0;
  [[nodiscard]] bool ok() const { return got_hello && bad == 0 && verified == shards; }
};

struct XferServerConfig {
  uint64_t max_region = 4ull << 30;  // largest target ring one transfer may make the server prepare
  // Transfers holding a target ring at once, and the bytes of all their rings: a HELLO beyond either
  // is answered kBusy (the client says so and exits), so peers cannot make the server reserve
  // more memory than these allow.
  uint32_t max_sessions = 16;
  uint64_t max_region_total = 8ull << 30;
};

class XferServer {
 public:
  // `ep` accepts; `regions` prepares target memory. Both outlive the session.
  XferServer(TransportEndpoint& ep, const XferServerConfig& cfg, RegionSource& regions);
  ~XferServer();
  XferServer(const XferServer&) = delete;
  XferServer& operator=(const XferServer&) = delete;

  // After every driver turn: accepts channels, answers HELLO and DONE, verifies each landed shard.
  // Returns true if it posted an operation (as XferClient::poll).
  bool poll(Nanos now);
  // Transfers that ended since the last call.
  std::vector<XferServerResult> take_finished();
  [[nodiscard]] size_t open_transfers() const { return sessions_.size(); }

 private:
  struct Session;
  void on_completion(const Completion& c);
  void on_hello(Session& s, const XferHello& h);

  TransportEndpoint& ep_;
  XferServerConfig cfg_;
  RegionSource& regions_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<XferServerResult> finished_;
  bool posted_ = false;
};

}  // namespace lh::workload
