// control_server_test.cpp — the control API over real loopback sockets: a real Server (port 0 or a
// unix socket in a temp dir) with a fake backend, driven by the Beast client, by raw sockets (to see
// headers, keep-alive, oversized bodies) and by the lh-emu-ctl binary (path in $LH_EMU_CTL).
// Everything is bounded: clients have deadlines, the server stops in its destructor; no sleeps.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator/control/http_client.hpp"
#include "emulator/control/server.hpp"
#include "src/profile.hpp"
#include "tests/unit/control/fake_backend.hpp"

extern char** environ;

namespace lh::emu::control {
namespace {

using nlohmann::json;
using testing::FakeBackend;
namespace fs = std::filesystem;

constexpr Nanos kTimeout = Nanos::from_s(5);

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "lh-control-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

ServerConfig tcp_config(size_t body_limit = size_t{1} << 20) {
  ServerConfig c;
  c.listen = parse_listen_address("127.0.0.1:0");
  c.body_limit = body_limit;
  return c;
}

ClientResponse get(const ListenAddress& a, std::string_view method, std::string_view path, std::string_view body = "") {
  return http_request(a, method, path, body, kTimeout);
}

// A blocking loopback TCP connection with a receive deadline, for requests written by hand.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  }
  ~RawConnection() { ::close(fd_); }
  // The Host header this server accepts.
  std::string host() const { return fmt::format("Host: 127.0.0.1:{}\r\n", port_); }
  void send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;   // the server may close early (413); what it answered is still readable
      off += static_cast<size_t>(n);
    }
  }
  // Reads one response (headers + Content-Length body). Empty on timeout/close before a full one.
  std::string read_response() {
    for (;;) {
      const size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        const size_t cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(buf_.substr(cl + 16));
        if (buf_.size() >= end + 4 + length) {
          std::string r = buf_.substr(0, end + 4 + length);
          buf_.erase(0, end + 4 + length);
          return r;
        }
      }
      char tmp[4096];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return {};
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  // True when the server closed the connection (recv returns 0) within the deadline.
  bool closed_by_peer() {
    char tmp[256];
    for (;;) {
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }

 private:
  uint16_t port_;
  int fd_ = -1;
  std::string buf_;
};

TEST(ControlServer, EveryEndpointOverTcp) {
  FakeBackend b;
  Server s(b, tcp_config());
  s.start();
  const ListenAddress a = s.local_address();
  ASSERT_NE(a.port, 0);

  ClientResponse r = get(a, "GET", "/profile");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  json p = json::parse(r.body);
  EXPECT_EQ(p.at("link").at("name"), "continental-4000km");

  p["link"]["name"] = "renamed";
  EXPECT_EQ(get(a, "PUT", "/profile", p.dump()).status, 200u);
  EXPECT_EQ(b.profile().at("link").at("name"), "renamed");

  r = get(a, "PATCH", "/links/a_to_b", R"({"propagation": {"extra": "20ms"}})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(b.profile().at("a_to_b").at("propagation").at("extra"), "20ms");

  r = get(a, "POST", "/events", R"({"direction": "both", "kind": "outage", "duration": "2s"})");
  EXPECT_EQ(r.status, 202u) << r.body;
  ASSERT_EQ(b.events().size(), 1u);
  EXPECT_EQ(b.events()[0].event.duration, Nanos::from_s(2));

  r = get(a, "GET", "/stats");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body).at("a_to_b").at("dropped").at("loss"), 7);

  r = get(a, "GET", "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.content_type.starts_with("text/plain; version=0.0.4")) << r.content_type;
  EXPECT_NE(r.body.find("lh_emu_dropped_packets_total{dir=\"a_to_b\",cause=\"loss\"} 7\n"), std::string::npos);
}

TEST(ControlServer, ErrorClassesOverHttp) {
  FakeBackend b;
  Server s(b, tcp_config());
  s.start();
  const ListenAddress a = s.local_address();
  EXPECT_EQ(get(a, "GET", "/nope").status, 404u);
  EXPECT_EQ(get(a, "PUT", "/profile", "{not json").status, 400u);
  const ClientResponse r = get(a, "PATCH", "/links/a_to_b", R"({"loss": {"model": "bernoulli", "p": "150%"}})");
  EXPECT_EQ(r.status, 422u);
  EXPECT_NE(json::parse(r.body).at("error").get<std::string>().find("p"), std::string::npos);

  RawConnection c(a.port);
  c.send("POST /stats HTTP/1.1\r\n" + c.host() + "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n");
  const std::string raw = c.read_response();
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 405")) << raw;
  EXPECT_NE(raw.find("Allow: GET\r\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("{\"error\":"), std::string::npos) << raw;
}

TEST(ControlServer, OversizedBodyIs413AndConnectionCloses) {
  FakeBackend b;
  Server s(b, tcp_config(1024));
  s.start();
  RawConnection c(s.local_address().port);
  const std::string body(4096, 'x');
  c.send("PUT /profile HTTP/1.1\r\n" + c.host() + "Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n" + body);
  const std::string raw = c.read_response();
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 413")) << raw;
  EXPECT_NE(raw.find("1024 bytes"), std::string::npos) << raw;
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(b.profile().at("link").at("name"), "continental-4000km");
}

TEST(ControlServer, ExpectContinueGetsTheFinalAnswerWithoutTheBody) {
  FakeBackend b;
  Server s(b, tcp_config(1024));
  s.start();
  RawConnection c(s.local_address().port);
  c.send("PUT /profile HTTP/1.1\r\n" + c.host() + "Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n");
  EXPECT_TRUE(c.read_response().starts_with("HTTP/1.1 413"));
}

TEST(ControlServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  FakeBackend b;
  Server s(b, tcp_config());
  s.start();
  RawConnection c(s.local_address().port);
  c.send("GET /stats HTTP/1.1\r\n" + c.host() + "\r\nGET /nope HTTP/1.1\r\n" + c.host() + "\r\n");
  EXPECT_TRUE(c.read_response().starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(c.read_response().starts_with("HTTP/1.1 404"));
  c.send("GET /metrics HTTP/1.1\r\n" + c.host() + "Connection: close\r\n\r\n");
  EXPECT_TRUE(c.read_response().starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(ControlServer, MalformedRequestLineIs400) {
  FakeBackend b;
  Server s(b, tcp_config());
  s.start();
  RawConnection c(s.local_address().port);
  c.send("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_TRUE(c.read_response().starts_with("HTTP/1.1 400"));
}

TEST(ControlServer, ConcurrentClientsWhileOneIsIdle) {
  FakeBackend b;
  Server s(b, tcp_config());
  s.start();
  const ListenAddress a = s.local_address();
  RawConnection idle(a.port);   // holds a connection open and sends nothing
  idle.send("GET /stats HTTP/1.1\r\n");   // ... or half a request
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string patch = fmt::format(R"({{"propagation": {{"extra": "{}ms"}}}})", t * 100 + i);
        if (get(a, "PATCH", t % 2 ? "/links/a_to_b" : "/links/b_to_a", patch).status == 200 &&
            get(a, "GET", "/metrics").status == 200) {
          ++ok;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 60);
}

// What a web page or a slow client could try, over a real socket.
TEST(ControlServer, HostileRequestsAreRefusedAndTheServerStaysUp) {
  FakeBackend b;
  ServerConfig cfg = tcp_config();
  cfg.header_timeout = Nanos::from_ms(500);
  cfg.max_connections = 4;
  Server s(b, cfg);
  s.start();
  const uint16_t port = s.local_address().port;
  const auto one = [&](const std::string& request) {
    RawConnection c(port);
    c.send(request);
    return c.read_response();
  };
  // DNS rebinding: a page served from evil.example resolving to 127.0.0.1.
  EXPECT_TRUE(one("GET /profile HTTP/1.1\r\nHost: evil.example\r\n\r\n").starts_with("HTTP/1.1 403"));
  // A cross-site request (browsers add Origin).
  RawConnection probe(port);
  EXPECT_TRUE(one("GET /profile HTTP/1.1\r\n" + probe.host() + "Origin: https://evil.example\r\n\r\n").starts_with("HTTP/1.1 403"));
  // A "simple" POST a page may send without a preflight.
  const std::string ev = R"({"kind": "outage", "duration": "2s"})";
  EXPECT_TRUE(one(fmt::format("POST /events HTTP/1.1\r\n{}Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{}",
                              probe.host(), ev.size(), ev)).starts_with("HTTP/1.1 415"));
  EXPECT_TRUE(b.events().empty());
  // 100 000 levels of nesting: 400, and the server still answers.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string r = one(fmt::format("PUT /profile HTTP/1.1\r\n{}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                                        probe.host(), deep.size(), deep));
  EXPECT_TRUE(r.starts_with("HTTP/1.1 400")) << r.substr(0, 200);
  EXPECT_NE(r.find("nested deeper than 32 levels"), std::string::npos);
  EXPECT_EQ(get(s.local_address(), "GET", "/stats").status, 200u);
}

TEST(ControlServer, AHeaderNeverFinishedIsClosedAtTheDeadline) {
  FakeBackend b;
  ServerConfig cfg = tcp_config();
  cfg.header_timeout = Nanos::from_ms(300);
  Server s(b, cfg);
  s.start();
  RawConnection slow(s.local_address().port);
  slow.send("GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");   // and nothing more
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow.closed_by_peer());   // the receive deadline is 5 s; the server's is 300 ms
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
}

TEST(ControlServer, ConnectionsBeyondTheCapGet503) {
  FakeBackend b;
  ServerConfig cfg = tcp_config();
  cfg.max_connections = 3;
  Server s(b, cfg);
  s.start();
  const uint16_t port = s.local_address().port;
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(port));
    held.back()->send("GET /stats HTTP/1.1\r\n" + held.back()->host() + "\r\n");   // keep-alive: stays open
    EXPECT_TRUE(held.back()->read_response().starts_with("HTTP/1.1 200"));
  }
  RawConnection extra(port);
  const std::string r = extra.read_response();
  EXPECT_TRUE(r.starts_with("HTTP/1.1 503")) << r;
  EXPECT_NE(r.find("too many control connections (limit 3)"), std::string::npos) << r;
  held.clear();   // the slots free up
  for (int i = 0; i < 50 && get(s.local_address(), "GET", "/stats").status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(get(s.local_address(), "GET", "/stats").status, 200u);
}

TEST(ControlServer, TokenIsRequiredWhenSetAndTheClientSendsIt) {
  FakeBackend b;
  ServerConfig cfg = tcp_config();
  cfg.token = "0123456789abcdef-secret";
  Server s(b, cfg);
  s.start();
  EXPECT_EQ(get(s.local_address(), "GET", "/stats").status, 401u);
  EXPECT_EQ(http_request(s.local_address(), "GET", "/stats", "", kTimeout, "wrong-token-000000").status, 401u);
  EXPECT_EQ(http_request(s.local_address(), "GET", "/stats", "", kTimeout, "0123456789abcdef-secret").status, 200u);
}

TEST(ControlServer, UnixSocketServesAndIsRemovedOnStop) {
  TempDir dir;
  const fs::path sock = dir.path / "ctl.sock";
  FakeBackend b;
  ServerConfig c;
  c.listen = parse_listen_address("unix:" + sock.string());
  {
    Server s(b, c);
    s.start();
    EXPECT_TRUE(fs::is_socket(sock));
    const ClientResponse r = get(s.local_address(), "GET", "/profile");
    EXPECT_EQ(r.status, 200u);
    s.stop();
    EXPECT_FALSE(fs::exists(sock));
  }
  // A live server's socket is not stolen.
  {
    Server s1(b, c);
    s1.start();
    Server s2(b, c);
    EXPECT_THROW(s2.start(), std::runtime_error);
    EXPECT_EQ(get(s1.local_address(), "GET", "/stats").status, 200u);
  }
  // A stale socket file (left by a crashed lh-emu) is replaced; a regular file is not.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, sock.c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ::close(fd);
    ASSERT_TRUE(fs::is_socket(sock));
    Server s(b, c);
    s.start();
    EXPECT_EQ(get(s.local_address(), "GET", "/stats").status, 200u);
  }
  std::ofstream(dir.path / "file.txt") << "keep me";
  ServerConfig f;
  f.listen = parse_listen_address("unix:" + (dir.path / "file.txt").string());
  Server s3(b, f);
  EXPECT_THROW(s3.start(), std::runtime_error);
  EXPECT_TRUE(fs::is_regular_file(dir.path / "file.txt"));
}

TEST(ControlServer, PortInUseIsAClearError) {
  FakeBackend b;
  Server s1(b, tcp_config());
  s1.start();
  ServerConfig c = tcp_config();
  c.listen.port = s1.local_address().port;
  Server s2(b, c);
  try {
    s2.start();
    FAIL() << "second bind succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(c.listen.to_string()), std::string::npos) << e.what();
  }
}

// A loopback port with nothing listening: bind an ephemeral port, then close it.
uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

TEST(ControlClient, UnreachableServerIsAOneLineError) {
  ListenAddress a = parse_listen_address(fmt::format("127.0.0.1:{}", free_port()));
  try {
    get(a, "GET", "/stats");
    FAIL() << "connected to nothing";
  } catch (const ConnectError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cannot connect"), std::string::npos) << m;
    EXPECT_NE(m.find(a.to_string()), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  EXPECT_THROW(get(parse_listen_address("unix:/nonexistent/lh.sock"), "GET", "/stats"), ConnectError);
}

// ---- lh-emu-ctl ----------------------------------------------------------------------------------

struct CtlResult {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CtlResult run_ctl(const std::vector<std::string>& args) {
  const char* bin = std::getenv("LH_EMU_CTL");
  EXPECT_NE(bin, nullptr) << "LH_EMU_CTL not set (meson sets it)";
  if (!bin) return {};
  TempDir dir;
  const std::string out = (dir.path / "out").string(), err = (dir.path / "err").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> all = {bin, "--timeout", "5s"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  CtlResult r;
  if (posix_spawn(&pid, bin, &fa, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

class Ctl : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(backend_, tcp_config());
    server_->start();
    addr_ = server_->local_address().to_string();
  }
  CtlResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--addr", addr_});
    return run_ctl(args);
  }
  FakeBackend backend_;
  std::unique_ptr<Server> server_;
  std::string addr_;
};

TEST_F(Ctl, ProfileGetPrintsJson) {
  const CtlResult r = ctl({"profile", "get"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("link").at("name"), "continental-4000km");
}

TEST_F(Ctl, ProfilePutSendsAValidatedTomlFile) {
  TempDir dir;
  const fs::path file = dir.path / "metro.toml";
  std::ofstream(file) << builtin_profile_text("metro-80km");
  const CtlResult r = ctl({"profile", "put", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(backend_.profile().at("link").at("name"), "metro-80km");
}

TEST_F(Ctl, ProfilePutRefusesABadTomlLocallyNamingTheLine) {
  TempDir dir;
  const fs::path file = dir.path / "bad.toml";
  std::ofstream(file) << "[link]\nname = \"x\"\n[a_to_b]\nrate = 10\n";
  const CtlResult r = ctl({"profile", "put", file.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml:4"), std::string::npos) << r.err;
  EXPECT_EQ(backend_.profile().at("link").at("name"), "continental-4000km");
}

TEST_F(Ctl, PatchAndSetChangeOneDirection) {
  CtlResult r = ctl({"profile", "patch", "a_to_b", R"({"propagation": {"extra": "20ms"}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(backend_.profile().at("a_to_b").at("propagation").at("extra"), "20ms");
  r = ctl({"set", "b_to_a", "delay=5ms", "loss=1%", "rate=1gbit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json p = backend_.profile();
  EXPECT_EQ(p.at("b_to_a").at("propagation").at("extra"), "5ms");
  EXPECT_EQ(p.at("b_to_a").at("loss").at("model"), "bernoulli");
  EXPECT_EQ(p.at("b_to_a").at("loss").at("p"), "1%");
  EXPECT_EQ(p.at("b_to_a").at("rate"), "1gbit");
  EXPECT_EQ(p.at("a_to_b").at("propagation").at("extra"), "20ms");
}

TEST_F(Ctl, ServerRefusalPrintsItsMessageAndExits1) {
  const CtlResult r = ctl({"set", "a_to_b", "delay=20parsecs"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HTTP 422"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("extra"), std::string::npos) << r.err;
}

TEST_F(Ctl, EventPostsAnOutage) {
  const CtlResult r = ctl({"event", "outage", "--duration", "2s", "--dir", "a_to_b", "--at", "+1s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(backend_.events().size(), 1u);
  const EventRequest e = backend_.events()[0];
  EXPECT_TRUE(e.a_to_b);
  EXPECT_FALSE(e.b_to_a);
  EXPECT_EQ(e.event.duration, Nanos::from_s(2));
  EXPECT_EQ(e.event.at, Nanos::from_s(1));
}

TEST_F(Ctl, StatsTableJsonAndMetrics) {
  CtlResult r = ctl({"stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dropped loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1000"), std::string::npos) << r.out;
  r = ctl({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("a_to_b").at("packets_in"), 1000);
  r = ctl({"metrics"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# TYPE lh_emu_dropped_packets_total counter"), std::string::npos);
}

TEST(CtlAlone, UnreachableAndNonLoopbackAreOneLineErrors) {
  CtlResult r = run_ctl({"--addr", fmt::format("127.0.0.1:{}", free_port()), "stats"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = run_ctl({"--addr", "10.0.0.1:9090", "stats"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("loopback"), std::string::npos) << r.err;
}

TEST(CtlAlone, WorksOverAUnixSocket) {
  TempDir dir;
  FakeBackend b;
  ServerConfig c;
  c.listen = parse_listen_address("unix:" + (dir.path / "ctl.sock").string());
  Server s(b, c);
  s.start();
  const CtlResult r = run_ctl({"--unix", (dir.path / "ctl.sock").string(), "metrics"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lh_emu_received_packets_total{dir=\"a_to_b\"} 1000"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lh::emu::control
