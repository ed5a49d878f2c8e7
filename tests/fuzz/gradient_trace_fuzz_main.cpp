// gradient_trace_fuzz_main.cpp — bounded corpus runner for the gradient-trace reader (suite 'fuzz').
//
// Without libFuzzer (gcc builds) this generates a deterministic corpus from a valid seed trace:
// byte flips, numbers replaced by boundary values and wrong types, keys renamed, lines deleted,
// duplicated, swapped or truncated, and random bytes. Usage: gradient_trace_fuzz [iterations] [seed].
// Exits non-zero only via abort() in the target.
#include <cstdio>
#include <string>
#include <vector>

#include "src/rng.hpp"
#include "tests/fuzz/gradient_trace_fuzz_target.hpp"

namespace {

constexpr const char* kValues[] = {"0", "1", "-1", "1.5", "1e3", "4294967295", "4294967296", "9223372036854775807",
                                   "9223372036854775808", "18446744073709551615", "18446744073709551616", "null",
                                   "true", "\"x\"", "[]", "{}", "\"\\u0000\"", "\"\\ud800\""};
constexpr const char* kKeys[] = {"t_ns", "step", "src", "dst", "bytes", "op", "bucket", "round", "after_compute_ns",
                                 "site", "rank", "format", "version", "provenance", "source", "tool", "model",
                                 "steps", "sites", "world_size", "ranks_per_site", "step_compute_ns", "xyz"};

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < s.size()) {
    const size_t e = s.find('\n', b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

std::string mutate(std::string s, lh::Rng& rng) {
  const int n = 1 + static_cast<int>(rng.below(3));
  for (int i = 0; i < n && !s.empty(); ++i) {
    switch (rng.below(7)) {
      case 0: s[rng.below(s.size())] ^= static_cast<char>(1u << rng.below(8)); break;
      case 1: {  // a number (run of digits) becomes a boundary value or another type
        const size_t at = s.find_first_of("0123456789", rng.below(s.size()));
        if (at == std::string::npos) break;
        const size_t end = s.find_first_not_of("0123456789", at);
        s.replace(at, end - at, kValues[rng.below(std::size(kValues))]);
        break;
      }
      case 2: {  // a quoted key becomes another key
        const size_t q = s.find('"', rng.below(s.size()));
        if (q == std::string::npos) break;
        const size_t q2 = s.find('"', q + 1);
        if (q2 == std::string::npos) break;
        s.replace(q + 1, q2 - q - 1, kKeys[rng.below(std::size(kKeys))]);
        break;
      }
      case 3: {  // delete, duplicate or swap lines
        auto lines = lines_of(s);
        if (lines.size() < 2) break;
        const size_t a = rng.below(lines.size()), b = rng.below(lines.size());
        const uint64_t op = rng.below(3);
        if (op == 0) {
          lines.erase(lines.begin() + static_cast<long>(a));
        } else if (op == 1) {
          lines.insert(lines.begin() + static_cast<long>(b), lines[a]);
        } else {
          std::swap(lines[a], lines[b]);
        }
        s = join(lines);
        break;
      }
      case 4: s.resize(rng.below(s.size() + 1)); break;
      case 5: s.insert(rng.below(s.size() + 1), 1, static_cast<char>(rng.next())); break;
      default: s.insert(rng.below(s.size() + 1), rng.below(2) ? "\n" : "\r\n"); break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t iterations = argc > 1 ? std::stoull(argv[1]) : 3000;
  const uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 1;
  lh::Rng rng(seed);
  const std::string base = lh::traces::fuzz::seed_trace();
  const auto feed = [](const std::string& s) {
    lh::traces::fuzz::run_one(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  feed(base);
  for (uint64_t it = 0; it < iterations; ++it) {
    if (rng.below(10) == 0) {
      std::string junk(rng.below(400), '\0');
      for (char& c : junk) c = static_cast<char>(rng.next());
      feed(junk);
    } else {
      feed(mutate(base, rng));
    }
  }
  std::printf("fuzz gradient_trace_fuzz: %llu executions from 1 seeds\n", static_cast<unsigned long long>(iterations));
  return 0;
}
