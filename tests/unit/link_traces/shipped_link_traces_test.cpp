// shipped_link_traces_test.cpp — every link trace and profile shipped in traces/links/ loads, carries
// its provenance, and models what its name says (so they cannot rot when formats or parsers change).
//
// Facts checked per trace, over one period: how long the link is down (loss 100%), how the extra
// delay changes, and the rate range. Units: ns, bit/s.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "src/link_trace.hpp"
#include "src/profile.hpp"

namespace lh {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = LH_LINKS_DIR;

struct TraceFacts {
  Nanos down;                // total time with loss = 100% within one period
  Nanos delay_first, delay_max;
  uint64_t rate_min = UINT64_MAX, rate_max = 0;
};

TraceFacts facts(const LinkTrace& t) {
  TraceFacts f{.delay_first = t.points.front().delay, .delay_max = t.points.front().delay};
  for (size_t i = 0; i < t.points.size(); ++i) {
    const LinkTracePoint& p = t.points[i];
    const Nanos end = i + 1 < t.points.size() ? t.points[i + 1].at : t.period;
    if (p.loss.value() == 1.0) f.down += end - p.at;
    f.delay_max = std::max(f.delay_max, p.delay);
    f.rate_min = std::min(f.rate_min, p.rate.bps);
    f.rate_max = std::max(f.rate_max, p.rate.bps);
  }
  return f;
}

std::vector<fs::path> files_with(const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kDir)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ShippedLinkTraces, EveryTraceLoadsLoopsAndStatesItsSources) {
  const std::vector<fs::path> traces = files_with(".lhtrace");
  ASSERT_GE(traces.size(), 4u);
  for (const fs::path& f : traces) {
    SCOPED_TRACE(f.string());
    const auto t = load_link_trace(f);
    EXPECT_GT(t->period.ns, 0) << "shipped traces loop so every lab transfer meets the event";
    std::ifstream in(f);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::string first = text.substr(0, text.find('\n'));
    EXPECT_EQ(first.rfind("# " + f.stem().string() + " — ", 0), 0u) << "header comment names the trace";
    EXPECT_NE(text.find("Where the numbers come from"), std::string::npos);
  }
}

TEST(ShippedLinkTraces, EachModelsWhatItsNameSays) {
  const auto ms = [](int64_t v) { return Nanos::from_ms(v); };
  {
    const TraceFacts f = facts(*load_link_trace(kDir / "fiber-cut-2s.lhtrace"));
    EXPECT_EQ(f.down, Nanos::from_s(2));
    EXPECT_EQ(f.delay_max - f.delay_first, ms(4));
  }
  {
    const TraceFacts f = facts(*load_link_trace(kDir / "protection-switch-50ms.lhtrace"));
    EXPECT_EQ(f.down, ms(50));
    EXPECT_EQ(f.delay_max - f.delay_first, ms(3));
  }
  {
    const TraceFacts f = facts(*load_link_trace(kDir / "reroute-8ms.lhtrace"));
    EXPECT_EQ(f.down, Nanos{});
    EXPECT_EQ(f.delay_max - f.delay_first, ms(8));
  }
  {
    const auto t = load_link_trace(kDir / "diurnal-rate.lhtrace");
    const TraceFacts f = facts(*t);
    EXPECT_EQ(t->points.size(), 24u);  // one point per hour
    EXPECT_EQ(t->period, Nanos::from_s(120));
    EXPECT_EQ(f.down, Nanos{});
    EXPECT_EQ(f.rate_min, 350'000'000u);
    EXPECT_EQ(f.rate_max, 800'000'000u);
  }
}

TEST(ShippedLinkTraces, EveryProfilePlaysItsTraceInBothDirections) {
  const std::vector<fs::path> profiles = files_with(".toml");
  std::set<std::string> traced;
  for (const fs::path& f : profiles) {
    SCOPED_TRACE(f.string());
    const LinkProfile p = load_profile(f);
    EXPECT_EQ(p.name, f.stem().string());
    EXPECT_FALSE(p.description.empty());
    for (const DirectionConfig* d : {&p.a_to_b, &p.b_to_a}) {
      ASSERT_NE(d->trace, nullptr);
      EXPECT_EQ(fs::path(d->trace->source).filename(), f.stem().string() + ".lhtrace");
    }
    traced.insert(f.stem().string());
  }
  for (const fs::path& t : files_with(".lhtrace")) EXPECT_TRUE(traced.count(t.stem().string())) << t << " has no profile";
}

}  // namespace
}  // namespace lh
