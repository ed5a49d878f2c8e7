// completion_queue.hpp — a fixed-capacity ring of Completion records (the verbs CQ).
//
// Filled by the engine (the connections of one endpoint share a queue), drained by the application
// via poll(). Preallocated. Each connection may hold at most share() records in the queue, counting
// those its outstanding operations and posted receives will produce: a connection at its share has
// its posts refused (kQueueFull) and new inbound operations dropped unacknowledged (the peer
// resends later), so one peer — or an application not polling one connection — cannot crowd out
// another's completions, and with shares that sum to at most the capacity the queue never
// overflows. push() on a full queue still refuses and counts (overflows()), never silently.
// Single-threaded like the rest of the engine.
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "transport/proto/types.hpp"

namespace lh::xport {

class CompletionQueue {
 public:
  explicit CompletionQueue(size_t capacity = 65'536) : ring_(capacity == 0 ? 1 : capacity), share_(ring_.size()) {}

  bool push(const Completion& c) {
    if (count_ == ring_.size()) {
      ++overflows_;
      return false;
    }
    ring_[(head_ + count_) % ring_.size()] = c;
    ++count_;
    ++pending_[c.conn];
    return true;
  }

  std::optional<Completion> poll() {
    if (count_ == 0) return std::nullopt;
    Completion c = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --count_;
    if (auto it = pending_.find(c.conn); it != pending_.end() && --it->second == 0) pending_.erase(it);
    return c;
  }

  size_t size() const { return count_; }
  size_t capacity() const { return ring_.size(); }
  bool empty() const { return count_ == 0; }
  uint64_t overflows() const { return overflows_; }
  // Records of connection `conn` waiting to be polled.
  size_t pending(ConnectionId conn) const {
    const auto it = pending_.find(conn);
    return it == pending_.end() ? 0 : it->second;
  }
  // Records one connection may hold (pending + promised); the capacity unless an endpoint divides it.
  size_t share() const { return share_; }
  void set_share(size_t n) { share_ = n; }

 private:
  std::vector<Completion> ring_;
  size_t head_ = 0, count_ = 0;
  size_t share_;
  uint64_t overflows_ = 0;
  std::unordered_map<ConnectionId, size_t> pending_;
};

}  // namespace lh::xport
