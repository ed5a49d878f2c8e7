// server.hpp — the control API's HTTP server (Boost.Beast over Asio), on its own thread.
//
// Listens on loopback TCP or a unix socket (listen_address.hpp), serves HTTP/1.1 with keep-alive
// on one control thread (so Backend calls are serialized), and maps requests with router.hpp under a
// RequestPolicy (Host, Origin, Content-Type, bearer token, JSON depth). Bounded per client: at most
// `max_connections` at once (503 beyond), request headers within `header_timeout` of the request's
// start (slow or silent clients are closed), bodies within `body_timeout`, headers up to
// `header_limit` (431) and bodies up to `body_limit` (413). It never touches the datapath itself:
// everything goes through the Backend, which validates before applying.
// Beast is confined to server.cpp (pimpl) because it compiles slowly.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "emulator/control/backend.hpp"
#include "emulator/control/listen_address.hpp"
#include "src/units.hpp"

namespace lh::emu::control {

struct ServerConfig {
  ListenAddress listen{};
  size_t body_limit = size_t{1} << 20;     // bytes; larger bodies get 413
  size_t header_limit = 16 * 1024;         // bytes; larger headers get 431
  Nanos header_timeout = Nanos::from_s(5); // a request's header (or a keep-alive connection's next one) must arrive within this
  Nanos body_timeout = Nanos::from_s(10);  // and its body within this
  size_t max_connections = 16;             // more at once are answered 503 and closed
  std::string token;                       // non-empty: every request needs "Authorization: Bearer <token>"
  // Runs first on the control thread, e.g. to pin it off the datapath cores or name it.
  std::function<void()> on_thread_start;
};

class Server {
 public:
  // `backend` must outlive the server.
  Server(Backend& backend, ServerConfig config);
  ~Server();   // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the control thread. Throws std::runtime_error naming the address and the
  // reason (address in use, permission denied, path exists and is not a socket). Call once.
  void start();
  // Closes the listener and all connections and joins the thread; removes the unix socket file.
  // Idempotent; safe to call from any thread but the control thread.
  void stop();
  // The bound address (with the actual port when port 0 was asked for). Valid after start().
  ListenAddress local_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::emu::control
