// replay_client.cpp — ReplayClient (see replay_session.hpp).
#include <xxhash.h>

#include <algorithm>
#include <string>

#include "workload/replay/replay_pattern.hpp"
#include "workload/replay/replay_session.hpp"

namespace lh::workload {
namespace {

constexpr uint64_t kWrHelloData = 1ull << 62;
constexpr uint64_t kWrHelloCtrl = kWrHelloData + 1;
constexpr uint64_t kWrReady = kWrHelloData + 2;
constexpr uint64_t kWrStart = 1ull << 61;  // | transfer id
// STARTs outstanding on the control channel: below the server's posted receives, so a START never
// arrives without one.
constexpr uint32_t kMaxStartsInFlight = xport::Connection::kMaxOps / 2;

}  // namespace

ReplayClient::ReplayClient(TransportEndpoint& ep, Channel& data, Channel& ctrl, traces::ReplaySchedule& schedule,
                           uint64_t nonce, uint64_t chunk)
    : ep_(ep), data_(data), ctrl_(ctrl), sched_(schedule) {
  const auto& ts = sched_.transfers();
  for (const traces::ReplayTransfer& t : ts) {
    if (t.dir == traces::ReplayDirection::kForward) chunk_fwd_ = std::max(chunk_fwd_, std::min(t.bytes, chunk));
    if (t.dir == traces::ReplayDirection::kReverse) chunk_rev_ = std::max(chunk_rev_, std::min(t.bytes, chunk));
  }
  // A region of at least 8 bytes even when nothing comes back (registration needs some memory).
  source_.resize(std::max<uint64_t>(chunk_fwd_, 8));
  region_.resize(std::max<uint64_t>(chunk_rev_, 8));
  fill_replay_pattern(source_);
  region_rkey_ = ep_.register_region(region_, data_).rkey;  // only the data channel's peer writes it
  start_msgs_.resize(ts.size());
  remaining_.resize(ts.size());
  for (const traces::ReplayTransfer& t : ts) remaining_[t.id] = t.bytes;

  hello_data_ = encode(ReplayHelloData{.nonce = nonce, .client_rkey = region_rkey_, .client_region_bytes = region_.size(),
                                       .forward_chunk_bytes = chunk_fwd_});
  hello_ctrl_ = encode(ReplayHelloCtrl{.nonce = nonce});
  if (data_.post_recv(kWrReady, ready_.span()) != PostResult::kOk ||
      data_.post_send(kWrHelloData, hello_data_.span()) != PostResult::kOk ||
      ctrl_.post_send(kWrHelloCtrl, hello_ctrl_.span()) != PostResult::kOk) {
    fail("could not post the HELLO messages");
  }
}

void ReplayClient::fail(std::string why) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_ = std::move(why);
}

bool ReplayClient::poll(Nanos now) {
  posted_ = false;
  while (auto c = ep_.poll_completion()) on_completion(*c, now);
  for (Channel* c : {&data_, &ctrl_}) {
    if (state_ != State::kDone && ended(c->state())) {
      fail(std::string("the ") + (c == &data_ ? "data" : "control") + " connection was " +
           (c->state() == ChannelState::kLost ? "lost" : "closed"));
    }
  }
  if (state_ != State::kRunning) return posted_;
  issue(now);
  post_backlog();
  if (sched_.done()) state_ = State::kDone;
  return posted_;
}

Nanos ReplayClient::next_wakeup() const { return state_ == State::kRunning ? sched_.next_wakeup() : Nanos::max(); }

void ReplayClient::on_completion(const Completion& c, Nanos now) {
  if (c.status != Status::kSuccess) {
    return fail(std::string("a ") + (c.kind == OpKind::kRemoteWrite ? "reverse WRITE" : "operation") +
                " failed: " + std::string(xport::to_string(c.status)));
  }
  switch (c.kind) {
    case OpKind::kRecv: {
      if (c.wr_id != kWrReady) return;
      answered_ = true;
      const auto m = decode_as<ReplayReady>(std::span<const uint8_t>(ready_.bytes.data(), c.byte_len));
      if (!m.ok) return fail("the server sent no valid READY (" + m.error + "; not an lh-trace replay server?)");
      if (m.value.status != ReadyStatus::kOk) {
        return fail(m.value.status == ReadyStatus::kTooLarge
                        ? "the server refused the session: the region exceeds its --max-region"
                        : "the server refused the session: bad request");
      }
      if (m.value.region_bytes < chunk_fwd_) return fail("the server registered a region smaller than the forward chunk");
      server_rkey_ = m.value.server_rkey;
      state_ = State::kRunning;
      started_at_ = now;
      sched_.start(now);
      return;
    }
    case OpKind::kWrite:
      if (c.wr_id < (1ull << 32)) transfer_progress(static_cast<uint32_t>(c.wr_id), c.byte_len, now);
      return;
    case OpKind::kRemoteWrite:
      if (c.has_imm && c.rkey == region_rkey_) transfer_progress(c.imm, c.byte_len, now);
      return;
    case OpKind::kSend:
      if ((c.wr_id & kWrStart) != 0 && (c.wr_id & kWrHelloData) == 0) --starts_in_flight_;
      return;
  }
}

void ReplayClient::transfer_progress(uint32_t id, uint64_t bytes, Nanos now) {
  if (id >= remaining_.size() || bytes > remaining_[id]) return fail("completion for an unknown transfer");
  remaining_[id] -= bytes;
  if (remaining_[id] == 0) sched_.on_complete(id, now);
}

void ReplayClient::issue(Nanos now) {
  while (auto id = sched_.poll_issue(now)) {
    const traces::ReplayTransfer& t = sched_.transfers()[*id];
    if (t.dir == traces::ReplayDirection::kForward) {
      for (uint64_t off = 0; off < t.bytes; off += chunk_fwd_) {
        fwd_backlog_.push_back({.id = t.id, .len = std::min(chunk_fwd_, t.bytes - off)});
      }
    } else {
      start_msgs_[t.id] = encode(ReplayStart{.transfer = t.id, .bytes = t.bytes});
      start_backlog_.push_back(t.id);
    }
    // Post as soon as released, so a transfer's issue time is the time the schedule gave it.
    post_backlog();
  }
}

void ReplayClient::post_backlog() {
  while (!start_backlog_.empty() && starts_in_flight_ < kMaxStartsInFlight) {
    const uint32_t id = start_backlog_.front();
    const auto r = ctrl_.post_send(kWrStart | id, start_msgs_[id].span());
    if (r == PostResult::kQueueFull) break;
    if (r != PostResult::kOk) return fail("could not post a START (control connection closed)");
    ++starts_in_flight_;
    posted_ = true;
    start_backlog_.pop_front();
  }
  while (!fwd_backlog_.empty()) {
    const Chunk& k = fwd_backlog_.front();
    // Every WRITE of a given length carries the same bytes: hash each length once, not per WRITE.
    auto [it, fresh] = checksums_.try_emplace(k.len, 0);
    if (fresh) it->second = XXH3_64bits(source_.data(), k.len);
    const auto r = data_.post_write({.wr_id = k.id, .local = std::span<const uint8_t>(source_.data(), k.len),
                                     .rkey = server_rkey_, .remote_offset = 0, .checksum = it->second});
    if (r == PostResult::kQueueFull) break;
    if (r != PostResult::kOk) return fail("could not post a WRITE (data connection closed)");
    posted_ = true;
    fwd_backlog_.pop_front();
  }
}

}  // namespace lh::workload
