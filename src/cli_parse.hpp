// cli_parse.hpp — how every longhaul tool reads its command line with CLI11: --help prints the help
// and exits 0; a usage error is one line on stderr, "TOOL: what (see TOOL --help)", and exit code 2.
// Header only (the tools link CLI11; lh_core does not).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>

namespace lh {

// Parses argv into `app`: nullopt to go on, else the process's exit code.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, const char* tool) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s (see %s --help)\n", tool, e.what(), tool);
    return 2;
  }
  return std::nullopt;
}

}  // namespace lh
