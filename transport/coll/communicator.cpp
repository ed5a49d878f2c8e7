// communicator.cpp — see communicator.hpp.
#include "transport/coll/communicator.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <stdexcept>

namespace lh::coll {
namespace {

// wr_id: key-exchange operations have bit 63 set (and the peer in the low bits); WRITEs carry the
// operation's sequence number (low 16 bits) above the executor's 32-bit id.
constexpr uint64_t kKeyWr = uint64_t{1} << 63;
constexpr uint64_t kStagedWr = uint64_t{1} << 47;  // a last-round send from the staging area
uint64_t seq_bits(uint64_t seq) { return seq & 0x7FFFu; }
constexpr uint32_t kKeyMagic = 0x4B43484C;  // "LHCK"
constexpr uint32_t kKeyVersion = 1;
constexpr size_t kMaxEarly = 1 << 16;

void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint64_t get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

Communicator::Communicator(const CommConfig& cfg, Fabric& fabric) : cfg_(cfg), fabric_(fabric) {
  if (cfg_.size == 0 || cfg_.rank >= cfg_.size) throw std::invalid_argument("communicator: rank must be below size");
  if (cfg_.site_of.empty()) cfg_.site_of.assign(cfg_.size, 0);
  if (cfg_.site_of.size() != cfg_.size) throw std::invalid_argument("communicator: site_of needs one site per rank");
  if (cfg_.max_bytes == 0) throw std::invalid_argument("communicator: max_bytes must be above 0");
  const std::set<uint32_t> sites(cfg_.site_of.begin(), cfg_.site_of.end());
  algo_ = cfg_.algorithm;
  if (algo_ == Algorithm::kAuto) {
    algo_ = Algorithm::kRing;
    if (sites.size() >= 2) {
      try {
        (void)hierarchical_allreduce_plan(cfg_.site_of, cfg_.size, 1);
        algo_ = Algorithm::kHierarchical;
      } catch (const std::invalid_argument&) {  // unequal sites: the ring
      }
    }
  }
  peers_.resize(cfg_.size);
  // Who this rank talks to: every peer of the largest operation's plan (smaller ones use a subset).
  // A landing half holds everything one operation receives from a peer: at most twice the buffer,
  // plus one element per chunk of rounding.
  half_ = 2 * cfg_.max_bytes + 16 * uint64_t{cfg_.size};
  // The all-reduce plan's peers and the ring neighbours (the other collectives run on the ring).
  const Plan plan = make_plan(Collective::kAllReduce, cfg_.max_bytes, 1, 0);
  for (const auto& round : plan.rounds) {
    for (const Transfer& t : round[cfg_.rank].sends) peers_[t.peer].used = true;
    for (const Transfer& t : round[cfg_.rank].recvs) peers_[t.peer].used = true;
  }
  if (cfg_.size > 1) {
    peers_[(cfg_.rank + 1) % cfg_.size].used = true;
    peers_[(cfg_.rank + cfg_.size - 1) % cfg_.size].used = true;
  }
  barrier_.assign(cfg_.size, 0);
  for (uint32_t p = 0; p < cfg_.size; ++p) {
    Peer& peer = peers_[p];
    if (!peer.used) continue;
    peer.landing.assign(2 * half_, 0);
    peer.mine = fabric_.register_for(p, peer.landing);
    put64(peer.key_out.data(), uint64_t{kKeyVersion} << 32 | kKeyMagic);
    put64(peer.key_out.data() + 8, peer.mine.rkey);
    put64(peer.key_out.data() + 16, peer.landing.size());
    if (fabric_.post_recv(p, kKeyWr | p, peer.key_in) != xport::PostResult::kOk) {
      fail(p, "could not post the receive for its landing key");
      return;
    }
  }
  if (plan.rounds.empty()) state_ = State::kReady;  // a single rank
}

Plan Communicator::make_plan(Collective kind, uint64_t count, uint64_t elem, uint32_t root) const {
  switch (kind) {
    case Collective::kAllReduce:
      return algo_ == Algorithm::kHierarchical ? hierarchical_allreduce_plan(cfg_.site_of, count, elem)
                                               : ring_allreduce_plan(cfg_.size, count, elem);
    case Collective::kReduceScatter: return ring_reduce_scatter_plan(cfg_.size, count, elem);
    case Collective::kAllGather: return ring_allgather_plan(cfg_.size, count, elem);
    case Collective::kBroadcast: {
      // Pieces of 4 MiB (at least one per rank) keep every link of the chain busy.
      const uint64_t pieces = std::clamp<uint64_t>(count * elem / (4 << 20), cfg_.size, 1024);
      return ring_broadcast_plan(cfg_.size, root, count, elem, static_cast<uint32_t>(pieces));
    }
  }
  return Plan{.ranks = cfg_.size, .rounds = {}};
}

bool Communicator::start_barrier() {
  return start(Collective::kAllReduce, std::span(reinterpret_cast<uint8_t*>(barrier_.data()), barrier_.size() * 4),
               DataType::kI32, RedOp::kSum);
}

void Communicator::fail(uint32_t peer, const std::string& why) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_ = "rank " + std::to_string(peer) + ": " + why;
  exec_.reset();
}

bool Communicator::check_links() {
  for (uint32_t p = 0; p < cfg_.size; ++p) {
    if (!peers_[p].used) continue;
    if (const std::string err = fabric_.link_error(p); !err.empty()) {
      fail(p, "link lost: " + err);
      return false;
    }
  }
  return true;
}

bool Communicator::start(Collective kind, std::span<uint8_t> buf, DataType type, RedOp op, uint32_t root) {
  const uint64_t elem = size_of(type);
  if (state_ != State::kReady || buf.size() % elem != 0 || buf.size() > cfg_.max_bytes || root >= cfg_.size) return false;
  if (!check_links()) return false;
  ++op_seq_;
  const uint32_t parity = static_cast<uint32_t>(op_seq_ & 1u);
  exec_.reset();
  plan_ = make_plan(kind, buf.size() / elem, elem, root);
  layout_.emplace(*plan_);
  for (uint32_t p = 0; p < cfg_.size; ++p) {
    if (layout_->landing_bytes(cfg_.rank, p) > half_ || layout_->landing_bytes(p, cfg_.rank) > half_) {
      fail(p, "landing buffer too small for this operation (bug)");
      return false;
    }
  }
  // Only all-reduce and reduce-scatter reduce; kAvg divides once at the end (executor).
  const bool reduces = kind == Collective::kAllReduce || kind == Collective::kReduceScatter;
  exec_.emplace(cfg_.rank, *plan_, *layout_, type, reduces ? op : RedOp::kSum, buf, parity, true);
  stalled_.reset();
  state_ = State::kRunning;
  std::vector<Fabric::Event> early;
  early.swap(early_);
  for (const Fabric::Event& e : early) on_event(e);
  return true;
}

void Communicator::on_event(const Fabric::Event& e) {
  const xport::Completion& c = e.c;
  if (e.peer >= cfg_.size || !peers_[e.peer].used) return;  // not ours
  Peer& peer = peers_[e.peer];
  if (c.status != xport::Status::kSuccess) {
    const char* what = c.kind == xport::OpKind::kWrite ? "WRITE failed: " : "link failed: ";
    fail(e.peer, what + std::string(xport::to_string(c.status)));
    return;
  }
  switch (c.kind) {
    case xport::OpKind::kSend: break;  // our key went out
    case xport::OpKind::kRecv: {
      if (c.byte_len != peer.key_in.size() || get64(peer.key_in.data()) != (uint64_t{kKeyVersion} << 32 | kKeyMagic)) {
        fail(e.peer, "malformed landing-key message");
        return;
      }
      peer.remote_rkey = get64(peer.key_in.data() + 8);
      peer.remote_bytes = get64(peer.key_in.data() + 16);
      if (peer.remote_bytes < 2 * half_) {
        fail(e.peer, "its landing buffer is smaller than this rank's (different max_bytes?)");
        return;
      }
      peer.key_known = true;
      break;
    }
    case xport::OpKind::kWrite: {
      const uint64_t seq = (c.wr_id >> 32) & 0x7FFFu;
      if (c.wr_id & kStagedWr) {
        const uint32_t parity = static_cast<uint32_t>(seq & 1u);
        if (stage_pending_[parity] > 0 && --stage_pending_[parity] == 0) stage_used_[parity] = 0;
      }
      if (state_ == State::kRunning && exec_ && seq == seq_bits(op_seq_)) exec_->on_write_done(c.wr_id & 0xFFFF'FFFFu, true);
      break;
    }
    case xport::OpKind::kRemoteWrite: {
      const uint32_t parity = c.imm >> 31;
      if (state_ == State::kRunning && exec_ && parity == (op_seq_ & 1u)) {
        const std::span<const uint8_t> half(peer.landing.data() + parity * half_, half_);
        if (!exec_->on_arrival(e.peer, c.imm, half)) fail(e.peer, "a WRITE the plan does not expect");
      } else if (early_.size() < kMaxEarly) {
        early_.push_back(e);  // the peer is one operation ahead of us
      } else {
        fail(e.peer, "too many WRITEs ahead of this rank's operations");
      }
      break;
    }
  }
}

bool Communicator::poll(Nanos now) {
  if (state_ == State::kFailed) return false;
  bool posted = false;
  if (state_ == State::kSetup) {
    for (uint32_t p = 0; p < cfg_.size; ++p) {
      Peer& peer = peers_[p];
      if (!peer.used || peer.key_sent) continue;
      const xport::PostResult r = fabric_.post_send(p, kKeyWr | p, peer.key_out);
      if (r == xport::PostResult::kOk) {
        peer.key_sent = posted = true;
      } else if (r != xport::PostResult::kQueueFull) {
        fail(p, "could not send its landing key");
        return false;
      }
    }
  }
  while (auto e = fabric_.poll()) {
    on_event(*e);
    if (state_ == State::kFailed) return posted;
  }
  // A link that ends between operations is not a failure yet (a peer that finished and left); the
  // next operation, or one running now, fails on it.
  if (state_ != State::kReady && !check_links()) return posted;
  if (state_ == State::kSetup) {
    bool all = true;
    for (const Peer& peer : peers_) all = all && (!peer.used || (peer.key_known && peer.key_sent));
    if (all) state_ = State::kReady;
  }
  if (state_ == State::kRunning && exec_) {
    for (;;) {
      std::optional<PlanExecutor::Post> post = stalled_ ? stalled_ : exec_->next_post();
      stalled_.reset();
      if (!post) break;
      const Peer& peer = peers_[post->peer];
      const uint32_t parity = post->imm >> 31;
      uint64_t wr_id = seq_bits(op_seq_) << 32 | post->id;
      std::span<const uint8_t> local = post->local;
      if (post->last_round) {
        // Staged: copied out of the caller's buffer, so the operation may end before it is acknowledged.
        if (stage_pending_[parity] > 0 && stage_op_[parity] != op_seq_) {
          stalled_ = post;  // an operation two back still sends from this area
          break;
        }
        if (stage_[parity].size() < cfg_.max_bytes) stage_[parity].resize(cfg_.max_bytes);
        if (stage_used_[parity] + local.size() > stage_[parity].size()) {
          fail(cfg_.rank, "staging area overflow (bug)");
          return posted;
        }
        uint8_t* dst = stage_[parity].data() + stage_used_[parity];
        std::memcpy(dst, local.data(), local.size());
        local = std::span<const uint8_t>(dst, local.size());
        stage_used_[parity] += local.size();
        ++stage_pending_[parity];
        stage_op_[parity] = op_seq_;
        wr_id |= kStagedWr;
      }
      const xport::WriteRequest w{.wr_id = wr_id,
                                  .local = local,
                                  .rkey = peer.remote_rkey,
                                  .remote_offset = parity * half_ + post->remote_offset,
                                  .imm = post->imm,
                                  .timeout = cfg_.op_timeout};
      const xport::PostResult r = fabric_.post_write(post->peer, w);
      if (r != xport::PostResult::kOk) {
        // The transport's queue holds 256 operations per link; a plan round posts a handful.
        fail(post->peer, r == xport::PostResult::kQueueFull ? "WRITE queue full" : "WRITE refused");
        return posted;
      }
      posted = true;
    }
    if (!op_started_) op_started_ = now;
    if (exec_->failed()) {
      fail(cfg_.rank, "operation failed");
    } else if (exec_->done()) {
      ++completed_;
      exec_.reset();
      op_started_.reset();
      state_ = State::kReady;
    } else if (now - *op_started_ > cfg_.op_timeout) {
      const std::optional<uint32_t> late = exec_->waiting_for();
      fail(late.value_or(cfg_.rank), "operation " + std::to_string(op_seq_) + " timed out after " +
                                         std::to_string(cfg_.op_timeout.ns / 1'000'000) + " ms waiting for round " +
                                         std::to_string(exec_->round()) + (late ? " data from this rank" : " WRITE completions"));
    }
  }
  return posted;
}

}  // namespace lh::coll
