// router_test.cpp — the control API's behaviour without sockets: every endpoint through route()
// with a fake backend, each error class, the Prometheus text format, event and address parsing.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "emulator/control/event_request.hpp"
#include "emulator/control/listen_address.hpp"
#include "emulator/control/metrics_format.hpp"
#include "emulator/control/router.hpp"
#include "tests/unit/control/fake_backend.hpp"

namespace lh::emu::control {
namespace {

using nlohmann::json;
using testing::FakeBackend;

// A well-formed request: a body goes as application/json (the policy refuses others: see below).
HttpResponse call(Backend& b, std::string_view method, std::string_view target, std::string_view body = "") {
  HttpRequest r{.method = method, .target = target, .body = body};
  if (method != "GET") r.content_type = "application/json";
  return route(b, r);
}

std::string error_of(const HttpResponse& r) { return json::parse(r.body).at("error").get<std::string>(); }

TEST(Router, GetProfileReturnsTheRunningProfile) {
  FakeBackend b;
  const HttpResponse r = call(b, "GET", "/profile");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  const json p = json::parse(r.body);
  EXPECT_EQ(p.at("link").at("name"), "continental-4000km");
  EXPECT_EQ(p.at("a_to_b").at("propagation").at("distance"), "4000km");
}

TEST(Router, PutProfileReplacesItAndReturnsTheNewOne) {
  FakeBackend b;
  json p = b.profile();
  p["link"]["name"] = "replaced";
  p["a_to_b"]["propagation"]["extra"] = "7ms";
  const HttpResponse r = call(b, "PUT", "/profile", p.dump());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body).at("link").at("name"), "replaced");
  EXPECT_EQ(b.profile().at("a_to_b").at("propagation").at("extra"), "7ms");
}

TEST(Router, PutProfileWithInvalidValueIs422WithTheValidatorsMessage) {
  FakeBackend b;
  const json before = b.profile();
  json p = before;
  p["a_to_b"]["propagation"]["extra"] = "7 parsecs";
  const HttpResponse r = call(b, "PUT", "/profile", p.dump());
  EXPECT_EQ(r.status, 422u);
  EXPECT_NE(error_of(r).find("extra"), std::string::npos) << error_of(r);
  EXPECT_EQ(b.profile(), before) << "unchanged after a refusal";
}

TEST(Router, PutProfileWithUnknownKeyIs422) {
  FakeBackend b;
  json p = b.profile();
  p["a_to_b"]["lossy"] = "1%";
  const HttpResponse r = call(b, "PUT", "/profile", p.dump());
  EXPECT_EQ(r.status, 422u);
  EXPECT_NE(error_of(r).find("lossy"), std::string::npos) << error_of(r);
}

