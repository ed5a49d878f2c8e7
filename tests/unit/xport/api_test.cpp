// api_test.cpp — the public API helpers: congestion-control specs and completion descriptions.
#include "transport/api/xport_api.hpp"

#include <gtest/gtest.h>

namespace lh::xport::api {
namespace {

TEST(Api, CcSpecs) {
  ConnectionConfig cfg;
  apply_cc_spec("fixed:900mbit", cfg);
  EXPECT_EQ(cfg.cc, CcKind::kFixed);
  EXPECT_EQ(cfg.fixed_rate.bps, 900'000'000u);
  EXPECT_EQ(cc_spec(cfg), "fixed:900mbit");
  apply_cc_spec("cubic", cfg);
  EXPECT_EQ(cfg.cc, CcKind::kCubic);
  apply_cc_spec("bbr", cfg);
  EXPECT_EQ(cfg.cc, CcKind::kBbr);
  EXPECT_EQ(cc_spec(cfg), "bbr");
}

TEST(Api, BadCcSpecsNameTheValue) {
  ConnectionConfig cfg;
  try {
    apply_cc_spec("reno", cfg);
    FAIL() << "accepted reno";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("\"reno\""), std::string::npos);
  }
  EXPECT_THROW(apply_cc_spec("fixed:900", cfg), ParseError);      // unit required
  EXPECT_THROW(apply_cc_spec("fixed:0mbit", cfg), ParseError);
}

TEST(Api, DescribeCompletion) {
  Completion c{.wr_id = 0, .kind = OpKind::kRemoteWrite, .status = Status::kSuccess, .has_imm = true, .imm = 5,
               .byte_len = 100, .rkey = 0x10, .remote_offset = 64};
  EXPECT_EQ(describe(c), "remote-write wr_id=0 success 100 B imm=5 rkey=0x10 offset=64");
  c.kind = OpKind::kWrite;
  c.status = Status::kRemoteAccessError;
  c.has_imm = false;
  EXPECT_EQ(describe(c), "write wr_id=0 remote access error 100 B");
}

TEST(Api, RegistrationValidates) {
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
}  // namespace lh::xport::api
