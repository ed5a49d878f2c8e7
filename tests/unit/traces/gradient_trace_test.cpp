// gradient_trace_test.cpp — the gradient-trace reader/writer: good traces parse to the right values
// and round-trip exactly; every malformed trace fails with file:line and the reason.
#include "traces/gradient_trace.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "src/link_trace.hpp"
#include "tests/unit/error_of.hpp"

namespace lh::traces {
namespace {

using ::testing::HasSubstr;
using lh::test::error_of;

const std::string kHeader =
    R"({"format":"lh-gradient-trace","version":1,"provenance":{"source":"recorded","tool":"t","model":null,)"
    R"("world_size":4,"sites":2,"ranks_per_site":2,"step_compute_ns":1000,"steps":3}})";

std::string event(int64_t t, int step = 0, std::string_view extra = "") {
  return R"({"t_ns":)" + std::to_string(t) + R"(,"step":)" + std::to_string(step) +
         R"(,"src":{"site":0,"rank":1},"dst":{"site":1,"rank":0},"bytes":10,"op":"all-reduce","bucket":0,)"
         R"("after_compute_ns":5)" + std::string(extra) + "}";
}

std::string error_of_text(const std::string& text) {
  return error_of([&] { parse_gradient_trace(text, "bad.jsonl"); });
}

TEST(GradientTrace, LoadsAGeneratedFile) {
  const GradientTrace t = load_gradient_trace(LH_TRACES_TEST_DATA_DIR "/good.jsonl");
  EXPECT_EQ(t.provenance.source, "generated");
  EXPECT_EQ(t.provenance.model, "params=1000");
  EXPECT_EQ(t.provenance.params, 1000u);
  EXPECT_EQ(t.provenance.dtype, "bf16");
  EXPECT_EQ(t.provenance.pattern, "diloco:H=2");
  EXPECT_EQ(t.provenance.collective, "ring");
  EXPECT_EQ(t.provenance.world_size, 4u);
  EXPECT_EQ(t.provenance.step_compute, Nanos::from_ms(1));
  EXPECT_EQ(t.provenance.steps, 2u);
  EXPECT_TRUE(t.provenance.created.empty());
  ASSERT_EQ(t.events.size(), 12u);
  const TraceEvent& e = t.events[2];
  EXPECT_EQ(e.t, Nanos::from_ms(2));
  EXPECT_EQ(e.step, 1u);
  EXPECT_EQ(e.src, (SiteRank{.site = 0, .rank = 1}));
  EXPECT_EQ(e.dst, (SiteRank{.site = 1, .rank = 0}));
  EXPECT_EQ(e.bytes, 500u);
  EXPECT_EQ(e.op, CollectiveOp::kAllReduce);
  EXPECT_EQ(e.round, 1u);
  EXPECT_EQ(e.after_compute, Nanos::from_ms(1));
}

TEST(GradientTrace, WriteReproducesTheFileByteForByte) {
  const std::string text = read_text_file(LH_TRACES_TEST_DATA_DIR "/good.jsonl");
  std::ostringstream out;
  write_gradient_trace(out, parse_gradient_trace(text, "good.jsonl"));
  EXPECT_EQ(out.str(), text);
}

TEST(GradientTrace, RoundTripsEveryFieldAndOp) {
  GradientTrace t;
  t.provenance = {.source = "pcap", .tool = "lh-trace from-pcap \"x y\".pcap", .created = "2026-11-26T06:00:00Z",
                  .model = std::nullopt, .dtype = "fp4", .pattern = "recorded", .collective = std::nullopt,
                  .params = 7, .world_size = 6, .sites = 3, .ranks_per_site = 2,
                  .step_compute = std::nullopt, .steps = 4, .notes = "quotes \" and \\ and\nnewline"};
  const CollectiveOp ops[] = {CollectiveOp::kAllReduce, CollectiveOp::kReduceScatter, CollectiveOp::kAllGather,
                              CollectiveOp::kSend};
  for (uint32_t i = 0; i < 4; ++i) {
    t.events.push_back({.t = Nanos{int64_t{1} << (40 + i)}, .step = i, .src = {.site = 2, .rank = 1},
                        .dst = {.site = 0, .rank = i % 2}, .bytes = (uint64_t{1} << 60) + i, .op = ops[i],
                        .bucket = UINT32_MAX - i, .round = 7 * i, .after_compute = Nanos{INT64_MAX - i}});
  }
  std::ostringstream out;
  write_gradient_trace(out, t);
  EXPECT_EQ(parse_gradient_trace(out.str(), "rt"), t);
}

TEST(GradientTrace, RoundDefaultsToZeroAndBlankLinesAreSkipped) {
  const auto t = parse_gradient_trace(kHeader + "\r\n\n" + event(1) + "\r\n   \n" + event(2) + "\n", "x");
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].round, 0u);
  EXPECT_EQ(t.events[1].t, Nanos{2});
}

