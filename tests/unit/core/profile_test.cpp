// profile_test.cpp — TOML profiles: every key lands in the right field, `[both]` layering, the
// shipped profiles parse and are the built-ins byte for byte.
#include "src/profile.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "src/link_trace.hpp"

namespace lh {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

Probability pct(std::string_view s) { return parse_probability(s); }

TEST(Profile, EveryKeyLandsInItsField) {
  const LinkProfile p = load_profile(LH_TEST_DATA_DIR "/every_key.toml");
  EXPECT_EQ(p.name, "every-key");
  EXPECT_EQ(p.description, "exercises every key");
  EXPECT_EQ(p.seed, 42u);
  EXPECT_THAT(p.source, HasSubstr("every_key.toml"));

  const DirectionConfig& a = p.a_to_b;
  EXPECT_EQ(a.rate.rate, parse_rate("2gbit"));
  EXPECT_EQ(a.rate.overhead, Bytes{20});  // from [both]
  EXPECT_EQ(a.queue.limit_bytes, Bytes{4 << 20});
  EXPECT_EQ(a.queue.limit_packets, 0u);
  EXPECT_EQ(a.queue.limit_time, Nanos{0});
  EXPECT_EQ(a.queue.discipline, QueueDiscipline::kRed);
  EXPECT_EQ(a.queue.red.min_threshold, Bytes{1 << 20});
  EXPECT_EQ(a.queue.red.max_threshold, Bytes{3 << 20});
  EXPECT_EQ(a.queue.red.max_p, pct("5%"));
  EXPECT_DOUBLE_EQ(a.queue.red.weight, 0.004);
  EXPECT_FALSE(a.queue.red.ecn);
  const auto& ge = std::get<GilbertElliottLoss>(a.loss);
  EXPECT_EQ(ge.p, pct("0.5%"));
  EXPECT_EQ(ge.r, pct("30%"));
  EXPECT_EQ(ge.loss_bad, pct("90%"));
  EXPECT_EQ(ge.loss_good, pct("0.01%"));
  EXPECT_EQ(a.propagation.distance, Km::from_km(1000));  // from [both]
  EXPECT_EQ(a.propagation.per_km, Nanos{5000});
  EXPECT_EQ(a.propagation.extra, Nanos::from_ms(1));
  EXPECT_EQ(a.jitter.distribution, JitterDistribution::kPareto);
  EXPECT_EQ(a.jitter.jitter, Nanos::from_ms(3));
  EXPECT_DOUBLE_EQ(a.jitter.correlation, 0.4);
  EXPECT_EQ(a.jitter.mode, JitterMode::kReordering);
  EXPECT_EQ(a.jitter.reorder, pct("0.5%"));
  EXPECT_EQ(a.jitter.duplicate, pct("0.02%"));
  EXPECT_EQ(a.jitter.corrupt, pct("0.003%"));
  ASSERT_EQ(a.schedule.size(), 2u);
  EXPECT_EQ(a.schedule[0].at, Nanos::from_s(10));
  EXPECT_EQ(a.schedule[0].rate, parse_rate("500mbit"));
  EXPECT_FALSE(a.schedule[0].extra_delay);
  EXPECT_FALSE(a.schedule[0].loss);
  EXPECT_EQ(a.schedule[1].extra_delay, Nanos::from_ms(5));
  EXPECT_EQ(a.schedule[1].loss, pct("1%"));
  ASSERT_EQ(a.events.size(), 3u);
  EXPECT_EQ(a.events[0].kind, LinkEventKind::kOutage);
  EXPECT_EQ(a.events[0].at, Nanos::from_s(1));
  EXPECT_EQ(a.events[0].duration, Nanos::from_ms(200));
  EXPECT_EQ(a.events[0].repeat_every, Nanos::from_s(10));
  EXPECT_EQ(a.events[0].repeat_count, 3u);
  EXPECT_EQ(a.events[1].kind, LinkEventKind::kProtectionSwitch);
  EXPECT_EQ(a.events[1].delay_delta, Nanos::from_ms(8));
  EXPECT_EQ(a.events[2].kind, LinkEventKind::kReroute);
  EXPECT_EQ(a.events[2].delay_delta, Nanos::from_ms(-8));
  EXPECT_EQ(a.events[2].duration, Nanos{0});
  ASSERT_TRUE(a.trace);
  EXPECT_EQ(a.trace->points.size(), 3u);  // relative path resolved against the profile's folder
  EXPECT_FALSE(a.delivery);

  const DirectionConfig& b = p.b_to_a;
  EXPECT_EQ(b.rate.rate.bps, 0u);
  EXPECT_EQ(b.rate.overhead, Bytes{20});
  EXPECT_EQ(b.queue.limit_packets, 1000u);
  EXPECT_EQ(b.queue.discipline, QueueDiscipline::kDropTail);
  const auto& m = std::get<MarkovLoss>(b.loss);
  EXPECT_EQ(m.p13, pct("0.1%"));
  EXPECT_EQ(m.p31, pct("50%"));
  EXPECT_EQ(m.p32, pct("10%"));
  EXPECT_EQ(m.p23, pct("5%"));
  EXPECT_EQ(m.p14, pct("0.01%"));
  EXPECT_EQ(b.propagation.per_km, Nanos{5003});  // 1.5 / c = 5.0034 µs/km
  EXPECT_EQ(b.jitter.distribution, JitterDistribution::kUniform);
  EXPECT_EQ(b.jitter.mode, JitterMode::kOrderPreserving);
  ASSERT_TRUE(b.delivery);
  EXPECT_EQ(b.delivery->period, Nanos::from_ms(12));
  EXPECT_TRUE(b.schedule.empty());
  EXPECT_FALSE(b.trace);
}

TEST(Profile, LossTraceModelReadsThePattern) {
  const LinkProfile p = load_profile(LH_TEST_DATA_DIR "/loss_trace.toml");
  const auto& t = std::get<TraceLoss>(p.a_to_b.loss);
  ASSERT_TRUE(t.pattern);
  EXPECT_EQ(t.pattern->lost.size(), 15u);
  EXPECT_TRUE(std::holds_alternative<NoLoss>(p.b_to_a.loss));
}

TEST(Profile, DefaultsWhenKeysAreAbsent) {
  const LinkProfile p = parse_profile("[link]\nname = \"empty\"\n", "empty.toml", {});
  const DirectionConfig d{};
  EXPECT_EQ(p.seed, 1u);
  EXPECT_EQ(p.a_to_b.rate.rate.bps, 0u);
  EXPECT_EQ(p.a_to_b.rate.overhead, d.rate.overhead);
  EXPECT_EQ(p.a_to_b.propagation.per_km, Nanos{4900});
  EXPECT_TRUE(std::holds_alternative<NoLoss>(p.b_to_a.loss));
  EXPECT_EQ(to_json(p.a_to_b), to_json(d));
  EXPECT_EQ(parse_profile("", "dir/my-link.toml", {}).name, "my-link");
}

TEST(Profile, DirectionOverridesBothKeyByKey) {
  const LinkProfile p = parse_profile(R"(
[both.loss]
model = "gilbert-elliott"
p = "1%"
r = "10%"
[both.jitter]
distribution = "normal"
jitter = "1ms"
[b_to_a.loss]
r = "50%"
[b_to_a.jitter]
jitter = "2ms"
)", "layer.toml", {});
  EXPECT_EQ(std::get<GilbertElliottLoss>(p.a_to_b.loss).r, pct("10%"));
  EXPECT_EQ(std::get<GilbertElliottLoss>(p.b_to_a.loss).r, pct("50%"));
  EXPECT_EQ(std::get<GilbertElliottLoss>(p.b_to_a.loss).p, pct("1%"));
  EXPECT_EQ(std::get<GilbertElliottLoss>(p.b_to_a.loss).loss_bad, pct("100%"));  // model default
  EXPECT_EQ(p.b_to_a.jitter.distribution, JitterDistribution::kNormal);
  EXPECT_EQ(p.b_to_a.jitter.jitter, Nanos::from_ms(2));
  EXPECT_EQ(p.a_to_b.jitter.jitter, Nanos::from_ms(1));
}

TEST(Profile, QueueLimitKindsReplaceEachOther) {
  const LinkProfile p = parse_profile("[both.queue]\nlimit = \"4MiB\"\n[a_to_b.queue]\nlimit = \"25ms\"\n"
                                      "[b_to_a.queue]\nlimit = \"unlimited\"\n", "q.toml", {});
  EXPECT_EQ(p.a_to_b.queue.limit_time, Nanos::from_ms(25));
  EXPECT_EQ(p.a_to_b.queue.limit_bytes, Bytes{0});
  EXPECT_EQ(p.b_to_a.queue.limit_bytes, Bytes{0});
  EXPECT_EQ(p.b_to_a.queue.limit_time, Nanos{0});
}

std::vector<fs::path> shipped_profiles() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(LH_PROFILES_DIR)) {
    if (e.path().extension() == ".toml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ShippedProfiles, EveryOneParsesAndIsABuiltin) {
  const auto files = shipped_profiles();
  ASSERT_GE(files.size(), 6u);
  const auto names = builtin_profile_names();
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const LinkProfile p = load_profile(f);
    EXPECT_EQ(p.name, f.stem().string()) << "[link] name should match the file name";
    EXPECT_FALSE(p.description.empty());
    EXPECT_NE(std::find(names.begin(), names.end(), f.stem().string()), names.end());
    EXPECT_EQ(builtin_profile_text(f.stem().string()), read_text_file(f)) << "rebuild: the built-in is stale";
    EXPECT_EQ(to_json(builtin_profile(f.stem().string())), to_json(p));
  }
  EXPECT_EQ(names.size(), files.size());
}

