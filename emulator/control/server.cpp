// server.cpp — Beast/Asio implementation of the control Server (see server.hpp).
//
// One io_context on one thread. Each connection is a Session: read the header (answering
// "Expect: 100-continue" and refusing oversized bodies from Content-Length before reading them), read
// the body, route, write, repeat while keep-alive. After an error response that closes the
// connection we half-close and drain what the client still sends, so it sees our response instead of
// a reset.
#include "emulator/control/server.hpp"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "emulator/control/router.hpp"

namespace lh::emu::control {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;

std::string_view to_std(beast::string_view v) { return {v.data(), v.size()}; }

template <typename Protocol>
class Session : public std::enable_shared_from_this<Session<Protocol>> {
 public:
  // `open_sessions` is shared: a session's last handler may run after the listener is gone (the
  // server stopping), and its count must still be there to decrement.
  Session(typename Protocol::socket socket, Backend& backend, const ServerConfig& config, const RequestPolicy& policy,
          std::shared_ptr<size_t> open_sessions)
      : stream_(std::move(socket)), backend_(backend), config_(config), policy_(policy), open_(std::move(open_sessions)) {
    ++*open_;
  }
  ~Session() { --*open_; }

  void run() { read_header(); }
  // Answers 503 and closes: the server is at its connection limit.
  void refuse() {
    write(error_response(503, fmt::format("too many control connections (limit {}); retry later", config_.max_connections)),
          true);
  }

 private:
  using Stream = beast::basic_stream<Protocol, asio::any_io_executor, beast::unlimited_rate_policy>;

  std::chrono::nanoseconds timeout() const { return std::chrono::nanoseconds(config_.body_timeout.ns); }
  std::chrono::nanoseconds header_timeout() const { return std::chrono::nanoseconds(config_.header_timeout.ns); }

  void read_header() {
    parser_.emplace();
    parser_->body_limit(config_.body_limit);
    parser_->header_limit(static_cast<uint32_t>(config_.header_limit));
    stream_.expires_after(header_timeout());
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    if (req[http::field::expect] == "100-continue") {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
      http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](error_code wec, size_t) {
        if (!wec) self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(timeout());
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read_error(error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return write(error_response(413, fmt::format("request body larger than the limit of {} bytes",
                                                   config_.body_limit)), true);
    }
    if (ec == http::error::header_limit) {
      return write(error_response(431, fmt::format("request header larger than the limit of {} bytes",
                                                   config_.header_limit)), true);
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return write(error_response(400, fmt::format("malformed HTTP request: {}", ec.message())), true);
    }
    close();
  }

  void on_read(error_code ec) {
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    const auto header = [&](http::field f) -> std::optional<std::string_view> {
      const auto it = req.find(f);
      return it == req.end() ? std::nullopt : std::optional<std::string_view>(to_std(it->value()));
    };
    const HttpResponse r = route(backend_,
                                 {.method = to_std(req.method_string()), .target = to_std(req.target()),
                                  .body = req.body(), .host = header(http::field::host),
                                  .origin = header(http::field::origin),
                                  .content_type = header(http::field::content_type),
                                  .authorization = header(http::field::authorization)},
                                 policy_);
    write(r, !req.keep_alive());
  }

  void write(const HttpResponse& r, bool close_after) {
    res_ = {};
    res_.version(parser_ && parser_->get().version() == 10 ? 10 : 11);
    res_.result(r.status);
    res_.set(http::field::server, "lh-emu");
    res_.set(http::field::content_type, r.content_type);
    res_.set(http::field::cache_control, "no-store");
    if (!r.allow.empty()) res_.set(http::field::allow, r.allow);
    res_.keep_alive(!close_after);
    res_.body() = r.body;
    res_.prepare_payload();
    stream_.expires_after(timeout());
    http::async_write(stream_, res_, [self = this->shared_from_this(), close_after](error_code ec, size_t) {
      if (ec) return self->close();
      if (close_after) return self->linger();
      self->read_header();
    });
  }

  // Half-close, then read and discard until the client closes (or a short deadline), so unread
  // request bytes do not turn our close into a reset that would destroy the response in flight.
  void linger() {
    error_code ignored;
    stream_.socket().shutdown(Protocol::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buf_), [self = this->shared_from_this()](error_code ec, size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(Protocol::socket::shutdown_both, ignored);
    stream_.close();
  }

  Stream stream_;
  Backend& backend_;
  const ServerConfig& config_;
  const RequestPolicy& policy_;
  std::shared_ptr<size_t> open_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::array<char, 4096> drain_buf_{};
};

template <typename Protocol>
class Listener : public std::enable_shared_from_this<Listener<Protocol>> {
 public:
  Listener(asio::io_context& io, typename Protocol::endpoint endpoint, Backend& backend,
           const ServerConfig& config, const RequestPolicy& policy)
      : io_(io), acceptor_(io), backend_(backend), config_(config), policy_(policy) {
    acceptor_.open(endpoint.protocol());
    if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
      acceptor_.set_option(asio::socket_base::reuse_address(true));
    }
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  typename Protocol::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [self = this->shared_from_this()](
                                                       error_code ec, typename Protocol::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (ec) return self->retry_later(ec);   // e.g. out of file descriptors: do not spin
      // Every session runs on this one thread: the count needs no lock.
      auto session = std::make_shared<Session<Protocol>>(std::move(socket), self->backend_, self->config_,
                                                         self->policy_, self->open_sessions_);
      if (*self->open_sessions_ > self->config_.max_connections) {
        session->refuse();
      } else {
        session->run();
      }
      self->accept();
    });
  }

