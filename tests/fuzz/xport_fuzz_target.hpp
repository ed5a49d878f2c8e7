// xport_fuzz_target.hpp — one fuzz input against a pair of established connections (see .cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lh::xport::fuzz {

// Runs one input; aborts (std::abort) if a byte outside the registered region changed or an engine
// invariant broke. Returns 0 (libFuzzer convention).
int run_one(const uint8_t* data, size_t size);

// Valid datagrams a client sends to the fuzzed server during a small WRITE + SEND exchange: seeds for
// mutation. Their destination id is the server's.
std::vector<std::vector<uint8_t>> seed_datagrams();

// Record framing of an input: [flags u8][len u16 LE][len bytes] ...; flags bit 0: deliver to the
// client instead of the server; bit 1: rewrite dest id + CRC so the frames are parsed; bits 2-7:
// advance virtual time by that many milliseconds first.
inline constexpr uint8_t kToClient = 0x01;
inline constexpr uint8_t kReseal = 0x02;

}  // namespace lh::xport::fuzz
