// reduce.cpp — see reduce.hpp. Simple loops the compiler vectorises (-O2 on x86-64: SSE/AVX for
// fp32 and the integers; fp16/bf16 go through fp32 element by element).
#include "transport/coll/reduce.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace lh::coll {
namespace {

template <typename T, typename Op>
void combine(void* acc, const void* in, size_t count, Op op) {
  T* a = static_cast<T*>(acc);
  const T* b = static_cast<const T*>(in);
  for (size_t i = 0; i < count; ++i) a[i] = op(a[i], b[i]);
}

// Integers wrap on overflow (as NCCL and gloo): add as unsigned, which is defined.
template <typename T>
T wrapping_add(T x, T y) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(x) + static_cast<U>(y));
}

template <typename T>
void reduce_native(RedOp op, void* acc, const void* in, size_t count) {
  switch (op) {
    case RedOp::kSum:
    case RedOp::kAvg:
      if constexpr (std::is_integral_v<T>) {
        combine<T>(acc, in, count, [](T x, T y) { return wrapping_add(x, y); });
      } else {
        combine<T>(acc, in, count, [](T x, T y) { return x + y; });
      }
      break;
    case RedOp::kMin: combine<T>(acc, in, count, [](T x, T y) { return std::min(x, y); }); break;
    case RedOp::kMax: combine<T>(acc, in, count, [](T x, T y) { return std::max(x, y); }); break;
  }
}

// fp16 and bf16: element by element through fp32, rounded back after each combination.
template <typename To, typename From, typename Op>
void combine16(void* acc, const void* in, size_t count, To to, From from, Op op) {
  uint16_t* a = static_cast<uint16_t*>(acc);
  const uint16_t* b = static_cast<const uint16_t*>(in);
  for (size_t i = 0; i < count; ++i) a[i] = to(op(from(a[i]), from(b[i])));
}

template <typename To, typename From>
void reduce16(RedOp op, void* acc, const void* in, size_t count, To to, From from) {
  switch (op) {
    case RedOp::kSum:
    case RedOp::kAvg: combine16(acc, in, count, to, from, [](float x, float y) { return x + y; }); break;
    case RedOp::kMin: combine16(acc, in, count, to, from, [](float x, float y) { return std::min(x, y); }); break;
    case RedOp::kMax: combine16(acc, in, count, to, from, [](float x, float y) { return std::max(x, y); }); break;
  }
}

float f16_to_float(uint16_t h) { return static_cast<float>(std::bit_cast<_Float16>(h)); }
uint16_t float_to_f16(float f) { return std::bit_cast<uint16_t>(static_cast<_Float16>(f)); }

}  // namespace

float bf16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t float_to_bf16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7F80'0000u) == 0x7F80'0000u && (u & 0x007F'FFFFu) != 0) return static_cast<uint16_t>((u >> 16) | 0x40);
  const uint32_t rounding = 0x7FFFu + ((u >> 16) & 1u);  // to nearest, ties to even
  return static_cast<uint16_t>((u + rounding) >> 16);
}

size_t size_of(DataType t) {
  switch (t) {
    case DataType::kF32: return 4;
    case DataType::kF16:
    case DataType::kBF16: return 2;
    case DataType::kI32: return 4;
    case DataType::kI64: return 8;
  }
  return 1;
}

std::string_view to_string(DataType t) {
  switch (t) {
    case DataType::kF32: return "float";
    case DataType::kF16: return "half";
    case DataType::kBF16: return "bfloat16";
    case DataType::kI32: return "int32";
    case DataType::kI64: return "int64";
  }
  return "?";
}

std::string_view to_string(RedOp op) {
  switch (op) {
    case RedOp::kSum: return "sum";
    case RedOp::kAvg: return "avg";
    case RedOp::kMin: return "min";
    case RedOp::kMax: return "max";
  }
  return "?";
}

std::optional<DataType> parse_data_type(std::string_view s) {
  if (s == "float" || s == "float32" || s == "fp32") return DataType::kF32;
  if (s == "half" || s == "float16" || s == "fp16") return DataType::kF16;
  if (s == "bfloat16" || s == "bf16") return DataType::kBF16;
  if (s == "int32") return DataType::kI32;
  if (s == "int64") return DataType::kI64;
  return std::nullopt;
}

std::optional<RedOp> parse_red_op(std::string_view s) {
  if (s == "sum") return RedOp::kSum;
  if (s == "avg") return RedOp::kAvg;
  if (s == "min") return RedOp::kMin;
  if (s == "max") return RedOp::kMax;
  return std::nullopt;
}

void reduce(DataType t, RedOp op, void* acc, const void* in, size_t count) {
  switch (t) {
    case DataType::kF32: reduce_native<float>(op, acc, in, count); break;
    case DataType::kI32: reduce_native<int32_t>(op, acc, in, count); break;
    case DataType::kI64: reduce_native<int64_t>(op, acc, in, count); break;
    case DataType::kF16: reduce16(op, acc, in, count, float_to_f16, f16_to_float); break;
    case DataType::kBF16: reduce16(op, acc, in, count, float_to_bf16, bf16_to_float); break;
  }
}

void finish_avg(DataType t, void* acc, size_t count, uint32_t n) {
  if (n <= 1) return;
  switch (t) {
    case DataType::kF32: {
      float* a = static_cast<float*>(acc);
      for (size_t i = 0; i < count; ++i) a[i] /= static_cast<float>(n);
      break;
    }
    case DataType::kI32: {
      int32_t* a = static_cast<int32_t*>(acc);
      for (size_t i = 0; i < count; ++i) a[i] /= static_cast<int32_t>(n);
      break;
    }
    case DataType::kI64: {
      int64_t* a = static_cast<int64_t*>(acc);
      for (size_t i = 0; i < count; ++i) a[i] /= static_cast<int64_t>(n);
      break;
    }
    case DataType::kF16: {
      uint16_t* a = static_cast<uint16_t*>(acc);
      for (size_t i = 0; i < count; ++i) a[i] = float_to_f16(f16_to_float(a[i]) / static_cast<float>(n));
      break;
    }
    case DataType::kBF16: {
      uint16_t* a = static_cast<uint16_t*>(acc);
      for (size_t i = 0; i < count; ++i) a[i] = float_to_bf16(bf16_to_float(a[i]) / static_cast<float>(n));
      break;
    }
  }
}

}  // namespace lh::coll
