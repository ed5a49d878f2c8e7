// emulator.hpp — lh-emu's process: EAL, mempools sized from the profile, port pairs, workers, stats.
//
// Lifetime: Emulator::start() (after EAL init) sets up ports 0⇄1, 2⇄3, ... with one mempool per
// direction (one per pair when both are af_xdp: packet_pool.hpp) and launches the worker lcores (one per direction where there are enough, else several
// directions share one); run_until_stopped() reports stats on the main thread until SIGINT/SIGTERM
// or --duration; finish() stops the workers, frees what is still queued, closes the ports and
// writes the final summary (with each mempool's free count, so leaks show). Live changes go through
// apply_profile()/patch_direction()/inject_event() from the control thread (serialized by it).
// No DPDK types in this header.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/dpdk/buffer_sizing.hpp"
#include "emulator/dpdk/direction_path.hpp"
#include "emulator/dpdk/idle_policy.hpp"
#include "emulator/dpdk/emu_options.hpp"
#include "src/histogram.hpp"
#include "src/link_profile.hpp"

struct rte_mempool;

namespace lh::emu {

// Set by the signal handler; polled by workers and the stats loop.
extern std::atomic<bool> g_stop;

// Cumulative + per-interval view of one direction, assembled by the reader side.
struct DirectionReport {
  std::string name;
  StatsValues values;
  Histogram added_delay{HistogramPair::kHighest}, departure_error{HistogramPair::kHighest};
  Histogram interval_added{HistogramPair::kHighest}, interval_error{HistogramPair::kHighest};
};

// What one worker lcore polls.
struct LcoreWork {
  std::vector<DirectionPath*> paths;
  bool realtime = false;
  IdlePolicyConfig idle;   // when the worker may sleep between polls (--idle-sleep)
  double ns_per_tick = 1;
};

// A live change could not be made now (a worker did not answer in time); nothing changed.
class LiveChangeUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Emulator {
 public:
  Emulator(EmuOptions options, LinkProfile profile);
  ~Emulator();

  // Memory the pools need for `pairs` port pairs (bytes), and the per-direction sizing.
  uint64_t needed_bytes(unsigned pairs) const;
  const DirectionSizing& sizing(bool a_to_b) const { return a_to_b ? sizing_ab_ : sizing_ba_; }
  uint32_t data_room() const { return data_room_; }

  // After rte_eal_init: pools, ports, models; launches workers. Throws std::runtime_error.
  void start();
  // Main thread: JSON lines every stats interval (and the stderr live view) until g_stop.
  void run_until_stopped();
  // Stops workers, drains, closes ports, prints the summary. Returns false if mbufs leaked.
  bool finish();

  // ---- control thread -------------------------------------------------------------------------
  LinkProfile profile() const;
  // Builds new models off the datapath and hands them to the workers as one change (live_change.hpp):
  // every affected direction takes it, or none does. Throws std::invalid_argument if the model
  // refuses the config or the packet pools sized at start cannot hold what it keeps in flight
  // (naming the largest delay + queue they hold), LiveChangeUnavailable if a worker does not answer
  // in time (then nothing changed).
  void apply_profile(const LinkProfile& next);
  void apply_direction(bool a_to_b, const DirectionConfig& dir);
  // `relative_to_now` false: event.at is absolute model time; true: relative to now. All affected
  // directions take it or none: false when one's event table is full; LiveChangeUnavailable on timeout.
  bool inject_event(bool a_to_b, LinkEvent event, bool relative_to_now);
  // The same for events of both directions at once.
  bool inject_events(bool a_to_b, bool b_to_a, LinkEvent event, bool relative_to_now);
  // A snapshot of every direction (cumulative histograms; with `take_interval`, also the interval
  // histograms since the last such call, which it resets: the stats loop's view). Thread-safe.
  std::vector<DirectionReport> snapshot(bool take_interval);
  // Error path: stops workers and closes ports without a summary. Never throws.
  void abort() noexcept;
  Nanos uptime() const;
  nlohmann::json info() const;

 private:
  struct Pair;
  void collect(size_t index, DirectionReport& into, bool into_interval);
  // Throws std::invalid_argument when path d's pool cannot hold `dir` (see apply_profile).
  void check_fits(size_t d, const DirectionConfig& dir, const DirectionConfig& other) const;
  // One live change over `paths` (their parts in the same order); false when refused.
  bool commit(const std::vector<size_t>& paths, std::vector<std::unique_ptr<DirectionChange>> parts);
  nlohmann::json direction_json(const DirectionReport& r, const DirectionReport* previous, double dt_s, bool final_view) const;
  void report_until_stopped();
  void print_live(const std::vector<DirectionReport>& now, const std::vector<DirectionReport>& prev, double dt_s) const;

  EmuOptions options_;
  LinkProfile profile_;
  mutable std::mutex profile_mutex_;
  DirectionSizing sizing_ab_, sizing_ba_;
  uint32_t data_room_;
  std::vector<rte_mempool*> pools_;                 // one per direction (an af_xdp pair shares one)
  std::vector<uint64_t> pool_sizes_;
  std::vector<uint64_t> pool_free_at_start_;       // after the ports started
  std::vector<std::unique_ptr<DirectionPath>> paths_;   // 2 per pair: a_to_b, b_to_a
  std::vector<nlohmann::json> ports_;
  std::vector<LcoreWork> lcore_work_;
  uint64_t start_tsc_ = 0;
  TscClock clock_;
  ChangeClock changes_;                             // live changes' generations (live_change.hpp)
  bool launched_ = false;
  bool main_lcore_datapath_ = false;                // one lcore only: the datapath runs in run_until_stopped()
  std::mutex collect_mutex_;
  std::vector<DirectionReport> reports_;            // cumulative, owned by collect()
};

}  // namespace lh::emu
