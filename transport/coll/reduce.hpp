// reduce.hpp — the element types and reduction operators of the collectives (transport/coll), and
// the kernels that combine a received chunk into an accumulator: acc[i] = op(acc[i], in[i]).
//
// Types: fp32, fp16 (IEEE binary16), bf16 (bfloat16), int32, int64. Operators: sum, avg (a sum, then
// one division by the rank count at the end: finish_avg), min, max. fp16 and bf16 are combined in
// fp32 and rounded back to nearest-even after every step, as NCCL does per ring step; so a reduction's
// result depends on its order, and a schedule (ring.hpp) fixes that order. Integer sums wrap
// (two's complement), as in NCCL and gloo. Pure: no I/O, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lh::coll {

enum class DataType : uint8_t { kF32, kF16, kBF16, kI32, kI64 };
enum class RedOp : uint8_t { kSum, kAvg, kMin, kMax };

[[nodiscard]] size_t size_of(DataType t);
[[nodiscard]] std::string_view to_string(DataType t);
[[nodiscard]] std::string_view to_string(RedOp op);
// "float32"/"fp32"/"float", "float16"/"fp16"/"half", "bfloat16"/"bf16", "int32", "int64" → type.
[[nodiscard]] std::optional<DataType> parse_data_type(std::string_view s);
// "sum", "avg", "min", "max" → operator.
[[nodiscard]] std::optional<RedOp> parse_red_op(std::string_view s);

// acc[i] = op(acc[i], in[i]) for `count` elements (kAvg adds). acc and in may not overlap.
void reduce(DataType t, RedOp op, void* acc, const void* in, size_t count);
// kAvg's last step: acc[i] /= n (integers: truncating division).
void finish_avg(DataType t, void* acc, size_t count, uint32_t n);

// bfloat16 <-> float (round to nearest even; NaN stays NaN). fp16 uses the compiler's _Float16.
[[nodiscard]] float bf16_to_float(uint16_t b);
[[nodiscard]] uint16_t float_to_bf16(float f);

}  // namespace lh::coll
