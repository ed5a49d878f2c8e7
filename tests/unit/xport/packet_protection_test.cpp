// packet_protection_test.cpp — the protected mode's building blocks (transport/proto/packet_protection):
// HKDF-SHA256 and AES-256-GCM against published vectors, the per-packet nonce, seal/open round trips in
// both modes, every kind of tampering refused, key separation by direction and SPI, the replay window.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

#include "transport/proto/packet_protection.hpp"

namespace lh::xport::psp {
namespace {

std::vector<uint8_t> hex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(Hkdf, Rfc5869TestCase1) {
  const auto ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  const auto salt = hex("000102030405060708090a0b0c");
  const auto info = hex("f0f1f2f3f4f5f6f7f8f9");
  std::vector<uint8_t> okm(42);
  hkdf_sha256(ikm, salt, info, okm);
  EXPECT_EQ(okm, hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));
}

TEST(PacketCipher, Aes256GcmTestCase14) {
  // McGrew & Viega, "The GCM mode", test case 14: K = 0^256, IV = 0^96, P = 0^128, no AAD. With a
  // zero IV and packet number 0 the per-packet nonce is the zero IV.
  PacketCipher c(Mode::kAesGcm, DirectionKeys{});
  std::vector<uint8_t> p(16, 0);
  std::array<uint8_t, kTagSize> tag{};
  c.seal(0, {}, p, tag);
  EXPECT_EQ(p, hex("cea7403d4d606b6e074ec5d3baf39d18"));
  EXPECT_EQ(std::vector<uint8_t>(tag.begin(), tag.end()), hex("d0d1c8a799996bf0265b98b5d48ab919"));
}

SessionKeys keys(uint32_t spi = 1) {
  const std::vector<uint8_t> psk(32, 0x42);
  return derive_keys(psk, 0x1111, 0x2222, spi);
}

TEST(PacketCipher, SealsAndOpensInBothModes) {
  const std::vector<uint8_t> header = {1, 0, 9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 7};
  std::vector<uint8_t> plain(1434);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<uint8_t>(i * 13);
  for (Mode m : {Mode::kAesGcm, Mode::kGmac}) {
    PacketCipher tx(m, keys().client_to_server), rx(m, keys().client_to_server);
    std::vector<uint8_t> p = plain;
    std::array<uint8_t, kTagSize> tag{};
    tx.seal(7, header, p, tag);
    if (m == Mode::kAesGcm) EXPECT_NE(p, plain) << "encrypted";
    else EXPECT_EQ(p, plain) << "GMAC leaves the payload readable";
    ASSERT_TRUE(rx.open(7, header, p, tag));
    EXPECT_EQ(p, plain);
  }
}

TEST(PacketCipher, RefusesEveryKindOfTampering) {
  const std::vector<uint8_t> header(18, 3);
  const std::vector<uint8_t> plain(200, 0x5A);
  for (Mode m : {Mode::kAesGcm, Mode::kGmac}) {
    PacketCipher tx(m, keys().client_to_server);
    std::vector<uint8_t> sealed = plain;
    std::array<uint8_t, kTagSize> tag{};
    tx.seal(100, header, sealed, tag);
    auto opens = [&](uint64_t pn, std::vector<uint8_t> h, std::vector<uint8_t> p, std::array<uint8_t, kTagSize> t,
                     const DirectionKeys& k) {
      PacketCipher rx(m, k);
      return rx.open(pn, h, p, t);
    };
    EXPECT_TRUE(opens(100, header, sealed, tag, keys().client_to_server));
    auto h2 = header;
    h2[5] ^= 1;
    EXPECT_FALSE(opens(100, h2, sealed, tag, keys().client_to_server)) << "header changed";
    auto p2 = sealed;
    p2[150] ^= 0x80;
    EXPECT_FALSE(opens(100, header, p2, tag, keys().client_to_server)) << "payload changed";
    auto t2 = tag;
    t2[0] ^= 1;
    EXPECT_FALSE(opens(100, header, sealed, t2, keys().client_to_server)) << "tag changed";
    EXPECT_FALSE(opens(101, header, sealed, tag, keys().client_to_server)) << "another packet number";
    EXPECT_FALSE(opens(100, header, sealed, tag, keys().server_to_client)) << "the other direction's key";
    EXPECT_FALSE(opens(100, header, sealed, tag, keys(2).client_to_server)) << "another key generation (SPI)";
    auto p3 = sealed;
    p3.pop_back();
    EXPECT_FALSE(opens(100, header, p3, tag, keys().client_to_server)) << "truncated";
  }
}

// Sealing with the payload's tail taken from another buffer (a data fragment encrypted straight from
// the operation's memory) gives exactly the bytes and tag of sealing the joined payload, for tails
// that end mid-block and whole.
TEST(PacketCipher, SealingATailFromElsewhereEqualsSealingTheJoinedPayload) {
  const DirectionKeys k = derive_keys(std::vector<uint8_t>(32, 7), 1, 2, 0).client_to_server;
  PacketCipher a(Mode::kAesGcm, k), b(Mode::kAesGcm, k);
  std::vector<uint8_t> aad(22, 3);
  for (size_t head : {0u, 1u, 15u, 16u, 17u, 52u}) {
    for (size_t tail_len : {0u, 1u, 13u, 16u, 1418u}) {
      std::vector<uint8_t> joined(head + tail_len);
      for (size_t i = 0; i < joined.size(); ++i) joined[i] = static_cast<uint8_t>(i * 13 + head);
      const std::vector<uint8_t> tail(joined.begin() + static_cast<ptrdiff_t>(head), joined.end());
      std::vector<uint8_t> split(joined.size(), 0xEE);  // the tail's place holds garbage: it must not be read
      std::copy(joined.begin(), joined.begin() + static_cast<ptrdiff_t>(head), split.begin());
      std::array<uint8_t, kTagSize> tag_a{}, tag_b{};
      a.seal(9, aad, joined, tag_a);
      b.seal_with_tail(9, aad, split, tail, tag_b);
      EXPECT_EQ(split, joined) << head << "+" << tail_len;
      EXPECT_EQ(tag_a, tag_b) << head << "+" << tail_len;
    }
  }
  PacketCipher g(Mode::kGmac, k);
  std::vector<uint8_t> p(10);
  std::array<uint8_t, kTagSize> tag{};
  EXPECT_THROW(g.seal_with_tail(1, aad, p, std::vector<uint8_t>(4), tag), std::runtime_error);
}

TEST(DeriveKeys, BothSidesAgreeAndEveryInputSeparatesTheKeys) {
  const std::vector<uint8_t> psk(32, 7), other(32, 8);
  const SessionKeys a = derive_keys(psk, 1, 2, 5), b = derive_keys(psk, 1, 2, 5);
  EXPECT_EQ(a.client_to_server.key, b.client_to_server.key);
  EXPECT_EQ(a.server_to_client.iv, b.server_to_client.iv);
  EXPECT_NE(a.client_to_server.key, a.server_to_client.key);
  EXPECT_NE(a.client_to_server.key, derive_keys(psk, 1, 2, 6).client_to_server.key);
  EXPECT_NE(a.client_to_server.key, derive_keys(psk, 1, 3, 5).client_to_server.key);
  EXPECT_NE(a.client_to_server.key, derive_keys(psk, 2, 1, 5).client_to_server.key);
  EXPECT_NE(a.client_to_server.key, derive_keys(other, 1, 2, 5).client_to_server.key);
  EXPECT_THROW(derive_keys(std::vector<uint8_t>(15, 1), 1, 2, 5), std::invalid_argument);
}

TEST(ReplayWindow, AcceptsEachNumberOnceWithinTheWindow) {
  ReplayWindow w;
  EXPECT_TRUE(w.fresh(10));
  w.mark(10);
  EXPECT_FALSE(w.fresh(10)) << "a replay";
  EXPECT_TRUE(w.fresh(5)) << "reordered, within the window";
  w.mark(5);
  EXPECT_FALSE(w.fresh(5));
  w.mark(10 + ReplayWindow::kWidth - 1);
  EXPECT_TRUE(w.fresh(11)) << "still inside the window";
  EXPECT_FALSE(w.fresh(10)) << "marked earlier, still remembered";
  w.mark(10 + ReplayWindow::kWidth + 5);
  EXPECT_FALSE(w.fresh(10)) << "now older than the window";
  EXPECT_FALSE(w.fresh(15)) << "older than the window";
  EXPECT_TRUE(w.fresh(10 + ReplayWindow::kWidth + 4));
  // A jump far ahead forgets everything below it; numbers just under the new highest are fresh.
  w.mark(1'000'000);
  EXPECT_TRUE(w.fresh(999'999));
  EXPECT_FALSE(w.fresh(1'000'000));
  EXPECT_FALSE(w.fresh(1'000'000 - ReplayWindow::kWidth));
  // A number the window moved past while it was never marked: its old bit must not linger.
  ReplayWindow v;
  v.mark(3);
  v.mark(3 + ReplayWindow::kWidth + 1);  // slot of 3 reused by 3 + kWidth, never marked
  EXPECT_TRUE(v.fresh(3 + ReplayWindow::kWidth));
}

TEST(ReplayWindow, AgreesWithAReferenceModelOnRandomTraffic) {
  // Packets arrive mostly in order, some late (reordered across paths), some twice, some far ahead.
  std::mt19937_64 rng(5);
  ReplayWindow w;
  std::set<uint64_t> seen;
  uint64_t highest = 0, next = 1;
  for (int i = 0; i < 200'000; ++i) {
    uint64_t pn = next;
    const uint64_t r = rng() % 100;
    if (r < 10 && next > 1) pn = next - 1 - rng() % std::min<uint64_t>(next - 1, 3 * ReplayWindow::kWidth / 2);
    else if (r < 12) pn = next + rng() % (2 * ReplayWindow::kWidth);
    else ++next;
    next = std::max(next, pn + 1);
    const bool expect = !seen.contains(pn) && (seen.empty() || pn > highest || highest - pn < ReplayWindow::kWidth);
    ASSERT_EQ(w.fresh(pn), expect) << "packet " << pn << " at step " << i;
    if (expect) {
      w.mark(pn);
      seen.insert(pn);
      highest = std::max(highest, pn);
    }
  }
}

}  // namespace
}  // namespace lh::xport::psp
