// commands.hpp — the subcommands of lh-trace, one per file; lh_trace.cpp registers each (and
// `replay`, which lives with the replay workload: workload/replay/replay_command.hpp).
//
// Each add_<name>_command adds its subcommand, options and callback to `app`. A callback reports bad
// input by throwing (lh::ParseError or std::runtime_error); lh_trace.cpp prints one line on stderr
// and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

namespace lh::traces {

void add_gen_command(CLI::App& app);       // trace_gen_command.cpp
void add_validate_command(CLI::App& app);  // validate_command.cpp

}  // namespace lh::traces
