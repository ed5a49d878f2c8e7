// lab_stats_test.cpp — lh-lab aggregation (median, min/max, MAD per cell) and regression verdicts.
#include <gtest/gtest.h>

#include <cmath>

#include "lab/cell_stats.hpp"
#include "lab/matrix.hpp"
#include "lab/regression.hpp"

namespace lh::lab {
namespace {

nlohmann::json row(const char* profile, const char* transport, double bps, double seconds, bool ok = true) {
  return {{"profile", profile}, {"transport", transport}, {"ok", ok}, {"rate_bps", 1e9}, {"rtt_ms", 40.4},
          {"loss", 1e-5},
          {"summary", {{"bits_per_second", bps}, {"seconds", seconds}, {"retransmits", 7},
                       {"rtt_us", {{"p50", 41000}, {"p99", 52000}}}}}};
}

TEST(LabStats, SpreadMedianMinMaxMad) {
  const Spread s = spread_of({5, 1, 3, 9});
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.median, 4);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 9);
  EXPECT_DOUBLE_EQ(s.mad, 2);   // deviations 1,3,1,5 → median 2
  EXPECT_EQ(spread_of({}).n, 0u);
  const Spread back = spread_from_json(to_json(s));
  EXPECT_DOUBLE_EQ(back.mad, 2);
}

TEST(LabStats, AggregatesPerCellAndSkipsFailedRuns) {
  const std::vector<nlohmann::json> rows{row("p1", "longhaul", 800e6, 2.0), row("p1", "tcp-cubic", 300e6, 6.0),
                                         row("p1", "longhaul", 900e6, 1.8), row("p1", "longhaul", 0, 0, false),
                                         row("p2", "longhaul", 700e6, 2.5)};
  const auto cells = aggregate(rows);
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0].transport, "longhaul");
  EXPECT_EQ(cells[0].ok, 2u);
  EXPECT_EQ(cells[0].failed, 1u);
  EXPECT_DOUBLE_EQ(cells[0].goodput_bps.median, 850e6);
  EXPECT_DOUBLE_EQ(cells[0].seconds.max, 2.0);
  EXPECT_DOUBLE_EQ(cells[0].rtt_p99_us, 52000);
  EXPECT_DOUBLE_EQ(cells[0].retransmits, 7);
  EXPECT_EQ(cells[1].transport, "tcp-cubic");
  EXPECT_EQ(cells[2].profile, "p2");
}

TEST(LabRegression, WithinTheNoiseBandPasses) {
  const auto base_cells = aggregate({row("p", "longhaul", 800e6, 2.0), row("p", "longhaul", 900e6, 1.8)});
  const nlohmann::json b = make_baseline(to_json(MatrixSpec{}), base_cells, {{"note", "test"}});
  // 10% below the slowest repeat is the edge of the band.
  auto now = aggregate({row("p", "longhaul", 730e6, 2.19)});
  auto v = compare(b, now, 0.10);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FALSE(any_worse(v)) << verdict_table(v);
  EXPECT_DOUBLE_EQ(v[0].allowed_lo, 720e6);
  EXPECT_NEAR(v[1].allowed_hi, 2.2, 1e-12);
}

TEST(LabRegression, SlowerGoodputOrLongerCompletionFails) {
  const auto base_cells = aggregate({row("p", "longhaul", 800e6, 2.0), row("p", "longhaul", 900e6, 1.8)});
  const nlohmann::json b = make_baseline(to_json(MatrixSpec{}), base_cells, {});
  auto v = compare(b, aggregate({row("p", "longhaul", 400e6, 2.1)}), 0.10);
  EXPECT_TRUE(v[0].worse);
  EXPECT_FALSE(v[1].worse);
  EXPECT_TRUE(any_worse(v));
  EXPECT_NEAR(v[0].change, (400e6 - 850e6) / 850e6, 1e-12);
  const std::string table = verdict_table(v);
  EXPECT_NE(table.find("p / longhaul"), std::string::npos);
  EXPECT_NE(table.find("WORSE"), std::string::npos);
  EXPECT_NE(table.find("≥ 720.0 Mbit/s"), std::string::npos) << table;
  v = compare(b, aggregate({row("p", "longhaul", 850e6, 4.0)}), 0.10);
  EXPECT_FALSE(v[0].worse);
  EXPECT_TRUE(v[1].worse);
}

TEST(LabRegression, MissingCellIsARegression) {
  const nlohmann::json b = make_baseline(to_json(MatrixSpec{}), aggregate({row("p", "tcp-bbr", 800e6, 2.0)}), {});
  const auto v = compare(b, aggregate({row("p", "tcp-bbr", 0, 0, false)}), 0.10);
  EXPECT_TRUE(v[0].missing);
  EXPECT_TRUE(any_worse(v));
  EXPECT_NE(verdict_table(v).find("MISSING"), std::string::npos);
}

nlohmann::json incomplete(nlohmann::json r) {
  r["complete"] = false;
  return r;
}

