// validate_command.cpp — `lh-trace validate FILE [--json]`: check a gradient trace, print a summary.
//
// Streams the file through GradientTraceReader (traces larger than memory are fine), so every
// format rule of traces/FORMATS.md is applied; the first violation is the error (file:line).
// Summary: events, steps, total bytes, bytes per (src site -> dst site), ideal step time. Sizes are
// bytes, times ns (the table also prints them with units).
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "traces/tool/commands.hpp"
#include "traces/gradient_trace.hpp"

namespace lh::traces {
namespace {

struct Summary {
  uint64_t events = 0, total_bytes = 0;
  uint64_t steps_with_events = 0;
  int64_t last_t_ns = 0;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> site_bytes;
};

Summary summarize(GradientTraceReader& reader) {
  Summary s;
  TraceEvent e;
  bool first = true;
  uint32_t last_step = 0;
  while (reader.next(e)) {
    ++s.events;
    s.total_bytes += e.bytes;
    s.site_bytes[{e.src.site, e.dst.site}] += e.bytes;
    if (first || e.step != last_step) ++s.steps_with_events;
    first = false;
    last_step = e.step;
    s.last_t_ns = e.t.ns;
  }
  return s;
}

// "1.55 TB" style, for people; the exact count is printed beside it.
std::string human_bytes(uint64_t b) {
  constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(b);
  size_t u = 0;
  while (v >= 1000.0 && u + 1 < std::size(kUnits)) {
    v /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.2f} {}", v, kUnits[u]);
}

void print_json(const std::string& file, const Provenance& p, const Summary& s) {
  nlohmann::ordered_json j;
  j["file"] = file;
  j["valid"] = true;
  j["source"] = p.source;
  j["pattern"] = p.pattern ? nlohmann::json(*p.pattern) : nlohmann::json(nullptr);
  j["world_size"] = p.world_size;
  j["sites"] = p.sites;
  j["ranks_per_site"] = p.ranks_per_site;
  j["steps"] = p.steps;
  j["steps_with_events"] = s.steps_with_events;
  j["events"] = s.events;
  j["total_bytes"] = s.total_bytes;
  j["step_compute_ns"] = p.step_compute ? nlohmann::json(p.step_compute->ns) : nlohmann::json(nullptr);
  j["last_t_ns"] = s.last_t_ns;
  nlohmann::ordered_json pairs = nlohmann::json::array();
  for (const auto& [k, bytes] : s.site_bytes) {
    pairs.push_back({{"src_site", k.first}, {"dst_site", k.second}, {"bytes", bytes}});
  }
  j["site_pairs"] = std::move(pairs);
  std::printf("%s\n", j.dump().c_str());
}

void print_table(const std::string& file, const Provenance& p, const Summary& s) {
  fmt::print("{}: valid gradient trace v{} ({}, {})\n", file, kGradientTraceVersion, p.source,
             p.pattern.value_or("pattern unknown"));
  fmt::print("  world             {} ranks = {} sites x {} per site\n", p.world_size, p.sites, p.ranks_per_site);
  fmt::print("  steps             {} ({} with events)\n", p.steps, s.steps_with_events);
  fmt::print("  events            {}\n", s.events);
  fmt::print("  total bytes       {} ({})\n", s.total_bytes, human_bytes(s.total_bytes));
  fmt::print("  ideal step time   {}\n", p.step_compute ? format(*p.step_compute) + " (compute only)" : "unknown");
  fmt::print("  ideal duration    {} (last transfer start)\n", format(Nanos{s.last_t_ns}));
  fmt::print("  bytes per site pair (src -> dst):\n");
  for (const auto& [k, bytes] : s.site_bytes) {
    fmt::print("    {:>3} -> {:<3}  {:>20}  {}\n", k.first, k.second, bytes, human_bytes(bytes));
  }
}

}  // namespace

void add_validate_command(CLI::App& app) {
  struct Options {
    std::string file;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("validate", "check a gradient trace against the format and summarize it");
  cmd->add_option("file", opts->file, "trace file (JSON Lines, traces/FORMATS.md)")->required();
  cmd->add_flag("--json", opts->json, "print the summary as one JSON object");
  cmd->callback([opts] {
    std::ifstream in(opts->file, std::ios::binary);
    if (!in) throw ParseError(opts->file + ": cannot open");
    GradientTraceReader reader(in, opts->file);
    const Summary s = summarize(reader);
    if (opts->json) {
      print_json(opts->file, reader.provenance(), s);
    } else {
      print_table(opts->file, reader.provenance(), s);
    }
  });
}

}  // namespace lh::traces
