// packet_pool_test.cpp — the UMEM coverage rule of lh-emu's af_xdp pools (emulator/dpdk/packet_pool.hpp).
#include "emulator/dpdk/packet_pool.hpp"

#include <gtest/gtest.h>

namespace lh::emu {
namespace {

constexpr uint64_t kObject = 2368;   // 64 B header + 128 B mbuf + 2176 B data room
constexpr uint64_t kCount = 20523;

TEST(PacketPool, PackedObjectsLieInsideTheUmem) {
  // Back to back from a page-aligned chunk: the last header is at (n - 1) × size.
  EXPECT_TRUE(objects_within_umem(0, kObject, kCount, (kCount - 1) * kObject));
  // A chunk starting 192 B into a page: the region grows by that much, and so do the offsets.
  EXPECT_TRUE(objects_within_umem(192, kObject, kCount, 192 + (kCount - 1) * kObject));
}

TEST(PacketPool, PageBoundedObjectsOverrunTheUmem) {
  // The default layout under --no-huge: one 2368 B object per 4 KiB page.
  EXPECT_FALSE(objects_within_umem(0, kObject, kCount, (kCount - 1) * 4096));
  // One byte past the end is already out.
  EXPECT_FALSE(objects_within_umem(0, kObject, kCount, (kCount - 1) * kObject + 1));
}

}  // namespace
}  // namespace lh::emu
