// socket_addr.hpp — an IPv4/IPv6 UDP endpoint address (sockaddr_storage + length), parsed strictly.
//
// The io_uring driver hands this to the protocol engine as the source of every datagram and takes it
// back as the destination of every transmit; it is a plain value (no allocation, trivially copyable),
// so it can sit in per-datagram arrays. Text forms: "127.0.0.1:9000", "[::1]:9000", "localhost:9000".
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace lh::xport::io {

class SocketAddr {
 public:
  SocketAddr() = default;
  // Copies `len` bytes of `sa` (AF_INET or AF_INET6); anything else yields an empty address.
  SocketAddr(const sockaddr* sa, socklen_t len);

  // Parses "HOST:PORT" / "[V6]:PORT". HOST may be a name (resolved once, at setup). Throws
  // std::invalid_argument naming the text and what is accepted.
  static SocketAddr parse(std::string_view text);
  // The unspecified address ("0.0.0.0" / "::") of `family`, with `port`.
  static SocketAddr any(int family, uint16_t port);

  bool empty() const { return len_ == 0; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t len() const { return len_; }
  void set_len(socklen_t len) { len_ = len; }
  static constexpr socklen_t capacity() { return sizeof(sockaddr_storage); }

  // "127.0.0.1:9000" / "[::1]:9000".
  std::string to_string() const;

  // Same family, address and port (the per-datagram comparison used to group GSO batches).
  bool operator==(const SocketAddr& o) const;

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

}  // namespace lh::xport::io
