// memory_registry.hpp — registered memory regions and their random 64-bit remote keys.
//
// The caller owns the memory; registration records (base, length) under a fresh random rkey (so a
// peer cannot guess keys of regions it was not told about, like InfiniBand rkeys). resolve() is the
// per-packet bounds check that runs BEFORE any byte is placed: it never allocates, never throws.
// Capacity is fixed at construction (a protection-domain-sized table, linear scan).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "src/rng.hpp"

namespace lh::xport {

struct MemoryRegion {
  uint64_t rkey = 0;
  uint8_t* base = nullptr;
  uint64_t length = 0;
};

class MemoryRegistry {
 public:
  enum class Access : uint8_t { kOk, kBadKey, kOutOfBounds };

  // `seed` feeds the key generator (drivers pass a value from std::random_device).
  explicit MemoryRegistry(uint64_t seed, size_t max_regions = 64);

  // Registers caller memory. Throws std::invalid_argument (empty span, table full).
  MemoryRegion register_region(std::span<uint8_t> memory);
  // Removes a region; returns false if the key is unknown. In-flight writes to it then fail.
  bool deregister(uint64_t rkey);

  // Resolves [offset, offset + len) in region `rkey` to a pointer; checks overflow and bounds.
  Access resolve(uint64_t rkey, uint64_t offset, uint64_t len, uint8_t*& out) const;
  size_t size() const { return count_; }

 private:
  std::vector<MemoryRegion> regions_;  // rkey 0 = free slot
  size_t count_ = 0;
  Rng rng_;
};

}  // namespace lh::xport
