// qlog_test.cpp — the qlog JSON-SEQ recorder (transport/io/qlog_writer.hpp): RFC 7464 framing, the
// header qvis needs, state changes written at once, metrics at most every 10 ms and only when they
// changed, one group per connection.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "transport/io/qlog_writer.hpp"

namespace lh::xport::io {
namespace {

std::vector<nlohmann::json> read_records(const std::string& path, std::string* raw = nullptr) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (raw) *raw = text;
  std::vector<nlohmann::json> out;
  size_t pos = 0;
  while (pos < text.size()) {
    EXPECT_EQ(text[pos], '\x1e') << "every record starts with RS (RFC 7464) at byte " << pos;
    const size_t end = text.find('\n', pos);
    EXPECT_NE(end, std::string::npos) << "every record ends with LF";
    out.push_back(nlohmann::json::parse(text.substr(pos + 1, end - pos - 1)));
    pos = end + 1;
  }
  return out;
}

struct TempFile {
  std::string path = (std::filesystem::temp_directory_path() / ("lh-qlog-test-" + std::to_string(::getpid()) + ".sqlog")).string();
  ~TempFile() { std::filesystem::remove(path); }
};

ConnectionMetrics metrics(const char* state, uint64_t cwnd) {
  return ConnectionMetrics{.cc_state = state, .pacing_bps = 1'000'000'000, .bandwidth_bps = 900'000'000,
                           .cwnd = cwnd, .bytes_in_flight = 1000, .min_rtt = Nanos::from_ms(40),
                           .smoothed_rtt = Nanos::from_ms(41), .latest_rtt = Nanos::from_ms(42)};
}

TEST(QlogWriter, HeaderThenThrottledEventsPerConnection) {
  TempFile f;
  {
    QlogWriter q(f.path, {.title = "lh-xfer send", .vantage_point = "client", .description = "test"}, Nanos::from_s(5));
    const Nanos t0 = Nanos::from_s(5);
    q.sample(t0, 0xabc, metrics("startup", 100));                         // state + metrics
    q.sample(t0 + Nanos::from_ms(3), 0xabc, metrics("startup", 200));     // within 10 ms: not written
    q.sample(t0 + Nanos::from_ms(11), 0xabc, metrics("startup", 200));    // written
    q.sample(t0 + Nanos::from_ms(30), 0xabc, metrics("startup", 200));    // unchanged: not written
    q.sample(t0 + Nanos::from_ms(31), 0xabc, metrics("drain", 200));      // state change at once
    q.sample(t0 + Nanos::from_ms(32), 0xdef, metrics("startup", 5));      // another connection
    EXPECT_TRUE(q.flush());
    EXPECT_EQ(q.records(), 8u);
  }
  const auto r = read_records(f.path);
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r[0]["qlog_format"], "JSON-SEQ");
  EXPECT_EQ(r[0]["qlog_version"], "0.3");
  EXPECT_EQ(r[0]["trace"]["vantage_point"]["type"], "client");
  EXPECT_EQ(r[0]["trace"]["common_fields"]["time_format"], "relative");
  EXPECT_EQ(r[1]["name"], "recovery:congestion_state_updated");
  EXPECT_EQ(r[1]["data"]["new"], "startup");
  EXPECT_FALSE(r[1]["data"].contains("old"));
  EXPECT_EQ(r[2]["name"], "recovery:metrics_updated");
  EXPECT_EQ(r[2]["data"]["congestion_window"], 100);
  EXPECT_DOUBLE_EQ(r[2]["data"]["smoothed_rtt"].get<double>(), 41.0);
  EXPECT_EQ(r[2]["data"]["pacing_rate"], 1'000'000'000);
  EXPECT_EQ(r[2]["group_id"], "0000000000000abc");
  EXPECT_DOUBLE_EQ(r[3]["time"].get<double>(), 11.0);
  EXPECT_EQ(r[3]["data"]["congestion_window"], 200);
  EXPECT_EQ(r[4]["name"], "recovery:congestion_state_updated");
  EXPECT_EQ(r[4]["data"]["old"], "startup");
  EXPECT_EQ(r[4]["data"]["new"], "drain");
  EXPECT_DOUBLE_EQ(r[4]["time"].get<double>(), 31.0);
  EXPECT_EQ(r[6]["group_id"], "0000000000000def");
}

TEST(QlogWriter, UnwritablePathIsAClearError) {
  try {
    QlogWriter q("/nonexistent-dir/x.sqlog", {.title = "t", .vantage_point = "client"}, Nanos{0});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.sqlog"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lh::xport::io
