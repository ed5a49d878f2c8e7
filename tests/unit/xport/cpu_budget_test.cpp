// cpu_budget_test.cpp — the realtime event loop's CPU budget (transport/io/cpu_budget.hpp).
#include "transport/io/cpu_budget.hpp"

#include <gtest/gtest.h>

namespace lh::xport::io {
namespace {

constexpr Nanos kWindow = Nanos::from_ms(10);

TEST(CpuBudget, WithinTheShareThereIsNoPause) {
  CpuBudget b(kWindow, 0.9);
  b.start(Nanos{0}, Nanos{0});
  EXPECT_FALSE(b.due(Nanos::from_ms(9)));
  ASSERT_TRUE(b.due(kWindow));
  EXPECT_EQ(b.close_window(kWindow, Nanos::from_ms(9)).ns, 0);  // exactly 90%
}

TEST(CpuBudget, ABusyWindowPausesBackToTheShare) {
  CpuBudget b(kWindow, 0.9);
  b.start(Nanos{0}, Nanos{0});
  // 10 ms of CPU in 10 ms of wall time: pausing 10/0.9 - 10 = 1.11 ms makes it 90%.
  const Nanos pause = b.close_window(kWindow, kWindow);
  EXPECT_EQ(pause.ns, 1'111'111);
  // The next window starts after the pause: a loop that keeps spinning is held at 90% over time.
  EXPECT_FALSE(b.due(kWindow + pause + Nanos::from_ms(9)));
  EXPECT_TRUE(b.due(kWindow + pause + kWindow));
  EXPECT_EQ(b.close_window(kWindow * 2 + pause, kWindow * 2).ns, 1'111'111);
}

TEST(CpuBudget, APauseNeverExceedsOneWindow) {
  CpuBudget b(kWindow, 0.5);
  b.start(Nanos{0}, Nanos{0});
  // A long-overdue window (the loop slept on I/O for 100 ms, but the CPU clock says 100 ms busy).
  EXPECT_EQ(b.close_window(Nanos::from_ms(100), Nanos::from_ms(100)), kWindow);
}

}  // namespace
}  // namespace lh::xport::io
