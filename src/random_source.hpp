// random_source.hpp — where unpredictable identifiers come from: connection ids, memory keys, nonces.
//
// The protocol engines are pure (no syscalls), so whoever builds one hands it a RandomSource: the
// real drivers SystemRandom (the kernel's CSPRNG, getrandom(2)), the simulator, tests and fuzz
// targets SeededRandom (reproducible). Never give a network-facing endpoint a SeededRandom:
// xoshiro256** is linear, so four observed outputs reveal its state and every value that follows
// (tests/unit/xport/identity_test.cpp does exactly that). Drawn at set-up time (a connection, a
// registration), never per packet.
#pragma once

#include <cstdint>

#include "src/rng.hpp"

namespace lh {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual uint64_t next_u64() = 0;
};

// The kernel's CSPRNG. Throws std::system_error if getrandom fails (it blocks only before the
// kernel's pool is first initialised, early at boot).
class SystemRandom final : public RandomSource {
 public:
  uint64_t next_u64() override;
};

// A reproducible stream (xoshiro256** under `seed`, `stream_id`): simulations, tests, fuzzing.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed, uint64_t stream_id = 0) : rng_(seed, stream_id) {}
  uint64_t next_u64() override { return rng_.next(); }

 private:
  Rng rng_;
};

}  // namespace lh
