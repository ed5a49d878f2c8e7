// ring_test.cpp — the collectives' pure pieces (transport/coll): the reduction kernels of every
// element type and operator, and the ring all-reduce schedule executed in memory by 2–8 ranks.
// Inputs are integer-valued, so every float sum is exact and the results compare bit for bit with a
// reference; every rank must end with the same bytes; each rank sends 2(n − 1)/n of the buffer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "transport/coll/reduce.hpp"
#include "transport/coll/ring.hpp"

namespace lh::coll {
namespace {

// Rank r's element i, as a double (integer-valued, small enough for fp16's exact range when summed).
double value(uint32_t r, size_t i) { return static_cast<double>(static_cast<int>((r * 7 + i * 3) % 11) - 5); }

std::vector<uint8_t> encode(DataType t, const std::vector<double>& v) {
  std::vector<uint8_t> out(v.size() * size_of(t));
  for (size_t i = 0; i < v.size(); ++i) {
    uint8_t* p = out.data() + i * size_of(t);
    switch (t) {
      case DataType::kF32: { const float f = static_cast<float>(v[i]); std::memcpy(p, &f, 4); break; }
      case DataType::kF16: { const _Float16 h = static_cast<_Float16>(v[i]); std::memcpy(p, &h, 2); break; }
      case DataType::kBF16: { const uint16_t b = float_to_bf16(static_cast<float>(v[i])); std::memcpy(p, &b, 2); break; }
      case DataType::kI32: { const int32_t x = static_cast<int32_t>(v[i]); std::memcpy(p, &x, 4); break; }
      case DataType::kI64: { const int64_t x = static_cast<int64_t>(v[i]); std::memcpy(p, &x, 8); break; }
    }
  }
  return out;
}

double reference(RedOp op, uint32_t n, size_t i, bool integer) {
  double acc = value(0, i);
  for (uint32_t r = 1; r < n; ++r) {
    const double x = value(r, i);
    acc = op == RedOp::kMin ? std::min(acc, x) : op == RedOp::kMax ? std::max(acc, x) : acc + x;
  }
  if (op == RedOp::kAvg) acc = integer ? std::trunc(acc / n) : acc / n;
  return acc;
}

// Runs ring all-reduce over n in-memory ranks; returns every rank's buffer and the bytes each sent.
std::vector<std::vector<uint8_t>> ring_allreduce(DataType t, RedOp op, uint32_t n, size_t count,
                                                 std::vector<uint64_t>& sent) {
  std::vector<std::vector<uint8_t>> buf(n);
  for (uint32_t r = 0; r < n; ++r) {
    std::vector<double> v(count);
    for (size_t i = 0; i < count; ++i) v[i] = value(r, i);
    buf[r] = encode(t, v);
  }
  sent.assign(n, 0);
  const uint64_t elem = size_of(t);
  for (uint32_t s = 0; s < ring_allreduce_steps(n); ++s) {
    // Every rank sends before any receives (the chunks in flight at one step are disjoint).
    std::vector<std::vector<uint8_t>> wire(n);
    for (uint32_t r = 0; r < n; ++r) {
      const Slice c = chunk(count, elem, n, ring_allreduce_step(n, r, s).send_chunk);
      wire[r].assign(buf[r].begin() + static_cast<ptrdiff_t>(c.offset), buf[r].begin() + static_cast<ptrdiff_t>(c.offset + c.bytes));
      sent[r] += c.bytes;
    }
    for (uint32_t r = 0; r < n; ++r) {
      const RingStep st = ring_allreduce_step(n, r, s);
      const uint32_t from = (r + n - 1) % n;
      EXPECT_EQ(ring_allreduce_step(n, from, s).send_chunk, st.recv_chunk);  // what the left neighbour sends
      const Slice c = chunk(count, elem, n, st.recv_chunk);
      EXPECT_EQ(wire[from].size(), c.bytes);
      if (wire[from].size() != c.bytes) return buf;
      if (st.reduce) {
        reduce(t, op, buf[r].data() + c.offset, wire[from].data(), c.bytes / elem);
      } else {
        std::memcpy(buf[r].data() + c.offset, wire[from].data(), c.bytes);
      }
    }
  }
  if (op == RedOp::kAvg)
    for (auto& b : buf) finish_avg(t, b.data(), count, n);
  return buf;
}

TEST(Chunks, CoverTheBufferExactlyInOrder) {
  for (uint64_t count : {0ull, 1ull, 7ull, 64ull, 1001ull})
    for (uint32_t n : {1u, 2u, 3u, 8u}) {
      uint64_t next = 0;
      for (uint32_t k = 0; k < n; ++k) {
        const Slice c = chunk(count, 4, n, k);
        EXPECT_EQ(c.offset, next);
        EXPECT_LE(c.bytes, (count / n + 1) * 4);
        next += c.bytes;
      }
      EXPECT_EQ(next, count * 4);
    }
}

TEST(RingAllReduce, EveryTypeAndOperatorIsExactAndEveryRankEndsIdentical) {
  const DataType types[] = {DataType::kF32, DataType::kF16, DataType::kBF16, DataType::kI32, DataType::kI64};
  const RedOp ops[] = {RedOp::kSum, RedOp::kAvg, RedOp::kMin, RedOp::kMax};
  for (uint32_t n = 2; n <= 8; ++n)
    for (DataType t : types)
      for (RedOp op : ops) {
        SCOPED_TRACE(testing::Message() << n << " ranks, " << to_string(t) << ", " << to_string(op));
        const size_t count = 1000 + n;  // not a multiple of n: uneven chunks
        std::vector<uint64_t> sent;
        const auto out = ring_allreduce(t, op, n, count, sent);
        const bool integer = t == DataType::kI32 || t == DataType::kI64;
        std::vector<double> want(count);
        for (size_t i = 0; i < count; ++i) want[i] = reference(op, n, i, integer);
        // fp16/bf16 averages round; sums, mins and maxes of these small integers are exact.
        if (op == RedOp::kAvg && (t == DataType::kF16 || t == DataType::kBF16 || t == DataType::kF32)) {
          for (size_t i = 0; i < count; ++i) {
            std::vector<uint8_t> sum = encode(t, {reference(RedOp::kSum, n, i, false)});
            finish_avg(t, sum.data(), 1, n);
            ASSERT_EQ(std::memcmp(out[0].data() + i * size_of(t), sum.data(), size_of(t)), 0) << "element " << i;
          }
        } else {
          EXPECT_EQ(out[0], encode(t, want));
        }
        for (uint32_t r = 1; r < n; ++r) EXPECT_EQ(out[r], out[0]) << "rank " << r;
        // Bandwidth-optimal: each rank sends 2(n - 1) chunks of about S / n.
        const uint64_t s = count * size_of(t);
        for (uint32_t r = 0; r < n; ++r) {
          EXPECT_GE(sent[r], 2 * (n - 1) * (s / n) - 2 * (n - 1) * size_of(t));
          EXPECT_LE(sent[r], 2 * (n - 1) * (s / n + size_of(t)));
        }
      }
}

TEST(Reduce, IntegerSumsWrapAndHalfPrecisionRoundsToNearestEven) {
  int32_t a[2] = {INT32_MAX, -5};
  const int32_t b[2] = {1, 3};
  reduce(DataType::kI32, RedOp::kSum, a, b, 2);
  EXPECT_EQ(a[0], INT32_MIN);
  EXPECT_EQ(a[1], -2);
  // bf16 has 8 significant bits: 256 + 1 is a tie between 256 and 258 → 256 (even).
  uint16_t x = float_to_bf16(256.0f);
  const uint16_t one = float_to_bf16(1.0f);
  reduce(DataType::kBF16, RedOp::kSum, &x, &one, 1);
  EXPECT_EQ(bf16_to_float(x), 256.0f);
  EXPECT_EQ(bf16_to_float(float_to_bf16(257.5f)), 258.0f);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(NAN))));
  EXPECT_EQ(bf16_to_float(float_to_bf16(INFINITY)), INFINITY);
}

TEST(Names, ParseAndPrint) {
  for (const char* s : {"float", "half", "bfloat16", "int32", "int64"}) EXPECT_EQ(to_string(*parse_data_type(s)), s);
  for (const char* s : {"sum", "avg", "min", "max"}) EXPECT_EQ(to_string(*parse_red_op(s)), s);
  EXPECT_EQ(parse_data_type("fp32"), DataType::kF32);
  EXPECT_EQ(parse_data_type("bf16"), DataType::kBF16);
  EXPECT_FALSE(parse_data_type("fp8").has_value());
  EXPECT_FALSE(parse_red_op("prod").has_value());
}

}  // namespace
}  // namespace lh::coll
