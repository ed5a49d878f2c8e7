// xfer_client.cpp — see xfer_client.hpp. One thread: the io Driver turns, then completions are
// drained and new WRITEs posted as slots free up.
#include "transport/tools/xfer_client.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "transport/io/driver.hpp"
#include "transport/io/udp_ring.hpp"
#include "transport/proto/endpoint.hpp"
#include "transport/tools/endpoint_engine.hpp"
#include "transport/tools/realtime_loop.hpp"
#include "transport/tools/huge_buffer.hpp"
#include "transport/tools/shard_preparer.hpp"
#include "transport/tools/xfer_control.hpp"
#include "transport/tools/xfer_pattern.hpp"
#include "transport/tools/xfer_report.hpp"

namespace lh::xport::tools {
namespace {

constexpr uint64_t kInitialWindow = 16ull << 20;  // bytes
// Socket buffers (the kernel doubles the figure for its own accounting): room for the largest
// flow-control window (ConnectionConfig::max_window, 32 MiB) with margin, so a receiver that is busy
// for a while (verifying a shard, descheduled on a loaded host) lets the socket queue the window
// rather than drop it — as TCP's receive window never exceeds its receive buffer.
constexpr int kSocketBuffer = 64 << 20;  // bytes

constexpr uint64_t kWrHello = 1ull << 62;
constexpr uint64_t kWrReady = kWrHello + 1;
constexpr uint64_t kWrDone = kWrHello + 2;
constexpr uint64_t kWrReport = kWrHello + 3;
constexpr Nanos kTurn = Nanos::from_ms(20);
constexpr Nanos kPrepTurn = Nanos::from_us(500);
constexpr Nanos kReadyTimeout = Nanos::from_s(60);  // handshake done → READY (server prepares its region)

void error_line(const std::string& msg) { std::fprintf(stderr, "lh-xfer: %s\n", msg.c_str()); }

const char* cc_name(CcKind k) {
  switch (k) {
    case CcKind::kBbr: return "bbr";
    case CcKind::kCubic: return "cubic";
    case CcKind::kFixed: return "fixed";
  }
  return "?";
}

}  // namespace

int run_client(const ClientOptions& opt) {
  const uint64_t nshards = (opt.size + opt.shard - 1) / opt.shard;
  const uint64_t slots = std::min<uint64_t>(opt.slots, nshards);
  const uint64_t src_bytes = std::min<uint64_t>(opt.size, slots * opt.shard);

  io::UdpRing ring({.bind = io::SocketAddr::any(opt.to.family(), 0), .max_datagram = opt.mtu, .tx_slots = 512,
                    .rx_buffers = 64, .allow_gso = opt.allow_gso, .allow_gro = opt.allow_gro,
                    .allow_multishot = opt.allow_multishot,
                    .socket_buffer_bytes = kSocketBuffer});
  std::random_device rd;
  EndpointConfig ecfg{.seed = (static_cast<uint64_t>(rd()) << 32) | rd(), .max_connections = 1, .accept = false};
  ecfg.conn.max_udp_payload = opt.mtu;
  // Bulk transfer: start with a 16 MiB flow-control window so a scheduling hiccup that inflates the
  // RTT to milliseconds on a busy host does not cap the rate at window / RTT (4 MiB / 27 ms = 1.2 Gbit/s).
  ecfg.conn.initial_window = kInitialWindow;
  ecfg.conn.cc = opt.cc;
  ecfg.conn.fixed_rate = opt.fixed_rate;
  Endpoint ep(ecfg);
  EndpointEngine engine(ep);
  io::Driver<EndpointEngine> driver(ring, engine, {}, driver_config(opt.realtime));
  std::optional<io::QlogWriter> qlog;
  if (!opt.qlog.empty()) {
    qlog.emplace(opt.qlog, io::QlogHeader{.title = "lh-xfer send", .vantage_point = "client",
                                          .description = "to " + opt.to.to_string()}, driver.now());
    engine.set_qlog(&*qlog);
  }

  Connection& conn = ep.connect(to_peer(opt.to), driver.now());
  ControlMessage hello{.type = ControlType::kHello, .slots = static_cast<uint32_t>(slots), .a = opt.size,
                       .b = opt.shard, .c = opt.seed};
  ControlMessage ready_buf{}, report_buf{};
  ControlMessage done_msg{.type = ControlType::kDone, .a = nshards};
  auto bytes_of = [](ControlMessage& m) { return std::span<uint8_t>(reinterpret_cast<uint8_t*>(&m), sizeof(m)); };
  conn.post_recv(kWrReady, bytes_of(ready_buf));
  conn.post_send(kWrHello, bytes_of(hello));

  XferSummary sum;
  sum.local = ring.local().to_string();
  sum.remote = opt.to.to_string();
  sum.cc = opt.cc == CcKind::kFixed ? "fixed:" + format(opt.fixed_rate) : cc_name(opt.cc);
  sum.total_bytes = opt.size;
  sum.shards = nshards;
  sum.shard_bytes = opt.shard;
  sum.slots = slots;
  sum.gso = ring.gso_active();
  sum.gro = ring.gro_active();
  sum.shard_ns.reserve(nshards);

  // ---- handshake + READY ----
  const Nanos connect_deadline = driver.now() + opt.connect_timeout;
  std::optional<ControlMessage> ready;
  bool lost = false;
  auto drain_setup = [&] {
    while (auto c = ep.poll_completion()) {
      if (c->status != Status::kSuccess) lost = true;
      if (c->kind == OpKind::kRecv && c->wr_id == kWrReady && c->status == Status::kSuccess) {
        ready = parse_control(std::span<const uint8_t>(bytes_of(ready_buf).data(), c->byte_len), ControlType::kReady);
        if (!ready) lost = true;
      }
    }
    return ready.has_value() || lost || conn.state() == Connection::State::kLost;
  };
  driver.run_until([&] { return conn.established() || drain_setup(); }, connect_deadline);
  // The server faults its region in before READY (about a second per 256 MiB on a slow VM); the
  // connection stays alive meanwhile (a dead server is noticed by the idle timeout), so READY gets a
  // longer deadline than the handshake.
  if (conn.established()) driver.run_until(drain_setup, driver.now() + std::max(opt.connect_timeout, kReadyTimeout));
  if (!conn.established()) {
    error_line(fmt::format("no answer from {} within {} (handshake timed out); is `lh-xfer serve` running there?",
                           sum.remote, format(opt.connect_timeout)));
    return 2;
  }
  if (!ready) {
    error_line(fmt::format("{} accepted the connection but sent no valid READY within {}", sum.remote,
                           format(std::max(opt.connect_timeout, kReadyTimeout))));
    return 2;
  }
  if (ready->status != static_cast<uint32_t>(ReadyStatus::kOk)) {
    error_line(fmt::format("{} refused the transfer: {}", sum.remote,
                           ready->status == static_cast<uint32_t>(ReadyStatus::kTooLarge)
                               ? "the region (slots x shard) exceeds its --max-region"
                               : "bad request"));
    return 1;
  }
  const uint64_t rkey = ready->a;

  // ---- WRITEs through the slot ring ----
  // Not zeroed first: fill_shard writes every byte of every slot once, here; later shards only
  // restamp the block headers.
  HugeBuffer source(src_bytes);
  for (uint64_t s = 0; s < slots; ++s) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(opt.shard, src_bytes - s * opt.shard));
    fill_shard(std::span<uint8_t>(source.get() + s * opt.shard, len), s, opt.seed);
  }
  std::vector<Nanos> posted_at(slots);
  std::vector<uint64_t> slot_shard(slots, UINT64_MAX);
  // Shard n always uses slot n mod slots (the server checks it landed there), so it waits for that
  // slot's previous shard even when a later shard completed first (completions may come out of order).
  std::vector<bool> slot_busy(slots, false);
  uint64_t next_shard = 0, completed = 0;
  bool failed = false;
  const Nanos start = driver.now();
  const Nanos limit = start + opt.duration_limit;
  Nanos last_progress = start, last_rtt{0};
  const bool tty = opt.progress;

  // Slots whose previous WRITE completed go to the preparer (restamp + XXH3 on its thread); prepared
  // shards are posted here, in order, with their checksum, so the loop never stops to hash.
  ShardPreparer prep(opt.seed);
  std::optional<ShardPreparer::Job> held;  // prepared but refused with kQueueFull: retried first
  auto post_more = [&] {
    while (next_shard < nshards && !slot_busy[next_shard % slots]) {
      const auto slot = static_cast<uint32_t>(next_shard % slots);
      slot_busy[slot] = true;
      const uint64_t off = next_shard * opt.shard;
      const uint64_t len = std::min(opt.shard, opt.size - off);
      prep.submit({.slot = slot, .shard = next_shard,
                   .bytes = std::span<uint8_t>(source.get() + static_cast<size_t>(slot) * opt.shard, len)});
      ++next_shard;
    }
    while (held || (held = prep.poll())) {
      const ShardPreparer::Job& j = *held;
      const PostResult r = conn.post_write({.wr_id = j.shard, .local = j.bytes, .rkey = rkey,
                                            .remote_offset = static_cast<uint64_t>(j.slot) * opt.shard,
                                            .imm = static_cast<uint32_t>(j.shard), .checksum = j.checksum});
      if (r != PostResult::kOk) {
        if (r != PostResult::kQueueFull) failed = true;
        return;
      }
      slot_shard[j.slot] = j.shard;
      posted_at[j.slot] = driver.now();
      held.reset();
    }
  };
  post_more();
  while (completed < nshards && !failed) {
    const Nanos now = driver.now();
    if (now >= limit) break;
    if (conn.state() == Connection::State::kLost || conn.state() == Connection::State::kClosed) {
      failed = true;
      break;
    }
    // Short turns while shards are being prepared: the worker cannot wake the ring.
    driver.run_once(held || prep.pending() > 0 ? kPrepTurn : kTurn);
    while (auto c = ep.poll_completion()) {
      if (c->kind != OpKind::kWrite) continue;
      if (c->status != Status::kSuccess) {
        error_line(fmt::format("WRITE of shard {} failed: {}", c->wr_id, to_string(c->status)));
        failed = true;
        continue;
      }
      const uint64_t off = c->remote_offset;
      const uint32_t slot = static_cast<uint32_t>(off / opt.shard);
      sum.shard_ns.push_back((driver.now() - posted_at[slot]).ns);
      sum.bytes += c->byte_len;
      slot_busy[slot] = false;
      ++completed;
    }
    post_more();
    const Nanos latest = conn.rtt().latest();
    if (latest.ns > 0 && latest != last_rtt) {
      sum.rtt_ns.push_back(latest.ns);
      last_rtt = latest;
    }
    if (tty && driver.now() - last_progress >= Nanos::from_ms(250)) {
      last_progress = driver.now();
      const double secs = (last_progress - start).seconds();
      std::fprintf(stderr, "\r%s", progress_line(sum.bytes, opt.size, secs > 0 ? sum.bytes * 8.0 / secs : 0.0,
                                                 conn.rtt().srtt().ms(), conn.stats().retransmits).c_str());
    }
  }
  const Nanos end = driver.now();
  if (tty) std::fprintf(stderr, "\r%*s\r", 90, "");
  sum.seconds = (end - start).seconds();
  sum.complete = completed == nshards;
  // Stopped early (duration limit, failure): report what the receiver acknowledged, including the
  // parts of shards still in flight, so goodput over the elapsed time stays meaningful.
  if (!sum.complete) sum.bytes = std::max(sum.bytes, conn.stats().write_bytes_acked);

  // ---- DONE / REPORT, then close ----
  if (sum.complete) {
    conn.post_recv(kWrReport, bytes_of(report_buf));
    conn.post_send(kWrDone, bytes_of(done_msg));
    driver.run_until(
        [&] {
          while (auto c = ep.poll_completion()) {
            if (c->kind == OpKind::kRecv && c->wr_id == kWrReport && c->status == Status::kSuccess) {
              if (auto r = parse_control(std::span<const uint8_t>(bytes_of(report_buf).data(), c->byte_len),
                                         ControlType::kReport)) {
                sum.server_report = true;
                sum.verified_shards = r->a;
                sum.bad_shards = r->b;
              }
            }
          }
          return sum.server_report || conn.state() == Connection::State::kLost;
        },
        driver.now() + Nanos::from_s(5));
  }
  conn.close(driver.now());
  driver.run_until([&] { return conn.state() == Connection::State::kClosed || conn.state() == Connection::State::kLost; },
                   driver.now() + Nanos::from_s(2));

  if (qlog && !qlog->flush()) error_line(fmt::format("qlog {}: write failed", qlog->path()));
  if (opt.io_stats) {
    std::fprintf(stderr, "lh-xfer send io: %s; driver %llu turns, %llu timeouts, %llu CPU-budget pauses\n",
                 io::to_string(ring.stats()).c_str(), static_cast<unsigned long long>(driver.stats().turns),
                 static_cast<unsigned long long>(driver.stats().timeouts_fired),
                 static_cast<unsigned long long>(driver.stats().budget_pauses));
  }
  const ConnectionStats& st = conn.stats();
  sum.packets_sent = st.packets_sent;
  sum.retransmits = st.retransmits;
  sum.packets_lost = st.packets_lost;
  sum.bytes_sent = st.bytes_sent;
  if (opt.json) {
    std::printf("%s\n", to_json(sum).dump(2).c_str());
  } else {
    std::printf("%s", format_table(sum).c_str());
  }
  std::fflush(stdout);
  if (!sum.complete && !failed) {
    error_line(fmt::format("duration limit {} reached after {} of {} bytes", format(opt.duration_limit), sum.bytes,
                           opt.size));
    return 3;
  }
  if (failed || !sum.complete) {
    error_line(fmt::format("transfer to {} failed after {} of {} bytes (connection {})", sum.remote, sum.bytes,
                           opt.size, conn.state() == Connection::State::kLost ? "lost" : "error"));
    return 1;
  }
  if (!sum.server_report) {
    error_line("the server sent no verification report");
    return 1;
  }
  if (sum.bad_shards != 0 || sum.verified_shards != nshards) {
    error_line(fmt::format("the server verified {} of {} shards ({} bad)", sum.verified_shards, nshards, sum.bad_shards));
    return 1;
  }
  return 0;
}

}  // namespace lh::xport::tools
