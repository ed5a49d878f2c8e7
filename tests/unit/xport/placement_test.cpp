// placement_test.cpp — WRITE and SEND placement: completion with immediate at both ends, rkey and
// bounds checks before any byte is written, duplicates, corruption, reordering, end-to-end integrity.
// Each test narrates the packets it captures from one side and injects into the other.
#include <gtest/gtest.h>
#include <xxhash.h>

#include "tests/unit/xport/xport_harness.hpp"

namespace lh::xport::test {
namespace {

struct WriteFixture : ::testing::Test {
  Pair p;
  std::vector<uint8_t> region = std::vector<uint8_t>(256 * 1024, 0xAA);  // canary everywhere
  MemoryRegion mr = p.b.mem.register_region(region);
  std::vector<uint8_t> src = pattern(100'000, 5);

  bool client_done() { return !p.a.cq.empty(); }
};

TEST_F(WriteFixture, CompletesAtBothSidesWithImmediate) {
  ASSERT_EQ(p.client().post_write({.wr_id = 77, .local = src, .rkey = mr.rkey, .remote_offset = 1000, .imm = 0xC0FFEE}),
            PostResult::kOk);
  exchange(p, deliver_all(), [&] { return client_done(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].wr_id, 77u);
  EXPECT_EQ(mine[0].kind, OpKind::kWrite);
  EXPECT_EQ(mine[0].status, Status::kSuccess);
  EXPECT_EQ(mine[0].byte_len, src.size());
  auto theirs = p.b.completions();
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].kind, OpKind::kRemoteWrite);
  EXPECT_TRUE(theirs[0].has_imm);
  EXPECT_EQ(theirs[0].imm, 0xC0FFEEu);
  EXPECT_EQ(theirs[0].rkey, mr.rkey);
  EXPECT_EQ(theirs[0].remote_offset, 1000u);
  EXPECT_EQ(theirs[0].byte_len, src.size());
  EXPECT_TRUE(std::equal(src.begin(), src.end(), region.begin() + 1000));
  EXPECT_EQ(region[999], 0xAA);                // nothing before ...
  EXPECT_EQ(region[1000 + src.size()], 0xAA);  // ... or after the write
  EXPECT_EQ(p.server().stats().placed_bytes, src.size());
}

TEST_F(WriteFixture, BadKeyFailsAtInitiatorAndWritesNothing) {
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey ^ 1}), PostResult::kOk);
  exchange(p, deliver_all(), [&] { return client_done(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].status, Status::kRemoteAccessError);
  EXPECT_GE(p.server().stats().dropped_bad_key, 1u);
  EXPECT_EQ(p.server().stats().placed_bytes, 0u);
  EXPECT_TRUE(std::all_of(region.begin(), region.end(), [](uint8_t b) { return b == 0xAA; }));
  EXPECT_TRUE(p.b.completions().empty());
}

