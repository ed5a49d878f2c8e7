// direction_path.cpp — the per-direction datapath of lh-emu (see direction_path.hpp).
#include "emulator/dpdk/direction_path.hpp"

#include <thread>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "emulator/dpdk/frame_edit.hpp"

namespace lh::emu {

namespace {

// Counters are published this often (readers see values at most this old).
constexpr Nanos kPublishPeriod = Nanos::from_ms(1);
// A frame the TX queue keeps refusing for this long after its departure time is dropped (tx_full).
constexpr Nanos kTxGiveUp = Nanos::from_ms(10);

rte_mbuf* as_mbuf(void* p) noexcept { return static_cast<rte_mbuf*>(p); }

// Flips bit `bit` of the frame (bit 0 = MSB of byte 0), walking segments.
void flip_bit(rte_mbuf* m, uint32_t bit) noexcept {
  uint32_t byte = bit / 8;
  for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
    if (byte < seg->data_len) {
      rte_pktmbuf_mtod(seg, uint8_t*)[byte] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
      return;
    }
    byte -= seg->data_len;
  }
}

}  // namespace

DirectionPath::DirectionPath(DirectionPathConfig config, std::unique_ptr<LinkDirection> model)
    : config_(std::move(config)),
      model_(model.release()),
      reordering_(model_->config().jitter.mode == JitterMode::kReordering),
      ring_(config_.capacity),
      heap_(config_.capacity),
      publish_ticks_(config_.clock.ns_to_ticks(kPublishPeriod)),
      tx_give_up_ticks_(config_.clock.ns_to_ticks(kTxGiveUp)) {}

DirectionPath::~DirectionPath() {
  delete retired_.exchange(nullptr);
  delete model_;
}

void DirectionPath::switch_queue_kind(bool reordering) noexcept {
  if (reordering == reordering_) return;
  // Move the waiting packets across; both structures were sized for the whole pool at setup.
  if (reordering) {
    while (!ring_.empty()) {
      heap_.push(ring_.top());
      ring_.pop();
    }
  } else {
    while (!heap_.empty()) {
      Queued q = heap_.top();
      heap_.pop();
      if (q.depart_tsc < last_depart_tsc_) q.depart_tsc = last_depart_tsc_;
      last_depart_tsc_ = q.depart_tsc;
      ring_.push(q);
    }
  }
  reordering_ = reordering;
}

void DirectionPath::adopt_pending() noexcept {
  // The model the last change replaced must be reclaimed (by the control thread) before the next.
  if (retired_.load(std::memory_order_acquire) == nullptr) {
    const auto accept = [this](const DirectionChange& c) { return !c.event || model_->can_inject_event(*c.event); };
    if (DirectionChange* c = slot_.poll(*config_.changes, accept)) {
      if (c->model) {
        c->model->take_over(*model_);
        LinkDirection* next = c->model.release();
        c->model.reset(model_);   // the replaced model goes back with the change, to be freed off the datapath
        model_ = next;
        switch_queue_kind(model_->config().jitter.mode == JitterMode::kReordering);
        ++local_.profile_changes;
      }
      if (c->event) model_->inject_event(*c->event);   // accepted above: it fits
      retired_.store(c, std::memory_order_release);
    }
  }
  const uint32_t req = hist_.request.load(std::memory_order_acquire);
  if (req != hist_.ack.load(std::memory_order_relaxed)) {
    active_hist_ = req & 1u;
    hist_.ack.store(req, std::memory_order_release);
  }
}

void DirectionPath::enqueue(void* mbuf, Nanos depart, uint64_t arrival_tsc, uint32_t len) noexcept {
  Queued q{.pkt = mbuf,
           .depart_tsc = config_.start_tsc + config_.clock.ns_to_ticks(depart),
           .arrival_tsc = arrival_tsc,
           .seq = seq_++,
           .len = len};
  bool ok;
  if (reordering_) {
    ok = heap_.push(q);
  } else {
    // Order-preserving: the model's departures are non-decreasing; clamp rounding (and a duplicate
    // scheduled before its original) so the FIFO head is always the next due.
    if (q.depart_tsc < last_depart_tsc_) q.depart_tsc = last_depart_tsc_;
    ok = ring_.push(q);
    if (ok) last_depart_tsc_ = q.depart_tsc;
  }
  if (!ok) {
    rte_pktmbuf_free(as_mbuf(mbuf));
    ++local_.dropped[static_cast<size_t>(EmuDrop::kDelayQueueFull)];
  }
}

