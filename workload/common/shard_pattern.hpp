// shard_pattern.hpp — the deterministic byte pattern lh-xfer writes and the server verifies.
//
// A shard is a run of 4 KiB blocks. The first 8 bytes of each block are a header word naming the
// shard and the block, hdr(shard, block) = (seed ^ kHdr) + (shard << 32 | block)·K2; every other
// 8-byte word is body(w) = seed + w·K (w = word index inside the shard; K, K2 odd). A shard landing
// at the wrong place, a stale slot (an older shard's headers) or any corrupted byte fails the check.
// The body depends only on the position inside a shard, so the sender fills each slot once and
// then rewrites only the headers (1/512 of the bytes) per shard. Little-endian words (x86/ARM).
// The transport checks the wire itself (CRC32C per datagram, XXH3 per operation); this checks
// placement end to end, at memory bandwidth (one add per word, vectorized).
#pragma once

#include <cstdint>
#include <span>

namespace lh::workload {

inline constexpr size_t kPatternBlock = 4096;  // bytes per header-stamped block

// Writes shard `shard`'s complete pattern into dst (dst.size() = the shard's length).
void fill_shard(std::span<uint8_t> dst, uint64_t shard, uint64_t seed);
// Rewrites only the block headers: turns a buffer holding any shard's pattern (of at least
// dst.size() bytes) into shard `shard`'s pattern.
void stamp_shard(std::span<uint8_t> dst, uint64_t shard, uint64_t seed);
// Bytes of shard `i` of a `size`-byte transfer cut into `shard`-byte shards (the last may be shorter).
constexpr uint64_t shard_len(uint64_t size, uint64_t shard, uint64_t i) { return shard < size - i * shard ? shard : size - i * shard; }

// True when src holds exactly shard `shard`'s pattern.
bool check_shard(std::span<const uint8_t> src, uint64_t shard, uint64_t seed);

}  // namespace lh::workload
