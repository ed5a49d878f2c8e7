// host_port_test.cpp — the HOST:PORT grammar every tool's address flag shares (src/host_port.hpp).
#include "src/host_port.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace lh {
namespace {

TEST(HostPort, SplitsNamesIpv4AndBracketedIpv6) {
  EXPECT_EQ(parse_host_port("127.0.0.1:9000").host, "127.0.0.1");
  EXPECT_EQ(parse_host_port("127.0.0.1:9000").port, 9000);
  EXPECT_EQ(parse_host_port("localhost:0").host, "localhost");
  EXPECT_EQ(parse_host_port("[::1]:65535").host, "::1");
  EXPECT_EQ(parse_host_port("[::1]:65535").port, 65535);
}

TEST(HostPort, FormatsWhatItParses) {
  EXPECT_EQ(host_port_text("10.0.0.1", 7), "10.0.0.1:7");
  EXPECT_EQ(host_port_text("fe80::1", 7), "[fe80::1]:7");
  EXPECT_EQ(parse_host_port(host_port_text("fe80::1", 7)).host, "fe80::1");
}

TEST(HostPort, BadTextNamesTheTextAndTheReason) {
  const std::pair<const char*, const char*> bad[] = {
      {"1.2.3.4", "missing \":PORT\""},      {"[::1", "unclosed '['"},
      {"[::1]9000", "after ']'"},            {"::1:9000", "brackets"},
      {":9000", "empty host"},               {"h:65536", "0 to 65535"},
      {"h:9x", "0 to 65535"},                {"h:", "0 to 65535"},
  };
  for (const auto& [text, why] : bad) {
    try {
      parse_host_port(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string("\"") + text + "\""), std::string::npos) << msg;
      EXPECT_NE(msg.find(why), std::string::npos) << msg;
    }
  }
}

}  // namespace
}  // namespace lh
