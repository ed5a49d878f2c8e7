// Tests for lh-xfer's verification pattern (workload/common/shard_pattern): a filled shard checks
// clean; restamping a slot that held another shard yields exactly the new shard's pattern; a flipped
// byte, another shard's data (stale slot / misplaced write), a shifted copy or another seed all fail;
// the last shard of a transfer is cut to what is left.
#include <gtest/gtest.h>

#include <vector>

#include "workload/common/shard_pattern.hpp"

namespace lh::workload {
namespace {

TEST(XferPattern, FilledShardsCheckCleanAtAnyLength) {
  for (size_t len : {0u, 1u, 5u, 8u, 9u, 4095u, 4096u, 4097u, 10001u, 65536u}) {
    std::vector<uint8_t> buf(len);
    fill_shard(buf, 3, 42);
    EXPECT_TRUE(check_shard(buf, 3, 42)) << "len " << len;
  }
}

TEST(XferPattern, RestampingASlotGivesTheNewShard) {
  std::vector<uint8_t> slot(3 * 4096 + 100), fresh(3 * 4096 + 100);
  fill_shard(slot, 1, 7);
  stamp_shard(slot, 9, 7);
  fill_shard(fresh, 9, 7);
  EXPECT_EQ(slot, fresh);
  // A shorter last shard reuses a prefix of the slot.
  std::span<uint8_t> prefix(slot.data(), 5000);
  stamp_shard(prefix, 10, 7);
  std::vector<uint8_t> want(5000);
  fill_shard(want, 10, 7);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), prefix.begin()));
  EXPECT_TRUE(check_shard(prefix, 10, 7));
}

TEST(XferPattern, DetectsCorruptionStaleOrMisplacedDataAndWrongSeed) {
  std::vector<uint8_t> buf(64 * 1024);
  fill_shard(buf, 5, 1);
  EXPECT_FALSE(check_shard(buf, 4, 1)) << "another shard's data (stale slot) must fail";
  EXPECT_FALSE(check_shard(buf, 5, 2)) << "another seed must fail";
  std::vector<uint8_t> shifted(buf.begin() + 8, buf.end());
  EXPECT_FALSE(check_shard(shifted, 5, 1)) << "data shifted by a word must fail";
  for (size_t pos : {size_t{0}, size_t{9}, size_t{4095}, size_t{4096}, buf.size() - 1}) {
    buf[pos] ^= 0x10;
    EXPECT_FALSE(check_shard(buf, 5, 1)) << "flip at " << pos;
    buf[pos] ^= 0x10;
  }
  EXPECT_TRUE(check_shard(buf, 5, 1));
}

TEST(XferPattern, ShardLenCutsTheTail) {
  EXPECT_EQ(shard_len(100, 30, 0), 30u);
  EXPECT_EQ(shard_len(100, 30, 3), 10u);
}

}  // namespace
}  // namespace lh::workload
