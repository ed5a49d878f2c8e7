// shard_preparer.hpp — restamps a source slot for its next shard and hashes it (XXH3-64) on a helper
// thread, so lh-xfer's event loop keeps sending while it happens.
//
// Stamping touches one word per 4 KiB block and the hash reads the whole shard (tens of ms for 64 MiB
// at memory bandwidth); done inline, the loop would stop transmitting for that long once per shard.
// The session (xfer_session.hpp) submit()s (slot, shard, bytes) when a slot's previous WRITE has
// completed and poll()s for finished jobs, which it posts with WriteRequest::checksum set. One worker, jobs finish in
// submission order (so shards are still posted in order). Synchronisation is per shard (a mutex and a
// condition variable), never per packet.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "src/realtime.hpp"
#include "transport/proto/stream_hash.hpp"
#include "workload/common/shard_pattern.hpp"
#include "workload/xfer/xfer_session.hpp"

namespace lh::workload {

class ShardPreparer final : public ShardSource {
 public:
  explicit ShardPreparer(uint64_t seed) : seed_(seed), worker_([this] { run(); }) {}
  ~ShardPreparer() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    worker_.join();
  }
  ShardPreparer(const ShardPreparer&) = delete;
  ShardPreparer& operator=(const ShardPreparer&) = delete;

  void submit(const Job& job) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      todo_.push_back(job);
      ++pending_;
    }
    cv_.notify_one();
  }
  // A finished job (oldest first), if any; never blocks on the worker's hashing.
  std::optional<Job> poll() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_.empty()) return std::nullopt;
    Job j = done_.front();
    done_.pop_front();
    --pending_;
    return j;
  }
  // Jobs submitted and not yet returned by poll().
  size_t pending() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_;
  }

 private:
  void run() {
    make_thread_normal();  // bulk hashing: never at the event loop's realtime priority
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !todo_.empty(); });
      if (stop_) return;
      Job j = todo_.front();
      todo_.pop_front();
      lock.unlock();
      stamp_shard(j.bytes, j.shard, seed_);
      j.checksum = xport::xxh3_64(j.bytes.data(), j.bytes.size());
      lock.lock();
      done_.push_back(j);
    }
  }

  uint64_t seed_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> todo_, done_;
  size_t pending_ = 0;
  bool stop_ = false;
  std::thread worker_;  // last: starts after every other member is constructed
};

}  // namespace lh::workload