TEST_F(WriteFixture, OutOfBoundsFailsBeforeAnyByteLands) {
  // The write would start inside the region and run 1 byte past its end: the whole write is refused,
  // including the fragments that would have fitted.
  const uint64_t off = region.size() - src.size() + 1;
  ASSERT_EQ(p.client().post_write({.wr_id = 2, .local = src, .rkey = mr.rkey, .remote_offset = off}), PostResult::kOk);
  exchange(p, deliver_all(), [&] { return client_done(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].status, Status::kRemoteAccessError);
  EXPECT_GE(p.server().stats().dropped_out_of_bounds, 1u);
  EXPECT_TRUE(std::all_of(region.begin(), region.end(), [](uint8_t b) { return b == 0xAA; }));
}

TEST_F(WriteFixture, DuplicatedPacketsAreHarmless) {
  ASSERT_EQ(p.client().post_write({.wr_id = 3, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  // Every datagram in both directions arrives twice.
  exchange(p, [](bool, uint64_t, const Datagram&) { return Fate::kDuplicate; }, [&] { return client_done(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].status, Status::kSuccess);
  EXPECT_EQ(p.b.completions().size(), 1u);  // one target completion, not two
  EXPECT_GT(p.server().stats().dropped_duplicate, 0u);
  EXPECT_EQ(p.server().stats().placed_bytes, src.size());
  EXPECT_TRUE(std::equal(src.begin(), src.end(), region.begin()));
}

TEST_F(WriteFixture, CorruptedPacketsAreDroppedAndRepaired) {
  ASSERT_EQ(p.client().post_write({.wr_id = 4, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  // Every 5th client datagram has a bit flipped in flight: CRC32C fails, the server drops and counts
  // it, never ACKs it, and the client's loss detection retransmits the fragment.
  exchange(p, [](bool from_client, uint64_t i, const Datagram&) { return from_client && i % 5 == 2 ? Fate::kCorrupt : Fate::kDeliver; },
           [&] { return client_done(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].status, Status::kSuccess);
  EXPECT_GT(p.server().stats().dropped_bad_crc, 0u);
  EXPECT_GT(p.client().stats().retransmits, 0u);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), region.begin()));
}

TEST_F(WriteFixture, ReorderedFragmentsLandInPlace) {
  ASSERT_EQ(p.client().post_write({.wr_id = 5, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  // Capture the whole burst the client may send, deliver it in reverse order.
  std::vector<Datagram> burst;
  for (int i = 0; i < 50 && burst.size() < 20; ++i) {
    for (auto& d : capture(p.client(), p.now)) burst.push_back(d);
    p.now += Nanos::from_us(500);
  }
  ASSERT_GE(burst.size(), 10u);
  for (auto it = burst.rbegin(); it != burst.rend(); ++it) inject(p.server(), *it, p.now);
  exchange(p, deliver_all(), [&] { return client_done(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].status, Status::kSuccess);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), region.begin()));
}

TEST_F(WriteFixture, StaleDuplicateAfterCompletionDoesNotOverwrite) {
  ASSERT_EQ(p.client().post_write({.wr_id = 6, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  std::optional<Datagram> first_data;
  exchange(p, [&](bool from_client, uint64_t, const Datagram& d) {
    if (from_client && !first_data && has_frame(d, wire::FrameType::kWrite)) first_data = d;
    return Fate::kDeliver;
  }, [&] { return client_done(); });
  ASSERT_EQ(p.a.completions().size(), 1u);
  ASSERT_TRUE(first_data.has_value());
  std::fill(region.begin(), region.end(), 0x55);  // the application reuses the region
  inject(p.server(), *first_data, p.now);         // a late network duplicate of the first fragment
  EXPECT_TRUE(std::all_of(region.begin(), region.end(), [](uint8_t b) { return b == 0x55; }));
  EXPECT_EQ(p.b.completions().size(), 1u);        // only the original completion
}

TEST_F(WriteFixture, IntegrityFailureIsReportedAtBothEnds) {
  // The sender hashes its buffer when the write is posted; a (buggy) application then changes the
  // buffer before it is transmitted. Every packet passes CRC32C, but the target's XXH3 over the placed
  // bytes differs from the sender's: the write fails with kIntegrityError on both sides.
  ASSERT_EQ(p.client().post_write({.wr_id = 8, .local = src, .rkey = mr.rkey, .imm = 1}), PostResult::kOk);
  src[500] ^= 0xFF;
  exchange(p, deliver_all(), [&] { return client_done(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].status, Status::kIntegrityError);
  auto theirs = p.b.completions();
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].status, Status::kIntegrityError);
  EXPECT_EQ(p.server().stats().integrity_errors, 1u);
}

TEST_F(WriteFixture, CallerSuppliedChecksumIsUsedAndChecked) {
  // A correct precomputed XXH3 completes the write like the transport's own; a wrong one is caught
  // by the target's hash of the placed bytes and fails the write at both ends.
  const uint64_t good = XXH3_64bits(src.data(), src.size());
  ASSERT_EQ(p.client().post_write({.wr_id = 9, .local = src, .rkey = mr.rkey, .checksum = good}), PostResult::kOk);
  exchange(p, deliver_all(), [&] { return client_done(); });
  auto first = p.a.completions();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].status, Status::kSuccess);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), region.begin()));
  EXPECT_EQ(p.client().stats().write_bytes_acked, src.size());

  ASSERT_EQ(p.client().post_write({.wr_id = 10, .local = src, .rkey = mr.rkey, .remote_offset = 100'000,
                                   .checksum = good ^ 1}),
            PostResult::kOk);
  exchange(p, deliver_all(), [&] { return client_done(); });
  auto second = p.a.completions();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].status, Status::kIntegrityError);
  EXPECT_EQ(p.server().stats().integrity_errors, 1u);
}

// Short data frames (kFeatureShortData): the first fragments go in the full form; once one of them
// is acknowledged the rest omit key, offset and length and carry 24 bytes more payload each.
TEST_F(WriteFixture, FragmentsTurnShortOnceTheOperationIsAcknowledged) {
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey, .remote_offset = 0}), PostResult::kOk);
  size_t full = 0, short_form = 0, short_payload = 0;
  exchange(p, [&](bool from_client, uint64_t, const Datagram& d) {
    for (const auto& f : frames_of(d)) {
      if (!from_client || f.type != wire::FrameType::kWrite) continue;
      if (f.data.flags & wire::kDataFlagShort) {
        ++short_form;
        if (!(f.data.flags & wire::kDataFlagLast)) short_payload = f.data.payload.size();
      } else {
        ++full;
      }
    }
    return Fate::kDeliver;
  }, [&] { return client_done(); });
  ASSERT_EQ(p.a.completions().at(0).status, Status::kSuccess);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), region.begin()));
  EXPECT_GT(full, 0u);
  EXPECT_GT(short_form, 0u);
  EXPECT_EQ(short_payload, 1472u - wire::kHeaderSize - wire::kCrcSize - wire::kShortDataFrameSize);
}

