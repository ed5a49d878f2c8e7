// frame_edit_fuzz.cpp — fuzz target of lh-emu's frame inspection and CE marking
// (emulator/dpdk/frame_edit.hpp) on raw bytes: never reads or writes outside the frame (ASan), the
// same bytes always hash the same, an IP offset lies inside the frame, and CE marking changes only
// the ECN bits and (IPv4) the header checksum, and only of an ECN-capable packet; marking twice
// changes nothing more.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "emulator/dpdk/frame_edit.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto len = static_cast<uint32_t>(size);
  // An exact-size heap copy: ASan sees any access past the frame's end.
  std::vector<uint8_t> frame(data, data + size);
  const lh::emu::FrameInfo info = lh::emu::inspect_frame(frame.data(), len);
  const lh::emu::FrameInfo again = lh::emu::inspect_frame(frame.data(), len);
  if (info.flow_hash != again.flow_hash || info.l3_offset != again.l3_offset) std::abort();
  if (info.ip_version != 0 && info.l3_offset >= len) std::abort();
  const bool changed = lh::emu::mark_ce(frame.data(), len, info);
  if (changed && !info.ect) std::abort();
  size_t differing = 0;
  for (size_t i = 0; i < size; ++i) differing += frame[i] != data[i];
  if (!changed && differing != 0) std::abort();
  if (differing > 3) std::abort();   // the ECN byte, and (IPv4) the two checksum bytes
  const std::vector<uint8_t> once = frame;
  lh::emu::mark_ce(frame.data(), len, lh::emu::inspect_frame(frame.data(), len));
  if (frame != once) std::abort();
  return 0;
}
