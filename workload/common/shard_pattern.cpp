// shard_pattern.cpp — see shard_pattern.hpp. Blocks are processed word by word with the body word
// carried as a running sum (vectorizable); checking ORs differences per block, no early exit inside.
#include "workload/common/shard_pattern.hpp"

#include <cstring>

namespace lh::workload {
namespace {

constexpr uint64_t kBodyStep = 0x9E3779B97F4A7C15ull;  // odd: word index -> body word is a bijection
constexpr uint64_t kHdrStep = 0xD6E8FEB86659FD93ull;   // odd
constexpr uint64_t kHdrSalt = 0xA0761D6478BD642Full;
constexpr size_t kBlockWords = kPatternBlock / 8;

inline uint64_t header(uint64_t shard, uint64_t block, uint64_t seed) {
  return (seed ^ kHdrSalt) + ((shard << 32) | (block & 0xFFFFFFFFull)) * kHdrStep;
}

// Word w of a shard (the last word may be partial: only its low bytes are used).
inline uint64_t word_at(uint64_t w, uint64_t shard, uint64_t seed) {
  return w % kBlockWords == 0 ? header(shard, w / kBlockWords, seed) : seed + w * kBodyStep;
}

}  // namespace

void fill_shard(std::span<uint8_t> dst, uint64_t shard, uint64_t seed) {
  const size_t words = dst.size() / 8;
  uint8_t* p = dst.data();
  uint64_t v = seed;
  for (size_t w = 0; w < words; ++w, v += kBodyStep) std::memcpy(p + w * 8, &v, 8);
  stamp_shard(dst, shard, seed);
  const size_t tail = dst.size() % 8;
  if (tail != 0) {
    const uint64_t last = word_at(words, shard, seed);
    std::memcpy(p + words * 8, &last, tail);
  }
}

void stamp_shard(std::span<uint8_t> dst, uint64_t shard, uint64_t seed) {
  for (size_t off = 0, block = 0; off < dst.size(); off += kPatternBlock, ++block) {
    const uint64_t h = header(shard, block, seed);
    std::memcpy(dst.data() + off, &h, dst.size() - off < 8 ? dst.size() - off : 8);
  }
}

bool check_shard(std::span<const uint8_t> src, uint64_t shard, uint64_t seed) {
  const size_t words = src.size() / 8;
  const uint8_t* p = src.data();
  for (size_t w0 = 0; w0 < words; w0 += kBlockWords) {
    const size_t end = w0 + kBlockWords < words ? w0 + kBlockWords : words;
    uint64_t got = 0;
    std::memcpy(&got, p + w0 * 8, 8);
    uint64_t diff = got ^ header(shard, w0 / kBlockWords, seed);
    // Four independent lanes (words w, w+1, w+2, w+3) so the loop is not one long dependency chain.
    size_t w = w0 + 1;
    uint64_t v = seed + w * kBodyStep;
    uint64_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    for (; w + 4 <= end; w += 4, v += 4 * kBodyStep) {
      uint64_t g[4];
      std::memcpy(g, p + w * 8, sizeof(g));
      d0 |= g[0] ^ v;
      d1 |= g[1] ^ (v + kBodyStep);
      d2 |= g[2] ^ (v + 2 * kBodyStep);
      d3 |= g[3] ^ (v + 3 * kBodyStep);
    }
    for (; w < end; ++w, v += kBodyStep) {
      std::memcpy(&got, p + w * 8, 8);
      diff |= got ^ v;
    }
    diff |= d0 | d1 | d2 | d3;
    if (diff != 0) return false;
  }
  const size_t tail = src.size() % 8;
  if (tail != 0) {
    const uint64_t last = word_at(words, shard, seed);
    if (std::memcmp(p + words * 8, &last, tail) != 0) return false;
  }
  return true;
}

}  // namespace lh::workload