TEST(Router, PatchChangesOneDirectionOnly) {
  FakeBackend b;
  const json before = b.profile();
  const HttpResponse r = call(b, "PATCH", "/links/a_to_b", R"({"propagation": {"extra": "20ms"}})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body).at("propagation").at("extra"), "20ms");
  EXPECT_EQ(b.profile().at("a_to_b").at("propagation").at("extra"), "20ms");
  EXPECT_EQ(b.profile().at("a_to_b").at("propagation").at("distance"), before.at("a_to_b").at("propagation").at("distance"));
  EXPECT_EQ(b.profile().at("b_to_a"), before.at("b_to_a"));
}

TEST(Router, PatchLossModel) {
  FakeBackend b;
  const HttpResponse r = call(b, "PATCH", "/links/b_to_a", R"({"loss": {"model": "bernoulli", "p": "1%"}})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(b.profile().at("b_to_a").at("loss").at("model"), "bernoulli");
  EXPECT_EQ(b.profile().at("b_to_a").at("loss").at("p"), "1%");
}

TEST(Router, PatchWithBareNumberIs422) {
  FakeBackend b;
  const HttpResponse r = call(b, "PATCH", "/links/a_to_b", R"({"propagation": {"extra": 20}})");
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_NE(error_of(r).find("extra"), std::string::npos) << error_of(r);
}

TEST(Router, PatchNonObjectIs422) {
  FakeBackend b;
  EXPECT_EQ(call(b, "PATCH", "/links/a_to_b", "[1, 2]").status, 422u);
}

TEST(Router, GetLinkReturnsThatDirection) {
  FakeBackend b;
  const HttpResponse r = call(b, "GET", "/links/b_to_a/");
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(json::parse(r.body).contains("propagation"));
}

TEST(Router, UnknownDirectionIs404) {
  FakeBackend b;
  const HttpResponse r = call(b, "PATCH", "/links/c_to_d", R"({})");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(error_of(r).find("c_to_d"), std::string::npos);
}

TEST(Router, UnknownPathIs404NamingThePath) {
  FakeBackend b;
  const HttpResponse r = call(b, "GET", "/proxies");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(error_of(r).find("/proxies"), std::string::npos);
}

TEST(Router, WrongMethodIs405WithAllow) {
  FakeBackend b;
  const std::map<std::string, std::string> allow = {
      {"/profile", "GET, PUT"}, {"/links/a_to_b", "GET, PATCH"}, {"/events", "POST"},
      {"/stats", "GET"},        {"/metrics", "GET"}};
  for (const auto& [path, methods] : allow) {
    const HttpResponse r = call(b, "DELETE", path);
    EXPECT_EQ(r.status, 405u) << path;
    EXPECT_EQ(r.allow, methods) << path;
    EXPECT_NE(error_of(r).find("DELETE"), std::string::npos) << path;
  }
}

TEST(Router, MalformedJsonIs400) {
  FakeBackend b;
  HttpResponse r = call(b, "PUT", "/profile", R"({"link": )");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(error_of(r).find("malformed JSON"), std::string::npos);
  r = call(b, "POST", "/events", "");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(error_of(r).find("empty"), std::string::npos);
}

TEST(Router, DeeplyNestedJsonIs400BeforeAnythingWalksIt) {
  FakeBackend b;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const char* path : {"/profile", "/links/a_to_b", "/events"}) {
    const HttpResponse r = call(b, path == std::string("/events") ? "POST" : (path == std::string("/profile") ? "PUT" : "PATCH"),
                                path, deep);
    EXPECT_EQ(r.status, 400u) << path;
    EXPECT_EQ(error_of(r), "JSON body nested deeper than 32 levels") << path;
  }
  // 32 levels are fine as JSON (the validator then judges the values).
  std::string ok = "{\"x\":" + std::string(30, '[') + std::string(30, ']') + "}";
  EXPECT_EQ(call(b, "PATCH", "/links/a_to_b", ok).status, 422u);
  EXPECT_EQ(call(b, "GET", "/stats").status, 200u);
}

// Found by control_api_fuzz and http_request_fuzz: a body or a Host with bytes that are not UTF-8
// made the error answer itself throw (nlohmann's dump refuses invalid UTF-8) — the request got no
// answer, and the fuzz targets aborted. Answers now replace such bytes.
TEST(Router, AnswersToBytesThatAreNotUtf8AreValidJson) {
  FakeBackend b;
  const std::string body = "{\"propagation\": {\"extra\": \"\x94\xff\"}}";
  const HttpResponse r = call(b, "PATCH", "/links/a_to_b", body);
  EXPECT_EQ(r.status, 400u);
  EXPECT_FALSE(json::parse(r.body, nullptr, false).is_discarded()) << r.body;
  const RequestPolicy p{.hosts = loopback_hosts("127.0.0.1", 9090)};
  const HttpResponse h = route(b, {.method = "GET", .target = "/stats", .host = "evil\x94.example"}, p);
  EXPECT_EQ(h.status, 403u);
  EXPECT_FALSE(json::parse(h.body, nullptr, false).is_discarded()) << h.body;
}

TEST(RouterPolicy, HostMustNameThisServer) {
  FakeBackend b;
  const RequestPolicy p{.hosts = loopback_hosts("127.0.0.1", 9090)};
  EXPECT_EQ(p.hosts, (std::vector<std::string>{"127.0.0.1:9090", "localhost:9090", "[::1]:9090"}));
  for (const char* ok : {"127.0.0.1:9090", "localhost:9090", "[::1]:9090"}) {
    EXPECT_EQ(route(b, {.method = "GET", .target = "/stats", .host = ok}, p).status, 200u) << ok;
  }
  for (const char* bad : {"evil.example", "evil.example:9090", "127.0.0.1:9091", "127.0.0.1"}) {
    const HttpResponse r = route(b, {.method = "GET", .target = "/stats", .host = bad}, p);
    EXPECT_EQ(r.status, 403u) << bad;
    EXPECT_NE(error_of(r).find(std::string("Host '") + bad + "' is not this server"), std::string::npos) << error_of(r);
  }
  EXPECT_EQ(route(b, {.method = "GET", .target = "/stats"}, p).status, 403u);   // no Host at all
  EXPECT_EQ(loopback_hosts("::1", 80), (std::vector<std::string>{"[::1]:80", "localhost:80"}));
  // A unix socket's policy has no host list: any Host.
  EXPECT_EQ(route(b, {.method = "GET", .target = "/stats", .host = "evil.example"}, RequestPolicy{}).status, 200u);
}

TEST(RouterPolicy, AnOriginIsRefused) {
  FakeBackend b;
  const HttpResponse r = route(b, {.method = "GET", .target = "/profile", .origin = "https://evil.example"});
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(error_of(r).find("Origin"), std::string::npos);
}

TEST(RouterPolicy, BodiesMustBeJsonTyped) {
  FakeBackend b;
  const json before = b.profile();
  const std::string patch = R"({"propagation": {"extra": "20ms"}})";
  for (const char* bad : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
    const HttpResponse r = route(b, {.method = "PATCH", .target = "/links/a_to_b", .body = patch, .content_type = bad});
    EXPECT_EQ(r.status, 415u) << bad;
    EXPECT_NE(error_of(r).find("Content-Type must be application/json"), std::string::npos);
  }
  EXPECT_EQ(route(b, {.method = "POST", .target = "/events", .body = "{}"}).status, 415u);   // none at all
  EXPECT_EQ(b.profile(), before);   // nothing applied
  EXPECT_EQ(route(b, {.method = "PATCH", .target = "/links/a_to_b", .body = patch,
                      .content_type = "Application/JSON; charset=utf-8"}).status, 200u);
}

TEST(RouterPolicy, BearerTokenWhenSet) {
  FakeBackend b;
  const RequestPolicy p{.token = "0123456789abcdef"};
  EXPECT_EQ(route(b, {.method = "GET", .target = "/stats"}, p).status, 401u);
  EXPECT_EQ(route(b, {.method = "GET", .target = "/stats", .authorization = "Bearer 0123456789abcdeX"}, p).status, 401u);
  EXPECT_EQ(route(b, {.method = "GET", .target = "/stats", .authorization = "Bearer 0123456789abcde"}, p).status, 401u);
  EXPECT_EQ(route(b, {.method = "GET", .target = "/stats", .authorization = "Bearer 0123456789abcdef"}, p).status, 200u);
}

TEST(Router, QueryStringIsIgnored) {
  FakeBackend b;
  EXPECT_EQ(call(b, "GET", "/stats?pretty=1").status, 200u);
}

TEST(Router, PostEventNow) {
  FakeBackend b;
  const HttpResponse r = call(b, "POST", "/events", R"({"direction": "both", "kind": "outage", "duration": "2s"})");
  ASSERT_EQ(r.status, 202u) << r.body;
  ASSERT_EQ(b.events().size(), 1u);
  const EventRequest e = b.events()[0];
  EXPECT_TRUE(e.a_to_b && e.b_to_a);
  EXPECT_EQ(e.base, EventRequest::Base::kNow);
  EXPECT_EQ(e.event.at, Nanos{0});
  EXPECT_EQ(e.event.kind, LinkEventKind::kOutage);
  EXPECT_EQ(e.event.duration, Nanos::from_s(2));
}

TEST(Router, EventErrorsAre422AndUnavailableIs503) {
  FakeBackend b;
  EXPECT_EQ(call(b, "POST", "/events", R"({"kind": "outage"})").status, 422u);                      // no duration
  EXPECT_EQ(call(b, "POST", "/events", R"({"kind": "meteor", "duration": "1s"})").status, 422u);
  EXPECT_EQ(call(b, "POST", "/events", R"({"kind": "outage", "duration": "1s", "dir": "x"})").status, 422u);
  EXPECT_TRUE(b.events().empty());
  b.set_events_full(true);
  const HttpResponse r = call(b, "POST", "/events", R"({"kind": "outage", "duration": "1s"})");
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(error_of(r).find("full"), std::string::npos);
}

TEST(Router, StatsJsonCarriesTheBackendsCounters) {
  FakeBackend b;
  const HttpResponse r = call(b, "GET", "/stats");
  ASSERT_EQ(r.status, 200u);
  const json s = json::parse(r.body);
  EXPECT_EQ(s.at("profile"), "continental-4000km");
  EXPECT_EQ(s.at("uptime_ns"), 12'500'000'000);
  EXPECT_EQ(s.at("a_to_b").at("packets_in"), 1000);
  EXPECT_EQ(s.at("a_to_b").at("dropped").at("loss"), 7);
  EXPECT_EQ(s.at("b_to_a").at("dropped").at("tx_full"), 1);
  EXPECT_EQ(s.at("a_to_b").at("added_delay").at("quantiles_ns").at("0.99"), 20'250'000);
}

// A parsed sample line: name{labels} value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses `name{k="v",...} value` lines (label values may contain escaped quotes); records TYPE lines.
std::vector<Sample> parse_samples(const std::string& text, std::map<std::string, std::string>& types) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) {
      std::istringstream ls(line.substr(7));
      std::string name, type;
      ls >> name >> type;
      types[name] = type;
      continue;
    }
    if (line.starts_with("# HELP ")) continue;
    Sample s;
    size_t i = line.find_first_of("{ ");
    EXPECT_NE(i, std::string::npos) << "not a sample line: " << line;
    if (i == std::string::npos) continue;
    s.name = line.substr(0, i);
    EXPECT_EQ(s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789"), std::string::npos) << line;
    if (line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find("=\"", i);
        EXPECT_NE(eq, std::string::npos) << line;
        if (eq == std::string::npos) break;
        const std::string key = line.substr(i, eq - i);
        std::string value;
        for (i = eq + 2; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) ++i;
          value += line[i];
        }
        s.labels[key] = value;
        ++i;                                   // closing quote
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;                                     // closing brace
    }
    EXPECT_TRUE(i < line.size() && line[i] == ' ') << "no value separator: " << line;
    size_t used = 0;
    s.value = std::stod(line.substr(i + 1), &used);
    EXPECT_EQ(i + 1 + used, line.size()) << "trailing text: " << line;
    out.push_back(s);
  }
  return out;
}

