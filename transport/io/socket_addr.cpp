// socket_addr.cpp — parsing, formatting and comparison of SocketAddr (see socket_addr.hpp).
#include "transport/io/socket_addr.hpp"

#include "src/host_port.hpp"

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
  const HostPort hp = parse_host_port(text);  // throws std::invalid_argument naming the text
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port_s = std::to_string(hp.port);
  const int rc = getaddrinfo(hp.host.c_str(), port_s.c_str(), &hints, &res);
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
