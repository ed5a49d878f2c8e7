// memory_registry.cpp — see memory_registry.hpp.
#include "transport/proto/memory_registry.hpp"

#include <stdexcept>
#include <string>

namespace lh::xport {

MemoryRegistry::MemoryRegistry(uint64_t seed, size_t max_regions) : regions_(max_regions), rng_(seed, 0x6d72) {}

MemoryRegion MemoryRegistry::register_region(std::span<uint8_t> memory) {
  if (memory.data() == nullptr || memory.empty())
    throw std::invalid_argument("register_region: memory must be a non-empty span");
  if (count_ == regions_.size())
    throw std::invalid_argument("register_region: table full (" + std::to_string(regions_.size()) + " regions)");
  uint64_t key = 0;
  for (bool unique = false; !unique;) {
    key = rng_.next();
    unique = key != 0;
    for (const auto& r : regions_) unique = unique && r.rkey != key;
  }
  for (auto& r : regions_) {
    if (r.rkey == 0) {
      r = MemoryRegion{key, memory.data(), memory.size()};
      ++count_;
      return r;
    }
  }
  throw std::logic_error("register_region: no free slot despite count");
}

bool MemoryRegistry::deregister(uint64_t rkey) {
  if (rkey == 0) return false;
  for (auto& r : regions_) {
    if (r.rkey == rkey) {
      r = MemoryRegion{};
      --count_;
      return true;
    }
  }
  return false;
}

MemoryRegistry::Access MemoryRegistry::resolve(uint64_t rkey, uint64_t offset, uint64_t len, uint8_t*& out) const {
  out = nullptr;
  if (rkey == 0) return Access::kBadKey;
  for (const auto& r : regions_) {
    if (r.rkey != rkey) continue;
    if (offset > r.length || len > r.length - offset) return Access::kOutOfBounds;
    out = r.base + offset;
    return Access::kOk;
  }
  return Access::kBadKey;
}

}  // namespace lh::xport