const Sample* find(const std::vector<Sample>& v, const std::string& name, const std::map<std::string, std::string>& labels) {
  for (const Sample& s : v) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

// One counters type, one table: every field of StatsValues is a /stats key and a /metrics family,
// each exactly once, and the receive-side and delay-queue drops are causes of their own.
TEST(Metrics, EveryCounterHasOneNameInJsonAndPrometheus) {
  FakeBackend b;
  const json stats = json::parse(call(b, "GET", "/stats").body);
  const std::string metrics = call(b, "GET", "/metrics").body;
  for (const StatsField& f : stats_fields()) {
    EXPECT_TRUE(stats.at("a_to_b").contains(std::string(f.key))) << f.key;
    const std::string type_line = "# TYPE lh_emu_" + std::string(f.metric) + " ";
    const size_t at = metrics.find(type_line);
    EXPECT_NE(at, std::string::npos) << f.metric;
    EXPECT_EQ(metrics.find(type_line, at + 1), std::string::npos) << "family twice: " << f.metric;
  }
  for (const char* cause : {"no_mbuf", "delay_queue_full", "tx_full", "rx_nombuf", "imissed"}) {
    EXPECT_TRUE(stats.at("b_to_a").at("dropped").contains(cause)) << cause;
    EXPECT_NE(metrics.find(std::string("lh_emu_dropped_packets_total{dir=\"a_to_b\",cause=\"") + cause + "\"}"),
              std::string::npos) << cause;
  }
  EXPECT_EQ(stats.at("a_to_b").at("queue_delay_ns"), 24000);
  EXPECT_EQ(stats.at("a_to_b").size(), stats_fields().size() + 3);   // + dropped, added_delay, departure_error_quantiles_ns
}

TEST(Metrics, PrometheusTextHasTypedFamiliesLabelsAndBaseUnits) {
  FakeBackend b;
  const HttpResponse r = call(b, "GET", "/metrics");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, kPrometheusContentType);
  std::map<std::string, std::string> types;
  const std::vector<Sample> samples = parse_samples(r.body, types);

  EXPECT_EQ(types["lh_emu_dropped_packets_total"], "counter");
  EXPECT_EQ(types["lh_emu_queue_bytes"], "gauge");
  EXPECT_EQ(types["lh_emu_added_delay_seconds"], "summary");
  for (const auto& [name, type] : types) {
    EXPECT_TRUE(name.starts_with("lh_emu_")) << name;
    if (type == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    }
    EXPECT_NE(r.body.find("# HELP " + name + " "), std::string::npos) << name;
  }
  for (const Sample& s : samples) {
    const std::string family = s.name.ends_with("_sum") || s.name.ends_with("_count")
                                   ? s.name.substr(0, s.name.rfind('_')) : s.name;
    EXPECT_TRUE(types.contains(family)) << "sample without TYPE: " << s.name;
  }

  const Sample* loss = find(samples, "lh_emu_dropped_packets_total", {{"dir", "a_to_b"}, {"cause", "loss"}});
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->value, 7);
  const Sample* tx_full = find(samples, "lh_emu_dropped_packets_total", {{"dir", "b_to_a"}, {"cause", "tx_full"}});
  ASSERT_NE(tx_full, nullptr);
  EXPECT_EQ(tx_full->value, 1);
  const Sample* rx = find(samples, "lh_emu_received_bytes_total", {{"dir", "a_to_b"}});
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->value, 1'500'000);
  const Sample* qd = find(samples, "lh_emu_queue_delay_seconds", {{"dir", "a_to_b"}});
  ASSERT_NE(qd, nullptr);
  EXPECT_DOUBLE_EQ(qd->value, 24e-6);
  const Sample* rate = find(samples, "lh_emu_rate_bytes_per_second", {{"dir", "a_to_b"}});
  ASSERT_NE(rate, nullptr);
  EXPECT_DOUBLE_EQ(rate->value, 125e6);
  const Sample* p99 = find(samples, "lh_emu_added_delay_seconds", {{"dir", "a_to_b"}, {"quantile", "0.99"}});
  ASSERT_NE(p99, nullptr);
  EXPECT_DOUBLE_EQ(p99->value, 0.02025);
  const Sample* count = find(samples, "lh_emu_added_delay_seconds_count", {{"dir", "a_to_b"}});
  ASSERT_NE(count, nullptr);
  EXPECT_EQ(count->value, 990);
  const Sample* info = find(samples, "lh_emu_profile_info", {{"name", "continental-4000km"}});
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->value, 1);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Stats s;
  s.profile_name = "a \"quoted\"\\name\nnext";
  const std::string text = render_prometheus(s);
  EXPECT_NE(text.find(R"(lh_emu_profile_info{name="a \"quoted\"\\name\nnext"} 1)"), std::string::npos) << text;
}

