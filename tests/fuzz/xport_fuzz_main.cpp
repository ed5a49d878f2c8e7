// xport_fuzz_main.cpp — bounded corpus runner for the wire-decoder + engine fuzz target (suite 'fuzz').
//
// Without libFuzzer (gcc builds), this generates a deterministic corpus: purely random datagrams,
// and valid client/server datagrams with bit flips, overwritten fields (random and boundary values)
// and truncation, half of them re-sealed with a correct CRC so the frame parser and placement run.
// Usage: xport_fuzz [iterations] [seed]. Exits non-zero only via abort() in the target.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "src/rng.hpp"
#include "tests/fuzz/xport_fuzz_target.hpp"

namespace {

void append_record(std::vector<uint8_t>& in, uint8_t flags, const std::vector<uint8_t>& d) {
  in.push_back(flags);
  in.push_back(static_cast<uint8_t>(d.size()));
  in.push_back(static_cast<uint8_t>(d.size() >> 8));
  in.insert(in.end(), d.begin(), d.end());
}

std::vector<uint8_t> mutate(std::vector<uint8_t> d, lh::Rng& rng) {
  static constexpr uint64_t kBoundary[] = {0, 1, 0x7f, 0xff, 0xffff, 0xffffffffull, 0x7fffffffffffffffull, ~0ull};
  const int n = 1 + static_cast<int>(rng.below(4));
  for (int i = 0; i < n && !d.empty(); ++i) {
    switch (rng.below(4)) {
      case 0: d[rng.below(d.size())] ^= static_cast<uint8_t>(1u << rng.below(8)); break;
      case 1: {  // overwrite an 8-byte field with a boundary or random value
        const size_t at = rng.below(d.size());
        const uint64_t v = rng.below(2) ? kBoundary[rng.below(8)] : rng.next();
        for (size_t k = 0; k < 8 && at + k < d.size(); ++k) d[at + k] = static_cast<uint8_t>(v >> (8 * k));
        break;
      }
      case 2: d.resize(rng.below(d.size() + 1)); break;
      default: d[rng.below(d.size())] = static_cast<uint8_t>(rng.next()); break;
    }
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t iterations = argc > 1 ? std::stoull(argv[1]) : 3000;
  const uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 1;
  lh::Rng rng(seed);
  const auto seeds = lh::xport::fuzz::seed_datagrams();
  if (seeds.empty()) {
    std::fprintf(stderr, "xport_fuzz: no seed datagrams\n");
    return 1;
  }
  for (uint64_t it = 0; it < iterations; ++it) {
    std::vector<uint8_t> input;
    const int records = 1 + static_cast<int>(rng.below(12));
    for (int r = 0; r < records; ++r) {
      uint8_t flags = static_cast<uint8_t>((rng.below(4) << 2) | (rng.below(5) == 0 ? lh::xport::fuzz::kToClient : 0));
      std::vector<uint8_t> d;
      if (rng.below(5) == 0) {
        d.resize(rng.below(1600));
        for (auto& b : d) b = static_cast<uint8_t>(rng.next());
      } else {
        d = mutate(seeds[rng.below(seeds.size())], rng);
      }
      if (rng.below(2)) flags |= lh::xport::fuzz::kReseal;
      append_record(input, flags, d);
    }
    lh::xport::fuzz::run_one(input.data(), input.size());
  }
  std::printf("fuzz xport_fuzz: %llu executions from %zu seeds\n", static_cast<unsigned long long>(iterations),
              seeds.size());
  return 0;
}
