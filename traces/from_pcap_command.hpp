// from_pcap_command.hpp — `lh-trace from-pcap` (from_pcap_cmd.cpp): part of the pcap-import library so
// the tool and its tests share it; lh-trace (traces/tool) registers it.
#pragma once

#include <CLI/CLI.hpp>

namespace lh::traces {

// Adds the subcommand, its options and callback to `app`; the callback throws lh::ParseError or
// std::runtime_error on bad input.
void add_from_pcap_command(CLI::App& app);

}  // namespace lh::traces
