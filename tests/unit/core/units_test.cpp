// Unit tests for src/units: strict parsing, exact decimals, refusals with a reason, round-trips.
#include "src/units.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"

namespace lh {
namespace {

using ::testing::HasSubstr;

using lh::test::error_of;

TEST(Units, ParsesDurationsExactly) {
  EXPECT_EQ(parse_duration("35ms").ns, 35'000'000);
  EXPECT_EQ(parse_duration("250us").ns, 250'000);
  EXPECT_EQ(parse_duration("1.5s").ns, 1'500'000'000);
  EXPECT_EQ(parse_duration("0.000000001s").ns, 1);
  EXPECT_EQ(parse_duration("2min").ns, 120'000'000'000);
  EXPECT_EQ(parse_signed_duration("+8ms").ns, 8'000'000);
  EXPECT_EQ(parse_signed_duration("-2ms").ns, -2'000'000);
}

TEST(Units, RefusesBareNumbersAndBadUnitsWithReason) {
  EXPECT_THAT(error_of([] { parse_duration("35"); }), HasSubstr("no unit"));
  EXPECT_THAT(error_of([] { parse_duration("-5ms"); }), HasSubstr("negative"));
  EXPECT_THAT(error_of([] { parse_duration("0.5ns"); }), HasSubstr("whole number of ns"));
  EXPECT_THAT(error_of([] { parse_duration("3 parsecs"); }), HasSubstr("unknown unit"));
  EXPECT_THAT(error_of([] { parse_rate("10kbps"); }), HasSubstr("ambiguous"));
  EXPECT_THAT(error_of([] { parse_bytes("10kbit"); }), HasSubstr("in bits"));
  EXPECT_THAT(error_of([] { parse_probability("0.001"); }), HasSubstr("no unit"));
  EXPECT_THAT(error_of([] { parse_probability("101%"); }), HasSubstr("above 100%"));
  EXPECT_THAT(error_of([] { parse_distance("ms"); }), HasSubstr("does not start with a number"));
}

TEST(Units, ParsesRatesSizesDistances) {
  EXPECT_EQ(parse_rate("10gbit").bps, 10'000'000'000u);
  EXPECT_EQ(parse_rate("100mbit").bps, 100'000'000u);
  EXPECT_EQ(parse_rate("1.5Gbit").bps, 1'500'000'000u);
  EXPECT_EQ(parse_bytes("1.5GiB").n, 1'610'612'736u);
  EXPECT_EQ(parse_bytes("64KiB").n, 65'536u);
  EXPECT_EQ(parse_bytes("10MB").n, 10'000'000u);
  EXPECT_EQ(parse_distance("4000km").mm, 4'000'000'000);
  EXPECT_EQ(parse_distance("0.5km").mm, 500'000);
}

TEST(Units, ProbabilityThresholdsHaveSubNanoResolution) {
  const Probability p = parse_probability("0.01%");
  EXPECT_DOUBLE_EQ(p.value(), 1e-4);
  EXPECT_NEAR(static_cast<double>(p.threshold()), 1e-4 * 18446744073709551616.0, 1e3);
  const Probability tiny = parse_probability("0.0000001%");  // 1e-9
  EXPECT_GT(tiny.threshold(), 0u);
  EXPECT_TRUE(parse_probability("100%").hit(UINT64_MAX));
  EXPECT_FALSE(parse_probability("0%").hit(0));
}

TEST(Units, FormattingRoundTrips) {
  for (const char* s : {"35ms", "250us", "1ns", "7s", "1500001ns"}) {
    EXPECT_EQ(parse_duration(format(parse_duration(s))), parse_duration(s)) << s;
  }
  EXPECT_EQ(format(parse_duration("1.5s")), "1500ms");
  for (const char* s : {"10gbit", "123456789bit", "1.5gbit"}) {
    EXPECT_EQ(parse_rate(format(parse_rate(s))), parse_rate(s)) << s;
  }
  for (const char* s : {"1.5GiB", "1500B", "10MB", "7B"}) {
    EXPECT_EQ(parse_bytes(format(parse_bytes(s))), parse_bytes(s)) << s;
  }
  for (const char* s : {"4000km", "0.5km", "12.345678km"}) {
    EXPECT_EQ(parse_distance(format(parse_distance(s))), parse_distance(s)) << s;
  }
  for (const char* s : {"0.01%", "1%", "0.0000001%", "33.333%", "100%", "0%"}) {
    EXPECT_EQ(parse_probability(format(parse_probability(s))), parse_probability(s)) << s;
  }
}

TEST(Units, SerializationArithmeticIsExact) {
  // 1500 B at 1 Gbit/s = 12 µs exactly; 1 B at 3 bit/s rounds up.
  EXPECT_EQ(serialization_time({1500}, {1'000'000'000}).ns, 12'000);
  EXPECT_EQ(serialization_time({1}, {3}).ns, 2'666'666'667);
  EXPECT_EQ(bytes_in(Nanos::from_ms(1), {8'000'000'000}).n, 1'000'000u);
}

}  // namespace
}  // namespace lh
