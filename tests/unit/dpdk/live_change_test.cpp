// live_change_test.cpp — lh-emu's all-or-nothing live changes (emulator/dpdk/live_change.hpp) with
// plain threads standing in for worker lcores: a change reaches every direction or none; a stalled
// worker times it out with no direction switched; a refused part (a full event table) withdraws
// the rest; changes offered before the workers start wait for them instead of touching a model in
// use; and many changes racing the workers' start-up and each other leave every worker on the last
// committed generation. Built twice: plain, and with -fsanitize=thread (the race test must be clean).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "emulator/dpdk/live_change.hpp"

namespace lh::emu {
namespace {

struct Part {
  uint64_t value = 0;
  bool refuse = false;   // a worker refuses this part (as a full event table would)
};

// A worker lcore: polls its slot between "bursts" and adopts what is committed.
class Worker {
 public:
  Worker(LiveSlot<Part>& slot, const ChangeClock& clock) : slot_(slot), clock_(clock) {}
  ~Worker() { stop(); }
  void start() {
    thread_ = std::thread([this] {
      while (!stop_.load(std::memory_order_acquire)) poll_once();
    });
  }
  void stop() {
    stop_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
  }
  void poll_once() {
    if (Part* p = slot_.poll(clock_, [](const Part& x) { return !x.refuse; })) {
      current_.store(p->value, std::memory_order_release);
      adopted_.fetch_add(1, std::memory_order_relaxed);
      delete p;   // in lh-emu the replaced model goes back to the control thread; here the test owns it
    }
  }
  uint64_t current() const { return current_.load(std::memory_order_acquire); }
  uint64_t adopted() const { return adopted_.load(std::memory_order_relaxed); }

 private:
  LiveSlot<Part>& slot_;
  const ChangeClock& clock_;
  std::atomic<uint64_t> current_{0};
  std::atomic<uint64_t> adopted_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A worker's value once it settles on `want` (or after 10 s): a worker records what it took from its
// slot a moment after the slot reads empty, which is when change_all stops waiting.
uint64_t settled(const Worker& w, uint64_t want) {
  wait_until([&] { return w.current() == want; }, Nanos::from_s(10));
  return w.current();
}

std::vector<std::unique_ptr<Part>> parts(uint64_t value, size_t n, size_t refuse_at = SIZE_MAX) {
  std::vector<std::unique_ptr<Part>> v;
  for (size_t i = 0; i < n; ++i) v.push_back(std::make_unique<Part>(Part{value, i == refuse_at}));
  return v;
}

TEST(LiveChange, EveryDirectionTakesACommittedChange) {
  ChangeClock clock;
  LiveSlot<Part> a, b;
  Worker wa(a, clock), wb(b, clock);
  wa.start(), wb.start();
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(7, 2), Nanos::from_s(5)), ChangeResult::kCommitted);
  EXPECT_EQ(settled(wa, 7), 7u);
  EXPECT_EQ(settled(wb, 7), 7u);
}

TEST(LiveChange, AStalledWorkerTimesTheChangeOutAndNoDirectionSwitches) {
  ChangeClock clock;
  LiveSlot<Part> a, b;
  Worker wa(a, clock), stalled(b, clock);
  wa.start();   // b's worker never polls
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(7, 2), Nanos::from_ms(50)), ChangeResult::kTimedOut);
  EXPECT_EQ(wa.current(), 0u);   // a acknowledged, but nothing is adopted without the commit
  EXPECT_EQ(wa.adopted(), 0u);
  EXPECT_TRUE(a.empty() && b.empty());   // both offers withdrawn
  stalled.poll_once();                   // the stalled worker wakes up: nothing to adopt
  EXPECT_EQ(stalled.current(), 0u);
  // The next change, with both alive, goes through.
  stalled.start();
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(8, 2), Nanos::from_s(5)), ChangeResult::kCommitted);
  EXPECT_EQ(settled(wa, 8), 8u);
  EXPECT_EQ(settled(stalled, 8), 8u);
}

TEST(LiveChange, ARefusedPartWithdrawsTheWholeChange) {
  ChangeClock clock;
  LiveSlot<Part> a, b;
  Worker wa(a, clock), wb(b, clock);
  wa.start(), wb.start();
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(9, 2, /*refuse_at=*/1), Nanos::from_s(5)), ChangeResult::kRefused);
  EXPECT_EQ(wa.current(), 0u);
  EXPECT_EQ(wb.current(), 0u);
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(10, 2), Nanos::from_s(5)), ChangeResult::kCommitted);
  EXPECT_EQ(settled(wa, 10), 10u);
}

