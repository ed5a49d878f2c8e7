// lab_trace_test.cpp — lh-lab's trace workload (--workload trace:FILE): parsing and validation, the
// lh-trace replay transport names, folding the replay's JSON Lines into a row, and the report section.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lab/matrix.hpp"
#include "lab/trace_report.hpp"
#include "lab/trace_workload.hpp"
#include "traces/gradient_trace.hpp"

namespace lh::lab {
namespace {

namespace fs = std::filesystem;

fs::path write_trace(const std::string& name, uint32_t dst_site) {
  traces::GradientTrace t;
  t.provenance = {.source = "generated", .tool = "lab_trace_test", .world_size = 3, .sites = 3, .ranks_per_site = 1,
                  .step_compute = Nanos::from_ms(10), .steps = 2};
  for (uint32_t s = 0; s < 2; ++s) {
    t.events.push_back({.t = Nanos::from_ms(10) * s, .step = s, .src = {0, 0}, .dst = {dst_site, 0}, .bytes = 1000,
                        .op = traces::CollectiveOp::kAllReduce, .after_compute = Nanos{0}});
  }
  const fs::path p = fs::temp_directory_path() / name;
  std::ofstream out(p);
  traces::write_gradient_trace(out, t);
  return p;
}

TEST(LabWorkload, BulkByDefaultAndTraceFilesAreCheckedUpFront) {
  EXPECT_EQ(parse_workload("bulk").kind, Workload::Kind::kBulk);
  EXPECT_THROW(parse_workload("replay:x"), std::invalid_argument);
  EXPECT_THROW(parse_workload("trace:"), std::invalid_argument);
  EXPECT_THROW(parse_workload("trace:/nonexistent/t.jsonl"), std::invalid_argument);
  const fs::path good = write_trace("lab_trace_test_good.jsonl", 1);
  const Workload w = parse_workload("trace:" + good.string());
  EXPECT_EQ(w.kind, Workload::Kind::kTrace);
  EXPECT_EQ(w.trace, good);
  EXPECT_EQ(w.steps, 2u);
  EXPECT_EQ(w.bytes_forward, 2000u);
  EXPECT_EQ(w.bytes_reverse, 0u);
  // Only sites 0 and 2 talk: nothing crosses the lab's one path.
  const fs::path none = write_trace("lab_trace_test_none.jsonl", 2);
  EXPECT_THROW(parse_workload("trace:" + none.string()), std::invalid_argument);
  const fs::path bad = fs::temp_directory_path() / "lab_trace_test_bad.jsonl";
  std::ofstream(bad) << "{\"format\":\"nope\"}\n";
  EXPECT_THROW(parse_workload("trace:" + bad.string()), ParseError);
}

// What lh-lab hands lh-trace replay is the resolved spec's canonical name: the same text for every form.
TEST(LabWorkload, ReplayTransportNamesFollowTheResolvedSpec) {
  for (const char* n : {"longhaul", "longhaul-cubic", "longhaul-fixed:250mbit", "tcp-bbr", "tcp-cubic-x8"}) {
    EXPECT_EQ(resolve_transports({n}, {})[0].spec.name(), n);
  }
}

std::vector<std::string> replay_lines(double slow0, double slow1) {
  return {
      R"({"type":"step","step":0,"compute_ns":10000000,"comm_ns":5000000,"exposed_ns":2000000,"step_ns":12000000,"slowdown":)" +
          std::to_string(slow0) + "}",
      "not json",
      R"({"type":"step","step":1,"compute_ns":10000000,"comm_ns":7000000,"exposed_ns":4000000,"step_ns":14000000,"slowdown":)" +
          std::to_string(slow1) + "}",
      R"({"type":"summary","complete":true,"mean_step_ns":13000000,"mean_comm_ns":6000000,"mean_exposed_ns":3000000,"slowdown":1.3,"total_ns":26000000})"};
}

nlohmann::json row(const std::string& transport, double slow0, double slow1) {
  RunRecord r{.profile = "p", .transport = transport, .ok = true, .complete = true};
  EXPECT_TRUE(add_replay_results(r, replay_lines(slow0, slow1)));
  return to_json(r);
}

TEST(LabWorkload, ReplayLinesBecomePerStepArraysAndHeadlineFigures) {
  const nlohmann::json r = row("longhaul", 1.2, 1.4);
  EXPECT_EQ(r["replay"]["step"], nlohmann::json::array({0, 1}));
  EXPECT_EQ(r["replay"]["comm_ms"], nlohmann::json::array({5.0, 7.0}));
  EXPECT_EQ(r["replay"]["exposed_ms"], nlohmann::json::array({2.0, 4.0}));
  EXPECT_DOUBLE_EQ(r["replay"]["slowdown"][1].get<double>(), 1.4);
  EXPECT_DOUBLE_EQ(r["mean_step_ms"].get<double>(), 13.0);
  EXPECT_DOUBLE_EQ(r["mean_exposed_ms"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(r["slowdown"].get<double>(), 1.3);
  EXPECT_DOUBLE_EQ(r["summary"]["seconds"].get<double>(), 0.026);
  RunRecord no_summary{.ok = true};
  EXPECT_FALSE(add_replay_results(no_summary, {replay_lines(1, 1)[0]}));
  EXPECT_TRUE(no_summary.replay.is_null());
  EXPECT_TRUE(no_summary.summary.is_null());
}

TEST(LabTraceReport, TableHtmlAndPerStepSlowdownPlot) {
  std::vector<nlohmann::json> rows{row("longhaul", 1.2, 1.4), row("longhaul", 1.0, 1.6), row("tcp-cubic", 2.0, 3.0)};
  rows.push_back({{"profile", "p"}, {"transport", "tcp-cubic"}, {"ok", false}, {"error", "x"}});
  const std::string t = trace_table(rows);
  EXPECT_NE(t.find("longhaul"), std::string::npos) << t;
  EXPECT_NE(t.find("2/2"), std::string::npos) << t;
  EXPECT_NE(t.find("1/2"), std::string::npos) << t;
  EXPECT_NE(t.find("13.0"), std::string::npos) << t;
  EXPECT_NE(t.find("1.300"), std::string::npos) << t;
  const std::string h = trace_html(rows);
  EXPECT_NE(h.find("<h2>Trace replay</h2>"), std::string::npos);
  EXPECT_NE(h.find("<td>tcp-cubic</td>"), std::string::npos);
  const PlotSpec p = trace_slowdown_plot(rows);
  EXPECT_EQ(p.png, "trace_slowdown.png");
  // Per step the median over the repeats: longhaul step 0 → (1.2 + 1.0) / 2, step 1 → 1.5.
  EXPECT_NE(p.data_text.find("0 1.1000\n1 1.5000\n"), std::string::npos) << p.data_text;
  EXPECT_NE(p.data_text.find("0 2.0000\n1 3.0000\n"), std::string::npos) << p.data_text;
  EXPECT_NE(p.script.find("index 1"), std::string::npos) << p.script;
  EXPECT_NE(p.script.find("\"p / tcp-cubic\""), std::string::npos) << p.script;
  EXPECT_EQ(trace_slowdown_plot({rows.back()}).png, "");
}

}  // namespace
}  // namespace lh::lab
