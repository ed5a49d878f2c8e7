// bm_sim.cpp — simulator speed: virtual time simulated per second of wall time.
//
// CBR at 980 Mbit/s of 1500 B packets (~81 700 packets/s) over a 1 Gbit/s, 50 ms one-way path, one
// second of virtual time per iteration; counter `virtual_per_wall` = virtual s / wall s (target ≥ 10:
// a 1 Gbit/s profile previews ten times faster than real time); `virtual_per_cpu` uses this process's
// CPU time instead, the figure to trust on a loaded machine. Variants: size-only packets (what
// lh-linksim sends) and packets carrying real payload bytes (what protocol engines send).
#include <time.h>

#include <chrono>

#include <benchmark/benchmark.h>

#include "emulator/sim/cbr_source.hpp"
#include "emulator/sim/dumbbell.hpp"
#include "emulator/sim/simulator.hpp"

namespace {

// Process CPU time: on a shared machine wall time includes other processes' slices.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

using lh::BitsPerSecond;
using lh::Bytes;
using lh::Nanos;

lh::DirectionConfig path_1g_50ms() {
  lh::DirectionConfig c;
  c.rate = lh::RateConfig{.rate = BitsPerSecond{1'000'000'000}, .overhead = Bytes{24}};
  c.queue = lh::QueueConfig{.limit_time = Nanos::from_ms(50)};
  c.propagation = lh::PropagationConfig{.extra = Nanos::from_ms(50)};
  return c;
}

void run_cbr(benchmark::State& state, bool payload) {
  const lh::DirectionConfig dir = path_1g_50ms();
  lh::sim::Simulator sim;
  lh::sim::Dumbbell path(sim, dir, dir, 1);
  lh::sim::NullSink sink;
  const lh::sim::Address dst = path.add_endpoint(lh::sim::Side::kB, sink);
  lh::sim::CbrSource src(lh::sim::CbrConfig{
      .dst = dst, .packet_size = Bytes{1500}, .rate = BitsPerSecond{980'000'000}, .payload = payload});
  path.add_endpoint(lh::sim::Side::kA, src);

  constexpr Nanos kStep = Nanos::from_s(1);
  sim.run_for(kStep);   // warm-up: fill the pipe and the packet pool
  double virtual_s = 0, wall_s = 0, cpu_s = 0;
  const uint64_t packets_before = sink.received();
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    sim.run_for(kStep);
    cpu_s += cpu_seconds() - c0;
    wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    virtual_s += kStep.seconds();
  }
  state.counters["virtual_per_wall"] = virtual_s / wall_s;
  state.counters["virtual_per_cpu"] = virtual_s / cpu_s;
  state.counters["packets_per_s"] = static_cast<double>(sink.received() - packets_before) / wall_s;
}

void BM_CbrSizeOnly1G50ms(benchmark::State& state) { run_cbr(state, false); }
void BM_CbrPayload1G50ms(benchmark::State& state) { run_cbr(state, true); }

BENCHMARK(BM_CbrSizeOnly1G50ms)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CbrPayload1G50ms)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
