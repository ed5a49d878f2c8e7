// executor_test.cpp — PlanExecutor (transport/coll/executor.hpp) on an in-memory fabric that behaves
// like the transport at its worst: a WRITE's source bytes are read when it is delivered (any time
// before its completion), deliveries and completions come in a random order, and each rank's landing
// buffers are checked for a WRITE that lands on bytes the receiver has not consumed yet. Ring and
// hierarchical plans, 2–8 ranks, every operator, several operations back to back (alternating landing
// halves), each with a different random schedule: the results are exact and identical everywhere.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "transport/coll/executor.hpp"

namespace lh::coll {
namespace {

struct InFlight {
  uint32_t from = 0, to = 0, op = 0;
  PlanExecutor::Post post;
  bool delivered = false;
};

struct Landed {  // a delivered WRITE whose bytes the receiver has not applied yet
  uint32_t to, from, parity, op, round;
  uint64_t offset, bytes;
};

int32_t input(uint32_t r, int o, uint64_t i) { return static_cast<int32_t>((r + 1) * (o + 3) + i % 97) - 50; }

// Runs `ops` all-reduces of `count` int32 elements with `plan`. Each rank starts its next operation
// as soon as its own executor is done (so a fast rank's WRITEs for operation o + 1 reach a peer still
// in operation o: the peer's communicator keeps such arrivals for its next executor). Fails the test
// if a WRITE lands on landing bytes their receiver has not applied yet, or on a wrong result.
// `staged`: the last round's sends are copied out before posting (as the communicator does), so an
// operation may end before their completions, which then arrive for an operation already over.
void run(const Plan& plan, RedOp op, uint64_t count, int ops, uint32_t seed, bool staged = false) {
  const uint32_t n = plan.ranks;
  const LandingLayout layout(plan);
  std::mt19937 rng(seed);
  std::vector<std::vector<std::vector<int32_t>>> buf(n, std::vector<std::vector<int32_t>>(ops, std::vector<int32_t>(count)));
  std::vector<std::vector<std::vector<uint8_t>>> landing(n, std::vector<std::vector<uint8_t>>(n));
  for (uint32_t r = 0; r < n; ++r)
    for (uint32_t p = 0; p < n; ++p) landing[r][p].resize(2 * layout.landing_bytes(r, p));
  auto half = [&](uint32_t to, uint32_t from, uint32_t parity) {
    const uint64_t h = layout.landing_bytes(to, from);
    return std::span<const uint8_t>(landing[to][from].data() + parity * h, h);
  };
  std::vector<int> cur(n, 0);  // each rank's current operation
  std::vector<std::unique_ptr<PlanExecutor>> ex(n);
  std::vector<std::vector<InFlight>> early(n);  // arrivals for a rank's next operation
  auto start = [&](uint32_t r) {
    const int o = cur[r];
    for (uint64_t i = 0; i < count; ++i) buf[r][o][i] = input(r, o, i);
    ex[r] = std::make_unique<PlanExecutor>(r, plan, layout, DataType::kI32, op,
                                           std::span(reinterpret_cast<uint8_t*>(buf[r][o].data()), count * 4),
                                           static_cast<uint32_t>(o) & 1u, staged);
    std::vector<InFlight> keep;
    for (const InFlight& f : early[r]) {
      if (static_cast<int>(f.op) == o) {
        EXPECT_TRUE(ex[r]->on_arrival(f.from, f.post.imm, half(r, f.from, f.op & 1u)));
      } else {
        keep.push_back(f);
      }
    }
    early[r] = keep;
  };
  for (uint32_t r = 0; r < n; ++r) start(r);
  std::vector<InFlight> flight;
  std::vector<Landed> landed;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> stage;
  for (int guard = 0; guard < 10'000'000; ++guard) {
    bool all_done = true;
    for (uint32_t r = 0; r < n; ++r) {
      while (cur[r] < ops && ex[r]->done()) {
        ASSERT_FALSE(ex[r]->failed()) << "rank " << r;
        if (++cur[r] < ops) start(r);
      }
      if (cur[r] < ops)
        while (auto p = ex[r]->next_post()) {
          if (staged && p->last_round) {  // a copy the WRITE reads instead of the caller's buffer
            stage.push_back(std::make_unique<std::vector<uint8_t>>(p->local.begin(), p->local.end()));
            p->local = *stage.back();
          }
          flight.push_back(InFlight{r, p->peer, static_cast<uint32_t>(cur[r]), *p, false});
        }
      all_done = all_done && cur[r] == ops;
    }
    // Forget landed bytes their receiver has applied (it moved past that round or operation).
    std::erase_if(landed, [&](const Landed& l) {
      return cur[l.to] > static_cast<int>(l.op) || (cur[l.to] == static_cast<int>(l.op) && ex[l.to]->round() > l.round);
    });
    if (all_done && flight.empty()) break;
    ASSERT_FALSE(flight.empty()) << "stalled: nothing in flight, not done";
    const size_t k = rng() % flight.size();
    InFlight& f = flight[k];
    if (!f.delivered) {
      const uint32_t parity = f.op & 1u;
      const uint64_t off = f.post.remote_offset, len = f.post.local.size();
      for (const Landed& l : landed) {
        ASSERT_FALSE(l.to == f.to && l.from == f.from && l.parity == parity && off < l.offset + l.bytes && l.offset < off + len)
            << "a WRITE of operation " << f.op << " overwrote unapplied bytes of operation " << l.op << " round " << l.round;
      }
      const uint64_t h = layout.landing_bytes(f.to, f.from);
      std::memcpy(landing[f.to][f.from].data() + parity * h + off, f.post.local.data(), len);  // source read now
      landed.push_back(Landed{f.to, f.from, parity, f.op, (f.post.imm >> 16) & 0x7FFFu, off, len});
      if (static_cast<int>(f.op) == cur[f.to]) {
        EXPECT_TRUE(ex[f.to]->on_arrival(f.from, f.post.imm, half(f.to, f.from, parity)));
      } else {
        ASSERT_EQ(static_cast<int>(f.op), cur[f.to] + 1) << "a WRITE two operations ahead";
        early[f.to].push_back(f);
      }
      f.delivered = true;
    } else {
      if (static_cast<int>(f.op) == cur[f.from]) {
        ex[f.from]->on_write_done(f.post.id, true);
      } else {
        ASSERT_TRUE(staged && f.post.last_round) << "a completion after its operation ended";
      }
      flight.erase(flight.begin() + static_cast<ptrdiff_t>(k));
    }
  }
  for (int o = 0; o < ops; ++o)
    for (uint64_t i = 0; i < count; ++i) {
      int64_t acc = 0;
      int32_t mn = INT32_MAX, mx = INT32_MIN;
      for (uint32_t r = 0; r < n; ++r) {
        const int32_t v = input(r, o, i);
        acc += v, mn = std::min(mn, v), mx = std::max(mx, v);
      }
      const int32_t want = op == RedOp::kMin ? mn : op == RedOp::kMax ? mx
                           : op == RedOp::kAvg ? static_cast<int32_t>(acc / static_cast<int64_t>(n))
                                               : static_cast<int32_t>(acc);
      for (uint32_t r = 0; r < n; ++r)
        ASSERT_EQ(buf[r][o][i], want) << "op " << o << " rank " << r << " element " << i;
    }
}

TEST(PlanExecutor, RingUnderRandomDeliveryIsExactForEveryOperatorAndBackToBackOperations) {
  for (uint32_t n = 2; n <= 8; ++n)
    for (RedOp op : {RedOp::kSum, RedOp::kAvg, RedOp::kMin, RedOp::kMax}) {
      SCOPED_TRACE(testing::Message() << n << " ranks, " << to_string(op));
      const uint64_t count = 1000 + n;
      run(ring_allreduce_plan(n, count, 4), op, count, 3, 17 * n + static_cast<uint32_t>(op));
    }
}

TEST(PlanExecutor, HierarchicalUnderRandomDeliveryIsExact) {
  for (const std::vector<uint32_t>& sites : {std::vector<uint32_t>{0, 1, 0, 1}, std::vector<uint32_t>{0, 0, 1, 1},
                                             std::vector<uint32_t>{0, 1, 2, 0, 1, 2}, std::vector<uint32_t>{0, 1, 0, 1, 0, 1, 0, 1}}) {
    SCOPED_TRACE(testing::Message() << sites.size() << " ranks");
    const uint64_t count = 4096 + 7;
    for (uint32_t seed = 1; seed <= 5; ++seed) run(hierarchical_allreduce_plan(sites, count, 4), RedOp::kSum, count, 3, seed);
  }
}

TEST(PlanExecutor, WithTheLastRoundStagedAnOperationEndsBeforeItsLastAcknowledgementsAndStaysExact) {
  for (uint32_t n = 2; n <= 6; ++n)
    for (uint32_t seed = 1; seed <= 3; ++seed) run(ring_allreduce_plan(n, 999, 4), RedOp::kAvg, 999, 4, seed * 7 + n, true);
  run(hierarchical_allreduce_plan({0, 1, 0, 1}, 4099, 4), RedOp::kSum, 4099, 4, 5, true);
}

TEST(PlanExecutor, AnUnexpectedArrivalIsRefusedAndAFailedWriteFailsTheOperation) {
  const Plan plan = ring_allreduce_plan(3, 30, 4);
  const LandingLayout layout(plan);
  std::vector<int32_t> b(30);
  PlanExecutor ex(0, plan, layout, DataType::kI32, RedOp::kSum, std::span(reinterpret_cast<uint8_t*>(b.data()), 120), 0);
  std::vector<uint8_t> landing(2 * layout.landing_bytes(0, 2));
  EXPECT_FALSE(ex.on_arrival(2, make_imm(1, 0, 0), landing));  // other parity
  EXPECT_FALSE(ex.on_arrival(1, make_imm(0, 0, 0), landing));  // round 0 comes from rank 2, not 1
  EXPECT_FALSE(ex.on_arrival(2, make_imm(0, 9, 0), landing));  // no such round
  EXPECT_TRUE(ex.on_arrival(2, make_imm(0, 0, 0), landing));
  EXPECT_FALSE(ex.on_arrival(2, make_imm(0, 0, 0), landing));  // a repeat
  const auto p = ex.next_post();
  ASSERT_TRUE(p.has_value());
  ex.on_write_done(p->id, false);
  EXPECT_TRUE(ex.failed());
  EXPECT_TRUE(ex.done());
}

}  // namespace
}  // namespace lh::coll
