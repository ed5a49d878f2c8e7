// histogram.cpp — index arithmetic of the log-linear histogram (see histogram.hpp).
//
// Layout (HdrHistogram with unit magnitude 0, 3 significant digits): sub-bucket count 2048, half
// 1024. Bucket b covers [1024·2^b, 2048·2^b) in steps of 2^b (bucket 0 also covers [0, 1024) in
// steps of 1); flat index = (b + 1)·1024 + (sub − 1024), so indices 0..2047 are exact values.
#include "src/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lh {
namespace {

constexpr int kHalfMagnitude = 10;                  // log2(1024)
constexpr int64_t kSubBucketCount = 2048;
constexpr int64_t kSubBucketHalf = 1024;
constexpr uint64_t kSubBucketMask = kSubBucketCount - 1;

int bucket_of(uint64_t v) noexcept {
  const int pow2ceiling = 64 - std::countl_zero(v | kSubBucketMask);
  return pow2ceiling - (kHalfMagnitude + 1);
}

}  // namespace

Histogram::Histogram(int64_t highest) : highest_(highest) {
  if (highest < kSubBucketCount) {
    throw std::invalid_argument("Histogram: highest must be at least 2048, got " + std::to_string(highest));
  }
  // Smallest bucket count whose last bucket reaches past `highest`.
  int buckets = 1;
  while ((static_cast<unsigned __int128>(kSubBucketCount) << (buckets - 1)) <= static_cast<unsigned __int128>(highest)) {
    ++buckets;
  }
  bucket_count_ = buckets;
  counts_.assign(static_cast<size_t>(buckets + 1) * kSubBucketHalf, 0);
}

size_t Histogram::index_of(int64_t value) const noexcept {
  const auto v = static_cast<uint64_t>(value);
  const int b = bucket_of(v);
  const auto sub = static_cast<int64_t>(v >> b);
  return (static_cast<size_t>(b + 1) << kHalfMagnitude) + static_cast<size_t>(sub - kSubBucketHalf);
}

int64_t Histogram::lowest_at(size_t index) const noexcept {
  int b = static_cast<int>(index >> kHalfMagnitude) - 1;
  int64_t sub = static_cast<int64_t>(index & (kSubBucketHalf - 1)) + kSubBucketHalf;
  if (b < 0) {
    sub -= kSubBucketHalf;
    b = 0;
  }
  return sub << b;
}

int64_t Histogram::highest_at(size_t index) const noexcept {
  const int b = std::max(0, static_cast<int>(index >> kHalfMagnitude) - 1);
  return lowest_at(index) + (int64_t{1} << b) - 1;
}

int64_t Histogram::lowest_equivalent(int64_t value) const noexcept {
  return lowest_at(index_of(std::clamp<int64_t>(value, 0, highest_)));
}

int64_t Histogram::highest_equivalent(int64_t value) const noexcept {
  return highest_at(index_of(std::clamp<int64_t>(value, 0, highest_)));
}

void Histogram::record_n(int64_t value, uint64_t n) noexcept {
  if (n == 0) return;
  if (value < 0 || value > highest_) {
    clamped_ += n;
    value = std::clamp<int64_t>(value, 0, highest_);
  }
  counts_[index_of(value)] += n;
  if (count_ == 0 || value < min_) min_ = value;
  if (count_ == 0 || value > max_) max_ = value;
  count_ += n;
  sum_ += static_cast<unsigned __int128>(value) * n;
}

void Histogram::merge(const Histogram& other) {
  if (other.highest_ != highest_) {
    throw std::invalid_argument("Histogram::merge: highest differs (" + std::to_string(highest_) + " vs " +
                                std::to_string(other.highest_) + ")");
  }
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ ? std::min(min_, other.min_) : other.min_;
  max_ = count_ ? std::max(max_, other.max_) : other.max_;
  count_ += other.count_;
  clamped_ += other.clamped_;
  sum_ += other.sum_;
}

void Histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = clamped_ = 0;
  min_ = max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const noexcept {
  if (count_ == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(sum_) / static_cast<long double>(count_));
}

int64_t Histogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  if (!(p > 0.0)) return min_;
  if (p >= 100.0) return max_;
  // Nearest rank; the small slack keeps e.g. 99.9% of 100000 at rank 99900 despite rounding.
  const double exact_rank = p / 100.0 * static_cast<double>(count_);
  auto rank = static_cast<uint64_t>(std::ceil(exact_rank * (1.0 - 1e-12)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(highest_at(i), min_, max_);
  }
  return max_;
}

nlohmann::json Histogram::to_json() const {
  nlohmann::json j;
  j["count"] = count_;
  j["clamped"] = clamped_;
  const bool empty = count_ == 0;
  auto stat = [&](int64_t v) { return empty ? nlohmann::json(nullptr) : nlohmann::json(v); };
  j["min"] = stat(min());
  j["max"] = stat(max());
  j["mean"] = empty ? nlohmann::json(nullptr) : nlohmann::json(mean());
  j["p50"] = stat(percentile(50));
  j["p90"] = stat(percentile(90));
  j["p99"] = stat(percentile(99));
  j["p999"] = stat(percentile(99.9));
  j["p9999"] = stat(percentile(99.99));
  return j;
}

}  // namespace lh