TEST(ShippedProfiles, ContinentalIsWhatTheDocsSay) {
  const LinkProfile p = builtin_profile("continental-4000km");
  EXPECT_EQ(p.a_to_b.rate.rate, parse_rate("1gbit"));
  EXPECT_EQ(p.a_to_b.propagation.distance, Km::from_km(4000));
  EXPECT_EQ(p.a_to_b.propagation.per_km, Nanos{4900});
  EXPECT_EQ(p.a_to_b.propagation.extra, Nanos::from_us(500));
  EXPECT_EQ(p.b_to_a.propagation.extra, Nanos::from_us(700));
  EXPECT_EQ(p.a_to_b.queue.limit_time, Nanos::from_ms(40));
  EXPECT_EQ(std::get<BernoulliLoss>(p.a_to_b.loss).p, pct("0.001%"));
  EXPECT_EQ(p.source, "<builtin:continental-4000km>");
}

TEST(ShippedProfiles, SpecialOnesHaveTheirFeatures) {
  const LinkProfile metro = builtin_profile("metro-80km");
  EXPECT_EQ(metro.a_to_b.propagation.per_km, Nanos{4897});  // refractive index 1.4682
  const LinkProfile degraded = builtin_profile("degraded");
  EXPECT_TRUE(std::holds_alternative<GilbertElliottLoss>(degraded.a_to_b.loss));
  EXPECT_EQ(degraded.b_to_a.jitter.mode, JitterMode::kReordering);
  const LinkProfile flapping = builtin_profile("flapping");
  ASSERT_EQ(flapping.a_to_b.events.size(), 3u);
  EXPECT_EQ(flapping.b_to_a.events[1].kind, LinkEventKind::kOutage);
  EXPECT_EQ(flapping.b_to_a.events[1].repeat_count, 10u);
}

TEST(BuiltinProfiles, UnknownNameListsTheKnownOnes) {
  try {
    builtin_profile("continental");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("continental-4000km"));
  }
  EXPECT_TRUE(builtin_profile_text("nope").empty());
}

}  // namespace
}  // namespace lh
