// wire_test.cpp — the version-1 wire format: round trips, CRC32C, and a decoder that never trusts input.
#include "transport/proto/wire.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace lh::xport::wire {
namespace {

std::vector<uint8_t> encode(auto&& put) {
  std::vector<uint8_t> buf(1500);
  PacketWriter w(buf, Header{.dest_cid = 0x1122334455667788, .pn = 42});
  put(w);
  buf.resize(w.finish());
  return buf;
}

// Decodes a datagram that must hold exactly one well-formed frame (its payload points into `d`).
::testing::AssertionResult decode_only_frame(const std::vector<uint8_t>& d, Frame& f) {
  Header h;
  std::span<const uint8_t> frames;
  if (const DecodeError e = decode_packet(d, h, frames); e != DecodeError::kOk) {
    return ::testing::AssertionFailure() << "decode_packet: " << static_cast<int>(e);
  }
  FrameReader r(frames);
  if (r.next(f) != DecodeError::kOk) return ::testing::AssertionFailure() << "first frame malformed";
  if (!r.done()) return ::testing::AssertionFailure() << "more than one frame";
  return ::testing::AssertionSuccess();
}

TEST(Wire, Crc32cCheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const uint8_t*>(s), 9}), 0xE3069283u);
}

TEST(Wire, HeaderLayoutIsLittleEndianAndDocumented) {
  auto d = encode([](PacketWriter& w) { w.put_ping(); });
  ASSERT_EQ(d.size(), kHeaderSize + 1 + kCrcSize);
  EXPECT_EQ(d[0], kVersion);
  EXPECT_EQ(d[1], 0);
  EXPECT_EQ(d[2], 0x88);  // dest cid, least significant byte first
  EXPECT_EQ(d[9], 0x11);
  EXPECT_EQ(d[10], 42);   // packet number
  EXPECT_EQ(d[18], static_cast<uint8_t>(FrameType::kPing));
  const uint32_t crc = crc32c({d.data(), d.size() - 4});
  EXPECT_EQ(d[19], crc & 0xff);
  EXPECT_EQ(d[22], crc >> 24);
}

TEST(Wire, HandshakeRoundTrip) {
  const HandshakeFrame hs{.src_cid = 7, .max_udp_payload = 1400, .features = 3, .initial_window = 1 << 20,
                          .idle_timeout_ms = 5000};
  auto d = encode([&](PacketWriter& w) { ASSERT_TRUE(w.put_handshake(FrameType::kInit, hs)); });
  Header h;
  std::span<const uint8_t> frames;
  ASSERT_EQ(decode_packet(d, h, frames), DecodeError::kOk);
  EXPECT_EQ(h.dest_cid, 0x1122334455667788u);
  EXPECT_EQ(h.pn, 42u);
  FrameReader r(frames);
  Frame f;
  ASSERT_EQ(r.next(f), DecodeError::kOk);
  EXPECT_EQ(f.type, FrameType::kInit);
  EXPECT_EQ(f.hs.src_cid, 7u);
  EXPECT_EQ(f.hs.max_udp_payload, 1400);
  EXPECT_EQ(f.hs.features, 3u);
  EXPECT_EQ(f.hs.initial_window, 1u << 20);
  EXPECT_EQ(f.hs.idle_timeout_ms, 5000u);
}

TEST(Wire, AckRangesRoundTrip) {
  AckFrame a;
  a.ack_delay_us = 250;
  a.window = 123456;
  a.range_count = 3;
  a.ranges[0] = {90, 100};
  a.ranges[1] = {50, 80};
  a.ranges[2] = {0, 10};
  auto d = encode([&](PacketWriter& w) { ASSERT_TRUE(w.put_ack(a)); });
  EXPECT_EQ(d.size(), kHeaderSize + ack_frame_size(3) + kCrcSize);
  Frame f;
  ASSERT_TRUE(decode_only_frame(d, f));
  ASSERT_EQ(f.ack.range_count, 3);
  EXPECT_EQ(f.ack.ranges[0].lo, 90u);
  EXPECT_EQ(f.ack.ranges[0].hi, 100u);
  EXPECT_EQ(f.ack.ranges[1].lo, 50u);
  EXPECT_EQ(f.ack.ranges[1].hi, 80u);
  EXPECT_EQ(f.ack.ranges[2].lo, 0u);
  EXPECT_EQ(f.ack.ranges[2].hi, 10u);
  EXPECT_EQ(f.ack.window, 123456u);
  EXPECT_EQ(f.ack.ack_delay_us, 250u);
}