TEST(EventRequest, AtPlusIsFromNowAndPlainIsFromEpoch) {
  EventRequest r = parse_event_request(json{{"kind", "outage"}, {"duration", "1s"}, {"at", "+5s"}, {"direction", "a_to_b"}});
  EXPECT_EQ(r.base, EventRequest::Base::kNow);
  EXPECT_EQ(r.event.at, Nanos::from_s(5));
  EXPECT_TRUE(r.a_to_b);
  EXPECT_FALSE(r.b_to_a);
  r = parse_event_request(json{{"kind", "reroute"}, {"delay_delta", "+8ms"}, {"at", "90s"}, {"direction", "b_to_a"}});
  EXPECT_EQ(r.base, EventRequest::Base::kEpoch);
  EXPECT_EQ(r.event.at, Nanos::from_s(90));
  EXPECT_EQ(r.event.delay_delta, Nanos::from_ms(8));
  EXPECT_FALSE(r.a_to_b);
  EXPECT_TRUE(r.b_to_a);
}

TEST(EventRequest, RepeatsAndRefusals) {
  const EventRequest r = parse_event_request(
      json{{"kind", "outage"}, {"duration", "1s"}, {"repeat_every", "10s"}, {"repeat_count", 3}});
  EXPECT_EQ(r.event.repeat_every, Nanos::from_s(10));
  EXPECT_EQ(r.event.repeat_count, 3u);
  EXPECT_THROW(parse_event_request(json{{"kind", "outage"}, {"duration", "1s"}, {"direction", "sideways"}}),
               ValidationError);
  EXPECT_THROW(parse_event_request(json{{"kind", "outage"}, {"duration", "1s"}, {"at", 5}}), ValidationError);
  EXPECT_THROW(parse_event_request(json{{"kind", "reroute"}, {"duration", "1s"}, {"delay_delta", "+1ms"}}), ParseError);
  EXPECT_THROW(parse_event_request(json{{"kind", "outage"}, {"duration", "1s"}, {"colour", "red"}}), ParseError);
}

