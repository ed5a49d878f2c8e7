// listen_address.cpp — strict parsing of control-API addresses; loopback only (see the header).
#include "emulator/control/listen_address.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <charconv>
#include <fmt/format.h>

namespace lh::emu::control {

namespace {

constexpr std::string_view kAccepted =
    "accepted: 127.0.0.1:PORT, [::1]:PORT, localhost:PORT or a unix socket path (unix:/path)";

bool is_loopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool is_numeric(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

std::string ListenAddress::to_string() const {
  if (kind == Kind::kUnix) return "unix:" + path;
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

ListenAddress parse_listen_address(std::string_view text) {
  ListenAddress a;
  if (text.starts_with("unix:") || text.find('/') != std::string_view::npos) {
    a.kind = ListenAddress::Kind::kUnix;
    a.path = std::string(text.starts_with("unix:") ? text.substr(5) : text);
    if (a.path.empty()) throw AddressError(fmt::format("control address '{}': empty unix socket path", text));
    if (a.path.size() >= sizeof(sockaddr_un{}.sun_path))
      throw AddressError(fmt::format("control address '{}': unix socket path longer than {} bytes",
                                     text, sizeof(sockaddr_un{}.sun_path) - 1));
    return a;
  }
  std::string_view host, port;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw AddressError(fmt::format("control address '{}': expected [IPv6]:PORT; {}", text, kAccepted));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      throw AddressError(fmt::format("control address '{}': expected HOST:PORT; {}", text, kAccepted));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p > 65535)
    throw AddressError(fmt::format("control address '{}': port '{}' is not a number in 0..65535", text, port));
  a.port = static_cast<uint16_t>(p);
  a.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  if (!is_numeric(a.host))
    throw AddressError(fmt::format("control address '{}': host '{}' is not a numeric address; {}", text,
                                   host, kAccepted));
  if (!is_loopback(a.host))
    throw AddressError(fmt::format(
        "control address '{}': {} is not a loopback address; the control API has no authentication "
        "and only listens on loopback (127.0.0.1, ::1) or a unix socket", text, host));
  return a;
}

}  // namespace lh::emu::control
