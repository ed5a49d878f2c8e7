// http_request_fuzz.cpp — fuzz target of the control server's HTTP request parsing: the bytes are
// one request as a client would send it, parsed by the same Beast request parser with the server's
// limits (16 KiB header, 1 MiB body), then routed under the loopback policy as server.cpp does.
// Any bytes are a parse error or a request with an answer — never a crash, never a 500.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <boost/beast/http.hpp>

#include "emulator/control/router.hpp"
#include "tests/unit/control/fake_backend.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  const auto& req = parser.get();
  const auto header = [&](http::field f) -> std::optional<std::string_view> {
    const auto it = req.find(f);
    if (it == req.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
  };
  lh::emu::control::testing::FakeBackend backend;
  const lh::emu::control::RequestPolicy policy{.hosts = lh::emu::control::loopback_hosts("127.0.0.1", 9090)};
  const auto r = lh::emu::control::route(
      backend,
      {.method = std::string_view(req.method_string().data(), req.method_string().size()),
       .target = std::string_view(req.target().data(), req.target().size()), .body = req.body(),
       .host = header(http::field::host), .origin = header(http::field::origin),
       .content_type = header(http::field::content_type), .authorization = header(http::field::authorization)},
      policy);
  if (r.status == 500) std::abort();
  return 0;
}
