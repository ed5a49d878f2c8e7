// bm_link_direction.cpp — ns per packet through one LinkDirection (the emulator's per-packet cost).
//
// Two configurations: every stage on (10 Gbit/s rate + 2 ms drop-tail queue + Gilbert–Elliott loss
// + 4000 km propagation + correlated normal jitter), and FIFO delay only. Arrivals are spaced to load
// the bottleneck at ~94%, so the queue stage sees a live backlog. Reports items_per_second (= packets
// per second on one core). Not a test: run by hand, compare the two lines of one invocation.
#include <benchmark/benchmark.h>

#include "emulator/model/link_direction.hpp"

namespace {

using namespace lh;
using namespace lh::emu;

DirectionConfig all_stages() {
  return {.rate = {.rate = BitsPerSecond{10'000'000'000}},
          .queue = {.limit_time = Nanos::from_ms(2)},
          .loss = GilbertElliottLoss{.p = Probability::from_double(0.001), .r = Probability::from_double(0.3),
                                     .loss_bad = Probability::from_double(0.5),
                                     .loss_good = Probability::from_double(0.0001)},
          .propagation = {.distance = Km::from_km(4000)},
          .jitter = {.distribution = JitterDistribution::kNormal, .jitter = Nanos::from_us(50),
                     .correlation = 0.5}};
}

DirectionConfig fifo_delay_only() { return {.propagation = {.distance = Km::from_km(4000)}}; }

void run(benchmark::State& state, const DirectionConfig& cfg) {
  LinkDirection link(cfg, 1, 0, Nanos{0});
  PacketMeta pkt{.arrival = Nanos{0}, .wire_bytes = 1500};
  for (auto _ : state) {
    pkt.arrival.ns += 1'300;   // 1524 B at 10 Gbit/s = 1219.2 ns: ~94% load
    benchmark::DoNotOptimize(link.on_packet(pkt));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["delivered_frac"] =
      static_cast<double>(link.counters().packets_delivered) / static_cast<double>(link.counters().packets_in);
}

void BM_AllStages(benchmark::State& state) { run(state, all_stages()); }
void BM_FifoDelayOnly(benchmark::State& state) { run(state, fifo_delay_only()); }

BENCHMARK(BM_AllStages);
BENCHMARK(BM_FifoDelayOnly);

}  // namespace

BENCHMARK_MAIN();
