// listen_address.hpp — where the control API listens (lh-emu) or connects (lh-emu-ctl).
//
// Either a loopback TCP endpoint ("127.0.0.1:9090", "[::1]:9090", "localhost:9090"; port 0 = pick
// one) or a unix socket path ("unix:/run/lh-emu.sock", or any text containing a '/'). The control
// API has no authentication, so anything that is not loopback is refused: expose it further with a
// unix socket and file permissions, or an SSH tunnel.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lh::emu::control {

class AddressError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListenAddress {
  enum class Kind : uint8_t { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host = "127.0.0.1";   // numeric loopback address (kTcp)
  uint16_t port = 9090;             // kTcp
  std::string path;                 // kUnix

  std::string to_string() const;    // "127.0.0.1:9090", "[::1]:9090", "unix:/path"
};

// Throws AddressError naming the text and what is accepted.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace lh::emu::control
