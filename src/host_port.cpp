// host_port.cpp — see host_port.hpp.
#include "src/host_port.hpp"

#include <charconv>
#include <stdexcept>

namespace lh {
namespace {

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw std::invalid_argument("address \"" + std::string(text) + "\": " + std::string(why) +
                              "; expected HOST:PORT, e.g. \"127.0.0.1:9000\", \"[::1]:9000\", \"localhost:9000\"");
}

}  // namespace

HostPort parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) fail(text, "unclosed '['");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') fail(text, "missing \":PORT\" after ']'");
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) fail(text, "missing \":PORT\"");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) fail(text, "an IPv6 address must be written in brackets");
    port = text.substr(colon + 1);
  }
  if (host.empty()) fail(text, "empty host");
  unsigned port_num = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_num);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || port_num > 65535) {
    fail(text, "port must be a number from 0 to 65535");
  }
  return {std::string(host), static_cast<uint16_t>(port_num)};
}

std::string host_port_text(std::string_view address, uint16_t port) {
  const bool v6 = address.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(address) + "]" : std::string(address)) + ":" + std::to_string(port);
}

}  // namespace lh
