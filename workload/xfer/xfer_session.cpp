// xfer_session.cpp — see xfer_session.hpp.
#include "workload/xfer/xfer_session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "transport/proto/stream_hash.hpp"
#include "workload/common/shard_pattern.hpp"

namespace lh::workload {
namespace {

// Control operations carry wr_ids above every shard index (shards are < 2^32).
constexpr uint64_t kWrHello = 1ull << 62;
constexpr uint64_t kWrReady = kWrHello + 1;
constexpr uint64_t kWrDone = kWrHello + 2;
constexpr uint64_t kWrReport = kWrHello + 3;
constexpr Nanos kRttSampleEvery = Nanos::from_ms(1);

}  // namespace

// ---- shard and region sources ---------------------------------------------------------------

void InlineShards::submit(const Job& job) {
  Job j = job;
  stamp_shard(j.bytes, j.shard, seed_);
  j.checksum = xport::xxh3_64(j.bytes.data(), j.bytes.size());
  done_.push_back(j);
}

std::optional<ShardSource::Job> InlineShards::poll() {
  if (done_.empty()) return std::nullopt;
  Job j = done_.front();
  done_.pop_front();
  return j;
}

uint64_t VectorRegions::request(uint64_t bytes) {
  regions_.emplace_back(next_, std::vector<uint8_t>(bytes));
  return next_++;
}

std::span<uint8_t> VectorRegions::ready(uint64_t handle) {
  for (auto& [h, v] : regions_) {
    if (h == handle) return v;
  }
  return {};
}

void VectorRegions::release(uint64_t handle) {
  std::erase_if(regions_, [&](const auto& r) { return r.first == handle; });
}

// ---- client ---------------------------------------------------------------------------------

uint64_t source_bytes(const XferClientConfig& c) { return std::min<uint64_t>(c.size, uint64_t{c.slots} * c.shard); }

void prepare_source(std::span<uint8_t> source, const XferClientConfig& c) {
  const uint64_t slots = (source.size() + c.shard - 1) / c.shard;
  for (uint64_t s = 0; s < slots; ++s) {
    const uint64_t len = std::min<uint64_t>(c.shard, source.size() - s * c.shard);
    fill_shard(source.subspan(s * c.shard, len), s, c.seed);
  }
}

XferClient::XferClient(TransportEndpoint& ep, Channel& ch, const XferClientConfig& cfg, std::span<uint8_t> source,
                       ShardSource& shards)
    : ep_(ep),
      ch_(ch),
      cfg_(cfg),
      source_(source),
      shards_(shards),
      nshards_((cfg.size + cfg.shard - 1) / cfg.shard),
      slots_(std::min<uint64_t>(cfg.slots, nshards_)),
      posted_at_(slots_),
      slot_busy_(slots_, false) {
  hello_ = encode(XferHello{.total_bytes = cfg.size, .shard_bytes = cfg.shard, .seed = cfg.seed,
                            .slots = static_cast<uint32_t>(slots_)});
  shard_ns_.reserve(nshards_);
  if (ch_.post_recv(kWrReady, ready_buf_.span()) != PostResult::kOk ||
      ch_.post_send(kWrHello, hello_.span()) != PostResult::kOk) {
    fail("could not post HELLO (channel closed)");
  }
}

void XferClient::fail(std::string why) {
  if (phase_ == Phase::kFailed || phase_ == Phase::kDone) return;
  phase_ = Phase::kFailed;
  error_ = std::move(why);
}

// The channel ended: its own reason (a refused connect, a timeout) says more than the failed operations.
void XferClient::fail_channel() {
  const std::string why = ch_.error();
  fail(fmt::format("the connection to {} was {}{}", ch_.peer(), ch_.state() == ChannelState::kLost ? "lost" : "closed",
                   why.empty() ? "" : ": " + why));
}

bool XferClient::poll(Nanos now) {
  posted_ = false;
  if (phase_ != Phase::kDone && ended(ch_.state())) fail_channel();
  while (auto c = ep_.poll_completion()) on_completion(*c, now);
  if (phase_ == Phase::kTransfer) post_more(now);
  if (phase_ == Phase::kTransfer && completed_ == nshards_) {
    finished_ = now;
    done_ = encode(XferDone{.shards = nshards_});
    if (ch_.post_recv(kWrReport, report_buf_.span()) != PostResult::kOk ||
        ch_.post_send(kWrDone, done_.span()) != PostResult::kOk) {
      fail("could not post DONE (channel closed)");
      return posted_;
    }
    posted_ = true;
    phase_ = Phase::kReport;
  }
  if (phase_ == Phase::kTransfer && now - last_rtt_sample_ >= kRttSampleEvery) {
    last_rtt_sample_ = now;
    const Nanos rtt = ch_.counters().latest_rtt;
    if (rtt.ns > 0 && rtt != last_rtt_) rtt_ns_.push_back(rtt.ns);
    last_rtt_ = rtt;
  }
  if (phase_ != Phase::kDone && ended(ch_.state())) fail_channel();
  return posted_;
}

void XferClient::on_completion(const Completion& c, Nanos now) {
  if (c.conn != ch_.id()) return;
  if (c.kind == OpKind::kRecv && c.wr_id == kWrReady) {
    if (c.status != Status::kSuccess) return fail("no READY: " + std::string(xport::to_string(c.status)));
    const auto r = decode_as<XferReady>(std::span<const uint8_t>(ready_buf_.bytes.data(), c.byte_len));
    if (!r.ok) return fail(ch_.peer() + " sent no valid READY (" + r.error + "); is it `lh-xfer serve`?");
    if (r.value.status != ReadyStatus::kOk) {
      refused_ = true;
      return fail(ch_.peer() + " refused the transfer: " +
                  (r.value.status == ReadyStatus::kTooLarge ? "the region (slots x shard) exceeds its --max-region"
                   : r.value.status == ReadyStatus::kBusy
                       ? "it is busy (at its --max-sessions or --max-region-total); try again later"
                       : "bad request"));
    }
    if (r.value.region_bytes < source_.size()) return fail(ch_.peer() + " registered a region smaller than the ring");
    rkey_ = r.value.rkey;
    ready_ = true;
    phase_ = Phase::kTransfer;
    started_ = now;
    return;
  }
  if (c.kind == OpKind::kRecv && c.wr_id == kWrReport) {
    if (c.status != Status::kSuccess) return fail("no REPORT: " + std::string(xport::to_string(c.status)));
    const auto r = decode_as<XferReport>(std::span<const uint8_t>(report_buf_.bytes.data(), c.byte_len));
    if (!r.ok) return fail(ch_.peer() + " sent no valid REPORT (" + r.error + ")");
    report_ = r.value;
    phase_ = Phase::kDone;
    return;
  }
  if (c.kind != OpKind::kWrite) {
    if (c.status != Status::kSuccess) fail(fmt::format("a control message failed: {}", xport::to_string(c.status)));
    return;
  }
  if (c.status != Status::kSuccess) return fail(fmt::format("WRITE of shard {} failed: {}", c.wr_id, xport::to_string(c.status)));
  const auto slot = static_cast<uint32_t>(c.remote_offset / cfg_.shard);
  if (slot >= slots_ || !slot_busy_[slot]) return fail("a WRITE completion for a slot with nothing in flight");
  shard_ns_.push_back((now - posted_at_[slot]).ns);
  bytes_done_ += c.byte_len;
  slot_busy_[slot] = false;
  ++completed_;
}

// Shard n always uses slot n mod slots (the server checks it landed there), so it waits for that
// slot's previous shard even when a later shard completed first (completions may come out of order).
void XferClient::post_more(Nanos now) {
  while (next_shard_ < nshards_ && !slot_busy_[next_shard_ % slots_]) {
    const auto slot = static_cast<uint32_t>(next_shard_ % slots_);
    slot_busy_[slot] = true;
    const uint64_t len = shard_len(cfg_.size, cfg_.shard, next_shard_);
    shards_.submit({.slot = slot, .shard = next_shard_, .bytes = source_.subspan(uint64_t{slot} * cfg_.shard, len)});
    ++next_shard_;
  }
  while (held_ || (held_ = shards_.poll())) {
    const ShardSource::Job& j = *held_;
    const PostResult r = ch_.post_write({.wr_id = j.shard, .local = j.bytes, .rkey = rkey_,
                                         .remote_offset = uint64_t{j.slot} * cfg_.shard,
                                         .imm = static_cast<uint32_t>(j.shard), .checksum = j.checksum});
    if (r == PostResult::kQueueFull) return;
    if (r != PostResult::kOk) return fail("could not post a WRITE (channel closed)");
    posted_at_[j.slot] = now;
    posted_ = true;
    held_.reset();
  }
}

void XferClient::fill(XferSummary& s, Nanos now) const {
  s.total_bytes = cfg_.size;
  s.shards = nshards_;
  s.shard_bytes = cfg_.shard;
  s.slots = slots_;
  s.complete = completed_ == nshards_ && phase_ != Phase::kHandshake;
  const Nanos end = s.complete ? finished_ : now;
  s.seconds = started_.ns > 0 || phase_ != Phase::kHandshake ? (end - started_).seconds() : 0.0;
  // Stopped early: what the receiver acknowledged, parts of shards in flight included, so goodput
  // over the elapsed time stays meaningful.
  s.bytes = s.complete ? bytes_done_ : std::min(cfg_.size, std::max(bytes_done_, ch_.counters().write_bytes_acked));
  s.completed_shard_bytes = bytes_done_;
  s.shard_ns = shard_ns_;
  s.rtt_ns = rtt_ns_;
  s.server_report = report_.has_value();
  if (report_) {
    s.verified_shards = report_->verified_shards;
    s.bad_shards = report_->bad_shards;
  }
  const ChannelCounters k = ch_.counters();
  s.packets_sent = k.packets_sent;
  s.retransmits = k.retransmits;
  s.packets_lost = k.packets_lost;
  s.bytes_sent = k.bytes_sent;
}

// ---- server ---------------------------------------------------------------------------------

struct XferServer::Session {
  Channel* ch = nullptr;
  MessageBuffer hello_buf, done_buf;
  EncodedMessage ready, report;
  uint64_t region = 0;  // RegionSource handle (0: none)
  uint64_t region_len = 0;
  std::span<uint8_t> bytes;
  MemoryRegion mr{};
  bool preparing = false;
  uint64_t total = 0, shard = 0, slots = 0, seed = 0;
  XferServerResult result;
};

XferServer::XferServer(TransportEndpoint& ep, const XferServerConfig& cfg, RegionSource& regions)
    : ep_(ep), cfg_(cfg), regions_(regions) {}

XferServer::~XferServer() {
  for (auto& s : sessions_) {
    if (s->mr.rkey != 0) ep_.deregister(s->mr.rkey);
    if (s->region != 0) regions_.release(s->region);
  }
}

std::vector<XferServerResult> XferServer::take_finished() { return std::exchange(finished_, {}); }

void XferServer::on_hello(Session& s, const XferHello& h) {
  const uint64_t nshards = h.shard_bytes == 0 ? 0 : (h.total_bytes + h.shard_bytes - 1) / h.shard_bytes;
  if (h.total_bytes == 0 || h.shard_bytes == 0 || h.slots == 0 || nshards > UINT32_MAX) {
    s.ready = encode(XferReady{.status = ReadyStatus::kBadRequest});
    s.ch->post_send(kWrReady, s.ready.span());
    posted_ = true;
    return;
  }
  s.total = h.total_bytes;
  s.shard = h.shard_bytes;
  s.seed = h.seed;
  s.slots = std::min<uint64_t>(h.slots, nshards);
  const uint64_t len = std::min(s.total, s.slots * s.shard);
  if (len > cfg_.max_region) {
    s.ready = encode(XferReady{.status = ReadyStatus::kTooLarge});
    s.ch->post_send(kWrReady, s.ready.span());
    posted_ = true;
    return;
  }
  uint32_t holding = 0;
  uint64_t held = 0;
  for (const auto& o : sessions_) {
    if (o->region == 0) continue;
    ++holding;
    held += o->region_len;
  }
  if (holding >= cfg_.max_sessions || held + len > cfg_.max_region_total) {
    s.ready = encode(XferReady{.status = ReadyStatus::kBusy});
    s.ch->post_send(kWrReady, s.ready.span());
    posted_ = true;
    return;
  }
  s.result.got_hello = true;
  s.result.shards = nshards;
  s.region_len = len;
  s.region = regions_.request(len);  // READY (with the rkey) follows once the region is ready
  s.preparing = true;
}

void XferServer::on_completion(const Completion& c) {
  const auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& s) { return s->ch->id() == c.conn; });
  if (it == sessions_.end()) return;
  Session& s = **it;
  if (c.kind == OpKind::kRemoteWrite) {
    const uint64_t i = c.imm;
    const bool placed = c.status == Status::kSuccess && c.has_imm && i < s.result.shards && c.rkey == s.mr.rkey &&
                        c.remote_offset == (i % s.slots) * s.shard && c.byte_len == shard_len(s.total, s.shard, i);
    if (placed && check_shard(s.bytes.subspan(c.remote_offset, c.byte_len), i, s.seed)) {
      ++s.result.verified;
      s.result.verified_bytes += c.byte_len;
    } else {
      ++s.result.bad;
    }
  } else if (c.kind == OpKind::kRecv && c.wr_id == kWrHello && c.status == Status::kSuccess) {
    const auto h = decode_as<XferHello>(std::span<const uint8_t>(s.hello_buf.bytes.data(), c.byte_len));
    if (!h.ok) {
      s.ready = encode(XferReady{.status = ReadyStatus::kBadRequest});
      s.ch->post_send(kWrReady, s.ready.span());
    posted_ = true;
      return;
    }
    on_hello(s, h.value);
  } else if (c.kind == OpKind::kRecv && c.wr_id == kWrDone && c.status == Status::kSuccess) {
    s.report = encode(XferReport{.verified_shards = s.result.verified, .bad_shards = s.result.bad,
                                 .verified_bytes = s.result.verified_bytes});
    s.ch->post_send(kWrReport, s.report.span());
    posted_ = true;
  }
}

