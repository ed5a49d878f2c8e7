// linksim_run.cpp — runs synthetic traffic over a profile in virtual time (see linksim_run.hpp).
#include "emulator/linksim/linksim_run.hpp"

#include <memory>
#include <optional>

#include <fmt/format.h>

#include "emulator/sim/cbr_source.hpp"
#include "emulator/sim/dumbbell.hpp"
#include "emulator/sim/endpoint.hpp"
#include "emulator/sim/simulator.hpp"

namespace lh::sim {

namespace {

constexpr Nanos kChunk = Nanos::from_ms(50);        // progress granularity (virtual time)
constexpr Nanos kMaxDrain = Nanos::from_s(600);     // upper bound on emptying the link after sending

struct DirectionRun {
  const char* name;
  Side from;
  std::optional<CbrSource> source;
  NullSink sink;
  Address source_addr = kNoAddress;
};

nlohmann::json direction_json(const Dumbbell& path, const DirectionRun& run) {
  nlohmann::json j = path.stats(run.source_addr).to_json();
  const emu::LinkDirection& link = path.link(run.from);
  j["link_rate_bps"] = link.current_rate().bps;
  j["base_delay_ns"] = link.base_delay().ns;
  return j;
}

}  // namespace

nlohmann::json run_linksim(const LinksimOptions& options, const ProgressFn& progress) {
  Simulator sim;
  Dumbbell path(sim, options.profile, options.seed);
  DirectionRun runs[2] = {{.name = "a_to_b", .from = Side::kA}, {.name = "b_to_a", .from = Side::kB}};
  const bool wanted[2] = {options.a_to_b, options.b_to_a};
  for (int i = 0; i < 2; ++i) {
    if (!wanted[i]) continue;
    DirectionRun& r = runs[i];
    const Address sink = path.add_endpoint(r.from == Side::kA ? Side::kB : Side::kA, r.sink);
    r.source.emplace(CbrConfig{
        .dst = sink,
        .packet_size = options.traffic.packet_size,
        .rate = options.traffic.rate,
        .duration = options.duration,
        .on = options.traffic.on,
        .off = options.traffic.off,
    });
    r.source_addr = path.add_endpoint(r.from, *r.source);
  }

  for (Nanos t = sim.now(); t < options.duration;) {
    t = t + kChunk < options.duration ? t + kChunk : options.duration;
    sim.run_until(t);
    if (progress) progress(t, options.duration);
  }
  const bool drained =
      sim.run_until([&] { return path.packets_in_flight() == 0; }, options.duration + kMaxDrain);
  path.finish_stats();

  nlohmann::json directions = nlohmann::json::object();
  for (const DirectionRun& r : runs) {
    if (r.source) directions[r.name] = direction_json(path, r);
  }
  return {
      {"profile", options.profile.name},
      {"profile_source", options.profile.source},
      {"seed", options.seed},
      {"duration_ns", options.duration.ns},
      {"traffic",
       {{"kind", "cbr"},
        {"rate_bps", options.traffic.rate.bps},
        {"packet_bytes", options.traffic.packet_size.n},
        {"on_ns", options.traffic.on.ns},
        {"off_ns", options.traffic.off.ns}}},
      {"drained", drained},
      {"events", sim.events_processed()},
      {"directions", directions},
  };
}

namespace {

std::string ms(const nlohmann::json& ns) {
  return ns.is_null() ? std::string("-") : fmt::format("{:.3f}", ns.get<double>() * 1e-6);
}

std::string mbit(double bps) { return fmt::format("{:.3f} Mbit/s", bps * 1e-6); }

}  // namespace

std::string format_report_table(const nlohmann::json& report) {
  const auto& traffic = report.at("traffic");
  const Nanos on{traffic.at("on_ns").get<int64_t>()};
  const Nanos off{traffic.at("off_ns").get<int64_t>()};
  std::string out = fmt::format(
      "profile {} (seed {}): cbr {} × {} for {}{}{}\n", report.at("profile").get<std::string>(),
      report.at("seed").get<uint64_t>(), format(BitsPerSecond{traffic.at("rate_bps").get<uint64_t>()}),
      format(Bytes{traffic.at("packet_bytes").get<uint64_t>()}), format(Nanos{report.at("duration_ns").get<int64_t>()}),
      on.ns > 0 ? fmt::format(", on {} / off {}", format(on), format(off)) : std::string(),
      report.at("drained").get<bool>() ? "" : " (link not drained: packets still in flight)");
  for (const auto& [name, d] : report.at("directions").items()) {
    const auto& delay = d.at("one_way_delay_ns");
    const auto& bursts = d.at("loss_bursts");
    const auto& drops = d.at("dropped");
    const double sent = d.at("packets_sent").get<double>();
    const double dropped = d.at("packets_dropped").get<double>();
    out += fmt::format("\n{}  (link {}, base delay {} ms)\n", name, mbit(d.at("link_rate_bps").get<double>()),
                       ms(d.at("base_delay_ns")));
    out += fmt::format("  {:<18} {:>12} pkt  {:>16}\n", "offered", d.at("packets_sent").get<uint64_t>(),
                       mbit(d.at("offered_rate_bps").get<double>()));
    out += fmt::format("  {:<18} {:>12} pkt  {:>16}\n", "delivered", d.at("packets_delivered").get<uint64_t>(),
                       mbit(d.at("delivered_rate_bps").get<double>()));
    out += fmt::format("  {:<18} {:>12} pkt  {:>15.4f}%\n", "dropped", d.at("packets_dropped").get<uint64_t>(),
                       sent > 0 ? 100.0 * dropped / sent : 0.0);
    for (const auto& [cause, n] : drops.items()) {
      if (n.get<uint64_t>() != 0) out += fmt::format("    {:<16} {:>12} pkt\n", cause, n.get<uint64_t>());
    }
    out += fmt::format("  {:<18} p50 {}  p90 {}  p99 {}  p99.9 {}  max {}\n", "one-way delay ms", ms(delay.at("p50")),
                       ms(delay.at("p90")), ms(delay.at("p99")), ms(delay.at("p999")), ms(delay.at("max")));
    out += fmt::format("  {:<18} {} bursts, mean {}, p99 {}, max {}\n", "loss bursts (pkt)",
                       bursts.at("count").get<uint64_t>(),
                       bursts.at("mean").is_null() ? "-" : fmt::format("{:.2f}", bursts.at("mean").get<double>()),
                       bursts.at("p99").is_null() ? "-" : bursts.at("p99").dump(),
                       bursts.at("max").is_null() ? "-" : bursts.at("max").dump());
    out += fmt::format("  {:<18} {}   duplicated {}   corrupted {}   CE-marked {}\n", "reordered",
                       d.at("reordered").get<uint64_t>(), d.at("duplicates_delivered").get<uint64_t>(),
                       d.at("corrupted").get<uint64_t>(), d.at("ce_marked").get<uint64_t>());
  }
  return out;
}

}  // namespace lh::sim
