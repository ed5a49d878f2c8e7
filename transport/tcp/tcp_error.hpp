// tcp_error.hpp — the one exception type of the TCP baseline (lh::xport::tcp).
//
// Setup failures throw it with context ("connect 127.0.0.1:9: Connection refused"); the kind lets a
// front end choose its exit code (lh-xfer's convention: 2 for configuration and unreachable peers).
#pragma once

#include <stdexcept>
#include <string>

namespace lh::xport::tcp {

class TcpError : public std::runtime_error {
 public:
  enum class Kind {
    kConfig,       // bad option, unknown congestion control, socket option refused
    kUnreachable,  // connect failed or the handshake did not finish before the deadline
    kRefused,      // the receiver answered READY with an error (region too large, bad request)
    kIo,           // a socket error after the handshake
  };
  TcpError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace lh::xport::tcp