TEST(LabStats, IncompleteRunsCountInGoodputNotInCompletion) {
  const auto cells = aggregate({row("p", "tcp-cubic", 9e6, 60.0), incomplete(row("p", "tcp-cubic", 8e6, 60.0)),
                                incomplete(row("p", "tcp-cubic", 10e6, 60.0)), row("p", "tcp-cubic", 0, 0, false)});
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].ok, 3u);
  EXPECT_EQ(cells[0].failed, 1u);
  EXPECT_EQ(cells[0].incomplete, 2u);
  EXPECT_EQ(cells[0].goodput_bps.n, 3u);
  EXPECT_DOUBLE_EQ(cells[0].goodput_bps.median, 9e6);
  EXPECT_EQ(cells[0].seconds.n, 1u);   // the complete run only
  EXPECT_TRUE(std::isinf(cells[0].completion_median_s));   // 2 of 3 never completed
  const auto one = aggregate({row("p", "l", 9e6, 5.0), row("p", "l", 9e6, 6.0), incomplete(row("p", "l", 8e6, 60.0))});
  EXPECT_DOUBLE_EQ(one[0].completion_median_s, 6.0);
}

TEST(LabStats, RttP95FallsBackToP99) {
  nlohmann::json r = row("p", "l", 9e6, 5.0);
  EXPECT_DOUBLE_EQ(aggregate({r})[0].rtt_p95_us, 52000);
  EXPECT_TRUE(aggregate({r})[0].rtt_p95_from_p99);
  r["summary"]["rtt_us"]["p95"] = 48000;
  EXPECT_DOUBLE_EQ(aggregate({r})[0].rtt_p95_us, 48000);
  EXPECT_FALSE(aggregate({r})[0].rtt_p95_from_p99);
}

TEST(LabRegression, NowIncompleteIsWorseCompletionButGoodputStillCounts) {
  const auto base_cells = aggregate({row("p", "longhaul", 800e6, 2.0), row("p", "longhaul", 900e6, 1.8)});
  const nlohmann::json b = make_baseline(to_json(MatrixSpec{}), base_cells, {});
  EXPECT_EQ(b["cells"][0]["incomplete"], 0u);
  // Fast enough while it ran, but the duration limit stopped it: goodput ok, completion WORSE.
  const auto v = compare(b, aggregate({incomplete(row("p", "longhaul", 790e6, 120.0))}), 0.10);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FALSE(v[0].missing);
  EXPECT_FALSE(v[0].worse) << verdict_table(v);
  EXPECT_TRUE(v[1].worse);
  EXPECT_NE(verdict_table(v).find("WORSE (incomplete: duration limit)"), std::string::npos) << verdict_table(v);
}

TEST(LabRegression, BaselineWithIncompleteRunsIsJudgedByGoodput) {
  const auto base_cells = aggregate({incomplete(row("p", "tcp-cubic", 9e6, 60.0)), incomplete(row("p", "tcp-cubic", 10e6, 60.0))});
  const nlohmann::json b = make_baseline(to_json(MatrixSpec{}), base_cells, {});
  EXPECT_EQ(b["cells"][0]["incomplete"], 2u);
  auto v = compare(b, aggregate({incomplete(row("p", "tcp-cubic", 9.5e6, 60.0))}), 0.10);
  EXPECT_FALSE(any_worse(v)) << verdict_table(v);
  EXPECT_TRUE(v[1].not_compared);
  EXPECT_NE(verdict_table(v).find("not compared"), std::string::npos) << verdict_table(v);
  v = compare(b, aggregate({incomplete(row("p", "tcp-cubic", 4e6, 60.0))}), 0.10);   // below 9e6 × 0.9
  EXPECT_TRUE(v[0].worse) << verdict_table(v);
  // A baseline written before incomplete runs existed has no "incomplete": its cells are complete.
  nlohmann::json old = make_baseline(to_json(MatrixSpec{}), aggregate({row("p", "l", 800e6, 2.0)}), {});
  old["cells"][0].erase("incomplete");
  old["matrix"].erase("ge_burst");
  EXPECT_FALSE(any_worse(compare(old, aggregate({row("p", "l", 800e6, 2.0)}), 0.1)));
  EXPECT_EQ(matrix_from_json(old["matrix"]).ge_burst, "4");
}

TEST(LabRegression, RejectsWhatIsNotABaseline) {
  EXPECT_THROW(compare(nlohmann::json{{"cells", nlohmann::json::array()}}, {}, 0.1), std::invalid_argument);
  EXPECT_THROW(compare(nlohmann::json::array(), {}, 0.1), std::invalid_argument);
  const nlohmann::json bad{{"lh_lab_baseline", 1}, {"cells", {{{"profile", "p"}}}}};
  EXPECT_THROW(compare(bad, {}, 0.1), std::invalid_argument);
}

}  // namespace
}  // namespace lh::lab
