// replay_command.hpp — adds `lh-trace replay` (replay_command.cpp) to lh-trace's command line.
#pragma once

#include <CLI/CLI.hpp>

namespace lh::workload {

void add_replay_command(CLI::App& app);

}  // namespace lh::workload