TEST(ShortData, NotUsedUnlessBothSidesOfferIt) {
  Pair p({.features = 0}, {});
  std::vector<uint8_t> region(256 * 1024), src = pattern(100'000, 6);
  MemoryRegion mr = p.b.mem.register_region(region);
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey, .remote_offset = 0}), PostResult::kOk);
  size_t short_form = 0;
  exchange(p, [&](bool, uint64_t, const Datagram& d) {
    for (const auto& f : frames_of(d)) short_form += (f.type == wire::FrameType::kWrite && (f.data.flags & wire::kDataFlagShort));
    return Fate::kDeliver;
  }, [&] { return !p.a.cq.empty(); });
  EXPECT_EQ(p.a.completions().at(0).status, Status::kSuccess);
  EXPECT_EQ(short_form, 0u);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), region.begin()));
}

// Crafts a WRITE fragment from the client to the server with the client's next packet number.
Datagram craft_write(Pair& p, uint64_t pn, const wire::DataFrame& df, std::span<const uint8_t> payload) {
  Datagram buf(1500);
  wire::PacketWriter w(buf, wire::Header{.dest_cid = p.server().local_cid(), .pn = pn});
  EXPECT_TRUE(w.put_data(df, payload));
  buf.resize(w.finish());
  return buf;
}

TEST_F(WriteFixture, ShortFragmentOfAnUnknownOperationIsDroppedUnacknowledged) {
  std::vector<uint8_t> payload(100, 7);
  const auto d = craft_write(p, 1000, {.flags = wire::kDataFlagShort, .op_id = 1, .frag_off = 0}, payload);
  inject(p.server(), d, p.now);
  EXPECT_EQ(p.server().stats().dropped_unannounced, 1u);
  EXPECT_EQ(p.server().stats().placed_bytes, 0u);
  EXPECT_EQ(region[0], 0xAA);
  // Not recorded as received: its packet number is not acknowledged, so the sender resends it.
  p.now += Nanos::from_ms(5);
  for (const auto& a : capture(p.server(), p.now)) {
    for (const auto& f : frames_of(a)) {
      if (f.type == wire::FrameType::kAck) {
        EXPECT_NE(f.ack.ranges[0].hi, 1000u);
      }
    }
  }
}

