// packet_protection.cpp — OpenSSL EVP behind packet_protection.hpp.
#include "transport/proto/packet_protection.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace lh::xport::psp {
namespace {

[[noreturn]] void fail(const char* what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  throw std::runtime_error(std::string("packet protection: ") + what + ": " + buf);
}

void put_be64(uint64_t v, uint8_t* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

}  // namespace

void hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt, std::span<const uint8_t> info,
                 std::span<uint8_t> out) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) fail("HKDF not available");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) fail("HKDF context");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok <= 0) fail("HKDF derive");
}

SessionKeys derive_keys(std::span<const uint8_t> psk, uint64_t client_nonce, uint64_t server_nonce, uint32_t spi) {
  if (psk.size() < 16) throw std::invalid_argument("packet protection: a pre-shared key needs at least 16 bytes");
  uint8_t salt[16];
  put_be64(client_nonce, salt);
  put_be64(server_nonce, salt + 8);
  constexpr std::string_view kLabel = "longhaul psp v1";
  uint8_t info[kLabel.size() + 4];
  std::memcpy(info, kLabel.data(), kLabel.size());
  for (int i = 0; i < 4; ++i) info[kLabel.size() + i] = static_cast<uint8_t>(spi >> (24 - 8 * i));
  uint8_t okm[2 * (kKeySize + kIvSize)];
  hkdf_sha256(psk, salt, info, okm);
  SessionKeys k;
  const uint8_t* p = okm;
  for (DirectionKeys* d : {&k.client_to_server, &k.server_to_client}) {
    std::memcpy(d->key.data(), p, kKeySize);
    std::memcpy(d->iv.data(), p + kKeySize, kIvSize);
    p += kKeySize + kIvSize;
  }
  OPENSSL_cleanse(okm, sizeof okm);
  return k;
}

struct PacketCipher::Ctx {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  ~Ctx() { EVP_CIPHER_CTX_free(c); }
};

PacketCipher::PacketCipher(Mode mode, const DirectionKeys& keys)
    : mode_(mode), iv_(keys.iv), enc_(std::make_unique<Ctx>()), dec_(std::make_unique<Ctx>()) {
  if (enc_->c == nullptr || dec_->c == nullptr) fail("cipher context");
  // Keyed once; each packet only sets its nonce (the key schedule is not redone per packet).
  if (EVP_EncryptInit_ex(enc_->c, EVP_aes_256_gcm(), nullptr, keys.key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(enc_->c, EVP_CTRL_GCM_SET_IVLEN, kIvSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(dec_->c, EVP_aes_256_gcm(), nullptr, keys.key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(dec_->c, EVP_CTRL_GCM_SET_IVLEN, kIvSize, nullptr) != 1)
    fail("AES-256-GCM key setup");
}

PacketCipher::~PacketCipher() = default;
PacketCipher::PacketCipher(PacketCipher&&) noexcept = default;
PacketCipher& PacketCipher::operator=(PacketCipher&&) noexcept = default;

void PacketCipher::nonce_for(uint64_t pn, uint8_t* out) const {
  std::memcpy(out, iv_.data(), kIvSize);
  for (int i = 0; i < 8; ++i) out[kIvSize - 1 - i] ^= static_cast<uint8_t>(pn >> (8 * i));
}

void PacketCipher::seal(uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> payload,
                        std::span<uint8_t, kTagSize> tag) {
  uint8_t nonce[kIvSize];
  nonce_for(pn, nonce);
  EVP_CIPHER_CTX* c = enc_->c;
  int n = 0;
  bool ok = EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce) == 1 &&
            EVP_EncryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1;
  if (ok && !payload.empty()) {
    ok = mode_ == Mode::kAesGcm
             ? EVP_EncryptUpdate(c, payload.data(), &n, payload.data(), static_cast<int>(payload.size())) == 1
             : EVP_EncryptUpdate(c, nullptr, &n, payload.data(), static_cast<int>(payload.size())) == 1;
  }
  ok = ok && EVP_EncryptFinal_ex(c, payload.data() + payload.size(), &n) == 1 &&
       EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTagSize, tag.data()) == 1;
  if (!ok) fail("seal");
}

void PacketCipher::seal_with_tail(uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> payload,
                                  std::span<const uint8_t> tail, std::span<uint8_t, kTagSize> tag) {
  if (mode_ != Mode::kAesGcm || tail.size() > payload.size()) fail("seal_with_tail needs AES-GCM and a tail inside the payload");
  uint8_t nonce[kIvSize];
  nonce_for(pn, nonce);
  EVP_CIPHER_CTX* c = enc_->c;
  const size_t head = payload.size() - tail.size();
  int n = 0;
  // GCM is a stream: two updates (the head in place, then the tail from its source) make the same
  // ciphertext and tag as one update over the joined bytes.
  bool ok = EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce) == 1 &&
            EVP_EncryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1;
  if (ok && head > 0) ok = EVP_EncryptUpdate(c, payload.data(), &n, payload.data(), static_cast<int>(head)) == 1;
  if (ok && !tail.empty())
    ok = EVP_EncryptUpdate(c, payload.data() + head, &n, tail.data(), static_cast<int>(tail.size())) == 1;
  ok = ok && EVP_EncryptFinal_ex(c, payload.data() + payload.size(), &n) == 1 &&
       EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTagSize, tag.data()) == 1;
  if (!ok) fail("seal");
}

