// control_codec.hpp — the control messages of every workload (lh-xfer, lh-trace replay), one typed,
// versioned codec shared by both ends of both transports. Messages travel as the transport's SENDs.
//
// Wire form (little-endian, docs in workload/CONTROL.md): an 8-byte header — magic "LHW" (3 bytes),
// version (1 byte, kControlVersion), type (1 byte), flags (1 byte, 0), body length (2 bytes) — then
// the type's body: its fields in declaration order, fixed width. Decoding is strict: a short buffer,
// another magic, an unknown version or type, non-zero flags, a body of the wrong length, trailing
// bytes or an out-of-range enum are errors with a message naming what and where; nothing is guessed.
//
// lh-xfer:  HELLO (client → server)  READY (server → client)  DONE (client → server)  REPORT (server → client)
// replay:   HELLO_DATA and HELLO_CTRL (client → server, one per connection)  READY (server → client)
//           START (client → server: write this transfer's bytes to me)
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <variant>

namespace lh::workload {

inline constexpr uint8_t kControlVersion = 1;
inline constexpr size_t kControlHeader = 8;
inline constexpr size_t kMaxControlMessage = 64;  // bytes, header included

// kBusy: the server is at its limit of concurrent transfers or of memory prepared for them.
enum class ReadyStatus : uint8_t { kOk = 0, kTooLarge = 1, kBadRequest = 2, kBusy = 3 };

struct XferHello {
  uint64_t total_bytes = 0, shard_bytes = 0, seed = 0;
  uint32_t slots = 0;
  bool operator==(const XferHello&) const = default;
};
struct XferReady {
  ReadyStatus status = ReadyStatus::kOk;
  uint32_t slots = 0;
  uint64_t rkey = 0, region_bytes = 0;
  bool operator==(const XferReady&) const = default;
};
struct XferDone {
  uint64_t shards = 0;
  bool operator==(const XferDone&) const = default;
};
struct XferReport {
  uint64_t verified_shards = 0, bad_shards = 0, verified_bytes = 0;
  bool operator==(const XferReport&) const = default;
};
struct ReplayHelloData {
  uint64_t nonce = 0, client_rkey = 0, client_region_bytes = 0, forward_chunk_bytes = 0;
  bool operator==(const ReplayHelloData&) const = default;
};
struct ReplayHelloCtrl {
  uint64_t nonce = 0;
  bool operator==(const ReplayHelloCtrl&) const = default;
};
struct ReplayReady {
  ReadyStatus status = ReadyStatus::kOk;
  uint64_t server_rkey = 0, region_bytes = 0;
  bool operator==(const ReplayReady&) const = default;
};
struct ReplayStart {
  uint32_t transfer = 0;
  uint64_t bytes = 0;
  bool operator==(const ReplayStart&) const = default;
};

using ControlMessage = std::variant<XferHello, XferReady, XferDone, XferReport, ReplayHelloData, ReplayHelloCtrl,
                                    ReplayReady, ReplayStart>;

// "XferHello", ... for messages.
const char* message_name(const ControlMessage& m);

// An encoded message in its own storage: stable while the transport holds a span of it (a posted SEND).
struct EncodedMessage {
  std::array<uint8_t, kMaxControlMessage> bytes{};
  size_t size = 0;
  [[nodiscard]] std::span<const uint8_t> span() const { return {bytes.data(), size}; }
};

EncodedMessage encode(const ControlMessage& m);

// A receive buffer for any control message (post_recv it; decode what arrived).
struct MessageBuffer {
  std::array<uint8_t, kMaxControlMessage> bytes{};
  std::span<uint8_t> span() { return bytes; }
};

struct DecodeResult {
  bool ok = false;
  ControlMessage message;
  std::string error;  // when !ok: e.g. "control message: version 2 is unknown (this build speaks 1)"
};
DecodeResult decode(std::span<const uint8_t> bytes);

// The message if it decodes and is of type T, else an error naming what came instead.
template <typename T>
struct Expect {
  bool ok = false;
  T value{};
  std::string error;
};
template <typename T>
Expect<T> decode_as(std::span<const uint8_t> bytes) {
  DecodeResult r = decode(bytes);
  if (!r.ok) return {.ok = false, .error = r.error};
  if (const T* v = std::get_if<T>(&r.message)) return {.ok = true, .value = *v};
  return {.ok = false, .error = std::string("control message: expected ") + message_name(ControlMessage(T{})) +
                                ", got " + message_name(r.message)};
}

}  // namespace lh::workload
