// lh_lab.cpp — lh-lab: runs transport × link-profile matrices on lh-emu and reports the results.
//
//   lh-lab run --profiles A,B --transports longhaul,tcp-cubic --size 2GiB --repeat 3 [--sweep ...]
//   lh-lab quick                        the quick matrix (continental-4000km; longhaul, tcp-cubic, tcp-bbr; 1GiB × 3)
//   lh-lab baseline --out FILE [matrix flags]   run and record medians + noise as a baseline
//   lh-lab regress --baseline FILE [--tolerance 10%]   re-run a baseline's matrix; exit 1 if worse
//   lh-lab check DIR --targets loss-sweep|random-loss   judge a run folder against acceptance targets
//   lh-lab report DIR                   rebuild a run folder's summary, plots and index.html from it
//   lh-lab cleanup                      undo what a killed lh-lab left on the host (its journal)
// Everything is validated before anything starts. SIGINT/SIGTERM/SIGHUP stop the run cleanly
// (children stopped, topology removed, sysctls restored); after a SIGKILL the next lh-lab (or
// `cleanup`) undoes the run's host changes from its journal. Exit codes: 0 ok, 1 regression or a
// failed target, 2 usage/setup error, 3 some runs failed, 130 stopped by a signal. A run stopped by
// --duration-limit is not a failure: it is measured (goodput = bytes delivered / time) and marked
// incomplete ("*" in the table).
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "lab/check.hpp"
#include "lab/lab_runner.hpp"
#include "lab/regression.hpp"
#include "lab/report_builder.hpp"
#include "src/atomic_file.hpp"
#include "src/clock.hpp"
#include "src/units.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct Flags {
  lh::lab::MatrixSpec spec;
  std::optional<std::string> profiles, transports;   // unset: the subcommand's default
  std::vector<std::string> overrides;
  std::string results = "results";
  std::string emu = LH_LAB_BUILD_ROOT "/emulator/dpdk/lh-emu";
  std::string xfer = LH_LAB_BUILD_ROOT "/workload/xfer/lh-xfer";
  std::string trace_tool = LH_LAB_BUILD_ROOT "/traces/tool/lh-trace";
  std::string topology = LH_LAB_SOURCE_ROOT "/scripts/topology";
  std::string emu_stats_interval = "100ms";
  std::string state_dir = lh::lab::kDefaultStateDir;
};

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t at = s.find(',', start);
    const std::string item = s.substr(start, at == std::string::npos ? std::string::npos : at - start);
    if (!item.empty()) out.push_back(item);
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

void add_matrix_flags(CLI::App& app, Flags& f) {
  app.add_option("--profiles", f.profiles, "comma-separated built-in profile names or .toml files");
  app.add_option("--transports", f.transports,
                 "comma-separated: longhaul, longhaul-cubic, longhaul-fixed:RATE, tcp-cubic, tcp-bbr, tcp-reno, "
                 "TCP with -xN for N streams (tcp-cubic-x8); a longhaul name with +psp (encrypted) or +psp-auth "
                 "(authenticated only) runs protected mode with a key made for the run (longhaul+psp)");
  app.add_option("--size", f.spec.size, "bytes per transfer (e.g. 2GiB)");
  app.add_option("--shard", f.spec.shard, "bytes per shard (e.g. 64MiB)");
  app.add_option("--repeat", f.spec.repeat, "runs per cell (1..100)");
  app.add_option("--sweep", f.spec.sweeps,
                 "loss=P1,P2,... (Bernoulli), ge-loss=P1,P2,... (bursty Gilbert-Elliott, mean loss P) or "
                 "delay=D1,D2,... (repeatable; loss and ge-loss points form one axis, axes multiply)");
  app.add_option("--ge-burst", f.spec.ge_burst,
                 "mean loss-burst length in packets for ge-loss sweeps (loss 100% in the Bad state; default 4)");
  app.add_option("--base-profile", f.spec.base_profile, "profile (name or .toml) the sweeps modify (default: the first of --profiles)");
  app.add_option("--duration-limit", f.spec.duration_limit, "give up on one transfer after this long (e.g. 120s)");
  app.add_option("--workload", f.spec.workload,
                 "bulk (default: lh-xfer transfers of --size) or trace:FILE (each cell replays the gradient trace "
                 "with lh-trace replay and reports per-step communication, exposed time and slowdown)");
}

