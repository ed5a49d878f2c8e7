// plan.cpp — see plan.hpp.
#include "transport/coll/plan.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

namespace lh::coll {
namespace {

enum class Phase : uint8_t { kAllReduce, kReduceScatter, kAllGather };

// Appends the ring steps of `phase` over `group` (ranks in ring order) on `region` of the buffer,
// starting at round `first`. Returns the number of rounds used.
uint32_t append_ring(Plan& plan, size_t first, const std::vector<uint32_t>& group, Slice region, uint64_t elem,
                     Phase phase) {
  const auto g = static_cast<uint32_t>(group.size());
  if (g < 2 || region.bytes == 0) return 0;
  const uint32_t begin = phase == Phase::kAllGather ? g - 1 : 0;
  const uint32_t end = phase == Phase::kReduceScatter ? g - 1 : ring_allreduce_steps(g);
  const uint64_t count = region.bytes / elem;
  auto slice_of = [&](uint32_t k) {
    Slice c = chunk(count, elem, g, k);
    c.offset += region.offset;
    return c;
  };
  for (uint32_t s = begin; s < end; ++s) {
    const size_t round = first + (s - begin);
    if (plan.rounds.size() <= round) plan.rounds.resize(round + 1, std::vector<RankRound>(plan.ranks));
    for (uint32_t p = 0; p < g; ++p) {
      const RingStep st = ring_allreduce_step(g, p, s);
      const Slice out = slice_of(st.send_chunk), in = slice_of(st.recv_chunk);
      if (out.bytes > 0) plan.rounds[round][group[p]].sends.push_back({group[(p + 1) % g], out, false});
      if (in.bytes > 0) plan.rounds[round][group[p]].recvs.push_back({group[(p + g - 1) % g], in, st.reduce});
    }
  }
  return end - begin;
}

}  // namespace

uint64_t Plan::cross_site_bytes(const std::vector<uint32_t>& site_of) const {
  uint64_t total = 0;
  for (const auto& round : rounds)
    for (uint32_t r = 0; r < round.size(); ++r)
      for (const Transfer& t : round[r].sends)
        if (site_of.at(r) != site_of.at(t.peer)) total += t.slice.bytes;
  return total;
}

uint64_t Plan::bytes_sent(uint32_t rank) const {
  uint64_t total = 0;
  for (const auto& round : rounds)
    for (const Transfer& t : round.at(rank).sends) total += t.slice.bytes;
  return total;
}

Plan ring_allreduce_plan(uint32_t n, uint64_t count, uint64_t elem) {
  Plan p{.ranks = n, .rounds = {}};
  std::vector<uint32_t> all(n);
  for (uint32_t r = 0; r < n; ++r) all[r] = r;
  append_ring(p, 0, all, Slice{0, count * elem}, elem, Phase::kAllReduce);
  return p;
}

// Ring order in which rank r sits at position r − 1, so that the ring's reduce-scatter leaves chunk r
// (position p owns chunk p + 1) with rank r.
static std::vector<uint32_t> shifted_ring(uint32_t n) {
  std::vector<uint32_t> g(n);
  for (uint32_t p = 0; p < n; ++p) g[p] = (p + 1) % n;
  return g;
}

Plan ring_reduce_scatter_plan(uint32_t n, uint64_t count, uint64_t elem) {
  Plan p{.ranks = n, .rounds = {}};
  append_ring(p, 0, shifted_ring(n), Slice{0, count * elem}, elem, Phase::kReduceScatter);
  return p;
}

Plan ring_allgather_plan(uint32_t n, uint64_t count, uint64_t elem) {
  Plan p{.ranks = n, .rounds = {}};
  append_ring(p, 0, shifted_ring(n), Slice{0, count * elem}, elem, Phase::kAllGather);
  return p;
}

Plan ring_broadcast_plan(uint32_t n, uint32_t root, uint64_t count, uint64_t elem, uint32_t pieces) {
  Plan p{.ranks = n, .rounds = {}};
  if (n < 2 || count == 0) return p;
  pieces = std::max<uint32_t>(1, std::min<uint64_t>(pieces, count));
  // The rank at ring distance d from the root (d = 1 .. n − 1) receives piece j in round j + d − 1.
  p.rounds.resize(pieces + n - 2, std::vector<RankRound>(n));
  for (uint32_t d = 1; d < n; ++d) {
    const uint32_t from = (root + d - 1) % n, to = (root + d) % n;
    for (uint32_t j = 0; j < pieces; ++j) {
      const Slice piece = chunk(count, elem, pieces, j);
      if (piece.bytes == 0) continue;
      const uint32_t round = j + d - 1;
      p.rounds[round][from].sends.push_back({to, piece, false});
      p.rounds[round][to].recvs.push_back({from, piece, false});
    }
  }
  return p;
}

Plan hierarchical_allreduce_plan(const std::vector<uint32_t>& site_of, uint64_t count, uint64_t elem) {
  const auto n = static_cast<uint32_t>(site_of.size());
  std::map<uint32_t, std::vector<uint32_t>> sites;  // site -> its ranks in rank order
  for (uint32_t r = 0; r < n; ++r) sites[site_of[r]].push_back(r);
  const size_t local = sites.empty() ? 0 : sites.begin()->second.size();
  for (const auto& [site, ranks] : sites) {
    if (ranks.size() != local) {
      throw std::invalid_argument("hierarchical all-reduce needs the same number of ranks in every site: site " +
                                  std::to_string(sites.begin()->first) + " has " + std::to_string(local) +
                                  ", site " + std::to_string(site) + " has " + std::to_string(ranks.size()));
    }
  }
  Plan p{.ranks = n, .rounds = {}};
  const auto l = static_cast<uint32_t>(local);
  const Slice whole{0, count * elem};
  // 1. Inside each site: reduce-scatter; local rank j then owns chunk (j + 1) mod L, reduced over its site.
  uint32_t used = 0;
  for (const auto& [site, ranks] : sites) used = append_ring(p, 0, ranks, whole, elem, Phase::kReduceScatter);
  // 2. Across the sites, one ring per local index over that index's chunk.
  uint32_t across = 0;
  for (uint32_t j = 0; j < l; ++j) {
    std::vector<uint32_t> group;
    for (const auto& [site, ranks] : sites) group.push_back(ranks[j]);
    Slice owned = l < 2 ? whole : chunk(count, elem, l, reduce_scatter_owner_chunk(l, j));
    across = std::max(across, append_ring(p, used, group, owned, elem, Phase::kAllReduce));
  }
  // 3. Inside each site: all-gather the chunks.
  for (const auto& [site, ranks] : sites) append_ring(p, used + across, ranks, whole, elem, Phase::kAllGather);
  return p;
}

}  // namespace lh::coll
