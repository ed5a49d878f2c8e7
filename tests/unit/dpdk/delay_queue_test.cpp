// delay_queue_test.cpp — lh-emu's delay queues: the FIFO ring keeps arrival order and refuses pushes
// beyond its capacity; the heap releases by departure time and, for equal departures, by arrival
// sequence (reordering profiles). Pure containers, no DPDK.
#include "emulator/dpdk/delay_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace lh::emu {
namespace {

Queued item(uint64_t depart, uint64_t seq) { return Queued{.pkt = nullptr, .depart_tsc = depart, .arrival_tsc = 0, .seq = seq, .len = 64}; }

TEST(DelayRing, FifoOrderAndCapacity) {
  DelayRing ring(5);   // rounded up to 8 slots
  for (uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(ring.push(item(100 + i, i)));
  EXPECT_FALSE(ring.push(item(200, 8))) << "a full ring must refuse";
  EXPECT_EQ(ring.size(), 8u);
  for (uint64_t i = 0; i < 8; ++i) {
    ASSERT_FALSE(ring.empty());
    EXPECT_EQ(ring.top().seq, i);
    ring.pop();
  }
  EXPECT_TRUE(ring.empty());
  // Wrap-around after draining keeps order.
  for (uint64_t i = 0; i < 6; ++i) ASSERT_TRUE(ring.push(item(i, 10 + i)));
  ring.pop();
  ring.pop();
  for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(ring.push(item(10 + i, 20 + i)));
  std::vector<uint64_t> seen;
  for (; !ring.empty(); ring.pop()) seen.push_back(ring.top().seq);
  EXPECT_EQ(seen, (std::vector<uint64_t>{12, 13, 14, 15, 20, 21, 22, 23}));
}

TEST(DelayHeap, ReleasesByDepartureThenArrival) {
  DelayHeap heap(16);
  const uint64_t departs[] = {50, 10, 30, 10, 40, 30, 20, 10};
  for (uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(heap.push(item(departs[i], i)));
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (; !heap.empty(); heap.pop()) out.emplace_back(heap.top().depart_tsc, heap.top().seq);
  const std::vector<std::pair<uint64_t, uint64_t>> want = {{10, 1}, {10, 3}, {10, 7}, {20, 6},
                                                           {30, 2}, {30, 5}, {40, 4}, {50, 0}};
  EXPECT_EQ(out, want);
}

TEST(DelayHeap, RefusesBeyondCapacity) {
  DelayHeap heap(3);
  EXPECT_TRUE(heap.push(item(3, 0)));
  EXPECT_TRUE(heap.push(item(2, 1)));
  EXPECT_TRUE(heap.push(item(1, 2)));
  EXPECT_FALSE(heap.push(item(0, 3)));
  EXPECT_EQ(heap.size(), 3u);
  EXPECT_EQ(heap.top().seq, 2u);
}

}  // namespace
}  // namespace lh::emu