void add_env_flags(CLI::App& app, Flags& f) {
  app.add_option("--results", f.results, "folder for results/<run-id>/ (run: also --out)");
  app.add_option("--transport-override", f.overrides,
                 "test hook NAME=REPLACEMENT: runs of NAME use REPLACEMENT but are recorded as NAME "
                 "(e.g. longhaul=longhaul-fixed:250mbit to check that regress catches a slower transport)");
  app.add_option("--emu", f.emu, "lh-emu binary");
  app.add_option("--xfer", f.xfer, "lh-xfer binary (runs every transport of the grammar, TCP included)");
  app.add_option("--topology", f.topology, "scripts/topology");
  app.add_option("--trace-tool", f.trace_tool, "lh-trace binary (runs --workload trace:FILE)");
  app.add_option("--emu-stats-interval", f.emu_stats_interval, "lh-emu stats period for the time-series plot");
  app.add_option("--state-dir", f.state_dir, "the host journal and lock (what a killed run left is undone from it)");
}

lh::lab::Matrix validate(Flags& f) {
  if (f.profiles) f.spec.profiles = split_csv(*f.profiles);
  if (f.transports) f.spec.transports = split_csv(*f.transports);
  if (f.profiles && f.spec.profiles.empty()) throw std::invalid_argument("--profiles: no profile given");
  if (f.transports && f.spec.transports.empty()) throw std::invalid_argument("--transports: no transport given");
  try {
    if (lh::parse_duration(f.emu_stats_interval).ns <= 0) throw lh::ParseError("must be above 0");
  } catch (const lh::ParseError& e) {
    throw std::invalid_argument(fmt::format("--emu-stats-interval '{}': {}", f.emu_stats_interval, e.what()));
  }
  std::map<std::string, std::string> overrides;
  for (const std::string& o : f.overrides) overrides.insert(lh::lab::parse_override(o));
  return lh::lab::build_matrix(f.spec, overrides);
}

lh::lab::RunOutcome execute(const lh::lab::Matrix& m, const Flags& f, const std::string& command_line) {
  lh::lab::RunnerOptions opt{.emu = f.emu, .xfer = f.xfer, .trace_tool = f.trace_tool, .topology = f.topology,
                             .out = f.results, .state_dir = f.state_dir, .command_line = command_line,
                             .emu_stats_interval = f.emu_stats_interval, .stop = &g_stop};
  lh::lab::check_environment(m, opt);
  lh::lab::RunOutcome r = lh::lab::run_matrix(m, opt);
  for (const std::string& n : r.notes) fmt::print(stderr, "lh-lab: note: {}\n", n);
  std::printf("\n%s\nreport: %s\n", r.table.c_str(), (r.dir / "index.html").c_str());
  std::fflush(stdout);
  return r;
}

