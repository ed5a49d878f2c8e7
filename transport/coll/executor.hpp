// executor.hpp — one rank's execution of a collective plan (plan.hpp) as one-sided WRITEs with
// immediate data into its peers' landing buffers. Sans-IO: the communicator (or a test's in-memory
// fabric) posts what next_post() returns, reports each WRITE's completion and each arrival, and the
// executor reduces or stores arrivals into the rank's buffer. No allocation after construction.
//
// Landing: every receive of the plan has its own place in the landing buffer the receiver keeps for
// that sender (receives from one peer laid out one after the other), so nothing one operation writes
// is overwritten by the same operation; consecutive operations alternate between two halves
// (`parity`), and an operation can only start at a peer once this rank has taken part in the previous
// one — so a half is free again when it is reused. The immediate names the receive: parity (1 bit),
// round (15 bits), index in the round (16 bits).
//
// Ordering: round k's sends are posted once round k − 1's arrivals are applied (they may carry what
// those arrivals produced); round k's arrivals are applied once every send of earlier rounds has
// completed (a WRITE reads its source until its completion, and an arrival may change those bytes).
// A round's own sends and receives touch disjoint slices (every plan here guarantees it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "transport/coll/plan.hpp"
#include "transport/coll/reduce.hpp"

namespace lh::coll {

// Where each receive of a plan lands: offsets in the receiver's per-sender landing buffer.
class LandingLayout {
 public:
  explicit LandingLayout(const Plan& plan);
  // Offset, in the landing buffer `receiver` keeps for `sender`, of receive `index` of round `round`.
  [[nodiscard]] uint64_t recv_offset(uint32_t round, uint32_t receiver, uint32_t index) const;
  // Where send `index` of `sender` in `round` lands at its peer, and which receive it is there.
  struct Target {
    uint64_t offset = 0;
    uint32_t recv_index = 0;
  };
  [[nodiscard]] Target send_target(uint32_t round, uint32_t sender, uint32_t index) const;
  // Bytes of one half of the landing buffer `receiver` keeps for `sender` (keep two: parity).
  [[nodiscard]] uint64_t landing_bytes(uint32_t receiver, uint32_t sender) const;

 private:
  uint32_t ranks_;
  std::vector<std::vector<std::vector<uint64_t>>> recv_offset_;  // [round][rank][index]
  std::vector<std::vector<std::vector<Target>>> send_target_;    // [round][rank][index]
  std::vector<uint64_t> landing_;                                // [receiver * ranks + sender]
};

[[nodiscard]] constexpr uint32_t make_imm(uint32_t parity, uint32_t round, uint32_t index) {
  return (parity & 1u) << 31 | (round & 0x7FFFu) << 16 | (index & 0xFFFFu);
}

class PlanExecutor {
 public:
  struct Post {
    uint32_t peer = 0;
    std::span<const uint8_t> local;  // from the rank's buffer
    uint64_t remote_offset = 0;      // in the peer's landing buffer for this rank (this half)
    uint32_t imm = 0;
    uint64_t id = 0;                 // pass back to on_write_done
    bool last_round = false;         // of the plan's last round (see `last_round_staged`)
  };

  // `buf` holds count elements of `type`; `parity` picks the landing half (alternate per operation).
  // `last_round_staged`: the caller copies the last round's sends out of `buf` before posting them
  // (Post::last_round), so the operation is done without waiting for their completions — a one-way
  // delay sooner; their completions may still be reported afterwards.
  PlanExecutor(uint32_t rank, const Plan& plan, const LandingLayout& layout, DataType type, RedOp op,
               std::span<uint8_t> buf, uint32_t parity, bool last_round_staged = false);

  // The next WRITE to post, if one may go now.
  [[nodiscard]] std::optional<Post> next_post();
  // The WRITE `id` completed (false: failed — the operation fails, see failed()).
  void on_write_done(uint64_t id, bool ok);
  // A WRITE from `peer` with immediate `imm` landed; `landing` is this rank's landing buffer for that
  // peer (this half). Returns false for an arrival the plan does not expect (wrong parity, round or
  // index, or a repeat): the caller treats it as a protocol error.
  bool on_arrival(uint32_t peer, uint32_t imm, std::span<const uint8_t> landing);

  // Every arrival applied and every WRITE completed (kAvg: divided by the rank count).
  [[nodiscard]] bool done() const { return failed_ || finished_; }
  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] uint32_t round() const { return round_; }
  // A peer whose data for the current round has not arrived (the first one), if any.
  [[nodiscard]] std::optional<uint32_t> waiting_for() const;

 private:
  [[nodiscard]] uint32_t rounds() const { return static_cast<uint32_t>(plan_.rounds.size()); }
  void advance();

  uint32_t rank_;
  const Plan& plan_;
  const LandingLayout& layout_;
  DataType type_;
  RedOp op_;
  std::span<uint8_t> buf_;
  uint32_t parity_;
  uint32_t round_ = 0;        // the round whose arrivals are being applied (== rounds(): all applied)
  uint32_t posted_round_ = 0; // rounds whose sends are all posted
  uint32_t next_send_ = 0;    // index into plan_.rounds[posted_round_][rank_].sends
  uint32_t pending_sends_ = 0;
  std::vector<uint32_t> unfinished_sends_;          // per round: sends not yet completed
  std::vector<std::vector<std::optional<std::span<const uint8_t>>>> arrived_;  // [round][index]
  std::vector<std::vector<bool>> applied_;
  bool failed_ = false, finished_ = false, last_round_staged_ = false;
};

}  // namespace lh::coll
