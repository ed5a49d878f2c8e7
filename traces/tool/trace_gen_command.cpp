// trace_gen_command.cpp — `lh-trace gen`: write a synthetic gradient trace (trace_gen.hpp).
//
//   lh-trace gen --model 8b|70b|405b|params=N --dtype bf16|fp32|int8|fp4 --sites 2..8
//                --ranks-per-site N --pattern ddp|diloco:H=100|streaming-diloco:fragments=F[,H=100]
//                --collective ring|hierarchical --bucket 25MiB --first-bucket 1MiB
//                --step-compute 500ms --steps N [--out FILE]
// Events stream to the output as they are generated; long runs report progress on stderr.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "src/clock.hpp"
#include "traces/tool/commands.hpp"
#include "traces/trace_gen.hpp"

namespace lh::traces {
namespace {

struct GenFlags {
  std::string model = "8b", dtype = "bf16", pattern = "ddp", collective = "hierarchical";
  std::string bucket = "25MiB", first_bucket = "1MiB", step_compute = "500ms", out;
  uint32_t sites = 2, ranks_per_site = 1, steps = 1;
};

template <typename F>
auto flag(const char* name, const std::string& text, F&& parse) {
  try {
    return parse(text);
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("{} {}: {}", name, text, e.what()));
  }
}

GenConfig config_of(const GenFlags& f) {
  GenConfig c;
  c.model = f.model;
  c.params = flag("--model", f.model, [](const std::string& s) { return parse_model(s); });
  c.dtype = flag("--dtype", f.dtype, [](const std::string& s) { return parse_dtype(s); });
  c.pattern = flag("--pattern", f.pattern, [](const std::string& s) { return parse_pattern(s); });
  c.collective = flag("--collective", f.collective, [](const std::string& s) { return parse_collective(s); });
  c.bucket = flag("--bucket", f.bucket, [](const std::string& s) { return parse_bytes(s); });
  c.first_bucket = flag("--first-bucket", f.first_bucket, [](const std::string& s) { return parse_bytes(s); });
  c.step_compute = flag("--step-compute", f.step_compute, [](const std::string& s) { return parse_duration(s); });
  c.sites = f.sites;
  c.ranks_per_site = f.ranks_per_site;
  c.steps = f.steps;
  validate(c);
  return c;
}

void run(const GenFlags& f) {
  const GenConfig cfg = config_of(f);
  std::ofstream file;
  if (!f.out.empty()) {
    file.open(f.out, std::ios::binary | std::ios::trunc);
    if (!file) throw ParseError(f.out + ": cannot open for writing");
  }
  std::ostream& out = f.out.empty() ? std::cout : file;
  Provenance p = generated_provenance(cfg);
  p.created = utc_now();
  write_gradient_trace_header(out, p);
  uint64_t events = 0, bytes = 0;
  constexpr uint64_t kProgressEvery = 1'000'000;
  generate_events(cfg, [&](const TraceEvent& e) {
    write_gradient_event(out, e);
    bytes += e.bytes;
    if (++events % kProgressEvery == 0) {
      fmt::print(stderr, "lh-trace gen: step {}/{}, {} events, {} so far\n", e.step + 1, cfg.steps, events,
                 format(Bytes{bytes}));
    }
  });
  out.flush();
  if (!out) throw ParseError((f.out.empty() ? std::string("stdout") : f.out) + ": write error");
  if (events >= kProgressEvery) fmt::print(stderr, "lh-trace gen: done, {} events, {}\n", events, format(Bytes{bytes}));
}

}  // namespace

void add_gen_command(CLI::App& app) {
  auto f = std::make_shared<GenFlags>();
  CLI::App* cmd = app.add_subcommand("gen", "generate a synthetic gradient trace (ideal schedule, inter-site transfers only)");
  cmd->add_option("--model", f->model, "8b, 70b, 405b (Llama 3 sizes) or params=N")->capture_default_str();
  cmd->add_option("--dtype", f->dtype, "gradient dtype: bf16, fp32, int8, fp4")->capture_default_str();
  cmd->add_option("--sites", f->sites, "number of sites, 2 to 8")->capture_default_str();
  cmd->add_option("--ranks-per-site", f->ranks_per_site, "ranks (GPUs) per site")->capture_default_str();
  cmd->add_option("--pattern", f->pattern, "ddp, diloco:H=100 or streaming-diloco:fragments=F[,H=100]")->capture_default_str();
  cmd->add_option("--collective", f->collective, "ring or hierarchical")->capture_default_str();
  cmd->add_option("--bucket", f->bucket, "DDP bucket cap (e.g. 25MiB)")->capture_default_str();
  cmd->add_option("--first-bucket", f->first_bucket, "DDP first bucket (e.g. 1MiB)")->capture_default_str();
  cmd->add_option("--step-compute", f->step_compute, "compute time per step (e.g. 500ms)")->capture_default_str();
  cmd->add_option("--steps", f->steps, "training steps")->capture_default_str();
  cmd->add_option("--out", f->out, "output file (default: stdout)");
  cmd->callback([f] { run(*f); });
}

}  // namespace lh::traces
