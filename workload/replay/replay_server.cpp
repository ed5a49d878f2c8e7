// replay_server.cpp — ReplayServer (see replay_session.hpp).
//
// Per accepted channel a HELLO receive is posted; HELLO_DATA and HELLO_CTRL with the same nonce make
// a session. Once both arrived the server registers the forward region, posts kStartSlots START
// receives on the control channel (reposted as they complete) and answers READY. Each START becomes
// WRITEs of the client's region size into that region, immediate = transfer id; the backlog keeps
// one entry per START (id, bytes left), so a START's size costs no memory.
#include <xxhash.h>

#include <algorithm>
#include <unordered_map>

#include "workload/replay/replay_pattern.hpp"
#include "workload/replay/replay_session.hpp"

namespace lh::workload {
namespace {

constexpr uint64_t kWrHello = 1ull << 62;
constexpr uint64_t kWrReady = kWrHello + 1;
constexpr uint64_t kWrStartRecv = 1ull << 61;  // | receive slot
constexpr uint32_t kStartSlots = xport::Connection::kMaxOps;
// STARTs a session may have waiting at once: the client keeps at most kMaxOps / 2 in flight, so more
// means a peer trying to grow the server's memory one 16-byte entry per message.
constexpr size_t kMaxBacklog = kStartSlots;

}  // namespace

struct ReplayServer::Conn {
  Channel* ch = nullptr;
  MessageBuffer hello;
  Session* session = nullptr;
};

struct ReplayServer::Session {
  uint64_t nonce = 0;
  Conn* data = nullptr;
  Conn* ctrl = nullptr;
  uint64_t client_rkey = 0, client_region = 0, fwd_chunk = 0;
  std::vector<uint8_t> region, source;
  uint64_t rkey = 0;
  EncodedMessage ready;
  std::vector<MessageBuffer> start_slots;
  struct Pending {
    uint32_t id = 0;
    uint64_t left = 0;  // bytes of this START not posted yet
  };
  std::deque<Pending> backlog;  // reverse WRITEs not posted yet (data channel queue full)
  std::unordered_map<uint64_t, uint64_t> checksums;
  bool ready_sent = false, failed = false, closed = false;
};

ReplayServer::ReplayServer(TransportEndpoint& ep, const ReplayServerConfig& cfg) : ep_(ep), cfg_(cfg) {}

ReplayServer::~ReplayServer() {
  for (auto& s : sessions_) {
    if (s->rkey != 0) ep_.deregister(s->rkey);
  }
}

size_t ReplayServer::open_sessions() const { return sessions_.size(); }

bool ReplayServer::poll(Nanos now) {
  posted_ = false;
  while (Channel* c = ep_.poll_accept()) {
    auto k = std::make_unique<Conn>();
    k->ch = c;
    c->post_recv(kWrHello, k->hello.span());
    posted_ = true;
    conns_.push_back(std::move(k));
  }
  while (auto c = ep_.poll_completion()) on_completion(*c);
  for (auto& s : sessions_) {
    post_writes(*s);
    if (s->failed && !s->closed) {  // refused (region, START, message) or a WRITE failed: end it
      s->closed = true;
      for (Conn* c : {s->data, s->ctrl})
        if (c != nullptr) c->ch->close(now);
    }
  }
  reap();
  return posted_;
}

void ReplayServer::on_completion(const Completion& comp) {
  Conn* c = nullptr;
  for (auto& k : conns_) {
    if (k->ch->id() == comp.conn) c = k.get();
  }
  if (c == nullptr) return;
  if (comp.kind == OpKind::kRemoteWrite) {
    if (comp.status == Status::kSuccess) stats_.bytes_received += comp.byte_len;
    return;
  }
  if (comp.kind == OpKind::kWrite) {
    if (comp.status == Status::kSuccess) {
      stats_.bytes_sent += comp.byte_len;
    } else if (c->session) {
      c->session->failed = true;
    }
    return;
  }
  if (comp.kind != OpKind::kRecv || comp.status != Status::kSuccess) return;
  if (comp.wr_id == kWrHello) return on_hello(*c, std::span<const uint8_t>(c->hello.bytes.data(), comp.byte_len));
  Session* s = c->session;
  if ((comp.wr_id & kWrStartRecv) == 0 || s == nullptr || c != s->ctrl) return;
  const uint64_t slot = comp.wr_id & ~kWrStartRecv;
  if (slot >= s->start_slots.size()) return;
  const auto m = decode_as<ReplayStart>(std::span<const uint8_t>(s->start_slots[slot].bytes.data(), comp.byte_len));
  c->ch->post_recv(comp.wr_id, s->start_slots[slot].span());
  if (!m.ok || m.value.bytes == 0 || m.value.bytes > cfg_.max_start || s->backlog.size() >= kMaxBacklog) {
    ++stats_.refused;
    s->failed = true;
    return;
  }
  on_start(*s, m.value);
}

void ReplayServer::on_start(Session& s, const ReplayStart& m) { s.backlog.push_back({.id = m.transfer, .left = m.bytes}); }

void ReplayServer::on_hello(Conn& c, std::span<const uint8_t> bytes) {
  const DecodeResult r = decode(bytes);
  uint64_t nonce = 0;
  if (const auto* d = std::get_if<ReplayHelloData>(&r.message); r.ok && d != nullptr) nonce = d->nonce;
  else if (const auto* k = std::get_if<ReplayHelloCtrl>(&r.message); r.ok && k != nullptr) nonce = k->nonce;
  else return;
  Session* s = nullptr;
  for (auto& x : sessions_) {
    if (x->nonce == nonce) s = x.get();
  }
  if (s == nullptr) {
    sessions_.push_back(std::make_unique<Session>());
    s = sessions_.back().get();
    s->nonce = nonce;
  }
  c.session = s;
  if (const auto* d = std::get_if<ReplayHelloData>(&r.message)) {
    s->data = &c;
    s->client_rkey = d->client_rkey;
    s->client_region = d->client_region_bytes;
    s->fwd_chunk = d->forward_chunk_bytes;
  } else {
    s->ctrl = &c;
  }
  maybe_ready(*s);
}

void ReplayServer::maybe_ready(Session& s) {
  if (s.ready_sent || s.data == nullptr || s.ctrl == nullptr) return;
  s.ready_sent = true;
  const uint64_t region = std::max<uint64_t>(s.fwd_chunk, 8);
  ReplayReady ready;
  if (s.client_region == 0 || s.client_region > cfg_.max_region || region > cfg_.max_region) {
    ready.status = s.client_region == 0 ? ReadyStatus::kBadRequest : ReadyStatus::kTooLarge;
    ++stats_.refused;
    s.failed = true;
  } else {
    s.region.assign(region, 0);
    s.source.resize(s.client_region);
    fill_replay_pattern(s.source);
    s.rkey = ep_.register_region(s.region, *s.data->ch).rkey;
    s.start_slots.resize(kStartSlots);
    for (uint32_t i = 0; i < kStartSlots; ++i) s.ctrl->ch->post_recv(kWrStartRecv | i, s.start_slots[i].span());
    ready.server_rkey = s.rkey;
    ready.region_bytes = region;
  }
  s.ready = encode(ready);
  s.data->ch->post_send(kWrReady, s.ready.span());
  posted_ = true;
  ++stats_.sessions;
}

void ReplayServer::post_writes(Session& s) {
  if (s.data == nullptr || s.failed) return;
  while (!s.backlog.empty()) {
    Session::Pending& p = s.backlog.front();
    const uint64_t len = std::min(s.client_region, p.left);
    auto [it, fresh] = s.checksums.try_emplace(len, 0);
    if (fresh) it->second = XXH3_64bits(s.source.data(), len);
    const auto r = s.data->ch->post_write({.wr_id = p.id, .local = std::span<const uint8_t>(s.source.data(), len),
                                           .rkey = s.client_rkey, .remote_offset = 0, .imm = p.id,
                                           .checksum = it->second});
    if (r != PostResult::kOk) break;
    posted_ = true;
    p.left -= len;
    if (p.left == 0) s.backlog.pop_front();
  }
}

// Forgets channels that ended, and sessions whose channels all ended.
void ReplayServer::reap() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = **it;
    const bool data_done = s.data == nullptr || ended(s.data->ch->state());
    const bool ctrl_done = s.ctrl == nullptr || ended(s.ctrl->ch->state());
    if (!data_done || !ctrl_done) {
      ++it;
      continue;
    }
    const bool ok = !s.failed && s.data != nullptr && s.ctrl != nullptr && s.data->ch->state() == ChannelState::kClosed;
    if (ok) ++stats_.sessions_ok;
    if (s.rkey != 0) ep_.deregister(s.rkey);
    for (Conn* c : {s.data, s.ctrl}) {
      if (c != nullptr) c->session = nullptr;
    }
    it = sessions_.erase(it);
  }
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (ended((*it)->ch->state()) && (*it)->session == nullptr) {
      ep_.forget(*(*it)->ch);
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace lh::workload
