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

TEST(LabReport, TableHasOneLinePerCell) {
  const auto cells = aggregate({row("c", "longhaul", 812.34e6), row("c", "tcp-cubic", 300e6), row("t", "longhaul", 700e6)});
  const std::string t = summary_table(cells);
  EXPECT_EQ(count(t, "\n"), 4u);
  EXPECT_NE(t.find("812.3"), std::string::npos) << t;
  EXPECT_NE(t.find("45.00"), std::string::npos) << t;   // p99 RTT in ms
  const std::string h = summary_html(cells);
  EXPECT_EQ(count(h, "<tr>"), 4u);
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

TEST(LabReport, ScatterAndIndexReferenceThePlots) {
  const PlotSpec s = scatter_plot({row("c", "longhaul", 800e6), row("c", "tcp-bbr", 600e6)});
  EXPECT_NE(s.script.find("reverse"), std::string::npos);
  EXPECT_NE(s.data_text.find("45.000 800.000"), std::string::npos) << s.data_text;
  IndexPage page{.run_id = "r1", .command_line = "lh-lab run --size 1<2", .environment = {{"host", "x"}},
                 .table_html = "<table></table>", .plots = {s}};
  const std::string h = index_html(page);
  EXPECT_NE(h.find("<img src=\"scatter.png\""), std::string::npos);
  EXPECT_NE(h.find("1&lt;2"), std::string::npos);
  EXPECT_NE(h.find("results.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace lh::lab
