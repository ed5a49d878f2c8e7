// memory_registry_test.cpp — registered memory through an Endpoint: keys are distinct and non-zero,
// the table is bounded, resolve() checks bounds (overflow included) and a deregistered key is gone.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "transport/proto/endpoint.hpp"

namespace lh::xport {
namespace {

TEST(MemoryRegistry, RegistrationValidates) {
  Endpoint ep({.seed = 3, .max_regions = 2});
  std::vector<uint8_t> a(10), b(10), c(10);
  EXPECT_THROW(ep.memory().register_region({}), std::invalid_argument);
  auto ra = ep.memory().register_region(a);
  auto rb = ep.memory().register_region(b);
  EXPECT_NE(ra.rkey, rb.rkey);
  EXPECT_NE(ra.rkey, 0u);
  EXPECT_THROW(ep.memory().register_region(c), std::invalid_argument);  // table full
  uint8_t* p = nullptr;
  EXPECT_EQ(ep.memory().resolve(ra.rkey, 5, 5, p), MemoryRegistry::Access::kOk);
  EXPECT_EQ(p, a.data() + 5);
  EXPECT_EQ(ep.memory().resolve(ra.rkey, 5, 6, p), MemoryRegistry::Access::kOutOfBounds);
  EXPECT_EQ(ep.memory().resolve(ra.rkey, UINT64_MAX, 2, p), MemoryRegistry::Access::kOutOfBounds);
  EXPECT_TRUE(ep.memory().deregister(ra.rkey));
  EXPECT_EQ(ep.memory().resolve(ra.rkey, 0, 1, p), MemoryRegistry::Access::kBadKey);
}

}  // namespace
}  // namespace lh::xport
