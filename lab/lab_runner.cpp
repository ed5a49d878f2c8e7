// lab_runner.cpp — process orchestration of a lab run; see lab_runner.hpp.
#include "lab/lab_runner.hpp"

#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "lab/child_process.hpp"
#include "lab/report.hpp"
#include "lab/trace_report.hpp"
#include "src/clock.hpp"
#include "src/units.hpp"
#include "src/sysctl_guard.hpp"

namespace lh::lab {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kAddrB = "10.77.0.2";
// Handshake deadline of every client: a profile's link trace may cut the path for seconds (a fiber cut)
// exactly while a run connects; the tools' 3 s default would count that as a failed run.
constexpr Nanos kConnectTimeout = Nanos::from_s(15);
constexpr int kExitDurationLimit = 3;   // lh-xfer (both transports): the duration limit ended the transfer

void progress(const std::string& s) { fmt::print(stderr, "lh-lab: {}\n", s); }

std::string human_duration(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  return fmt::format("{}m{:02d}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
}

bool stopping(const RunnerOptions& o) { return o.stop != nullptr && o.stop->load(); }

// Runs a short helper (topology script, gnuplot) to completion; returns its exit code.
int run_tool(const std::vector<std::string>& argv, const fs::path& log, const RunnerOptions& o,
             milliseconds timeout) {
  ChildProcess p(argv, log, log.string() + ".err");
  const auto rc = p.wait_for(timeout, o.stop);
  return rc ? *rc : p.stop(SIGTERM, milliseconds(3000));
}

// The topology for the run's lifetime: up in the constructor, down (always) in the destructor.
class Topology {
 public:
  Topology(const RunnerOptions& o, std::string prefix, const fs::path& raw) : opt_(o), prefix_(std::move(prefix)), raw_(raw) {
    const int rc = run_tool({"bash", opt_.topology.string(), "up", "--prefix", prefix_}, raw_ / "topology-up.log", opt_,
                            milliseconds(60000));
    up_ = true;
    if (rc != 0) {
      throw std::runtime_error(fmt::format("scripts/topology up --prefix {} failed (exit {}): {}", prefix_, rc,
                                           read_text(raw_ / "topology-up.log.err")));
    }
  }
  ~Topology() {
    if (!up_) return;
    RunnerOptions quiet = opt_;
    quiet.stop = nullptr;   // tear-down must finish even after a stop request
    for (const char* ns : {"A", "B"}) {   // anything still running in the namespaces
      run_tool({"bash", "-c", fmt::format("ip netns pids {}{} 2>/dev/null | xargs -r kill -9", prefix_, ns)},
               raw_ / "topology-kill.log", quiet, milliseconds(10000));
    }
    run_tool({"bash", opt_.topology.string(), "down", "--prefix", prefix_}, raw_ / "topology-down.log", quiet,
             milliseconds(60000));
  }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  const std::string& prefix() const { return prefix_; }

 private:
  const RunnerOptions& opt_;
  std::string prefix_;
  fs::path raw_;
  bool up_ = false;
};

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

struct RunContext {
  const Matrix& m;
  const RunnerOptions& opt;
  const Topology& topo;
  fs::path dir;
  std::string run_id;
  Clock::time_point emu_t0;
};

// One run's two processes: `srv` (in B) must print "listening on B:PORT" within 15 s; then the client
// built for that port (in A) runs until it exits or the duration limit plus 30 s passes, and the server
// gets 15 s to finish. Records emu_t0_s/emu_t1_s, client_rc and server_rc in `row`. Returns the
// client's exit code; nullopt (row: ok false, error) when the server never listened, or when Ctrl-C
// stopped the run (row: interrupted — not a result, run_matrix drops it).
std::optional<int> run_pair(const RunContext& ctx, const std::string& tag, const std::vector<std::string>& srv,
                            const std::function<std::vector<std::string>(const std::string&)>& client_for_port,
                            const fs::path& client_out, nlohmann::json& row) {
  const fs::path raw = ctx.dir / "raw";
  ChildProcess server(srv, raw / (tag + "-server.out"), raw / (tag + "-server.err"));
  const std::regex listen_re(std::string("listening on ") + kAddrB + ":([0-9]+)");
  std::smatch match;
  std::string port;
  server.wait_until([&] {
    const std::string text = read_text(raw / (tag + "-server.out"));
    if (std::regex_search(text, match, listen_re)) port = match[1];
    return !port.empty();
  }, milliseconds(15000), ctx.opt.stop);
  if (stopping(ctx.opt)) {
    row["ok"] = false, row["interrupted"] = true, row["error"] = "interrupted (Ctrl-C)";
    return std::nullopt;
  }
  if (port.empty()) {
    row["ok"] = false;
    row["error"] = fmt::format("server did not report its port: {}", last_line(read_text(raw / (tag + "-server.err"))));
    return std::nullopt;
  }
  row["emu_t0_s"] = std::chrono::duration<double>(Clock::now() - ctx.emu_t0).count();
  row["client_unix_ms"] = std::chrono::duration<double, std::milli>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
  ChildProcess client(client_for_port(port), client_out, raw / (tag + "-client.err"));
  std::optional<int> rc = client.wait_for(milliseconds(ctx.m.duration_limit.ns / 1'000'000 + 30'000), ctx.opt.stop);
  if (!rc) rc = client.stop(SIGTERM, milliseconds(3000));
  row["emu_t1_s"] = std::chrono::duration<double>(Clock::now() - ctx.emu_t0).count();
  row["client_rc"] = *rc;
  const std::optional<int> src = server.wait_for(milliseconds(15000), ctx.opt.stop);
  row["server_rc"] = src ? *src : server.stop(SIGTERM, milliseconds(3000));
  if (stopping(ctx.opt)) {
    row["ok"] = false, row["interrupted"] = true, row["error"] = "interrupted (Ctrl-C)";
    return std::nullopt;
  }
  return rc;
}

// One cell of a trace workload: `lh-trace replay --serve` in B, the replay client in A; the client's
// JSON Lines become row["replay"] (trace_workload.hpp) and row["summary"] (its summary + "seconds").
nlohmann::json run_replay(const RunContext& ctx, const LabTransport& t, size_t index, Bytes bdp, nlohmann::json row) {
  const fs::path raw = ctx.dir / "raw";
  const std::string tag = fmt::format("run-{:03d}", index);
  const std::string name = t.spec.name(), tool = ctx.opt.trace_tool.string();
  row["tool"] = "lh-trace replay";
  row["workload"] = ctx.m.workload.text;
  row["replay_transport"] = name;
  row.erase("size_bytes");
  row["size_bytes"] = ctx.m.workload.bytes_forward + ctx.m.workload.bytes_reverse;
  const bool tcp = t.spec.tcp();
  std::vector<std::string> srv{"ip", "netns", "exec", ctx.topo.prefix() + "B", tool, "replay", "--serve", "--listen",
                               fmt::format("{}:0", kAddrB), "--transport", name, "--once", "--realtime"};
  if (tcp) srv.insert(srv.end(), {"--bdp", format(bdp)});
  // The controller's state over time at both ends (lh-trace replay --qlog), kept beside the run.
  if (!tcp) srv.insert(srv.end(), {"--qlog", (raw / (tag + "-server.sqlog")).string()});
  const fs::path json = raw / (tag + "-replay.jsonl");
  const std::optional<int> rc = run_pair(ctx, tag, srv, [&](const std::string& port) {
    std::vector<std::string> cli{"ip", "netns", "exec", ctx.topo.prefix() + "A", tool, "replay",
                                 ctx.m.workload.trace.string(), "--transport", name, "--peer",
                                 fmt::format("{}:{}", kAddrB, port), "--json", json.string(), "--duration-limit",
                                 format(ctx.m.duration_limit), "--connect-timeout", format(kConnectTimeout),
                                 "--realtime"};
    if (tcp) cli.insert(cli.end(), {"--bdp", format(bdp)});
    if (!tcp) cli.insert(cli.end(), {"--qlog", (raw / (tag + "-client.sqlog")).string()});
    return cli;
  }, raw / (tag + "-client.txt"), row);
  if (!rc) return row;

  const bool parsed = add_replay_results(row, read_lines(json));
  row["summary"] = parsed ? row["replay"]["summary"] : nlohmann::json(nullptr);
  const bool complete = parsed && row["summary"].value("complete", false);
  if (parsed) row["summary"]["seconds"] = row["summary"].value("total_ns", int64_t{0}) * 1e-9;
  // Exit 3: the duration limit stopped the replay; the steps that ended are measured.
  const bool measured_incomplete = *rc == kExitDurationLimit && parsed && !complete && !row["replay"]["step"].empty();
  row["ok"] = (*rc == 0 && complete) || measured_incomplete;
  row["complete"] = *rc == 0 && complete;
  if (measured_incomplete) {
    row["incomplete"] = fmt::format("duration limit {} reached after {} of {} steps", format(ctx.m.duration_limit),
                                    row["replay"]["step"].size(), ctx.m.workload.steps);
  } else if (!row["ok"].get<bool>()) {
    row["error"] = fmt::format("replay client exit {}{}: {}", *rc, complete ? "" : ", replay not completed",
                               last_line(read_text(raw / (tag + "-client.err"))));
  }
  return row;
}

nlohmann::json run_one(const RunContext& ctx, const MatrixPoint& pt, const LabTransport& t, int repeat, size_t index) {
  const ProfileKeys keys = profile_keys(pt.profile);
  const Bytes bdp{std::max<uint64_t>(keys.bdp().n, 1 << 20)};
  nlohmann::json row{{"run_id", ctx.run_id}, {"index", index}, {"profile", pt.label}, {"rate_bps", keys.rate.bps},
                     {"rtt_ms", keys.rtt.ms()}, {"loss", keys.loss}, {"loss_model", keys.loss_model},
                     {"bdp_bytes", bdp.n}, {"transport", t.name}, {"spec", t.spec.name()},
                     {"cc", workload::to_json(t.spec)["cc"]}, {"streams", t.spec.streams}, {"tool", "lh-xfer"},
                     {"repeat", repeat},
                     {"size_bytes", ctx.m.size.n}, {"started_utc", utc_now("%Y-%m-%dT%H:%M:%SZ")}};
  if (pt.sweep_loss) row["sweep_loss"] = *pt.sweep_loss, row["sweep_loss_model"] = pt.sweep_loss_model;
  if (keys.loss_model == "gilbert-elliott") row["ge_burst"] = keys.ge_burst;
  if (pt.sweep_delay) row["sweep_delay_ms"] = pt.sweep_delay->ms();
  if (ctx.m.workload.kind == Workload::Kind::kTrace) return run_replay(ctx, t, index, bdp, std::move(row));
  const fs::path raw = ctx.dir / "raw";
  const std::string tag = fmt::format("run-{:03d}", index);
  const bool tcp = t.spec.tcp();
  const std::string tool = ctx.opt.xfer.string();
  const std::string ns_a = ctx.topo.prefix() + "A", ns_b = ctx.topo.prefix() + "B";

  // Every transport's loop runs SCHED_FIFO (below lh-emu's worker), so host load does not hand kernel
  // TCP, which works in softirq, an advantage over a user-space transport (see realtime_loop.hpp).
  std::vector<std::string> srv{"ip", "netns", "exec", ns_b, tool, "serve", "--listen", fmt::format("{}:0", kAddrB), "--once",
                               "--realtime", "--transport", t.spec.name()};
  if (tcp) srv.insert(srv.end(), {"--bdp", format(bdp)});
  if (!tcp) srv.insert(srv.end(), {"--qlog", (raw / (tag + "-server.sqlog")).string()});
  const std::optional<int> rc = run_pair(ctx, tag, srv, [&](const std::string& port) {
    std::vector<std::string> cli{"ip", "netns", "exec", ns_a, tool, "send", "--to", fmt::format("{}:{}", kAddrB, port),
                                 "--size", format(ctx.m.size), "--shard", format(ctx.m.shard), "--transport",
                                 t.spec.name(), "--json",
                                 "--duration-limit", format(ctx.m.duration_limit), "--realtime",
                                 "--connect-timeout", format(kConnectTimeout)};
    if (tcp) cli.insert(cli.end(), {"--bdp", format(bdp)});
    if (!tcp) cli.insert(cli.end(), {"--qlog", (raw / (tag + "-client.sqlog")).string()});
    return cli;
  }, raw / (tag + "-client.json"), row);
  if (!rc) return row;

  const std::string out = read_text(raw / (tag + "-client.json"));
  nlohmann::json summary = nlohmann::json::parse(out, nullptr, false);
  if (summary.is_discarded() || !summary.is_object()) summary = nullptr;
  row["summary"] = summary;
  const bool complete = summary.is_object() && summary.value("complete", false);
  // Exit 3 is both tools' "duration limit reached": the summary still measures what was delivered.
  const bool measured_incomplete = *rc == kExitDurationLimit && summary.is_object() && !complete &&
                                   summary.value("seconds", 0.0) > 0 && summary.value("bytes", uint64_t{0}) > 0;
  row["ok"] = (*rc == 0 && complete) || measured_incomplete;
  row["complete"] = *rc == 0 && complete;
  if (measured_incomplete) {
    row["incomplete"] = fmt::format("duration limit {} reached after {} of {} bytes", format(ctx.m.duration_limit),
                                    summary.value("bytes", uint64_t{0}), ctx.m.size.n);
  } else if (!row["ok"].get<bool>()) {
    row["error"] = fmt::format("client exit {}{}: {}", *rc, complete ? "" : ", transfer not completed",
                               last_line(read_text(raw / (tag + "-client.err"))));
  }
  return row;
}

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

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  if (!f) throw std::runtime_error(fmt::format("cannot write {}", p.string()));
}

// Writes data + script for each plot and renders it with gnuplot; returns the plots that rendered.
std::vector<PlotSpec> render(const fs::path& dir, const std::vector<PlotSpec>& plots, const RunnerOptions& o,
                             std::vector<std::string>& notes) {
  std::vector<PlotSpec> done;
  RunnerOptions quiet = o;
  quiet.stop = nullptr;
  for (const PlotSpec& p : plots) {
    if (p.png.empty()) continue;
    const std::string gp = fs::path(p.png).replace_extension(".gp").string();
    write_file(dir / p.data, p.data_text);
    write_file(dir / gp, p.script);
    const int rc = run_tool({"gnuplot", "-e", fmt::format("cd '{}'", fs::absolute(dir).string()), gp},
                            dir / "raw" / (gp + ".log"), quiet, milliseconds(60000));
    if (rc == 0 && fs::exists(dir / p.png) && fs::file_size(dir / p.png) > 0) {
      done.push_back(p);
    } else {
      notes.push_back(fmt::format("plot {} failed (gnuplot exit {}): {}", p.png, rc,
                                  read_text(dir / "raw" / (gp + ".log.err"))));
    }
  }
  return done;
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
  RunOutcome res;
  res.run_id = utc_now("%Y%m%d-%H%M%S");
  res.dir = opt.out / res.run_id;
  for (int i = 2; fs::exists(res.dir); ++i) res.dir = opt.out / fmt::format("{}-{}", res.run_id, i);
  res.run_id = res.dir.filename().string();
  fs::create_directories(res.dir / "raw");
  progress(fmt::format("run {}: {} runs ({} profiles × {} transports × {} repeats) → {}", res.run_id, m.run_count(),
                       m.points.size(), m.transports.size(), m.spec.repeat, res.dir.string()));

  uint64_t max_bdp = 1 << 20;
  for (const MatrixPoint& pt : m.points) max_bdp = std::max(max_bdp, profile_keys(pt.profile).bdp().n);
  SysctlGuard sysctls;
  sysctls.raise_buffer_limits(4 * max_bdp);

  const std::string prefix = fmt::format("lab{}", ::getpid() % 100000);
  Topology topo(opt, prefix, res.dir / "raw");
  std::ofstream jsonl(res.dir / "results.jsonl");
  const auto started = Clock::now();
  size_t index = 0;
  for (size_t pi = 0; pi < m.points.size() && !stopping(opt); ++pi) {
    const MatrixPoint& pt = m.points[pi];
    const fs::path prof = res.dir / "raw" / fmt::format("profile-{}.toml", pi);
    write_file(prof, fmt::format("# lh-lab point: {}\n", pt.label) + profile_to_toml(pt.profile));
    const fs::path emu_out = res.dir / "raw" / fmt::format("emu-{}.jsonl", pi);
    const fs::path emu_err = res.dir / "raw" / fmt::format("emu-{}.log", pi);
    ChildProcess emu({opt.emu.string(), "--", "--profile", prof.string(), "--iface-a", prefix + "-ea", "--iface-b",
                      prefix + "-eb", "--no-live", "--realtime", "--stats-interval", opt.emu_stats_interval},
                     emu_out, emu_err);
    if (!emu.wait_until([&] { return read_text(emu_err).find("running profile") != std::string::npos; },
                        milliseconds(30000), opt.stop)) {
      if (stopping(opt)) break;
      throw std::runtime_error(fmt::format("lh-emu did not start for '{}': {}", pt.label, last_line(read_text(emu_err))));
    }
    RunContext ctx{.m = m, .opt = opt, .topo = topo, .dir = res.dir, .run_id = res.run_id, .emu_t0 = Clock::now()};
    for (const LabTransport& t : m.transports) {
      for (int r = 0; r < m.spec.repeat && !stopping(opt); ++r) {
        ++index;
        const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        const std::string eta = index > 1 ? human_duration(elapsed / static_cast<double>(index - 1) *
                                                           static_cast<double>(m.run_count() - index + 1))
                                          : "?";
        progress(fmt::format("run {}/{}: {} / {} #{} (elapsed {}, ETA {})", index, m.run_count(), pt.label, t.name, r + 1,
                             human_duration(elapsed), eta));
        nlohmann::json row = run_one(ctx, pt, t, r, index);
        if (row.value("interrupted", false)) {  // Ctrl-C: a run cut short is no result; nothing is recorded
          progress("  → interrupted; not recorded");
          break;
        }
        if (!emu.running()) row["error"] = "lh-emu exited during the run: " + last_line(read_text(emu_err)), row["ok"] = false;
        if (row["ok"].get<bool>() && row.contains("replay")) {
          progress(fmt::format("  → mean step {:.1f} ms (comm {:.1f}, exposed {:.1f}), slowdown {}{}",
                               row.value("mean_step_ms", 0.0), row.value("mean_comm_ms", 0.0),
                               row.value("mean_exposed_ms", 0.0),
                               row["slowdown"].is_number() ? fmt::format("{:.3f}", row["slowdown"].get<double>()) : "-",
                               row.value("complete", true) ? "" : " (INCOMPLETE: " + row.value("incomplete", std::string()) + ")"));
        } else if (row["ok"].get<bool>()) {
          const auto& s = row["summary"];
          progress(fmt::format("  → {:.1f} Mbit/s, {:.2f} s, {} retransmits{}", s.value("bits_per_second", 0.0) / 1e6,
                               s.value("seconds", 0.0), s.value("retransmits", 0),
                               row.value("complete", true) ? "" : " (INCOMPLETE: " + row.value("incomplete", std::string()) + ")"));
        } else {
          progress("  → FAILED: " + row.value("error", std::string("?")));
        }
        jsonl << row.dump() << "\n" << std::flush;
        res.rows.push_back(std::move(row));
        if (!emu.running()) throw std::runtime_error("lh-emu exited: " + last_line(read_text(emu_err)));
      }
    }
    emu.stop(SIGINT, milliseconds(15000));
  }
  res.stopped = stopping(opt);

  res.cells = aggregate(res.rows);
  const bool trace = m.workload.kind == Workload::Kind::kTrace;
  res.table = trace ? trace_table(res.rows) : summary_table(res.cells);
  write_file(res.dir / "summary.txt", res.table);
  IndexPage page{.run_id = res.run_id, .command_line = opt.command_line, .environment = environment(opt),
                 .table_html = trace ? trace_html(res.rows) : summary_html(res.cells)};
  std::vector<PlotSpec> plots = trace ? std::vector<PlotSpec>{trace_slowdown_plot(res.rows)}
                                      : std::vector<PlotSpec>{goodput_plot(res.cells), loss_plot(res.rows, res.cells),
                                                              scatter_plot(res.rows)};
  // The time series of the longest successful run (most lh-emu intervals to show).
  const nlohmann::json* longest = nullptr;
  for (const nlohmann::json& r : res.rows) {
    if (r.value("ok", false) && (longest == nullptr || r["summary"].value("seconds", 0.0) >
                                                           (*longest)["summary"].value("seconds", 0.0))) {
      longest = &r;
    }
  }
  if (longest != nullptr) {
    const nlohmann::json& r = *longest;
    size_t pi = 0;
    while (pi < m.points.size() && m.points[pi].label != r["profile"].get<std::string>()) ++pi;
    const auto lines = read_lines(res.dir / "raw" / fmt::format("emu-{}.jsonl", pi));
    // Both endpoints' controllers (longhaul runs keep raw/run-NNN-{client,server}.sqlog).
    std::vector<CcSeries> cc;
    for (const char* side : {"client", "server"}) {
      const fs::path q = res.dir / "raw" / fmt::format("run-{:03d}-{}.sqlog", r["index"].get<size_t>(), side);
      if (!fs::exists(q)) continue;
      CcSeries s{.label = side, .points = cc_series_from_qlog(read_text(q), r.value("client_unix_ms", 0.0))};
      if (!s.points.empty()) cc.push_back(std::move(s));
    }
    plots.push_back(timeseries_plot(timeseries_from_emu(lines, r["emu_t0_s"].get<double>(), r["emu_t1_s"].get<double>()),
                                    fmt::format("{} / {} #{}", r["profile"].get<std::string>(),
                                                r["transport"].get<std::string>(), r["repeat"].get<int>() + 1),
                                    cc));
  }
  for (const nlohmann::json& r : res.rows) {
    if (r.value("ok", false) && !r.value("complete", true)) page.notes.push_back(fmt::format(
        "run {} ({} / {} #{}) is incomplete (counted, marked *): {}", r["index"].get<size_t>(),
        r["profile"].get<std::string>(), r["transport"].get<std::string>(), r["repeat"].get<int>() + 1,
        r.value("incomplete", std::string("?"))));
    if (!r.value("ok", false)) page.notes.push_back(fmt::format("run {} ({} / {} #{}) failed: {}", r["index"].get<size_t>(),
        r["profile"].get<std::string>(), r["transport"].get<std::string>(), r["repeat"].get<int>() + 1,
        r.value("error", std::string("?"))));
  }
  if (res.stopped) page.notes.push_back("the run was stopped early (SIGINT/SIGTERM)");
  page.plots = render(res.dir, plots, opt, page.notes);
  write_file(res.dir / "index.html", index_html(page));
  return res;
}

}  // namespace lh::lab
