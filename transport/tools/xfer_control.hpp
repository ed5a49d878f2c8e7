// xfer_control.hpp — lh-xfer's control messages, carried as longhaul SENDs beside the WRITEs.
//
// HELLO (client → server): transfer size, shard size, slot count, pattern seed.
// READY (server → client): status, the region's rkey and length (slots × shard, or the whole size).
// DONE  (client → server): every WRITE completed.  REPORT (server → client): shards verified / bad.
// Fixed 48-byte little-endian layout (x86/ARM hosts); unknown magic or type is rejected.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace lh::xport::tools {

inline constexpr uint32_t kControlMagic = 0x3158484c;  // "LHX1"

enum class ControlType : uint32_t { kHello = 1, kReady = 2, kDone = 3, kReport = 4 };

enum class ReadyStatus : uint32_t { kOk = 0, kTooLarge = 1, kBadRequest = 2 };

struct ControlMessage {
  uint32_t magic = kControlMagic;
  ControlType type = ControlType::kHello;
  uint32_t status = 0;  // READY: ReadyStatus
  uint32_t slots = 0;   // HELLO/READY: slots in the server's ring
  uint64_t a = 0;       // HELLO: total bytes   READY: rkey         DONE: shards  REPORT: verified shards
  uint64_t b = 0;       // HELLO: shard bytes   READY: region bytes               REPORT: bad shards
  uint64_t c = 0;       // HELLO: seed                                            REPORT: verified bytes
  uint64_t d = 0;       // reserved (0)
};
static_assert(sizeof(ControlMessage) == 48);

inline std::optional<ControlMessage> parse_control(std::span<const uint8_t> bytes, ControlType expect) {
  if (bytes.size() != sizeof(ControlMessage)) return std::nullopt;
  ControlMessage m;
  std::memcpy(&m, bytes.data(), sizeof(m));
  if (m.magic != kControlMagic || m.type != expect) return std::nullopt;
  return m;
}

}  // namespace lh::xport::tools
