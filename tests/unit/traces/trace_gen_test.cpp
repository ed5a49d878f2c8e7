// trace_gen_test.cpp — the synthetic generator against closed forms: bucket sizes, ring and
// hierarchical all-reduce byte totals and transfer counts, DiLoCo and Streaming DiLoCo schedules,
// flag parsing, and that every generated trace passes the strict reader.
#include "traces/trace_gen.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "tests/unit/error_of.hpp"

namespace lh::traces {
namespace {

using ::testing::HasSubstr;
using lh::test::error_of;

std::vector<TraceEvent> all_reduce(const GenConfig& cfg, uint64_t bytes) {
  std::vector<TraceEvent> out;
  emit_all_reduce(cfg, bytes, TraceEvent{}, [&](const TraceEvent& e) { out.push_back(e); });
  return out;
}

uint64_t sum_bytes(const std::vector<TraceEvent>& events) {
  uint64_t s = 0;
  for (const auto& e : events) s += e.bytes;
  return s;
}

TEST(TraceGenFlags, ModelsDtypesCollectives) {
  EXPECT_EQ(parse_model("8b"), 8'030'000'000u);
  EXPECT_EQ(parse_model("70b"), 70'600'000'000u);
  EXPECT_EQ(parse_model("405b"), 405'900'000'000u);
  EXPECT_EQ(parse_model("params=123"), 123u);
  EXPECT_THAT(error_of([] { parse_model("params=0"); }), HasSubstr("whole number from 1"));
  EXPECT_THAT(error_of([] { parse_model("params=1e9"); }), HasSubstr("whole number"));
  EXPECT_THAT(error_of([] { parse_model("7b"); }), HasSubstr("unknown model \"7b\" (accepted: 8b, 70b, 405b or params=N)"));
  EXPECT_EQ(parse_dtype("fp4"), Dtype::kFp4);
  EXPECT_THAT(error_of([] { parse_dtype("fp16"); }), HasSubstr("accepted: bf16, fp32, int8, fp4"));
  EXPECT_EQ(parse_collective("ring"), Collective::kRing);
  EXPECT_THAT(error_of([] { parse_collective("tree"); }), HasSubstr("accepted: ring, hierarchical"));
  EXPECT_EQ(gradient_bytes(7, Dtype::kFp4), 4u);
  EXPECT_EQ(gradient_bytes(7, Dtype::kBf16), 14u);
  EXPECT_EQ(gradient_bytes(7, Dtype::kFp32), 28u);
  EXPECT_EQ(gradient_bytes(7, Dtype::kInt8), 7u);
}

TEST(TraceGenFlags, Patterns) {
  EXPECT_EQ(parse_pattern("ddp"), (Pattern{.kind = PatternKind::kDdp}));
  EXPECT_EQ(parse_pattern("diloco:H=50"), (Pattern{.kind = PatternKind::kDiloco, .h = 50}));
  EXPECT_EQ(parse_pattern("streaming-diloco:fragments=4"),
            (Pattern{.kind = PatternKind::kStreamingDiloco, .h = 100, .fragments = 4}));
  EXPECT_EQ(parse_pattern("streaming-diloco:fragments=4,H=20"),
            (Pattern{.kind = PatternKind::kStreamingDiloco, .h = 20, .fragments = 4}));
  for (const char* text : {"ddp", "diloco:H=7", "streaming-diloco:fragments=3,H=9"}) {
    EXPECT_EQ(parse_pattern(to_string(parse_pattern(text))), parse_pattern(text)) << text;
  }
  const std::pair<const char*, const char*> bad[] = {
      {"fsdp", "unknown pattern"},
      {"ddp:H=3", "malformed"},
      {"diloco:", "malformed"},
      {"diloco:H=0", "H=0 is not a whole number"},
      {"diloco:H=x", "is not a whole number"},
      {"diloco:fragments=2", "unknown parameter \"fragments\""},
      {"diloco:H", "is not key=value"},
      {"streaming-diloco:H=10", "needs fragments=F"},
      {"streaming-diloco:fragments=4,", "trailing comma"},
      {"streaming-diloco:fragments=11,H=10", "fragments (11) must be at most H (10)"},
  };
  for (const auto& [text, expected] : bad) EXPECT_THAT(error_of([&] { parse_pattern(text); }), HasSubstr(expected)) << text;
}

TEST(TraceGenFlags, ValidateRefusesOutOfRange) {
  const auto err = [](auto mutate) {
    GenConfig c;
    mutate(c);
    return error_of([&] { validate(c); });
  };
  EXPECT_EQ(err([](GenConfig&) {}), "(no error)");
  EXPECT_THAT(err([](GenConfig& c) { c.sites = 1; }), HasSubstr("--sites 1: must be from 2 to 8"));
  EXPECT_THAT(err([](GenConfig& c) { c.sites = 9; }), HasSubstr("--sites 9"));
  EXPECT_THAT(err([](GenConfig& c) { c.ranks_per_site = 0; }), HasSubstr("--ranks-per-site 0"));
  EXPECT_THAT(err([](GenConfig& c) { c.bucket = Bytes{0}; }), HasSubstr("--bucket"));
  EXPECT_THAT(err([](GenConfig& c) { c.first_bucket = Bytes{0}; }), HasSubstr("--first-bucket"));
  EXPECT_THAT(err([](GenConfig& c) { c.step_compute = Nanos{0}; }), HasSubstr("--step-compute"));
  EXPECT_THAT(err([](GenConfig& c) { c.steps = 0; }), HasSubstr("--steps"));
}

TEST(TraceGenBuckets, FirstOneMiBThenTwentyFiveMiBThenRemainder) {
  const uint64_t total = gradient_bytes(8'030'000'000, Dtype::kBf16);
  const auto sizes = ddp_bucket_sizes(total, Bytes{kMiB}, Bytes{25 * kMiB});
  ASSERT_GE(sizes.size(), 3u);
  EXPECT_EQ(sizes.front(), kMiB);
  for (size_t k = 1; k + 1 < sizes.size(); ++k) ASSERT_EQ(sizes[k], 25 * kMiB) << k;
  EXPECT_EQ(sizes.back(), (total - kMiB) % (25 * kMiB));  // 16.06e9 - 1MiB is not a multiple of 25MiB
  EXPECT_GT(sizes.back(), 0u);
  uint64_t sum = 0;
  for (const uint64_t s : sizes) sum += s;
  EXPECT_EQ(sum, total);
  EXPECT_EQ(sizes.size(), 2 + (total - kMiB) / (25 * kMiB));
  // Smaller than the first bucket: one bucket of everything; exact multiple: no empty last bucket.
  EXPECT_EQ(ddp_bucket_sizes(1000, Bytes{kMiB}, Bytes{25 * kMiB}), std::vector<uint64_t>{1000});
  EXPECT_EQ(ddp_bucket_sizes(kMiB + 50 * kMiB, Bytes{kMiB}, Bytes{25 * kMiB}),
            (std::vector<uint64_t>{kMiB, 25 * kMiB, 25 * kMiB}));
  // 405b fp32: about 62k buckets.
  EXPECT_EQ(ddp_bucket_count(gradient_bytes(405'900'000'000, Dtype::kFp32), Bytes{kMiB}, Bytes{25 * kMiB}), 61'937u);
}

// Plays the ring schedule symbolically: each member holds, per chunk, the set of members whose
// contribution it has summed. Reduce-scatter rounds add the sender's set; all-gather rounds copy it.
// After 2(n-1) rounds every member must hold every chunk summed over all members.
TEST(TraceGenRing, ChunkScheduleIsAnAllReduce) {
  for (uint32_t n = 2; n <= 9; ++n) {
    std::vector<std::vector<uint64_t>> have(n, std::vector<uint64_t>(n));
    for (uint32_t i = 0; i < n; ++i) {
      for (uint32_t c = 0; c < n; ++c) have[i][c] = uint64_t{1} << i;
    }
    for (uint32_t k = 0; k < 2 * (n - 1); ++k) {
      auto next = have;
      std::vector<int> sent(n, 0);
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t c = ring_chunk(n, k, i);
        ++sent[c];
        const uint32_t to = (i + 1) % n;
        if (k < n - 1) {
          EXPECT_EQ(have[to][c] & have[i][c], 0u) << "n=" << n << " k=" << k << ": a contribution counted twice";
          next[to][c] = have[to][c] | have[i][c];
        } else {
          next[to][c] = have[i][c];
        }
      }
      for (uint32_t c = 0; c < n; ++c) EXPECT_EQ(sent[c], 1) << "n=" << n << " k=" << k << ": every chunk once per round";
      have = next;
    }
    const uint64_t all = (uint64_t{1} << n) - 1;
    for (uint32_t i = 0; i < n; ++i) {
      for (uint32_t c = 0; c < n; ++c) EXPECT_EQ(have[i][c], all) << "n=" << n << " member " << i << " chunk " << c;
    }
  }
}

TEST(TraceGenRing, InterSiteBytesAndCountsMatchClosedForm) {
  for (const uint32_t sites : {2u, 3u, 8u}) {
    for (const uint32_t r : {1u, 2u, 4u}) {
      const GenConfig cfg{.sites = sites, .ranks_per_site = r, .collective = Collective::kRing};
      const uint64_t w = uint64_t{sites} * r;
      const uint64_t s = 1'000'000 * w;  // divisible by W
      const auto ev = all_reduce(cfg, s);
      EXPECT_EQ(ev.size(), sites * 2 * (w - 1)) << sites << "x" << r;
      EXPECT_EQ(sum_bytes(ev), sites * 2 * (w - 1) * (s / w)) << sites << "x" << r;
      std::map<uint32_t, uint64_t> rounds;
      for (const auto& e : ev) {
        EXPECT_NE(e.src.site, e.dst.site);  // only inter-site edges
        EXPECT_EQ(e.src.rank, r - 1);       // the last rank of a site sends to ...
        EXPECT_EQ(e.dst.rank, 0u);          // ... the first rank of the next site
        EXPECT_EQ(e.dst.site, (e.src.site + 1) % sites);
        EXPECT_EQ(e.bytes, s / w);
        EXPECT_EQ(e.op, CollectiveOp::kAllReduce);
        ++rounds[e.round];
      }
      EXPECT_EQ(rounds.size(), 2 * (w - 1));
      for (const auto& [round, n] : rounds) EXPECT_EQ(n, sites) << round;
    }
  }
}

TEST(TraceGenRing, OneRankPerSiteEveryRankSendsTwoWMinusOneOverWOfS) {
  const GenConfig cfg{.sites = 4, .ranks_per_site = 1, .collective = Collective::kRing};
  const uint64_t s = 4'000'000;
  std::map<uint32_t, uint64_t> per_rank;
  for (const auto& e : all_reduce(cfg, s)) per_rank[e.src.site] += e.bytes;
  ASSERT_EQ(per_rank.size(), 4u);
  for (const auto& [site, sent] : per_rank) EXPECT_EQ(sent, 2 * 3 * s / 4) << site;
}

TEST(TraceGenRing, RemaindersKeepTotalsExact) {
  const GenConfig cfg{.sites = 3, .ranks_per_site = 1, .collective = Collective::kRing};
  const uint64_t s = 1'000'001;  // not divisible by 3
  const auto ev = all_reduce(cfg, s);
  std::map<uint32_t, uint64_t> per_round;
  for (const auto& e : ev) {
    EXPECT_TRUE(e.bytes == s / 3 || e.bytes == s / 3 + 1);
    per_round[e.round] += e.bytes;
  }
  for (const auto& [round, b] : per_round) EXPECT_EQ(b, s) << "round " << round << " moves every chunk once";
  EXPECT_EQ(sum_bytes(ev), 2 * 2 * s);
  // Fewer bytes than ranks: empty chunks are not emitted, totals still exact.
  const auto tiny = all_reduce(cfg, 2);
  for (const auto& e : tiny) EXPECT_GT(e.bytes, 0u);
  EXPECT_EQ(sum_bytes(tiny), 2 * 2 * 2u);
}

TEST(TraceGenHierarchical, EachLocalRankRingsItsShardAcrossSites) {
  for (const uint32_t sites : {2u, 3u, 8u}) {
    for (const uint32_t r : {1u, 3u, 8u}) {
      const GenConfig cfg{.sites = sites, .ranks_per_site = r, .collective = Collective::kHierarchical};
      const uint64_t s = uint64_t{sites} * r * 1000;
      const auto ev = all_reduce(cfg, s);
      EXPECT_EQ(ev.size(), uint64_t{r} * sites * 2 * (sites - 1));
      std::map<std::pair<uint32_t, uint32_t>, uint64_t> per_rank;
      for (const auto& e : ev) {
        EXPECT_EQ(e.src.rank, e.dst.rank);
        EXPECT_EQ(e.dst.site, (e.src.site + 1) % sites);
        EXPECT_EQ(e.bytes, s / (uint64_t{r} * sites));
        EXPECT_LT(e.round, 2 * (sites - 1));
        per_rank[{e.src.site, e.src.rank}] += e.bytes;
      }
      ASSERT_EQ(per_rank.size(), uint64_t{sites} * r);
      for (const auto& [who, sent] : per_rank) EXPECT_EQ(sent, 2 * (sites - 1) * (s / r) / sites);
      EXPECT_EQ(sum_bytes(ev), 2 * (sites - 1) * s);
    }
  }
  const GenConfig odd{.sites = 3, .ranks_per_site = 4, .collective = Collective::kHierarchical};
  EXPECT_EQ(sum_bytes(all_reduce(odd, 1'000'003)), 2 * 2 * 1'000'003u);
}

GenConfig small(Pattern p, uint32_t steps) {
  return GenConfig{.model = "params=3000001", .params = 3'000'001, .dtype = Dtype::kBf16, .sites = 3,
                   .ranks_per_site = 2, .pattern = p, .collective = Collective::kHierarchical,
                   .bucket = Bytes{1'000'000}, .first_bucket = Bytes{100'000}, .step_compute = Nanos{900'000'000},
                   .steps = steps};
}

TEST(TraceGenDdp, BucketsBecomeReadyDuringBackwardAndAllStepsSync) {
  const GenConfig cfg = small({.kind = PatternKind::kDdp}, 3);
  const uint64_t total = gradient_bytes(cfg.params, cfg.dtype);  // 6'000'002
  const auto sizes = ddp_bucket_sizes(total, cfg.first_bucket, cfg.bucket);
  const GradientTrace t = generate_trace(cfg);
  const uint64_t per_bucket_events = 2 * 3 * 2 * 2;  // R x sites x 2(sites-1)
  EXPECT_EQ(t.events.size(), 3 * sizes.size() * per_bucket_events);
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> bucket_bytes;
  std::map<std::pair<uint32_t, uint32_t>, Nanos> ready;
  for (const auto& e : t.events) {
    bucket_bytes[{e.step, e.bucket}] += e.bytes;
    ready[{e.step, e.bucket}] = e.after_compute;
    EXPECT_EQ(e.t, cfg.step_compute * e.step + e.after_compute);
  }
  for (uint32_t s = 0; s < 3; ++s) {
    uint64_t cumulative = 0;
    for (uint32_t k = 0; k < sizes.size(); ++k) {
      cumulative += sizes[k];
      EXPECT_EQ((bucket_bytes[{s, k}]), 2 * 2 * sizes[k]);  // 2(sites-1) x bucket
      const int64_t expected = 300'000'000 + static_cast<int64_t>(600'000'000.0 * cumulative / total);
      EXPECT_NEAR((ready[{s, k}].ns), expected, 1);
    }
    EXPECT_EQ((ready[{s, 0}].ns), int64_t{300'000'000} + int64_t{600'000'000} * 100'000 / 6'000'002);
    EXPECT_EQ((ready[{s, static_cast<uint32_t>(sizes.size() - 1)}]), cfg.step_compute);
  }
}

TEST(TraceGenDiloco, OuterSyncOnlyEveryHSteps) {
  const GenConfig cfg = small({.kind = PatternKind::kDiloco, .h = 3}, 7);
  const uint64_t total = gradient_bytes(cfg.params, cfg.dtype);
  std::map<uint32_t, uint64_t> per_step;
  for (const auto& e : generate_trace(cfg).events) {
    per_step[e.step] += e.bytes;
    EXPECT_EQ(e.after_compute, cfg.step_compute);
    EXPECT_EQ(e.t, cfg.step_compute * (e.step + 1));
    EXPECT_EQ(e.bucket, 0u);
  }
  EXPECT_EQ(per_step, (std::map<uint32_t, uint64_t>{{2, 2 * 2 * total}, {5, 2 * 2 * total}}));
}

TEST(TraceGenStreamingDiloco, EachFragmentOncePerHStepsAndFragmentsSumToS) {
  const GenConfig cfg = small({.kind = PatternKind::kStreamingDiloco, .h = 8, .fragments = 3}, 16);
  const uint64_t total = gradient_bytes(cfg.params, cfg.dtype);
  std::map<uint32_t, std::vector<uint32_t>> steps_of_fragment;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> bytes;
  for (const auto& e : generate_trace(cfg).events) {
    if (steps_of_fragment[e.bucket].empty() || steps_of_fragment[e.bucket].back() != e.step) {
      steps_of_fragment[e.bucket].push_back(e.step);
    }
    bytes[{e.step, e.bucket}] += e.bytes;
  }
  // fragment f at step mod 8 == floor(f * 8 / 3): 0, 2, 5
  EXPECT_EQ(steps_of_fragment, (std::map<uint32_t, std::vector<uint32_t>>{{0, {0, 8}}, {1, {2, 10}}, {2, {5, 13}}}));
  uint64_t fragments_sum = 0;
  for (uint32_t f = 0; f < 3; ++f) {
    const uint64_t fragment = bytes[{steps_of_fragment[f][0], f}] / (2 * 2);
    EXPECT_EQ((bytes[{steps_of_fragment[f][0], f}]), 2 * 2 * fragment);
    EXPECT_TRUE(fragment == total / 3 || fragment == total / 3 + 1);
    fragments_sum += fragment;
  }
  EXPECT_EQ(fragments_sum, total);
}

TEST(TraceGen, EveryPatternPassesTheStrictReaderAndRoundTrips) {
  for (const Pattern p : {Pattern{.kind = PatternKind::kDdp}, Pattern{.kind = PatternKind::kDiloco, .h = 2},
                          Pattern{.kind = PatternKind::kStreamingDiloco, .h = 4, .fragments = 4}}) {
    for (const Collective c : {Collective::kRing, Collective::kHierarchical}) {
      GenConfig cfg = small(p, 4);
      cfg.collective = c;
      const GradientTrace t = generate_trace(cfg);
      EXPECT_FALSE(t.events.empty());
      EXPECT_EQ(t.provenance.tool, canonical_command(cfg));
      EXPECT_EQ(t.provenance.world_size, 6u);
      std::ostringstream out;
      write_gradient_trace(out, t);
      EXPECT_EQ(parse_gradient_trace(out.str(), "gen"), t) << to_string(p) << " " << to_string(c);
    }
  }
}

TEST(TraceGen, LargestModelStreamsWithoutHoldingEvents) {
  const GenConfig cfg{.model = "405b", .params = 405'900'000'000, .dtype = Dtype::kFp32, .sites = 2,
                      .ranks_per_site = 1, .collective = Collective::kRing};
  validate(cfg);
  uint64_t events = 0, bytes = 0;
  generate_events(cfg, [&](const TraceEvent& e) {
    ++events;
    bytes += e.bytes;
  });
  EXPECT_EQ(events, 61'937u * 2 * 2);
  EXPECT_EQ(bytes, 2 * gradient_bytes(405'900'000'000, Dtype::kFp32));  // 2 sites: 2(W-1)/W x S x W
}

}  // namespace
}  // namespace lh::traces
