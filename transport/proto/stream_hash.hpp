// stream_hash.hpp — XXH3-64 computed incrementally over a byte range that fills up front to back.
//
// The target of an operation hashes its placed bytes as the in-order prefix grows (fragments usually
// arrive in order), while they are still in cache, instead of re-reading the whole operation from
// memory when it completes: one pass over the data less, and no stall of the event loop proportional
// to the operation's size. The result equals XXH3_64bits over the same bytes (xxHash's streaming API).
// No allocation: the state (≈576 bytes, 64-byte aligned) lives inside the object.
#pragma once

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#if defined(__x86_64__) && __has_include(<xxh_x86dispatch.h>)
#include <xxh_x86dispatch.h>  // libxxhash's runtime choice of SSE2/AVX2/AVX-512 kernels
#define LH_XXH3_DISPATCH 1
#endif

#include <cstddef>
#include <cstdint>

namespace lh::xport {

// XXH3_64bits of a whole buffer, with the widest vector unit the CPU has (same result everywhere).
inline uint64_t xxh3_64(const void* data, size_t len) {
#ifdef LH_XXH3_DISPATCH
  return XXH3_64bits_dispatch(data, len);
#else
  return XXH3_64bits(data, len);
#endif
}

class StreamHash {
 public:
  StreamHash() { reset(); }
  StreamHash(const StreamHash&) = delete;
  StreamHash& operator=(const StreamHash&) = delete;

  // Starts over at offset 0 (cheap: the state is initialised by the first update()).
  void reset() { hashed_ = 0; }
  // Bytes [0, hashed()) of the range have been hashed.
  [[nodiscard]] uint64_t hashed() const { return hashed_; }
  // Hashes the next `len` bytes of the range (which start at offset hashed()).
  void update(const uint8_t* data, size_t len) {
    if (hashed_ == 0) XXH3_64bits_reset(&state_);
#ifdef LH_XXH3_DISPATCH
    XXH3_64bits_update_dispatch(&state_, data, len);
#else
    XXH3_64bits_update(&state_, data, len);
#endif
    hashed_ += len;
  }
  // XXH3_64bits of bytes [0, hashed()); requires hashed() > 0 (use xxh3_64 for a one-shot hash).
  [[nodiscard]] uint64_t digest() const { return XXH3_64bits_digest(&state_); }

 private:
  XXH3_state_t state_;
  uint64_t hashed_ = 0;
};

}  // namespace lh::xport
