// region_preparer.hpp — lh-xfer serve's target memory: huge-page buffers faulted in on a helper
// thread when a HELLO is accepted (as registering memory for RDMA pins it), while the event loop keeps
// the connection alive; READY follows once it is done, so the transfer does not pay for page faults
// on its first pass over the region. The helper runs SCHED_OTHER even under --realtime.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "src/realtime.hpp"
#include "workload/common/huge_buffer.hpp"
#include "workload/xfer/xfer_session.hpp"

namespace lh::workload {

class RegionPreparer final : public RegionSource {
 public:
  ~RegionPreparer() override {
    for (auto& r : regions_) join(*r);
  }

  uint64_t request(uint64_t bytes) override {
    auto r = std::make_unique<Region>();
    r->handle = next_++;
    r->buffer.reset(bytes);
    Region* raw = r.get();
    r->worker = std::thread([raw] {
      make_thread_normal();  // faulting in gigabytes: never at the loop's realtime priority
      raw->buffer.populate();
      raw->ready.store(true, std::memory_order_release);
    });
    regions_.push_back(std::move(r));
    return regions_.back()->handle;
  }

  std::span<uint8_t> ready(uint64_t handle) override {
    for (auto& r : regions_) {
      if (r->handle != handle || !r->ready.load(std::memory_order_acquire)) continue;
      join(*r);
      return {r->buffer.get(), r->buffer.size()};
    }
    return {};
  }

  void release(uint64_t handle) override {
    for (auto& r : regions_) {
      if (r->handle == handle) join(*r);
    }
    std::erase_if(regions_, [&](const auto& r) { return r->handle == handle; });
  }

 private:
  struct Region {
    uint64_t handle = 0;
    HugeBuffer buffer;
    std::thread worker;
    std::atomic<bool> ready{false};
  };
  static void join(Region& r) {
    if (r.worker.joinable()) r.worker.join();
  }

  std::vector<std::unique_ptr<Region>> regions_;
  uint64_t next_ = 1;
};

}  // namespace lh::workload
