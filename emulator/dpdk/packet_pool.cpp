// packet_pool.cpp — mbuf pools usable as an af_xdp UMEM (see packet_pool.hpp).
#include "emulator/dpdk/packet_pool.hpp"

#include <unistd.h>

#include <stdexcept>

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

namespace lh::emu {

namespace {

struct Span {
  uintptr_t first_header = UINTPTR_MAX;   // lowest object header address
  uintptr_t last_header = 0;              // highest
};

void note_object(rte_mempool* mp, void* span, void* obj, unsigned /*index*/) {
  auto& s = *static_cast<Span*>(span);
  const uintptr_t header = reinterpret_cast<uintptr_t>(obj) - mp->header_size;
  s.first_header = std::min(s.first_header, header);
  s.last_header = std::max(s.last_header, header);
}

// Mirrors how DPDK 22.11's af_xdp PMD registers the pool (xdp_umem_configure): the region starts at
// the first memory chunk rounded down to a page and is populated_size × object size (+ that rounding)
// long. Throws when an object would fall outside it.
void check_umem_layout(rte_mempool* mp, const std::string& name) {
  if (mp->nb_mem_chunks != 1) {
    throw std::runtime_error(fmt::format(
        "lh-emu: pool {}: {} memory chunks; an af_xdp UMEM must be one contiguous region (give more memory with -m, "
        "or use --mode af_packet)", name, mp->nb_mem_chunks));
  }
  const rte_mempool_memhdr* mem = STAILQ_FIRST(&mp->mem_list);
  const auto page = static_cast<uintptr_t>(::getpagesize());
  const uintptr_t chunk = reinterpret_cast<uintptr_t>(mem->addr);
  const uintptr_t base = chunk & ~(page - 1);
  const uint64_t object_size = rte_mempool_calc_obj_size(mp->elt_size, mp->flags, nullptr);
  Span span;
  rte_mempool_obj_iter(mp, note_object, &span);
  if (span.first_header < base ||
      !objects_within_umem(chunk - base, object_size, mp->populated_size, span.last_header - base)) {
    throw std::runtime_error(fmt::format(
        "lh-emu: pool {}: objects span {} bytes but an af_xdp UMEM over it covers {} (object {} B x {}): frames "
        "outside it would be dropped by the kernel", name, span.last_header - base + object_size,
        mp->populated_size * object_size + (chunk - base), object_size, mp->populated_size));
  }
}

}  // namespace

rte_mempool* create_packet_pool(const PacketPoolSpec& spec) {
  // As rte_pktmbuf_pool_create, plus the flag: objects packed back to back instead of page-bounded.
  // IOVA contiguity per object is not needed: the af_xdp copy path does no DMA, and zero-copy
  // drivers see hugepage-backed (physically contiguous) chunks.
  const unsigned flags = spec.umem ? RTE_MEMPOOL_F_NO_IOVA_CONTIG : 0u;
  rte_pktmbuf_pool_private priv{};
  priv.mbuf_data_room_size = static_cast<uint16_t>(spec.data_room);
  priv.mbuf_priv_size = 0;
  const auto elt_size = static_cast<unsigned>(sizeof(rte_mbuf) + spec.data_room);
  rte_mempool* mp = rte_mempool_create_empty(spec.name.c_str(), static_cast<unsigned>(spec.mbufs), elt_size, spec.cache,
                                             sizeof(priv), spec.socket, flags);
  if (mp == nullptr) {
    throw PoolMemoryError(fmt::format("lh-emu: cannot allocate {} mbufs for pool {}: rte_mempool_create_empty: {}",
                                      spec.mbufs, spec.name, rte_strerror(rte_errno)));
  }
  auto fail = [&](const char* call, int rc) {
    rte_mempool_free(mp);
    throw PoolMemoryError(fmt::format("lh-emu: cannot allocate {} mbufs for pool {}: {}: {}", spec.mbufs, spec.name,
                                         call, rte_strerror(rc < 0 ? -rc : rc)));
  };
  if (int rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), nullptr); rc != 0) {
    fail("rte_mempool_set_ops_byname", rc);
  }
  rte_pktmbuf_pool_init(mp, &priv);
  if (int rc = rte_mempool_populate_default(mp); rc < 0) fail("rte_mempool_populate_default", rc);
  rte_mempool_obj_iter(mp, rte_pktmbuf_init, nullptr);
  if (spec.umem) {
    try {
      check_umem_layout(mp, spec.name);
    } catch (...) {
      rte_mempool_free(mp);
      throw;
    }
  }
  return mp;
}

}  // namespace lh::emu
