// packet_protection.hpp — the building blocks of longhaul's PSP-like protected mode (issue 13 item 4):
// per-packet AES-256-GCM (or GMAC: integrity only, the payload stays readable) through OpenSSL's EVP,
// keys from a pre-shared key and both sides' handshake nonces via HKDF-SHA256, a per-packet nonce
// that is the direction's IV XOR the packet number (as QUIC, RFC 9001 §5.3: never reused while the
// packet number only grows), and an anti-replay window. No cryptography is written here: OpenSSL
// does it (AES-NI / VAES where the CPU has them).
//
// Connection wires it in (ConnectionConfig::protection; transport/WIRE.md §Protected mode specifies
// it byte by byte). The engine stays pure — OpenSSL is a library, nothing here makes a syscall.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace lh::xport::psp {

enum class Mode : uint8_t {
  kAesGcm,  // authenticated encryption of the payload, the header authenticated
  kGmac,    // integrity only: header and payload authenticated, nothing encrypted
};

inline constexpr size_t kKeySize = 32, kIvSize = 12, kTagSize = 16;

struct DirectionKeys {
  std::array<uint8_t, kKeySize> key{};
  std::array<uint8_t, kIvSize> iv{};
};

struct SessionKeys {
  DirectionKeys client_to_server, server_to_client;
};

// RFC 5869 HKDF with SHA-256; `out` at most 255 × 32 bytes. Throws std::runtime_error naming
// OpenSSL's error.
void hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt, std::span<const uint8_t> info,
                 std::span<uint8_t> out);

// The keys of one connection under `spi` (a key generation): salt = client_nonce ‖ server_nonce
// (big-endian), info = "longhaul psp v1" ‖ spi (big-endian), 88 bytes split as c→s key, c→s IV,
// s→c key, s→c IV. A fresh SPI (key rotation) gives unrelated keys. `psk` must be ≥ 16 bytes.
SessionKeys derive_keys(std::span<const uint8_t> psk, uint64_t client_nonce, uint64_t server_nonce, uint32_t spi);

// One direction's cipher state (a reusable EVP context keyed once). Not thread-safe.
class PacketCipher {
 public:
  PacketCipher(Mode mode, const DirectionKeys& keys);
  ~PacketCipher();
  PacketCipher(PacketCipher&&) noexcept;
  PacketCipher& operator=(PacketCipher&&) noexcept;

  // Seals packet `pn`: `aad` (the header) is authenticated; `payload` is encrypted in place
  // (kAesGcm) or only authenticated (kGmac); the 16-byte tag goes to `tag`.
  void seal(uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> payload, std::span<uint8_t, kTagSize> tag);
  // Same, but the payload's last `tail.size()` bytes come from `tail` (encrypted from there into the
  // end of `payload`, whose bytes there are not read): saves copying a data fragment into the packet.
  void seal_with_tail(uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> payload,
                      std::span<const uint8_t> tail, std::span<uint8_t, kTagSize> tag);
  // Opens what seal() made: true and the payload decrypted in place, or false (forged, tampered,
  // another key or packet number) with the payload unusable.
  [[nodiscard]] bool open(uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> payload,
                          std::span<const uint8_t, kTagSize> tag) {
    return open_to(pn, aad, payload, payload.data(), tag);
  }
  // Same, from `in` into `out` (in.size() bytes; may be in.data()). GMAC writes nothing to `out`.
  [[nodiscard]] bool open_to(uint64_t pn, std::span<const uint8_t> aad, std::span<const uint8_t> in, uint8_t* out,
                             std::span<const uint8_t, kTagSize> tag);
  [[nodiscard]] Mode mode() const { return mode_; }

 private:
  void nonce_for(uint64_t pn, uint8_t* out) const;

  Mode mode_;
  std::array<uint8_t, kIvSize> iv_;
  struct Ctx;
  std::unique_ptr<Ctx> enc_, dec_;
};

// Which packet numbers of one key were already accepted: the highest, and a bitmap of the kWidth
// below it. Check with fresh() before opening, mark() after the tag verified — never before, or a
// forged packet could burn a number. Packets older than the window are refused (the sender has
// long declared them lost and sent their content again under new numbers). 65,536 numbers (8 KiB):
// 75 ms of skew between paths at 10 Gbit/s of 1434-byte packets.
class ReplayWindow {
 public:
  static constexpr uint64_t kWidth = 1 << 16;
  [[nodiscard]] bool fresh(uint64_t pn) const;
  void mark(uint64_t pn);

