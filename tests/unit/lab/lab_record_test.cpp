// lab_record_test.cpp — the typed run record and run meta: a record survives to_json → from_json
// field for field; a missing or mistyped field is an error naming it; results.jsonl lines that are
// not records are skipped and described by line number, the others kept.
#include <gtest/gtest.h>

#include "lab/run_record.hpp"

namespace lh::lab {
namespace {

RunRecord sample() {
  RunRecord r{.run_id = "20261203-120000", .index = 7, .profile = "wan loss=0.01", .point = 2, .rate_bps = 500'000'000,
              .rtt_ms = 50, .loss = 0.01, .loss_model = "bernoulli", .bdp_bytes = 3'125'000, .transport = "longhaul",
              .spec = "longhaul-fixed:250mbit", .cc = "fixed", .streams = 1, .tool = "lh-xfer", .workload = "bulk",
              .repeat = 1, .size_bytes = 1 << 30, .started_utc = "2026-12-03T12:00:00Z", .emu_t0_s = 1.5,
              .emu_t1_s = 11.25, .client_unix_ms = 1.5e12, .client_rc = 3, .server_rc = 0, .ok = true,
              .complete = false, .incomplete = "duration limit 60s reached"};
  r.sweep_loss = 0.01, r.sweep_loss_model = "bernoulli";
  r.summary = {{"bits_per_second", 4.5e8}, {"seconds", 9.75}};
  return r;
}

TEST(LabRecord, RoundTripsFieldForField) {
  const RunRecord a = sample();
  const RunRecord b = record_from_json(nlohmann::json::parse(to_json(a).dump()));
  EXPECT_EQ(to_json(b), to_json(a));
  EXPECT_EQ(b.index, 7u);
  EXPECT_EQ(b.point, 2u);
  EXPECT_EQ(b.spec, "longhaul-fixed:250mbit");
  EXPECT_EQ(b.client_rc, 3);
  EXPECT_EQ(b.sweep_loss, 0.01);
  EXPECT_FALSE(b.sweep_delay_ms.has_value());
  EXPECT_FALSE(b.complete);
  EXPECT_EQ(b.incomplete, "duration limit 60s reached");
  EXPECT_DOUBLE_EQ(b.summary["seconds"].get<double>(), 9.75);
}

TEST(LabRecord, MissingOrMistypedFieldsAreNamed) {
  nlohmann::json j = to_json(sample());
  j.erase("transport");
  try {
    record_from_json(j);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "run record: no \"transport\"");
  }
  j = to_json(sample());
  j["index"] = "seven";
  try {
    record_from_json(j);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "run record: \"index\" has the wrong type (string)");
  }
  EXPECT_THROW(record_from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST(LabRecord, JsonlSkipsAndNamesLinesThatAreNotRecords) {
  const std::string good = to_json(sample()).dump();
  const std::string text = good + "\n\nnot json\n{\"index\": 1}\n" + good + "\n{\"run_id\":\"cut by a cra";
  std::vector<std::string> errors;
  const auto runs = records_from_jsonl(text, errors);
  EXPECT_EQ(runs.size(), 2u);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "results.jsonl:3: not JSON");
  EXPECT_EQ(errors[1], "results.jsonl:4: run record: no \"run_id\"");
  EXPECT_EQ(errors[2], "results.jsonl:6: not JSON");
}

TEST(LabRecord, MetaRoundTripsAndNamesItsFields) {
  RunMeta m{.run_id = "r", .command_line = "lh-lab quick", .workload = "trace:t.jsonl", .points = {"a", "b"},
            .environment = {{"host", "h"}, {"cpus", "2"}}, .finished = true, .stopped = false};
  const RunMeta back = meta_from_json(to_json(m));
  EXPECT_EQ(to_json(back), to_json(m));
  EXPECT_EQ(back.environment[1].second, "2");
  nlohmann::json j = to_json(m);
  j.erase("points");
  try {
    meta_from_json(j);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "run.json: no \"points\"");
  }
}

}  // namespace
}  // namespace lh::lab
