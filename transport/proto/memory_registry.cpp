// memory_registry.cpp — see memory_registry.hpp.
#include "transport/proto/memory_registry.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace lh::xport {

MemoryRegistry::MemoryRegistry(std::shared_ptr<RandomSource> random, size_t max_regions)
    : regions_(max_regions), random_(std::move(random)) {
  if (random_ == nullptr) throw std::invalid_argument("MemoryRegistry: no random source");
}

MemoryRegistry::MemoryRegistry(uint64_t seed, size_t max_regions)
    : MemoryRegistry(std::make_shared<SeededRandom>(seed, 0x6d72), max_regions) {}

MemoryRegion MemoryRegistry::register_region(std::span<uint8_t> memory, ProtectionDomain pd) {
  if (memory.data() == nullptr || memory.empty())
    throw std::invalid_argument("register_region: memory must be a non-empty span");
  if (count_ == regions_.size())
    throw std::invalid_argument("register_region: table full (" + std::to_string(regions_.size()) + " regions)");
  uint64_t key = 0;
  for (bool unique = false; !unique;) {
    key = random_->next_u64();
    unique = key != 0;
    for (const auto& r : regions_) unique = unique && r.rkey != key;
  }
  for (auto& r : regions_) {
    if (r.rkey == 0) {
      r = MemoryRegion{key, memory.data(), memory.size(), pd};
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

MemoryRegistry::Access MemoryRegistry::resolve(uint64_t rkey, uint64_t offset, uint64_t len, uint8_t*& out,
                                               ProtectionDomain pd) const {
  out = nullptr;
  if (rkey == 0) return Access::kBadKey;
  for (const auto& r : regions_) {
    if (r.rkey != rkey) continue;
    if (r.pd != pd) return Access::kBadKey;
    if (offset > r.length || len > r.length - offset) return Access::kOutOfBounds;
    out = r.base + offset;
    return Access::kOk;
  }
  return Access::kBadKey;
}

}  // namespace lh::xport
