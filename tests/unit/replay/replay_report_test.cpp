// replay_report_test.cpp — lh-trace replay's table / JSON output. (Its transport names are the one
// grammar of workload/common/transport_spec.hpp, tested in tests/unit/workload.)
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "workload/replay/replay_report.hpp"

namespace lh::workload {
namespace {

ReplayReport report() {
  ReplayReport r{.trace = "t.jsonl", .transport = "longhaul", .peer = "10.0.0.2:9", .steps_total = 3};
  r.steps.push_back({.step = 0, .compute_start = Nanos{0}, .compute = Nanos::from_ms(100), .end = Nanos::from_ms(150),
                     .first_issue = Nanos::from_ms(10), .last_completion = Nanos::from_ms(150),
                     .comm = Nanos::from_ms(140), .exposed = Nanos::from_ms(50), .slowdown = 1.5, .transfers = 4,
                     .bytes_forward = 1000, .bytes_reverse = 500});
  r.steps.push_back({.step = 1, .compute_start = Nanos::from_ms(150), .compute = Nanos::from_ms(100),
                     .end = Nanos::from_ms(250), .comm = Nanos::from_ms(20), .slowdown = 1.0, .transfers = 2,
                     .bytes_forward = 10});
  return r;
}

TEST(ReplayReport, JsonLinesHaveEveryStepThenTheSummary) {
  const ReplayReport r = report();
  std::istringstream in(json_lines(r));
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["type"], "step");
  EXPECT_EQ(lines[0]["comm_ns"], 140'000'000);
  EXPECT_EQ(lines[0]["exposed_ns"], 50'000'000);
  EXPECT_EQ(lines[0]["step_ns"], 150'000'000);
  EXPECT_EQ(lines[1]["step"], 1);
  const nlohmann::json& s = lines[2];
  EXPECT_EQ(s["type"], "summary");
  EXPECT_EQ(s["steps"], 2);
  EXPECT_EQ(s["steps_total"], 3);
  EXPECT_EQ(s["complete"], false);
  EXPECT_EQ(s["total_ns"], 250'000'000);
  EXPECT_EQ(s["ideal_ns"], 200'000'000);
  EXPECT_DOUBLE_EQ(s["slowdown"].get<double>(), 1.25);
  EXPECT_EQ(s["mean_comm_ns"], 80'000'000);
  EXPECT_EQ(s["mean_exposed_ns"], 25'000'000);
  EXPECT_DOUBLE_EQ(s["mean_slowdown"].get<double>(), 1.25);
  EXPECT_EQ(s["bytes_forward"], 1010);
}

TEST(ReplayReport, InfiniteSlowdownIsNullInJsonAndInfInTheTable) {
  ReplayReport r = report();
  r.steps[1].compute = Nanos{0};
  r.steps[1].slowdown = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(to_json(r.steps[1])["slowdown"].is_null());
  EXPECT_NE(format_table(r).find("inf"), std::string::npos);
}

TEST(ReplayReport, TableHasARowPerStepAndTotals) {
  ReplayReport r = report();
  r.error = "duration limit 1s reached";
  const std::string t = format_table(r);
  EXPECT_NE(t.find("2 of 3 steps (INCOMPLETE)"), std::string::npos) << t;
  EXPECT_NE(t.find("140.000"), std::string::npos) << t;
  EXPECT_NE(t.find(" total "), std::string::npos) << t;
  EXPECT_NE(t.find("1.250"), std::string::npos) << t;
  EXPECT_NE(t.find("error: duration limit 1s reached"), std::string::npos) << t;
}

}  // namespace
}  // namespace lh::workload
