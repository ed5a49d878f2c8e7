// communicator.hpp — a communicator of N ranks over the transport: it exchanges landing-buffer keys
// with the peers its plans need, then runs collectives (all-reduce, for now) as plans (plan.hpp)
// executed by a PlanExecutor over one-sided WRITEs with immediate data. Sans-IO: the caller drives
// poll(now) between turns of the transport, like every workload session.
//
// The transport is reached through Fabric, a per-peer view of the verbs (the workload layer adapts
// its TransportEndpoint/Channel surface to it, workload/common/coll_fabric.hpp), so this library stays
// below the workload layer (ARCHITECTURE.md floors). Failure: a failed WRITE (remote access error, a
// transport timeout — every WRITE carries the communicator's op_timeout), a lost link, or a protocol
// error (an arrival the plan does not expect) fails the running operation with an error naming the
// peer and the cause, and the communicator with it — never a hang, never a wrong result.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "src/units.hpp"
#include "transport/coll/executor.hpp"
#include "transport/coll/plan.hpp"
#include "transport/coll/reduce.hpp"
#include "transport/proto/connection.hpp"
#include "transport/proto/memory_registry.hpp"
#include "transport/proto/types.hpp"

namespace lh::coll {

// The verbs, per peer rank.
class Fabric {
 public:
  virtual ~Fabric() = default;
  // A region only `peer` may write (a protection domain of that peer's link).
  virtual xport::MemoryRegion register_for(uint32_t peer, std::span<uint8_t> bytes) = 0;
  virtual xport::PostResult post_write(uint32_t peer, const xport::WriteRequest& w) = 0;
  virtual xport::PostResult post_send(uint32_t peer, uint64_t wr_id, std::span<const uint8_t> message) = 0;
  virtual xport::PostResult post_recv(uint32_t peer, uint64_t wr_id, std::span<uint8_t> buffer) = 0;
  struct Event {
    uint32_t peer = 0;
    xport::Completion c;
  };
  [[nodiscard]] virtual std::optional<Event> poll() = 0;
  // Why the link to `peer` is down ("" while it is up or connecting).
  [[nodiscard]] virtual std::string link_error(uint32_t peer) const = 0;
};

enum class Algorithm : uint8_t { kAuto, kRing, kHierarchical };

// In place on the caller's buffer of count elements, cut into `size` chunks (plan.hpp's chunk()):
//   kAllReduce      every rank ends with the reduction of all buffers
//   kReduceScatter  rank r ends with chunk r reduced (its other chunks: partial results)
//   kAllGather      rank r contributes chunk r; every rank ends with all chunks
//   kBroadcast      every rank ends with the root's buffer
enum class Collective : uint8_t { kAllReduce, kReduceScatter, kAllGather, kBroadcast };

struct CommConfig {
  uint32_t rank = 0, size = 1;
  std::vector<uint32_t> site_of;  // rank -> site (empty: all in one site)
  uint64_t max_bytes = 64ull << 20;  // the largest buffer one operation takes
  Algorithm algorithm = Algorithm::kAuto;  // auto: hierarchical when there are several sites of equal size
  // Each WRITE's transport deadline, and the whole operation's: a peer that sends nothing for an
  // operation (hung, or never joined it) fails it after this long, named.
  Nanos op_timeout = Nanos::from_s(60);
};

class Communicator {
 public:
  enum class State : uint8_t { kSetup, kReady, kRunning, kFailed };

  Communicator(const CommConfig& cfg, Fabric& fabric);
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  // Starts collective `kind` on `buf` (count × size_of(type) bytes, ≤ max_bytes) in place; false (and
  // nothing started) unless the communicator is ready and idle. Every rank starts the same sequence
  // of operations with the same sizes (as in NCCL and gloo).
  bool start(Collective kind, std::span<uint8_t> buf, DataType type, RedOp op = RedOp::kSum, uint32_t root = 0);
  bool start_all_reduce(std::span<uint8_t> buf, DataType type, RedOp op) {
    return start(Collective::kAllReduce, buf, type, op);
  }
  // A barrier: an all-reduce of one int32 per rank (every rank must contribute before any finishes).
  bool start_barrier();
  // Moves everything on: completions in, WRITEs out. True if it posted anything (the driver then
  // transmits at once).
  bool poll(Nanos now);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool ready() const { return state_ == State::kReady; }
  // Ready, and no staged WRITE of an operation that already ended is still unacknowledged: the
  // links may be closed now without losing a peer's data.
  [[nodiscard]] bool quiescent() const { return ready() && stage_pending_[0] == 0 && stage_pending_[1] == 0; }
  // Operations finished successfully so far.
  [[nodiscard]] uint64_t completed() const { return completed_; }
  // Why the communicator failed: "rank 1: WRITE failed: timeout", ...
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] Algorithm algorithm() const { return algo_; }

 private:
  struct Peer {
    bool used = false;
    std::vector<uint8_t> landing;  // two halves written by this peer
    xport::MemoryRegion mine{};    // `landing`, registered for the peer
    uint64_t remote_rkey = 0, remote_bytes = 0;  // the peer's landing for us
    bool key_known = false, key_sent = false;
    std::array<uint8_t, 24> key_out{}, key_in{};
  };
  void fail(uint32_t peer, const std::string& why);
  bool check_links();  // false (and failed) if a link this communicator uses has ended
  void on_event(const Fabric::Event& e);
  [[nodiscard]] Plan make_plan(Collective kind, uint64_t count, uint64_t elem, uint32_t root) const;

  CommConfig cfg_;
  Fabric& fabric_;
  Algorithm algo_;
  State state_ = State::kSetup;
  std::string error_;
  std::vector<Peer> peers_;
  uint64_t half_ = 0;  // bytes of one landing half
  uint64_t op_seq_ = 0, completed_ = 0;
  std::optional<Nanos> op_started_;  // the first poll of the running operation
  // The running operation.
  std::optional<Plan> plan_;
  std::optional<LandingLayout> layout_;
  std::optional<PlanExecutor> exec_;
  std::vector<Fabric::Event> early_;  // arrivals for the next operation
  std::vector<int32_t> barrier_;      // the barrier's buffer
  // The last round's sends are copied here (one area per landing parity) so an operation ends when
  // its data has arrived, not a one-way delay later when those WRITEs are acknowledged; an area is
  // reused only once every WRITE from it completed.
  std::array<std::vector<uint8_t>, 2> stage_;
  std::array<uint64_t, 2> stage_used_{}, stage_op_{};
  std::array<uint32_t, 2> stage_pending_{};
  std::optional<PlanExecutor::Post> stalled_;  // a last-round send waiting for its staging area
};

}  // namespace lh::coll
