// gradient_trace_fuzz_target.cpp — random and mutated text against the gradient-trace reader.
//
// Invariants: the reader either accepts the text or throws lh::ParseError (never another exception,
// never a crash); the streaming reader agrees with the whole-text parser; an accepted trace written
// back and parsed again is equal. Built as a libFuzzer target with clang and as a plain corpus runner
// (gradient_trace_fuzz_main.cpp) with any compiler; CI runs the latter in suite 'fuzz'.
#include "tests/fuzz/gradient_trace_fuzz_target.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string_view>
#include <vector>

#include "traces/gradient_trace.hpp"

namespace lh::traces::fuzz {
namespace {

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "gradient_trace_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

std::string seed_trace() {
  GradientTrace t;
  t.provenance = {.source = "generated", .tool = "seed", .created = "2026-11-26T06:00:00Z", .model = "8b",
                  .dtype = "bf16", .pattern = "ddp", .collective = "ring", .params = 8'030'000'000,
                  .world_size = 4, .sites = 2, .ranks_per_site = 2, .step_compute = Nanos{1'000'000}, .steps = 3,
                  .notes = "seed"};
  const CollectiveOp ops[] = {CollectiveOp::kAllReduce, CollectiveOp::kReduceScatter, CollectiveOp::kAllGather,
                              CollectiveOp::kSend};
  for (uint32_t i = 0; i < 8; ++i) {
    t.events.push_back({.t = Nanos{1000 * i}, .step = i / 3, .src = {.site = i % 2, .rank = 1},
                        .dst = {.site = (i + 1) % 2, .rank = 0}, .bytes = 100 + i, .op = ops[i % 4],
                        .bucket = i, .round = i % 3, .after_compute = Nanos{500 * i}});
  }
  std::ostringstream out;
  write_gradient_trace(out, t);
  return out.str();
}

int run_one(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<GradientTrace> whole;
  std::string whole_error, stream_error;
  try {
    whole = parse_gradient_trace(text, "fuzz");
  } catch (const ParseError& e) {
    whole_error = e.what();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gradient_trace_fuzz: unexpected exception: %s\n", e.what());
    std::abort();
  }
  try {
    std::istringstream in{std::string(text)};
    GradientTraceReader reader(in, "fuzz");
    std::vector<TraceEvent> events;
    TraceEvent e;
    while (reader.next(e)) events.push_back(e);
    if (!whole || !(events == whole->events) || !(reader.provenance() == whole->provenance)) {
      violation("streaming reader accepted what the parser refused, or read different events");
    }
  } catch (const ParseError& e) {
    stream_error = e.what();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gradient_trace_fuzz: unexpected exception (stream): %s\n", e.what());
    std::abort();
  }
  // Both accept, or both refuse with the same message (same line, same reason).
  if (whole_error != stream_error) violation("the readers report different errors");
  if (whole) {
    std::ostringstream out;
    write_gradient_trace(out, *whole);
    try {
      if (!(parse_gradient_trace(out.str(), "rewritten") == *whole)) violation("write/parse round trip changed the trace");
    } catch (const ParseError& e) {
      std::fprintf(stderr, "gradient_trace_fuzz: rewritten trace refused: %s\n", e.what());
      std::abort();
    }
  }
  return 0;
}

}  // namespace lh::traces::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return lh::traces::fuzz::run_one(data, size);
}
