// host_port.hpp — "HOST:PORT" / "[V6]:PORT" text of the TCP baseline's --listen and --to flags.
//
// Same text forms and messages as lh-xfer's addresses (transport/io/socket_addr.hpp), which lives
// behind the io_uring driver; this one only splits and checks, the Asio resolver does the rest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lh::xport::tcp {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

// Throws std::invalid_argument naming the text and what is accepted.
HostPort parse_host_port(std::string_view text);

// "127.0.0.1:9000" / "[::1]:9000" (brackets when the address holds a ':').
std::string host_port_text(std::string_view address, uint16_t port);

}  // namespace lh::xport::tcp
