// model_test_util.hpp — small helpers shared by the LinkDirection unit tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "emulator/model/link_direction.hpp"

namespace lh::emu::test {

inline PacketMeta packet(int64_t arrival_ns, uint32_t bytes = 1500, bool ect = false) {
  return PacketMeta{.arrival = Nanos{arrival_ns}, .wire_bytes = bytes, .flow_hash = 0, .ect = ect};
}

// Lengths of the maximal runs of `true` and of `false` in `lost` (the first and last run are cut by
// the window's ends and are left out).
struct Runs {
  std::vector<double> bursts, gaps;
};
inline Runs runs_of(const std::vector<bool>& lost) {
  Runs r;
  size_t i = 0;
  while (i < lost.size() && lost[i] == lost[0]) ++i;   // skip the first (censored) run
  while (i < lost.size()) {
    size_t j = i;
    while (j < lost.size() && lost[j] == lost[i]) ++j;
    if (j == lost.size()) break;                       // the last run is censored too
    (lost[i] ? r.bursts : r.gaps).push_back(static_cast<double>(j - i));
    i = j;
  }
  return r;
}

struct MeanSe {
  double mean = 0, se = 0;
};
// Sample mean and its standard error (sample sd / sqrt(n)).
inline MeanSe mean_se(const std::vector<double>& v) {
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  const double n = static_cast<double>(v.size());
  const double mean = sum / n;
  for (double x : v) sq += (x - mean) * (x - mean);
  return {mean, std::sqrt(sq / (n - 1) / n)};
}

// Kolmogorov–Smirnov statistic of `sample` against the CDF `cdf`.
template <typename Cdf>
double ks_statistic(std::vector<double> sample, Cdf cdf) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    const double f = cdf(sample[i]);
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return d;
}
// The same over the samples below `upper` only (for a distribution with an atom at `upper`, where the
// plain statistic would measure the atom's mass instead of the fit).
template <typename Cdf>
double ks_statistic_below(std::vector<double> sample, Cdf cdf, double upper) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0;
  for (size_t i = 0; i < sample.size() && sample[i] < upper; ++i) {
    const double f = cdf(sample[i]);
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return d;
}
// KS critical value at significance 0.001 for large n (c(α) = sqrt(-ln(α/2)/2) = 1.9495).
inline double ks_critical_0001(size_t n) { return 1.9495 / std::sqrt(static_cast<double>(n)); }

}  // namespace lh::emu::test
