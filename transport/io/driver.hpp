// driver.hpp — the real-time event loop that drives a sans-IO datagram engine over a UdpRing.
//
// Each turn: fire the engine's timer if due, pull up to `tx_batch` datagrams from poll_transmit into
// ring slots (flush() makes GSO batches of equal-size runs to one peer), then sleep in io_uring until
// a datagram arrives, the engine's next deadline (io_uring wait with timeout — no timer thread;
// deadlines closer than min_sleep are coalesced), or — only when every slot is busy — a send
// completes; then feed every received datagram to on_datagram with a fresh `now`. One thread
// drives one ring; the engine demultiplexes its connections itself. An engine with after_turn(now)
// has it called at the end of every turn (observers such as the qlog recorder; never per datagram). Templated on the engine and the
// clock (src/clock.hpp), so the hot loop has no virtual calls.
#pragma once

#include <time.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "src/clock.hpp"
#include "src/realtime.hpp"
#include "src/units.hpp"
#include "transport/io/cpu_budget.hpp"
#include "transport/io/socket_addr.hpp"
#include "transport/io/udp_ring.hpp"

namespace lh::xport::io {

// What the driver needs from a protocol engine. `now` is the clock's time in ns; poll_transmit writes
// one datagram into `out` (returning its size, 0 when it has nothing to send now) and its destination
// into `to`; next_timeout is an absolute deadline (Nanos::max() when none).
template <typename E>
concept DatagramEngine = requires(E& e, std::span<const uint8_t> in, const SocketAddr& from, Nanos now,
                                  std::span<uint8_t> out, SocketAddr& to) {
  e.on_datagram(in, from, now);
  { e.poll_transmit(now, out, to) } -> std::convertible_to<size_t>;
  { e.next_timeout() } -> std::convertible_to<Nanos>;
  e.on_timeout(now);
};

struct DriverConfig {
  uint32_t tx_batch = 64;                  // datagrams pulled from the engine per turn
  Nanos max_wait = Nanos::from_ms(50);     // longest single sleep (bounds reaction to run_until's predicate)
  // Timer coalescing: a deadline closer than this is slept to this instead. A pacer releasing one
  // datagram every few µs would otherwise cost a wake-up per datagram; sleeping a little longer lets
  // its burst allowance accumulate into one GSO batch. Received datagrams still wake the loop at
  // once; only timer-driven work (pacing, ACK delay, loss timers) may run up to this late.
  Nanos min_sleep = Nanos::from_us(50);
  // For a SCHED_FIFO loop (lh-xfer --realtime): above this share of CPU time per 10 ms window the
  // loop pauses (cpu_budget.hpp), so RT throttling never freezes it. 1.0 = no budget (the default).
  double max_cpu_share = 1.0;
};

struct DriverStats {
  uint64_t turns = 0;
  uint64_t timeouts_fired = 0;
  uint64_t datagrams_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t tx_slot_stalls = 0;  // turns that stopped pulling because every ring slot was busy
  uint64_t budget_pauses = 0;   // pauses the CPU budget imposed (max_cpu_share < 1)
};

template <DatagramEngine E, Clock C = MonotonicClock>
class Driver {
 public:
  Driver(UdpRing& ring, E& engine, C clock = C{}, DriverConfig config = {})
      : ring_(ring), engine_(engine), clock_(clock), config_(config),
        budget_(Nanos::from_ms(10), config.max_cpu_share) {
    if (config_.max_cpu_share < 1.0) budget_.start(clock_.now(), Nanos{thread_cpu_ns()});
  }

  Nanos now() const { return clock_.now(); }
  E& engine() { return engine_; }
  UdpRing& ring() { return ring_; }
  const DriverStats& stats() const { return stats_; }

  // One turn of the loop, sleeping at most `max_wait` (<= 0: never sleep).
  void run_once(Nanos max_wait) {
    ++stats_.turns;
    Nanos t = clock_.now();
    if (config_.max_cpu_share < 1.0 && budget_.due(t)) {
      const Nanos pause = budget_.close_window(t, Nanos{thread_cpu_ns()});
      if (pause.ns > 0) {
        ++stats_.budget_pauses;
        const timespec ts{static_cast<time_t>(pause.ns / 1'000'000'000), static_cast<long>(pause.ns % 1'000'000'000)};
        nanosleep(&ts, nullptr);
        t = clock_.now();
      }
    }
    if (engine_.next_timeout() <= t) {
      engine_.on_timeout(t);
      ++stats_.timeouts_fired;
    }
    const bool more = transmit(t);
    ring_.flush();
    Nanos wait{0};
    if (!more || ring_.tx_free() == 0) {
      // Nothing more to send now (or no slot to send it from): sleep until the engine's deadline,
      // a datagram, or (out of slots) a send completion.
      const Nanos deadline = engine_.next_timeout();
      t = clock_.now();
      // Compare before subtracting: engines may report "now" as a deadline far in the past.
      wait = deadline <= t ? Nanos{0} : std::min(std::max(deadline - t, config_.min_sleep), max_wait);
    }
    const std::span<const RxDatagram> rx = ring_.poll(wait, ring_.tx_free() == 0);
    if (!rx.empty()) {
      t = clock_.now();
      for (const RxDatagram& d : rx) engine_.on_datagram(d.data, *d.from, t);
      stats_.datagrams_in += rx.size();
      ring_.release_received();
    }
    if constexpr (requires { engine_.after_turn(t); }) engine_.after_turn(t);
  }

  // Turns the loop until done() holds (checked every turn) or the clock passes `deadline`.
  // Returns done().
  template <std::predicate P>
  bool run_until(P&& done, Nanos deadline) {
    while (!done()) {
      const Nanos t = clock_.now();
      if (t >= deadline) return done();
      run_once(std::min(config_.max_wait, deadline - t));
    }
    return true;
  }

 private:
  // Pulls datagrams from the engine into ring slots. Returns true when it stopped for lack of batch
  // room or slots (the engine may have more), false when the engine had nothing more to send.
  bool transmit(Nanos t) {
    for (uint32_t n = 0; n < config_.tx_batch; ++n) {
      const std::span<uint8_t> buf = ring_.tx_buffer();
      if (buf.empty()) {
        ++stats_.tx_slot_stalls;
        return true;
      }
      const size_t len = engine_.poll_transmit(t, buf, to_);
      if (len == 0) return false;
      ring_.tx_commit(len, to_);
      ++stats_.datagrams_out;
    }
    return true;
  }

  UdpRing& ring_;
  E& engine_;
  C clock_;
  DriverConfig config_;
  CpuBudget budget_;
  DriverStats stats_;
  SocketAddr to_;
};

}  // namespace lh::xport::io
