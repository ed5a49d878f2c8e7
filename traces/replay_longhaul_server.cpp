// replay_longhaul_server.cpp — LonghaulReplayServer (see replay_longhaul.hpp).
//
// Per accepted connection a HELLO receive is posted; HELLO_DATA and HELLO_CTRL with the same nonce
// make a session. Once both arrived the server registers the forward region, posts kMaxOps START
// receives on the control connection (reposted as they complete) and answers READY. Each START
// becomes WRITEs of the client's region size into that region, immediate = transfer id.
#include <xxhash.h>

#include <algorithm>
#include <unordered_map>

#include "traces/replay_longhaul.hpp"

namespace lh::traces {
namespace {

constexpr uint64_t kWrHello = 1ull << 62;
constexpr uint64_t kWrReady = kWrHello + 1;
constexpr uint64_t kWrStartRecv = 1ull << 61;  // | receive slot
constexpr uint32_t kStartSlots = xport::Connection::kMaxOps;

}  // namespace

struct LonghaulReplayServer::Conn {
  xport::Connection* conn = nullptr;
  xport::ConnectionId cid = 0;
  ReplayMessage hello{};
  Session* session = nullptr;
  bool is_data = false;
};

struct LonghaulReplayServer::Session {
  uint64_t nonce = 0;
  Conn* data = nullptr;
  Conn* ctrl = nullptr;
  uint64_t client_rkey = 0, client_region = 0, fwd_chunk = 0;
  std::vector<uint8_t> region, source;
  uint64_t rkey = 0, source_hash = 0;
  ReplayMessage ready{};
  std::vector<ReplayMessage> start_slots;
  struct Pending {
    uint32_t id = 0;
    uint64_t len = 0;
  };
  std::deque<Pending> backlog;  // reverse WRITEs not posted yet (data connection queue full)
  std::unordered_map<uint64_t, uint64_t> checksums;
  bool ready_sent = false, failed = false;
};

LonghaulReplayServer::LonghaulReplayServer(xport::Endpoint& ep, uint64_t max_region) : ep_(ep), max_region_(max_region) {}
LonghaulReplayServer::~LonghaulReplayServer() = default;

size_t LonghaulReplayServer::open_sessions() const { return sessions_.size(); }

bool LonghaulReplayServer::poll(Nanos) {
  posted_ = false;
  while (xport::Connection* c = ep_.poll_accept()) {
    auto k = std::make_unique<Conn>();
    k->conn = c;
    k->cid = c->local_cid();
    c->post_recv(kWrHello, bytes_of(k->hello));
    posted_ = true;
    conns_.push_back(std::move(k));
  }
  while (auto c = ep_.poll_completion()) on_completion(*c);
  for (auto& s : sessions_) post_writes(*s);
  reap();
  return posted_;
}

void LonghaulReplayServer::on_completion(const xport::Completion& comp) {
  Conn* c = nullptr;
  for (auto& k : conns_) {
    if (k->cid == comp.conn) c = k.get();
  }
  if (c == nullptr) return;
  if (comp.kind == xport::OpKind::kRemoteWrite) {
    if (comp.status == xport::Status::kSuccess) stats_.bytes_received += comp.byte_len;
    return;
  }
  if (comp.kind == xport::OpKind::kWrite) {
    if (comp.status == xport::Status::kSuccess) stats_.bytes_sent += comp.byte_len;
    else if (c->session) c->session->failed = true;
    return;
  }
  if (comp.kind != xport::OpKind::kRecv || comp.status != xport::Status::kSuccess) return;
  if (comp.wr_id == kWrHello) {
    const auto m = parse_replay_message(std::span<const uint8_t>(bytes_of(c->hello).data(), comp.byte_len));
    if (m) on_hello(*c, *m);
    return;
  }
  Session* s = c->session;
  if ((comp.wr_id & kWrStartRecv) == 0 || s == nullptr || c != s->ctrl) return;
  const uint64_t slot = comp.wr_id & ~kWrStartRecv;
  if (slot >= s->start_slots.size()) return;
  const auto m = parse_replay_message(std::span<const uint8_t>(bytes_of(s->start_slots[slot]).data(), comp.byte_len));
  c->conn->post_recv(comp.wr_id, bytes_of(s->start_slots[slot]));
  if (!m || m->type != ReplayMsgType::kStart || m->a > UINT32_MAX || m->b == 0) {
    s->failed = true;
    return;
  }
  for (uint64_t off = 0; off < m->b; off += s->client_region) {
    s->backlog.push_back({.id = static_cast<uint32_t>(m->a), .len = std::min(s->client_region, m->b - off)});
  }
}

void LonghaulReplayServer::on_hello(Conn& c, const ReplayMessage& m) {
  if (m.type != ReplayMsgType::kHelloData && m.type != ReplayMsgType::kHelloCtrl) return;
  Session* s = nullptr;
  for (auto& x : sessions_) {
    if (x->nonce == m.a) s = x.get();
  }
  if (s == nullptr) {
    sessions_.push_back(std::make_unique<Session>());
    s = sessions_.back().get();
    s->nonce = m.a;
  }
  c.session = s;
  if (m.type == ReplayMsgType::kHelloData) {
    c.is_data = true;
    s->data = &c;
    s->client_rkey = m.b;
    s->client_region = m.c;
    s->fwd_chunk = m.d;
  } else {
    s->ctrl = &c;
  }
  maybe_ready(*s);
}

void LonghaulReplayServer::maybe_ready(Session& s) {
  if (s.ready_sent || s.data == nullptr || s.ctrl == nullptr) return;
  s.ready_sent = true;
  s.ready = ReplayMessage{.type = ReplayMsgType::kReady};
  const uint64_t region = std::max<uint64_t>(s.fwd_chunk, 8);
  if (s.client_region == 0 || s.client_region > max_region_ || region > max_region_) {
    s.ready.status = static_cast<uint32_t>(s.client_region == 0 ? ReplayReadyStatus::kBadRequest
                                                                : ReplayReadyStatus::kTooLarge);
    s.failed = true;
  } else {
    s.region.assign(region, 0);
    s.source.resize(s.client_region);
    for (size_t i = 0; i < s.source.size(); ++i) s.source[i] = static_cast<uint8_t>(i * 131 + (i >> 12));
    s.rkey = ep_.memory().register_region(s.region).rkey;
    s.start_slots.resize(kStartSlots);
    for (uint32_t i = 0; i < kStartSlots; ++i) s.ctrl->conn->post_recv(kWrStartRecv | i, bytes_of(s.start_slots[i]));
    s.ready.a = s.rkey;
    s.ready.b = region;
  }
  s.data->conn->post_send(kWrReady, bytes_of(s.ready));
  posted_ = true;
  ++stats_.sessions;
}

void LonghaulReplayServer::post_writes(Session& s) {
  if (s.data == nullptr || s.failed) return;
  while (!s.backlog.empty()) {
    const Session::Pending& p = s.backlog.front();
    auto [it, fresh] = s.checksums.try_emplace(p.len, 0);
    if (fresh) it->second = XXH3_64bits(s.source.data(), p.len);
    const auto r = s.data->conn->post_write({.wr_id = p.id, .local = std::span<const uint8_t>(s.source.data(), p.len),
                                             .rkey = s.client_rkey, .remote_offset = 0, .imm = p.id,
                                             .checksum = it->second});
    if (r != xport::PostResult::kOk) break;
    posted_ = true;
    s.backlog.pop_front();
  }
}

// Forgets connections that ended, and sessions whose connections all ended.
void LonghaulReplayServer::reap() {
  auto ended = [](const Conn& c) {
    const auto st = c.conn->state();
    return st == xport::Connection::State::kClosed || st == xport::Connection::State::kLost;
  };
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = **it;
    const bool data_done = s.data == nullptr || ended(*s.data);
    const bool ctrl_done = s.ctrl == nullptr || ended(*s.ctrl);
    if (!data_done || !ctrl_done) {
      ++it;
      continue;
    }
    const bool ok = !s.failed && s.data != nullptr && s.ctrl != nullptr &&
                    s.data->conn->state() == xport::Connection::State::kClosed;
    if (ok) ++stats_.sessions_ok;
    if (s.rkey != 0) ep_.memory().deregister(s.rkey);
    for (Conn* c : {s.data, s.ctrl}) {
      if (c != nullptr) c->session = nullptr;
    }
    it = sessions_.erase(it);
  }
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (ended(**it) && (*it)->session == nullptr) {
      ep_.remove((*it)->cid);
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace lh::traces
