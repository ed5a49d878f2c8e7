// from_pcap_cmd.cpp — `lh-trace from-pcap CAPTURE --out FILE`: a gradient trace from a packet capture.
//
//   lh-trace from-pcap ddp.pcap --flows "tcp and not port 29500" --sites 10.77.0.1=0,10.77.0.2=1
//       --burst-gap 1ms --step-gap 100ms --op all-reduce --out ddp.jsonl
// Reads with libpcap (pcap_reader.hpp), groups packets into messages and steps (pcap_import.hpp) and
// writes format v1 with provenance source "pcap" (or "recorded") and tool = this command line.
// How to pick --burst-gap and --step-gap: traces/FORMATS.md "Importing a capture".
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "traces/from_pcap_command.hpp"
#include "traces/gradient_trace.hpp"
#include "traces/pcap_import.hpp"
#include "traces/pcap_reader.hpp"
#include "src/clock.hpp"
#include "src/link_trace.hpp"

namespace lh::traces {
namespace {

struct FromPcapFlags {
  std::string file, flows, sites, out, step_marks;
  std::string step_gap = "100ms", burst_gap = "1ms", min_bytes = "1B", op = "send", source = "pcap";
  std::string model, params, dtype, pattern, collective, notes;
  uint32_t skip_steps = 0;
};

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,:/@%") ==
                        std::string::npos) {
    return s;
  }
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The command line as given (from CLI11's parse results), for provenance.tool.
std::string command_line(const CLI::App& cmd) {
  std::string line = "lh-trace " + cmd.get_name();
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->count() == 0 || o->get_name() == "--help") continue;
    for (const std::string& v : o->results()) {
      line += o->get_positional() ? " " + shell_quote(v) : " " + o->get_name() + " " + shell_quote(v);
    }
  }
  return line;
}

Nanos duration_flag(const char* flag, const std::string& text) {
  try {
    return parse_duration(text);
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("{} \"{}\": {}", flag, text, e.what()));
  }
}

std::optional<std::string> opt_string(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

void run(const FromPcapFlags& f, const CLI::App& cmd) {
  ImportOptions io{.burst_gap = duration_flag("--burst-gap", f.burst_gap),
                   .step_gap = duration_flag("--step-gap", f.step_gap), .skip_steps = f.skip_steps};
  if (!f.step_marks.empty()) io.step_marks = parse_step_marks(read_text_file(f.step_marks), f.step_marks);
  if (f.step_marks.empty() && io.burst_gap > io.step_gap) {
    throw ParseError(fmt::format("--burst-gap {} is longer than --step-gap {} (a step boundary must be a longer "
                                 "silence than a gap inside a message)", f.burst_gap, f.step_gap));
  }
  try {
    io.min_message = parse_bytes(f.min_bytes);
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("--min-bytes \"{}\": {}", f.min_bytes, e.what()));
  }
  TraceOptions to;
  if (!f.sites.empty()) to.sites = parse_site_map(f.sites);
  const auto op = parse_collective_op(f.op);
  if (!op) throw ParseError("--op \"" + f.op + "\": unknown (expected all-reduce, reduce-scatter, all-gather or send)");
  to.op = *op;
  if (f.source != "pcap" && f.source != "recorded") {
    throw ParseError("--source \"" + f.source + "\": expected pcap or recorded");
  }
  Provenance& p = to.provenance;
  p.source = f.source;
  p.tool = command_line(cmd);
  p.created = utc_now();
  p.model = opt_string(f.model);
  p.dtype = opt_string(f.dtype);
  p.pattern = opt_string(f.pattern);
  p.collective = opt_string(f.collective);
  if (!f.params.empty()) {
    uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(f.params.data(), f.params.data() + f.params.size(), v);
    if (ec != std::errc{} || ptr != f.params.data() + f.params.size()) {
      throw ParseError("--params \"" + f.params + "\": expected a whole number of parameters");
    }
    p.params = v;
  }

  const PcapCapture cap = read_pcap(f.file, f.flows);
  const std::string selection = f.flows.empty() ? "" : " matching --flows \"" + f.flows + "\"";
  if (cap.packets.empty()) {
    throw ParseError(fmt::format("{}: no packets matched: {} frames{} ({} not IP, {} not TCP/UDP, {} fragments, "
                                 "{} truncated)", f.file, cap.stats.frames, selection, cap.stats.not_ip,
                                 cap.stats.not_tcp_udp, cap.stats.fragments, cap.stats.truncated));
  }
  MessageAssembler assembler(io);
  for (const CapturedPacket& pkt : cap.packets) assembler.add(pkt);
  const std::vector<Message> messages = assembler.finish();
  const ImportStats& st = assembler.stats();
  if (messages.empty()) {
    throw ParseError(fmt::format("{}: no messages: {} TCP/UDP packets{}, {} messages of at least --min-bytes {}, "
                                 "all in the first --skip-steps {}", f.file, cap.packets.size(), selection,
                                 st.skipped_messages, f.min_bytes, f.skip_steps));
  }
  const std::string auto_notes = fmt::format(
      "from {} ({}): {} TCP/UDP packets{}, {} flows, {} messages, burst-gap {}, {}, min-bytes {}, "
      "{} first steps skipped ({} messages skipped), {} retransmitted bytes ignored; t and after_compute are as "
      "captured (not an ideal-network schedule)",
      std::filesystem::path(f.file).filename().string(), cap.link_type, cap.packets.size(), selection, st.flows,
      messages.size(), f.burst_gap,
      f.step_marks.empty() ? "step-gap " + f.step_gap
                           : fmt::format("steps from {} marks in {}", io.step_marks.size(),
                                         std::filesystem::path(f.step_marks).filename().string()),
      f.min_bytes, f.skip_steps, st.skipped_messages, st.duplicate_bytes);
  p.notes = f.notes.empty() ? auto_notes : f.notes + "; " + auto_notes;

  GradientTrace trace;
  try {
    trace = build_gradient_trace(messages, to);
  } catch (const ParseError& e) {
    throw ParseError(f.file + ": " + e.what());
  }
  uint64_t total = 0;
  for (const TraceEvent& e : trace.events) total += e.bytes;
  if (f.out == "-") {
    write_gradient_trace(std::cout, trace);
  } else {
    std::ofstream out(f.out, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(f.out + ": cannot open for writing");
    write_gradient_trace(out, trace);
    out.close();
    if (!out) throw std::runtime_error(f.out + ": write failed");
  }
  fmt::print(stderr, "from-pcap: {}: {} frames, {} TCP/UDP packets, {} flows, {} messages ({} below --min-bytes), "
             "{} steps, {} ({}), {} sites x {} ranks -> {}\n", f.file, cap.stats.frames, cap.packets.size(),
             st.flows, messages.size(), st.dropped_messages, trace.provenance.steps, total, format(Bytes{total}),
             trace.provenance.sites, trace.provenance.ranks_per_site, f.out);
}

}  // namespace