TEST(LiveChange, AChangeBeforeTheWorkersStartWaitsForThem) {
  ChangeClock clock;
  LiveSlot<Part> a, b;
  Worker wa(a, clock), wb(b, clock);
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    wa.start(), wb.start();
  });
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(11, 2), Nanos::from_s(5)), ChangeResult::kCommitted);
  late.join();
  EXPECT_EQ(settled(wa, 11), 11u);
  EXPECT_EQ(settled(wb, 11), 11u);
}

// A worker that acknowledged a change but had not adopted it yet when the next change came (its
// post-commit wait timed out on a loaded machine): the committed part must stay until it is adopted.
// Overwriting it lost that direction's part while the others took it (found by the race test below).
TEST(LiveChange, ACommittedPartIsNeverOverwrittenBeforeItsWorkerAdoptsIt) {
  ChangeClock clock;
  LiveSlot<Part> a, b;
  Worker wa(a, clock), wb(b, clock);
  wa.start();
  std::thread once([&] {  // b's worker answers the offer once, then stalls
    while (b.empty()) std::this_thread::yield();
    wb.poll_once();
  });
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(5, 2), Nanos::from_ms(200)), ChangeResult::kCommitted);
  once.join();
  EXPECT_EQ(settled(wa, 5), 5u);
  EXPECT_EQ(wb.current(), 0u);  // committed, not adopted yet
  // The next change cannot be offered to b while b still holds its committed part: nothing changes.
  EXPECT_EQ(change_all<Part>(clock, {&a, &b}, parts(6, 2), Nanos::from_ms(50)), ChangeResult::kTimedOut);
  wb.poll_once();
  EXPECT_EQ(settled(wb, 5), 5u);
  EXPECT_EQ(settled(wa, 5), 5u);
}

// PATCHes racing start-up and each other (short deadlines, so some time out): every worker ends on
// the last committed generation's value, and no worker ever adopts a value that was not committed.
TEST(LiveChange, ChangesRacingStartUpLeaveEveryWorkerOnTheLastCommittedOne) {
  ChangeClock clock;
  constexpr size_t kDirections = 4;
  std::vector<std::unique_ptr<LiveSlot<Part>>> slots;
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < kDirections; ++i) {
    slots.push_back(std::make_unique<LiveSlot<Part>>());
    workers.push_back(std::make_unique<Worker>(*slots.back(), clock));
  }
  std::vector<LiveSlot<Part>*> all;
  for (auto& s : slots) all.push_back(s.get());
  std::thread starter([&] {
    for (auto& w : workers) {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      w->start();
    }
  });
  uint64_t last_committed = 0;
  size_t committed = 0, timed_out = 0;
  for (uint64_t v = 1; v <= 300; ++v) {
    const ChangeResult r = change_all<Part>(clock, all, parts(v, kDirections), Nanos::from_us(v % 3 == 0 ? 100 : 20000));
    if (r == ChangeResult::kCommitted) last_committed = v, ++committed;
    else ++timed_out;
  }
  starter.join();
  // A commit returns once every worker acknowledged; adoption follows at each worker's next burst
  // boundary (change_all's post-commit wait may time out on a loaded machine: CI saw a worker one
  // generation behind right after the loop), and even a worker that took its part from the slot
  // records it a moment later. What must hold is that every worker gets there.
  auto all_reach = [&](uint64_t v) {
    return wait_until([&] {
      for (auto& w : workers) {
        if (w->current() != v) return false;
      }
      return true;
    }, Nanos::from_s(10));
  };
  EXPECT_TRUE(all_reach(last_committed));
  for (auto& w : workers) EXPECT_EQ(w->current(), last_committed);
  // How many of the racing changes commit depends on scheduling (a loaded machine times more of
  // them out); what must hold is that once the workers run, a change with time to spare commits.
  EXPECT_EQ(change_all<Part>(clock, all, parts(1000, kDirections), Nanos::from_s(5)), ChangeResult::kCommitted);
  EXPECT_TRUE(all_reach(1000));
  for (auto& w : workers) EXPECT_EQ(w->current(), 1000u);
  RecordProperty("committed", static_cast<int>(committed));
  RecordProperty("timed_out", static_cast<int>(timed_out));
}

}  // namespace
}  // namespace lh::emu