void DirectionPath::transmit(uint64_t now) noexcept {
  while (n_pending_tx_ < kBurst) {
    if (reordering_) {
      if (heap_.empty() || heap_.top().depart_tsc > now) break;
      pending_tx_[n_pending_tx_++] = heap_.top();
      heap_.pop();
    } else {
      if (ring_.empty() || ring_.top().depart_tsc > now) break;
      pending_tx_[n_pending_tx_++] = ring_.top();
      ring_.pop();
    }
  }
  if (n_pending_tx_ == 0) return;
  rte_mbuf* burst[kBurst];
  for (uint16_t i = 0; i < n_pending_tx_; ++i) burst[i] = as_mbuf(pending_tx_[i].pkt);
  // The departure is the hand-off to the port: what the call itself takes is the port's (af_xdp and
  // af_packet transmit inside the syscall, and the receiver's stack often runs in it too).
  const uint64_t tx_tsc = rte_rdtsc();
  const uint16_t sent = rte_eth_tx_burst(config_.tx_port, 0, burst, n_pending_tx_);
  Histogram& added = hist_.added_delay[active_hist_];
  Histogram& error = hist_.departure_error[active_hist_];
  for (uint16_t i = 0; i < sent; ++i) {
    const Queued& q = pending_tx_[i];
    added.record(config_.clock.ticks_to_ns(tx_tsc - q.arrival_tsc).ns);
    error.record(tx_tsc >= q.depart_tsc ? config_.clock.ticks_to_ns(tx_tsc - q.depart_tsc).ns : 0);
    ++local_.packets_out;
    local_.bytes_out += q.len;
  }
  uint16_t keep = 0;
  for (uint16_t i = sent; i < n_pending_tx_; ++i) {
    if (tx_tsc - pending_tx_[i].depart_tsc > tx_give_up_ticks_) {
      rte_pktmbuf_free(as_mbuf(pending_tx_[i].pkt));
      ++local_.dropped[static_cast<size_t>(EmuDrop::kTxFull)];
    } else {
      pending_tx_[keep++] = pending_tx_[i];
    }
  }
  n_pending_tx_ = keep;
}

bool DirectionPath::receive() noexcept {
  rte_mbuf* burst[kBurst];
  const uint16_t n = rte_eth_rx_burst(config_.rx_port, 0, burst, kBurst);
  if (n == 0) return false;
  const uint64_t rx_tsc = rte_rdtsc();
  const Nanos now = model_time(rx_tsc);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = burst[i];
    uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
    const FrameInfo info = inspect_frame(data, m->data_len);
    const PacketMeta meta{.arrival = now, .wire_bytes = m->pkt_len, .flow_hash = info.flow_hash, .ect = info.ect};
    const Decision d = model_->on_packet(meta);
    if (!d.delivered()) {
      rte_pktmbuf_free(m);
      continue;
    }
    if (d.ecn_ce) mark_ce(data, m->data_len, info);
    if (d.duplicate) {
      rte_mbuf* copy = rte_pktmbuf_copy(m, config_.pool, 0, UINT32_MAX);
      if (copy != nullptr) {
        enqueue(copy, d.duplicate_depart, rx_tsc, copy->pkt_len);
      } else {
        ++local_.dropped[static_cast<size_t>(EmuDrop::kNoMbuf)];
      }
    }
    if (d.corrupt) flip_bit(m, d.corrupt_bit);
    enqueue(m, d.depart, rx_tsc, m->pkt_len);
  }
  return true;
}

uint64_t DirectionPath::next_departure() const noexcept {
  if (n_pending_tx_ > 0) return 0;   // the TX queue refused some: retry at once
  if (reordering_) return heap_.empty() ? UINT64_MAX : heap_.top().depart_tsc;
  return ring_.empty() ? UINT64_MAX : ring_.top().depart_tsc;
}

void DirectionPath::publish(uint64_t now) noexcept {
  const DirectionCounters& c = model_->counters();
  StatsValues v = local_;
  v.packets_in = c.packets_in;
  v.bytes_in = c.bytes_in;
  // The model's causes are EmuDrop's first four, in the same order, after its kNone.
  static_assert(static_cast<size_t>(DropCause::kLoss) == 1 && static_cast<size_t>(DropCause::kOutage) == kModelDropCount);
  for (size_t k = 0; k < kModelDropCount; ++k) v.dropped[k] = c.dropped[k + 1];
  v.ecn_marked = c.ecn_marked;
  v.duplicated = c.duplicated;
  v.corrupted = c.corrupted;
  v.reordered = c.reordered;
  const QueueDepth q = model_->queue_depth(model_time(now));
  v.queue_bytes = q.bytes.n;
  v.queue_packets = q.packets;
  v.queue_delay_ns = static_cast<uint64_t>(q.time.ns);
  v.in_flight_packets = ring_.size() + heap_.size() + n_pending_tx_;
  v.rate_bps = model_->current_rate().bps;
  v.base_delay_ns = static_cast<uint64_t>(model_->base_delay().ns);
  published_.publish(v);
}

PollOutcome DirectionPath::poll(uint64_t now) noexcept {
  adopt_pending();
  transmit(now);
  const bool received = receive();
  // Frames due at once (no delay, or a late poll) leave in this iteration, as a plain forwarder's
  // would, instead of after the other directions' polls.
  if (received) transmit(rte_rdtsc());
  if (now >= next_publish_tsc_) {
    publish(now);
    next_publish_tsc_ = now + publish_ticks_;
  }
  return {.received = received, .next_departure_tsc = next_departure()};
}

uint64_t DirectionPath::drain() noexcept {
  adopt_pending();
  publish(rte_rdtsc());
  uint64_t n = 0;
  for (uint16_t i = 0; i < n_pending_tx_; ++i, ++n) rte_pktmbuf_free(as_mbuf(pending_tx_[i].pkt));
  n_pending_tx_ = 0;
  for (; !ring_.empty(); ring_.pop(), ++n) rte_pktmbuf_free(as_mbuf(ring_.top().pkt));
  for (; !heap_.empty(); heap_.pop(), ++n) rte_pktmbuf_free(as_mbuf(heap_.top().pkt));
  return n;
}


}  // namespace lh::emu
