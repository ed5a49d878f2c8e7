// router.hpp — maps one HTTP request (method, target, body) to a Backend call and a response.
//
// Pure and synchronous, free of Beast, so the API's behaviour is testable without sockets and the
// slow-to-compile HTTP code stays in server.cpp. Endpoints (Toxiproxy-like):
//   GET /profile   PUT /profile   GET|PATCH /links/{a_to_b|b_to_a}   POST /events
//   GET /stats     GET /metrics
// Errors are JSON {"error": "..."}: 404 unknown path, 405 wrong method (with Allow), 400 malformed
// JSON or JSON nested deeper than the policy allows (checked while parsing, before any recursive
// code sees it), 422 invalid values (the validator's message), 503 unavailable, 500 unexpected.
// Before any of that, the request must pass the policy (a web page in a browser must not be able to
// drive a root process on the loopback): a Host naming this server (403; DNS rebinding), no Origin
// (403; browsers send it on cross-site requests), the bearer token when one is set (401), and a
// body of Content-Type application/json on PUT/PATCH/POST (415; a page may POST text/plain without
// a preflight). Called on the control thread only (the Backend contract).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/control/backend.hpp"

namespace lh::emu::control {

struct HttpRequest {
  std::string_view method;   // "GET", "PUT", ...
  std::string_view target;   // "/links/a_to_b?x=1" (the query is ignored)
  std::string_view body;
  std::optional<std::string_view> host, origin, content_type, authorization;   // headers, when present
};

struct RequestPolicy {
  // The Host values accepted ("127.0.0.1:9090", "localhost:9090", "[::1]:9090"); empty: any (a unix
  // socket, where only the file's permissions decide who connects).
  std::vector<std::string> hosts;
  std::string token;                 // non-empty: "Authorization: Bearer <token>" required
  size_t max_json_depth = 32;        // nesting of arrays/objects in a body
};

// The Host values a server bound to `host`:`port` accepts: that, localhost:PORT and [::1]:PORT.
std::vector<std::string> loopback_hosts(std::string_view host, uint16_t port);

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;         // set on 405
};

HttpResponse route(Backend& backend, const HttpRequest& request, const RequestPolicy& policy = {});

// {"error": message} with the given status.
HttpResponse error_response(unsigned status, std::string_view message);

}  // namespace lh::emu::control
