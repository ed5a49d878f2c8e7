// lab_check_test.cpp — `lh-lab check`'s target sets judged on hand-made records: a loss sweep that
// meets every issue-5 target passes with one PASS line per target and point and the figures
// (the Mathis bound beside CUBIC); the same sweep with longhaul slow at p = 1e-2 and CUBIC missing
// at p = 1e-3 fails exactly those targets; random-loss judges longhaul's worst run.
#include <gtest/gtest.h>

#include <algorithm>

#include "lab/check.hpp"

namespace lh::lab {
namespace {

RunRecord run(const std::string& transport, double p, const std::string& model, double mbit, bool complete) {
  RunRecord r{.profile = "wan-500mbit-50ms", .rate_bps = 500'000'000, .rtt_ms = 50, .transport = transport,
              .ok = true, .complete = complete};
  r.sweep_loss = p, r.sweep_loss_model = model;
  r.summary = {{"bits_per_second", mbit * 1e6}, {"seconds", 9.0}};
  return r;
}

// Goodput in Mbit/s per (model, p): longhaul, cubic, bbr; `bad`: longhaul slow at 1e-2, CUBIC missing at 1e-3.
std::vector<RunRecord> sweep(bool bad) {
  struct Pt { const char* model; double p, lh, cu, bb; };
  const Pt pts[] = {{"bernoulli", 0, 480, 450, 400}, {"bernoulli", 1e-4, 475, 30, 420}, {"bernoulli", 1e-3, 470, 9, 380},
                    {"bernoulli", 1e-2, bad ? 300.0 : 460.0, 3, 200}, {"gilbert-elliott", 1e-2, 455, 2, 300}};
  std::vector<RunRecord> out;
  for (const Pt& pt : pts) {
    out.push_back(run("longhaul", pt.p, pt.model, pt.lh, true));
    if (!(bad && pt.p == 1e-3)) out.push_back(run("tcp-cubic", pt.p, pt.model, pt.cu, pt.p == 0));
    out.push_back(run("tcp-bbr", pt.p, pt.model, pt.bb, true));
  }
  return out;
}

size_t count_prefix(const CheckReport& r, const std::string& prefix) {
  return static_cast<size_t>(std::count_if(r.lines.begin(), r.lines.end(),
                                           [&](const std::string& l) { return l.rfind(prefix, 0) == 0; }));
}

bool has(const CheckReport& r, const std::string& line) {
  return std::find(r.lines.begin(), r.lines.end(), line) != r.lines.end();
}

std::string dump(const CheckReport& r) {
  std::string s;
  for (const auto& l : r.lines) s += l + "\n";
  return s;
}

TEST(LabCheck, LossSweepThatMeetsEveryTargetPassesWithItsFigures) {
  const CheckReport r = check_targets(sweep(false), "loss-sweep");
  EXPECT_EQ(r.failures, 0u) << dump(r);
  EXPECT_EQ(count_prefix(r, "PASS"), 13u) << dump(r);   // 5 T1, T2, 3 T3, T4, 3 T5
  EXPECT_EQ(count_prefix(r, "FAIL"), 0u) << dump(r);
  EXPECT_TRUE(has(r, "PASS  T2 longhaul >= 30 x CUBIC at p=1e-3: 470.0 Mbit/s vs CUBIC 9.0* Mbit/s = 52.2x")) << dump(r);
  EXPECT_TRUE(has(r, "PASS  T5 CUBIC near Mathis at p=0.001: CUBIC 9.0* Mbit/s vs Mathis 9.0 Mbit/s "
                     "(MSS 1448 B, RTT 50.0 ms) = 1.00x")) << dump(r);
  EXPECT_TRUE(has(r, "PASS  T1 longhaul >= 0.9 x (1-p) x bottleneck at GE p=0.01: 455.0 Mbit/s vs >= 445.5 Mbit/s "
                     "(0.910 of 500)")) << dump(r);
  EXPECT_EQ(r.lines.back(), "all targets passed");
}

TEST(LabCheck, LossSweepFailsExactlyTheTargetsMissed) {
  const CheckReport r = check_targets(sweep(true), "loss-sweep");
  EXPECT_EQ(r.failures, 3u) << dump(r);
  EXPECT_TRUE(has(r, "FAIL  T1 longhaul >= 0.9 x (1-p) x bottleneck at p=0.01: 300.0 Mbit/s vs >= 445.5 Mbit/s "
                     "(0.600 of 500)")) << dump(r);
  EXPECT_TRUE(has(r, "FAIL  T2 longhaul >= 30 x CUBIC at p=1e-3: 470.0 Mbit/s vs CUBIC missing (no measured run)"))
      << dump(r);
  EXPECT_EQ(count_prefix(r, "FAIL  T5 CUBIC near Mathis at p=0.001"), 1u) << dump(r);
  EXPECT_EQ(r.lines.back(), "3 target(s) failed");
}

TEST(LabCheck, MedianOverRepeatsAndFailedRunsLeftOut) {
  std::vector<RunRecord> rs{run("longhaul", 1e-3, "bernoulli", 100, true), run("longhaul", 1e-3, "bernoulli", 480, true),
                            run("longhaul", 1e-3, "bernoulli", 470, true)};
  RunRecord failed = run("longhaul", 1e-3, "bernoulli", 1, true);
  failed.ok = false;
  rs.push_back(failed);
  const CheckReport r = check_targets(rs, "loss-sweep");
  EXPECT_EQ(count_prefix(r, "PASS  T1 longhaul >= 0.9 x (1-p) x bottleneck at p=0.001: 470.0 Mbit/s"), 1u) << dump(r);
}

TEST(LabCheck, RandomLossJudgesTheWorstRun) {
  std::vector<RunRecord> rs{run("longhaul", 1e-2, "bernoulli", 460, true), run("longhaul", 1e-2, "bernoulli", 440, true),
                            run("longhaul", 0.2, "bernoulli", 250, true), run("tcp-bbr", 1e-2, "bernoulli", 10, true)};
  const CheckReport r = check_targets(rs, "random-loss");
  EXPECT_EQ(r.failures, 1u) << dump(r);   // 440 < 0.9 x 0.99 x 500 = 445.5; 250 >= 0.6 x 0.8 x 500 = 240
  EXPECT_EQ(count_prefix(r, "FAIL  R1 longhaul worst run >= 0.9 x (1-p) x bottleneck at p=0.01: 440.0 Mbit/s"), 1u) << dump(r);
  EXPECT_EQ(count_prefix(r, "PASS  R1 longhaul worst run >= 0.6 x (1-p) x bottleneck at p=0.2: 250.0 Mbit/s"), 1u) << dump(r);
}

TEST(LabCheck, NoSweepAndUnknownSetAreErrors) {
  const CheckReport r = check_targets({}, "loss-sweep");
  EXPECT_EQ(r.failures, 1u);
  EXPECT_EQ(r.lines.front(), "FAIL  no measured run of a loss sweep in these results");
  try {
    check_targets({}, "fast");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--targets 'fast': unknown target set (known: loss-sweep, random-loss)"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lh::lab
