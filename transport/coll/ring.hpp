// ring.hpp — the ring algorithms' schedules, pure: which chunk each rank sends and receives at each
// step, and whether it reduces what arrives or only stores it. A communicator (next: over the
// transport's one-sided WRITEs) executes them; tests execute them in memory.
//
// All-reduce of S bytes over n ranks = reduce-scatter then all-gather, 2(n − 1) steps. The buffer is
// cut into n chunks (element-aligned, sizes differing by at most one element). At reduce-scatter step
// s (0 ≤ s < n − 1) rank r sends chunk (r − s) mod n to rank r + 1 and receives chunk (r − s − 1)
// mod n from rank r − 1, reducing it into its own; after n − 1 steps rank r holds the full reduction
// of chunk (r + 1) mod n. At all-gather step s it sends chunk (r + 1 − s) mod n and stores the chunk
// (r − s) mod n it receives. Each rank sends 2(n − 1)/n · S bytes — the bandwidth-optimal figure — and
// every chunk is reduced in one fixed order around the ring, so all ranks end bit-identical.
#pragma once

#include <cstdint>

namespace lh::coll {

struct Slice {
  uint64_t offset = 0, bytes = 0;  // in bytes
  bool operator==(const Slice&) const = default;
};

// Chunk k of n of a buffer of `count` elements of `elem` bytes: the first count % n chunks get one
// element more.
[[nodiscard]] constexpr Slice chunk(uint64_t count, uint64_t elem, uint32_t n, uint32_t k) {
  const uint64_t base = count / n, extra = count % n;
  const uint64_t first = k * base + (k < extra ? k : extra);
  const uint64_t len = base + (k < extra ? 1 : 0);
  return Slice{first * elem, len * elem};
}

struct RingStep {
  uint32_t send_chunk = 0;  // to rank (r + 1) mod n
  uint32_t recv_chunk = 0;  // from rank (r − 1) mod n
  bool reduce = false;      // reduce-scatter: combine into the accumulator; all-gather: store
};

[[nodiscard]] constexpr uint32_t ring_allreduce_steps(uint32_t n) { return n < 2 ? 0 : 2 * (n - 1); }

// Step s (0 ≤ s < ring_allreduce_steps(n)) of rank r.
[[nodiscard]] constexpr RingStep ring_allreduce_step(uint32_t n, uint32_t r, uint32_t s) {
  const auto mod = [n](int64_t v) { return static_cast<uint32_t>(((v % n) + n) % n); };
  if (s < n - 1) return RingStep{mod(int64_t{r} - s), mod(int64_t{r} - s - 1), true};
  const uint32_t g = s - (n - 1);
  return RingStep{mod(int64_t{r} + 1 - g), mod(int64_t{r} - g), false};
}

// Reduce-scatter alone (the first n − 1 steps): rank r ends with chunk (r + 1) mod n reduced.
[[nodiscard]] constexpr uint32_t reduce_scatter_owner_chunk(uint32_t n, uint32_t r) { return (r + 1) % n; }

}  // namespace lh::coll