TEST(Wire, DataRoundTripWithImmediate) {
  std::vector<uint8_t> payload(1000);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  const DataFrame df{.is_send = false, .flags = kDataFlagLast | kDataFlagImm, .op_id = 9, .key = 0xfeed,
                     .base_off = 4096, .total_len = 3000, .frag_off = 2000, .checksum = 0xabcdef, .imm = 77};
  auto d = encode([&](PacketWriter& w) { ASSERT_TRUE(w.put_data(df, payload)); });
  Frame f;
  ASSERT_TRUE(decode_only_frame(d, f));
  EXPECT_EQ(f.type, FrameType::kWrite);
  EXPECT_EQ(f.data.op_id, 9u);
  EXPECT_EQ(f.data.key, 0xfeedu);
  EXPECT_EQ(f.data.base_off, 4096u);
  EXPECT_EQ(f.data.total_len, 3000u);
  EXPECT_EQ(f.data.frag_off, 2000u);
  EXPECT_EQ(f.data.checksum, 0xabcdefu);
  EXPECT_EQ(f.data.imm, 77u);
  ASSERT_EQ(f.data.payload.size(), payload.size());
  EXPECT_EQ(std::memcmp(f.data.payload.data(), payload.data(), payload.size()), 0);
}

TEST(Wire, ShortDataFrameOmitsTheOperationDescriptor) {
  std::vector<uint8_t> payload(1434, 3);
  const DataFrame df{.is_send = false, .flags = kDataFlagShort, .op_id = 12, .key = 0xfeed, .base_off = 4096,
                     .total_len = 1 << 20, .frag_off = 8192};
  auto d = encode([&](PacketWriter& w) { ASSERT_TRUE(w.put_data(df, payload)); });
  // 18-byte header, 16-byte short frame header, payload, CRC: exactly a 1472-byte datagram.
  EXPECT_EQ(d.size(), kHeaderSize + kShortDataFrameSize + payload.size() + kCrcSize);
  EXPECT_EQ(d.size(), 1472u);
  Frame f;
  ASSERT_TRUE(decode_only_frame(d, f));
  EXPECT_EQ(f.data.flags, kDataFlagShort);
  EXPECT_EQ(f.data.op_id, 12u);
  EXPECT_EQ(f.data.frag_off, 8192u);
  EXPECT_EQ(f.data.key, 0u);  // not on the wire
  EXPECT_EQ(f.data.total_len, 0u);
  EXPECT_EQ(f.data.payload.size(), payload.size());
}

TEST(Wire, ShortLastFragmentCarriesTheTrailer) {
  std::vector<uint8_t> payload(10, 4);
  const DataFrame df{.flags = kDataFlagShort | kDataFlagLast | kDataFlagImm, .op_id = 3, .frag_off = 90,
                     .checksum = 0x1234, .imm = 99};
  auto d = encode([&](PacketWriter& w) { ASSERT_TRUE(w.put_data(df, payload)); });
  EXPECT_EQ(d.size(), kHeaderSize + kShortDataFrameSize + kDataLastExtra + payload.size() + kCrcSize);
  Frame f;
  ASSERT_TRUE(decode_only_frame(d, f));
  EXPECT_EQ(f.data.checksum, 0x1234u);
  EXPECT_EQ(f.data.imm, 99u);
  EXPECT_EQ(f.data.frag_off, 90u);
}

TEST(Wire, EveryFlippedBitFailsTheCrc) {
  auto d = encode([](PacketWriter& w) { w.put_status(StatusFrame{.kind = 0, .status = 0, .op_id = 5}); });
  for (size_t bit = 0; bit < d.size() * 8; ++bit) {
    auto bad = d;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    Header h;
    std::span<const uint8_t> frames;
    EXPECT_EQ(decode_packet(bad, h, frames), DecodeError::kBadCrc) << "bit " << bit;
  }
}

