// fuzz_runner.cpp — the bounded corpus runner behind every fuzz target of the `fuzz` suite (any
// compiler; under ASan+UBSan in the sanitizer tree). A target is one translation unit defining
// libFuzzer's entry point, LLVMFuzzerTestOneInput; with clang the same file also builds as a libFuzzer
// binary for long runs (see tests/fuzz/meson.build).
//
// Usage: <target> CORPUS_DIR [iterations] [seed]. Every file of CORPUS_DIR (the checked-in seeds) runs
// once, then `iterations` inputs derived from them: bit flips, byte runs replaced by boundary values
// (0x00, 0xff, 0x7f, 0x80), bytes inserted, deleted or duplicated, truncations, splices of two seeds,
// and random inputs. Deterministic for a seed. Prints one line — executions and seeds — for the CI
// summary; a finding aborts (the target's own checks, or a sanitizer).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "src/rng.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

Bytes mutate(Bytes s, const std::vector<Bytes>& seeds, lh::Rng& rng) {
  const int n = 1 + static_cast<int>(rng.below(4));
  for (int i = 0; i < n; ++i) {
    const size_t len = s.size();
    switch (rng.below(8)) {
      case 0:
        if (len > 0) s[rng.below(len)] ^= static_cast<uint8_t>(1u << rng.below(8));
        break;
      case 1: {  // a run of bytes becomes a boundary value
        if (len == 0) break;
        static constexpr uint8_t kEdges[] = {0x00, 0xff, 0x7f, 0x80, 0x01};
        const size_t at = rng.below(len), run = std::min<size_t>(len - at, 1 + rng.below(8));
        std::fill_n(s.begin() + static_cast<long>(at), run, kEdges[rng.below(std::size(kEdges))]);
        break;
      }
      case 2: s.insert(s.begin() + static_cast<long>(rng.below(len + 1)), static_cast<uint8_t>(rng.next())); break;
      case 3:
        if (len > 0) s.erase(s.begin() + static_cast<long>(rng.below(len)));
        break;
      case 4: {  // duplicate a chunk
        if (len == 0) break;
        const size_t at = rng.below(len), run = std::min<size_t>(len - at, 1 + rng.below(16));
        const Bytes chunk(s.begin() + static_cast<long>(at), s.begin() + static_cast<long>(at + run));
        s.insert(s.begin() + static_cast<long>(rng.below(len + 1)), chunk.begin(), chunk.end());
        break;
      }
      case 5: s.resize(rng.below(len + 1)); break;
      case 6: {  // splice: this input's head, another seed's tail
        const Bytes& o = seeds[rng.below(seeds.size())];
        const size_t cut = rng.below(len + 1), from = rng.below(o.size() + 1);
        s.resize(cut);
        s.insert(s.end(), o.begin() + static_cast<long>(from), o.end());
        break;
      }
      default: {  // a whole random input
        s.resize(rng.below(256));
        for (uint8_t& b : s) b = static_cast<uint8_t>(rng.next());
        break;
      }
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [iterations] [seed]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const uint64_t iterations = argc > 2 ? std::stoull(argv[2]) : 10000;
  lh::Rng rng(argc > 3 ? std::stoull(argv[3]) : 1);
  std::vector<Bytes> seeds;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // a fixed order: runs are reproducible
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "%s: no seeds in %s\n", argv[0], dir.c_str());
    return 2;
  }
  uint64_t runs = 0;
  for (const Bytes& s : seeds) {
    LLVMFuzzerTestOneInput(s.data(), s.size());
    ++runs;
  }
  for (uint64_t i = 0; i < iterations; ++i) {
    const Bytes in = mutate(seeds[rng.below(seeds.size())], seeds, rng);
    LLVMFuzzerTestOneInput(in.data(), in.size());
    ++runs;
  }
  std::printf("fuzz %s: %llu executions from %zu seeds\n", std::filesystem::path(argv[0]).filename().c_str(),
              static_cast<unsigned long long>(runs), seeds.size());
  return 0;
}
