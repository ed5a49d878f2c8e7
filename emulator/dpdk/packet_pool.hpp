// packet_pool.hpp — lh-emu's mbuf pools, laid out so an af_xdp port can use them as its UMEM.
//
// DPDK 22.11's net_af_xdp registers the RX queue's mempool itself as the AF_XDP UMEM: one region
// from the pool's first memory chunk, populated_size × object size long. A default pktmbuf pool
// under --no-huge (4 KiB pages) places each ~2.4 KiB object so it does not cross a page, i.e. one
// per page with a gap, so the objects past ~58% of the pool lie outside the registered UMEM. The
// kernel silently skips such fill-ring and TX descriptors (invalid_descs): RX starves (imissed,
// then a permanent stall) and TX frames vanish without a completion (leaked mbufs) — as soon as the
// delay queue holds enough frames that the pool hands out its deep objects. These pools are packed
// (no page-boundary padding) and checked object by object against the UMEM span at setup.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

struct rte_mempool;

namespace lh::emu {

struct PacketPoolSpec {
  std::string name;
  uint64_t mbufs = 0;
  uint32_t data_room = 0;      // bytes per mbuf incl. RTE_PKTMBUF_HEADROOM
  unsigned cache = 0;          // per-lcore cache
  int socket = 0;
  bool umem = false;           // will be an af_xdp UMEM: pack objects contiguously and verify
};

// Not enough EAL memory for the pool (the caller adds how much the profile needs).
struct PoolMemoryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Creates and populates the pool. Throws PoolMemoryError when memory runs out, std::runtime_error
// naming the pool and the cause when an umem pool's layout is unusable (more than one memory chunk,
// or objects outside the span the PMD registers).
rte_mempool* create_packet_pool(const PacketPoolSpec& spec);

// How the PMD will see the pool as a UMEM (pure arithmetic): the region is populated × object_size
// + base_align bytes from the page below the first chunk; true when the last object (its header at
// `last_object_offset` from that page) ends inside it.
constexpr bool objects_within_umem(uint64_t base_align, uint64_t object_size, uint64_t populated,
                                   uint64_t last_object_offset) noexcept {
  return last_object_offset + object_size <= populated * object_size + base_align;
}

}  // namespace lh::emu
