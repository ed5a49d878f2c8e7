// cell_runner.cpp — see cell_runner.hpp.
#include "lab/cell_runner.hpp"

#include <signal.h>

#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "lab/child_process.hpp"
#include "lab/trace_workload.hpp"
#include "src/clock.hpp"

namespace lh::lab {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kAddrB = "10.77.0.2";
// Handshake deadline of every client: a profile's link trace may cut the path for seconds (a fiber cut)
// exactly while a run connects; the tools' 3 s default would count that as a failed run.
constexpr Nanos kConnectTimeout = Nanos::from_s(15);
constexpr int kExitDurationLimit = 3;  // both tools: the duration limit ended the transfer

bool stopping(const CellContext& c) { return c.stop != nullptr && c.stop->load(); }

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The server (in B) must print "listening on B:PORT" within 15 s; then the client built for that port
// (in A) runs until it exits or the duration limit plus 30 s passes, and the server gets 15 s to
// finish. Returns the client's exit code; nullopt (r: ok false, error) when the server never
// listened, or when a stop request ended the run (r.interrupted).
std::optional<int> run_pair(const CellContext& ctx, const std::string& tag, const std::vector<std::string>& srv,
                            const std::function<std::vector<std::string>(const std::string&)>& client_for_port,
                            const fs::path& client_out, RunRecord& r) {
  const fs::path raw = ctx.dir / "raw";
  const auto journal = [&](pid_t pid) { ctx.journal.process(pid, srv.size() > 4 ? srv[4] : "tool"); };
  ChildProcess server(srv, raw / (tag + "-server.out"), raw / (tag + "-server.err"), journal);
  const std::regex listen_re(std::string("listening on ") + kAddrB + ":([0-9]+)");
  std::smatch match;
  std::string port;
  server.wait_until([&] {
    const std::string text = read_text(raw / (tag + "-server.out"));
    if (std::regex_search(text, match, listen_re)) port = match[1];
    return !port.empty();
  }, milliseconds(15000), ctx.stop);
  if (stopping(ctx)) {
    r.interrupted = true, r.error = "interrupted (Ctrl-C)";
    return std::nullopt;
  }
  if (port.empty()) {
    r.error = fmt::format("server did not report its port: {}", last_line(read_text(raw / (tag + "-server.err"))));
    return std::nullopt;
  }
  r.emu_t0_s = std::chrono::duration<double>(Clock::now() - ctx.emu_t0).count();
  r.client_unix_ms = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  ChildProcess client(client_for_port(port), client_out, raw / (tag + "-client.err"), journal);
  std::optional<int> rc = client.wait_for(milliseconds(ctx.m.duration_limit.ns / 1'000'000 + 30'000), ctx.stop);
  if (!rc) rc = client.stop(SIGTERM, milliseconds(3000));
  r.emu_t1_s = std::chrono::duration<double>(Clock::now() - ctx.emu_t0).count();
  r.client_rc = *rc;
  const std::optional<int> src = server.wait_for(milliseconds(15000), ctx.stop);
  r.server_rc = src ? *src : server.stop(SIGTERM, milliseconds(3000));
  if (stopping(ctx)) {
    r.interrupted = true, r.error = "interrupted (Ctrl-C)";
    return std::nullopt;
  }
  return rc;
}

// Protected-mode transports (+psp, +psp-auth) get the run's pre-shared key: one per run, made by
// `lh-xfer keygen` (32 random bytes, 0600) in the run folder the first time a cell needs it.
std::vector<std::string> psk_args(const CellContext& ctx, const LabTransport& t) {
  if (t.spec.protection == xport::Protection::kNone) return {};
  const fs::path key = ctx.dir / "raw" / "psk";
  if (!fs::exists(key)) {
    fs::create_directories(key.parent_path());
    const int rc = run_tool({ctx.xfer.string(), "keygen", key.string()}, ctx.dir / "raw" / "keygen.log", 10000);
    if (rc != 0 && !fs::exists(key)) throw std::runtime_error("lh-xfer keygen " + key.string() + " failed (exit " + std::to_string(rc) + ")");
  }
  return {"--psk", key.string()};
}

// A trace cell: `lh-trace replay --serve` in B, the replay client in A; the client's JSON Lines
// become r.replay (trace_workload.hpp) and r.summary (its summary + "seconds").
void run_replay(const CellContext& ctx, const LabTransport& t, const std::string& tag, RunRecord& r) {
  const fs::path raw = ctx.dir / "raw";
  const std::string name = t.spec.name(), tool = ctx.trace_tool.string();
  const bool tcp = t.spec.tcp();
  r.tool = "lh-trace replay";
  r.size_bytes = ctx.m.workload.bytes_forward + ctx.m.workload.bytes_reverse;
  std::vector<std::string> srv{"ip", "netns", "exec", ctx.prefix + "B", tool, "replay", "--serve", "--listen",
                               fmt::format("{}:0", kAddrB), "--transport", name, "--once", "--realtime"};
  if (tcp) srv.insert(srv.end(), {"--bdp", format(Bytes{r.bdp_bytes})});
  const std::vector<std::string> psk = psk_args(ctx, t);
  srv.insert(srv.end(), psk.begin(), psk.end());
  // The controller's state over time at both ends (--qlog), kept beside the run.
  if (!tcp) srv.insert(srv.end(), {"--qlog", (raw / (tag + "-server.sqlog")).string()});
  const fs::path json = raw / (tag + "-replay.jsonl");
  const std::optional<int> rc = run_pair(ctx, tag, srv, [&](const std::string& port) {
    std::vector<std::string> cli{"ip", "netns", "exec", ctx.prefix + "A", tool, "replay",
                                 ctx.m.workload.trace.string(), "--transport", name, "--peer",
                                 fmt::format("{}:{}", kAddrB, port), "--json", json.string(), "--duration-limit",
                                 format(ctx.m.duration_limit), "--connect-timeout", format(kConnectTimeout),
                                 "--realtime"};
    if (tcp) cli.insert(cli.end(), {"--bdp", format(Bytes{r.bdp_bytes})});
    if (!tcp) cli.insert(cli.end(), {"--qlog", (raw / (tag + "-client.sqlog")).string()});
    cli.insert(cli.end(), psk.begin(), psk.end());
    return cli;
  }, raw / (tag + "-client.txt"), r);
  if (!rc) return;

  const bool parsed = add_replay_results(r, read_lines(json));
  const bool complete = parsed && r.summary.value("complete", false);
  // Exit 3: the duration limit stopped the replay; the steps that ended are measured.
  const bool measured_incomplete = *rc == kExitDurationLimit && parsed && !complete && !r.replay["step"].empty();
  r.ok = (*rc == 0 && complete) || measured_incomplete;
  r.complete = *rc == 0 && complete;
  if (measured_incomplete) {
    r.incomplete = fmt::format("duration limit {} reached after {} of {} steps", format(ctx.m.duration_limit),
                               r.replay["step"].size(), ctx.m.workload.steps);
  } else if (!r.ok) {
    r.error = fmt::format("replay client exit {}{}: {}", *rc, complete ? "" : ", replay not completed",
                          last_line(read_text(raw / (tag + "-client.err"))));
  }
}

// A bulk cell: `lh-xfer serve` in B, `lh-xfer send --json` in A.
void run_bulk(const CellContext& ctx, const LabTransport& t, const std::string& tag, RunRecord& r) {
  const fs::path raw = ctx.dir / "raw";
  const bool tcp = t.spec.tcp();
  const std::string tool = ctx.xfer.string();
  std::vector<std::string> srv{"ip", "netns", "exec", ctx.prefix + "B", tool, "serve", "--listen",
                               fmt::format("{}:0", kAddrB), "--once", "--realtime", "--transport", t.spec.name()};
  if (tcp) srv.insert(srv.end(), {"--bdp", format(Bytes{r.bdp_bytes})});
  if (!tcp) srv.insert(srv.end(), {"--qlog", (raw / (tag + "-server.sqlog")).string()});
  const std::vector<std::string> psk = psk_args(ctx, t);
  srv.insert(srv.end(), psk.begin(), psk.end());
  const std::optional<int> rc = run_pair(ctx, tag, srv, [&](const std::string& port) {
    std::vector<std::string> cli{"ip", "netns", "exec", ctx.prefix + "A", tool, "send", "--to",
                                 fmt::format("{}:{}", kAddrB, port), "--size", format(ctx.m.size), "--shard",
                                 format(ctx.m.shard), "--transport", t.spec.name(), "--json", "--duration-limit",
                                 format(ctx.m.duration_limit), "--realtime", "--connect-timeout", format(kConnectTimeout)};
    if (tcp) cli.insert(cli.end(), {"--bdp", format(Bytes{r.bdp_bytes})});
    if (!tcp) cli.insert(cli.end(), {"--qlog", (raw / (tag + "-client.sqlog")).string()});
    cli.insert(cli.end(), psk.begin(), psk.end());
    return cli;
  }, raw / (tag + "-client.json"), r);
  if (!rc) return;

  nlohmann::json summary = nlohmann::json::parse(read_text(raw / (tag + "-client.json")), nullptr, false);
  if (summary.is_discarded() || !summary.is_object()) summary = nullptr;
  r.summary = summary;
  const bool complete = summary.is_object() && summary.value("complete", false);
  // Exit 3 is the tool's "duration limit reached": the summary still measures what was delivered.
  const bool measured_incomplete = *rc == kExitDurationLimit && summary.is_object() && !complete &&
                                   summary.value("seconds", 0.0) > 0 && summary.value("bytes", uint64_t{0}) > 0;
  r.ok = (*rc == 0 && complete) || measured_incomplete;
  r.complete = *rc == 0 && complete;
  if (measured_incomplete) {
    r.incomplete = fmt::format("duration limit {} reached after {} of {} bytes", format(ctx.m.duration_limit),
                               summary.value("bytes", uint64_t{0}), ctx.m.size.n);
  } else if (!r.ok) {
    r.error = fmt::format("client exit {}{}: {}", *rc, complete ? "" : ", transfer not completed",
                          last_line(read_text(raw / (tag + "-client.err"))));
  }
}

}  // namespace

RunRecord run_cell(const CellContext& ctx, size_t point, const LabTransport& t, int repeat, size_t index) {
  const MatrixPoint& pt = ctx.m.points[point];
  const ProfileKeys keys = profile_keys(pt.profile);
  RunRecord r{.run_id = ctx.run_id, .index = index, .profile = pt.label, .point = point, .rate_bps = keys.rate.bps,
              .rtt_ms = keys.rtt.ms(), .loss = keys.loss, .loss_model = keys.loss_model,
              .bdp_bytes = std::max<uint64_t>(keys.bdp().n, 1 << 20), .transport = t.name, .spec = t.spec.name(),
              .cc = t.spec.tcp() ? t.spec.tcp_cc : workload::to_json(t.spec)["cc"].get<std::string>(),
              .streams = t.spec.streams, .tool = "lh-xfer", .workload = ctx.m.workload.text, .repeat = repeat,
              .size_bytes = ctx.m.size.n, .started_utc = utc_now("%Y-%m-%dT%H:%M:%SZ")};
  if (pt.sweep_loss) r.sweep_loss = *pt.sweep_loss, r.sweep_loss_model = pt.sweep_loss_model;
  if (keys.loss_model == "gilbert-elliott") r.ge_burst = keys.ge_burst;
  if (pt.sweep_delay) r.sweep_delay_ms = pt.sweep_delay->ms();
  const std::string tag = fmt::format("run-{:03d}", index);
  if (ctx.m.workload.kind == Workload::Kind::kTrace) {
    run_replay(ctx, t, tag, r);
  } else {
    run_bulk(ctx, t, tag, r);
  }
  return r;
}

}  // namespace lh::lab
