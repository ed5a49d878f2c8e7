// emulator.cpp — pools, ports, workers and reporting of lh-emu (see emulator.hpp).
#include "emulator/dpdk/emulator.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "emulator/dpdk/packet_pool.hpp"
#include "emulator/dpdk/port_setup.hpp"

namespace lh::emu {

std::atomic<bool> g_stop{false};

namespace {

constexpr unsigned kPoolCache = 256;
constexpr int kRealtimePriority = 10;
// Idle sleeps (--idle-sleep): wake this long before a due departure; shorter sleeps spin instead; after
// kBusyPerSleep × idle-sleep of polling without a sleep, yield once (≥ 9% idle: below RT throttling's 5%).
constexpr Nanos kWakeMargin = Nanos::from_us(20);
constexpr Nanos kMinSleep = Nanos::from_us(5);
constexpr int64_t kBusyPerSleep = 10;
// Keep polling this long after the last received frame before an idle sleep (a flow's frames come in
// trains; an af_xdp RX ring drops what is not drained in time).
constexpr Nanos kSpinAfterRx = Nanos::from_us(20);
constexpr Nanos kInstallTimeout = Nanos::from_s(2);
constexpr Nanos kSwapTimeout = Nanos::from_ms(200);
constexpr std::chrono::milliseconds kQuiesceLimit{500};

int worker_main(void* arg) {
  auto& lw = *static_cast<LcoreWork*>(arg);
  auto& work = lw.paths;
  if (lw.realtime) {
    // SCHED_FIFO keeps departure error bounded on a shared machine; the kernel's RT throttling
    // (sched_rt_runtime_us) still leaves the core a slice for everything else.
    sched_param sp{};
    sp.sched_priority = kRealtimePriority;
    if (int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); rc != 0) {
      std::fprintf(stderr, "lh-emu: --realtime: pthread_setschedparam: %s (continuing without)\n", std::strerror(rc));
    }
  }
  // Sleeps are short and must be precise: no timer slack (the kernel already uses none for RT tasks).
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  IdlePolicy idle(lw.idle);
  while (!g_stop.load(std::memory_order_relaxed)) {
    bool received = false;
    uint64_t next_departure = UINT64_MAX;
    for (auto* p : work) {
      const PollOutcome o = p->poll(rte_rdtsc());
      received |= o.received;
      next_departure = std::min(next_departure, o.next_departure_tsc);
    }
    if (const uint64_t ticks = idle.after_poll(rte_rdtsc(), received, next_departure); ticks != 0) {
      const auto ns = static_cast<long>(static_cast<double>(ticks) * lw.ns_per_tick);
      timespec ts{.tv_sec = ns / 1'000'000'000L, .tv_nsec = ns % 1'000'000'000L};
      clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
    }
  }
  return 0;
}

// True when the kernel reserves part of each period for non-RT tasks (the default: 950 ms of 1 s).
bool rt_throttled() {
  std::FILE* f = std::fopen("/proc/sys/kernel/sched_rt_runtime_us", "r");
  if (f == nullptr) return false;
  long runtime = -1;
  const bool ok = std::fscanf(f, "%ld", &runtime) == 1;
  std::fclose(f);
  return ok && runtime >= 0 && runtime < 1'000'000;
}

const char* dir_name(size_t index) { return index % 2 == 0 ? "a_to_b" : "b_to_a"; }

std::string path_name(size_t index) {
  return index < 2 ? dir_name(index) : fmt::format("p{}.{}", index / 2, dir_name(index));
}

}  // namespace

Emulator::Emulator(EmuOptions options, LinkProfile profile)
    : options_(std::move(options)), profile_(std::move(profile)) {
  if (options_.seed != 0) profile_.seed = options_.seed;
  const uint32_t frame = options_.mtu + 14 + 8;
  sizing_ab_ = with_headroom(size_direction(profile_.a_to_b, frame, options_.assume_rate), options_.max_live_delay, frame);
  sizing_ba_ = with_headroom(size_direction(profile_.b_to_a, frame, options_.assume_rate), options_.max_live_delay, frame);
  const uint32_t need = frame + 4 + RTE_PKTMBUF_HEADROOM;
  data_room_ = need <= RTE_MBUF_DEFAULT_BUF_SIZE ? RTE_MBUF_DEFAULT_BUF_SIZE
                                                : std::max<uint32_t>((need + 1023) / 1024 * 1024, kJumboRingFrame + RTE_PKTMBUF_HEADROOM);
}