// Re-seals a tampered packet with a valid CRC so the frame decoder itself is exercised.
std::vector<uint8_t> reseal(std::vector<uint8_t> d) {
  const uint32_t crc = crc32c({d.data(), d.size() - 4});
  for (int i = 0; i < 4; ++i) d[d.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  return d;
}

DecodeError first_frame(const std::vector<uint8_t>& d) {
  Header h;
  std::span<const uint8_t> frames;
  if (auto e = decode_packet(d, h, frames); e != DecodeError::kOk) return e;
  Frame f;
  FrameReader r(frames);
  return r.next(f);
}

TEST(Wire, DataLengthBeyondPacketIsMalformed) {
  std::vector<uint8_t> payload(100, 1);
  const DataFrame df{.op_id = 1, .key = 1, .total_len = 100};
  auto d = encode([&](PacketWriter& w) { w.put_data(df, payload); });
  d[kHeaderSize + 2] = 0xff;  // claim 0x??ff bytes of payload
  d[kHeaderSize + 3] = 0x7f;
  EXPECT_EQ(first_frame(reseal(d)), DecodeError::kMalformed);
}

// Data frames the encoder writes faithfully but the decoder must refuse.
TEST(Wire, FragmentOutsideItsOperationIsMalformed) {
  const DataFrame bad[] = {
      {.op_id = 1, .key = 1, .total_len = 150, .frag_off = 100},                 // 100+100 > 150
      {.flags = kDataFlagShort, .op_id = 1, .frag_off = UINT64_MAX - 50},        // end overflows
  };
  std::vector<uint8_t> payload(100, 1);
  for (const DataFrame& df : bad) {
    std::vector<uint8_t> buf(1500);
    PacketWriter w(buf, Header{.dest_cid = 1, .pn = 1});
    ASSERT_TRUE(w.put_data(df, payload));
    buf.resize(w.finish());
    EXPECT_EQ(first_frame(buf), DecodeError::kMalformed) << "flags " << int{df.flags};
  }
}

TEST(Wire, UndefinedDataFlagIsMalformed) {
  std::vector<uint8_t> payload(100, 1);
  const DataFrame df{.op_id = 1, .key = 1, .total_len = 100};
  auto d = encode([&](PacketWriter& w) { w.put_data(df, payload); });
  d[kHeaderSize + 1] = 0x08;
  EXPECT_EQ(first_frame(reseal(d)), DecodeError::kMalformed);
}

TEST(Wire, AckGapUnderflowIsMalformed) {
  AckFrame a;
  a.range_count = 2;
  a.ranges[0] = {10, 12};
  a.ranges[1] = {2, 5};
  auto d = encode([&](PacketWriter& w) { w.put_ack(a); });
  // Make the second range's gap larger than the space below the first range.
  d[kHeaderSize + 26] = 0xff;
  EXPECT_EQ(first_frame(reseal(d)), DecodeError::kMalformed);
}

TEST(Wire, UnknownFrameTypeShortAndVersion) {
  auto d = encode([](PacketWriter& w) { w.put_ping(); });
  auto unknown = d;
  unknown[kHeaderSize] = 0x7e;
  EXPECT_EQ(first_frame(reseal(unknown)), DecodeError::kMalformed);
  auto version = d;
  version[0] = 2;
  EXPECT_EQ(first_frame(reseal(version)), DecodeError::kBadVersion);
  std::vector<uint8_t> tiny(10, 0);
  EXPECT_EQ(first_frame(tiny), DecodeError::kTooShort);
}

TEST(Wire, WriterRefusesWhatDoesNotFit) {
  std::vector<uint8_t> buf(kHeaderSize + kCrcSize + 20);
  PacketWriter w(buf, Header{});
  std::vector<uint8_t> payload(100, 0);
  EXPECT_FALSE(w.put_data(DataFrame{.total_len = 100}, payload));
  EXPECT_TRUE(w.put_status(StatusFrame{}));
  EXPECT_GT(w.finish(), 0u);
}

}  // namespace
}  // namespace lh::xport::wire
