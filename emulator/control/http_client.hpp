// http_client.hpp — a minimal one-request HTTP/1.1 client for lh-emu-ctl (Boost.Beast).
//
// Connects to a control address (loopback TCP or unix socket), sends one request, returns the
// status and body. Bounded in time: connect + request + response must finish within `timeout`.
// Beast is confined to http_client.cpp.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "emulator/control/listen_address.hpp"
#include "src/units.hpp"

namespace lh::emu::control {

// The server could not be reached, or did not answer in time. The message is one line naming the
// address and the reason.
class ConnectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClientResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// `body` is sent as application/json when not empty; `token`, when not empty, as a bearer token.
// Throws ConnectError.
ClientResponse http_request(const ListenAddress& to, std::string_view method, std::string_view target,
                            std::string_view body, Nanos timeout, std::string_view token = {});

}  // namespace lh::emu::control
