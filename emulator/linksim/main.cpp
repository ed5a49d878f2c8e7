// main.cpp — lh-linksim: preview a link profile without a network.
//
// Offers synthetic traffic (CBR) to a profile in virtual time — the same emulator/model code lh-emu
// runs — and reports what the path did: offered/delivered/dropped by cause, throughput, one-way
// delay percentiles, loss bursts and reordering. A short table by default, one JSON object with
// --json. Bad flags or profiles: one line on stderr, exit 2 (usage) or 1 (profile/model error).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "emulator/linksim/linksim_run.hpp"
#include "emulator/linksim/traffic_spec.hpp"
#include "src/profile.hpp"
#include "src/units.hpp"

namespace {

constexpr lh::Nanos kProgressAbove = lh::Nanos::from_s(5);  // virtual durations worth a progress line

std::string known_builtins() {
  std::string names;
  for (const std::string& n : lh::builtin_profile_names()) names += (names.empty() ? "" : ", ") + n;
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lh-linksim — offer synthetic traffic to a link profile in virtual time and report what the path\n"
      "did to it (same link model as lh-emu). Example:\n"
      "  lh-linksim --builtin continental-4000km --traffic cbr:500mbit --duration 10s"};
  std::string profile_file, builtin, traffic_text, duration_text = "10s", direction = "a_to_b";
  uint64_t seed = 0;
  bool json = false;
  auto* profile_opt = app.add_option("--profile", profile_file, "link profile TOML file (see emulator/PROFILES.md)")
                          ->check(CLI::ExistingFile);
  auto* builtin_opt = app.add_option("--builtin", builtin, "a built-in profile by name (see --list)");
  profile_opt->excludes(builtin_opt);
  bool list = false;
  app.add_flag("--list", list, "list the built-in profiles and exit");
  app.add_option("--traffic", traffic_text,
                 "cbr:<rate>[:size=<bytes>][:on=<duration>:off=<duration>], e.g. cbr:500mbit:size=1500B");
  app.add_option("--duration", duration_text, "virtual time to send for, e.g. 10s (default 10s)");
  app.add_option("--direction", direction, "a_to_b (default), b_to_a or both")
      ->check(CLI::IsMember({"a_to_b", "b_to_a", "both"}));
  auto* seed_opt = app.add_option("--seed", seed, "random seed (default: the profile's seed)");
  app.add_flag("--json", json, "print one JSON object instead of a table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "lh-linksim: " << e.what() << " (see --help)\n";
    return 2;
  }

  try {
    if (list) {
      for (const std::string& n : lh::builtin_profile_names()) std::cout << n << "\n";
      return 0;
    }
    if (profile_file.empty() && builtin.empty()) {
      std::cerr << "lh-linksim: give --profile FILE or --builtin NAME (built-ins: " << known_builtins() << ")\n";
      return 2;
    }
    if (traffic_text.empty()) {
      std::cerr << "lh-linksim: --traffic is required, e.g. --traffic cbr:500mbit\n";
      return 2;
    }
    lh::sim::LinksimOptions options;
    try {
      options.traffic = lh::sim::parse_traffic_spec(traffic_text);
      options.duration = lh::parse_duration(duration_text);
    } catch (const lh::ParseError& e) {
      const std::string what = e.what();
      std::cerr << "lh-linksim: " << (what.starts_with("--") ? what : "--duration '" + duration_text + "': " + what)
                << "\n";
      return 2;
    }
    if (options.duration.ns <= 0) {
      std::cerr << "lh-linksim: --duration must be > 0\n";
      return 2;
    }
    options.profile = profile_file.empty() ? lh::builtin_profile(builtin) : lh::load_profile(profile_file);
    options.seed = seed_opt->count() != 0 ? seed : options.profile.seed;
    options.a_to_b = direction != "b_to_a";
    options.b_to_a = direction != "a_to_b";

    const bool show_progress = isatty(STDERR_FILENO) != 0 && options.duration >= kProgressAbove;
    auto last = std::chrono::steady_clock::now();
    auto progress = [&](lh::Nanos done, lh::Nanos total) {
      const auto wall = std::chrono::steady_clock::now();
      if (wall - last < std::chrono::milliseconds(250) && done < total) return;
      last = wall;
      std::fprintf(stderr, "\rlh-linksim: %.1f / %.1f s virtual (%3.0f%%)", done.seconds(), total.seconds(),
                   100.0 * done.seconds() / total.seconds());
    };
    const nlohmann::json report =
        show_progress ? lh::sim::run_linksim(options, progress) : lh::sim::run_linksim(options);
    if (show_progress) std::fprintf(stderr, "\r\033[K");
    if (json) {
      std::cout << report.dump() << "\n";
    } else {
      std::cout << lh::sim::format_report_table(report);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "lh-linksim: " << e.what() << "\n";
    return 1;
  }
}
