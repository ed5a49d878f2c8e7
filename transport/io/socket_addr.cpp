// socket_addr.cpp — parsing, formatting and comparison of SocketAddr (see socket_addr.hpp).
#include "transport/io/socket_addr.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace lh::xport::io {
namespace {

constexpr std::string_view kAccepted = "expected HOST:PORT, e.g. \"127.0.0.1:9000\", \"[::1]:9000\", \"localhost:9000\"";

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw std::invalid_argument("address \"" + std::string(text) + "\": " + std::string(why) + "; " +
                              std::string(kAccepted));
}

}  // namespace

SocketAddr::SocketAddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len > sizeof(storage_)) return;
  if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) return;
  std::memcpy(&storage_, sa, len);
  len_ = len;
}

SocketAddr SocketAddr::parse(std::string_view text) {
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
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string host_s(host);
  const std::string port_s(port);
  const int rc = getaddrinfo(host_s.c_str(), port_s.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) fail(text, std::string("cannot resolve host: ") + gai_strerror(rc));
  SocketAddr out(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (out.empty()) fail(text, "not an IPv4 or IPv6 address");
  return out;
}

SocketAddr SocketAddr::any(int family, uint16_t port) {
  SocketAddr out;
  if (family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out.storage_);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_any;
    a->sin6_port = htons(port);
    out.len_ = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&out.storage_);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_ANY);
    a->sin_port = htons(port);
    out.len_ = sizeof(sockaddr_in);
  }
  return out;
}

uint16_t SocketAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string SocketAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof(buf));
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  return "<none>";
}

bool SocketAddr::operator==(const SocketAddr& o) const {
  if (family() != o.family()) return false;
  if (family() == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage_);
    const auto* b = reinterpret_cast<const sockaddr_in*>(&o.storage_);
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (family() == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage_);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(&o.storage_);
    return a->sin6_port == b->sin6_port && a->sin6_scope_id == b->sin6_scope_id &&
           std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return len_ == 0 && o.len_ == 0;
}

}  // namespace lh::xport::io
