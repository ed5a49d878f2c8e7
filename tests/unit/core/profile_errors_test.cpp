// profile_errors_test.cpp — bad profiles: each error names file:line:column, the key path, the
// value, and what is accepted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/profile.hpp"

namespace lh {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string error_of(std::string_view toml) {
  try {
    parse_profile(toml, "bad.toml", LH_TEST_DATA_DIR);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ProfileErrors, BareNumberIsRefused) {
  EXPECT_THAT(error_of("[a_to_b.propagation]\nextra = 35\n"),
              AllOf(HasSubstr("bad.toml:2:9: a_to_b.propagation.extra = 35: a bare number is ambiguous"),
                    HasSubstr("\"35ms\"")));
  EXPECT_THAT(error_of("[b_to_a]\nrate = 1e9\n"), HasSubstr("bad.toml:2:8: b_to_a.rate = 1000000000: a bare number"));
}

TEST(ProfileErrors, NegativeDelay) {
  EXPECT_THAT(error_of("[link]\nname = \"x\"\n\n[a_to_b.propagation]\nextra = \"-3ms\"\n"),
              AllOf(HasSubstr("bad.toml:5:9: a_to_b.propagation.extra = \"-3ms\": "), HasSubstr("negative"),
                    HasSubstr("expected e.g.")));
}

TEST(ProfileErrors, LossAbove100Percent) {
  EXPECT_THAT(error_of("[a_to_b.loss]\nmodel = \"bernoulli\"\np = \"150%\"\n"),
              AllOf(HasSubstr("bad.toml:3:5: a_to_b.loss.p = \"150%\": "), HasSubstr("above 100%")));
  EXPECT_THAT(error_of("[a_to_b.loss]\nmodel = \"bernoulli\"\np = \"0.01\"\n"),
              HasSubstr("bad.toml:3:5: a_to_b.loss.p = \"0.01\": "));
}

TEST(ProfileErrors, MisspeltKeysGetASuggestion) {
  EXPECT_THAT(error_of("[a_to_b.propagation]\ndistnace = \"10km\"\n"),
              AllOf(HasSubstr("bad.toml:2:1: a_to_b.propagation.distnace: unknown key"),
                    HasSubstr("did you mean \"distance\"?")));
  EXPECT_THAT(error_of("[a_to_b.propogation]\ndistance = \"10km\"\n"),
              AllOf(HasSubstr("bad.toml:1:"), HasSubstr("a_to_b.propogation"), HasSubstr("did you mean \"propagation\"?")));
  EXPECT_THAT(error_of("[lnk]\nname = \"x\"\n"), HasSubstr("did you mean \"link\"?"));
  EXPECT_THAT(error_of("[both]\nfoo = \"1ms\"\n"), AllOf(HasSubstr("bad.toml:2:1: both.foo: unknown key"),
                                                          HasSubstr("keys here:")));
  EXPECT_THAT(error_of("[a_to_b]\ndistance = \"10km\"\n"),
              HasSubstr("bad.toml:2:12: a_to_b.distance = \"10km\": unknown key here; it belongs in [a_to_b.propagation]"));
  EXPECT_THAT(error_of("[a_to_b.jitter]\ndistribution = \"normel\"\njitter = \"1ms\"\n"),
              AllOf(HasSubstr("bad.toml:2:16: a_to_b.jitter.distribution = \"normel\""), HasSubstr("did you mean \"normal\"?")));
}

TEST(ProfileErrors, NonMonotonicTraceTimestamps) {
  EXPECT_THAT(error_of("[a_to_b.trace]\nfile = \"nonmonotonic.lhtrace\"\n"),
              AllOf(HasSubstr("bad.toml:2:8: a_to_b.trace.file = \"nonmonotonic.lhtrace\": "),
                    HasSubstr("nonmonotonic.lhtrace:4: timestamps must be strictly increasing")));
  EXPECT_THAT(error_of("[a_to_b.delivery]\nfile = \"missing.trace\"\n"),
              AllOf(HasSubstr("bad.toml:2:8: a_to_b.delivery.file"), HasSubstr("cannot open")));
}

TEST(ProfileErrors, ValueRangesAndCombinations) {
  EXPECT_THAT(error_of("[a_to_b.jitter]\ndistribution = \"normal\"\njitter = \"1ms\"\nreorder = \"1%\"\n"),
              HasSubstr("bad.toml:4:11: a_to_b.jitter.reorder = \"1%\": reordering needs jitter.mode = \"reordering\""));
  EXPECT_THAT(error_of("[both.jitter]\nreorder = \"1%\"\nmode = \"reordering\"\n[a_to_b.jitter]\nmode = \"order-preserving\"\n"),
              HasSubstr("bad.toml:2:11: both.jitter.reorder"));
  EXPECT_THAT(error_of("[a_to_b.jitter]\ncorrelation = \"100%\"\n"), HasSubstr("bad.toml:2:15: a_to_b.jitter.correlation = \"100%\": must be below 100%"));
  EXPECT_THAT(error_of("[a_to_b.jitter]\njitter = \"1ms\"\n"), HasSubstr("a_to_b.jitter.jitter = \"1ms\": needs jitter.distribution"));
  EXPECT_THAT(error_of("[a_to_b.jitter]\ndistribution = \"uniform\"\n"), HasSubstr("bad.toml:2:16: a_to_b.jitter.distribution"));
  EXPECT_THAT(error_of("[a_to_b.queue]\ndiscipline = \"red\"\n[a_to_b.queue.red]\nmin_threshold = \"2MiB\"\nmax_threshold = \"1MiB\"\n"),
              HasSubstr("bad.toml:5:17: a_to_b.queue.red.max_threshold = \"1MiB\": RED needs 0 < min_threshold < max_threshold"));
  EXPECT_THAT(error_of("[a_to_b.queue]\nlimit = \"1MiB\"\ndiscipline = \"red\"\n[a_to_b.queue.red]\nmin_threshold = \"1KiB\"\nmax_threshold = \"2MiB\"\n"),
              HasSubstr("must not exceed queue.limit (1MiB)"));
  EXPECT_THAT(error_of("[a_to_b.queue.red]\nweight = 2.0\n"), HasSubstr("bad.toml:2:10: a_to_b.queue.red.weight = 2: expected a number in (0, 1]"));
  EXPECT_THAT(error_of("[a_to_b.queue]\nlimit = \"0pkt\"\n"), HasSubstr("bad.toml:2:9: a_to_b.queue.limit = \"0pkt\": a zero limit"));
  EXPECT_THAT(error_of("[a_to_b.queue]\nlimit = \"25 parsecs\"\n"), HasSubstr("a queue limit is a time (\"25ms\"), a size"));
  EXPECT_THAT(error_of("[a_to_b.queue]\nlimit = \"1.5pkt\"\n"), HasSubstr("a packet count is a whole number"));
  EXPECT_THAT(error_of("[a_to_b]\nrate = \"0gbit\"\n"), HasSubstr("a_to_b.rate = \"0gbit\": a zero rate"));
  EXPECT_THAT(error_of("[a_to_b]\nrate = \"10gbps\"\n"), HasSubstr("ambiguous"));
  EXPECT_THAT(error_of("[a_to_b]\noverhead = \"2KiB\"\n"), HasSubstr("a_to_b.overhead"));
  EXPECT_THAT(error_of("[a_to_b.propagation]\nper_km = \"4.9us\"\nrefractive_index = 1.47\n"),
              HasSubstr("bad.toml:3:20: a_to_b.propagation.refractive_index = 1.47: give either"));
  EXPECT_THAT(error_of("[a_to_b.propagation]\nrefractive_index = 0.5\n"), HasSubstr("expected a number from 1.0 to 4.0"));
  EXPECT_THAT(error_of("[a_to_b.propagation]\nrefractive_index = \"1.5\"\n"), HasSubstr("expected a plain number"));
  EXPECT_THAT(error_of("[link]\nseed = -1\n"), HasSubstr("bad.toml:2:8: link.seed = -1: out of range"));
  EXPECT_THAT(error_of("[link]\nname = \"\"\n"), HasSubstr("link.name = \"\": must not be empty"));
  EXPECT_THAT(error_of("[a_to_b]\nrate = \"1gbit\"\n[a_to_b.delivery]\nfile = \"mahimahi.trace\"\n"),
              HasSubstr("bad.toml:4:8: a_to_b.delivery.file = \"mahimahi.trace\": a delivery trace replaces the rate stage"));
}

TEST(ProfileErrors, LossModelParameters) {
  EXPECT_THAT(error_of("[a_to_b.loss]\nmodel = \"bernoulli\"\np = \"1%\"\nr = \"1%\"\n"),
              HasSubstr("bad.toml:4:5: a_to_b.loss.r = \"1%\": not a parameter of loss model \"bernoulli\" (its keys: p)"));
  EXPECT_THAT(error_of("[a_to_b.loss]\nmodel = \"gilbert-elliott\"\np = \"1%\"\n"),
              HasSubstr("bad.toml:2:9: a_to_b.loss.model = \"gilbert-elliott\": loss model \"gilbert-elliott\" needs a_to_b.loss.r"));
  EXPECT_THAT(error_of("[a_to_b.loss]\np = \"1%\"\n"), HasSubstr("not a parameter of loss model \"none\""));
  EXPECT_THAT(error_of("[a_to_b.loss]\nmodel = \"gilbert\"\n"), HasSubstr("did you mean \"gilbert-elliott\"?"));
  EXPECT_THAT(error_of("[a_to_b.loss]\nmodel = \"trace\"\nfile = \"nonmonotonic.lhtrace\"\n"),
              HasSubstr("bad.toml:3:8: a_to_b.loss.file"));
}

TEST(ProfileErrors, ScheduleAndEvents) {
  EXPECT_THAT(error_of("[[a_to_b.schedule]]\nat = \"2s\"\nrate = \"1gbit\"\n[[a_to_b.schedule]]\nat = \"1s\"\nrate = \"2gbit\"\n"),
              HasSubstr("bad.toml:5:6: a_to_b.schedule[1].at = \"1s\": schedule steps must be in non-decreasing order"));
  EXPECT_THAT(error_of("[[a_to_b.schedule]]\nat = \"2s\"\n"), HasSubstr("[a_to_b.schedule[0]] changes nothing"));
  EXPECT_THAT(error_of("[[a_to_b.schedule]]\nrate = \"1gbit\"\n"), HasSubstr("needs \"at\""));
  EXPECT_THAT(error_of("[[a_to_b.events]]\nat = \"1s\"\nkind = \"reroute\"\nduration = \"1s\"\ndelay_delta = \"+1ms\"\n"),
              HasSubstr("bad.toml:4:12: a_to_b.events[0].duration = \"1s\": a reroute is instantaneous"));
  EXPECT_THAT(error_of("[[a_to_b.events]]\nat = \"1s\"\nkind = \"outage\"\n"), HasSubstr("a_to_b.events[0].kind = \"outage\": an outage needs a duration"));
  EXPECT_THAT(error_of("[[a_to_b.events]]\nat = \"1s\"\nkind = \"outage\"\nduration = \"1s\"\ndelay_delta = \"+1ms\"\n"),
              HasSubstr("an outage does not change the delay"));
  EXPECT_THAT(error_of("[[a_to_b.events]]\nat = \"1s\"\nkind = \"outage\"\nduration = \"1s\"\nrepeat_every = \"1s\"\n"),
              HasSubstr("a_to_b.events[0].repeat_every = \"1s\": must be longer than duration"));
  EXPECT_THAT(error_of("[[a_to_b.events]]\nat = \"1s\"\nkind = \"outage\"\nduration = \"1s\"\nrepeat_count = 2\n"),
              HasSubstr("repeat_count = 2: needs repeat_every"));
  EXPECT_THAT(error_of("[[a_to_b.events]]\nat = \"3s\"\nkind = \"reroute\"\ndelay_delta = \"1ms\"\n"
                       "[[a_to_b.events]]\nat = \"2s\"\nkind = \"reroute\"\ndelay_delta = \"1ms\"\n"),
              HasSubstr("a_to_b.events[1].at = \"2s\": events must be in non-decreasing order"));
  EXPECT_THAT(error_of("[a_to_b]\nevents = [1]\n"), HasSubstr("a_to_b.events[0] = 1: expected a table"));
  EXPECT_THAT(error_of("[a_to_b]\nschedule = \"x\"\n"), HasSubstr("expected an array of tables"));
}

TEST(ProfileErrors, TomlSyntaxErrorsHaveALine) {
  EXPECT_THAT(error_of("[link]\nname = \"x\"\nname = \"y\"\n"), HasSubstr("bad.toml:3:"));
  EXPECT_THAT(error_of("[link\n"), AllOf(HasSubstr("bad.toml:1:"), HasSubstr("TOML syntax error")));
}

TEST(ProfileErrors, MissingFile) {
  try {
    load_profile("/nonexistent/profile.toml");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/profile.toml: cannot open"));
  }
}

}  // namespace
}  // namespace lh
