// packet_protection.cpp — OpenSSL EVP behind packet_protection.hpp.
#include "transport/proto/packet_protection.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

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

bool PacketCipher::open(uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> payload,
                        std::span<const uint8_t, kTagSize> tag) {
  uint8_t nonce[kIvSize];
  nonce_for(pn, nonce);
  EVP_CIPHER_CTX* c = dec_->c;
  int n = 0;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_DecryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!payload.empty()) {
    const bool ok = mode_ == Mode::kAesGcm
                        ? EVP_DecryptUpdate(c, payload.data(), &n, payload.data(), static_cast<int>(payload.size())) == 1
                        : EVP_DecryptUpdate(c, nullptr, &n, payload.data(), static_cast<int>(payload.size())) == 1;
    if (!ok) return false;
  }
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTagSize, const_cast<uint8_t*>(tag.data())) != 1) return false;
  return EVP_DecryptFinal_ex(c, payload.data() + payload.size(), &n) == 1;
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

}  // namespace lh::xport::psp