 private:
  void retry_later(error_code ec) {
    spdlog::warn("control server: accept failed: {}; retrying in 100 ms", ec.message());
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([self = this->shared_from_this()](error_code wec) {
      if (!wec) self->accept();
    });
  }

  asio::io_context& io_;
  typename Protocol::acceptor acceptor_;
  asio::steady_timer retry_{io_};
  Backend& backend_;
  const ServerConfig& config_;
  const RequestPolicy& policy_;
  std::shared_ptr<size_t> open_sessions_ = std::make_shared<size_t>(0);
};

// Removes a stale socket file left by a process that died; refuses a socket someone still listens
// on, and anything that is not a socket (never delete a user's regular file).
void remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode))
    throw std::runtime_error(fmt::format("control socket {}: the path exists and is not a socket", path));
  asio::io_context io;
  asio::local::stream_protocol::socket probe(io);
  error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec)
    throw std::runtime_error(fmt::format("control socket {}: another server is listening on it", path));
  ::unlink(path.c_str());
}

}  // namespace

struct Server::Impl {
  Impl(Backend& b, ServerConfig c) : backend(b), config(std::move(c)) {}

  Backend& backend;
  ServerConfig config;
  RequestPolicy policy;
  asio::io_context io{1};
  std::shared_ptr<void> listener;   // Listener<tcp> or Listener<local::stream_protocol>
  ListenAddress bound;
  std::thread thread;
  bool started = false;
  bool stopped = false;
};

Server::Server(Backend& backend, ServerConfig config)
    : impl_(std::make_unique<Impl>(backend, std::move(config))) {}

Server::~Server() { stop(); }

void Server::start() {
  Impl& s = *impl_;
  if (s.started) throw std::logic_error("control server: start() called twice");
  s.policy.token = s.config.token;
  const ListenAddress& a = s.config.listen;
  try {
    if (a.kind == ListenAddress::Kind::kTcp) {
      const asio::ip::tcp::endpoint ep(asio::ip::make_address(a.host), a.port);
      auto l = std::make_shared<Listener<asio::ip::tcp>>(s.io, ep, s.backend, s.config, s.policy);
      s.bound = a;
      s.bound.port = l->local_endpoint().port();
      s.policy.hosts = loopback_hosts(a.host, s.bound.port);
      l->accept();
      s.listener = l;
    } else {
      remove_stale_socket(a.path);
      auto l = std::make_shared<Listener<asio::local::stream_protocol>>(
          s.io, asio::local::stream_protocol::endpoint(a.path), s.backend, s.config, s.policy);
      s.bound = a;
      l->accept();
      s.listener = l;
    }
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(fmt::format("control server: cannot listen on {}: {}", a.to_string(),
                                         e.code().message()));
  }
  s.started = true;
  s.thread = std::thread([&s] {
    pthread_setname_np(pthread_self(), "lh-control");
    if (s.config.on_thread_start) s.config.on_thread_start();
    for (;;) {
      try {
        s.io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("control server: unexpected error, continuing: {}", e.what());
      }
    }
  });
}

void Server::stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.io.stop();
  if (s.thread.joinable()) s.thread.join();
  s.listener.reset();
  if (s.bound.kind == ListenAddress::Kind::kUnix) ::unlink(s.bound.path.c_str());
}

ListenAddress Server::local_address() const { return impl_->bound; }

}  // namespace lh::emu::control
