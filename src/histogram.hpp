// histogram.hpp — a log-linear histogram of non-negative int64 values (HdrHistogram's layout).
//
// Buckets double in width, each split into 2048 linear sub-buckets (half of them overlapping the
// previous bucket), so any recorded value is known to within 1/1024 (< 0.1%) of itself: 3
// significant digits from 0 to `highest` (default 100 s in ns). Storage is allocated once at
// construction; record() is O(1), noexcept and allocation-free (per-packet safe). Values outside
// [0, highest] are clamped to the range and counted in clamped(). Mean is exact (128-bit sum).
// Not thread-safe: one writer; readers copy or merge it off the datapath.
// Reference: G. Tene, HdrHistogram (hdrhistogram.org).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace lh {

class Histogram {
 public:
  static constexpr int64_t kDefaultHighest = 100'000'000'000;  // 100 s in ns

  // `highest` ≥ 2048: the largest value tracked without clamping.
  explicit Histogram(int64_t highest = kDefaultHighest);

  void record(int64_t value) noexcept { record_n(value, 1); }
  void record_n(int64_t value, uint64_t n) noexcept;
  // Adds every count of `other`; both must have been built with the same `highest`
  // (throws std::invalid_argument otherwise). Not for the per-packet path.
  void merge(const Histogram& other);
  void reset() noexcept;

  uint64_t count() const noexcept { return count_; }
  uint64_t clamped() const noexcept { return clamped_; }  // values recorded outside [0, highest]
  int64_t min() const noexcept { return count_ ? min_ : 0; }
  int64_t max() const noexcept { return count_ ? max_ : 0; }
  double mean() const noexcept;
  int64_t highest() const noexcept { return highest_; }

  // Nearest-rank percentile, p in [0, 100]: the smallest recorded value v (to within 0.1%) such
  // that at least p% of recorded values are ≤ v. percentile(0) = min(), percentile(100) = max().
  // Returns 0 when empty.
  int64_t percentile(double p) const noexcept;

  // Calls f(lowest, highest, count) for every non-empty sub-bucket, in increasing value order
  // (for exporting, e.g. as Prometheus buckets).
  template <typename F>
  void for_each_bucket(F&& f) const {
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0) f(lowest_at(i), highest_at(i), counts_[i]);
    }
  }

  // {"count", "clamped", "min", "max", "mean", "p50", "p90", "p99", "p999", "p9999"}
  // (statistics are null when empty).
  nlohmann::json to_json() const;

  // Lowest/highest value that shares `value`'s sub-bucket (exposed for tests and exporters).
  int64_t lowest_equivalent(int64_t value) const noexcept;
  int64_t highest_equivalent(int64_t value) const noexcept;

 private:
  size_t index_of(int64_t value) const noexcept;
  int64_t lowest_at(size_t index) const noexcept;
  int64_t highest_at(size_t index) const noexcept;

  int64_t highest_;
  int bucket_count_ = 0;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t clamped_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace lh