void add_from_pcap_command(CLI::App& app) {
  auto f = std::make_shared<FromPcapFlags>();
  CLI::App* cmd = app.add_subcommand("from-pcap", "import a packet capture (pcap/pcapng) as a gradient trace");
  cmd->add_option("capture", f->file, "capture file (tcpdump -w; Ethernet or Linux cooked link type)")->required();
  cmd->add_option("--out", f->out, "output trace (JSON Lines; - = stdout)")->required();
  cmd->add_option("--flows", f->flows, "BPF filter selecting the flows (pcap-filter(7)), e.g. \"tcp and not port 29500\"");
  cmd->add_option("--sites", f->sites, "address to site[:rank] map, e.g. 10.0.0.1=0,10.0.0.2=1 (default: one site per address)");
  cmd->add_option("--burst-gap", f->burst_gap, "a silence longer than this inside a flow ends a message")->capture_default_str();
  cmd->add_option("--step-gap", f->step_gap, "a silence longer than this on all selected flows starts a new step")->capture_default_str();
  CLI::Option* marks = cmd->add_option("--step-marks", f->step_marks,
      "file of step start times (ns since the epoch, one per line) instead of finding steps from silences");
  marks->excludes(cmd->get_option("--step-gap"));
  cmd->add_option("--min-bytes", f->min_bytes, "drop messages smaller than this (control chatter)")->capture_default_str();
  cmd->add_option("--skip-steps", f->skip_steps, "drop the first N steps (set-up traffic such as DDP's parameter broadcast)")->capture_default_str();
  cmd->add_option("--op", f->op, "op written on every event: all-reduce, reduce-scatter, all-gather, send")->capture_default_str();
  cmd->add_option("--source", f->source, "provenance source: pcap, or recorded (a capture of real training)")->capture_default_str();
  cmd->add_option("--model", f->model, "provenance model, e.g. params=4200000");
  cmd->add_option("--params", f->params, "provenance parameter count");
  cmd->add_option("--dtype", f->dtype, "provenance dtype (bf16, fp32, int8, fp4)");
  cmd->add_option("--pattern", f->pattern, "provenance pattern (e.g. recorded, ddp)");
  cmd->add_option("--collective", f->collective, "provenance collective (ring, hierarchical)");
  cmd->add_option("--notes", f->notes, "provenance notes (the import's own notes are appended)");
  cmd->callback([f, cmd] { run(*f, *cmd); });
}

}  // namespace lh::traces
