// replay_messages.hpp — the control messages of `lh-trace replay` over the longhaul transport.
//
// The replay client drives the whole schedule (replay_schedule.hpp); the server (`--serve`) only
// answers. Messages are longhaul SENDs, fixed 48-byte little-endian (x86/ARM hosts):
//   HELLO_DATA (client → server, data connection): a session nonce, b client rkey, c client region
//              bytes (the server's reverse writes land there), d forward chunk bytes (the region the
//              server must register for the client's writes).
//   HELLO_CTRL (client → server, control connection): a session nonce.
//   READY      (server → client, data connection): status, a server rkey, b region bytes.
//   START      (client → server, control connection): a transfer id, b bytes — write them to me.
// START travels on its own connection because the engine serves a connection's operations in
// posting order: behind a 64 MiB forward WRITE it would wait for all of it (head-of-line blocking).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace lh::traces {

inline constexpr uint32_t kReplayMagic = 0x3152484c;  // "LHR1"

enum class ReplayMsgType : uint32_t { kHelloData = 1, kHelloCtrl = 2, kReady = 3, kStart = 4 };
enum class ReplayReadyStatus : uint32_t { kOk = 0, kTooLarge = 1, kBadRequest = 2 };

struct ReplayMessage {
  uint32_t magic = kReplayMagic;
  ReplayMsgType type = ReplayMsgType::kHelloData;
  uint32_t status = 0;  // READY: ReplayReadyStatus
  uint32_t reserved = 0;
  uint64_t a = 0, b = 0, c = 0, d = 0;
};
static_assert(sizeof(ReplayMessage) == 48);

inline std::span<uint8_t> bytes_of(ReplayMessage& m) { return {reinterpret_cast<uint8_t*>(&m), sizeof m}; }

// The message in `bytes` if it is a well-formed one (any type), else nullopt.
inline std::optional<ReplayMessage> parse_replay_message(std::span<const uint8_t> bytes) {
  if (bytes.size() != sizeof(ReplayMessage)) return std::nullopt;
  ReplayMessage m;
  std::memcpy(&m, bytes.data(), sizeof m);
  const auto t = static_cast<uint32_t>(m.type);
  if (m.magic != kReplayMagic || t < 1 || t > 4) return std::nullopt;
  return m;
}

}  // namespace lh::traces
