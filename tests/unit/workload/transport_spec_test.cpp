// transport_spec_test.cpp — the one transport grammar (workload/common/transport_spec.hpp): every form
// parses to the value it names and prints back to itself (the canonical name), and every error names
// the text, what was wrong and every accepted form.
#include <gtest/gtest.h>

#include <tuple>

#include <nlohmann/json.hpp>
#include <string>

#include "workload/common/transport_spec.hpp"

namespace lh::workload {
namespace {

TEST(TransportSpec, EveryFormParsesAndRoundTrips) {
  struct Case {
    const char* text;
    TransportKind kind;
    xport::CcKind cc;
    uint64_t rate;
    const char* tcp_cc;
    uint32_t streams;
    const char* canonical;
  };
  const Case cases[] = {
      {"longhaul", TransportKind::kLonghaul, xport::CcKind::kBbr, 0, "", 1, "longhaul"},
      {"longhaul-cubic", TransportKind::kLonghaul, xport::CcKind::kCubic, 0, "", 1, "longhaul-cubic"},
      {"longhaul-fixed:900mbit", TransportKind::kLonghaul, xport::CcKind::kFixed, 900'000'000, "", 1,
       "longhaul-fixed:900mbit"},
      {"longhaul-fixed:2.5gbit", TransportKind::kLonghaul, xport::CcKind::kFixed, 2'500'000'000, "", 1,
       "longhaul-fixed:2500mbit"},
      {"tcp", TransportKind::kTcp, xport::CcKind::kBbr, 0, "cubic", 1, "tcp-cubic"},
      {"tcp-cubic", TransportKind::kTcp, xport::CcKind::kBbr, 0, "cubic", 1, "tcp-cubic"},
      {"tcp-bbr", TransportKind::kTcp, xport::CcKind::kBbr, 0, "bbr", 1, "tcp-bbr"},
      {"tcp-reno-x1", TransportKind::kTcp, xport::CcKind::kBbr, 0, "reno", 1, "tcp-reno"},
      {"tcp-cubic-x8", TransportKind::kTcp, xport::CcKind::kBbr, 0, "cubic", 8, "tcp-cubic-x8"},
      {"tcp-bbr-x64", TransportKind::kTcp, xport::CcKind::kBbr, 0, "bbr", 64, "tcp-bbr-x64"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const TransportSpec t = parse_transport_spec(c.text);
    EXPECT_EQ(t.kind, c.kind);
    if (c.kind == TransportKind::kLonghaul) {
      EXPECT_EQ(t.cc, c.cc);
      EXPECT_EQ(t.fixed_rate.bps, c.rate);
    }
    EXPECT_EQ(t.tcp_cc, c.tcp_cc);
    EXPECT_EQ(t.streams, c.streams);
    EXPECT_EQ(t.name(), c.canonical);
    EXPECT_EQ(parse_transport_spec(t.name()), t);
    EXPECT_EQ(to_json(t)["name"], c.canonical);
  }
}

TEST(TransportSpec, AppliesTheControllerToAConnection) {
  xport::ConnectionConfig cfg;
  apply_to(parse_transport_spec("longhaul-fixed:250mbit"), cfg);
  EXPECT_EQ(cfg.cc, xport::CcKind::kFixed);
  EXPECT_EQ(cfg.fixed_rate.bps, 250'000'000u);
  apply_to(parse_transport_spec("longhaul-cubic"), cfg);
  EXPECT_EQ(cfg.cc, xport::CcKind::kCubic);
}

TEST(TransportSpec, ProtectedModeSuffixesParseRoundTripAndApply) {
  const std::tuple<const char*, xport::Protection, xport::CcKind> cases[] = {
      {"longhaul+psp", xport::Protection::kAesGcm, xport::CcKind::kBbr},
      {"longhaul+psp-auth", xport::Protection::kGmac, xport::CcKind::kBbr},
      {"longhaul-cubic+psp", xport::Protection::kAesGcm, xport::CcKind::kCubic},
      {"longhaul-fixed:900mbit+psp-auth", xport::Protection::kGmac, xport::CcKind::kFixed},
  };
  for (const auto& [text, prot, cc] : cases) {
    SCOPED_TRACE(text);
    const TransportSpec t = parse_transport_spec(text);
    EXPECT_EQ(t.protection, prot);
    EXPECT_EQ(t.cc, cc);
    EXPECT_EQ(t.name(), text);
    EXPECT_EQ(parse_transport_spec(t.name()), t);
    xport::ConnectionConfig cfg;
    apply_to(t, cfg);
    EXPECT_EQ(cfg.protection, prot);
  }
  EXPECT_EQ(parse_transport_spec("longhaul").protection, xport::Protection::kNone);
  EXPECT_EQ(to_json(parse_transport_spec("longhaul+psp"))["protection"], "aes-256-gcm");
}

TEST(TransportSpec, EveryErrorNamesTheTextAndTheAcceptedForms) {
  const std::pair<const char*, const char*> bad[] = {
      {"quic", "transport 'quic': unknown transport"},
      {"longhaul-reno", "transport 'longhaul-reno': unknown transport"},
      {"longhaul-fixed:900", "transport 'longhaul-fixed:900': bad rate '900':"},       // a unit is required
      {"longhaul-fixed:0mbit", "transport 'longhaul-fixed:0mbit': the fixed rate must be above 0bit"},
      {"longhaul-fixed:", "transport 'longhaul-fixed:': bad rate '':"},
      {"tcp-vegas", "transport 'tcp-vegas': unknown TCP congestion control 'vegas'"},
      {"tcp-cubic-x0", "transport 'tcp-cubic-x0': stream count '0' must be a whole number from 1 to 64"},
      {"tcp-cubic-x65", "transport 'tcp-cubic-x65': stream count '65' must be a whole number from 1 to 64"},
      {"tcp-cubic-x", "transport 'tcp-cubic-x': stream count '' must be a whole number from 1 to 64"},
      {"tcp-cubic-x2y", "transport 'tcp-cubic-x2y': stream count '2y' must be a whole number from 1 to 64"},
      {"tcp-", "transport 'tcp-': unknown TCP congestion control ''"},
      {"", "transport '': unknown transport"},
      {"udp", "transport 'udp': unknown transport"},
      {"longhaul-bbr", "transport 'longhaul-bbr': unknown transport"},
      {"longhaul-x2", "transport 'longhaul-x2': unknown transport"},
      {"longhaul-fixed:0bit", "transport 'longhaul-fixed:0bit': the fixed rate must be above 0bit"},
      {"longhaul-fixed:fast", "transport 'longhaul-fixed:fast': bad rate 'fast':"},
      {"tcp-cubic-x2a", "transport 'tcp-cubic-x2a': stream count '2a' must be a whole number from 1 to 64"},
      {"longhaul+tls", "transport 'longhaul+tls': unknown suffix '+tls' (+psp or +psp-auth)"},
      {"longhaul+", "transport 'longhaul+': unknown suffix '+' (+psp or +psp-auth)"},
      {"tcp-bbr+psp", "transport 'tcp-bbr+psp': protected mode (+psp) is the longhaul transport's"},
  };
  for (const auto& [text, want] : bad) {
    SCOPED_TRACE(text);
    try {
      parse_transport_spec(text);
      ADD_FAILURE() << "accepted";
    } catch (const ParseError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.rfind(want, 0), 0u) << m;
      EXPECT_NE(m.find(std::string("; accepted: ") + std::string(kTransportForms)), std::string::npos) << m;
    }
  }
}

}  // namespace
}  // namespace lh::workload
