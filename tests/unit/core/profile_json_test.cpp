// profile_json_test.cpp — JSON for the control API: to_json round-trips through profile_from_json
// and apply_direction_patch, and patches are validated exactly like TOML.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/profile.hpp"

namespace lh {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using nlohmann::json;

std::string patch_error(DirectionConfig& d, const json& patch) {
  try {
    apply_direction_patch(d, patch, "PATCH a_to_b", TraceFiles::any(LH_TEST_DATA_DIR));
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ProfileJson, RoundTripsEveryBuiltinAndTheEveryKeyFixture) {
  std::vector<LinkProfile> profiles;
  for (const auto& n : builtin_profile_names()) profiles.push_back(builtin_profile(n));
  profiles.push_back(load_profile(LH_TEST_DATA_DIR "/every_key.toml"));
  profiles.push_back(load_profile(LH_TEST_DATA_DIR "/loss_trace.toml"));
  for (const auto& p : profiles) {
    SCOPED_TRACE(p.name);
    const json j = to_json(p);
    const LinkProfile back = profile_from_json(j, "json", TraceFiles::any({}));   // the files a trusted profile names
    EXPECT_EQ(to_json(back), j);
    EXPECT_EQ(back.name, p.name);
    EXPECT_EQ(back.seed, p.seed);
    EXPECT_EQ(back.a_to_b.propagation.per_km, p.a_to_b.propagation.per_km);
    EXPECT_EQ(back.a_to_b.loss.index(), p.a_to_b.loss.index());
    EXPECT_EQ(back.b_to_a.events.size(), p.b_to_a.events.size());
    // A direction's JSON is also a valid patch that changes nothing.
    DirectionConfig d = p.a_to_b;
    apply_direction_patch(d, to_json(p.a_to_b), "patch", TraceFiles::any({}));
    EXPECT_EQ(to_json(d), to_json(p.a_to_b));
  }
}

TEST(ProfileJson, WritesUnitStrings) {
  const json j = to_json(builtin_profile("continental-4000km"));
  EXPECT_EQ(j["link"]["name"], "continental-4000km");
  EXPECT_EQ(j["a_to_b"]["rate"], "1gbit");
  EXPECT_EQ(j["a_to_b"]["queue"]["limit"], "40ms");
  EXPECT_EQ(j["a_to_b"]["loss"]["model"], "bernoulli");
  EXPECT_EQ(j["a_to_b"]["loss"]["p"], "0.001%");
  EXPECT_EQ(j["a_to_b"]["propagation"]["distance"], "4000km");
  EXPECT_EQ(j["b_to_a"]["propagation"]["extra"], "700us");
  EXPECT_EQ(j["a_to_b"]["jitter"]["correlation"], "25%");
}

TEST(ProfileJson, PatchChangesOnlyTheNamedKeys) {
  DirectionConfig d = builtin_profile("continental-4000km").a_to_b;
  const json before = to_json(d);
  apply_direction_patch(d, {{"loss", {{"p", "0.1%"}}}, {"rate", "500mbit"}}, "PATCH a_to_b");
  EXPECT_EQ(std::get<BernoulliLoss>(d.loss).p, parse_probability("0.1%"));
  EXPECT_EQ(d.rate.rate, parse_rate("500mbit"));
  json expected = before;
  expected["loss"]["p"] = "0.1%";
  expected["rate"] = "500mbit";
  EXPECT_EQ(to_json(d), expected);
}

TEST(ProfileJson, PatchSwitchesLossModelAndReplacesArrays) {
  DirectionConfig d = builtin_profile("flapping").a_to_b;
  apply_direction_patch(d, {{"loss", {{"model", "gilbert-elliott"}, {"p", "1%"}, {"r", "25%"}}},
                            {"events", json::array()},
                            {"schedule", {{{"at", "5s"}, {"rate", "100mbit"}}}}},
                        "PATCH");
  const auto& ge = std::get<GilbertElliottLoss>(d.loss);
  EXPECT_EQ(ge.r, parse_probability("25%"));
  EXPECT_EQ(ge.loss_bad, parse_probability("100%"));
  EXPECT_TRUE(d.events.empty());
  ASSERT_EQ(d.schedule.size(), 1u);
  EXPECT_EQ(d.schedule[0].rate, parse_rate("100mbit"));
}

TEST(ProfileJson, PatchAddsAndRemovesTraces) {
  DirectionConfig d;
  apply_direction_patch(d, {{"trace", {{"file", "good.lhtrace"}}}}, "PATCH", TraceFiles::any(LH_TEST_DATA_DIR));
  ASSERT_TRUE(d.trace);
  EXPECT_EQ(d.trace->points.size(), 3u);
  apply_direction_patch(d, {{"trace", nullptr}}, "PATCH");
  EXPECT_FALSE(d.trace);
}

TEST(ProfileJson, BadPatchesAreRefusedAndLeaveTheConfigUnchanged) {
  DirectionConfig d = builtin_profile("continental-4000km").a_to_b;
  const json before = to_json(d);
  EXPECT_THAT(patch_error(d, {{"rate", 1000}}), HasSubstr("PATCH a_to_b: rate = 1000: a bare number is ambiguous"));
  EXPECT_THAT(patch_error(d, {{"loss", {{"p", "200%"}}}}), HasSubstr("PATCH a_to_b: loss.p = \"200%\": "));
  EXPECT_THAT(patch_error(d, {{"los", {{"p", "1%"}}}}), AllOf(HasSubstr("PATCH a_to_b: los: unknown key"), HasSubstr("did you mean \"loss\"?")));
  EXPECT_THAT(patch_error(d, {{"loss", {{"model", "gilbert-elliott"}, {"p", "1%"}}}}), HasSubstr("needs loss.r"));
  EXPECT_THAT(patch_error(d, {{"jitter", {{"reorder", "1%"}}}}),
              HasSubstr("PATCH a_to_b: jitter.reorder = \"1%\": reordering needs jitter.mode"));
  EXPECT_THAT(patch_error(d, {{"propagation", {{"extra", "-1ms"}}}}), HasSubstr("propagation.extra = \"-1ms\""));
  EXPECT_THAT(patch_error(d, {{"rate", nullptr}}), HasSubstr("rate = null: null is accepted only"));
  EXPECT_THAT(patch_error(d, {{"queue", {{"limit", "4MiB"}}}, {"trace", {{"file", "nonmonotonic.lhtrace"}}}}),
              HasSubstr("strictly increasing"));
  EXPECT_THAT(patch_error(d, json::array()), HasSubstr("PATCH a_to_b: a direction patch must be a JSON object"));
  // A key set earlier, not named by the patch, is reported by its path with its current value.
  DirectionConfig j = d;
  apply_direction_patch(j, {{"jitter", {{"mode", "reordering"}, {"reorder", "1%"}}}}, "PATCH");
  EXPECT_THAT(patch_error(j, {{"jitter", {{"mode", "order-preserving"}}}}),
              HasSubstr("PATCH a_to_b: jitter.reorder = \"1%\": reordering needs"));
  EXPECT_EQ(to_json(d), before);
  EXPECT_EQ(d.queue.limit_bytes, Bytes{0});
}

TEST(ProfileJson, ProfileFromJsonUsesTheSameRules) {
  const json doc = {{"link", {{"name", "from-json"}, {"seed", 9}}},
                    {"both", {{"rate", "1gbit"}, {"propagation", {{"distance", "100km"}}}}},
                    {"b_to_a", {{"rate", "2gbit"}}}};
  const LinkProfile p = profile_from_json(doc, "PUT /profile");
  EXPECT_EQ(p.name, "from-json");
  EXPECT_EQ(p.seed, 9u);
  EXPECT_EQ(p.source, "PUT /profile");
  EXPECT_EQ(p.a_to_b.rate.rate, parse_rate("1gbit"));
  EXPECT_EQ(p.b_to_a.rate.rate, parse_rate("2gbit"));
  EXPECT_EQ(p.b_to_a.propagation.distance, Km::from_km(100));
  try {
    profile_from_json({{"a_to_b", {{"propagation", {{"distnace", "1km"}}}}}}, "PUT /profile");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("PUT /profile: a_to_b.propagation.distnace: unknown key"),
                                HasSubstr("did you mean \"distance\"?")));
  }
  try {
    profile_from_json({{"link", {{"seed", 18446744073709551615ull}}}}, "PUT");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("link.seed = 18446744073709551615: integer too large"));
  }
}

}  // namespace
}  // namespace lh