bool PacketCipher::open_to(uint64_t pn, std::span<const uint8_t> aad, std::span<const uint8_t> in, uint8_t* out,
                           std::span<const uint8_t, kTagSize> tag) {
  uint8_t nonce[kIvSize];
  nonce_for(pn, nonce);
  EVP_CIPHER_CTX* c = dec_->c;
  int n = 0;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_DecryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!in.empty()) {
    const bool ok = mode_ == Mode::kAesGcm
                        ? EVP_DecryptUpdate(c, out, &n, in.data(), static_cast<int>(in.size())) == 1
                        : EVP_DecryptUpdate(c, nullptr, &n, in.data(), static_cast<int>(in.size())) == 1;
    if (!ok) return false;
  }
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTagSize, const_cast<uint8_t*>(tag.data())) != 1) return false;
  uint8_t end[16];
  return EVP_DecryptFinal_ex(c, end, &n) == 1;
}

bool ReplayWindow::fresh(uint64_t pn) const {
  if (!any_ || pn > highest_) return true;
  if (highest_ - pn >= kWidth) return false;  // older than the window
  return (bits_[(pn % kWidth) / 64] >> (pn % 64) & 1) == 0;
}

void ReplayWindow::mark(uint64_t pn) {
  if (!any_ || pn > highest_) {
    // Clear the bits of the numbers the window moves past (all of them after a jump of kWidth+).
    const uint64_t from = any_ ? highest_ + 1 : pn;
    if (!any_ || pn - highest_ >= kWidth) {
      bits_.fill(0);
    } else {
      for (uint64_t q = from; q < pn;) {  // whole words where it can
        if (q % 64 == 0 && pn - q >= 64) {
          bits_[(q % kWidth) / 64] = 0;
          q += 64;
        } else {
          bits_[(q % kWidth) / 64] &= ~(uint64_t{1} << (q % 64));
          ++q;
        }
      }
    }
    highest_ = pn;
    any_ = true;
  } else if (highest_ - pn >= kWidth) {
    return;
  }
  bits_[(pn % kWidth) / 64] |= uint64_t{1} << (pn % 64);
}

std::array<uint8_t, 32> handshake_key(std::span<const uint8_t> psk) {
  if (psk.size() < 16) throw std::invalid_argument("packet protection: a pre-shared key needs at least 16 bytes");
  constexpr std::string_view kInfo = "longhaul psp v1 handshake";
  std::array<uint8_t, 32> k{};
  const std::array<uint8_t, 32> no_salt{};  // RFC 5869 §2.2: an absent salt is HashLen zeros
  hkdf_sha256(psk, no_salt, std::span(reinterpret_cast<const uint8_t*>(kInfo.data()), kInfo.size()), k);
  return k;
}

std::array<uint8_t, 16> handshake_mac(std::span<const uint8_t, 32> key, std::string_view label, uint64_t context,
                                      std::span<const uint8_t> data) {
  // label ‖ context ‖ data: a handshake packet is small (< 128 bytes of frames), the rest is refused.
  uint8_t msg[256];
  std::array<uint8_t, 16> out{};
  if (label.size() + 8 + data.size() > sizeof msg) return out;  // never verifies against a real MAC
  std::memcpy(msg, label.data(), label.size());
  for (int i = 0; i < 8; ++i) msg[label.size() + i] = static_cast<uint8_t>(context >> (8 * i));
  if (!data.empty()) std::memcpy(msg + label.size() + 8, data.data(), data.size());
  uint8_t full[32];
  unsigned len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg, label.size() + 8 + data.size(), full, &len) ==
      nullptr)
    fail("HMAC-SHA256");
  std::memcpy(out.data(), full, out.size());
  return out;
}

