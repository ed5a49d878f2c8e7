// lab_runner.cpp — the order of a lab run; see lab_runner.hpp. The cells are cell_runner's, the
// host changes host_journal's and topology's, the report report_builder's.
#include "lab/lab_runner.hpp"

#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "lab/cell_runner.hpp"
#include "lab/child_process.hpp"
#include "lab/report_builder.hpp"
#include "lab/topology.hpp"
#include "src/atomic_file.hpp"
#include "src/clock.hpp"
#include "src/sysctl_guard.hpp"

namespace lh::lab {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void progress(const std::string& s) { fmt::print(stderr, "lh-lab: {}\n", s); }

std::string human_duration(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  return fmt::format("{}m{:02d}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
}

bool stopping(const RunnerOptions& o) { return o.stop != nullptr && o.stop->load(); }

std::vector<std::pair<std::string, std::string>> environment(const RunnerOptions& o) {
  utsname u{};
  ::uname(&u);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return {{"host", host}, {"kernel", fmt::format("{} {} {}", u.sysname, u.release, u.machine)},
          {"cpus", std::to_string(::sysconf(_SC_NPROCESSORS_ONLN))},
          {"load average at the end", last_line(read_text("/proc/loadavg"))},
          {"finished (UTC)", utc_now("%Y-%m-%d %H:%M:%S")},
          {"lh-emu", o.emu.string()}, {"lh-xfer", o.xfer.string()}};
}

std::string progress_line(const RunRecord& r) {
  const std::string incomplete = r.complete ? "" : " (INCOMPLETE: " + r.incomplete + ")";
  if (!r.ok) return "  → FAILED: " + r.error;
  if (!r.replay.is_null()) {
    return fmt::format("  → mean step {:.1f} ms (comm {:.1f}, exposed {:.1f}), slowdown {}{}", r.mean_step_ms.value_or(0),
                       r.mean_comm_ms.value_or(0), r.mean_exposed_ms.value_or(0),
                       r.slowdown ? fmt::format("{:.3f}", *r.slowdown) : "-", incomplete);
  }
  return fmt::format("  → {:.1f} Mbit/s, {:.2f} s, {} retransmits{}", r.summary.value("bits_per_second", 0.0) / 1e6,
                     r.summary.value("seconds", 0.0), r.summary.value("retransmits", 0), incomplete);
}

// The host changes and the runs; everything it changed is put back when it returns or throws.
void run_points(const Matrix& m, const RunnerOptions& opt, HostJournal& journal, RunOutcome& res) {
  const fs::path raw = res.dir / "raw";
  uint64_t max_bdp = 1 << 20;
  for (const MatrixPoint& pt : m.points) max_bdp = std::max(max_bdp, profile_keys(pt.profile).bdp().n);
  SysctlGuard sysctls;
  sysctls.on_first_set([&](const std::string& key, const std::string& original) { journal.sysctl(key, original); });
  sysctls.raise_buffer_limits(4 * max_bdp);

  const std::string prefix = fmt::format("lab{}", ::getpid() % 100000);
  Topology topo(journal, opt.topology, prefix, raw);
  std::ofstream jsonl(res.dir / "results.jsonl", std::ios::app);
  const auto started = Clock::now();
  size_t index = 0;
  for (size_t pi = 0; pi < m.points.size() && !stopping(opt); ++pi) {
    const MatrixPoint& pt = m.points[pi];
    const fs::path prof = raw / fmt::format("profile-{}.toml", pi);
    write_file_atomic(prof, fmt::format("# lh-lab point: {}\n", pt.label) + profile_to_toml(pt.profile));
    const fs::path emu_out = raw / fmt::format("emu-{}.jsonl", pi), emu_err = raw / fmt::format("emu-{}.log", pi);
    ChildProcess emu({opt.emu.string(), "--", "--profile", prof.string(), "--iface-a", prefix + "-ea", "--iface-b",
                      prefix + "-eb", "--no-live", "--realtime", "--stats-interval", opt.emu_stats_interval},
                     emu_out, emu_err, [&](pid_t pid) { journal.process(pid, "lh-emu"); });
    if (!emu.wait_until([&] { return read_text(emu_err).find("running profile") != std::string::npos; },
                        milliseconds(30000), opt.stop)) {
      if (stopping(opt)) break;
      throw std::runtime_error(fmt::format("lh-emu did not start for '{}': {}", pt.label, last_line(read_text(emu_err))));
    }
    const CellContext ctx{.m = m, .journal = journal, .xfer = opt.xfer, .trace_tool = opt.trace_tool, .prefix = prefix,
                          .dir = res.dir, .run_id = res.run_id, .emu_t0 = Clock::now(), .stop = opt.stop};
    for (const LabTransport& t : m.transports) {
      for (int r = 0; r < m.spec.repeat && !stopping(opt); ++r) {
        ++index;
        const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        const std::string eta = index > 1 ? human_duration(elapsed / static_cast<double>(index - 1) *
                                                           static_cast<double>(m.run_count() - index + 1))
                                          : "?";
        progress(fmt::format("run {}/{}: {} / {} #{} (elapsed {}, ETA {})", index, m.run_count(), pt.label, t.name, r + 1,
                             human_duration(elapsed), eta));
        RunRecord rec = run_cell(ctx, pi, t, r, index);
        if (rec.interrupted) {   // a run cut short by a stop request is no result; nothing is recorded
          progress("  → interrupted; not recorded");
          break;
        }
        if (!emu.running()) rec.ok = false, rec.error = "lh-emu exited during the run: " + last_line(read_text(emu_err));
        progress(progress_line(rec));
        jsonl << to_json(rec).dump() << "\n" << std::flush;
        if (!jsonl) throw std::runtime_error(fmt::format("cannot append to {}", (res.dir / "results.jsonl").string()));
        res.runs.push_back(std::move(rec));
        if (!emu.running()) throw std::runtime_error("lh-emu exited: " + last_line(read_text(emu_err)));
      }
    }
    emu.stop(SIGINT, milliseconds(15000));
  }
}

}  // namespace

void check_environment(const Matrix& m, const RunnerOptions& opt) {
  if (::geteuid() != 0) throw std::runtime_error("lh-lab needs root (network namespaces, sysctls, DPDK)");
  // Every transport runs lh-xfer (the TCP baselines with --transport tcp), or lh-trace for a trace workload.
  const bool trace = m.workload.kind == Workload::Kind::kTrace;
  const std::vector<std::pair<const char*, fs::path>> need{
      {"lh-emu (--emu)", opt.emu}, {"scripts/topology (--topology)", opt.topology},
      trace ? std::pair<const char*, fs::path>{"lh-trace (--trace-tool)", opt.trace_tool}
            : std::pair<const char*, fs::path>{"lh-xfer (--xfer)", opt.xfer}};
  for (const auto& [what, p] : need) {
    if (!fs::exists(p)) throw std::runtime_error(fmt::format("{} not found at '{}'", what, p.string()));
  }
}

RunOutcome run_matrix(const Matrix& m, const RunnerOptions& opt) {
  HostJournal journal(opt.state_dir);
  for (const std::string& line : journal.recovered()) progress("undid an unfinished run's change: " + line);

  RunOutcome res;
  res.dir = create_unique_dir(opt.out, utc_now("%Y%m%d-%H%M%S"));
  res.run_id = res.dir.filename().string();
  fs::create_directory(res.dir / "raw");
  RunMeta meta{.run_id = res.run_id, .command_line = opt.command_line, .workload = m.workload.text,
               .environment = environment(opt)};
  for (const MatrixPoint& pt : m.points) meta.points.push_back(pt.label);
  write_file_atomic(res.dir / "raw" / "run.json", to_json(meta).dump(2) + "\n");
  progress(fmt::format("run {}: {} runs ({} profiles × {} transports × {} repeats) → {}", res.run_id, m.run_count(),
                       m.points.size(), m.transports.size(), m.spec.repeat, res.dir.string()));
  try {
    run_points(m, opt, journal, res);
  } catch (...) {
    // The destructors put the host back; undo() does it once more from the journal (idempotent), so
    // nothing is left behind even when a restore in a destructor failed.
    for (const std::string& line : journal.undo()) progress("undo: " + line);
    throw;
  }
  journal.clear();

  res.stopped = stopping(opt);
  meta.finished = true, meta.stopped = res.stopped, meta.environment = environment(opt);
  write_file_atomic(res.dir / "raw" / "run.json", to_json(meta).dump(2) + "\n");
  BuiltReport report = build_report(res.dir);
  res.cells = std::move(report.cells);
  res.table = std::move(report.table);
  res.notes = std::move(report.notes);
  return res;
}

}  // namespace lh::lab
