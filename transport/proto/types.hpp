// types.hpp — small value types shared by the longhaul protocol engine (lh::xport).
//
// Connection IDs, peer addresses (opaque bytes the driver fills with a sockaddr), completion records
// and the per-connection configuration. Units: time in lh::Nanos, sizes in bytes, rates in bit/s.
// The engine is sans-IO (see ARCHITECTURE.md): nothing here owns a socket, a clock or a thread.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "src/units.hpp"

namespace lh::xport {

using ConnectionId = uint64_t;  // 0 is reserved: "no connection yet" (INIT packets)

// Opaque peer address. The driver stores its sockaddr bytes here; the engine only compares/copies.
struct PeerAddr {
  std::array<uint8_t, 28> raw{};
  uint32_t len = 0;
  bool operator==(const PeerAddr& o) const {
    return len == o.len && std::memcmp(raw.data(), o.raw.data(), len) == 0;
  }
};

enum class Status : uint8_t {
  kSuccess = 0,
  kRemoteAccessError = 1,  // bad rkey, or [offset, offset+len) outside the remote region
  kTimeout = 2,            // the handshake never completed, or an operation missed its deadline
  kConnectionLost = 3,     // peer vanished (no ACK for kMaxPtoCount probes) or idle timeout
  kIntegrityError = 4,     // end-to-end XXH3 of the placed bytes did not match the sender's
  kLengthError = 5,        // SEND larger than the posted receive buffer
  kClosed = 6,             // flushed because the connection was closed
  // The protected handshake failed: the peers' pre-shared keys or modes differ, or one side has no key
  // (Connection::failure() says which). Never carried in a STATUS frame.
  kAuthFailed = 7,
};
std::string_view to_string(Status s);

enum class OpKind : uint8_t {
  kWrite = 0,        // initiator side of a one-sided WRITE
  kSend = 1,         // initiator side of a SEND
  kRecv = 2,         // a posted receive buffer consumed by an incoming SEND
  kRemoteWrite = 3,  // target side: an incoming WRITE landed completely (immediate, if any)
};

struct Completion {
  uint64_t wr_id = 0;          // caller's id for kWrite/kSend/kRecv; 0 for kRemoteWrite
  ConnectionId conn = 0;       // local connection id
  OpKind kind = OpKind::kWrite;
  Status status = Status::kSuccess;
  bool has_imm = false;
  uint32_t imm = 0;
  uint64_t byte_len = 0;       // bytes transferred (placed, for the target side)
  uint64_t rkey = 0;           // kRemoteWrite: region written
  uint64_t remote_offset = 0;  // kRemoteWrite: offset in that region where the write started
};

enum class CcKind : uint8_t { kBbr, kFixed, kCubic };

// Feature bits negotiated in the handshake (transport/WIRE.md §Features).
// Short data frames: once a full-form fragment of an operation has been acknowledged, the sender
// omits the operation's key, base offset and length from its other fragments (24 bytes per packet,
// +2.6% payload at a 1500-byte MTU).
inline constexpr uint32_t kFeatureShortData = 0x1;
inline constexpr uint32_t kAllFeatures = kFeatureShortData;

// Protected mode (transport/WIRE.md §Protected mode): every packet after the handshake sealed with
// AES-256-GCM, or authenticated only (GMAC); the handshake authenticated with the pre-shared key.
enum class Protection : uint8_t { kNone, kAesGcm, kGmac };
std::string_view to_string(Protection p);

// Per-connection configuration (designated initializers). Both ends propose; the handshake takes
// the minimum MTU and the intersection of features.
struct ConnectionConfig {
  uint16_t max_udp_payload = 1472;                // bytes per datagram (1500 MTU - IP/UDP)
  uint32_t features = kAllFeatures;                // feature bits offered (kFeature*)
  CcKind cc = CcKind::kBbr;
  BitsPerSecond fixed_rate{900'000'000};           // for CcKind::kFixed
  BitsPerSecond initial_rate{100'000'000};         // pacing before the first RTT sample (BBR/CUBIC)
  Nanos initial_rtt = Nanos::from_ms(100);         // RTT guess before the first sample (RFC 9002 uses 333ms)
  Nanos max_ack_delay = Nanos::from_ms(2);         // receiver ACKs at least this often while data arrives
  uint32_t ack_every = 4;                          // ... or after this many ack-eliciting packets
  Nanos idle_timeout = Nanos::from_s(10);          // nothing received for this long -> lost
  Nanos handshake_timeout = Nanos::from_s(5);      // a server's half-open connection lives this long at most
  Nanos keepalive = Nanos::from_s(2);              // PING when idle this long (keeps the peer alive)
  uint32_t max_pto_count = 8;                      // consecutive probe timeouts -> peer vanished
  uint64_t initial_window = 4ull << 20;            // flow-control window before a BDP measurement
  uint64_t max_window = 32ull << 20;               // flow-control cap (raise for BDP > 8 MB); sizes the rings
  uint32_t window_bdp_multiple = 4;                // receiver advertises this × measured BDP
  double bbr_loss_thresh = 0.05;                   // per-round loss rate tolerated as random
  // Liveness of every operation: a WRITE/SEND fails with kTimeout when its deadline passes — the
  // request's own timeout, else op_timeout (0: none, an operation may take as long as its bytes
  // need) — or when the peer acknowledged every fragment and its STATUS has not followed within
  // status_timeout (a correct peer answers at once; one that never does cannot hang the sender).
  Nanos op_timeout{0};
  Nanos status_timeout = Nanos::from_s(10);
  // Protected mode needs `psk` (>= 16 bytes, both sides the same). A side with protection refuses
  // plaintext peers (no downgrade); a side without refuses protected ones.
  Protection protection = Protection::kNone;
  std::shared_ptr<const std::vector<uint8_t>> psk;
  uint64_t rekey_packets = uint64_t{1} << 23;      // send-key rotation (RFC 9001 §6.6's AES-GCM limit)
};

struct ConnectionStats {
  uint64_t packets_sent = 0, packets_received = 0, bytes_sent = 0, bytes_received = 0;
  uint64_t data_packets_sent = 0, retransmits = 0, packets_lost = 0, spurious_losses = 0;
  uint64_t acks_sent = 0, acks_received = 0, probes_sent = 0, rto_count = 0;
  uint64_t dropped_bad_crc = 0, dropped_malformed = 0, dropped_duplicate = 0, dropped_bad_key = 0,
           dropped_out_of_bounds = 0, dropped_no_recv = 0, dropped_state = 0, dropped_window = 0;
  uint64_t dropped_unannounced = 0;  // short-form fragment of an operation the target does not know
  uint64_t dropped_contradicting = 0;  // fragment disagreeing with its operation's first (unacknowledged)
  uint64_t ops_timed_out = 0;        // initiator: operations failed with kTimeout (deadline, no STATUS)
  uint64_t deferred_completions = 0;  // inbound WRITEs finished while the connection's queue share was full
  uint64_t ops_abandoned = 0;        // target: unfinished operations the initiator moved past (it timed them out)
  uint64_t integrity_errors = 0;
  // Protected mode: packets whose tag did not verify (tampered, forged, corrupted), replayed or
  // duplicated packet numbers, packets under a key older than the previous one, plaintext packets
  // on a protected connection (and protected ones on a plaintext connection), key rotations made.
  uint64_t dropped_auth = 0, dropped_replay = 0, dropped_old_key = 0, dropped_unprotected = 0;
  uint64_t key_rotations = 0;
  uint64_t placed_bytes = 0;
  uint64_t write_bytes_acked = 0;  // initiator: WRITE payload bytes whose packets the target acknowledged
};

}  // namespace lh::xport