TEST_F(WriteFixture, ShortFragmentBeyondItsOperationIsRefused) {
  std::vector<uint8_t> payload(100, 7);
  // A full-form first fragment announces a 150-byte operation ...
  inject(p.server(), craft_write(p, 1000, {.op_id = 1, .key = mr.rkey, .total_len = 150}, payload), p.now);
  EXPECT_EQ(p.server().stats().placed_bytes, 100u);
  // ... so a short fragment claiming bytes [100, 200) contradicts it and places nothing.
  inject(p.server(), craft_write(p, 1001, {.flags = wire::kDataFlagShort, .op_id = 1, .frag_off = 100}, payload), p.now);
  EXPECT_EQ(p.server().stats().dropped_contradicting, 1u);
  EXPECT_EQ(p.server().stats().placed_bytes, 100u);
  EXPECT_EQ(region[100], 0xAA);
  // Nor acknowledged: a sender that believed it delivered would wait for a STATUS that never comes.
  p.now += Nanos::from_ms(5);
  bool acked_1000 = false;
  for (const auto& a : capture(p.server(), p.now)) {
    for (const auto& f : frames_of(a)) {
      if (f.type != wire::FrameType::kAck) continue;
      for (uint8_t i = 0; i < f.ack.range_count; ++i) {
        acked_1000 = acked_1000 || (f.ack.ranges[i].lo <= 1000 && 1000 <= f.ack.ranges[i].hi);
        EXPECT_FALSE(f.ack.ranges[i].lo <= 1001 && 1001 <= f.ack.ranges[i].hi);
      }
    }
  }
  EXPECT_TRUE(acked_1000);
}

TEST(ShortData, ShortFormWithoutNegotiationIsMalformed) {
  Pair p({}, {.features = 0});
  std::vector<uint8_t> region(4096, 0xAA);
  MemoryRegion mr = p.b.mem.register_region(region);
  std::vector<uint8_t> payload(100, 7);
  inject(p.server(), craft_write(p, 1000, {.op_id = 1, .key = mr.rkey, .total_len = 200}, payload), p.now);
  inject(p.server(), craft_write(p, 1001, {.flags = wire::kDataFlagShort, .op_id = 1, .frag_off = 100}, payload), p.now);
  EXPECT_EQ(p.server().stats().dropped_malformed, 1u);
  EXPECT_EQ(p.server().stats().placed_bytes, 100u);
}

TEST(SendRecv, MessageLandsInPostedBufferAndOversizeFails) {
  Pair p;
  std::vector<uint8_t> rbuf1(5000, 0), rbuf2(100, 0);
  ASSERT_EQ(p.server().post_recv(101, rbuf1), PostResult::kOk);
  ASSERT_EQ(p.server().post_recv(102, rbuf2), PostResult::kOk);
  auto msg1 = pattern(3000, 9), msg2 = pattern(200, 10);
  ASSERT_EQ(p.client().post_send(1, msg1), PostResult::kOk);
  ASSERT_EQ(p.client().post_send(2, msg2), PostResult::kOk);
  exchange(p, deliver_all(), [&] { return p.a.cq.size() == 2; });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].kind, OpKind::kSend);
  EXPECT_EQ(mine[0].status, Status::kSuccess);
  EXPECT_EQ(mine[1].status, Status::kLengthError);  // 200 B into a 100 B buffer
  auto theirs = p.b.completions();
  ASSERT_EQ(theirs.size(), 2u);
  for (const auto& c : theirs) {
    if (c.wr_id == 101) {
      EXPECT_EQ(c.status, Status::kSuccess);
      EXPECT_EQ(c.byte_len, 3000u);
    } else {
      EXPECT_EQ(c.wr_id, 102u);
      EXPECT_EQ(c.status, Status::kLengthError);
    }
  }
  EXPECT_TRUE(std::equal(msg1.begin(), msg1.end(), rbuf1.begin()));
  EXPECT_TRUE(std::all_of(rbuf2.begin(), rbuf2.end(), [](uint8_t b) { return b == 0; }));
}

TEST(SendRecv, SendWaitsForAReceiveBuffer) {
  Pair p;
  auto msg = pattern(2000, 3);
  ASSERT_EQ(p.client().post_send(1, msg), PostResult::kOk);
  // No receive posted: the server drops the fragments without ACKing them (receiver not ready).
  exchange(p, deliver_all(), [] { return false; }, 50);
  EXPECT_GT(p.server().stats().dropped_no_recv, 0u);
  EXPECT_TRUE(p.a.cq.empty());
  std::vector<uint8_t> rbuf(4096);
  ASSERT_EQ(p.server().post_recv(9, rbuf), PostResult::kOk);
  exchange(p, deliver_all(), [&] { return !p.a.cq.empty(); });
  auto mine = p.a.completions();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].status, Status::kSuccess);
  EXPECT_TRUE(std::equal(msg.begin(), msg.end(), rbuf.begin()));
}

}  // namespace
}  // namespace lh::xport::test
