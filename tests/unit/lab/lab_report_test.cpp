// lab_report_test.cpp — lh-lab's generated text: summary table, HTML, gnuplot scripts and data.
#include <gtest/gtest.h>

#include "lab/cell_stats.hpp"
#include "lab/report.hpp"

namespace lh::lab {
namespace {

nlohmann::json row(const char* profile, const char* transport, double bps, double loss_sweep = -1) {
  nlohmann::json r{{"profile", profile}, {"transport", transport}, {"ok", true},
                   {"summary", {{"bits_per_second", bps}, {"seconds", 1.5}, {"retransmits", 3},
                                {"rtt_us", {{"p50", 41000}, {"p99", 45000}}}}}};
  if (loss_sweep >= 0) r["sweep_loss"] = loss_sweep;
  return r;
}

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

nlohmann::json with_p95(nlohmann::json r, double p95_us) {
  r["summary"]["rtt_us"]["p95"] = p95_us;
  return r;
}

nlohmann::json incomplete(nlohmann::json r) {
  r["complete"] = false;
  r["incomplete"] = "duration limit 60s reached";
  return r;
}

TEST(LabReport, TableHasOneLinePerCellWithP95Rtt) {
  const auto cells = aggregate({with_p95(row("c", "longhaul", 812.34e6), 43000), with_p95(row("c", "tcp-cubic", 300e6), 44000),
                                with_p95(row("t", "longhaul", 700e6), 43500)});
  const std::string t = summary_table(cells);
  EXPECT_EQ(count(t, "\n"), 4u) << t;
  EXPECT_NE(t.find("RTT p95 ms"), std::string::npos) << t;
  EXPECT_NE(t.find("812.3"), std::string::npos) << t;
  EXPECT_NE(t.find("43.00"), std::string::npos) << t;   // p95 RTT in ms
  EXPECT_EQ(t.find("45.00"), std::string::npos) << t;   // not the p99
  EXPECT_EQ(t.find('*'), std::string::npos) << t;
  const std::string h = summary_html(cells);
  EXPECT_EQ(count(h, "<tr>"), 4u);
}

TEST(LabReport, SpreadColumnFlagsCellsWhoseRepeatsDisagree) {
  // longhaul: 800 and 900 (1.12, fine); tcp-cubic: 100 and 190 (1.90, flagged "!" with the note).
  const auto cells = aggregate({row("c", "longhaul", 800e6), row("c", "longhaul", 900e6), row("c", "tcp-cubic", 100e6),
                                row("c", "tcp-cubic", 190e6), row("t", "longhaul", 700e6)});
  const std::string t = summary_table(cells);
  EXPECT_NE(t.find("spread"), std::string::npos) << t;
  EXPECT_NE(t.find(" 1.12 "), std::string::npos) << t;
  EXPECT_NE(t.find(" 1.90! "), std::string::npos) << t;
  EXPECT_NE(t.find("! spread (max/min goodput over the repeats) above 1.25"), std::string::npos) << t;
  const size_t single = t.find("\nt ") + 1;   // one run: no spread
  EXPECT_NE(t.substr(single, t.find('\n', single) - single).find(" - "), std::string::npos) << t;
  const std::string h = summary_html(cells);
  EXPECT_NE(h.find("<td>1.90!</td>"), std::string::npos) << h;
  const std::string quiet = summary_table(aggregate({row("c", "longhaul", 800e6), row("c", "longhaul", 900e6)}));
  EXPECT_EQ(quiet.find("! spread"), std::string::npos) << quiet;
}

TEST(LabReport, RttFallsBackToP99WithAFootnote) {
  const std::string t = summary_table(aggregate({row("c", "longhaul", 812.34e6)}));
  EXPECT_NE(t.find("45.00†"), std::string::npos) << t;
  EXPECT_NE(t.find("† RTT p99"), std::string::npos) << t;
}

TEST(LabReport, IncompleteRunsAreStarredAndFootnoted) {
  const auto cells = aggregate({with_p95(row("c", "longhaul", 800e6), 43000),
                                incomplete(with_p95(row("c", "tcp-cubic", 9.1e6), 60000)),
                                incomplete(with_p95(row("c", "tcp-cubic", 9.3e6), 61000))});
  const std::string t = summary_table(cells);
  EXPECT_NE(t.find("9.2*"), std::string::npos) << t;   // median of the two incomplete runs, marked
  EXPECT_EQ(t.find("800.0*"), std::string::npos) << t;
  EXPECT_NE(t.find("* incomplete:"), std::string::npos) << t;
  EXPECT_EQ(t.find("all runs failed"), std::string::npos) << t;
  // No complete cubic run: completion time is "-", not the duration limit.
  const size_t cubic = t.find("tcp-cubic");
  const std::string line = t.substr(cubic, t.find('\n', cubic) - cubic);
  EXPECT_EQ(line.back(), '-') << line;
  const std::string h = summary_html(cells);
  EXPECT_NE(h.find("<td>9.2*</td>"), std::string::npos) << h;
  EXPECT_NE(h.find("* incomplete:"), std::string::npos) << h;
}

TEST(LabReport, GoodputPlotHasOneSeriesPerTransport) {
  const auto cells = aggregate({row("c", "longhaul", 800e6), row("c", "tcp-cubic", 300e6), row("t", "longhaul", 700e6),
                                row("t", "tcp-cubic", 200e6)});
  const PlotSpec p = goodput_plot(cells);
  EXPECT_EQ(p.png, "goodput.png");
  EXPECT_NE(p.script.find("set output \"goodput.png\""), std::string::npos);
  EXPECT_NE(p.script.find("title \"tcp-cubic\""), std::string::npos);
  EXPECT_NE(p.script.find("\"t\" 1"), std::string::npos) << p.script;   // x tic per profile
  EXPECT_EQ(count(p.data_text, "# longhaul"), 1u);
  EXPECT_NE(p.data_text.find(" 800.000 800.000 800.000"), std::string::npos) << p.data_text;
}

TEST(LabReport, LossPlotOnlyForALossSweep) {
  EXPECT_TRUE(loss_plot({row("c", "longhaul", 1e8)}, aggregate({row("c", "longhaul", 1e8)})).png.empty());
  const std::vector<nlohmann::json> rows{row("b loss=0", "longhaul", 900e6, 0), row("b loss=0.001", "longhaul", 500e6, 1e-3)};
  const PlotSpec p = loss_plot(rows, aggregate(rows));
  EXPECT_EQ(p.png, "loss.png");
  EXPECT_NE(p.data_text.find("1.000e-04 900.000"), std::string::npos) << p.data_text;   // 0 drawn a decade left
  EXPECT_NE(p.data_text.find("1.000e-03 500.000"), std::string::npos) << p.data_text;
  EXPECT_NE(p.script.find("logscale x"), std::string::npos);
}

TEST(LabReport, LossPlotDrawsGilbertElliottAsItsOwnCurve) {
  auto ge = [](const char* label, const char* t, double bps, double loss) {
    nlohmann::json r = row(label, t, bps, loss);
    r["sweep_loss_model"] = "gilbert-elliott";
    r["ge_burst"] = 4;
    return r;
  };
  auto bern = [](const char* label, const char* t, double bps, double loss) {
    nlohmann::json r = row(label, t, bps, loss);
    r["sweep_loss_model"] = "bernoulli";
    return r;
  };
  const std::vector<nlohmann::json> rows{bern("w loss=0", "longhaul", 480e6, 0), bern("w loss=0.01", "longhaul", 440e6, 1e-2),
                                         ge("w ge-loss=0.01 burst=4", "longhaul", 450e6, 1e-2),
                                         incomplete(bern("w loss=0.01", "tcp-cubic", 3e6, 1e-2))};
  const PlotSpec p = loss_plot(rows, aggregate(rows));
  EXPECT_NE(p.data_text.find("# longhaul w\n"), std::string::npos) << p.data_text;
  EXPECT_NE(p.data_text.find("# longhaul GE burst 4 w\n"), std::string::npos) << p.data_text;
  // The no-loss point starts both longhaul curves, each drawn in loss order.
  EXPECT_EQ(count(p.data_text, "1.000e-03 480.000"), 2u) << p.data_text;
  EXPECT_NE(p.data_text.find("1.000e-03 480.000 480.000 480.000\n1.000e-02 450.000"), std::string::npos) << p.data_text;
  EXPECT_NE(p.data_text.find("1.000e-02 3.000 3.000 3.000 # incomplete"), std::string::npos) << p.data_text;
  EXPECT_EQ(count(p.script, "with yerrorlines"), 3u) << p.script;
  EXPECT_EQ(count(p.script, "pt 7 dt 2 title \"longhaul GE burst 4 w\""), 1u) << p.script;   // GE curves dashed
}

TEST(LabReport, TimeseriesFromEmulatorLines) {
  const std::vector<std::string> lines{
      R"({"type":"interval","t_s":0.9,"directions":{"a_to_b":{"tx_bps":1e8}}})",
      R"({"type":"interval","t_s":1.2,"directions":{"a_to_b":{"tx_bps":5e8,"added_delay_ns":{"p50":20000000}},"b_to_a":{"added_delay_ns":{"p50":21000000}}}})",
      "not json",
      R"({"type":"summary","t_s":1.3})",
      R"({"type":"interval","t_s":3.5,"directions":{}})"};
  const auto pts = timeseries_from_emu(lines, 1.0, 3.0);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_NEAR(pts[0].t_s, 0.2, 1e-9);
  EXPECT_DOUBLE_EQ(pts[0].mbit, 500);
  EXPECT_DOUBLE_EQ(pts[0].added_ms, 41);
  const PlotSpec p = timeseries_plot(pts, "c / longhaul #1");
  EXPECT_NE(p.script.find("axes x1y2"), std::string::npos);
  EXPECT_NE(p.data_text.find("0.200 500.000 41.0000"), std::string::npos) << p.data_text;
}

// A longhaul endpoint's qlog (RS-framed JSON-SEQ): the busiest connection's metrics, on the lab's time
// axis (the header's reference_time against the client's start), drawn beside lh-emu's series.
TEST(LabReport, ControllerSeriesFromQlog) {
  const std::string rs = "\x1e";
  const std::string text =
      rs + R"({"qlog_version":"0.3","qlog_format":"JSON-SEQ","trace":{"common_fields":{"reference_time":1000500}}})" + "\n" +
      rs + R"({"time":10,"name":"recovery:metrics_updated","group_id":"a","data":{"pacing_rate":5e8,"bandwidth_estimate":4e8,"smoothed_rtt":41}})" + "\n" +
      rs + R"({"time":20,"name":"recovery:metrics_updated","group_id":"a","data":{"pacing_rate":6e8,"bandwidth_estimate":4e8,"smoothed_rtt":42}})" + "\n" +
      rs + R"({"time":15,"name":"recovery:metrics_updated","group_id":"b","data":{"pacing_rate":1e6}})" + "\n" +
      rs + R"({"time":16,"name":"recovery:congestion_state_updated","group_id":"a","data":{"new":"drain"}})" + "\n" +
      rs + "{not json\n";
  const auto pts = cc_series_from_qlog(text, 1000000.0);
  ASSERT_EQ(pts.size(), 2u);  // group "a", the busiest
  EXPECT_NEAR(pts[0].t_s, 0.510, 1e-9);
  EXPECT_DOUBLE_EQ(pts[1].pacing_mbit, 600);
  EXPECT_DOUBLE_EQ(pts[1].bw_mbit, 400);
  EXPECT_DOUBLE_EQ(pts[1].srtt_ms, 42);
  EXPECT_TRUE(cc_series_from_qlog(rs + R"({"time":1,"name":"recovery:metrics_updated","data":{}})" + "\n", 0).empty())
      << "no header: no time origin";
  const PlotSpec p = timeseries_plot({TimePoint{.t_s = 0.5, .mbit = 100, .added_ms = 40}}, "c / longhaul #1",
                                     {CcSeries{.label = "client", .points = pts}});
  EXPECT_NE(p.script.find("index 1 using 1:2 with steps"), std::string::npos) << p.script;
  EXPECT_NE(p.script.find("\"client bandwidth estimate\""), std::string::npos) << p.script;
  EXPECT_NE(p.data_text.find("0.5200 600.000 400.000 42.000"), std::string::npos) << p.data_text;
}

TEST(LabReport, ScatterAndIndexReferenceThePlots) {
  const PlotSpec s = scatter_plot({with_p95(row("c", "longhaul", 800e6), 43000), row("c", "tcp-bbr", 600e6)});
  EXPECT_NE(s.script.find("reverse"), std::string::npos);
  EXPECT_NE(s.script.find("p95 RTT"), std::string::npos);
  EXPECT_NE(s.data_text.find("43.000 800.000"), std::string::npos) << s.data_text;   // p95
  EXPECT_NE(s.data_text.find("45.000 600.000 # c (p99: no p95 reported)"), std::string::npos) << s.data_text;
  IndexPage page{.run_id = "r1", .command_line = "lh-lab run --size 1<2", .environment = {{"host", "x"}},
                 .table_html = "<table></table>", .plots = {s}};
  const std::string h = index_html(page);
  EXPECT_NE(h.find("<img src=\"scatter.png\""), std::string::npos);
  EXPECT_NE(h.find("1&lt;2"), std::string::npos);
  EXPECT_NE(h.find("results.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace lh::lab
