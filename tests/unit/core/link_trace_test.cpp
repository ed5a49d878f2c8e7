// link_trace_test.cpp — the trace readers: good files parse to the right values, bad ones fail
// with file:line and the reason.
#include "src/link_trace.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"

namespace lh {
namespace {

using ::testing::HasSubstr;
using lh::test::error_of;

TEST(LinkTrace, ParsesPointsAndCarriesOmittedFieldsForward) {
  const auto t = load_link_trace(LH_TEST_DATA_DIR "/good.lhtrace");
  ASSERT_EQ(t->points.size(), 3u);
  EXPECT_EQ(t->period, Nanos::from_s(90));
  EXPECT_EQ(t->points[0].at, Nanos{0});
  EXPECT_EQ(t->points[0].rate, parse_rate("1gbit"));
  EXPECT_EQ(t->points[0].loss, parse_probability("0.001%"));
  EXPECT_EQ(t->points[1].at, Nanos::from_s(30));
  EXPECT_EQ(t->points[1].rate, parse_rate("200mbit"));
  EXPECT_EQ(t->points[1].delay, Nanos::from_ms(20));  // carried forward
  EXPECT_EQ(t->points[1].loss, parse_probability("1%"));
  EXPECT_EQ(t->points[2].delay, Nanos::from_ms(21));
  EXPECT_THAT(t->source, HasSubstr("good.lhtrace"));
}

TEST(LinkTrace, FormatRoundTrips) {
  const auto t = load_link_trace(LH_TEST_DATA_DIR "/good.lhtrace");
  const std::string text = format_link_trace(*t);
  EXPECT_THAT(text, ::testing::StartsWith("lh-link-trace v1 period=90s\n0 rate=1gbit delay=20ms loss=0.001%\n"));
  const LinkTrace back = parse_link_trace(text, "formatted");
  ASSERT_EQ(back.points.size(), t->points.size());
  EXPECT_EQ(back.period, t->period);
  for (size_t i = 0; i < back.points.size(); ++i) {
    EXPECT_EQ(back.points[i].at, t->points[i].at);
    EXPECT_EQ(back.points[i].rate, t->points[i].rate);
    EXPECT_EQ(back.points[i].delay, t->points[i].delay);
    EXPECT_EQ(back.points[i].loss, t->points[i].loss);
  }
}

TEST(LinkTrace, NoPeriodHoldsTheLastPoint) {
  const auto t = parse_link_trace("lh-link-trace v1\n0 rate=unlimited delay=0ns loss=0%\n", "x");
  EXPECT_EQ(t.period, Nanos{0});
  EXPECT_EQ(t.points[0].rate.bps, 0u);
}

TEST(LinkTrace, RejectsNonIncreasingTimestampsWithFileAndLine) {
  const auto msg = error_of([] { load_link_trace(LH_TEST_DATA_DIR "/nonmonotonic.lhtrace"); });
  EXPECT_THAT(msg, HasSubstr("nonmonotonic.lhtrace:4: "));
  EXPECT_THAT(msg, HasSubstr("strictly increasing"));
}

TEST(LinkTrace, RejectsBadInput) {
  const auto bad = [](std::string_view text) { return error_of([&] { parse_link_trace(text, "t.trace"); }); };
  EXPECT_THAT(bad(""), HasSubstr("t.trace:1: empty trace"));
  EXPECT_THAT(bad("0 rate=1gbit delay=1ms loss=0%\n"), HasSubstr("t.trace:1: expected the header"));
  EXPECT_THAT(bad("lh-link-trace v1\n\n5 rate=1gbit delay=1ms loss=0%\n"), HasSubstr("t.trace:3: the first point must be at time 0"));
  EXPECT_THAT(bad("lh-link-trace v1\n0 rate=1gbit delay=1ms\n"), HasSubstr("t.trace:2: the first point must give"));
  EXPECT_THAT(bad("lh-link-trace v1\n0 rate=1gbit delay=1ms loss=0% jitter=1ms\n"), HasSubstr("t.trace:2: unknown field \"jitter=1ms\""));
  EXPECT_THAT(bad("lh-link-trace v1\n0 rate=1gbit delay=-1ms loss=0%\n"), HasSubstr("t.trace:2: delay: "));
  EXPECT_THAT(bad("lh-link-trace v1\n0 rate=1000 delay=1ms loss=0%\n"), HasSubstr("has no unit"));
  EXPECT_THAT(bad("lh-link-trace v1\n1.5s rate=1gbit delay=1ms loss=0%\n"), HasSubstr("integer nanoseconds"));
  EXPECT_THAT(bad("lh-link-trace v1 period=1s\n0 rate=1gbit delay=1ms loss=0%\n2000000000 loss=1%\n"),
              HasSubstr("t.trace:3: period (1s) must be later than the last point"));
  EXPECT_THAT(bad("lh-link-trace v1\n"), HasSubstr("no points"));
}

TEST(DeliveryTrace, ParsesMahimahiFormat) {
  const auto t = load_delivery_trace(LH_TEST_DATA_DIR "/mahimahi.trace");
  ASSERT_EQ(t->opportunities.size(), 5u);
  EXPECT_EQ(t->opportunities[0], Nanos::from_ms(1));
  EXPECT_EQ(t->opportunities[1], Nanos::from_ms(1));  // two packets in the same ms
  EXPECT_EQ(t->period, Nanos::from_ms(12));
  EXPECT_EQ(t->bytes_per_opportunity, Bytes{1504});
}

TEST(DeliveryTrace, RejectsBadInput) {
  const auto bad = [](std::string_view text) { return error_of([&] { parse_delivery_trace(text, "m.trace"); }); };
  EXPECT_THAT(bad("1\n5\n3\n"), HasSubstr("m.trace:3: timestamps must be monotonically nondecreasing"));
  EXPECT_THAT(bad("1\n\n3\n"), HasSubstr("m.trace:2: empty line"));
  EXPECT_THAT(bad("1\n2ms\n"), HasSubstr("m.trace:2: \"2ms\" is not a timestamp"));
  EXPECT_THAT(bad("0\n0\n"), HasSubstr("m.trace:2: the last timestamp"));
  EXPECT_THAT(bad(""), HasSubstr("m.trace:1: empty trace"));
  EXPECT_EQ(parse_delivery_trace("3\r\n7\r\n", "crlf").period, Nanos::from_ms(7));
}

TEST(LossPattern, ParsesBitsRunsAndComments) {
  const auto p = load_loss_pattern(LH_TEST_DATA_DIR "/pattern.loss");
  const std::vector<uint8_t> want = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(p->lost, want);
  EXPECT_EQ(parse_loss_pattern("3*1 0 2*0", "x").lost, (std::vector<uint8_t>{1, 1, 1, 0, 0, 0}));
}

TEST(LossPattern, RejectsBadInput) {
  const auto bad = [](std::string_view text) { return error_of([&] { parse_loss_pattern(text, "p.loss"); }); };
  EXPECT_THAT(bad("0101\n0121\n"), HasSubstr("p.loss:2: \"0121\" is not a loss pattern"));
  EXPECT_THAT(bad("0*1\n"), HasSubstr("p.loss:1: \"0*1\" is not a run"));
  EXPECT_THAT(bad("5*01\n"), HasSubstr("is not a run"));
  EXPECT_THAT(bad("# nothing\n"), HasSubstr("p.loss:1: empty loss pattern"));
  EXPECT_THAT(bad("999999999999*0\n"), HasSubstr("p.loss:1: pattern longer than"));
}

TEST(TraceFiles, MissingFileNamesThePath) {
  EXPECT_THAT(error_of([] { load_link_trace("/nonexistent/x.lhtrace"); }), HasSubstr("/nonexistent/x.lhtrace: cannot open"));
}

}  // namespace
}  // namespace lh
