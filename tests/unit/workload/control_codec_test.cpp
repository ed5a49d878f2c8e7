// control_codec_test.cpp — the workloads' control messages (workload/common/control_codec.hpp): every
// message round-trips with its named fields; a short buffer, another magic, an unknown version or type,
// flags, a wrong body length, trailing bytes and an unknown status are errors that say so; decode_as
// names what came instead of what was expected.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "workload/common/control_codec.hpp"

namespace lh::workload {
namespace {

std::vector<ControlMessage> samples() {
  return {XferHello{.total_bytes = 8ull << 30, .shard_bytes = 64ull << 20, .seed = 0x1122334455667788, .slots = 4},
          XferReady{.status = ReadyStatus::kTooLarge, .slots = 3, .rkey = 0xfedcba9876543210, .region_bytes = 1 << 20},
          XferDone{.shards = 128},
          XferReport{.verified_shards = 127, .bad_shards = 1, .verified_bytes = 127ull << 26},
          ReplayHelloData{.nonce = 9, .client_rkey = 10, .client_region_bytes = 11, .forward_chunk_bytes = 12},
          ReplayHelloCtrl{.nonce = 9},
          ReplayReady{.status = ReadyStatus::kOk, .server_rkey = 77, .region_bytes = 64ull << 20},
          ReplayStart{.transfer = 4000000000u, .bytes = 1ull << 40}};
}

std::string error_of(std::span<const uint8_t> b) {
  const DecodeResult r = decode(b);
  EXPECT_FALSE(r.ok);
  return r.error;
}

TEST(ControlCodec, EveryMessageRoundTrips) {
  for (const ControlMessage& m : samples()) {
    SCOPED_TRACE(message_name(m));
    const EncodedMessage e = encode(m);
    ASSERT_LE(e.size, kMaxControlMessage);
    const DecodeResult r = decode(e.span());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.message, m);
    EXPECT_EQ(e.bytes[0], 'L');
    EXPECT_EQ(e.bytes[3], kControlVersion);
  }
}

TEST(ControlCodec, FieldsAreLittleEndianInDeclarationOrder) {
  const EncodedMessage e = encode(ReplayStart{.transfer = 0x01020304, .bytes = 0x0a0b0c0d0e0f1011});
  ASSERT_EQ(e.size, kControlHeader + 12);
  EXPECT_EQ(e.bytes[6], 12);  // body length
  EXPECT_EQ(e.bytes[7], 0);
  EXPECT_EQ(e.bytes[8], 0x04);
  EXPECT_EQ(e.bytes[11], 0x01);
  EXPECT_EQ(e.bytes[12], 0x11);
  EXPECT_EQ(e.bytes[19], 0x0a);
}

TEST(ControlCodec, TruncationAtEveryLengthIsAnError) {
  const EncodedMessage e = encode(XferHello{.total_bytes = 1, .shard_bytes = 1, .seed = 1, .slots = 1});
  for (size_t n = 0; n < e.size; ++n) {
    const std::string err = error_of(e.span().first(n));
    EXPECT_FALSE(err.empty()) << n;
    if (n < kControlHeader) EXPECT_NE(err.find("shorter than its 8-byte header"), std::string::npos) << err;
    else EXPECT_NE(err.find("header says 28 body bytes, " + std::to_string(n - kControlHeader) + " arrived"), std::string::npos) << err;
  }
}

TEST(ControlCodec, UnknownVersionTypeMagicFlagsAndBadLengthsAreNamed) {
  EncodedMessage e = encode(XferDone{.shards = 1});
  auto mutated = [&](size_t at, uint8_t v) {
    EncodedMessage m = e;
    m.bytes[at] = v;
    return error_of(m.span());
  };
  EXPECT_EQ(mutated(3, 2), "control message: version 2 is unknown (this build speaks 1)");
  EXPECT_EQ(mutated(4, 99), "control message: type 99 is unknown");
  EXPECT_EQ(mutated(0, 'X'), "control message: bad magic (not an lh workload peer?)");
  EXPECT_EQ(mutated(5, 1), "control message: flags 0x1 must be 0");
  // A body of the wrong length for its type (the header agrees with what arrived).
  EncodedMessage shortened = e;
  shortened.bytes[6] = 7;
  EXPECT_EQ(error_of(shortened.span().first(kControlHeader + 7)), "control message: XferDone body of 7 bytes, expected 8");
  // Trailing bytes beyond what the header announces.
  std::vector<uint8_t> longer(e.span().begin(), e.span().end());
  longer.push_back(0);
  EXPECT_EQ(error_of(longer), "control message: header says 8 body bytes, 9 arrived");
  // An enum out of range.
  EncodedMessage ready = encode(XferReady{});
  ready.bytes[kControlHeader] = 7;
  EXPECT_EQ(error_of(ready.span()), "control message: XferReady has an unknown status 7");
}

TEST(ControlCodec, DecodeAsNamesTheUnexpectedType) {
  const EncodedMessage e = encode(XferDone{.shards = 3});
  const auto ok = decode_as<XferDone>(e.span());
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.value.shards, 3u);
  const auto wrong = decode_as<XferReady>(e.span());
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.error, "control message: expected XferReady, got XferDone");
}

}  // namespace
}  // namespace lh::workload