TEST(GradientTrace, StreamingReaderMatchesWholeFileParse) {
  const std::string text = read_text_file(LH_TRACES_TEST_DATA_DIR "/good.jsonl");
  std::istringstream in(text);
  GradientTraceReader reader(in, "good.jsonl");
  const GradientTrace whole = parse_gradient_trace(text, "good.jsonl");
  EXPECT_EQ(reader.provenance(), whole.provenance);
  std::vector<TraceEvent> events;
  TraceEvent e;
  while (reader.next(e)) events.push_back(e);
  EXPECT_EQ(events, whole.events);
  EXPECT_EQ(reader.line(), 13u);
}

TEST(GradientTrace, StreamingReaderReportsTheLine) {
  std::istringstream in(kHeader + "\n" + event(5) + "\n\n" + event(4) + "\n");
  GradientTraceReader reader(in, "s.jsonl");
  TraceEvent e;
  EXPECT_TRUE(reader.next(e));
  EXPECT_THAT(error_of([&] { reader.next(e); }), HasSubstr("s.jsonl:4: times going backwards"));
}

TEST(GradientTrace, OpNames) {
  for (const auto op : {CollectiveOp::kAllReduce, CollectiveOp::kReduceScatter, CollectiveOp::kAllGather,
                        CollectiveOp::kSend}) {
    EXPECT_EQ(parse_collective_op(to_string(op)), op);
  }
  EXPECT_EQ(to_string(CollectiveOp::kReduceScatter), "reduce-scatter");
  EXPECT_EQ(parse_collective_op("allreduce"), std::nullopt);
}

TEST(GradientTraceErrors, FileAndLineFromDisk) {
  EXPECT_THAT(error_of([] { load_gradient_trace(LH_TRACES_TEST_DATA_DIR "/backwards.jsonl"); }),
              HasSubstr("backwards.jsonl:4: times going backwards: t_ns 1999999 after 2000000"));
  EXPECT_THAT(error_of([] { load_gradient_trace(LH_TRACES_TEST_DATA_DIR "/missing.jsonl"); }),
              HasSubstr("missing.jsonl: cannot open"));
}

struct BadCase {
  const char* name;
  std::string text;
  const char* expected;  // substring of the message, starting with "bad.jsonl:<line>: "
};

std::string with_provenance(std::string_view from, std::string_view to) {
  std::string h = kHeader;
  const size_t at = h.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return h.replace(at, from.size(), to) + "\n" + event(1) + "\n";
}

std::string with_event(std::string_view from, std::string_view to, int line2_t = 1) {
  std::string e = event(line2_t);
  const size_t at = e.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return kHeader + "\n" + event(0) + "\n" + e.replace(at, from.size(), to) + "\n";
}

