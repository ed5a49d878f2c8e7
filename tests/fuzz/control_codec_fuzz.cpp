// control_codec_fuzz.cpp — fuzz target of the workloads' control-message codec
// (workload/common/control_codec.hpp): any bytes decode or are refused with a message, never crash;
// what decodes re-encodes to exactly the same bytes (one wire form per message), and an encoded
// message of every type decodes to itself.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "workload/common/control_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  const lh::workload::DecodeResult r = lh::workload::decode(in);
  if (!r.ok) {
    if (r.error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  const lh::workload::EncodedMessage e = lh::workload::encode(r.message);
  if (e.size != size || std::memcmp(e.bytes.data(), data, size) != 0) std::abort();
  const lh::workload::DecodeResult again = lh::workload::decode(e.span());
  if (!again.ok || !(again.message == r.message)) std::abort();
  return 0;
}