TEST(ListenAddress, LoopbackAndUnixAccepted) {
  ListenAddress a = parse_listen_address("127.0.0.1:9090");
  EXPECT_EQ(a.kind, ListenAddress::Kind::kTcp);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 9090);
  a = parse_listen_address("[::1]:0");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 0);
  EXPECT_EQ(a.to_string(), "[::1]:0");
  EXPECT_EQ(parse_listen_address("localhost:80").host, "127.0.0.1");
  a = parse_listen_address("unix:/run/lh-emu.sock");
  EXPECT_EQ(a.kind, ListenAddress::Kind::kUnix);
  EXPECT_EQ(a.path, "/run/lh-emu.sock");
  EXPECT_EQ(parse_listen_address("./ctl.sock").path, "./ctl.sock");
}

TEST(ListenAddress, NonLoopbackAndMalformedRefusedWithReason) {
  try {
    parse_listen_address("0.0.0.0:9090");
    FAIL() << "0.0.0.0 accepted";
  } catch (const AddressError& e) {
    EXPECT_NE(std::string(e.what()).find("not a loopback address"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_listen_address("192.168.1.1:9090"), AddressError);
  EXPECT_THROW(parse_listen_address("[::]:9090"), AddressError);
  EXPECT_THROW(parse_listen_address("example.com:9090"), AddressError);
  EXPECT_THROW(parse_listen_address("127.0.0.1"), AddressError);
  EXPECT_THROW(parse_listen_address("127.0.0.1:99999"), AddressError);
  EXPECT_THROW(parse_listen_address("127.0.0.1:80x"), AddressError);
  EXPECT_THROW(parse_listen_address("::1:9090"), AddressError);
  EXPECT_THROW(parse_listen_address("unix:"), AddressError);
}

}  // namespace
}  // namespace lh::emu::control
