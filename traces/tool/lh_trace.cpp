// lh_trace.cpp — the lh-trace command line: gradient traces (traces/FORMATS.md "Gradient traces").
//
//   lh-trace gen --model 8b --dtype bf16 --sites 2 --ranks-per-site 8 --pattern ddp --steps 2 --out t.jsonl
//   lh-trace validate t.jsonl [--json]
// Each subcommand lives in its own file (traces/tool/commands.hpp; replay: workload/replay). Any bad flag or bad trace is one
// line on stderr and a non-zero exit: 2 when the command line does not parse, 1 for a bad value or
// a bad trace (replay: its own codes, traces/FORMATS.md).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "src/cli_parse.hpp"
#include "traces/from_pcap_command.hpp"
#include "traces/tool/commands.hpp"
#ifdef LH_TRACE_REPLAY
#include "workload/replay/replay_command.hpp"
#endif

int main(int argc, char** argv) {
  CLI::App app{"lh-trace — generate, validate and replay gradient-traffic traces"};
  app.require_subcommand(1);
  lh::traces::add_gen_command(app);
  lh::traces::add_validate_command(app);
  lh::traces::add_from_pcap_command(app);
#ifdef LH_TRACE_REPLAY
  lh::workload::add_replay_command(app);
#endif
  try {  // the subcommands run from CLI11's callbacks, inside the parse
    if (const auto code = lh::parse_command_line(app, argc, argv, "lh-trace")) return *code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lh-trace: %s\n", e.what());
    return 1;
  }
  return 0;
}
