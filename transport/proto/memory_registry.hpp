// memory_registry.hpp — registered memory regions, their random 64-bit remote keys and the
// protection domains that scope them.
//
// The caller owns the memory; registration records (base, length) under a fresh key drawn from the
// RandomSource the registry is given (the kernel's CSPRNG in the drivers: a peer cannot predict the
// keys of regions it was not told about, like InfiniBand rkeys). Each region belongs to one
// protection domain, and a connection resolves keys only within its own domain (as an RDMA queue
// pair sees only its PD's memory regions): a key handed to one peer opens nothing through another
// peer's connection. Domain 0 (kSharedDomain) is where regions and connections start; an
// application isolating its peers allocates a domain per peer. resolve() is the per-packet bounds
// check that runs BEFORE any byte is placed: it never allocates, never throws. Capacity is fixed at
// construction (a linear scan over a small table).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "src/random_source.hpp"

namespace lh::xport {

using ProtectionDomain = uint32_t;
inline constexpr ProtectionDomain kSharedDomain = 0;

struct MemoryRegion {
  uint64_t rkey = 0;
  uint8_t* base = nullptr;
  uint64_t length = 0;
  ProtectionDomain pd = kSharedDomain;
};

class MemoryRegistry {
 public:
  enum class Access : uint8_t { kOk, kBadKey, kOutOfBounds };

  // Keys from `random` (drivers: SystemRandom).
  explicit MemoryRegistry(std::shared_ptr<RandomSource> random, size_t max_regions = 64);
  // Keys from a reproducible stream under `seed` (simulations and tests only).
  explicit MemoryRegistry(uint64_t seed, size_t max_regions = 64);

  // A fresh protection domain (never kSharedDomain, never reused).
  ProtectionDomain alloc_domain() { return ++last_domain_; }
  // Registers caller memory in domain `pd`. Throws std::invalid_argument (empty span, table full).
  MemoryRegion register_region(std::span<uint8_t> memory, ProtectionDomain pd = kSharedDomain);
  // Removes a region; returns false if the key is unknown. In-flight writes to it then fail.
  bool deregister(uint64_t rkey);

  // Resolves [offset, offset + len) in region `rkey` of domain `pd` to a pointer; checks overflow and
  // bounds. A key of another domain is kBadKey, exactly like a key that does not exist.
  Access resolve(uint64_t rkey, uint64_t offset, uint64_t len, uint8_t*& out,
                 ProtectionDomain pd = kSharedDomain) const;
  size_t size() const { return count_; }

 private:
  std::vector<MemoryRegion> regions_;  // rkey 0 = free slot
  size_t count_ = 0;
  ProtectionDomain last_domain_ = kSharedDomain;
  std::shared_ptr<RandomSource> random_;
};

}  // namespace lh::xport
