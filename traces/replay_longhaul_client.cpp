// replay_longhaul_client.cpp — LonghaulReplayClient (see replay_longhaul.hpp).
#include <xxhash.h>

#include <algorithm>
#include <string>

#include "traces/replay_longhaul.hpp"

namespace lh::traces {
namespace {

constexpr uint64_t kWrHelloData = 1ull << 62;
constexpr uint64_t kWrHelloCtrl = kWrHelloData + 1;
constexpr uint64_t kWrReady = kWrHelloData + 2;
constexpr uint64_t kWrStart = 1ull << 61;       // | transfer id
// STARTs outstanding on the control connection: below the server's posted receives (kMaxOps), so
// a START never arrives without one.
constexpr uint32_t kMaxStartsInFlight = xport::Connection::kMaxOps / 2;

void fill_pattern(std::vector<uint8_t>& v) {
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 131 + (i >> 12));
}

}  // namespace

LonghaulReplayClient::LonghaulReplayClient(xport::Endpoint& ep, xport::Connection& data, xport::Connection& ctrl,
                                           ReplaySchedule& schedule, uint64_t nonce, uint64_t chunk)
    : ep_(ep), data_(data), ctrl_(ctrl), sched_(schedule) {
  const auto& ts = sched_.transfers();
  for (const ReplayTransfer& t : ts) {
    if (t.dir == ReplayDirection::kForward) chunk_fwd_ = std::max(chunk_fwd_, std::min(t.bytes, chunk));
    if (t.dir == ReplayDirection::kReverse) chunk_rev_ = std::max(chunk_rev_, std::min(t.bytes, chunk));
  }
  // A region of at least 8 bytes even when nothing comes back (registration needs some memory).
  source_.resize(std::max<uint64_t>(chunk_fwd_, 8));
  region_.resize(std::max<uint64_t>(chunk_rev_, 8));
  fill_pattern(source_);
  region_rkey_ = ep_.memory().register_region(region_).rkey;
  start_msgs_.resize(ts.size());
  remaining_.resize(ts.size());
  for (const ReplayTransfer& t : ts) remaining_[t.id] = t.bytes;

  hello_data_ = ReplayMessage{.type = ReplayMsgType::kHelloData, .a = nonce, .b = region_rkey_, .c = region_.size(),
                              .d = chunk_fwd_};
  hello_ctrl_ = ReplayMessage{.type = ReplayMsgType::kHelloCtrl, .a = nonce};
  if (data_.post_recv(kWrReady, bytes_of(ready_)) != xport::PostResult::kOk ||
      data_.post_send(kWrHelloData, bytes_of(hello_data_)) != xport::PostResult::kOk ||
      ctrl_.post_send(kWrHelloCtrl, bytes_of(hello_ctrl_)) != xport::PostResult::kOk) {
    fail("could not post the HELLO messages");
  }
}

void LonghaulReplayClient::fail(std::string why) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_ = std::move(why);
}

bool LonghaulReplayClient::poll(Nanos now) {
  posted_ = false;
  while (auto c = ep_.poll_completion()) on_completion(*c, now);
  for (xport::Connection* c : {&data_, &ctrl_}) {
    if (state_ != State::kDone && (c->state() == xport::Connection::State::kLost ||
                                   c->state() == xport::Connection::State::kClosed)) {
      fail(std::string("the ") + (c == &data_ ? "data" : "control") + " connection was " +
           (c->state() == xport::Connection::State::kLost ? "lost" : "closed"));
    }
  }
  if (state_ != State::kRunning) return posted_;
  issue(now);
  post_backlog();
  if (sched_.done()) state_ = State::kDone;
  return posted_;
}

Nanos LonghaulReplayClient::next_wakeup() const {
  return state_ == State::kRunning ? sched_.next_wakeup() : Nanos::max();
}

void LonghaulReplayClient::on_completion(const xport::Completion& c, Nanos now) {
  if (c.status != xport::Status::kSuccess) {
    return fail(std::string("a ") + (c.kind == xport::OpKind::kRemoteWrite ? "reverse WRITE" : "operation") +
                " failed: " + std::string(xport::to_string(c.status)));
  }
  switch (c.kind) {
    case xport::OpKind::kRecv: {
      if (c.wr_id != kWrReady) return;
      const auto m = parse_replay_message(std::span<const uint8_t>(bytes_of(ready_).data(), c.byte_len));
      if (!m || m->type != ReplayMsgType::kReady) return fail("the server sent no valid READY (not an lh-trace replay server?)");
      if (m->status != static_cast<uint32_t>(ReplayReadyStatus::kOk)) {
        return fail(m->status == static_cast<uint32_t>(ReplayReadyStatus::kTooLarge)
                        ? "the server refused the session: the region exceeds its --max-region"
                        : "the server refused the session: bad request");
      }
      if (m->b < chunk_fwd_) return fail("the server registered a region smaller than the forward chunk");
      server_rkey_ = m->a;
      state_ = State::kRunning;
      started_at_ = now;
      sched_.start(now);
      return;
    }
    case xport::OpKind::kWrite:
      if (c.wr_id < (1ull << 32)) transfer_progress(static_cast<uint32_t>(c.wr_id), c.byte_len, now);
      return;
    case xport::OpKind::kRemoteWrite:
      if (c.has_imm && c.rkey == region_rkey_) transfer_progress(c.imm, c.byte_len, now);
      return;
    case xport::OpKind::kSend:
      if ((c.wr_id & kWrStart) != 0 && (c.wr_id & kWrHelloData) == 0) --starts_in_flight_;
      return;
  }
}

void LonghaulReplayClient::transfer_progress(uint32_t id, uint64_t bytes, Nanos now) {
  if (id >= remaining_.size() || bytes > remaining_[id]) return fail("completion for an unknown transfer");
  remaining_[id] -= bytes;
  if (remaining_[id] == 0) sched_.on_complete(id, now);
}

void LonghaulReplayClient::issue(Nanos now) {
  while (auto id = sched_.poll_issue(now)) {
    const ReplayTransfer& t = sched_.transfers()[*id];
    if (t.dir == ReplayDirection::kForward) {
      for (uint64_t off = 0; off < t.bytes; off += chunk_fwd_) {
        fwd_backlog_.push_back({.id = t.id, .len = std::min(chunk_fwd_, t.bytes - off)});
      }
    } else {
      start_msgs_[t.id] = ReplayMessage{.type = ReplayMsgType::kStart, .a = t.id, .b = t.bytes};
      start_backlog_.push_back(t.id);
    }
    // Post as soon as released, so a transfer's issue time is the time the schedule gave it.
    post_backlog();
  }
}

void LonghaulReplayClient::post_backlog() {
  while (!start_backlog_.empty() && starts_in_flight_ < kMaxStartsInFlight) {
    const uint32_t id = start_backlog_.front();
    const auto r = ctrl_.post_send(kWrStart | id, bytes_of(start_msgs_[id]));
    if (r == xport::PostResult::kQueueFull) break;
    if (r != xport::PostResult::kOk) return fail("could not post a START (control connection closed)");
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
    if (r == xport::PostResult::kQueueFull) break;
    if (r != xport::PostResult::kOk) return fail("could not post a WRITE (data connection closed)");
    posted_ = true;
    fwd_backlog_.pop_front();
  }
}

}  // namespace lh::traces
