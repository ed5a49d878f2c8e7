// plan.hpp — a collective as a plan: rounds of transfers between ranks, computed once from the rank
// count, the rank→site map and the buffer's size, then executed by a communicator (over the
// transport) or by a test (in memory). Pure.
//
// In round k, rank r sends each of plan.rounds[k][r].sends (a slice of its buffer, to a peer) and
// receives each of .recvs (a slice from a peer, reduced into its buffer or stored). A round's
// transfers touch disjoint slices, so a round's sends may all leave before any receive lands.
//
//   ring all-reduce          one ring over all ranks (ring.hpp): 2(n − 1) rounds.
//   hierarchical all-reduce  site-aware, for L ranks per site in every site: a ring reduce-scatter
//                            inside each site (local rank j ends owning one L-th, reduced over its
//                            site), then for each j one ring all-reduce of that L-th across the sites
//                            among the ranks of local index j, then a ring all-gather inside each
//                            site. The long links carry 2(nsites − 1) · S bytes in all, against
//                            2(n − 1) · S for a flat ring whose neighbours sit in different sites.
#pragma once

#include <cstdint>
#include <vector>

#include "transport/coll/ring.hpp"

namespace lh::coll {

struct Transfer {
  uint32_t peer = 0;   // the destination of a send, the source of a receive
  Slice slice;         // in bytes, in the buffer of both ends
  bool reduce = false; // receive: combine into the buffer (else store)
};

struct RankRound {
  std::vector<Transfer> sends, recvs;
};

struct Plan {
  uint32_t ranks = 0;
  std::vector<std::vector<RankRound>> rounds;  // rounds[k][r]
  // Bytes sent from a rank of `site_of[a]` to a rank of `site_of[b]` over the whole plan, summed over
  // every (a, b) with different sites.
  [[nodiscard]] uint64_t cross_site_bytes(const std::vector<uint32_t>& site_of) const;
  [[nodiscard]] uint64_t bytes_sent(uint32_t rank) const;
};

// Ring all-reduce of `count` elements of `elem` bytes over `n` ranks in rank order.
[[nodiscard]] Plan ring_allreduce_plan(uint32_t n, uint64_t count, uint64_t elem);

// In place, on a buffer of `count` elements cut into n chunks (chunk(count, elem, n, r)):
// reduce-scatter — rank r ends with chunk r reduced over all ranks (the other chunks hold partial
// sums); all-gather — rank r contributes chunk r and ends with every rank's chunk. n − 1 rounds each.
[[nodiscard]] Plan ring_reduce_scatter_plan(uint32_t n, uint64_t count, uint64_t elem);
[[nodiscard]] Plan ring_allgather_plan(uint32_t n, uint64_t count, uint64_t elem);
// Broadcast of `root`'s buffer: cut into `pieces` parts pipelined down the ring from the root
// (pieces + n − 2 rounds; each rank forwards a piece the round after it arrived).
[[nodiscard]] Plan ring_broadcast_plan(uint32_t n, uint32_t root, uint64_t count, uint64_t elem, uint32_t pieces);

// Site-aware all-reduce; site_of[r] is rank r's site. Every site must hold the same number of ranks
// (throws std::invalid_argument naming the counts otherwise; use the ring then).
[[nodiscard]] Plan hierarchical_allreduce_plan(const std::vector<uint32_t>& site_of, uint64_t count, uint64_t elem);

}  // namespace lh::coll
