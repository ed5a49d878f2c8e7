// range_set_test.cpp — the fixed-capacity interval set behind SACK generation and write coverage.
#include "transport/proto/range_set.hpp"

#include <gtest/gtest.h>

namespace lh::xport {
namespace {

TEST(RangeSet, MergesTouchingAndOverlapping) {
  RangeSet<8> s;
  EXPECT_EQ(s.insert(10, 20), 10);
  EXPECT_EQ(s.insert(30, 40), 10);
  EXPECT_EQ(s.insert(20, 30), 10);  // bridges both: one range
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].lo, 10u);
  EXPECT_EQ(s[0].hi, 40u);
  EXPECT_EQ(s.insert(15, 45), 5);   // only [40,45) is new
  EXPECT_EQ(s.insert(10, 45), 0);   // duplicate
  EXPECT_TRUE(s.covers(10, 45));
  EXPECT_FALSE(s.covers(9, 11));
}

TEST(RangeSet, KeepsOrderAndReportsFull) {
  RangeSet<3> s;
  EXPECT_EQ(s.insert(50, 51), 1);
  EXPECT_EQ(s.insert(10, 11), 1);
  EXPECT_EQ(s.insert(30, 31), 1);
  EXPECT_EQ(s[0].lo, 10u);
  EXPECT_EQ(s[1].lo, 30u);
  EXPECT_EQ(s[2].lo, 50u);
  EXPECT_EQ(s.insert(70, 71), -1);  // needs a fourth slot
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.insert(31, 33), 2);   // extends an existing range: fine when full
  EXPECT_EQ(s.insert_evicting(70, 71), 1u);
  EXPECT_FALSE(s.contains(10));     // the lowest range was evicted
  EXPECT_TRUE(s.contains(70));
}

TEST(RangeSet, SpanningInsertCountsOnlyTheHoles) {
  RangeSet<8> s;
  s.insert(0, 10);
  s.insert(20, 30);
  s.insert(40, 50);
  EXPECT_EQ(s.insert(5, 45), 20);  // holes [10,20) and [30,40)
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].hi, 50u);
}

// Retransmissions fill the oldest holes of an operation with hundreds of them (the insert searches by
// bisection, not from the top): each fill merges exactly its two neighbours.
TEST(RangeSet, FillsHolesDeepInALargeSet) {
  RangeSet<1024> s;
  for (uint64_t k = 0; k < 1000; ++k) ASSERT_EQ(s.insert(k * 10, k * 10 + 9), 9);  // holes at 9, 19, ...
  ASSERT_EQ(s.size(), 1000u);
  for (uint64_t k = 0; k < 999; ++k) {
    ASSERT_EQ(s.insert(k * 10 + 9, k * 10 + 10), 1) << k;
    ASSERT_EQ(s.size(), 999u - k);
    ASSERT_TRUE(s.covers(0, k * 10 + 19));
  }
  EXPECT_EQ(s.insert(5, 9995), 0);  // already covered
}

}  // namespace
}  // namespace lh::xport
