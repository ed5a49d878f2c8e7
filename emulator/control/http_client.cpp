// http_client.cpp — Beast implementation of http_request (see http_client.hpp): async operations on
// a private io_context so one deadline bounds connect, write and read alike.
#include "emulator/control/http_client.hpp"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace lh::emu::control {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;

template <typename Protocol>
ClientResponse exchange(asio::io_context& io, typename Protocol::endpoint ep, const ListenAddress& to,
                        std::string_view method, std::string_view target, std::string_view body,
                        Nanos timeout, std::string_view token) {
  beast::basic_stream<Protocol, asio::any_io_executor, beast::unlimited_rate_policy> stream(io);
  stream.expires_after(std::chrono::nanoseconds(timeout.ns));

  http::request<http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host, to.kind == ListenAddress::Kind::kTcp ? to.to_string() : "localhost");
  req.set(http::field::user_agent, "lh-emu-ctl");
  req.keep_alive(false);
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + std::string(token));
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  req.prepare_payload();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  error_code result;
  const char* stage = "connect";
  stream.async_connect(ep, [&](error_code ec) {
    if (ec) { result = ec; return; }
    stage = "send the request";
    http::async_write(stream, req, [&](error_code wec, size_t) {
      if (wec) { result = wec; return; }
      stage = "read the response";
      http::async_read(stream, buffer, parser, [&](error_code rec, size_t) { result = rec; });
    });
  });
  io.run();
  if (result == beast::error::timeout) {
    throw ConnectError(fmt::format("lh-emu control API at {}: no answer within {} (while trying to {})",
                                   to.to_string(), format(timeout), stage));
  }
  if (result) {
    const bool at_connect = std::string_view(stage) == "connect";
    throw ConnectError(fmt::format("lh-emu control API at {}: cannot {}: {}{}", to.to_string(), stage,
                                   result.message(),
                                   at_connect ? " (is lh-emu running with --control at this address?)" : ""));
  }
  ClientResponse r;
  const auto& res = parser.get();
  r.status = res.result_int();
  const auto ct = res[http::field::content_type];
  r.content_type.assign(ct.data(), ct.size());
  r.body = res.body();
  return r;
}

}  // namespace

ClientResponse http_request(const ListenAddress& to, std::string_view method, std::string_view target,
                            std::string_view body, Nanos timeout, std::string_view token) {
  asio::io_context io{1};
  if (to.kind == ListenAddress::Kind::kUnix) {
    return exchange<asio::local::stream_protocol>(io, asio::local::stream_protocol::endpoint(to.path), to,
                                                  method, target, body, timeout, token);
  }
  error_code ec;
  const auto addr = asio::ip::make_address(to.host, ec);
  if (ec) throw ConnectError(fmt::format("lh-emu control API: bad address {}: {}", to.host, ec.message()));
  return exchange<asio::ip::tcp>(io, asio::ip::tcp::endpoint(addr, to.port), to, method, target, body, timeout, token);
}

}  // namespace lh::emu::control