bool mac_equal(std::span<const uint8_t, 16> a, std::span<const uint8_t, 16> b) {
  return CRYPTO_memcmp(a.data(), b.data(), 16) == 0;
}

ConnectionProtection::ConnectionProtection(Mode mode, std::shared_ptr<const std::vector<uint8_t>> psk, bool is_client,
                                           uint64_t local_nonce, uint64_t rekey_packets)
    : mode_(mode),
      psk_(std::move(psk)),
      hs_key_(handshake_key(*psk_)),
      is_client_(is_client),
      local_nonce_(local_nonce),
      rekey_packets_(std::max<uint64_t>(rekey_packets, 1)) {}

PacketCipher ConnectionProtection::cipher(uint32_t spi, bool tx) const {
  const uint64_t client = is_client_ ? local_nonce_ : peer_nonce_, server = is_client_ ? peer_nonce_ : local_nonce_;
  SessionKeys k = derive_keys(*psk_, client, server, spi);
  const bool c2s = tx == is_client_;
  PacketCipher c(mode_, c2s ? k.client_to_server : k.server_to_client);
  OPENSSL_cleanse(&k, sizeof k);
  return c;
}

void ConnectionProtection::start(uint64_t peer_nonce) {
  peer_nonce_ = peer_nonce;
  tx_.emplace(cipher(0, true));
  rx_.emplace(cipher(0, false));
}

uint32_t ConnectionProtection::next_tx_spi() {
  if (tx_sealed_ >= rekey_packets_) {
    ++tx_spi_;
    tx_.emplace(cipher(tx_spi_, true));  // a few microseconds, once per rekey_packets packets
    tx_sealed_ = 0;
    ++rotations_;
  }
  return tx_spi_;
}

void ConnectionProtection::seal(uint64_t pn, std::span<uint8_t> packet) {
  constexpr size_t kHdr = 22;
  const size_t body = packet.size() - kHdr - kTagSize;
  tx_->seal(pn, packet.first(kHdr), packet.subspan(kHdr, body), packet.last<kTagSize>());
  ++tx_sealed_;
}

void ConnectionProtection::seal(uint64_t pn, std::span<uint8_t> packet, std::span<const uint8_t> tail) {
  constexpr size_t kHdr = 22;
  const size_t body = packet.size() - kHdr - kTagSize;
  tx_->seal_with_tail(pn, packet.first(kHdr), packet.subspan(kHdr, body), tail, packet.last<kTagSize>());
  ++tx_sealed_;
}

ConnectionProtection::OpenResult ConnectionProtection::open(uint64_t pn, uint32_t spi, std::span<const uint8_t> d,
                                                            std::span<uint8_t> scratch,
                                                            std::span<const uint8_t>& frames) {
  constexpr size_t kHdr = 22;
  if (!rx_ || d.size() < kHdr + kTagSize + 1) return OpenResult::kForged;
  if (!replay_.fresh(pn)) return OpenResult::kReplay;
  PacketCipher* c = nullptr;
  bool next = false;
  if (spi == rx_spi_) {
    c = &*rx_;
  } else if (spi == rx_spi_ + 1 && rx_spi_ != UINT32_MAX) {
    if (!rx_next_) rx_next_.emplace(cipher(spi, false));  // once per SPI, even if forgeries ask again
    c = &*rx_next_;
    next = true;
  } else if (rx_spi_ > 0 && spi == rx_spi_ - 1 && rx_prev_) {
    c = &*rx_prev_;
  } else {
    return spi < rx_spi_ ? OpenResult::kOldKey : OpenResult::kForged;
  }
  const std::span<const uint8_t> in = d.subspan(kHdr, d.size() - kHdr - kTagSize);
  if (mode_ == Mode::kAesGcm && scratch.size() < in.size()) return OpenResult::kForged;
  if (!c->open_to(pn, d.first(kHdr), in, scratch.data(), d.last<kTagSize>())) return OpenResult::kForged;
  replay_.mark(pn);
  if (next) {  // the peer rotated: its previous key stays for packets still in flight
    rx_prev_ = std::move(rx_);
    rx_ = std::move(rx_next_);
    rx_next_.reset();
    ++rx_spi_;
  }
  frames = mode_ == Mode::kAesGcm ? std::span<const uint8_t>(scratch.data(), in.size()) : in;
  return OpenResult::kOk;
}

}  // namespace lh::xport::psp