 private:
  bool any_ = false;
  uint64_t highest_ = 0;
  std::array<uint64_t, kWidth / 64> bits_{};  // bit (pn % kWidth) for pn in (highest_ - kWidth, highest_]
};

// The key that authenticates handshakes (AUTH frames): HKDF-SHA256(psk, salt 32 zero bytes, info
// "longhaul psp v1 handshake"), 32 bytes.
std::array<uint8_t, 32> handshake_key(std::span<const uint8_t> psk);
// The labels of the two handshake MACs (INIT's context is 0, ACCEPT's the client's nonce).
inline constexpr std::string_view kInitLabel = "longhaul psp v1 init", kAcceptLabel = "longhaul psp v1 accept";
// HMAC-SHA256 of label ‖ context (8 bytes, little-endian) ‖ data, truncated to 16 bytes.
std::array<uint8_t, 16> handshake_mac(std::span<const uint8_t, 32> key, std::string_view label, uint64_t context,
                                      std::span<const uint8_t> data);
// Constant-time comparison of two MACs.
bool mac_equal(std::span<const uint8_t, 16> a, std::span<const uint8_t, 16> b);

// RFC 9001 §6.6: AEAD_AES_256_GCM's confidentiality limit is 2^23 packets per key; a sender moves to
// the next SPI before it.
inline constexpr uint64_t kDefaultRekeyPackets = uint64_t{1} << 23;

// One connection's protection: the handshake nonces, the send key (rotated to the next SPI every
// `rekey_packets` packets) and the receive keys (the peer's current SPI, the one before it for
// packets still in flight across a rotation, and the next one, derived when the peer first uses
// it), with one replay window over the packet numbers (they never repeat across keys).
class ConnectionProtection {
 public:
  ConnectionProtection(Mode mode, std::shared_ptr<const std::vector<uint8_t>> psk, bool is_client,
                       uint64_t local_nonce, uint64_t rekey_packets);

  [[nodiscard]] Mode mode() const { return mode_; }
  [[nodiscard]] uint64_t local_nonce() const { return local_nonce_; }
  void set_local_nonce(uint64_t n) { local_nonce_ = n; }  // before start()
  [[nodiscard]] uint64_t peer_nonce() const { return peer_nonce_; }
  [[nodiscard]] bool keyed() const { return tx_.has_value(); }
  [[nodiscard]] const std::array<uint8_t, 32>& hs_key() const { return hs_key_; }
  // Both nonces known: derives SPI 0 in both directions.
  void start(uint64_t peer_nonce);

  // Send side: the SPI for the next packet (rotating first if the key has sealed its share).
  uint32_t next_tx_spi();
  // Seals `packet` (protected header ‖ frames ‖ tag space) in place; pn/spi as in its header.
  void seal(uint64_t pn, std::span<uint8_t> packet);
  // Same, with the frames' last tail.size() bytes taken from `tail` (AES-GCM only; see seal_with_tail).
  void seal(uint64_t pn, std::span<uint8_t> packet, std::span<const uint8_t> tail);

  enum class OpenResult : uint8_t { kOk, kReplay, kOldKey, kForged };
  // Opens a protected datagram: checks the replay window, finds the key for `spi`, verifies and
  // (AES-GCM) decrypts the frames into `scratch` (>= the frame area); on kOk `frames` is the
  // plaintext and the packet number is marked seen.
  OpenResult open(uint64_t pn, uint32_t spi, std::span<const uint8_t> datagram, std::span<uint8_t> scratch,
                  std::span<const uint8_t>& frames);

  [[nodiscard]] uint32_t tx_spi() const { return tx_spi_; }
  [[nodiscard]] uint32_t rx_spi() const { return rx_spi_; }
  [[nodiscard]] uint64_t rotations() const { return rotations_; }

 private:
  [[nodiscard]] PacketCipher cipher(uint32_t spi, bool tx) const;

  Mode mode_;
  std::shared_ptr<const std::vector<uint8_t>> psk_;
  std::array<uint8_t, 32> hs_key_;
  bool is_client_;
  uint64_t local_nonce_, peer_nonce_ = 0, rekey_packets_;
  std::optional<PacketCipher> tx_, rx_, rx_prev_, rx_next_;
  uint32_t tx_spi_ = 0, rx_spi_ = 0;
  uint64_t tx_sealed_ = 0, rotations_ = 0;
  ReplayWindow replay_;
};

}  // namespace lh::xport::psp