TEST(GradientTraceErrors, EveryMalformedCaseNamesLineAndReason) {
  const BadCase cases[] = {
      {"empty file", "", "bad.jsonl:1: bad header: line 1 must be the header"},
      {"blank first line", "\n" + kHeader + "\n", "bad.jsonl:1: bad header"},
      {"header not JSON", "lh-gradient-trace v1\n", "bad.jsonl:1: not valid JSON"},
      {"wrong format", with_provenance("lh-gradient-trace", "lh-link-trace"),
       "bad.jsonl:1: bad header: \"format\" is \"lh-link-trace\" (expected \"lh-gradient-trace\")"},
      {"wrong version", with_provenance("\"version\":1", "\"version\":2"),
       "bad.jsonl:1: bad header: unsupported \"version\" 2 (this reader accepts 1)"},
      {"no provenance", "{\"format\":\"lh-gradient-trace\",\"version\":1}\n",
       "bad.jsonl:1: missing key \"provenance\" in the header"},
      {"unknown header key", with_provenance("\"version\":1", "\"version\":1,\"extra\":0"),
       "bad.jsonl:1: unknown key \"extra\" in the header"},
      {"unknown provenance key", with_provenance("\"steps\":3", "\"steps\":3,\"stpes\":3"),
       "bad.jsonl:1: unknown key \"stpes\" in the provenance"},
      {"missing model key", with_provenance("\"model\":null,", ""),
       "bad.jsonl:1: missing key \"model\" in the provenance"},
      {"missing tool", with_provenance("\"tool\":\"t\",", ""), "bad.jsonl:1: missing key \"tool\""},
      {"unknown source", with_provenance("recorded", "guessed"), "bad.jsonl:1: \"source\": unknown value \"guessed\""},
      {"unknown dtype", with_provenance("\"model\":null", "\"model\":null,\"dtype\":\"fp8\""),
       "bad.jsonl:1: \"dtype\": unknown value \"fp8\" (accepted: bf16, fp32, int8, fp4 or null)"},
      {"world size mismatch", with_provenance("\"world_size\":4", "\"world_size\":5"),
       "bad.jsonl:1: \"world_size\" 5 != sites 2 x ranks_per_site 2"},
      {"steps as string", with_provenance("\"steps\":3", "\"steps\":\"3\""),
       "bad.jsonl:1: \"steps\": expected an integer from 0 to 4294967295, got a string"},
      {"bad JSON event", kHeader + "\n" + event(0) + "\n{\"t_ns\":1,\n", "bad.jsonl:3: not valid JSON"},
      {"number too large for JSON", with_event("\"bytes\":10", "\"bytes\":1e999"),
       "bad.jsonl:3: not valid JSON: number overflow parsing '1e999'"},
      {"duplicate key", with_event("\"bucket\":0", "\"bucket\":0,\"bucket\":1"),
       "bad.jsonl:3: duplicate key \"bucket\" (each key at most once per object)"},
      {"duplicate nested key", with_event("\"site\":0,", "\"site\":0,\"site\":0,"),
       "bad.jsonl:3: duplicate key \"site\""},
      {"event not an object", kHeader + "\n[1,2]\n", "bad.jsonl:2: expected a JSON object, got an array"},
      {"missing bytes", with_event(",\"bytes\":10", ""), "bad.jsonl:3: missing key \"bytes\" in the event"},
      {"missing after_compute", with_event(",\"after_compute_ns\":5", ""),
       "bad.jsonl:3: missing key \"after_compute_ns\" in the event"},
      {"unknown event key", with_event("\"bucket\":0", "\"bucket\":0,\"prio\":1"),
       "bad.jsonl:3: unknown key \"prio\" in the event (accepted: t_ns, step, src, dst, bytes, op, bucket, round, "
       "after_compute_ns)"},
      {"unknown src key", with_event("\"site\":0,", "\"site\":0,\"host\":2,"),
       "bad.jsonl:3: unknown key \"host\" in the \"src\" object"},
      {"missing dst rank", with_event("\"site\":1,\"rank\":0", "\"site\":1"),
       "bad.jsonl:3: missing key \"rank\" in the \"dst\" object"},
      {"bytes as string", with_event("\"bytes\":10", "\"bytes\":\"10\""),
       "bad.jsonl:3: \"bytes\": expected an integer from 0 to 18446744073709551615, got a string"},
      {"fractional time", with_event("\"t_ns\":1", "\"t_ns\":1.5"),
       "bad.jsonl:3: \"t_ns\": expected an integer from 0 to 9223372036854775807, got a non-integer number"},
      {"negative step", with_event("\"step\":0", "\"step\":-1"), "bad.jsonl:3: \"step\": -1 is negative"},
      {"src not object", with_event("\"src\":{\"site\":0,\"rank\":1}", "\"src\":3"),
       "bad.jsonl:3: \"src\": expected an object {\"site\":S,\"rank\":R}, got an integer"},
      {"times going backwards", kHeader + "\n" + event(7) + "\n" + event(6) + "\n",
       "bad.jsonl:3: times going backwards: t_ns 6 after 7 (t_ns must be non-decreasing)"},
      {"step going backwards", kHeader + "\n" + event(1, 1) + "\n" + event(1, 0) + "\n",
       "bad.jsonl:3: step going backwards: step 0 after 1"},
      {"step beyond header", kHeader + "\n" + event(1, 3) + "\n", "bad.jsonl:2: \"step\": 3 out of range (0 to 2"},
      {"unknown op", with_event("all-reduce", "allreduce"),
       "bad.jsonl:3: unknown op \"allreduce\" (accepted: all-reduce, reduce-scatter, all-gather or send)"},
      {"site out of range", with_event("\"site\":1,", "\"site\":2,"), "bad.jsonl:3: \"dst\": site 2 out of range (0 to 1)"},
      {"rank out of range", with_event("\"rank\":1", "\"rank\":2"), "bad.jsonl:3: \"src\": rank 2 out of range (0 to 1"},
      {"src equals dst", with_event("\"site\":1,\"rank\":0", "\"site\":0,\"rank\":1"),
       "bad.jsonl:3: src == dst (site 0 rank 1)"},
      {"zero bytes", with_event("\"bytes\":10", "\"bytes\":0"), "bad.jsonl:3: \"bytes\": 0 (a transfer carries at least 1 byte)"},
      {"after compute beyond step", with_event("\"after_compute_ns\":5", "\"after_compute_ns\":1001"),
       "bad.jsonl:3: \"after_compute_ns\": 1001 exceeds the step's compute (1000 ns"},
      {"blank lines still count", kHeader + "\n\n\n" + event(5) + "\n\n" + event(4) + "\n",
       "bad.jsonl:6: times going backwards"},
  };
  for (const BadCase& c : cases) {
    EXPECT_THAT(error_of_text(c.text), HasSubstr(c.expected)) << c.name;
  }
}

}  // namespace
}  // namespace lh::traces
