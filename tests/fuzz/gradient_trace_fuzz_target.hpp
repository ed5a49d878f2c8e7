// gradient_trace_fuzz_target.hpp — one fuzz input against the gradient-trace reader (see .cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lh::traces::fuzz {

// Parses `data` as a trace; aborts (std::abort) if anything but lh::ParseError escapes, or if an
// accepted trace does not round-trip through the writer. Returns 0 (libFuzzer convention).
int run_one(const uint8_t* data, size_t size);

// A small valid trace (header + events of every op): the seed for mutation.
std::string seed_trace();

}  // namespace lh::traces::fuzz
