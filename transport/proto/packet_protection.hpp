// packet_protection.hpp — the building blocks of longhaul's PSP-like protected mode (issue 13 item 4):
// per-packet AES-256-GCM (or GMAC: integrity only, the payload stays readable) through OpenSSL's EVP,
// keys from a pre-shared key and both sides' handshake nonces via HKDF-SHA256, a per-packet nonce
// that is the direction's IV XOR the packet number (as QUIC, RFC 9001 §5.3: never reused while the
// packet number only grows), and an anti-replay window. No cryptography is written here: OpenSSL
// does it (AES-NI / VAES where the CPU has them).
//
// Not yet wired into the handshake and the wire format (transport/WIRE.md will specify that byte by
// byte); the engine stays pure — OpenSSL is a library, nothing here makes a syscall.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

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
  // Opens what seal() made: true and the payload decrypted in place, or false (forged, tampered,
  // another key or packet number) with the payload unusable.
  [[nodiscard]] bool open(uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> payload,
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

}  // namespace lh::xport::psp