int run_exit_code(const lh::lab::RunOutcome& r) {
  if (r.stopped) return 130;
  for (const auto& c : r.cells) {
    if (c.failed != 0) return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  CLI::App app{"lh-lab: runs transport x link-profile matrices through lh-emu and reports goodput, RTT and completion time", "lh-lab"};
  app.require_subcommand(1);
  Flags run_f, base_f, quick_f, reg_f;
  run_f.spec.profiles = {"continental-4000km"};
  run_f.spec.transports = {"longhaul", "tcp-cubic", "tcp-bbr"};
  auto* run = app.add_subcommand("run", "run a matrix and write results/<run-id>/ (results.jsonl, table, plots, index.html)");
  add_matrix_flags(*run, run_f);
  add_env_flags(*run, run_f);
  run->add_option("--out", run_f.results, "folder for results/<run-id>/ (default results)");
  bool describe = false;
  run->add_flag("--describe-transports", describe,
                "print how each of --transports parses (one JSON line each, overrides applied) and exit");

  // The quick matrix: one clean long-haul profile, the three transports, each run ~200 BDPs (1 GiB over
  // 1 Gbit/s x 40 ms) so that slow start is a small part of it: a few minutes in all.
  quick_f.spec = {.profiles = {"continental-4000km"}, .transports = {"longhaul", "tcp-cubic", "tcp-bbr"},
                  .size = "1GiB", .repeat = 3, .duration_limit = "90s"};
  auto* quick = app.add_subcommand("quick", "the quick matrix: continental-4000km; longhaul, tcp-cubic, tcp-bbr; 1GiB x 3");
  add_env_flags(*quick, quick_f);

  base_f.spec = quick_f.spec;
  std::string baseline_out, note;
  auto* base = app.add_subcommand("baseline", "run a matrix (default: the quick matrix) and write a baseline JSON");
  base->add_option("--out", baseline_out, "baseline file to write")->required();
  base->add_option("--note", note, "free text stored in the baseline's metadata");
  add_matrix_flags(*base, base_f);
  add_env_flags(*base, base_f);

  std::string baseline_in, tolerance = "10%";
  auto* reg = app.add_subcommand("regress", "re-run a baseline's matrix; exit 1 with a diff when a cell got worse");
  reg->add_option("--baseline", baseline_in, "baseline JSON (from lh-lab baseline)")->required();
  reg->add_option("--tolerance", tolerance, "extra slack beyond the recorded min..max band (e.g. 10%)");
  add_env_flags(*reg, reg_f);

  std::string check_dir, targets;
  auto* check = app.add_subcommand("check", "judge a run folder against a set of acceptance targets; exit 1 if one fails");
  check->add_option("DIR", check_dir, "a run folder (results/<run-id>)")->required();
  check->add_option("--targets", targets, "loss-sweep (issue 5: longhaul vs CUBIC, BBR, Mathis on a loss sweep) or "
                                          "random-loss (longhaul's worst run on a Bernoulli sweep)")->required();

  std::string report_dir;
  auto* report = app.add_subcommand("report", "rebuild a run folder's summary.txt, plots and index.html from the folder");
  report->add_option("DIR", report_dir, "a run folder (results/<run-id>)")->required();

  std::string cleanup_state = lh::lab::kDefaultStateDir;
  auto* cleanup = app.add_subcommand("cleanup", "undo what a killed lh-lab left behind (processes, namespaces, "
                                                "sysctls), from its journal; refused while a run is going");
  cleanup->add_option("--state-dir", cleanup_state, "the host journal and lock");

  CLI11_PARSE(app, argc, argv);
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);   // a closed terminal ends the run cleanly too

  try {
    if (check->parsed()) {
      std::ifstream in(std::filesystem::path(check_dir) / "results.jsonl");
      if (!in) throw std::invalid_argument(fmt::format("check: no results.jsonl in '{}'", check_dir));
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::vector<std::string> bad;
      const auto runs = lh::lab::records_from_jsonl(text, bad);
      for (const std::string& b : bad) fmt::print(stderr, "lh-lab: skipped {}\n", b);
      const lh::lab::CheckReport r = lh::lab::check_targets(runs, targets);
      std::printf("targets %s from %s/results.jsonl:\n", targets.c_str(), check_dir.c_str());
      for (const std::string& l : r.lines) std::printf("%s\n", l.c_str());
      return r.failures ? 1 : 0;
    }
    if (report->parsed()) {
      const lh::lab::BuiltReport r = lh::lab::build_report(report_dir);
      for (const std::string& n : r.notes) fmt::print(stderr, "lh-lab: note: {}\n", n);
      std::printf("%s\nreport: %s\n", r.table.c_str(), (std::filesystem::path(report_dir) / "index.html").c_str());
      return 0;
    }
    if (cleanup->parsed()) {
      if (::geteuid() != 0) throw std::runtime_error("lh-lab cleanup needs root (namespaces, sysctls)");
      lh::lab::HostJournal journal(cleanup_state);   // takes the lock and undoes a left-over journal
      for (const std::string& l : journal.recovered()) std::printf("%s\n", l.c_str());
      if (journal.recovered().empty()) std::printf("nothing to clean up (no unfinished run in %s)\n", cleanup_state.c_str());
      return 0;
    }
    if (run->parsed() || quick->parsed()) {
      Flags& f = run->parsed() ? run_f : quick_f;
      const lh::lab::Matrix m = validate(f);
      if (describe) {
        for (const auto& t : m.transports) std::printf("%s\n", lh::workload::to_json(t.spec).dump().c_str());
        return 0;
      }
      return run_exit_code(execute(m, f, command_line));
    }
    if (base->parsed()) {
      const lh::lab::Matrix m = validate(base_f);
      if (!base_f.overrides.empty()) throw std::invalid_argument("baseline: --transport-override is for regress only");
      if (m.workload.kind != lh::lab::Workload::Kind::kBulk) {
        throw std::invalid_argument("baseline: --workload " + m.workload.text + " is for lh-lab run only");
      }
      const lh::lab::RunOutcome r = execute(m, base_f, command_line);
      if (r.stopped) return 130;
      utsname u{};
      ::uname(&u);
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      const nlohmann::json meta{{"created_utc", lh::utc_now()}, {"host", host},
                                {"kernel", fmt::format("{} {}", u.sysname, u.release)},
                                {"how", "measured on this host by `" + command_line + "`"},
                                {"run_id", r.run_id}, {"note", note}};
      // Written whole or not at all: a kill here leaves the previous baseline intact.
      lh::write_file_atomic(baseline_out, lh::lab::make_baseline(lh::lab::to_json(m.spec), r.cells, meta).dump(2) + "\n");
      std::printf("baseline: %s\n", baseline_out.c_str());
      return run_exit_code(r) == 3 ? 3 : 0;
    }
    // regress
    std::ifstream in(baseline_in);
    if (!in) throw std::invalid_argument("--baseline: cannot read '" + baseline_in + "'");
    const nlohmann::json b = nlohmann::json::parse(in, nullptr, false);
    if (b.is_discarded()) throw std::invalid_argument("--baseline '" + baseline_in + "': not valid JSON");
    double tol = 0;
    try {
      tol = lh::parse_probability(tolerance).value();
    } catch (const lh::ParseError& e) {
      throw std::invalid_argument(fmt::format("--tolerance '{}': {} (write a percentage, e.g. 10%)", tolerance, e.what()));
    }
    if (!b.contains("matrix")) throw std::invalid_argument("--baseline '" + baseline_in + "': no \"matrix\"");
    reg_f.spec = lh::lab::matrix_from_json(b["matrix"]);
    const lh::lab::Matrix m = validate(reg_f);
    lh::lab::compare(b, {}, tol);   // shape check before the (long) run
    const lh::lab::RunOutcome r = execute(m, reg_f, command_line);
    if (r.stopped) return 130;
    const auto verdicts = lh::lab::compare(b, r.cells, tol);
    std::printf("\nregression check against %s (tolerance %s beyond the recorded min..max):\n%s", baseline_in.c_str(),
                tolerance.c_str(), lh::lab::verdict_table(verdicts).c_str());
    const bool worse = lh::lab::any_worse(verdicts);
    std::printf("%s\n", worse ? "REGRESSION: at least one cell is worse than the baseline" : "no regression");
    return worse ? 1 : 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "lh-lab: error: {}\n", e.what());
    return g_stop.load() ? 130 : 2;
  }
}