Emulator::~Emulator() = default;

uint64_t Emulator::needed_bytes(unsigned pairs) const {
  return pairs * (pool_bytes(sizing_ab_.mbufs, data_room_) + pool_bytes(sizing_ba_.mbufs, data_room_));
}

void Emulator::start() {
  const uint16_t nports = port_count();
  if (nports < 2 || nports % 2 != 0) {
    throw std::runtime_error(fmt::format(
        "lh-emu: found {} ports; need an even number >= 2 (paired 0<->1, 2<->3, ...): add --vdev or -a, or use "
        "--iface-a/--iface-b (a --vdev on a missing interface fails to probe: see the EAL lines above)",
        nports));
  }
  const unsigned pairs = nports / 2;
  const int socket = static_cast<int>(rte_socket_id());
  for (unsigned d = 0; d < 2 * pairs; ++d) {
    // Pool d is port d's RX pool; an af_xdp port registers it as its UMEM (packet_pool.hpp). When both
    // ports of a pair are af_xdp they share one pool (sized for both directions), as testpmd's ports
    // do: the PMD then transmits a received frame in place instead of copying it into a buffer of
    // the TX port's pool.
    const bool xdp_pair = is_af_xdp(static_cast<uint16_t>(d & ~1u)) && is_af_xdp(static_cast<uint16_t>(d | 1u));
    if (xdp_pair && d % 2 == 1) {
      pools_.push_back(pools_.back());
      pool_sizes_.push_back(pool_sizes_.back());
      continue;
    }
    const uint64_t mbufs = xdp_pair ? sizing(true).mbufs + sizing(false).mbufs : sizing(d % 2 == 0).mbufs;
    const PacketPoolSpec spec{.name = fmt::format("lh_pool_{}", d), .mbufs = mbufs, .data_room = data_room_,
                              .cache = kPoolCache, .socket = socket, .umem = is_af_xdp(static_cast<uint16_t>(d))};
    rte_mempool* pool = nullptr;
    try {
      pool = create_packet_pool(spec);
    } catch (const PoolMemoryError& e) {
      throw std::runtime_error(fmt::format("{} ({}): the profile needs {} MiB of packet buffers in total; give more memory (-m {})",
                                           e.what(), path_name(d), needed_bytes(pairs) >> 20,
                                           (needed_bytes(pairs) >> 20) + kEalOverheadMib));
    }
    pools_.push_back(pool);
    pool_sizes_.push_back(mbufs);
  }
  for (uint16_t p = 0; p < nports; ++p) {
    const PortInfo info = setup_port(p, pools_[p], data_room_, options_.mtu);
    ports_.push_back({{"port", info.port}, {"name", info.name}, {"driver", info.driver}, {"mtu", info.mtu},
                      {"scatter", info.scatter}});
  }

  // What the PMDs keep from the start (af_xdp pre-fills its fill ring and never gives it back):
  // the leak check at exit is relative to this.
  for (auto* pool : pools_) pool_free_at_start_.push_back(rte_mempool_avail_count(pool));
  start_tsc_ = rte_rdtsc();
  for (unsigned d = 0; d < 2 * pairs; ++d) {
    const bool ab = d % 2 == 0;
    const uint16_t rx = static_cast<uint16_t>(d);
    const uint16_t tx = static_cast<uint16_t>(ab ? d + 1 : d - 1);
    auto model = std::make_unique<LinkDirection>(ab ? profile_.a_to_b : profile_.b_to_a, profile_.seed, d, Nanos{0});
    DirectionPathConfig cfg{.name = path_name(d), .rx_port = rx, .tx_port = tx, .pool = pools_[d],
                            .capacity = pool_sizes_[d], .clock = clock_, .start_tsc = start_tsc_,
                            .changes = &changes_};
    paths_.push_back(std::make_unique<DirectionPath>(std::move(cfg), std::move(model)));
    DirectionReport r;
    r.name = path_name(d);
    reports_.push_back(std::move(r));
  }

  std::vector<unsigned> workers;
  unsigned lc;
  RTE_LCORE_FOREACH_WORKER(lc) workers.push_back(lc);
  // With a single lcore the datapath runs on the main lcore and reporting moves to a thread
  // (run_until_stopped).
  const size_t used = workers.empty() ? 1 : std::min(workers.size(), paths_.size());
  lcore_work_.assign(used, {});
  const bool realtime = options_.realtime && rt_throttled();
  if (options_.realtime && !realtime) {
    std::fprintf(stderr, "lh-emu: --realtime ignored: RT throttling is off (kernel.sched_rt_runtime_us), a busy-polling "
                         "SCHED_FIFO worker would starve its core\n");
  }
  if (realtime && options_.idle_sleep.ns == 0) {
    std::fprintf(stderr, "lh-emu: --realtime with --idle-sleep 0: the kernel's RT throttling will freeze the busy-polling "
                         "worker for (sched_rt_period_us - sched_rt_runtime_us) of every period\n");
  }
  const IdlePolicyConfig idle{.max_sleep = clock_.ns_to_ticks(options_.idle_sleep),
                              .wake_margin = clock_.ns_to_ticks(kWakeMargin),
                              .min_sleep = clock_.ns_to_ticks(kMinSleep),
                              .max_busy = clock_.ns_to_ticks(Nanos{options_.idle_sleep.ns * kBusyPerSleep}),
                              .spin_after_rx = clock_.ns_to_ticks(kSpinAfterRx)};
  for (auto& lw : lcore_work_) {
    lw.realtime = realtime;
    lw.idle = idle;
    lw.ns_per_tick = 1e9 / static_cast<double>(clock_.ticks_per_second());
  }
  for (size_t d = 0; d < paths_.size(); ++d) lcore_work_[d % used].paths.push_back(paths_[d].get());
  main_lcore_datapath_ = workers.empty();
  for (size_t w = 0; w < used && !main_lcore_datapath_; ++w) {
    if (int rc = rte_eal_remote_launch(worker_main, &lcore_work_[w], workers[w]); rc != 0) {
      throw std::runtime_error(fmt::format("rte_eal_remote_launch(lcore {}): {}", workers[w], rc));
    }
  }
  launched_ = true;
}

