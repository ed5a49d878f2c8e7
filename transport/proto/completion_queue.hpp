// completion_queue.hpp — a fixed-capacity ring of Completion records (the verbs CQ).
//
// Filled by the engine (one or more connections may share a queue), drained by the application via
// poll(). Preallocated; push() on a full queue counts an overflow and drops the record, so size the
// queue for the outstanding work (default 64k). Single-threaded like the rest of the engine.
#pragma once

#include <optional>
#include <vector>

#include "transport/proto/types.hpp"

namespace lh::xport {

class CompletionQueue {
 public:
  explicit CompletionQueue(size_t capacity = 65'536) : ring_(capacity == 0 ? 1 : capacity) {}

  bool push(const Completion& c) {
    if (count_ == ring_.size()) {
      ++overflows_;
      return false;
    }
    ring_[(head_ + count_) % ring_.size()] = c;
    ++count_;
    return true;
  }

  std::optional<Completion> poll() {
    if (count_ == 0) return std::nullopt;
    Completion c = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --count_;
    return c;
  }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  uint64_t overflows() const { return overflows_; }

 private:
  std::vector<Completion> ring_;
  size_t head_ = 0, count_ = 0;
  uint64_t overflows_ = 0;
};

}  // namespace lh::xport
