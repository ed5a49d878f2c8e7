// tcp_frame_test.cpp — the TCP baseline's striping and frame parsing: stripes tile an operation
// exactly, in order, on page boundaries; frames with the wrong magic, type, flags or length are rejected.
#include <gtest/gtest.h>

#include "transport/tcp/tcp_frame.hpp"

namespace lh::xport::tcp {
namespace {

TEST(TcpWire, StripesTileEveryShardExactly) {
  for (uint64_t len : {1ull, 4095ull, 4096ull, 4097ull, 12288ull + 1001ull, 64ull << 20, (64ull << 20) + 8}) {
    for (uint32_t n : {1u, 2u, 3u, 8u, 256u}) {
      uint64_t next = 0;
      for (uint32_t k = 0; k < n; ++k) {
        const Stripe s = stripe_of(len, n, k);
        ASSERT_EQ(s.begin, next) << "len " << len << " streams " << n << " stripe " << k;
        ASSERT_LE(s.begin, s.end);
        if (s.end < len) {
          ASSERT_EQ(s.end % kStripeAlign, 0u);
        }
        next = s.end;
      }
      EXPECT_EQ(next, len) << "len " << len << " streams " << n;
    }
  }
}

TEST(TcpWire, StripesAreBalanced) {
  const uint64_t len = 64ull << 20;
  for (uint32_t k = 0; k < 8; ++k) EXPECT_EQ(stripe_of(len, 8, k).end - stripe_of(len, 8, k).begin, len / 8);
}

TEST(TcpWire, ParseRejectsWrongMagicTypeFlagsOrLength) {
  Frame f{.type = FrameType::kWrite, .op = 7};
  auto bytes = [](const Frame& fr) { return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&fr), sizeof(fr)); };
  ASSERT_TRUE(parse_frame(bytes(f)).has_value());
  EXPECT_EQ(parse_frame(bytes(f))->op, 7u);
  EXPECT_FALSE(parse_frame(bytes(f).first(sizeof(Frame) - 1)).has_value());
  f.type = static_cast<FrameType>(9);
  EXPECT_FALSE(parse_frame(bytes(f)).has_value());
  f.type = FrameType::kStatus;
  f.flags = 0x80;
  EXPECT_FALSE(parse_frame(bytes(f)).has_value());
  f.flags = kFlagSend;
  EXPECT_TRUE(parse_frame(bytes(f)).has_value());
  f.magic ^= 1;
  EXPECT_FALSE(parse_frame(bytes(f)).has_value());
}

}  // namespace
}  // namespace lh::xport::tcp