void Emulator::collect(size_t i, DirectionReport& into, bool into_interval) {
  HistogramPair& h = paths_[i]->histograms();
  const uint32_t req = h.request.load(std::memory_order_relaxed) + 1;
  h.request.store(req, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(kSwapTimeout.ns);
  bool swapped = true;
  while (h.ack.load(std::memory_order_acquire) != req) {
    if (!launched_ || std::chrono::steady_clock::now() > deadline) {
      swapped = false;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  const uint32_t retired = (req - 1) & 1u;
  DirectionReport& cum = reports_[i];
  auto absorb = [&](int b) {
    cum.added_delay.merge(h.added_delay[b]);
    cum.departure_error.merge(h.departure_error[b]);
    cum.interval_added.merge(h.added_delay[b]);
    cum.interval_error.merge(h.departure_error[b]);
    h.added_delay[b].reset();
    h.departure_error[b].reset();
  };
  if (swapped) {
    absorb(static_cast<int>(retired));
  } else {
    // The worker is gone (or stuck): nothing records any more, so both buffers are ours.
    h.request.store(req - 1, std::memory_order_release);
    absorb(0);
    absorb(1);
  }
  if (into_interval) {
    into.interval_added = cum.interval_added;
    into.interval_error = cum.interval_error;
    cum.interval_added.reset();
    cum.interval_error.reset();
  }
  cum.values = paths_[i]->stats();
  // The port's own receive drops (no buffer, ring full) belong to the direction it feeds.
  if (i < ports_.size()) {
    const PortErrors e = port_errors(paths_[i]->config().rx_port);
    cum.values.dropped[static_cast<size_t>(EmuDrop::kRxNoMbuf)] = e.rx_nombuf;
    cum.values.dropped[static_cast<size_t>(EmuDrop::kRxMissed)] = e.imissed;
  }
  into.name = cum.name;
  into.values = cum.values;
  into.added_delay = cum.added_delay;
  into.departure_error = cum.departure_error;
}

std::vector<DirectionReport> Emulator::snapshot(bool take_interval) {
  std::lock_guard lock(collect_mutex_);
  std::vector<DirectionReport> out(paths_.size());
  for (size_t i = 0; i < paths_.size(); ++i) collect(i, out[i], take_interval);
  return out;
}

Nanos Emulator::uptime() const { return clock_.ticks_to_ns(rte_rdtsc() - start_tsc_); }

nlohmann::json Emulator::direction_json(const DirectionReport& r, const DirectionReport* prev, double dt_s,
                                        bool final_view) const {
  const StatsValues& v = r.values;
  nlohmann::json j = to_json(v);   // the keys of the control API's /stats (emulator/stats)
  j["dropped_total"] = total_dropped(v);
  if (prev != nullptr && dt_s > 0) {
    j["rx_bps"] = static_cast<double>(v.bytes_in - prev->values.bytes_in) * 8 / dt_s;
    j["tx_bps"] = static_cast<double>(v.bytes_out - prev->values.bytes_out) * 8 / dt_s;
  }
  if (final_view) {
    j["added_delay_ns"] = r.added_delay.to_json();
    j["departure_error_ns"] = r.departure_error.to_json();
  } else {
    j["added_delay_ns"] = r.interval_added.to_json();
    j["departure_error_ns"] = r.interval_error.to_json();
  }
  return j;
}

void Emulator::print_live(const std::vector<DirectionReport>& now, const std::vector<DirectionReport>& prev,
                          double dt_s) const {
  std::string line;
  for (size_t i = 0; i < now.size() && i < 2; ++i) {
    const StatsValues& v = now[i].values;
    const StatsValues& p = prev[i].values;
    uint64_t drops = 0, pdrops = 0;
    drops = total_dropped(v), pdrops = total_dropped(p);
    line += fmt::format("{} {:8.1f} Mbit/s {:7.0f} pkt/s drop {:5} q {:6.2f}ms delay p50 {:7.2f}ms  ",
                        i == 0 ? "a>b" : "b>a", static_cast<double>(v.bytes_out - p.bytes_out) * 8e-6 / dt_s,
                        static_cast<double>(v.packets_out - p.packets_out) / dt_s, drops - pdrops,
                        static_cast<double>(v.queue_delay_ns) * 1e-6,
                        static_cast<double>(now[i].interval_added.percentile(50)) * 1e-6);
  }
  std::fprintf(stderr, "\r%s", line.c_str());
  std::fflush(stderr);
}

void Emulator::run_until_stopped() {
  if (main_lcore_datapath_) {
    std::thread reporter([this] { report_until_stopped(); });
    worker_main(&lcore_work_[0]);
    reporter.join();
    return;
  }
  report_until_stopped();
}

void Emulator::report_until_stopped() {
  const bool live = options_.live_view && ::isatty(STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  const auto interval = std::chrono::nanoseconds(options_.stats_interval.ns > 0 ? options_.stats_interval.ns
                                                                                 : Nanos::from_s(1).ns);
  auto next = t0 + interval;
  std::vector<DirectionReport> prev = snapshot(true);
  while (!g_stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (options_.duration.ns > 0 && now - t0 >= std::chrono::nanoseconds(options_.duration.ns)) break;
    if (now < next) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(next - now, std::chrono::milliseconds(20)));
      continue;
    }
    next += interval;
    std::vector<DirectionReport> cur = snapshot(true);
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    if (options_.stats_interval.ns > 0 && !options_.quiet) {
      nlohmann::json j = {{"type", "interval"}, {"t_s", std::chrono::duration<double>(now - t0).count()},
                          {"profile", profile().name}};
      for (size_t i = 0; i < cur.size(); ++i) j["directions"][cur[i].name] = direction_json(cur[i], &prev[i], dt, false);
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
    }
    if (live) print_live(cur, prev, dt);
    prev = std::move(cur);
  }
  g_stop.store(true);   // --duration: the workers stop too
  if (live) std::fprintf(stderr, "\n");
}

bool Emulator::finish() {
  g_stop.store(true);
  if (launched_ && !main_lcore_datapath_) rte_eal_mp_wait_lcore();
  launched_ = false;
  std::vector<uint64_t> in_ring(paths_.size());
  for (size_t i = 0; i < paths_.size(); ++i) in_ring[i] = paths_[i]->drain();
  std::vector<DirectionReport> fin = snapshot(true);
  std::vector<PortErrors> errors;
  for (uint16_t p = 0; p < ports_.size(); ++p) errors.push_back(port_errors(p));
  // The leak check compares each pool's free count with the one after setup (the PMDs' RX rings
  // filled). It is taken with the ports still open but quiesced: closing does not give every PMD's
  // buffers back (af_xdp keeps its fill and completion rings' frames), while a quiesced port holds
  // exactly its RX ring again, so any difference is a buffer the datapath lost.
  const bool quiet_ports = quiesce_ports(static_cast<uint16_t>(ports_.size()), pools_, kQuiesceLimit);
  std::vector<unsigned> avail_at_end;
  for (auto* pool : pools_) avail_at_end.push_back(rte_mempool_avail_count(pool));
  for (uint16_t p = 0; p < ports_.size(); ++p) close_port(p);
  nlohmann::json j = {{"type", "summary"}, {"uptime_s", uptime().seconds()}, {"profile", profile().name}};
  bool clean = true;
  for (size_t i = 0; i < fin.size(); ++i) {
    nlohmann::json d = direction_json(fin[i], nullptr, 0, true);
    d["in_ring_at_shutdown"] = in_ring[i];
    const unsigned avail = avail_at_end[i];
    const uint64_t held_by_pmd = pool_sizes_[i] - pool_free_at_start_[i];
    const uint64_t leaked = avail < pool_free_at_start_[i] ? pool_free_at_start_[i] - avail : 0;
    if (leaked != 0) clean = false;
    d["mempool"] = {{"size", pool_sizes_[i]}, {"free", avail}, {"held_by_pmd", held_by_pmd}, {"leaked", leaked},
                    {"settled", quiet_ports}, {"shared_with_pair", pools_[i] == pools_[i ^ 1u]}};
    j["directions"][fin[i].name] = d;
  }
  for (size_t p = 0; p < ports_.size(); ++p) {
    nlohmann::json pj = ports_[p];
    pj["rx_nombuf"] = errors[p].rx_nombuf;
    pj["imissed"] = errors[p].imissed;
    pj["ierrors"] = errors[p].ierrors;
    pj["oerrors"] = errors[p].oerrors;
    j["ports"].push_back(pj);
  }
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
  for (size_t i = 0; i < pools_.size(); ++i) {
    if (i % 2 == 0 || pools_[i] != pools_[i - 1]) rte_mempool_free(pools_[i]);   // a shared pool once
  }
  pools_.clear();
  return clean;
}

void Emulator::abort() noexcept {
  g_stop.store(true);
  if (launched_ && !main_lcore_datapath_) rte_eal_mp_wait_lcore();
  launched_ = false;
  for (auto& p : paths_) p->drain();
  for (uint16_t p = 0; p < ports_.size(); ++p) close_port(p);
  ports_.clear();
}

LinkProfile Emulator::profile() const {
  std::lock_guard lock(profile_mutex_);
  return profile_;
}

void Emulator::check_fits(size_t d, const DirectionConfig& dir, const DirectionConfig& other) const {
  const uint32_t frame = options_.mtu + 14 + 8;
  const bool shared = pools_[d & ~size_t{1}] == pools_[d | size_t{1}];   // an af_xdp pair: one pool for both
  const DirectionSizing need = size_direction(dir, frame, options_.assume_rate);
  const uint64_t mbufs = need.mbufs + (shared ? size_direction(other, frame, options_.assume_rate).mbufs : 0);
  if (mbufs <= pool_sizes_[d]) return;
  const uint64_t room = shared ? pool_sizes_[d] - std::min(pool_sizes_[d], mbufs - need.mbufs) : pool_sizes_[d];
  throw std::invalid_argument(fmt::format(
      "{} needs {} packet buffers ({}) but its pool, sized when lh-emu started, holds {}: at {} it holds at most "
      "{} of delay + queue; start lh-emu with --max-live-delay (or with this profile) to size the pools for it",
      path_name(d), mbufs, describe(need, path_name(d).c_str()), pool_sizes_[d], format(need.peak_rate),
      format(Nanos::from_ms(max_hold_time(room, frame, need.peak_rate).ns / 1'000'000))));
}

bool Emulator::commit(const std::vector<size_t>& paths, std::vector<std::unique_ptr<DirectionChange>> parts) {
  std::vector<LiveSlot<DirectionChange>*> slots;
  for (size_t d : paths) {
    paths_[d]->reclaim();   // what the last change replaced
    slots.push_back(&paths_[d]->slot());
  }
  switch (change_all(changes_, slots, std::move(parts), kInstallTimeout)) {
    case ChangeResult::kCommitted:
      for (size_t d : paths) paths_[d]->reclaim();
      return true;
    case ChangeResult::kRefused:
      return false;
    case ChangeResult::kTimedOut:
      break;
  }
  throw LiveChangeUnavailable(fmt::format("the datapath did not answer within {}; nothing was changed",
                                          format(kInstallTimeout)));
}

void Emulator::apply_direction(bool a_to_b, const DirectionConfig& dir) {
  LinkProfile next = profile();
  (a_to_b ? next.a_to_b : next.b_to_a) = dir;
  // Build every model first (a bad config throws before anything changes).
  std::vector<size_t> paths;
  std::vector<std::unique_ptr<DirectionChange>> parts;
  for (size_t d = a_to_b ? 0 : 1; d < paths_.size(); d += 2) {
    check_fits(d, dir, a_to_b ? next.b_to_a : next.a_to_b);
    paths.push_back(d);
    parts.push_back(std::make_unique<DirectionChange>(
        DirectionChange{std::make_unique<LinkDirection>(dir, next.seed, d, Nanos{0}), std::nullopt}));
  }
  commit(paths, std::move(parts));
  std::lock_guard lock(profile_mutex_);
  profile_ = std::move(next);
}

void Emulator::apply_profile(const LinkProfile& next) {
  std::vector<size_t> paths;
  std::vector<std::unique_ptr<DirectionChange>> parts;
  for (size_t d = 0; d < paths_.size(); ++d) {
    const bool ab = d % 2 == 0;
    check_fits(d, ab ? next.a_to_b : next.b_to_a, ab ? next.b_to_a : next.a_to_b);
    paths.push_back(d);
    parts.push_back(std::make_unique<DirectionChange>(
        DirectionChange{std::make_unique<LinkDirection>(ab ? next.a_to_b : next.b_to_a, next.seed, d, Nanos{0}),
                        std::nullopt}));
  }
  commit(paths, std::move(parts));
  std::lock_guard lock(profile_mutex_);
  profile_ = next;
}

bool Emulator::inject_event(bool a_to_b, LinkEvent event, bool relative_to_now) {
  return inject_events(a_to_b, !a_to_b, event, relative_to_now);
}

bool Emulator::inject_events(bool a_to_b, bool b_to_a, LinkEvent event, bool relative_to_now) {
  if (relative_to_now) event.at += uptime();
  std::vector<size_t> paths;
  std::vector<std::unique_ptr<DirectionChange>> parts;
  for (size_t d = 0; d < paths_.size(); ++d) {
    if (d % 2 == 0 ? !a_to_b : !b_to_a) continue;
    paths.push_back(d);
    parts.push_back(std::make_unique<DirectionChange>(DirectionChange{nullptr, event}));
  }
  return commit(paths, std::move(parts));
}

nlohmann::json Emulator::info() const {
  nlohmann::json j = {{"ports", ports_}, {"workers", lcore_work_.size()}};
  return j;
}

}  // namespace lh::emu