bool XferServer::poll(Nanos) {
  posted_ = false;
  while (Channel* ch = ep_.poll_accept()) {
    auto s = std::make_unique<Session>();
    s->ch = ch;
    s->result.peer = ch->peer();
    s->result.streams = ch->streams();
    ch->post_recv(kWrHello, s->hello_buf.span());
    posted_ = true;
    sessions_.push_back(std::move(s));
  }
  while (auto c = ep_.poll_completion()) on_completion(*c);
  for (auto& sp : sessions_) {
    Session& s = *sp;
    if (!s.preparing) continue;
    s.bytes = regions_.ready(s.region);
    if (s.bytes.empty()) continue;
    s.preparing = false;
    s.mr = ep_.register_region(s.bytes, *s.ch);
    s.ready = encode(XferReady{.status = ReadyStatus::kOk, .slots = static_cast<uint32_t>(s.slots), .rkey = s.mr.rkey,
                               .region_bytes = s.bytes.size()});
    s.ch->post_recv(kWrDone, s.done_buf.span());
    s.ch->post_send(kWrReady, s.ready.span());
    posted_ = true;
  }
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = **it;
    const ChannelState st = s.ch->state();
    if (!ended(st)) {
      ++it;
      continue;
    }
    s.result.closed = st == ChannelState::kClosed;
    finished_.push_back(s.result);
    if (s.mr.rkey != 0) ep_.deregister(s.mr.rkey);
    if (s.region != 0) regions_.release(s.region);
    ep_.forget(*s.ch);
    it = sessions_.erase(it);
  }
  return posted_;
}

}  // namespace lh::workload
