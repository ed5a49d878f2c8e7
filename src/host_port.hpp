// host_port.hpp — the "HOST:PORT" / "[V6]:PORT" text of every tool's address flags (lh-xfer's UDP
// addresses, the TCP baseline's --listen and --to): split and checked here, one grammar and one
// message for all; resolving the host is the caller's (getaddrinfo, the Asio resolver).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lh {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

// Throws std::invalid_argument naming the text and what is accepted.
HostPort parse_host_port(std::string_view text);

// "127.0.0.1:9000" / "[::1]:9000" (brackets when the address holds a ':').
std::string host_port_text(std::string_view address, uint16_t port);

}  // namespace lh
