// plan_test.cpp — collective plans (transport/coll/plan.hpp) executed in memory: the ring and the
// site-aware hierarchical all-reduce give exact, identical results on every rank for 2–8 ranks over
// 1–4 sites, every receive matches a send of the same slice in the same round, and the hierarchical
// plan carries 2(nsites − 1)·S bytes over the long links where a flat ring over interleaved sites
// carries 2(n − 1)·S.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <stdexcept>
#include <vector>

#include "transport/coll/plan.hpp"
#include "transport/coll/reduce.hpp"

namespace lh::coll {
namespace {

// Executes `plan` on int64 buffers (rank r, element i: r * 1000 + i); returns every rank's result.
std::vector<std::vector<int64_t>> execute(const Plan& plan, std::vector<std::vector<int64_t>> buf) {
  for (const auto& round : plan.rounds) {
    // What each sender puts on the wire this round (copied before any receive lands).
    std::vector<std::vector<std::pair<Transfer, std::vector<uint8_t>>>> wire(plan.ranks);
    for (uint32_t r = 0; r < plan.ranks; ++r)
      for (const Transfer& t : round[r].sends) {
        const auto* p = reinterpret_cast<const uint8_t*>(buf[r].data()) + t.slice.offset;
        wire[r].push_back({t, std::vector<uint8_t>(p, p + t.slice.bytes)});
      }
    for (uint32_t r = 0; r < plan.ranks; ++r)
      for (const Transfer& rx : round[r].recvs) {
        const std::vector<uint8_t>* data = nullptr;
        for (const auto& [tx, bytes] : wire[rx.peer])
          if (tx.peer == r && tx.slice == rx.slice) data = &bytes;
        EXPECT_NE(data, nullptr) << "rank " << r << " receives from " << rx.peer << " what it never sent";
        if (data == nullptr) continue;
        auto* dst = reinterpret_cast<uint8_t*>(buf[r].data()) + rx.slice.offset;
        if (rx.reduce) {
          reduce(DataType::kI64, RedOp::kSum, dst, data->data(), rx.slice.bytes / 8);
        } else {
          std::memcpy(dst, data->data(), rx.slice.bytes);
        }
      }
  }
  return buf;
}

std::vector<std::vector<int64_t>> execute(const Plan& plan, uint64_t count) {
  std::vector<std::vector<int64_t>> buf(plan.ranks, std::vector<int64_t>(count));
  for (uint32_t r = 0; r < plan.ranks; ++r)
    for (uint64_t i = 0; i < count; ++i) buf[r][i] = static_cast<int64_t>(r * 1000 + i);
  return execute(plan, std::move(buf));
}

void expect_sum(const std::vector<std::vector<int64_t>>& out, uint64_t count) {
  const auto n = static_cast<int64_t>(out.size());
  for (uint64_t i = 0; i < count; ++i) {
    const int64_t want = 1000 * n * (n - 1) / 2 + n * static_cast<int64_t>(i);
    for (size_t r = 0; r < out.size(); ++r) ASSERT_EQ(out[r][i], want) << "rank " << r << " element " << i;
  }
}

TEST(Plan, RingAllReduceIsExactAndSendsTwoNMinusOneOverNOfTheBuffer) {
  for (uint32_t n = 2; n <= 8; ++n) {
    const uint64_t count = 4096 * n;
    const Plan p = ring_allreduce_plan(n, count, 8);
    EXPECT_EQ(p.rounds.size(), 2u * (n - 1));
    expect_sum(execute(p, count), count);
    for (uint32_t r = 0; r < n; ++r) EXPECT_EQ(p.bytes_sent(r), 2 * (n - 1) * count * 8 / n);
  }
}

TEST(Plan, HierarchicalAllReduceIsExactAndCrossesTheLongLinks2NsitesMinus1Times) {
  struct Case {
    std::vector<uint32_t> site_of;
  };
  const Case cases[] = {
      {{0, 1}},                    // 2 sites of 1
      {{0, 1, 0, 1}},              // 2 sites of 2, interleaved
      {{0, 0, 1, 1}},              // 2 sites of 2, grouped
      {{0, 1, 0, 1, 0, 1, 0, 1}},  // 2 sites of 4
      {{0, 1, 2, 0, 1, 2}},        // 3 sites of 2
      {{3, 2, 1, 0}},              // 4 sites of 1, any site numbers
      {{0, 0, 0, 0}},              // 1 site: a ring inside it, nothing crosses
  };
  for (const Case& c : cases) {
    const auto n = static_cast<uint32_t>(c.site_of.size());
    const auto nsites = static_cast<uint32_t>(std::set<uint32_t>(c.site_of.begin(), c.site_of.end()).size());
    SCOPED_TRACE(testing::Message() << n << " ranks over " << nsites << " sites");
    const uint64_t count = 8192 * 3 * 4;  // divisible by every chunking here: exact byte counts
    const uint64_t bytes = count * 8;
    const Plan h = hierarchical_allreduce_plan(c.site_of, count, 8);
    expect_sum(execute(h, count), count);
    EXPECT_EQ(h.cross_site_bytes(c.site_of), 2 * (nsites - 1) * bytes);
    // A flat ring over interleaved sites crosses on every hop: 2(n - 1)·S.
    const Plan ring = ring_allreduce_plan(n, count, 8);
    if (c.site_of == std::vector<uint32_t>{0, 1, 0, 1}) {
      EXPECT_EQ(ring.cross_site_bytes(c.site_of), 2 * (n - 1) * bytes);
    }
    EXPECT_LE(h.cross_site_bytes(c.site_of), ring.cross_site_bytes(c.site_of));
  }
}

TEST(Plan, ReduceScatterLeavesChunkRReducedAtRankR) {
  for (uint32_t n = 2; n <= 8; ++n) {
    const uint64_t count = 1000 + n;
    const Plan p = ring_reduce_scatter_plan(n, count, 8);
    EXPECT_EQ(p.rounds.size(), n - 1u);
    const auto out = execute(p, count);
    for (uint32_t r = 0; r < n; ++r) {
      const Slice c = chunk(count, 8, n, r);
      for (uint64_t i = c.offset / 8; i < (c.offset + c.bytes) / 8; ++i)
        ASSERT_EQ(out[r][i], 1000 * int64_t{n} * (n - 1) / 2 + int64_t{n} * static_cast<int64_t>(i)) << n << " ranks, rank " << r;
    }
  }
}

TEST(Plan, AllGatherGivesEveryRankEveryChunk) {
  for (uint32_t n = 2; n <= 8; ++n) {
    const uint64_t count = 1000 + n;
    std::vector<std::vector<int64_t>> buf(n, std::vector<int64_t>(count, -1));
    for (uint32_t r = 0; r < n; ++r) {
      const Slice c = chunk(count, 8, n, r);
      for (uint64_t i = c.offset / 8; i < (c.offset + c.bytes) / 8; ++i) buf[r][i] = static_cast<int64_t>(i * 3 + 1);
    }
    const auto out = execute(ring_allgather_plan(n, count, 8), buf);
    for (uint32_t r = 0; r < n; ++r)
      for (uint64_t i = 0; i < count; ++i) ASSERT_EQ(out[r][i], static_cast<int64_t>(i * 3 + 1)) << n << " ranks, rank " << r;
  }
}

TEST(Plan, BroadcastPipelinesTheRootsBufferToEveryRank) {
  for (uint32_t n = 2; n <= 8; ++n)
    for (uint32_t root : {0u, n - 1, n / 2}) {
      const uint64_t count = 777;
      std::vector<std::vector<int64_t>> buf(n, std::vector<int64_t>(count, -1));
      for (uint64_t i = 0; i < count; ++i) buf[root][i] = static_cast<int64_t>(i * i);
      const Plan p = ring_broadcast_plan(n, root, count, 8, 8);
      EXPECT_EQ(p.rounds.size(), 8u + n - 2);
      const auto out = execute(p, buf);
      for (uint32_t r = 0; r < n; ++r)
        for (uint64_t i = 0; i < count; ++i) ASSERT_EQ(out[r][i], static_cast<int64_t>(i * i)) << n << " ranks, root " << root;
      // Every rank but the last in the chain forwards everything once: (n - 1)·S on the wire.
      uint64_t total = 0;
      for (uint32_t r = 0; r < n; ++r) total += p.bytes_sent(r);
      EXPECT_EQ(total, (n - 1) * count * 8);
    }
}

TEST(Plan, HierarchicalNeedsTheSameRanksPerSite) {
  try {
    (void)hierarchical_allreduce_plan({0, 0, 1}, 100, 4);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "hierarchical all-reduce needs the same number of ranks in every site: site 0 has 2, site 1 has 1");
  }
}

}  // namespace
}  // namespace lh::coll
